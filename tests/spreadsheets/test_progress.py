"""Progress entries and reports as spreadsheets: written by the unit, read by those above."""

import datetime

from django.utils import translation

from directives.models import Directive, Figure
from directives.services import figure_for_directive
from reports.exports import entries_table
from reports.models import EntryFigure, ProgressEntry, Report
from reports.resources import ProgressEntryResource, ReportResource
from reports.services import report_for, report_save, report_submit
from tests.files import csv_bytes, sheet_bytes

from .conftest import export_file, problems, run_import

ENTRY_HEADERS = [
    "发文单位代码",
    "文号",
    "单位代码",
    "工作要求序号",
    "日期",
    "工作情况",
    "组织学习场次",
    "参加人次",
]
NUMBER = "鲁教工发〔2015〕12号"


def entries():
    return sorted(
        (e.assignment.recipient.code, e.requirement.position, e.occurred_on, e.narrative, e.version)
        for e in ProgressEntry.objects.select_related("assignment__recipient", "requirement")
    )


def history():
    return ProgressEntry.history.count(), EntryFigure.history.count()


def test_staff_import_entries_with_every_shape_of_date(edu_directive, people):
    dates = [
        "2015-10-01",
        "2015/10/2",
        "2015年10月3日",
        "２０１５年１０月４日",
        datetime.date(2015, 10, 5),
        datetime.datetime(2015, 10, 6, 0, 0),
        42284,  # an Excel serial number
    ]
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, day, f"第{n}次学习", n, "１２０"]
        for n, day in enumerate(dates, 1)
    ]
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff),
        "进展.xlsx",
        sheet_bytes([ENTRY_HEADERS, *rows]),
    )
    assert problems(outcome) == []
    assert outcome.new == 7
    days = list(ProgressEntry.objects.order_by("occurred_on").values_list("occurred_on", flat=True))
    assert days == [datetime.date(2015, 10, d) for d in range(1, 8)]
    entry = ProgressEntry.objects.get(narrative="第3次学习")
    assert entry.figure_values == {Figure.STUDY_SESSIONS: 3, Figure.PARTICIPANTS: 120}
    assert entry.author == people.sdu_staff


def test_bad_rows_are_listed_and_nothing_is_written(edu_directive, sdu_entry, people):
    before, written = entries(), history()
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-01", "集中学习", 2, 100],
        ["SD-EDU", NUMBER, "SDU", 1, "2015年2月30日", "集中学习", 2, 100],
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-02", "集中学习", "两次", -5],
        ["SD-EDU", NUMBER, "SDU", 2, "2015-10-03", "报送情况", 1, ""],
        ["SD-EDU", NUMBER, "SDU", 9, "2015-10-04", "集中学习", "", ""],
        ["SD-EDU", NUMBER, "JN-EDU", 1, "2015-10-05", "替济南填写", 1, 1],
        ["SD-EDU", NUMBER, "QD", 1, "2015-10-06", "青岛", 1, 1],
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-01", "集中学习", 2, 100],
    ]
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff),
        "进展.xlsx",
        sheet_bytes([ENTRY_HEADERS, *rows]),
    )
    outside = (
        "Directive 鲁教工发〔2015〕12号 of SD-EDU was not sent to a union {} within your scope."
    )
    assert problems(outcome) == [
        (3, "Date", "“2015年2月30日” is not a day of the calendar."),
        (4, "Study sessions held", "“两次” is not a whole number of zero or more."),
        (4, "Participants", "“-5” is not a whole number of zero or more."),
        (
            5,
            "Study sessions held",
            "The requirement “报送学习贯彻情况” does not ask for this figure.",
        ),
        (6, "Requirement", "Directive 鲁教工发〔2015〕12号 has no requirement “9”."),
        (7, "Unit code", outside.format("JN-EDU")),
        (8, "Unit code", outside.format("QD")),
        (
            9,
            "",
            # In English, a list is joined with commas.
            "Row 2 already has the same Issuer code, Document number, Unit code, "
            "Requirement, Date, What was done.",
        ),
    ]
    assert not outcome.written
    assert entries() == before
    assert history() == written


def test_entries_round_trip_and_a_second_import_changes_nothing(sdu_entry, jinan_entry, people):
    before, written = entries(), history()
    for user in (people.edu, people.sdu_staff):
        for extension in ("xlsx", "csv"):
            content = export_file(ProgressEntryResource(user=user), extension)
            outcome = run_import(ProgressEntryResource(user=user), f"进展.{extension}", content)
            assert problems(outcome) == []
            assert (outcome.new, outcome.updated) == (0, 0)
    assert entries() == before
    assert history() == written


def test_a_changed_figure_updates_the_entry_and_counts_a_version(sdu_entry, people):
    row = ["SD-EDU", NUMBER, "SDU", 1, sdu_entry.occurred_on, sdu_entry.narrative, 3, 320]
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff), "进展.xlsx", sheet_bytes([ENTRY_HEADERS, row])
    )
    assert (problems(outcome), outcome.updated) == ([], 1)
    sdu_entry.refresh_from_db()
    assert sdu_entry.figure_values == {Figure.STUDY_SESSIONS: 3, Figure.PARTICIPANTS: 320}
    assert sdu_entry.version == 2


