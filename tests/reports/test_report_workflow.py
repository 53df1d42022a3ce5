"""The report back (情况报告): draft, submitted, returned with a reason, resubmitted, accepted.

山东大学工会 reports on 鲁教工发〔2015〕12号 to 山东省教育工会, whose supervisor reviews it. The
report-back requirement is due 2015-11-30: a report first submitted after that day ended
in Shanghai is late, and stays late.
"""

import datetime
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from directives.models import Requirement
from directives.services import directive_issue, directive_set_recipients
from reports.models import (
    Completion,
    Report,
    RequirementProgress,
    Submission,
    report_timeliness_of,
)
from reports.services import report_for, report_save, report_submit
from tests.conftest import make_directive
from tests.files import PDF
from tests.reports.conftest import log_entry

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


# --- What the report shows once sent, and what its review shows ------------------------------


def study_of(assignment):
    return assignment.directive.requirements.get(kind=Requirement.Kind.STUDY)


def report_back_of(assignment):
    return assignment.directive.requirements.get(kind=Requirement.Kind.REPORT)


def test_a_submitted_report_shows_its_figures_and_files(unit, reviewer, assignment, people, media):
    study = study_of(assignment)
    unit.post(
        edit_url(assignment),
        {
            "text": "已组织学习。",
            "version": open_form(unit, assignment),
            f"figure_{study.pk}_participants": "86",
            "files": SimpleUploadedFile("学习情况.pdf", PDF, content_type="application/pdf"),
            "submit": "1",
        },
    )
    assert Report.objects.get().state == Report.State.SUBMITTED

    for client in (unit, reviewer):
        html = client.get(edit_url(assignment)).content.decode()
        current = html[html.index('data-testid="current-report"') :]
        current = current[: current.index("</section>")]
        assert "已组织学习。" in current
        assert "组织集体学习" in current and ">86<" in current
        assert "学习情况.pdf" in current


def status_of(assignment, requirement):
    return RequirementProgress.objects.get(assignment=assignment, requirement=requirement).done_at


def test_the_report_back_requirement_follows_the_report(unit, reviewer, assignment, clock):
    report_back = report_back_of(assignment)
    write(unit, assignment, "第一稿")
    assert status_of(assignment, report_back) is None

    clock(datetime.datetime(2015, 11, 20, 2, 0, tzinfo=UTC))
    write(unit, assignment, "第一稿", submit=True)
    assert status_of(assignment, report_back) == datetime.datetime(2015, 11, 20, 2, 0, tzinfo=UTC)

    report = Report.objects.get()
    review(reviewer, report, Submission.Decision.RETURNED, "请补充。")
    assert status_of(assignment, report_back) is None

    clock(datetime.datetime(2015, 11, 25, 2, 0, tzinfo=UTC))
    write(unit, assignment, "第二稿", submit=True)
    review(reviewer, report, Submission.Decision.ACCEPTED)
    progress = RequirementProgress.objects.get(assignment=assignment, requirement=report_back)
    assert progress.done_on == datetime.date(2015, 11, 25)
    page = unit.get(reverse("assignment_detail", args=[assignment.pk])).content.decode()
    section = page[page.index(f'data-requirement="{report_back.pk}"') :]
    assert 'data-status="done"' in section[: section.index("</section>")]


def test_the_migration_sets_existing_report_back_rows_from_their_reports(
    unit, assignment, edu_directive, tree
):
    write(unit, assignment, "已报送", submit=True)
    report_back = report_back_of(assignment)
    jinan = edu_directive.assignments.get(recipient=tree.jinan_edu)
    # As rows stood before: the report-back requirement waited for a tick of its own.
    RequirementProgress.objects.filter(requirement=report_back).update(done_at=None, done_on=None)
    Completion.objects.create(assignment=jinan, requirement=report_back)
    RequirementProgress.objects.filter(assignment=jinan, requirement=report_back).update(
        done_at=timezone.now()
    )

    follow_reports = import_module(
        "reports.migrations.0012_report_back_follows_report"
    ).follow_reports
    follow_reports(django_apps, None)

    assert status_of(assignment, report_back) == Report.objects.get().submitted_at
    assert status_of(jinan, report_back) is None


def test_reviewing_offers_actions_not_states(unit, reviewer, assignment):
    write(unit, assignment, "第一稿", submit=True)

    html = reviewer.get(review_url(Report.objects.get())).content.decode()
    form = html[html.index('data-testid="review-form"') :]
    form = form[: form.index("</form>")]

    buttons = re.findall(r'<button[^>]*name="decision" value="(\w+)"[^>]*>([^<]+)</button>', form)
    assert buttons == [("accepted", "通过"), ("returned", "退回修改")]
    assert "已通过" not in form and "已退回" not in form


