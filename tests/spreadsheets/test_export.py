"""Exports: Chinese headers, UTF-8 with BOM, and no cell that runs as a formula."""

import io

import openpyxl
import pytest

from directives.models import Union
from directives.resources import UnionResource
from directives.spreadsheets.cells import neutralised
from reports.resources import ProgressEntryResource

from .conftest import export_file, problems, run_import

HOSTILE_NAMES = {
    "QD-ORG": '=HYPERLINK("http://example.com","点击")',
    "QD-EDU": "+86-532",
    "QD-WKC": "-1+2",
    "QD-EDU-02": "@SUM(A1)",
    "JN-EDU": "\t=1+1",
}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("-5", "'-5"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a-5", "a-5"),
        (-5, -5),
        (-2.5, -2.5),
        (0, 0),
        (None, None),
        ("山东大学工会", "山东大学工会"),
    ],
)
def test_only_text_is_neutralised(value, cell):
    assert neutralised(value) == cell


@pytest.fixture
def hostile_names(tree):
    for code, name in HOSTILE_NAMES.items():
        Union.objects.filter(code=code).update(name=name)


def test_formula_text_is_neutralised_in_xlsx(hostile_names):
    workbook = openpyxl.load_workbook(io.BytesIO(export_file(UnionResource(), "xlsx")))
    sheet = workbook.active
    names = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for code, name in HOSTILE_NAMES.items():
        assert names[code] == "'" + name
    assert all(cell.data_type == "s" for cell in sheet["B"])
    assert sheet.freeze_panes == "A2"


def test_formula_text_is_neutralised_in_csv_written_as_utf8_with_bom(hostile_names):
    content = export_file(UnionResource(), "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Unit code,Unit name,Short name,Kind of unit,Parent unit code"
    assert 'QD-ORG,"\'=HYPERLINK(""http://example.com"",""点击"")"' in text
    assert "QD-WKC,'-1+2," in text
    assert "JN-EDU,'\t=1+1," in text


def test_neutralised_text_imports_back_as_it_was(hostile_names):
    before = sorted(Union.objects.values_list("code", "name"))
    for extension in ("xlsx", "csv"):
        content = export_file(UnionResource(), extension)
        outcome = run_import(UnionResource(), f"units.{extension}", content)
        assert problems(outcome) == []
        assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 11)
    assert sorted(Union.objects.values_list("code", "name")) == before


def test_numbers_and_dates_stay_numbers_and_dates_in_xlsx(sdu_entry):
    workbook = openpyxl.load_workbook(io.BytesIO(export_file(ProgressEntryResource(), "xlsx")))
    header, row = list(workbook.active.iter_rows(max_row=2))
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    assert cells["Participants"].value == 320
    assert cells["Participants"].data_type == "n"
    assert cells["Date"].is_date