def test_supervisors_read_but_do_not_change_what_their_units_wrote(sdu_entry, jinan_entry, people):
    assert [row["Unit code"] for row in ProgressEntryResource(user=people.edu).export().dict] == [
        "JN-EDU",
        "SDU",
    ]
    assert [r["Unit code"] for r in ProgressEntryResource(user=people.sdu_staff).export().dict] == [
        "SDU"
    ]
    assert ProgressEntryResource(user=people.qingdao).export().dict == []
    row = ["SD-EDU", NUMBER, "SDU", 1, sdu_entry.occurred_on, sdu_entry.narrative, 5, 320]
    outcome = run_import(
        ProgressEntryResource(user=people.edu), "进展.xlsx", sheet_bytes([ENTRY_HEADERS, row])
    )
    assert problems(outcome) == [
        (
            2,
            "Unit code",
            "This entry was written by 山东大学工会 itself: only its members change it.",
        )
    ]


def test_progress_on_a_closed_directive_is_refused(edu_directive, people):
    Directive.objects.filter(pk=edu_directive.pk).update(state=Directive.State.CLOSED)
    row = ["SD-EDU", NUMBER, "SDU", 1, "2015-10-01", "集中学习", 1, 1]
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff), "进展.csv", csv_bytes([ENTRY_HEADERS, row])
    )
    assert [p[1] for p in problems(outcome)] == ["Unit code"]
    assert not ProgressEntry.objects.exists()


REPORT_HEADERS = ["发文单位代码", "文号", "单位代码", "情况报告"]


def test_a_unit_imports_the_text_of_its_draft_report(edu_directive, people, tree):
    content = csv_bytes([REPORT_HEADERS, ["SD-EDU", NUMBER, "SDU", "已完成集中学习。"]])
    outcome = run_import(ReportResource(user=people.sdu_staff), "报告.csv", content)
    assert problems(outcome) == []
    report = Report.objects.get(assignment__recipient=tree.sdu)
    assert (report.text, report.state) == ("已完成集中学习。", Report.State.DRAFT)
    again = run_import(ReportResource(user=people.sdu_staff), "报告.csv", content)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)


def test_a_submitted_report_cannot_be_changed_by_import(sdu_assignment, people):
    report = report_save(report=report_for(sdu_assignment), text="报告", figures={})
    report_submit(report=report, user=people.sdu_staff)
    content = csv_bytes([REPORT_HEADERS, ["SD-EDU", NUMBER, "SDU", "改过的报告"]])
    outcome = run_import(ReportResource(user=people.sdu_staff), "报告.csv", content)
    assert problems(outcome) == [(2, "Report", "A submitted or accepted report cannot be changed.")]
    assert Report.objects.get(pk=report.pk).text == "报告"


def test_report_exports_hide_other_units_drafts(sdu_assignment, edu_directive, people, tree):
    report_save(report=report_for(sdu_assignment), text="山大草稿", figures={})
    jinan = report_save(
        report=report_for(edu_directive.assignments.get(recipient=tree.jinan_edu)),
        text="济南报告",
        figures={},
    )
    report_submit(report=jinan, user=people.jinan_staff)
    assert [r["Report"] for r in ReportResource(user=people.edu).export().dict] == ["济南报告"]
    assert [r["Report"] for r in ReportResource(user=people.sdu_staff).export().dict] == [
        "山大草稿"
    ]
    exported = ReportResource(user=people.edu).export().dict[0]
    assert exported["State"] == "Submitted"
    assert isinstance(exported["Submitted at"], datetime.datetime)


def test_a_nul_character_or_an_overlong_narrative_is_a_row_error(edu_directive, people):
    """The forms refuse both; PostgreSQL would refuse NUL with an error of its own."""
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "学习\x00会议精神", 1, 10],
        ["SD-EDU", NUMBER, "SDU", 1, "2015-10-09", "学" * 10_001, 1, 10],
    ]
    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff),
        "进展.csv",
        csv_bytes([ENTRY_HEADERS, *rows]),
    )

    assert [(row, column) for row, column, _message in problems(outcome)] == [
        (2, "What was done"),
        (3, "What was done"),
    ]
    assert entries() == []


def test_a_directives_own_figure_imports_and_exports_after_the_standard_columns(
    edu_directive, people
):
    study = edu_directive.requirements.get(position=1)
    covered = figure_for_directive(directive=edu_directive, name="覆盖职工人数")
    study.set_figures([*study.figure_codes, covered.code], targets={covered.code: 500})
    rows = [["SD-EDU", NUMBER, "SDU", 1, "2015-10-08", "全校覆盖", 1, 80, 640]]

    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff),
        "进展.csv",
        csv_bytes([[*ENTRY_HEADERS, "覆盖职工人数"], *rows]),
    )

    assert problems(outcome) == []
    entry = ProgressEntry.objects.get(narrative="全校覆盖")
    assert entry.figure_values == {
        Figure.STUDY_SESSIONS: 1,
        Figure.PARTICIPANTS: 80,
        covered.code: 640,
    }
    # The standard columns keep their places; the directive's own comes after the
    # export-only columns (佐证材料, 记录人, 代录单位).
    resource = ProgressEntryResource(user=people.sdu_staff)
    with translation.override("zh-hans"):
        headers = resource.get_export_headers()
        assert headers[7:] == [
            *(str(label) for label in Figure.labels),
            "佐证材料",
            "记录人",
            "代录单位",
            "覆盖职工人数",
        ]
    lines = export_file(resource, "csv").decode("utf-8-sig").splitlines()
    assert lines[-1].endswith(",640")
    # The app's own export of entries writes the same columns.
    table = entries_table(people.sdu_staff)
    row = next(r for r in table.rows if "全校覆盖" in r)
    assert len(row) == len(table.headers) and row[-1] == 640
    # Another union's staff, outside the cascade, gets no column for it.
    assert "覆盖职工人数" not in ProgressEntryResource(user=people.qd_staff).get_export_headers()
