"""A unit's staff member imports progress entries from a spreadsheet: the preview lists the
bad row, the corrected file previews clean, and the confirmed import writes the entries."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import ProgressEntry, SpreadsheetJob
from tests.files import sheet_bytes
from tests.spreadsheets.test_progress import ENTRY_HEADERS as HEADERS
from tests.spreadsheets.test_progress import NUMBER

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "组织全校教职工集中学习会议精神"
SECOND = "各分工会分别开展专题学习"


def progress_file(second_day):
    return sheet_bytes(
        [
            HEADERS,
            ["SD-EDU", NUMBER, "SDU", 1, "2015年10月20日", FIRST, 2, 320],
            ["SD-EDU", NUMBER, "SDU", 1, second_day, SECOND, 5, "１２０"],
        ]
    )


def upload(page, name, content):
    page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": content}
    )
    page.get_by_test_id("upload-form").get_by_role("button", name="预览").click()


def test_upload_fix_and_confirm_progress_entries(page, log_in, tree, people, edu_directive):
    log_in(page, "sdu_staff")
    page.get_by_test_id("nav-import").click()
    page.get_by_test_id("import-kinds").get_by_role("link", name="导入进展记录").click()
    expect(page.get_by_test_id("import-columns")).to_contain_text("工作情况")

    upload(page, "进展记录.xlsx", progress_file("2015年2月30日"))

    errors = page.get_by_test_id("row-errors")
    expect(errors).to_contain_text("日期")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").first).to_have_text("3")
    expect(page.get_by_test_id("confirm")).to_have_count(0)
    assert not ProgressEntry.objects.exists()

    page.get_by_role("link", name="上传改正后的文件").click()
    upload(page, "进展记录.xlsx", progress_file("2015年10月28日"))

    expect(page.get_by_test_id("job-counts").locator("[data-count=new]")).to_have_text("2")
    expect(page.get_by_test_id("preview-rows").locator("tbody tr")).to_have_count(2)
    assert not ProgressEntry.objects.exists()
    page.get_by_test_id("confirm").click()

    expect(page.locator("[data-job-state=imported]")).to_be_visible()
    entries = ProgressEntry.objects.filter(assignment__recipient=tree.sdu).order_by("occurred_on")
    assert [(e.narrative, e.figure_values) for e in entries] == [
        (FIRST, {"study_sessions": 2, "participants": 320}),
        (SECOND, {"study_sessions": 5, "participants": 120}),
    ]
    assert {e.author for e in entries} == {people.sdu_staff}

    page.get_by_test_id("nav-import").click()
    expect(page.get_by_test_id("import-list").locator("tbody tr")).to_have_count(2)


def test_the_page_of_a_background_import_follows_it_to_the_end(page, log_in, tree, people):
    job = SpreadsheetJob.objects.create(
        user=people.edu,
        kind="directives",
        file_name="文件.csv",
        dry_run=True,
        state=SpreadsheetJob.State.RUNNING,
        rows_total=4000,
        rows_done=1000,
    )
    log_in(page, "edu")
    page.goto(f"/imports/jobs/{job.pk}/")
    expect(page.get_by_test_id("rows-done")).to_contain_text("1000 / 4000")

    SpreadsheetJob.objects.filter(pk=job.pk).update(rows_done=3000)
    expect(page.get_by_test_id("rows-done")).to_contain_text("3000 / 4000")
    SpreadsheetJob.objects.filter(pk=job.pk).update(
        state=SpreadsheetJob.State.DONE,
        finished_at=timezone.now(),
        outcome={"errors": [], "error_count": 0, "new": 4000, "updated": 0, "unchanged": 0},
    )

    expect(page.get_by_test_id("confirm")).to_be_visible()
    expect(page.get_by_test_id("job-counts").locator("[data-count=new]")).to_have_text("4000")
    expect(page).to_have_url(re.compile(rf"/imports/jobs/{job.pk}/$"))
