"""Progress by spreadsheet the way an office works: 代录 of what its units sent, imports
from a directive's page (no 文号 needed), templates filled with the user's unions, a
preview that shows the figures and questions unlikely dates, and an export page that says
which files can be imported again."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from directives.models import Directive, Figure
from directives.services import directive_issue, directive_set_recipients
from reports.exports import entries_table
from reports.models import ProgressEntry, SpreadsheetJob
from reports.resources import ProgressEntryResource
from tests.conftest import make_directive
from tests.files import csv_bytes, sheet_bytes

from .conftest import export_file, problems, run_import, upload

NUMBER = "鲁教工发〔2015〕12号"
HEADERS = [
    "发文单位代码",
    "文号",
    "单位代码",
    "工作要求序号",
    "日期",
    "工作情况",
    "组织学习场次",
    "参加人次",
]


def rows_of(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def job_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return SpreadsheetJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


@pytest.fixture
def resolution(tree, people):
    """The province's resolution: issued to its two children with no document number."""
    directive = make_directive(tree.province, user=people.province, title="省总工会全委会决议")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    directive = directive_issue(directive=directive)
    Directive.objects.filter(pk=directive.pk).update(issued_on=datetime.date(2015, 9, 1))
    return directive


# --- 代录 by import --------------------------------------------------------------------------


def test_a_supervisor_imports_what_its_units_sent_on_their_behalf(edu_directive, people, tree):
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "山东大学报来：集中学习", 2, 300],
        ["SD-EDU", NUMBER, "JN-EDU", 1, "2015-10-09", "济南报来：专题学习", 1, 40],
    ]
    outcome = run_import(
        ProgressEntryResource(user=people.edu), "代录.xlsx", sheet_bytes([HEADERS, *rows])
    )
    assert (problems(outcome), outcome.new) == ([], 2)
    entries = ProgressEntry.objects.select_related("assignment__recipient").order_by("pk")
    assert [(e.assignment.recipient.code, e.author, e.recorded_by_union) for e in entries] == [
        ("SDU", people.edu, tree.edu),
        ("JN-EDU", people.edu, tree.edu),
    ]

    # The export says who recorded them, and the office corrects them by a second import.
    exported = ProgressEntryResource(user=people.edu).export().dict
    assert [row["Recorded on behalf by"] for row in exported] == ["山东省教育工会"] * 2
    table = entries_table(people.edu)
    assert table.headers[-1] == "Recorded on behalf by"
    assert [row[-1] for row in table.rows] == ["山东省教育工会"] * 2
    rows[0][-1] = 320
    outcome = run_import(
        ProgressEntryResource(user=people.edu), "代录.xlsx", sheet_bytes([HEADERS, *rows])
    )
    assert (problems(outcome), outcome.updated) == ([], 1)
    # The unit itself may correct the entry recorded for it.
    rows[0][-1] = 330
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff), "进展.xlsx", sheet_bytes([HEADERS, rows[0]])
    )
    assert (problems(outcome), outcome.updated) == ([], 1)
    assert ProgressEntry.objects.get(narrative=rows[0][5]).figure_values[Figure.PARTICIPANTS] == 330


