"""To whom a report goes (报送对象), on the directive and the task, through forwards; and the
page that confirms a submission before it is made."""

import pytest
from django.urls import reverse

from directives.models import Directive, Requirement
from directives.services import directive_forward, directive_issue
from reports.models import Report
from tests.directives.test_directive_form import REPORT, STUDY, directive_data, requirement_rows


def qingdao_notice(client, report_row):
    data = {
        **directive_data(number="青工发〔2015〕20号", recipient_mode="children"),
        **requirement_rows(STUDY, {**REPORT, **report_row}),
    }
    response = client.post(reverse("directive_create"), data)
    assert response.status_code == 302, response.context["formset"].errors
    return Directive.objects.get(number="青工发〔2015〕20号")


def test_a_report_can_go_to_a_department_of_the_issuer(login, people, tree):
    client = login(people.qingdao)
    form = client.get(reverse("directive_create")).context["formset"].forms[0]
    choices = list(form.fields["report_to"].queryset)
    assert tree.qd_department in choices and tree.sdu not in choices
    directive = qingdao_notice(client, {"report_to": tree.qd_department.pk})
    report = directive.requirements.get(kind=Requirement.Kind.REPORT)
    assert report.report_to == tree.qd_department
    assert report.addressee == "组织部"
    assert directive.requirements.get(kind=Requirement.Kind.STUDY).report_to is None


def test_a_department_not_in_the_tree_is_named_in_words(login, people, tree):
    client = login(people.qingdao)
    directive = qingdao_notice(client, {"report_to": "", "report_to_department": "组织部"})
    directive_issue(directive=directive)
    page = client.get(reverse("directive_detail", args=[directive.pk])).content.decode()
    assert "青岛市总工会组织部" in page
    assignment = directive.assignments.get(recipient=tree.qd_sector)
    task = login(people.qd_staff).get(reverse("assignment_detail", args=[assignment.pk]))
    assert task.context["addressee"] == "青岛市总工会组织部"
    assert "报送对象" in task.content.decode()


def test_a_report_goes_to_the_issuer_when_nobody_is_named(login, people, sdu_assignment):
    task = login(people.sdu_staff).get(reverse("assignment_detail", args=[sdu_assignment.pk]))
    assert task.context["addressee"] == "山东省教育工会"
    report = login(people.sdu_staff).get(reverse("report_edit", args=[sdu_assignment.pk]))
    assert "报送山东省教育工会" in report.content.decode()


def test_a_forward_sends_the_report_to_the_forwarding_union_not_above(
    login, people, tree, edu_directive
):
    above = edu_directive.requirements.get(kind=Requirement.Kind.REPORT)
    above.report_to_department = "宣传教育部"
    above.save()
    forward = directive_forward(directive=edu_directive, union=tree.sdu, user=people.sdu_supervisor)
    copy = forward.requirements.get(kind=Requirement.Kind.REPORT)
    assert (copy.report_to, copy.report_to_department) == (None, "")
    assert copy.addressee == "山东大学工会"
    directive_issue(directive=forward)
    page = login(people.sdu_supervisor).get(reverse("directive_detail", args=[forward.pk]))
    assert "山东大学工会" in page.content.decode()
    assert "山东省教育工会宣传教育部" not in page.content.decode()


def save_and_confirm(client, assignment, text="山东大学工会关于学习贯彻情况的报告。"):
    version = client.get(reverse("report_edit", args=[assignment.pk])).context["form"]
    data = {"text": text, "version": version["version"].value(), "confirm": "1"}
    return client.post(reverse("report_edit", args=[assignment.pk]), data)


def test_submitting_shows_what_goes_to_whom_before_it_is_sent(login, people, sdu_assignment):
    client = login(people.sdu_staff)
    response = save_and_confirm(client, sdu_assignment)
    assert response.status_code == 302
    assert response["Location"] == reverse("report_submit", args=[sdu_assignment.pk])
    report = Report.objects.get(assignment=sdu_assignment)
    assert report.state == Report.State.DRAFT
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "山东省教育工会" in content and "山东大学工会关于学习贯彻情况的报告。" in content
    assert "确认报送" in content
    report.refresh_from_db()
    assert report.state == Report.State.DRAFT


def test_confirming_submits_the_report(login, people, sdu_assignment):
    client = login(people.sdu_staff)
    save_and_confirm(client, sdu_assignment)
    report = Report.objects.get(assignment=sdu_assignment)
    response = client.post(
        reverse("report_submit", args=[sdu_assignment.pk]), {"version": report.version}, follow=True
    )
    report.refresh_from_db()
    assert report.state == Report.State.SUBMITTED
    messages = [str(m) for m in response.context["messages"]]
    assert any("山东省教育工会" in m for m in messages)


def test_a_report_changed_since_the_page_opened_is_not_submitted(login, people, sdu_assignment):
    client = login(people.sdu_staff)
    save_and_confirm(client, sdu_assignment)
    report = Report.objects.get(assignment=sdu_assignment)
    client.post(reverse("report_submit", args=[sdu_assignment.pk]), {"version": report.version - 1})
    report.refresh_from_db()
    assert report.state == Report.State.DRAFT


@pytest.mark.parametrize("who", ["edu", "jinan_staff"])
def test_only_the_unions_members_confirm_its_submission(login, people, sdu_assignment, who):
    save_and_confirm(login(people.sdu_staff), sdu_assignment)
    client = login(getattr(people, who))
    url = reverse("report_submit", args=[sdu_assignment.pk])
    expected = 403 if who == "edu" else 404
    assert client.get(url).status_code == expected
    report = Report.objects.get(assignment=sdu_assignment)
    assert client.post(url, {"version": report.version}).status_code == expected
    report.refresh_from_db()
    assert report.state == Report.State.DRAFT


def test_a_forward_rewrites_to_whom_its_copied_text_says_to_report(
    login, people, tree, edu_directive
):
    above = edu_directive.requirements.get(kind=Requirement.Kind.REPORT)
    above.description = "把学习宣传贯彻的情况写成书面报告，报省教育工会。"
    above.save()
    study = edu_directive.requirements.get(kind=Requirement.Kind.STUDY)
    study.description = "组织集体学习，情况报送山东省教育工会。报告要简明。"
    study.save()
    forward = directive_forward(directive=edu_directive, union=tree.sdu, user=people.sdu_supervisor)
    descriptions = {r.kind: r.description for r in forward.requirements.all()}
    assert descriptions["report"] == "把学习宣传贯彻的情况写成书面报告，报山东大学工会。"
    assert descriptions["study"] == "组织集体学习，情况报送山东大学工会。报告要简明。"
