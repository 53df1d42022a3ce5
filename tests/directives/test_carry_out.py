"""A union carries out a directive it received with directives of its own (承接), as many
as it needs, each counted in the cascade as a forward is.

山东省教育工会 (edu) sends its notice to 济南市教育工会 and 山东大学工会 (sdu); sdu forwards
nothing but issues its own notice carrying it out, to 文学院分工会, which logs its study.
"""

import datetime

import pytest
from django.urls import reverse

from directives.models import Directive, Figure, Membership, Requirement
from reports.models import ProgressEntry
from reports.services import progress_entry_save
from tests.conftest import make_user
from tests.directives.test_directive_form import directive_data, requirement_rows

SESSIONS, PARTICIPANTS = Figure.STUDY_SESSIONS.value, Figure.PARTICIPANTS.value


def carry_out(client, directive):
    return client.post(reverse("directive_carry_out", args=[directive.pk]))


def own_notice_data(draft, *, number, title, rows):
    return {
        **directive_data(title=title, number=number, body="各分工会：请结合学院实际组织学习。"),
        "version": draft.version,
        **requirement_rows(*rows, initial=draft.requirements.count()),
    }


@pytest.fixture
def carried_out(login, people, tree, edu_directive):
    """sdu's own notice carrying out edu's: rewritten, with one requirement of its own, issued."""
    client = login(people.sdu_supervisor)
    response = carry_out(client, edu_directive)
    draft = Directive.objects.get(parent=edu_directive, issuer=tree.sdu)
    assert response.status_code == 302
    assert response["Location"] == reverse("directive_edit", args=[draft.pk])
    study, report = draft.requirements.order_by("position")
    rows = [
        {
            "id": study.pk,
            "source": study.source_id,
            "kind": "study",
            "title": "各分工会组织教职工集中学习",
            "due_on": "2015-10-25",
            "figures": [SESSIONS, PARTICIPANTS],
        },
        {
            "id": report.pk,
            "source": report.source_id,
            "kind": "report",
            "title": "报送学院学习情况",
            "due_on": "2015-11-20",
        },
        {"source": "", "kind": "research", "title": "开展学院调研", "due_on": "2015-12-15"},
    ]
    data = own_notice_data(
        draft,
        number="山大工发〔2015〕26号",
        title="关于在全校开展学习活动的通知",
        rows=rows,
    )
    response = client.post(reverse("directive_edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.context["formset"].errors
    client.post(reverse("directive_issue", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == Directive.State.ISSUED
    return draft


def log_study(directive, union, user, **figures):
    entry = ProgressEntry(
        assignment=directive.assignments.get(recipient=union),
        requirement=directive.requirements.get(kind=Requirement.Kind.STUDY),
        occurred_on=datetime.date(2015, 10, 20),
        narrative="文学院分工会组织集中学习",
    )
    return progress_entry_save(entry=entry, figures=figures, files=[], user=user)


def test_carrying_out_starts_a_draft_of_the_unions_own_linked_to_the_directive(
    login, people, tree, edu_directive
):
    carry_out(login(people.sdu_supervisor), edu_directive)
    draft = Directive.objects.get(parent=edu_directive, issuer=tree.sdu)
    assert draft.relation == Directive.Relation.CARRY_OUT
    assert draft.state == Directive.State.DRAFT
    assert draft.title == f"关于贯彻落实《{edu_directive.title}》的通知"
    sources = {r.title: r.source for r in draft.requirements.all()}
    assert sources == {r.title: r for r in edu_directive.requirements.all()}
    assert [a.recipient.name for a in draft.assignments.all()] == ["文学院分工会"]
    form = login(people.sdu_supervisor).get(reverse("directive_edit", args=[draft.pk]))
    assert "source" in form.context["formset"].forms[0].fields
    assert "承接" in form.content.decode() or "落实" in form.content.decode()


def test_a_union_may_carry_out_a_directive_many_times_and_still_forward_it(
    login, people, tree, edu_directive
):
    client = login(people.sdu_supervisor)
    carry_out(client, edu_directive)
    carry_out(client, edu_directive)
    client.post(reverse("directive_forward", args=[edu_directive.pk]))
    client.post(reverse("directive_forward", args=[edu_directive.pk]))
    relations = sorted(
        Directive.objects.filter(parent=edu_directive, issuer=tree.sdu).values_list(
            "relation", flat=True
        )
    )
    assert relations == ["carry_out", "carry_out", "forward"]


def test_only_supervisors_of_a_recipient_with_units_beneath_may_carry_out(
    login, people, tree, edu_directive, edu_draft
):
    assert carry_out(login(people.sdu_staff), edu_directive).status_code == 403
    assert carry_out(login(people.edu), edu_directive).status_code == 403
    assert carry_out(login(people.qingdao), edu_directive).status_code == 404
    assert carry_out(login(people.edu), edu_draft).status_code == 403
    jinan_school_supervisor = make_user("js", tree.jinan_school, Membership.Role.SUPERVISOR)
    assert carry_out(login(jinan_school_supervisor), edu_directive).status_code == 404
    assert not Directive.objects.filter(parent__isnull=False).exists()


def test_the_directive_page_offers_carrying_out_and_lists_the_unions_own(
    login, people, edu_directive, carried_out
):
    page = login(people.sdu_supervisor).get(reverse("directive_detail", args=[edu_directive.pk]))
    assert page.context["may_carry_out"]
    assert list(page.context["own_carry_outs"]) == [carried_out]
    content = page.content.decode()
    assert reverse("directive_carry_out", args=[edu_directive.pk]) in content
    assert "山大工发〔2015〕26号" in content
    above = login(people.edu).get(reverse("directive_detail", args=[edu_directive.pk]))
    assert list(above.context["forwards"]) == [carried_out]
    passed_on = {r.recipient.name: r.forwarded for r in above.context["recipients"]}
    assert passed_on == {"山东大学工会": True, "济南市教育工会": False}


def test_the_carrying_out_directive_keeps_its_own_number_title_text_and_requirements(
    carried_out, edu_directive
):
    assert carried_out.number == "山大工发〔2015〕26号"
    assert carried_out.title == "关于在全校开展学习活动的通知"
    assert carried_out.body.startswith("各分工会")
    study, report, research = carried_out.requirements.order_by("position")
    assert study.source == edu_directive.requirements.get(kind="study")
    assert report.source == edu_directive.requirements.get(kind="report")
    assert research.source is None


def test_a_requirement_carrying_one_out_may_not_fall_due_after_it(
    login, people, tree, edu_directive
):
    client = login(people.sdu_supervisor)
    carry_out(client, edu_directive)
    draft = Directive.objects.get(parent=edu_directive, issuer=tree.sdu)
    study = draft.requirements.get(kind="study")
    row = {"id": study.pk, "source": study.source_id, "kind": "study", "title": "学习"}
    row["due_on"] = "2015-12-31"  # the source is due 2015-10-31
    data = own_notice_data(draft, number="", title=draft.title, rows=[row])
    response = client.post(reverse("directive_edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["due_on"]


def test_the_work_on_a_carrying_out_directive_counts_on_the_dashboard_above(
    login, people, tree, edu_directive, carried_out
):
    college_staff = make_user("college_staff", tree.sdu_college, Membership.Role.STAFF)
    log_study(carried_out, tree.sdu_college, college_staff, **{SESSIONS: 2, PARTICIPANTS: 86})
    response = login(people.edu).get(reverse("dashboard", args=[edu_directive.pk]))
    rows = {row.union.name: row for row in response.context["page"].object_list}
    sdu = rows["山东大学工会"]
    study = edu_directive.requirements.get(kind="study")
    assert sdu.figures[study.pk] == {SESSIONS: 2, PARTICIPANTS: 86}
    assert (sdu.assigned, sdu.forwarded) == (2, 1)
    counts = sdu.requirements[study.pk]
    assert counts.total == 2 and counts.in_progress + counts.overdue >= 1


def test_the_relay_counts_a_union_that_carried_the_directive_out(
    login, people, edu_directive, carried_out
):
    response = login(people.edu).get(reverse("dashboard_relay", args=[edu_directive.pk]))
    relayed = {a.recipient.name: a for a in response.context["page"].object_list}
    assert relayed["山东大学工会"].forwarded
    assert relayed["山东大学工会"].forward_pk == carried_out.pk


def test_the_roll_up_for_the_report_upward_counts_the_carrying_out_work(
    login, people, tree, edu_directive, carried_out
):
    college_staff = make_user("college_staff", tree.sdu_college, Membership.Role.STAFF)
    log_study(carried_out, tree.sdu_college, college_staff, **{SESSIONS: 3, PARTICIPANTS: 120})
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    page = login(people.sdu_staff).get(reverse("report_edit", args=[assignment.pk]))
    rows = {requirement.kind: totals for requirement, totals, *_ in page.context["roll_up_rows"]}
    assert {figure.figure_id: total for figure, total in rows["study"]} == {
        SESSIONS: 3,
        PARTICIPANTS: 120,
    }
    assert "文学院分工会组织集中学习" in page.content.decode()


def test_the_overview_shows_the_cascade_once_not_each_carrying_out_directive(
    login, people, edu_directive, carried_out
):
    client = login(people.sdu_supervisor)
    carry_out(client, edu_directive)  # a second one, still a draft
    response = client.get(reverse("overview"))
    assert list(response.context["page"].object_list) == [edu_directive]
