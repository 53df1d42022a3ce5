"""The report back (情况报告): draft, submitted, returned with a reason, resubmitted, accepted.

山东大学工会 reports on 鲁教工发〔2015〕12号 to 山东省教育工会, whose supervisor reviews it. The
report-back requirement is due 2015-11-30: a report first submitted after that day ended
in Shanghai is late, and stays late.
"""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from reports.models import Report, Submission, report_timeliness_of

UTC = datetime.UTC


@pytest.fixture
def assignment(edu_directive, tree):
    return edu_directive.assignments.get(recipient=tree.sdu)


@pytest.fixture
def unit(people):
    """Staff of 山东大学工会, who write and submit the report."""
    return client_for(people.sdu_staff)


@pytest.fixture
def reviewer(people):
    """The supervisor of 山东省教育工会, which issued the directive."""
    return client_for(people.edu)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def edit_url(assignment):
    return reverse("report_edit", args=[assignment.pk])


def review_url(report):
    return reverse("report_review", args=[report.pk])


def open_form(client, assignment):
    """Open the report page and return the version its form carries."""
    response = client.get(edit_url(assignment))
    assert response.status_code == 200
    return response.context["form"]["version"].value()


def write(client, assignment, text, *, submit=False, version=None):
    data = {"text": text, "version": open_form(client, assignment) if version is None else version}
    if submit:
        data["submit"] = "1"
    return client.post(edit_url(assignment), data)


def review(client, report, decision, comment=""):
    return client.post(review_url(report), {"decision": decision, "comment": comment})


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def in_language(response, text):
    with translation.override(response.headers["Content-Language"]):
        return translation.gettext(text)


def snapshot(report):
    report.refresh_from_db()
    return (report.state, report.text, report.version, report.submissions.count())


def test_a_report_goes_from_draft_through_return_to_acceptance(unit, reviewer, assignment):
    response = write(unit, assignment, "第一稿：已组织学习两次。")
    assert response.status_code == 302
    report = Report.objects.get(assignment=assignment)
    assert report.state == Report.State.DRAFT
    assert report.text == "第一稿：已组织学习两次。"

    response = write(unit, assignment, "第一稿：已组织学习两次。", submit=True)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == Report.State.SUBMITTED
    assert report.first_submitted_at is not None
    first_submitted_at = report.first_submitted_at
    assert list(Report.objects.awaiting_review_by(assignment.directive.issuer)) == [report]

    response = review(reviewer, report, Submission.Decision.RETURNED, "请补充参加人数。")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == Report.State.RETURNED

    response = unit.get(edit_url(assignment))
    html = response.content.decode()
    assert 'data-testid="returned-comment"' in html
    comment = re.search(r'data-testid="returned-comment">(.*?)</div>', html, re.DOTALL)
    assert "请补充参加人数。" in comment.group(1)
    assert 'data-testid="report-form"' in html

    response = write(unit, assignment, "第二稿：已组织学习两次，参加120人。", submit=True)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == Report.State.SUBMITTED
    assert report.first_submitted_at == first_submitted_at

    response = reviewer.get(review_url(report))
    assert "第二稿：已组织学习两次，参加120人。" in response.content.decode()
    response = review(reviewer, report, Submission.Decision.ACCEPTED)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == Report.State.ACCEPTED

    submissions = list(report.submissions.order_by("number"))
    assert [(s.number, s.text, s.decision) for s in submissions] == [
        (1, "第一稿：已组织学习两次。", Submission.Decision.RETURNED),
        (2, "第二稿：已组织学习两次，参加120人。", Submission.Decision.ACCEPTED),
    ]
    assert submissions[0].comment == "请补充参加人数。"

    response = unit.get(edit_url(assignment))
    assert response.status_code == 200
    html = response.content.decode()
    versions = html[html.index('data-testid="submissions"') :]
    versions = versions[: versions.index("</section>")]
    assert "第一稿：已组织学习两次。" in versions
    assert "第二稿：已组织学习两次，参加120人。" in versions
    assert "请补充参加人数。" in versions
    assert 'data-testid="report-form"' not in html


