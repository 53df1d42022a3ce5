"""Every URL of the reports app against every persona: the page, 403, or 404.

The unit is 山东大学工会 and its assignment of edu_directive. Its members read and write
(staff and supervisor alike); the supervisors above (edu, which issued the directive,
and province above it) read; edu alone reviews; everybody else is an outsider and gets
404 without a word of the unit's data. A refused POST changes nothing.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directives.models import Directive, Figure
from directives.services import directive_issue, directive_set_recipients
from reports.models import (
    Completion,
    EntryFigure,
    Evidence,
    ProgressEntry,
    Report,
    ReportAttachment,
    ReportFigure,
    Submission,
)
from reports.services import report_for, report_save, report_submit
from tests.conftest import make_directive
from tests.files import PDF
from tests.reports.conftest import SDU_NARRATIVE, SDU_REPORT, log_entry, stored_files, streamed

READ = {
    "anonymous": 302,
    "sdu_staff": 200,
    "sdu_supervisor": 200,
    "edu": 200,
    "province": 200,
    "edu_staff": 404,
    "jinan_staff": 404,
    "qd_staff": 404,
    "qingdao": 404,
    "loner": 404,
}
WRITE_PAGE = {**READ, "edu": 403, "province": 403}
WRITE = {**WRITE_PAGE, "sdu_staff": 302, "sdu_supervisor": 302}
REVIEW_PAGE = {**READ, "sdu_staff": 403, "sdu_supervisor": 403, "province": 403}
REVIEW = {**REVIEW_PAGE, "edu": 302}
QUEUE = {
    "anonymous": 302,
    "edu": 200,
    "province": 200,
    "qingdao": 200,
    "sdu_supervisor": 200,
    # Not a page for staff: like the other supervisors' pages, it does not exist for them.
    "sdu_staff": 404,
    "edu_staff": 404,
    "jinan_staff": 404,
    "qd_staff": 404,
    "loner": 404,
}
DIRECTIVE_REPORTS = {
    "anonymous": 302,
    "edu": 200,
    "province": 200,
    "sdu_supervisor": 200,
    "sdu_staff": 404,
    "edu_staff": 404,
    "jinan_staff": 404,
    "qd_staff": 404,
    "qingdao": 404,
    "loner": 404,
}
MEMBERS = ("sdu_staff", "sdu_supervisor")
# A draft report and its files are the unit's own: supervisors above are sent back to the
# unit's page until it is submitted.
DRAFT_REPORT = {**READ, "edu": 302, "province": 302}
DRAFT_ATTACHMENT = {**READ, "edu": 404, "province": 404}


def cases(table):
    return list(table.items())


def as_persona(client, people, persona):
    if persona != "anonymous":
        client.force_login(getattr(people, persona))
    return client


def check(response, persona, expected):
    """The status; anonymous users are sent to log in, outsiders learn nothing."""
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if expected == 404:
        content = response.content.decode()
        assert SDU_NARRATIVE not in content
        assert SDU_REPORT not in content


def snapshot(media):
    """Everything a request to the reports app could change."""

    def rows(model, *fields):
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return {
        "entries": rows(ProgressEntry, "narrative", "occurred_on", "version"),
        "figures": rows(EntryFigure, "figure", "value"),
        "evidence": rows(Evidence, "entry", "name"),
        "completions": rows(Completion, "assignment", "requirement"),
        "reports": rows(Report, "text", "state", "version"),
        "report_figures": rows(ReportFigure, "value"),
        "attachments": rows(ReportAttachment, "removed_at"),
        "submissions": rows(Submission, "decision", "comment"),
        "files": stored_files(media),
    }


@pytest.fixture
def submitted(sdu_work, people):
    report_submit(report=sdu_work.report, user=people.sdu_staff)
    sdu_work.report.refresh_from_db()
    return sdu_work


def study(work):
    return work.entry.requirement


# --- Reading -------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), cases(READ))
def test_assignment_page(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("assignment_detail", args=[sdu_work.assignment.pk])
    )

    check(response, persona, expected)
    if expected == 200:
        assert SDU_NARRATIVE in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), cases(READ))
def test_entry_page(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("entry_detail", args=[sdu_work.entry.pk])
    )

    check(response, persona, expected)
    if expected == 200:
        assert SDU_NARRATIVE in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), cases(READ))
def test_evidence_download(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("evidence_download", args=[sdu_work.evidence.pk])
    )

    if expected == 200:
        assert response.status_code == 200
        assert streamed(response) == PDF
    else:
        check(response, persona, expected)


@pytest.mark.parametrize(("persona", "expected"), cases(DRAFT_ATTACHMENT))
def test_report_attachment_download(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("report_attachment_download", args=[sdu_work.attachment.pk])
    )

    if expected == 200:
        assert response.status_code == 200
        assert streamed(response) == PDF
    else:
        check(response, persona, expected)


@pytest.mark.parametrize(("persona", "expected"), cases(DRAFT_REPORT))
def test_report_page(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("report_edit", args=[sdu_work.assignment.pk])
    )

    if expected == 302 and persona != "anonymous":
        assert response["Location"] == reverse("assignment_detail", args=[sdu_work.assignment.pk])
        return
    check(response, persona, expected)
    if expected == 200:
        assert SDU_REPORT in response.content.decode()
        shows_form = 'data-testid="report-form"' in response.content.decode()
        assert shows_form == (persona in MEMBERS)


# --- Writing: members of the unit only -------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE_PAGE))
def test_entry_form_page(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("entry_add", args=[sdu_work.assignment.pk, study(sdu_work).pk])
    )

    check(response, persona, expected)


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_entry_add(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("entry_add", args=[sdu_work.assignment.pk, study(sdu_work).pk]),
        {
            "occurred_on": "2015-10-25",
            "narrative": "文学院分工会补学一次",
            "figure_study_sessions": "1",
            "figure_participants": "40",
            "files": SimpleUploadedFile("签到表.pdf", PDF),
        },
    )

    check(response, persona, expected)
    if expected == 302 and persona != "anonymous":
        assert response["Location"] == reverse("assignment_detail", args=[sdu_work.assignment.pk])
        entry = ProgressEntry.objects.get(narrative="文学院分工会补学一次")
        assert entry.assignment == sdu_work.assignment
        assert entry.author == getattr(people, persona)
        assert entry.figure_values == {Figure.STUDY_SESSIONS: 1, Figure.PARTICIPANTS: 40}
        assert [e.name for e in entry.evidence.all()] == ["签到表.pdf"]
        assert len(stored_files(media)) == len(before["files"]) + 1
    else:
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE_PAGE))
def test_entry_edit_page(client, people, sdu_work, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("entry_edit", args=[sdu_work.entry.pk])
    )

    check(response, persona, expected)


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_entry_edit(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("entry_edit", args=[sdu_work.entry.pk]),
        {
            "occurred_on": "2015-10-21",
            "narrative": "改写后的进展",
            "figure_study_sessions": "3",
            "figure_participants": "330",
            "version": sdu_work.entry.version,
        },
    )

    check(response, persona, expected)
    sdu_work.entry.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert sdu_work.entry.narrative == "改写后的进展"
        assert sdu_work.entry.figure_values == {Figure.STUDY_SESSIONS: 3, Figure.PARTICIPANTS: 330}
    else:
        assert sdu_work.entry.narrative == SDU_NARRATIVE
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_requirement_done(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("requirement_done", args=[sdu_work.assignment.pk, study(sdu_work).pk]),
        {"done": "1"},
    )

    check(response, persona, expected)
    done = Completion.objects.filter(
        assignment=sdu_work.assignment, requirement=study(sdu_work)
    ).exists()
    assert done == (expected == 302 and persona != "anonymous")
    if not done:
        assert snapshot(media) == before


def test_requirement_done_takes_a_post(login, people, sdu_work):
    response = login(people.sdu_staff).get(
        reverse("requirement_done", args=[sdu_work.assignment.pk, study(sdu_work).pk])
    )

    assert response.status_code == 405
    assert not Completion.objects.exists()


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_report_save(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("report_edit", args=[sdu_work.assignment.pk]),
        {"text": "改写后的报告", "version": sdu_work.report.version, "save": ""},
    )

    check(response, persona, expected)
    sdu_work.report.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert sdu_work.report.text == "改写后的报告"
    else:
        assert sdu_work.report.text == SDU_REPORT
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_report_submit(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("report_edit", args=[sdu_work.assignment.pk]),
        {"text": SDU_REPORT, "version": sdu_work.report.version, "submit": "1"},
    )

    check(response, persona, expected)
    sdu_work.report.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert sdu_work.report.state == Report.State.SUBMITTED
        assert sdu_work.report.submissions.get().submitted_by == getattr(people, persona)
    else:
        assert sdu_work.report.state == Report.State.DRAFT
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_report_roll_up(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("report_roll_up", args=[sdu_work.assignment.pk])
    )

    check(response, persona, expected)
    sdu_work.report.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert sdu_work.report.text != SDU_REPORT
        assert "山东大学工会" in sdu_work.report.text
    else:
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(WRITE))
def test_report_attachment_remove(client, people, sdu_work, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("report_attachment_remove", args=[sdu_work.assignment.pk, sdu_work.attachment.pk])
    )

    check(response, persona, expected)
    sdu_work.attachment.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert sdu_work.attachment.removed_at is not None
    else:
        assert sdu_work.attachment.removed_at is None
        assert snapshot(media) == before


# --- Reviewing: supervisors of the issuing union only ------------------------------------


@pytest.mark.parametrize(("persona", "expected"), cases(QUEUE))
def test_review_queue(client, people, submitted, persona, expected):
    response = as_persona(client, people, persona).get(reverse("review_queue"))

    check(response, persona, expected)
    review_link = reverse("report_review", args=[submitted.report.pk])
    if expected == 200:
        assert (review_link in response.content.decode()) == (persona == "edu")


@pytest.mark.parametrize(("persona", "expected"), cases(REVIEW_PAGE))
def test_review_page(client, people, submitted, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("report_review", args=[submitted.report.pk])
    )

    check(response, persona, expected)
    if expected == 200:
        assert SDU_REPORT in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), cases(REVIEW))
def test_review(client, people, submitted, media, persona, expected):
    before = snapshot(media)

    response = as_persona(client, people, persona).post(
        reverse("report_review", args=[submitted.report.pk]),
        {"decision": "returned", "comment": "请补充参加人数的统计口径。"},
    )

    check(response, persona, expected)
    submitted.report.refresh_from_db()
    if expected == 302 and persona != "anonymous":
        assert response["Location"] == reverse("review_queue")
        assert submitted.report.state == Report.State.RETURNED
        submission = submitted.report.submissions.get()
        assert submission.reviewed_by == people.edu
        assert submission.comment == "请补充参加人数的统计口径。"
    else:
        assert submitted.report.state == Report.State.SUBMITTED
        assert snapshot(media) == before


@pytest.mark.parametrize(("persona", "expected"), cases(DIRECTIVE_REPORTS))
def test_directive_reports(client, people, submitted, edu_directive, persona, expected):
    response = as_persona(client, people, persona).get(
        reverse("directive_reports", args=[edu_directive.pk])
    )

    check(response, persona, expected)
    if expected == 200:
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
    before = snapshot(media)

    response = as_persona(client, people, persona).post(url, data)

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
    before = snapshot(media)

    response = login(people.sdu_staff).post(
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
    before = snapshot(media)

    response = login(people.sdu_staff).post(
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
    before = snapshot(media)

    client = login(people.edu)
    page = client.get(reverse("report_review", args=[report.pk]))
    post = client.post(reverse("report_review", args=[report.pk]), {"decision": "accepted"})

    assert page.status_code == 404
    assert "青岛教育工会的报告" not in page.content.decode()
    assert post.status_code == 404
    assert snapshot(media) == before


@pytest.mark.parametrize("persona", ["edu", "province"])
def test_supervisors_above_read_the_report_and_its_files_once_submitted(
    client, people, sdu_work, persona
):
    from reports.services import report_submit

    report_submit(report=sdu_work.report, user=people.sdu_staff)
    client = as_persona(client, people, persona)
    page = client.get(reverse("report_edit", args=[sdu_work.assignment.pk]))
    assert page.status_code == 200
    assert SDU_REPORT in page.content.decode()
    download = client.get(reverse("report_attachment_download", args=[sdu_work.attachment.pk]))
    assert streamed(download) == PDF