def test_the_chinese_export_has_a_column_for_the_recording_union(edu_directive, people):
    rows = [["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "代录的学习", 2, 300]]
    run_import(ProgressEntryResource(user=people.edu), "代录.xlsx", sheet_bytes([HEADERS, *rows]))
    with translation.override("zh-hans"):
        headers, row = rows_of(export_file(ProgressEntryResource(user=people.edu), "xlsx"))
    assert headers[-1] == "代录单位"
    assert row[-1] == "山东省教育工会"


def test_refusals_name_the_union_not_its_code(edu_directive, people, tree):
    Directive.objects.filter(pk=edu_directive.pk).update(state=Directive.State.CLOSED)
    row = ["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "集中学习", 2, 300]
    outcome = run_import(
        ProgressEntryResource(user=people.edu), "代录.xlsx", sheet_bytes([HEADERS, row])
    )
    assert problems(outcome) == [
        (
            2,
            "Unit code",
            "The directive is no longer in force: progress cannot be logged on it.",
        )
    ]
    Directive.objects.filter(pk=edu_directive.pk).update(state=Directive.State.ISSUED)
    # Staff of the union above do not record for its units.
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_supervisor), "x.xlsx", sheet_bytes([HEADERS, row])
    )
    assert problems(outcome) == []
    with translation.override("zh-hans"):
        entry = ProgressEntry.objects.get()
        row[-1] = 1
        outcome = run_import(
            ProgressEntryResource(user=people.province), "x.xlsx", sheet_bytes([HEADERS, row])
        )
        assert [p[2] for p in problems(outcome)] == [
            "这条记录是山东大学工会自己填写的，只有其成员可以修改。"
        ]
    assert entry.recorded_by_union is None
    assert not ProgressEntry.objects.exclude(pk=entry.pk).exists()


def test_a_union_in_scope_that_was_not_sent_the_directive_is_named(
    edu_directive, resolution, people
):
    row = ["SD-EDU", NUMBER, "SDU-WX", 1, "2015-10-08", "文学院的学习", 1, 1]
    outcome = run_import(
        ProgressEntryResource(user=people.edu), "x.xlsx", sheet_bytes([HEADERS, row])
    )
    assert problems(outcome) == [
        (
            2,
            "Unit code",
            f"Directive {NUMBER} of SD-EDU was not sent to 文学院分工会.",
        )
    ]
    resource = ProgressEntryResource(user=people.edu, directive=resolution)
    outcome = run_import(
        resource, "x.xlsx", sheet_bytes([HEADERS, ["SD", "", "SDU", 1, "2015-10-08", "x", 1, 1]])
    )
    assert problems(outcome) == [
        (2, "Unit code", "《省总工会全委会决议》 was not sent to 山东大学工会.")
    ]


# --- One directive's import, without 文号 ----------------------------------------------------


def test_a_directive_without_a_number_is_imported_from_its_page(login, people, resolution):
    client = login(people.edu)
    detail = client.get(reverse("directive_detail", args=[resolution.pk])).content.decode()
    url = reverse("directive_progress_import", args=[resolution.pk])
    assert url in detail
    assert client.get(url).status_code == 200
    content = csv_bytes(
        [
            ["单位代码", "工作要求序号", "日期", "工作情况", "组织学习场次", "参加人次"],
            ["SD-EDU", 1, "2015-10-08", "组织全系统学习决议", 3, 260],
        ]
    )
    job = job_of(client.post(url, {"file": upload("决议.csv", content)}))
    assert (job.parameters, job.error_count) == ({"directive": resolution.pk}, 0)
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    # The preview shows the figures of each row.
    assert "Study sessions held 3" in page or "组织学习场次 3" in page
    assert "260" in page
    client.post(reverse("import_confirm", args=[job.pk]))
    entry = ProgressEntry.objects.get()
    assert (entry.assignment.directive, entry.assignment.recipient.code) == (resolution, "SD-EDU")
    assert entry.figure_values == {Figure.STUDY_SESSIONS: 3, Figure.PARTICIPANTS: 260}


def test_rows_of_another_directive_are_refused_on_a_directives_import(
    resolution, edu_directive, people
):
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "误填的文件", 1, 1],
        ["SD", "", "QD", 1, "2015-10-08", "青岛不在范围内", 1, 1],
    ]
    resource = ProgressEntryResource(user=people.edu, directive=resolution)
    outcome = run_import(resource, "x.xlsx", sheet_bytes([HEADERS, *rows]))
    assert problems(outcome) == [
        (
            2,
            "Document number",
            f"This file is imported for 《省总工会全委会决议》, not for {NUMBER}.",
        ),
        (3, "Unit code", "《省总工会全委会决议》 was not sent to a union QD within your scope."),
    ]
    assert not ProgressEntry.objects.exists()


def test_a_directives_import_is_for_those_who_log_progress_on_it(
    login, people, resolution, edu_directive
):
    url = reverse("directive_progress_import", args=[resolution.pk])
    for user in (people.qingdao, people.edu, people.edu_staff, people.province):
        assert login(user).get(url).status_code == 200, user
    # Staff of a union it never reached; a user of no union.
    assert login(people.sdu_staff).get(url).status_code == 404
    assert login(people.loner).get(url).status_code == 404
    # The issuer's staff read the directive but log progress on it for nobody.
    own = reverse("directive_progress_import", args=[edu_directive.pk])
    assert login(people.edu_staff).get(own).status_code == 403
    assert login(people.loner).get(url).status_code == 404


# --- A template filled with the user's unions -------------------------------------------------