def test_returning_without_a_comment_is_refused(unit, reviewer, assignment):
    write(unit, assignment, "第一稿", submit=True)
    report = Report.objects.get(assignment=assignment)
    before = snapshot(report)

    response = review(reviewer, report, Submission.Decision.RETURNED, "   ")

    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert snapshot(report) == before
    assert report.state == Report.State.SUBMITTED
    assert report.submissions.get().decision == ""


@pytest.mark.parametrize("decision", [Submission.Decision.ACCEPTED, Submission.Decision.RETURNED])
def test_a_draft_cannot_be_accepted_or_returned(unit, reviewer, assignment, decision):
    """A draft is its union's own until it is submitted: the reviewer does not see it."""
    write(unit, assignment, "还在起草")
    report = Report.objects.get(assignment=assignment)
    before = snapshot(report)

    response = review(reviewer, report, decision, "看看")

    assert response.status_code == 404
    assert "还在起草" not in response.content.decode()
    assert snapshot(report) == before
    assert report.state == Report.State.DRAFT


def test_a_submitted_report_cannot_be_edited_or_resubmitted(unit, assignment):
    write(unit, assignment, "第一稿", submit=True)
    report = Report.objects.get(assignment=assignment)
    before = snapshot(report)

    assert write(unit, assignment, "偷偷改一改", version=report.version).status_code == 403
    assert write(unit, assignment, "再报一次", submit=True, version=report.version).status_code == (
        403
    )

    assert snapshot(report) == before
    assert report.state == Report.State.SUBMITTED


def test_an_accepted_report_cannot_be_submitted_again(unit, reviewer, assignment):
    write(unit, assignment, "第一稿", submit=True)
    report = Report.objects.get(assignment=assignment)
    review(reviewer, report, Submission.Decision.ACCEPTED)
    before = snapshot(report)

    response = write(unit, assignment, "第一稿", submit=True, version=report.version)

    assert response.status_code == 403
    assert snapshot(report) == before
    assert report.state == Report.State.ACCEPTED


def test_an_empty_report_cannot_be_submitted(unit, assignment):
    response = write(unit, assignment, "  \n ", submit=True)

    assert response.status_code == 302
    response = unit.get(response.url)
    assert messages_of(response) == [
        in_language(response, "Write the report before submitting it.")
    ]
    report = Report.objects.get(assignment=assignment)
    assert report.state == Report.State.DRAFT
    assert report.first_submitted_at is None
    assert not report.submissions.exists()


def test_the_second_of_two_concurrent_saves_is_refused(people, assignment):
    first, second = client_for(people.sdu_staff), client_for(people.sdu_supervisor)
    first_version, second_version = open_form(first, assignment), open_form(second, assignment)
    assert first_version == second_version

    saved = write(first, assignment, "王的版本", version=first_version)
    refused = write(second, assignment, "李的版本", version=second_version)
    refused_submit = write(second, assignment, "李的版本", submit=True, version=second_version)

    assert saved.status_code == 302
    assert refused.status_code == 409
    assert "李的版本" in refused.content.decode()
    assert refused_submit.status_code == 409
    report = Report.objects.get(assignment=assignment)
    assert report.text == "王的版本"
    assert report.state == Report.State.DRAFT
    assert not report.submissions.exists()


def report_row(client, directive, union):
    """The state badges of one recipient's row on the directive's report list."""
    response = client.get(reverse("directive_reports", args=[directive.pk]))
    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.DOTALL)
    (row,) = [row for row in rows if f">{union.name}</a>" in row]
    return response, row


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        (datetime.datetime(2015, 11, 30, 15, 59, tzinfo=UTC), False),  # 23:59 in Shanghai
        (datetime.datetime(2015, 11, 30, 16, 0, tzinfo=UTC), True),  # 00:00 on 12-01
    ],
)
def test_a_report_is_late_when_first_submitted_after_the_due_day(
    unit, reviewer, assignment, edu_directive, tree, clock, moment, late
):
    assert assignment.directive.report_due_on == datetime.date(2015, 11, 30)
    clock(moment)

    write(unit, assignment, "学习贯彻情况", submit=True)

    report = Report.objects.get(assignment=assignment)
    assert report.first_submitted_at == moment
    assert report_timeliness_of(assignment) == ("late" if late else "on_time")
    clock(moment + datetime.timedelta(days=3))
    response, row = report_row(reviewer, edu_directive, tree.sdu)
    assert 'data-report-state="submitted"' in row
    assert (in_language(response, "Late") in row) is late
    assert (in_language(response, "On time") in row) is not late


