"""A unit logs progress with evidence and reports back; the union above returns the report
once with a comment, the unit revises it, and the union above accepts it."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directives.models import Assignment, Requirement
from reports.models import Evidence, Report, Submission

pytestmark = pytest.mark.django_db(transaction=True)

EVIDENCE_NAME = "学习会照片.pdf"
NARRATIVE = "10月10日下午，校工会组织全体委员集中学习会议精神，各分工会主席交流了学习体会。"
FIRST_TEXT = "我校工会召开专题学习会，传达学习会议精神。"
RETURN_COMMENT = "请补充参加学习的人数和下一步打算。"
SECOND_TEXT = FIRST_TEXT + "共有45名工会干部参加学习，下一步将在各分工会开展专题宣讲。"


def tiny_pdf():
    """A one-page PDF whose cross-reference table points at the right bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def log_out(page):
    page.locator("form[action$='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def report_state(page, state):
    expect(
        page.get_by_test_id("report-state").locator(f"[data-report-state={state}]")
    ).to_be_visible()


def review(page, report, decision, comment=""):
    """From the review queue, open the report and record a decision on it."""
    page.locator("a.nav-link[href='/reviews/']").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    page.get_by_test_id("review-queue").locator(f"a[href='/reports/{report.pk}/review/']").click()
    expect(page).to_have_url(re.compile(rf"/reports/{report.pk}/review/$"))
    form = page.get_by_test_id("review-form")
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    # The decision is the button pressed, named for the action: 通过 or 退回修改.
    label = {"accepted": "通过", "returned": "退回修改"}[decision]
    form.get_by_role("button", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.get_by_test_id("review-queue")).to_have_count(0)


def confirm_submission(page, report_url, text):
    """报送 saves the draft and shows what goes to whom; 确认报送 submits it."""
    page.get_by_test_id("report-form").locator("button[name=confirm]").click()
    expect(page).to_have_url(re.compile(r"/assignments/\d+/report/submit/$"))
    expect(page.get_by_test_id("submit-summary")).to_contain_text("山东省教育工会")
    expect(page.get_by_test_id("submit-text")).to_contain_text(text)
    page.get_by_role("button", name="确认报送").click()
    expect(page).to_have_url(report_url)


def test_progress_report_return_and_accept(
    page, log_in, tree, people, edu_directive, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)
    study = edu_directive.requirements.get(kind=Requirement.Kind.STUDY)
    assignment_url = re.compile(rf"/assignments/{assignment.pk}/$")
    report_url = re.compile(rf"/assignments/{assignment.pk}/report/$")
    pdf = tiny_pdf()

    # The unit logs what it did, with a figure and a photo of the study session.
    log_in(page, "sdu_staff")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    row = page.get_by_test_id("tasks").locator(f"#task-{assignment.pk}")
    row.locator(f"a[href='/assignments/{assignment.pk}/']").click()
    expect(page).to_have_url(assignment_url)

    # The task page has what the work needs: 签收 here, the figures each requirement asks for.
    page.get_by_test_id("acknowledge-form").get_by_role("button", name="签收").click()
    expect(page).to_have_url(assignment_url)
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    expect(page.get_by_test_id("expected-figures").first).to_contain_text("需填报数据")

    requirement = page.get_by_test_id("requirement").first
    expect(requirement).to_have_attribute("data-requirement", str(study.pk))
    requirement.locator(
        f"a[href='/assignments/{assignment.pk}/requirements/{study.pk}/entries/new/']"
    ).click()
    form = page.get_by_test_id("entry-form")
    # The date starts at today and cannot go beyond it.
    today = timezone.localdate().isoformat()
    expect(form.locator("input[name=occurred_on]")).to_have_value(today)
    expect(form.locator("input[name=occurred_on]")).to_have_attribute("max", today)
    form.locator("input[name=occurred_on]").fill("2015-10-10")
    form.locator("textarea[name=narrative]").fill(NARRATIVE)
    form.locator("input[name=figure_participants]").fill("45")
    form.locator("input[name=files]").set_input_files(
        {"name": EVIDENCE_NAME, "mimeType": "application/pdf", "buffer": pdf}
    )
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(assignment_url)
    entry = page.get_by_test_id("requirement").first.get_by_test_id("entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(NARRATIVE)
    expect(entry).to_contain_text("45")
    evidence_link = entry.locator("a[href^='/evidence/']")
    expect(evidence_link).to_contain_text(EVIDENCE_NAME)
    download = page.request.get(evidence_link.get_attribute("href"))
    assert download.ok and download.body() == pdf
    assert download.headers["content-type"] == "application/pdf"

    # ...writes the report back and submits it.
    page.get_by_test_id("report-link").click()
    expect(page).to_have_url(report_url)
    report_state(page, "draft")
    form = page.get_by_test_id("report-form")
    form.locator("textarea[name=text]").fill(FIRST_TEXT)
    confirm_submission(page, report_url, FIRST_TEXT)
    report_state(page, "submitted")
    expect(page.get_by_test_id("report-form")).to_have_count(0)
    expect(page.get_by_test_id("submissions")).to_contain_text(FIRST_TEXT)
    log_out(page)

    # The education union returns it, saying what is missing.
    report = Report.objects.get(assignment=assignment)
    log_in(page, "edu")
    review(page, report, "returned", RETURN_COMMENT)
    log_out(page)

    # The unit sees why, revises and submits again.
    log_in(page, "sdu_staff")
    page.goto(f"/assignments/{assignment.pk}/")
    page.get_by_test_id("report-link").click()
    expect(page).to_have_url(report_url)
    report_state(page, "returned")
    expect(page.get_by_test_id("returned-comment")).to_contain_text(RETURN_COMMENT)
    form = page.get_by_test_id("report-form")
    expect(form.locator("textarea[name=text]")).to_have_value(FIRST_TEXT)
    form.locator("textarea[name=text]").fill(SECOND_TEXT)
    confirm_submission(page, report_url, SECOND_TEXT)
    report_state(page, "submitted")
    expect(page.get_by_test_id("returned-comment")).to_have_count(0)
    log_out(page)

    # The education union sees its earlier comment and what changed, and accepts.
    log_in(page, "edu")
    page.goto(f"/reports/{report.pk}/review/")
    expect(page.get_by_test_id("earlier-comment")).to_contain_text(RETURN_COMMENT)
    expect(page.get_by_test_id("text-diff").locator("ins")).not_to_have_count(0)
    review(page, report, "accepted")
    page.goto(f"/assignments/{assignment.pk}/report/")
    report_state(page, "accepted")

    report.refresh_from_db()
    assert report.state == Report.State.ACCEPTED
    assert report.text == SECOND_TEXT
    first, second = report.submissions.order_by("number")
    assert (first.number, first.text, first.decision, first.comment) == (
        1,
        FIRST_TEXT,
        Submission.Decision.RETURNED,
        RETURN_COMMENT,
    )
    assert (second.number, second.text, second.decision) == (
        2,
        SECOND_TEXT,
        Submission.Decision.ACCEPTED,
    )
    assert first.submitted_by == second.submitted_by == people.sdu_staff
    assert first.reviewed_by == second.reviewed_by == people.edu

    progress = assignment.progress_entries.get()
    assert progress.requirement == study
    assert progress.occurred_on.isoformat() == "2015-10-10"
    assert progress.author == people.sdu_staff
    assert progress.figure_values == {"participants": 45}
    evidence = Evidence.objects.get(entry=progress)
    assert (evidence.name, evidence.content_type, evidence.size) == (
        EVIDENCE_NAME,
        "application/pdf",
        len(pdf),
    )
    stored = Path(evidence.file.path)
    assert stored.is_relative_to(tmp_path / "media")
    assert stored.read_bytes() == pdf
