"""Who sees and changes a union's work, beyond the status codes of
tests/test_permission_matrix.py: what each reader is shown, a closed directive, a
directive's drafts, and ids reached through the wrong door.

The unit is 山东大学工会 and its assignment of edu_directive. Its members read and write
(staff and supervisor alike); the supervisors above (edu, which issued the directive,
and province above it) read; edu alone reviews. A refused POST changes nothing.
"""

import pytest
from django.urls import reverse

from directives.models import Directive
from directives.services import directive_issue, directive_set_recipients
from reports.services import report_for, report_save, report_submit
from tests.conftest import make_directive
from tests.files import PDF
from tests.matrix_world import snapshot
from tests.reports.conftest import SDU_NARRATIVE, SDU_REPORT, log_entry, streamed

MEMBERS = ("sdu_staff", "sdu_supervisor")
READERS = (*MEMBERS, "edu", "province")


def as_persona(client, people, persona):
    if persona != "anonymous":
        client.force_login(getattr(people, persona))
    return client


@pytest.fixture
def submitted(sdu_work, people):
    report_submit(report=sdu_work.report, user=people.sdu_staff)
    sdu_work.report.refresh_from_db()
    return sdu_work


def study(work):
    return work.entry.requirement


# --- What readers are shown ------------------------------------------------------------


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_the_units_entries_and_evidence(client, people, sdu_work, persona):
    client = as_persona(client, people, persona)

    page = client.get(reverse("assignment_detail", args=[sdu_work.assignment.pk]))
    entry = client.get(reverse("entry_detail", args=[sdu_work.entry.pk]))
    evidence = client.get(reverse("evidence_download", args=[sdu_work.evidence.pk]))

    assert SDU_NARRATIVE in page.content.decode()
    assert SDU_NARRATIVE in entry.content.decode()
    assert streamed(evidence) == PDF


@pytest.mark.parametrize("persona", MEMBERS)
def test_members_write_their_draft_report_and_read_its_files(client, people, sdu_work, persona):
    client = as_persona(client, people, persona)

    page = client.get(reverse("report_edit", args=[sdu_work.assignment.pk]))
    download = client.get(reverse("report_attachment_download", args=[sdu_work.attachment.pk]))

    assert SDU_REPORT in page.content.decode()
    assert 'data-testid="report-form"' in page.content.decode()
    assert streamed(download) == PDF


@pytest.mark.parametrize("persona", ["edu", "province"])
def test_a_draft_report_sends_readers_above_back_to_the_units_page(
    client, people, sdu_work, persona
):
    response = as_persona(client, people, persona).get(
        reverse("report_edit", args=[sdu_work.assignment.pk])
    )

    assert response["Location"] == reverse("assignment_detail", args=[sdu_work.assignment.pk])


@pytest.mark.parametrize("persona", ["edu", "province", "qingdao", "sdu_supervisor"])
def test_the_review_queue_offers_a_report_to_its_reviewers_only(client, people, submitted, persona):
    response = as_persona(client, people, persona).get(reverse("review_queue"))

    review_link = reverse("report_review", args=[submitted.report.pk])
    assert (review_link in response.content.decode()) == (persona == "edu")


def test_the_reviewer_reads_the_report(login, people, submitted):
    response = login(people.edu).get(reverse("report_review", args=[submitted.report.pk]))

    assert SDU_REPORT in response.content.decode()


@pytest.mark.parametrize("persona", ["edu", "province", "sdu_supervisor"])
def test_the_reports_of_a_directive_list_the_units_in_scope(
    client, people, submitted, edu_directive, persona
):
    response = as_persona(client, people, persona).get(
        reverse("directive_reports", args=[edu_directive.pk])
    )

    content = response.content.decode()
    units = [a.recipient.name for a in response.context["page"].object_list]
    if persona == "sdu_supervisor":
        assert units == ["山东大学工会"]
        assert "济南市教育工会" not in content
    else:
        assert units == ["济南市教育工会", "山东大学工会"]
    review_link = reverse("report_review", args=[submitted.report.pk])
    assert (review_link in content) == (persona == "edu")


