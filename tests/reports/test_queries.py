"""Pages cost the same number of queries whatever the amount of data behind them.

Each test renders a page with little data, adds many more rows of the kind the page
lists, and renders it again: a count that grows with the rows is an N+1.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directives.models import Directive, Figure, Union
from directives.services import directive_forward, directive_issue, directive_set_recipients
from reports.models import Report, Submission
from reports.services import report_for, report_review, report_save, report_submit
from tests.conftest import make_directive, make_user
from tests.files import PDF, docx_bytes, png_bytes
from tests.reports.conftest import attach_to_report, log_entry

EVIDENCE = [
    ("签到表.pdf", PDF, "application/pdf"),
    ("学习现场.png", png_bytes(), "image/png"),
]


def queries(client, url):
    """The number of queries a GET of the page takes, and the response."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def rows(response, marker):
    return response.content.decode().count(marker)


def grow(parent, count, prefix):
    """Add `count` grassroots unions beneath the parent."""
    parent = Union.objects.get(pk=parent.pk)
    for n in range(count):
        Union.objects.add_child(
            parent,
            {"code": f"{prefix}-{n:02}", "name": f"{prefix}第{n}分工会", "kind": "grassroots"},
        )


def log_work(assignment, user, n):
    """An entry with both figures and two pieces of evidence."""
    return log_entry(
        assignment,
        user=user,
        narrative=f"{assignment.recipient.name}第{n}次集中学习",
        figures={Figure.STUDY_SESSIONS: 1, Figure.PARTICIPANTS: 10 + n},
        files=EVIDENCE,
    )


def send_report(assignment, user, *, returned_by=None):
    report = report_save(
        report=report_for(assignment), text=f"{assignment.recipient.name}的情况报告", figures={}
    )
    attach_to_report(report, user=user)
    report = report_submit(report=report, user=user)
    if returned_by is not None:
        report = report_review(
            report=report,
            user=returned_by,
            decision=Submission.Decision.RETURNED,
            comment="请补充数据",
        )
    return report


# --- The assignment page ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["sdu_staff", "edu"])
def test_the_assignment_page_does_not_grow_with_entries(
    client, people, sdu_assignment, media, persona
):
    for n in range(2):
        log_work(sdu_assignment, people.sdu_staff, n)
    send_report(sdu_assignment, people.sdu_staff)
    client.force_login(getattr(people, persona))
    url = reverse("assignment_detail", args=[sdu_assignment.pk])
    client.get(url)

    few, response = queries(client, url)
    assert rows(response, 'data-testid="entry"') == 2
    for n in range(2, 30):
        log_work(sdu_assignment, people.sdu_staff, n)
    many, response = queries(client, url)

    assert rows(response, 'data-testid="entry"') == 30
    assert rows(response, "学习现场.png") == 30
    assert many == few


# --- The report page with its roll-up ---------------------------------------------------


@pytest.fixture
def province_directive(tree, people, media):
    """A province directive forwarded by edu to its units, and by 山东大学工会 to its own."""
    directive = make_directive(tree.province, user=people.province, title="全省工会学习通知")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    directive = directive_issue(directive=directive)
    by_edu = directive_issue(
        directive=directive_forward(directive=directive, union=tree.edu, user=people.edu)
    )
    by_sdu = directive_issue(
        directive=directive_forward(directive=by_edu, union=tree.sdu, user=people.sdu_supervisor)
    )
    return directive, by_edu, by_sdu


@pytest.mark.parametrize("persona", ["edu", "province"])
def test_the_report_page_does_not_grow_with_the_units_beneath(
    client, people, tree, province_directive, persona
):
    directive, by_edu, by_sdu = province_directive
    own = directive.assignments.get(recipient=tree.edu)
    for assignment in [*by_edu.assignments.all(), *by_sdu.assignments.all()]:
        user = make_user(f"staff-{assignment.recipient.code}", assignment.recipient, "staff")
        log_work(assignment, user, 0)
        send_report(assignment, user)
    report = send_report(own, people.edu, returned_by=people.province)
    attach_to_report(report, user=people.edu, name="汇总表.docx", content=docx_bytes())
    client.force_login(getattr(people, persona))
    url = reverse("report_edit", args=[own.pk])
    client.get(url)

    few, response = queries(client, url)
    assert rows(response, 'data-testid="roll-up"') == 1
    grow(tree.sdu, 40, "SDU-X")
    directive_set_recipients(directive=by_sdu, mode=Directive.RecipientMode.CHILDREN)
    for n, assignment in enumerate(by_sdu.assignments.exclude(recipient=tree.sdu_college)):
        user = make_user(f"staff-{assignment.recipient.code}", assignment.recipient, "staff")
        log_work(assignment, user, n)
        send_report(assignment, user, returned_by=people.sdu_supervisor if n % 3 else None)
    for n in range(28):
        attach_to_report(report, user=people.edu, name=f"附件{n}.pdf")
    report_submit(report=report, user=people.edu)
    report_review(
        report=report, user=people.province, decision=Submission.Decision.RETURNED, comment="再改"
    )
    many, response = queries(client, url)

    assert response.context["roll_up"].unions["returned"] == 26
    assert response.context["roll_up"].figures[
        (directive.requirements.get(kind="study").pk, Figure.PARTICIPANTS)
    ] == 3 * 10 + sum(10 + n for n in range(40))
    assert many == few


# --- The review queue -------------------------------------------------------------------


def issue_to_children(issuer, user, count):
    directives = []
    for n in range(count):
        directive = make_directive(issuer, user=user, title=f"关于第{n}项工作的通知")
        directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
        directives.append(directive_issue(directive=directive))
    return directives


def test_the_review_queue_does_not_grow_with_reports(client, people, tree, media):
    staff = {tree.jinan_edu.pk: people.jinan_staff, tree.sdu.pk: people.sdu_staff}

    def send(directives):
        for directive in directives:
            for assignment in directive.assignments.all():
                send_report(assignment, staff[assignment.recipient_id])

    send(issue_to_children(tree.edu, people.edu, 1))
    client.force_login(people.edu)
    url = reverse("review_queue")
    client.get(url)

    few, response = queries(client, url)
    assert rows(response, '/review/"') == 2
    send(issue_to_children(tree.edu, people.edu, 14))
    many, response = queries(client, url)

    assert Report.objects.filter(state=Report.State.SUBMITTED).count() == 30
    assert rows(response, '/review/"') == 25
    assert many == few


# --- The reports of all recipients --------------------------------------------------------


@pytest.mark.parametrize("persona", ["edu", "sdu_supervisor"])
def test_the_directive_reports_page_does_not_grow_with_recipients(
    client, people, tree, media, persona
):
    directive = make_directive(tree.edu, user=people.edu)
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.SUBTREE)
    directive = directive_issue(directive=directive)

    def report_all():
        for n, assignment in enumerate(
            directive.assignments.filter(report__isnull=True).select_related("recipient")
        ):
            user = make_user(f"staff-{assignment.recipient.code}", assignment.recipient, "staff")
            if n % 4 == 0:
                report_save(report=report_for(assignment), text="草稿", figures={})
            else:
                send_report(assignment, user, returned_by=people.edu if n % 4 == 1 else None)

    report_all()
    client.force_login(getattr(people, persona))
    url = reverse("directive_reports", args=[directive.pk])
    client.get(url)

    few, response = queries(client, url)
    grow(tree.sdu, 40, "SDU-X")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.SUBTREE)
    report_all()
    many, response = queries(client, url)

    expected_rows = 44 if persona == "edu" else 42
    assert len(response.context["page"].object_list) == expected_rows
    assert many == few
