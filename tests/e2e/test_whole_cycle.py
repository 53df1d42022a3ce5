"""One directive's whole life, through the screens only, as the union offices would live it.

山东省教育工会's supervisor writes and issues a directive with two requirements to its
unions; 山东大学工会's staff acknowledges it; 山东大学工会's supervisor forwards it to the
union beneath; staff logs progress with figures and a photo, and reports back; the
education union returns the report with a comment, staff revises it and the education
union accepts it; the dashboard shows the university union done and on time, with its
figures; the completion table downloads as xlsx and holds its row.

The clock is set for each step (the live server runs in this process), so that the dates
on the pages are those of an autumn in 2015, whatever day the test runs.

With GQTRACK_SCREENSHOTS=1 the flow also saves the key pages, from a window 1280 pixels
wide, to docs/screenshots/, where README shows some of them.
"""

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from directives.models import Assignment, Directive
from reports.models import Report, RequirementProgress
from tests.files import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TALLEST_SCREENSHOT = 1400  # px; a longer page is cut off there
MARGIN = 12  # px of background kept around the content

TITLE = "关于组织学习宣传贯彻省总工会全委会议精神的通知"
NUMBER = "鲁教工发〔2015〕23号"
BODY = "各市教育工会、各高校工会：\n请结合本单位实际，组织工会干部和教职工学习会议精神，并按时报送学习贯彻情况。"
STUDY = "组织专题学习"
STUDY_NOTE = "以分工会为单位组织学习，报送学习场次和参加人次。"
REPORT = "报送学习贯彻情况"
NARRATIVE = (
    "10月16日，校工会召开全委会扩大会议专题学习会议精神，各分工会主席结合本单位工作作了交流发言。"
)
EVIDENCE = "全委会扩大会议现场.png"
FIRST_TEXT = "我校工会召开全委会扩大会议，专题学习会议精神。"
COMMENT = "请补充各分工会的学习情况和下一步工作安排。"
SECOND_TEXT = (
    FIRST_TEXT + "全校23个分工会已全部组织学习；下一步将把会议精神纳入教职工政治理论学习内容。"
)


def at(month, day, hour, minute=0):
    """A moment in Shanghai in 2015, as the UTC time the app keeps."""
    return datetime.datetime(2015, month, day, hour - 8, minute, tzinfo=datetime.UTC)


