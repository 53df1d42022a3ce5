"""What the office sees before it acts: the forward's proposed title, deadlines already
past, the page confirming an issue, and a first requirement that cannot be removed."""

import datetime

from django.urls import reverse
from django.utils import timezone

from directives.models import Directive, Requirement, Union

NOW = datetime.datetime(2015, 11, 10, 9, 0, tzinfo=datetime.UTC)


def test_a_forward_proposes_the_title_offices_write(login, people, tree, edu_directive):
    login(people.sdu_supervisor).post(reverse("directive_forward", args=[edu_directive.pk]))
    forward = Directive.objects.get(parent=edu_directive, issuer=tree.sdu)
    assert forward.title == "关于转发《关于认真学习宣传贯彻会议精神的通知》的通知"


def test_forwarding_after_a_deadline_warns_which_requirements_are_past(
    login, people, tree, edu_directive, clock
):
    clock(NOW)  # the study was due 2015-10-31, the report is due 2015-11-30
    client = login(people.sdu_supervisor)
    response = client.post(reverse("directive_forward", args=[edu_directive.pk]), follow=True)
    warning = response.context["past_due"]
    assert "组织集体学习" in warning and "2015年10月31日" in warning
    assert "报送学习贯彻情况" not in warning
    assert 'data-testid="past-due"' in response.content.decode()


def test_forwarding_before_every_deadline_warns_of_nothing(
    login, people, tree, edu_directive, clock
):
    clock(datetime.datetime(2015, 10, 1, tzinfo=datetime.UTC))
    client = login(people.sdu_supervisor)
    response = client.post(reverse("directive_forward", args=[edu_directive.pk]), follow=True)
    assert response.context["past_due"] == ""
    assert 'data-testid="past-due"' not in response.content.decode()


def test_the_issue_page_says_what_issuing_will_do_and_changes_nothing(
    login, people, edu_draft, clock
):
    clock(NOW)
    response = login(people.edu).get(reverse("directive_issue", args=[edu_draft.pk]))
    assert response.status_code == 200
    assert response.context["recipient_count"] == 2
    assert [r.title for r in response.context["requirements"]] == [
        "组织集体学习",
        "报送学习贯彻情况",
    ]
    assert [r.title for r in response.context["past_due"]] == ["组织集体学习"]
    page = response.content.decode()
    assert "2 个单位" in page or "2个单位" in page
    assert "确认印发" in page and "2015年11月30日" in page
    edu_draft.refresh_from_db()
    assert edu_draft.state == Directive.State.DRAFT and edu_draft.issued_on is None


def test_the_issue_page_counts_units_the_tree_gained_since_the_draft(
    login, people, tree, edu_draft
):
    Union.objects.add_child(
        tree.edu, {"code": "YT-EDU", "name": "烟台市教育工会", "kind": "sector"}
    )
    response = login(people.edu).get(reverse("directive_issue", args=[edu_draft.pk]))
    assert response.context["recipient_count"] == 3
    assert not edu_draft.assignments.filter(recipient__code="YT-EDU").exists()


def test_the_issue_page_says_why_a_draft_cannot_be_issued(login, people, edu_draft):
    edu_draft.requirements.all().delete()
    response = login(people.edu).get(reverse("directive_issue", args=[edu_draft.pk]))
    assert response.context["problems"]
    assert "确认印发" not in response.content.decode()


def test_confirming_issues_the_draft(login, people, edu_draft):
    client = login(people.edu)
    detail = client.get(reverse("directive_detail", args=[edu_draft.pk])).content.decode()
    issue_url = reverse("directive_issue", args=[edu_draft.pk])
    assert f'href="{issue_url}"' in detail
    assert f'action="{issue_url}"' not in detail
    response = client.post(issue_url)
    assert response.status_code == 302
    edu_draft.refresh_from_db()
    assert edu_draft.state == Directive.State.ISSUED


def test_an_issued_directive_has_no_issue_page(login, people, edu_directive):
    response = login(people.edu).get(reverse("directive_issue", args=[edu_directive.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("directive_detail", args=[edu_directive.pk])


def test_the_first_requirement_offers_no_removal(login, people, edu_draft):
    client = login(people.edu)
    new = client.get(reverse("directive_create")).content.decode()
    assert 'name="requirements-0-DELETE"' not in new
    edit = client.get(reverse("directive_edit", args=[edu_draft.pk])).content.decode()
    assert 'name="requirements-0-DELETE"' not in edit
    assert 'name="requirements-1-DELETE"' in edit
    # Requirements added in the page can be removed again.
    assert 'name="requirements-__prefix__-DELETE"' in edit


def test_requirements_name_whom_the_report_goes_to(login, people, tree, edu_draft):
    report = edu_draft.requirements.get(kind=Requirement.Kind.REPORT)
    report.report_to = tree.sdu
    report.report_to_department = "组织部"
    report.save()
    page = login(people.edu).get(reverse("directive_detail", args=[edu_draft.pk]))
    assert "山东大学工会组织部" in page.content.decode()


def test_today_is_not_past_due(login, people, edu_draft, clock):
    clock(datetime.datetime(2015, 10, 31, 12, tzinfo=datetime.UTC))
    assert timezone.localdate() == datetime.date(2015, 10, 31)
    response = login(people.edu).get(reverse("directive_issue", args=[edu_draft.pk]))
    assert response.context["past_due"] == []