def test_the_template_lists_the_users_unions_and_the_directives_requirements(
    login, people, edu_directive
):
    client = login(people.edu)
    with translation.override("zh-hans"):
        response = client.get(
            reverse("directive_progress_template_xlsx", args=[edu_directive.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    headers, *rows = rows_of(response.content)
    assert headers[:7] == [
        "发文单位代码",
        "文号",
        "单位代码",
        "单位名称",
        "工作要求",
        "日期",
        "工作情况",
    ]
    assert headers[7:] == ["组织学习场次", "参加人次"]
    first, second = (r.title for r in edu_directive.requirements.order_by("position"))
    assert [(row[2], row[4]) for row in rows] == [
        ("JN-EDU", first),
        ("JN-EDU", second),
        ("SDU", first),
        ("SDU", second),
    ]
    csv = client.get(reverse("directive_progress_template_csv", args=[edu_directive.pk]))
    assert csv.content.decode("utf-8-sig").count("SDU") == 2
    staff = login(people.sdu_staff).get(
        reverse("directive_progress_template_xlsx", args=[edu_directive.pk])
    )
    assert [row[2] for row in rows_of(staff.content)[1:]] == ["SDU", "SDU"]


def test_a_template_filled_in_part_imports_the_rows_filled(login, people, edu_directive):
    client = login(people.edu)
    content = client.get(
        reverse("directive_progress_template_xlsx", args=[edu_directive.pk])
    ).content
    headers, *rows = rows_of(content)
    rows[2][5:9] = [datetime.date(2015, 10, 9), "山东大学报来的学习情况", 2, 300]
    url = reverse("directive_progress_import", args=[edu_directive.pk])
    job = job_of(client.post(url, {"file": upload("模板.xlsx", sheet_bytes([headers, *rows]))}))
    assert (job.error_count, job.outcome["new"]) == (0, 1)
    client.post(reverse("import_confirm", args=[job.pk]))
    entry = ProgressEntry.objects.select_related("assignment__recipient").get()
    assert (entry.assignment.recipient.code, entry.recorded_by_union.code) == ("SDU", "SD-EDU")


# --- Dates far from the directive's time ------------------------------------------------------


def test_unlikely_dates_are_questioned_and_the_future_is_refused(resolution, people):
    resource = ProgressEntryResource(user=people.edu, directive=resolution)
    rows = [
        ["SD-EDU", 1, "2015-08-01", "早于发文", 1, 1],
        ["SD-EDU", 1, "2019-10-08", "远在期限之后", 1, 1],
        ["SD-EDU", 1, "2015-10-08", "正常", 1, 1],
    ]
    headers = ["单位代码", "工作要求序号", "日期", "工作情况", "组织学习场次", "参加人次"]
    outcome = run_import(resource, "x.xlsx", sheet_bytes([headers, *rows]), dry_run=True)
    assert problems(outcome) == []
    assert [(w.row, w.column, w.message) for w in outcome.warnings] == [
        (
            2,
            "Date",
            "Aug. 1, 2015 is before the directive was issued (Sept. 1, 2015): check the year.",
        ),
        (
            3,
            "Date",
            "Oct. 8, 2019 is more than a year after the requirement fell due (Oct. 31, 2015): "
            "check the year.",
        ),
    ]
    future = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    outcome = run_import(
        resource, "x.xlsx", sheet_bytes([headers, ["SD-EDU", 1, future, "未来", 1, 1]])
    )
    assert [(p[0], p[1]) for p in problems(outcome)] == [(2, "Date")]
    assert "cannot be dated after today" in problems(outcome)[0][2]
    assert not ProgressEntry.objects.exists()


def test_the_preview_page_lists_the_warnings(login, people, resolution):
    client = login(people.edu)
    content = csv_bytes(
        [["单位代码", "工作要求序号", "日期", "工作情况"], ["SD-EDU", 1, "2012-10-08", "早"]]
    )
    url = reverse("directive_progress_import", args=[resolution.pk])
    job = job_of(client.post(url, {"file": upload("x.csv", content)}))
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-testid="row-warnings"' in page
    assert 'data-testid="confirm"' in page


# --- The export page says what can be imported again ----------------------------------------


def test_the_export_page_says_which_files_can_be_imported_again(login, people):
    def notes(user):
        page = login(user).get(reverse("export_list"))
        return {kind: str(note) for kind, _label, note in page.context["kinds"]}

    staff, supervisor = notes(people.sdu_staff), notes(people.edu)
    assert staff["entries"] == "本单位的进展记录修改后可以再次导入。"
    assert "本单位为下级单位代录的记录" in supervisor["entries"]
    assert "下级单位自己填写的记录仅供查看" in supervisor["entries"]
    assert supervisor["unions"] == "仅供查看：只有管理员可以导入组织架构。"
    page = login(people.edu).get(reverse("export_list")).content.decode()
    assert "导出的文件修改后可以再次导入" not in page


def test_the_preview_lists_each_rows_figures(login, people, edu_directive):
    client = login(people.sdu_staff)
    content = csv_bytes([HEADERS, ["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "集中学习", 2, 320]])
    job = job_of(
        client.post(reverse("import_new", args=["progress"]), {"file": upload("x.csv", content)})
    )
    assert job.outcome["rows"] == [
        [2, "new", "山东大学工会 · 组织集体学习 · 2015年10月8日 · 组织学习场次 2，参加人次 320"]
    ]
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "组织学习场次 2，参加人次 320" in page
    # The kind's own page points to the directive's import and its filled template.
    page = client.get(reverse("import_new", args=["progress"])).content.decode()
    assert 'data-testid="directive-import-hint"' in page