def screenshot(page, name, *, down_to=None):
    """Save the page as docs/screenshots/<name>.png, cut to the width of its content and at
    the end of it (or of the element `down_to`), nothing hovered or focused, in 256 colours.

    Only when GQTRACK_SCREENSHOTS=1, so that ordinary runs leave the committed set alone.
    """
    if os.environ.get("GQTRACK_SCREENSHOTS") != "1":
        return
    pngquant = shutil.which("pngquant")
    assert pngquant, "GQTRACK_SCREENSHOTS=1 needs pngquant: apt-get install pngquant"
    # A window as tall as the tallest screenshot rather than Playwright's full-page capture,
    # which resizes the page while it draws it: the dashboard's charts shrank mid-capture.
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": TALLEST_SCREENSHOT})
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    left, right = page.locator("main").evaluate(
        """main => {
            const style = getComputedStyle(main), box = main.getBoundingClientRect();
            return [box.left + parseFloat(style.paddingLeft), box.right - parseFloat(style.paddingRight)];
        }"""
    )
    bottom = (down_to or page.locator("main")).evaluate(
        """element => element.tagName === "MAIN"
            ? Math.max(...Array.from(element.children, child => child.getBoundingClientRect().bottom))
            : element.getBoundingClientRect().bottom"""
    )
    png = page.screenshot(
        clip={
            "x": max(left - MARGIN, 0),
            "y": 0,
            "width": min(right - left + 2 * MARGIN, viewport["width"]),
            "height": min(bottom + MARGIN, TALLEST_SCREENSHOT),
        },
        animations="disabled",
        caret="hide",
    )
    page.set_viewport_size(viewport)
    smaller = subprocess.run(
        [pngquant, "--speed=1", "--strip", "-"], input=png, capture_output=True, check=True
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.png").write_bytes(smaller.stdout)


def log_out(page):
    page.locator("form[action$='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def nav(page, label):
    page.locator("#gq-nav").get_by_role("link", name=label, exact=True).click()


def open_task(page):
    """From 我的任务, the university union's page for the directive."""
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    page.get_by_test_id("tasks").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(r"/assignments/\d+/$"))


def requirement_card(page, title):
    return page.get_by_test_id("requirement").filter(has_text=title)


def mark_done(page, title):
    card = requirement_card(page, title)
    card.get_by_role("button", name="标记为完成").click()
    expect(requirement_card(page, title).get_by_role("button", name="重新打开")).to_be_visible()


def review_from_queue(page):
    """From the review queue, open the university union's report."""
    nav(page, "报告审核")
    queue = page.get_by_test_id("review-queue")
    queue.locator("tr", has_text="山东大学工会").get_by_role("link", name="审核").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/review/$"))


def report_state(page, state):
    expect(
        page.get_by_test_id("report-state").locator(f"[data-report-state={state}]")
    ).to_be_visible()


def dashboard_row(page, name):
    return page.get_by_test_id("dashboard-rows").locator("tr", has_text=name)


def issue(page):
    """印发 shows how many units the directive reaches; 确认印发 issues it."""
    page.get_by_role("link", name="印发", exact=True).click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/issue/$"))
    expect(page.get_by_test_id("recipient-count")).to_contain_text("个单位")
    page.get_by_role("button", name="确认印发").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/$"))
    expect(page.get_by_role("link", name="印发", exact=True)).to_have_count(0)


def confirm_submission(page):
    """报送 shows to whom the report goes and what it says; 确认报送 submits it."""
    expect(page).to_have_url(re.compile(r"/report/submit/$"))
    expect(page.get_by_test_id("submit-summary")).to_contain_text("山东省教育工会")
    page.get_by_role("button", name="确认报送").click()


def test_a_directive_goes_down_and_its_report_comes_back(
    page, log_in, tree, people, clock, offsite_requests, tmp_path
):
    # The guard that keeps the browser on the live server is on this page's context:
    # a request elsewhere is recorded and never sent. (Tried from a blank page: the app's
    # own pages refuse it sooner, by their Content-Security-Policy.)
    assert page.viewport_size["width"] == 1280
    page.goto("about:blank")
    assert page.evaluate("fetch('http://192.0.2.1/probe').then(() => 'sent', () => 'blocked')") == (
        "blocked"
    )
    assert offsite_requests == ["http://192.0.2.1/probe"]
    offsite_requests.clear()

    # The people behind the personas have names, as in an office.
    for user, family, given in [
        (people.edu, "李", "明"),
        (people.sdu_staff, "王", "芳"),
        (people.sdu_supervisor, "张", "伟"),
    ]:
        user.last_name, user.first_name = family, given
        user.save(update_fields=["last_name", "first_name"])

    # 1. The education union writes the directive and issues it to its unions.
    clock(at(10, 8, 9, 30))
    log_in(page, "edu")
    nav(page, "文件")
    page.get_by_role("link", name="新建文件").click()
    expect(page).to_have_url(re.compile(r"/directives/new/$"))
    page.fill("#id_title", TITLE)
    page.fill("#id_number", NUMBER)
    page.fill("#id_body", BODY)
    page.select_option("#id_requirements-0-kind", "study")
    page.fill("#id_requirements-0-title", STUDY)
    page.fill("#id_requirements-0-due_on", "2015-10-31")
    page.fill("#id_requirements-0-description", STUDY_NOTE)
    page.check("input[name=requirements-0-figures][value=study_sessions]")
    page.check("input[name=requirements-0-figures][value=participants]")
    page.get_by_test_id("directive-form").locator("[data-add-requirement]").click()
    page.select_option("#id_requirements-1-kind", "report")
    page.fill("#id_requirements-1-title", REPORT)
    page.fill("#id_requirements-1-due_on", "2015-11-13")
    page.check("input[name=recipient_mode][value=children]")
    page.get_by_test_id("directive-form").get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/$"))
    issue(page)
    requirements = page.get_by_test_id("requirements")
    expect(requirements).to_contain_text(STUDY)
    expect(requirements).to_contain_text("组织学习场次")
    expect(requirements).to_contain_text(REPORT)
    expect(page.get_by_test_id("recipients")).to_contain_text("山东大学工会")
    log_out(page)

    # 2. The university union's staff finds it among its tasks and acknowledges it.
    clock(at(10, 9, 10))
    log_in(page, "sdu_staff")
    task = page.get_by_test_id("tasks").locator("tr", has_text=TITLE)
    expect(task).to_contain_text(NUMBER)
    screenshot(page, "tasks")
    task.get_by_role("button", name="签收").click()
    expect(task.get_by_test_id("acknowledged")).to_be_visible()
    log_out(page)

    # 3. Its supervisor forwards the directive to the union beneath and issues the forward.
    clock(at(10, 9, 15))
    log_in(page, "sdu_supervisor")
    open_task(page)
    page.get_by_role("link", name=f"文件：{TITLE}").click()
    page.get_by_role("button", name="转发至下级单位").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/edit/$"))
    expect(page.locator("#id_requirements-0-title")).to_have_value(STUDY)
    page.get_by_test_id("directive-form").get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/$"))
    issue(page)
    expect(page.get_by_test_id("chain")).to_contain_text("山东省教育工会")
    expect(page.get_by_test_id("recipients")).to_contain_text("文学院分工会")
    log_out(page)

    # 4. Staff logs what the union did, with the figures asked for and a photo.
    clock(at(10, 20, 16))
    log_in(page, "sdu_staff")
    open_task(page)
    requirement_card(page, STUDY).get_by_role("link", name="填报进展").click()
    form = page.get_by_test_id("entry-form")
    form.locator("input[name=occurred_on]").fill("2015-10-16")
    form.locator("textarea[name=narrative]").fill(NARRATIVE)
    form.locator("input[name=figure_study_sessions]").fill("3")
    form.locator("input[name=figure_participants]").fill("126")
    form.locator("input[name=files]").set_input_files(
        {"name": EVIDENCE, "mimeType": "image/png", "buffer": png_bytes()}
    )
    screenshot(page, "progress-form")
    form.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/assignments/\d+/$"))
    entry = requirement_card(page, STUDY).get_by_test_id("entry")
    expect(entry).to_contain_text(NARRATIVE)
    expect(entry).to_contain_text("组织学习场次 3")
    expect(entry).to_contain_text("参加人次 126")
    expect(entry.get_by_role("link", name=EVIDENCE)).to_be_visible()
    mark_done(page, STUDY)

    # 5. ...and reports back to the education union, the requirement to do so done with it.
    page.get_by_test_id("report-link").click()
    report_state(page, "draft")
    form = page.get_by_test_id("report-form")
    form.locator("textarea[name=text]").fill(FIRST_TEXT)
    form.locator("input[name$=_study_sessions]").fill("3")
    form.locator("input[name$=_participants]").fill("126")
    form.get_by_role("button", name="报送", exact=True).click()
    confirm_submission(page)
    report_state(page, "submitted")
    expect(page.get_by_test_id("submissions")).to_contain_text("第1版")
    page.get_by_role("link", name=re.compile("山东大学工会 · ")).click()
    # The report-back requirement follows the report: done once it is sent, no tick needed.
    report_back = requirement_card(page, REPORT)
    expect(report_back.locator("[data-status=done]")).to_be_visible()
    expect(report_back.get_by_role("button", name="标记为完成")).to_have_count(0)
    log_out(page)

    # 6. The education union returns the report, saying what is missing.
    clock(at(10, 22, 10))
    log_in(page, "edu")
    review_from_queue(page)
    expect(page.get_by_test_id("submission-text")).to_have_text(FIRST_TEXT)
    expect(page.locator("main table")).to_contain_text("126")
    review = page.get_by_test_id("review-form")
    review.locator("textarea[name=comment]").fill(COMMENT)
    screenshot(page, "review")
    review.get_by_role("button", name="退回修改").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.get_by_test_id("review-queue")).to_have_count(0)
    log_out(page)

    # 7. Staff sees why, revises the report and submits it again.
    clock(at(10, 23, 9))
    log_in(page, "sdu_staff")
    open_task(page)
    page.get_by_test_id("report-link").click()
    report_state(page, "returned")
    expect(page.get_by_test_id("returned-comment")).to_contain_text(COMMENT)
    screenshot(page, "report-returned", down_to=page.get_by_test_id("report-form"))
    form = page.get_by_test_id("report-form")
    expect(form.locator("textarea[name=text]")).to_have_value(FIRST_TEXT)
    form.locator("textarea[name=text]").fill(SECOND_TEXT)
    form.get_by_role("button", name="报送", exact=True).click()
    confirm_submission(page)
    report_state(page, "submitted")
    expect(page.get_by_test_id("returned-comment")).to_have_count(0)
    expect(page.get_by_test_id("submissions")).to_contain_text("第2版")
    log_out(page)

    # 8. The education union accepts the revised version.
    clock(at(10, 26, 11))
    log_in(page, "edu")
    review_from_queue(page)
    expect(page.get_by_test_id("submission-text")).to_have_text(SECOND_TEXT)
    review = page.get_by_test_id("review-form")
    review.get_by_role("button", name="通过", exact=True).click()
    expect(page.get_by_test_id("review-queue")).to_have_count(0)

    # 9. The directive's page and its dashboard: the university union done, on time.
    nav(page, "文件")
    page.get_by_role("link", name="本单位发文").click()
    page.get_by_test_id("directives").get_by_role("link", name=TITLE).click()
    recipients = page.get_by_test_id("recipients")
    expect(recipients.locator("tr", has_text="山东大学工会")).to_contain_text("是")
    expect(recipients.locator("tr", has_text="济南市教育工会")).to_contain_text("未签收")
    screenshot(page, "directive")
    page.get_by_test_id("dashboard-link").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/dashboard/$"))
    sdu = dashboard_row(page, "山东大学工会")
    expect(sdu).to_contain_text("1 / 0 / 0 / 0")  # its report: on time / late / missing / returned
    expect(page.get_by_test_id("report-on_time")).to_have_text("1")
    figures = page.get_by_test_id("figures").locator("tr", has_text="山东大学工会")
    expect(figures.locator("td")).to_have_text(["山东大学工会", "3", "126"])
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-statuses')")
    screenshot(page, "dashboard")
    # Beneath it, the university union's own row is all done; the forward is still open.
    sdu.get_by_role("link", name="山东大学工会").click()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("山东大学工会")
    own = dashboard_row(page, "本单位")
    expect(own.get_by_test_id("percent")).to_have_text("100%")
    expect(own).to_contain_text("1 / 0 / 0 / 0")
    expect(dashboard_row(page, "文学院分工会").get_by_test_id("percent")).to_have_text("0%")

    # 10. The completion table comes down as xlsx and holds the university union's row.
    page.get_by_test_id("breadcrumbs").get_by_role("link", name="山东省教育工会").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-matrix").click()
    saved = tmp_path / download.value.suggested_filename
    assert saved.suffix == ".xlsx"
    download.value.save_as(saved)
    assert saved.name.startswith("完成情况表") and NUMBER in saved.name
    sheet = openpyxl.load_workbook(saved, read_only=True).active
    header, *rows, total = [list(row) for row in sheet.iter_rows(values_only=True)]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_code) == {"JN-EDU", "SDU", "SDU-WX"}
    assert total[:2] == ["合计", "下发3个单位"]
    university = by_code["SDU"]
    assert university["单位名称"] == "山东大学工会"
    assert university["是否转发"] == "是"
    assert university[STUDY] == university[REPORT] == "已完成"
    assert university["情况报告"] == "按时报送"
    assert university[f"{STUDY} · 组织学习场次"] == 3
    assert university[f"{STUDY} · 参加人次"] == 126
    nav(page, "导出")
    expect(page.get_by_test_id("exports")).to_be_visible()
    screenshot(page, "exports")
    log_out(page)

    # What the screens said is what was stored.
    directive = Directive.objects.get(number=NUMBER)
    assignment = Assignment.objects.get(directive=directive, recipient=tree.sdu)
    assert assignment.acknowledged_by == people.sdu_staff
    assert directive.forwards.get().issuer == tree.sdu
    report = Report.objects.get(assignment=assignment)
    assert (report.state, report.text) == (Report.State.ACCEPTED, SECOND_TEXT)
    assert list(report.submissions.order_by("number").values_list("decision", "comment")) == [
        ("returned", COMMENT),
        ("accepted", ""),
    ]
    assert not RequirementProgress.objects.filter(assignment=assignment, done_at=None).exists()
    evidence = assignment.progress_entries.get().evidence.get()
    assert (evidence.name, evidence.file.read()) == (EVIDENCE, png_bytes())

    # And the browser never asked anything of any host but the live server.
    assert offsite_requests == []
