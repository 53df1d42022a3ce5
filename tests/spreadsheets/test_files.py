"""Reading files: formats, encodings, limits and damaged or hostile files."""

import datetime

import openpyxl
import pytest
from django.utils import translation

from directives.models import Union
from directives.resources import UnionResource
from directives.spreadsheets.cells import ChoiceWidget, spreadsheet_date, spreadsheet_whole_number
from tests.files import PDF, csv_bytes, sheet_bytes, xml_bomb_xlsx_bytes, zip_bomb_xlsx_bytes

from .conftest import problems, run_import

HEADERS = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]
ROW = ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"]


@pytest.mark.parametrize(
    "cell",
    [
        "2015-09-23",
        "2015/9/23",
        "2015.9.23",
        "2015年9月23日",
        "2015 年 9 月 23 日",
        "２０１５年９月２３日",
        "２０１５－０９－２３",
        "2015/9/23 0:00",
        datetime.date(2015, 9, 23),
        datetime.datetime(2015, 9, 23, 0, 0),
        42270,
        42270.0,
        "42270",
    ],
)
def test_it_reads_every_shape_of_date(cell):
    assert spreadsheet_date(cell) == datetime.date(2015, 9, 23)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2015年2月30日", "“2015年2月30日” is not a day of the calendar."),
        ("2015-13-01", "“2015-13-01” is not a day of the calendar."),
        (
            "九月二十三日",
            "“九月二十三日” is not a date: write it as 2015-09-23, 2015/9/23 or 2015年9月23日.",
        ),
        (-3, "-3 is not a date Excel can show."),
    ],
)
def test_impossible_dates_say_why(cell, message):
    with pytest.raises(ValueError) as error:
        spreadsheet_date(cell)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("cell", "number"),
    [(3, 3), (3.0, 3), ("1,200", 1200), ("１２００", 1200), (" 12 ", 12), ("0", 0), (None, None)],
)
def test_it_reads_whole_numbers(cell, number):
    assert spreadsheet_whole_number(cell) == number


@pytest.mark.parametrize("cell", ["-1", -1, 2.5, "三", "1e3", True, 2**31])
def test_bad_numbers_say_why(cell):
    with pytest.raises(ValueError) as error:
        spreadsheet_whole_number(cell)
    assert str(error.value) == f"“{cell}” is not a whole number of zero or more."


def test_errors_and_headers_speak_chinese_by_default(tree, people):
    with translation.override("zh-hans"):
        content = sheet_bytes([HEADERS, ["JN-EDU-02", "济南第二中学工会", "", "中学", "JN-EDU"]])
        outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
        assert [str(error) for error in outcome.errors] == [
            "第2行，单位类型：“中学”不是以下选项之一：总工会、产业（系统）工会、高校工会、"
            "基层工会、机关部门、直属事业单位。"
        ]
        assert UnionResource(user=people.edu).export().headers == HEADERS


def test_unknown_missing_and_doubled_columns_are_file_errors(tree, people):
    content = csv_bytes([["单位名称", "", "Unit name", "备注"], ["济南第二中学工会", "", "", "x"]])
    outcome = run_import(UnionResource(user=people.edu), "单位.csv", content)
    assert problems(outcome) == [
        (None, "", "Column 2 has no header."),
        (None, "", "Column “Unit name” appears twice."),
        (
            None,
            "",
            "Unknown column “备注”. The columns are: "
            "Unit code, Unit name, Short name, Kind of unit, Parent unit code.",
        ),
        (None, "", "The file lacks the columns Unit code, which identify each row."),
    ]


def test_blank_rows_keep_the_row_numbers_of_the_file(tree, people):
    content = sheet_bytes([HEADERS, ROW, [None] * 5, ["JN-EDU-03", "", "", "基层工会", "JN-EDU"]])
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert problems(outcome) == [(4, "Unit name", "This field cannot be blank.")]


def test_only_xlsx_and_csv_files_are_read(tree, people):
    outcome = run_import(UnionResource(user=people.edu), "单位.pdf", PDF)
    assert problems(outcome) == [(None, "", "Only .xlsx and .csv files can be imported.")]
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", PDF)
    assert problems(outcome) == [(None, "", "The file is not an xlsx workbook.")]


def test_a_file_in_neither_utf8_nor_gbk_is_refused(tree, people):
    outcome = run_import(UnionResource(user=people.edu), "单位.csv", b"\xff\xfe\x00\x81\xff")
    assert problems(outcome) == [(None, "", "The CSV file is neither UTF-8 nor GBK text.")]


def test_an_oversize_file_is_refused_before_it_is_read(tree, people, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = csv_bytes([HEADERS, *[ROW] * 40], encoding="utf-8-sig")
    assert len(content) > 1000
    outcome = run_import(UnionResource(user=people.edu), "单位.csv", content)
    assert problems(outcome) == [
        (
            None,
            "",
            f"The file is {len(content) / 1024:.1f}\xa0KB; files up to 1000\xa0bytes can be imported.",
        )
    ]
    assert not Union.objects.filter(code="JN-EDU-02").exists()


def test_too_many_rows_or_columns_are_refused(tree, people, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [[f"JN-EDU-1{n}", "学校工会", "", "基层工会", "JN-EDU"] for n in range(3)]
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", sheet_bytes([HEADERS, *rows]))
    assert problems(outcome) == [
        (None, "", "The file has more than 2 rows; split it into smaller files.")
    ]
    settings.IMPORT_MAX_COLUMNS = 4
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", sheet_bytes([HEADERS, ROW]))
    assert problems(outcome) == [(None, "", "The file has 5 columns; at most 4 can be imported.")]
    assert Union.objects.count() == 11


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(tree, people, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", zip_bomb_xlsx_bytes())
    assert problems(outcome) == [
        (None, "", "The workbook would unpack to 1.0\xa0TB, more than the 200.0\xa0MB allowed.")
    ]


def test_an_xml_bomb_is_refused_without_expanding_it(tree, people):
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", xml_bomb_xlsx_bytes())
    assert problems(outcome) == [
        (
            None,
            "",
            "The workbook defines XML entities, which spreadsheets never need: refused.",
        )
    ]
    assert Union.objects.count() == 11


@pytest.mark.parametrize(
    "cell",
    ["sector", "SECTOR", "产业（系统）工会", "产业(系统)工会", " Sector or education union "],
)
def test_a_choice_is_read_from_its_code_or_either_label(cell):
    assert ChoiceWidget(Union.Kind.choices).clean(cell) == Union.Kind.SECTOR