# --- A closed directive: everybody reads, nobody writes ----------------------------------


def closed(directive):
    Directive.objects.filter(pk=directive.pk).update(state=Directive.State.CLOSED)


def write_requests(work):
    assignment, requirement = work.assignment.pk, study(work).pk
    return {
        "entry_add": (
            reverse("entry_add", args=[assignment, requirement]),
            {"occurred_on": "2015-10-25", "narrative": "关闭后补记"},
        ),
        "entry_edit": (
            reverse("entry_edit", args=[work.entry.pk]),
            {"occurred_on": "2015-10-25", "narrative": "关闭后改写", "version": 1},
        ),
        "requirement_done": (
            reverse("requirement_done", args=[assignment, requirement]),
            {"done": "1"},
        ),
        "report_edit": (
            reverse("report_edit", args=[assignment]),
            {"text": "关闭后改写", "version": work.report.version, "submit": "1"},
        ),
        "report_roll_up": (reverse("report_roll_up", args=[assignment]), {}),
        "report_attachment_remove": (
            reverse("report_attachment_remove", args=[assignment, work.attachment.pk]),
            {},
        ),
    }


@pytest.mark.parametrize("persona", MEMBERS)
@pytest.mark.parametrize(
    "url_name",
    [
        "entry_add",
        "entry_edit",
        "requirement_done",
        "report_edit",
        "report_roll_up",
        "report_attachment_remove",
    ],
)
def test_members_may_not_write_once_the_directive_is_closed(
    client, people, sdu_work, edu_directive, media, persona, url_name
):
    closed(edu_directive)
    url, data = write_requests(sdu_work)[url_name]
    client = as_persona(client, people, persona)
    before = snapshot(media)

    response = client.post(url, data)

    assert response.status_code == 403
    assert snapshot(media) == before


@pytest.mark.parametrize("persona", MEMBERS)
def test_a_closed_assignment_is_still_read_by_its_members(
    client, people, sdu_work, edu_directive, persona
):
    closed(edu_directive)
    client = as_persona(client, people, persona)

    page = client.get(reverse("assignment_detail", args=[sdu_work.assignment.pk]))
    report = client.get(reverse("report_edit", args=[sdu_work.assignment.pk]))
    form = client.get(reverse("entry_add", args=[sdu_work.assignment.pk, study(sdu_work).pk]))

    assert page.status_code == 200
    assert SDU_NARRATIVE in page.content.decode()
    assert reverse("entry_add", args=[sdu_work.assignment.pk, study(sdu_work).pk]) not in (
        page.content.decode()
    )
    assert report.status_code == 200
    assert 'data-testid="report-form"' not in report.content.decode()
    assert form.status_code == 403


@pytest.mark.parametrize("persona", ["sdu_staff", "edu", "province"])
def test_assignments_of_a_draft_are_nobodys_yet(client, people, edu_draft, tree, persona):
    assignment = edu_draft.assignments.get(recipient=tree.sdu)

    response = as_persona(client, people, persona).get(
        reverse("assignment_detail", args=[assignment.pk])
    )

    assert response.status_code == 404


# --- Ids reached through the wrong door --------------------------------------------------


@pytest.mark.parametrize(
    "url_name", ["entry_detail", "entry_edit", "evidence_download", "report_attachment_download"]
)
def test_a_siblings_objects_are_not_found(client, people, sdu_work, jinan_work, url_name):
    """山东大学工会's staff cannot reach 济南市教育工会's entry, evidence or attachment."""
    pk = {
        "entry_detail": jinan_work.entry.pk,
        "entry_edit": jinan_work.entry.pk,
        "evidence_download": jinan_work.evidence.pk,
        "report_attachment_download": jinan_work.attachment.pk,
    }[url_name]

    response = as_persona(client, people, "sdu_staff").get(reverse(url_name, args=[pk]))

    assert response.status_code == 404
    assert jinan_work.entry.narrative not in response.content.decode()