def test_a_late_report_stays_late_after_a_return_and_a_prompt_resubmission(
    unit, reviewer, assignment, edu_directive, tree, clock
):
    clock(datetime.datetime(2015, 12, 1, 1, 0, tzinfo=UTC))
    write(unit, assignment, "迟交的第一稿", submit=True)
    report = Report.objects.get(assignment=assignment)
    review(reviewer, report, Submission.Decision.RETURNED, "数字不全")

    clock(datetime.datetime(2015, 12, 1, 2, 0, tzinfo=UTC))
    write(unit, assignment, "补充后的第二稿", submit=True)

    report.refresh_from_db()
    assert report.state == Report.State.SUBMITTED
    assert report.submissions.count() == 2
    assert report.first_submitted_at == datetime.datetime(2015, 12, 1, 1, 0, tzinfo=UTC)
    assert report_timeliness_of(assignment) == "late"
    response, row = report_row(reviewer, edu_directive, tree.sdu)
    assert in_language(response, "Late") in row


def test_an_on_time_report_stays_on_time_after_a_late_resubmission(
    unit, reviewer, assignment, edu_directive, tree, clock
):
    clock(datetime.datetime(2015, 11, 30, 15, 0, tzinfo=UTC))
    write(unit, assignment, "按时的第一稿", submit=True)
    report = Report.objects.get(assignment=assignment)
    review(reviewer, report, Submission.Decision.RETURNED, "数字不全")

    clock(datetime.datetime(2015, 12, 3, 2, 0, tzinfo=UTC))
    write(unit, assignment, "补充后的第二稿", submit=True)

    report.refresh_from_db()
    assert report_timeliness_of(assignment) == "on_time"
    response, row = report_row(reviewer, edu_directive, tree.sdu)
    assert in_language(response, "On time") in row
    assert in_language(response, "Late") not in row


def test_a_report_still_unsubmitted_after_the_due_day_is_overdue(
    unit, reviewer, assignment, edu_directive, tree, clock
):
    clock(datetime.datetime(2015, 11, 30, 16, 0, tzinfo=UTC))
    write(unit, assignment, "还没写完")

    assert report_timeliness_of(assignment) == "missing"
    response, row = report_row(reviewer, edu_directive, tree.sdu)
    assert 'data-report-state="draft"' in row
    assert in_language(response, "Overdue") in row


@pytest.mark.parametrize(
    ("moment", "timeliness"),
    [
        (datetime.datetime(2015, 11, 30, 15, 59, tzinfo=UTC), None),  # 23:59 on the due day
        (datetime.datetime(2015, 11, 30, 16, 0, tzinfo=UTC), "missing"),  # the day after
    ],
)
def test_the_unions_own_page_says_when_its_report_is_overdue(
    unit, assignment, clock, moment, timeliness
):
    """The task page reads the report's timeliness from the same definition as the
    supervisors' list and the dashboards: nothing is sent yet, so it is overdue once the
    due day is over, and not before."""
    clock(moment)

    page = unit.get(reverse("assignment_detail", args=[assignment.pk])).content.decode()

    badge = re.search(r'data-report-timeliness="(\w+)"', page)
    assert (badge.group(1) if badge else None) == timeliness
    assert 'data-report-state="none"' in page


def test_opening_the_report_page_writes_nothing(unit, assignment):
    """A report begins with its first save, not when someone looks at the page."""
    response = unit.get(edit_url(assignment))

    assert response.status_code == 200
    assert not Report.objects.exists()
    assert not Report.history.exists()
    write(unit, assignment, "第一稿")
    assert Report.objects.get(assignment=assignment).text == "第一稿"


def test_a_report_over_fifty_thousand_characters_is_a_form_error(unit, assignment):
    response = write(unit, assignment, "报" * 50_001)

    assert "text" in response.context["form"].errors
    assert not Report.objects.exclude(text="").exists()