def test_reviewing_a_resubmission_shows_the_earlier_comment_and_what_changed(
    unit, reviewer, assignment
):
    study = study_of(assignment)

    def send(text, participants):
        version = open_form(unit, assignment)
        data = {"text": text, "version": version, "submit": "1"}
        data[f"figure_{study.pk}_participants"] = participants
        unit.post(edit_url(assignment), data)

    send("组织学习两次。\n参加人数见附表。", "86")
    report = Report.objects.get()
    review(reviewer, report, Submission.Decision.RETURNED, "请写明参加人数。")
    send("组织学习两次。\n参加120人。", "120")

    response = reviewer.get(review_url(report))
    html = response.content.decode()

    earlier = html[html.index('data-testid="earlier-comment"') :]
    assert "请写明参加人数。" in earlier[: earlier.index("</section>")]
    diff = html[html.index('data-testid="text-diff"') :]
    diff = diff[: diff.index("</div>")]
    assert "组织学习两次。" in diff
    assert re.search(r"<del>[^<]*见附表[^<]*</del>", diff)
    assert re.search(r"<ins>[^<]*120[^<]*</ins>", diff)
    figures = html[html.index('data-testid="figure-diff"') :]
    figures = re.sub(r"\s+", " ", figures[: figures.index("</table>")])
    assert re.search(r"组织集体学习.*?>86<.*?>120<", figures)


def test_a_first_submission_has_nothing_to_compare(unit, reviewer, assignment):
    write(unit, assignment, "第一稿", submit=True)

    html = reviewer.get(review_url(Report.objects.get())).content.decode()

    assert 'data-testid="earlier-comment"' not in html
    assert 'data-testid="changes"' not in html


def test_entries_after_acceptance_are_marked_and_the_report_says_its_figures_moved(
    unit, reviewer, assignment, people, clock
):
    study = study_of(assignment)
    clock(datetime.datetime(2015, 10, 20, 2, 0, tzinfo=UTC))
    log_entry(assignment, user=people.sdu_staff, narrative="集中学习", figures={"participants": 86})
    unit.post(
        edit_url(assignment),
        {
            "text": "参加86人。",
            "version": open_form(unit, assignment),
            f"figure_{study.pk}_participants": "86",
            "submit": "1",
        },
    )
    review(reviewer, Report.objects.get(), Submission.Decision.ACCEPTED)
    html = reviewer.get(edit_url(assignment)).content.decode()
    assert 'data-testid="figure-changes"' not in html

    clock(datetime.datetime(2015, 10, 28, 2, 0, tzinfo=UTC))
    log_entry(assignment, user=people.sdu_staff, narrative="补充学习", figures={"participants": 40})

    page = unit.get(reverse("assignment_detail", args=[assignment.pk])).content.decode()
    entries = re.findall(r'data-testid="entry">(.*?)</div>\s*</div>', page, re.DOTALL)
    late = [entry for entry in entries if 'data-testid="late-entry"' in entry]
    assert len(entries) == 2 and len(late) == 1 and "补充学习" in late[0]
    for client in (unit, reviewer):
        html = client.get(edit_url(assignment)).content.decode()
        changes = html[html.index('data-testid="figure-changes"') :]
        changes = re.sub(r"\s+", " ", changes[: changes.index("</section>")])
        assert "当前数据与已通过的版本不一致" in changes
        assert re.search(r"组织集体学习.*?>86<.*?>126<", changes)


# --- The review queue ----------------------------------------------------------------------


def test_the_review_queue_shows_number_and_deadline_and_searches_them(
    people, reviewer, tree, edu_directive
):
    other = make_directive(
        tree.edu, user=people.edu, title="关于开展调研的通知", number="鲁教工发〔2015〕20号"
    )
    directive_set_recipients(directive=other, mode="children")
    other = directive_issue(directive=other)
    for directive in (edu_directive, other):
        for assignment in directive.assignments.all():
            report = report_save(report=report_for(assignment), text="已完成。", figures={})
            report_submit(report=report, user=people.sdu_staff)

    html = reviewer.get(reverse("review_queue")).content.decode()
    assert "鲁教工发〔2015〕12号" in html and "鲁教工发〔2015〕20号" in html
    assert "2015年11月30日" in html
    assert "报送截止" in html and "文号" in html

    for query in ("〔2015〕20号", "调研"):
        response = reviewer.get(reverse("review_queue"), {"q": query})
        titles = {r.assignment.directive.title for r in response.context["page"].object_list}
        assert titles == {"关于开展调研的通知"}
    response = reviewer.get(reverse("review_queue"), {"q": "不存在"})
    assert "没有与“不存在”相符的待审核报告。" in response.content.decode()


def test_the_report_box_starts_small_and_grows_with_its_text(unit, assignment):
    html = unit.get(edit_url(assignment)).content.decode()

    box = re.search(r'<textarea name="text"[^>]*>', html).group(0)
    assert 'rows="3"' in box and "data-gq-grow" in box
    css = Path(settings.BASE_DIR, "static/css/gqtrack.css").read_text()
    assert re.search(r"textarea\[data-gq-grow\] \{[^}]*field-sizing: content", css)