def test_another_reports_attachment_is_not_removed_through_ones_own_report(
    login, people, sdu_work, jinan_work, media
):
    client = login(people.sdu_staff)
    before = snapshot(media)

    response = client.post(
        reverse("report_attachment_remove", args=[sdu_work.assignment.pk, jinan_work.attachment.pk])
    )

    assert response.status_code == 404
    assert snapshot(media) == before


def test_an_attachment_already_removed_cannot_be_removed_again(login, people, sdu_work, media):
    client = login(people.sdu_staff)
    url = reverse("report_attachment_remove", args=[sdu_work.assignment.pk, sdu_work.attachment.pk])
    client.post(url)
    sdu_work.attachment.refresh_from_db()
    removed_at = sdu_work.attachment.removed_at

    response = client.post(url)

    assert response.status_code == 404
    sdu_work.attachment.refresh_from_db()
    assert sdu_work.attachment.removed_at == removed_at


@pytest.fixture
def other_directive(tree, people):
    """A directive of the same issuer sent to the same units, with its own requirements."""
    directive = make_directive(tree.edu, user=people.edu, title="关于开展读书活动的通知")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive_issue(directive=directive)


@pytest.mark.parametrize("url_name", ["entry_add", "requirement_done"])
def test_a_requirement_of_another_directive_is_not_found(
    login, people, sdu_work, other_directive, media, url_name
):
    foreign = other_directive.requirements.first()
    client = login(people.sdu_staff)
    before = snapshot(media)

    response = client.post(
        reverse(url_name, args=[sdu_work.assignment.pk, foreign.pk]),
        {"occurred_on": "2015-10-25", "narrative": "记到别的通知上", "done": "1"},
    )

    assert response.status_code == 404
    assert snapshot(media) == before


def test_entries_stay_with_their_own_assignment(login, people, sdu_work, other_directive, tree):
    """An entry on the other directive is not listed on this one's page."""
    other = other_directive.assignments.get(recipient=tree.sdu)
    log_entry(
        other,
        user=people.sdu_staff,
        narrative="读书活动启动",
        requirement=other_directive.requirements.first(),
    )

    response = login(people.sdu_staff).get(
        reverse("assignment_detail", args=[sdu_work.assignment.pk])
    )

    content = response.content.decode()
    assert SDU_NARRATIVE in content
    assert "读书活动启动" not in content


def test_a_report_on_someone_elses_directive_is_not_found_by_the_reviewer(
    login, people, tree, media
):
    """edu reviews what was sent back to edu; a report to 青岛 is none of its business."""
    directive = make_directive(tree.qingdao, user=people.qingdao, title="青岛市总工会的通知")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    directive_issue(directive=directive)
    assignment = directive.assignments.get(recipient=tree.qd_sector)
    report = report_save(report=report_for(assignment), text="青岛教育工会的报告", figures={})
    report_submit(report=report, user=people.qd_staff)
    client = login(people.edu)
    before = snapshot(media)

    page = client.get(reverse("report_review", args=[report.pk]))
    post = client.post(reverse("report_review", args=[report.pk]), {"decision": "accepted"})

    assert page.status_code == 404
    assert "青岛教育工会的报告" not in page.content.decode()
    assert post.status_code == 404
    assert snapshot(media) == before


@pytest.mark.parametrize("persona", ["edu", "province"])
def test_supervisors_above_read_the_report_and_its_files_once_submitted(
    client, people, submitted, persona
):
    client = as_persona(client, people, persona)
    page = client.get(reverse("report_edit", args=[submitted.assignment.pk]))
    assert page.status_code == 200
    assert SDU_REPORT in page.content.decode()
    assert 'data-testid="report-form"' not in page.content.decode()
    download = client.get(reverse("report_attachment_download", args=[submitted.attachment.pk]))
    assert streamed(download) == PDF
