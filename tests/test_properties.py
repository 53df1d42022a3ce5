"""Whatever people type or upload, the app answers with a value or a clear refusal: never
an error page, never a partial write. Checked with generated inputs (hypothesis)."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directives.models import Directive, Requirement
from directives.spreadsheets.cells import (
    spreadsheet_date,
    spreadsheet_text,
    spreadsheet_whole_number,
)
from directives.spreadsheets.files import SpreadsheetError, estimate_rows, read_spreadsheet
from reports.models import EntryFigure, ProgressEntry
from reports.resources import ProgressEntryResource

from .spreadsheets.conftest import run_import

# Examples run inside one test's transaction, so each must leave the database as it was.
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --- Cells ---------------------------------------------------------------------------------


@EXAMPLES
@given(cell_values)
def test_a_date_cell_is_a_date_or_a_clear_refusal(value):
    try:
        day = spreadsheet_date(value)
    except ValueError as error:
        assert str(error)
    else:
        assert day is None or isinstance(day, datetime.date)


@EXAMPLES
@given(st.dates(min_value=datetime.date(1900, 3, 1)), st.sampled_from(["iso", "slash", "cn"]))
def test_every_written_form_of_a_day_reads_back_as_that_day(day, form):
    text = {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
    }[form]
    assert spreadsheet_date(text) == day
    assert spreadsheet_date(text.translate(FULL_WIDTH)) == day


@EXAMPLES
@given(cell_values)
def test_a_number_cell_is_a_whole_number_or_a_clear_refusal(value):
    try:
        number = spreadsheet_whole_number(value)
    except ValueError as error:
        assert str(error)
    else:
        assert number is None or (isinstance(number, int) and number >= 0)


@EXAMPLES
@given(cell_values)
def test_a_text_cell_is_text_or_a_clear_refusal(value):
    try:
        text = spreadsheet_text(value)
    except ValueError as error:
        assert str(error)
    else:
        assert isinstance(text, str) and "\x00" not in text


# --- Files ---------------------------------------------------------------------------------

csv_rows = st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=5), min_size=1, max_size=12)


def csv_file(rows, encoding, ending):
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator=ending).writerows(rows)
    return text.getvalue().encode(encoding, errors="replace")


@EXAMPLES
@given(
    csv_rows,
    st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_csv_reads_as_a_table_or_a_clear_refusal(rows, encoding, ending):
    upload = SimpleUploadedFile("表.csv", csv_file(rows, encoding, ending))
    try:
        dataset = read_spreadsheet(upload)
    except SpreadsheetError as error:
        assert error.messages
    else:
        assert dataset.headers is not None


@EXAMPLES
@given(
    st.lists(st.text(alphabet="abc单位,1", min_size=1, max_size=8), min_size=1, max_size=50),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_rows_are_counted_alike_whatever_ends_the_lines(lines, ending):
    content = ending.join(lines).encode()
    assert estimate_rows(SimpleUploadedFile("表.csv", content)) == len(lines) - 1


@EXAMPLES
@given(st.binary(max_size=400))
def test_any_bytes_named_csv_or_xlsx_read_or_are_refused(data):
    for name in ("表.csv", "表.xlsx"):
        try:
            read_spreadsheet(SimpleUploadedFile(name, data))
        except SpreadsheetError as error:
            assert error.messages


# --- An import through the resource: all or nothing ----------------------------------------

ENTRY_HEADERS = ["发文单位代码", "文号", "单位代码", "工作要求序号", "日期", "工作情况", "参加人次"]


@pytest.mark.django_db
@EXAMPLES
@given(st.lists(st.tuples(cell_values, cell_values, cell_values), min_size=1, max_size=4))
def test_an_import_of_any_cells_writes_all_its_rows_or_none(edu_directive, people, cells):
    rows = [
        ["SD-EDU", edu_directive.number, "SDU", 1, day, narrative, figure]
        for day, narrative, figure in cells
    ]
    text = io.StringIO(newline="")
    csv.writer(text).writerows([ENTRY_HEADERS, *rows])
    before = ProgressEntry.objects.count(), EntryFigure.objects.count()

    outcome = run_import(
        ProgressEntryResource(user=people.sdu_staff), "进展.csv", text.getvalue().encode()
    )

    after = ProgressEntry.objects.count(), EntryFigure.objects.count()
    if outcome.errors:
        assert after == before
    else:
        assert after[0] - before[0] == outcome.new
    ProgressEntry.objects.all().delete()


# --- Forms: every answer is a page or a redirect, and a refused form writes nothing --------

form_text = st.text(max_size=60)


@pytest.mark.django_db
@EXAMPLES
@given(day=form_text, narrative=form_text, figure=form_text)
def test_the_progress_form_takes_any_input_without_an_error_page(
    client, people, edu_directive, day, narrative, figure
):
    client.force_login(people.sdu_staff)
    assignment = edu_directive.assignments.get(recipient__code="SDU")
    study = edu_directive.requirements.get(kind=Requirement.Kind.STUDY)
    before = ProgressEntry.objects.count()

    response = client.post(
        reverse("entry_add", args=[assignment.pk, study.pk]),
        {"occurred_on": day, "narrative": narrative, "figure_participants": figure},
    )

    assert response.status_code in (200, 302)
    assert ProgressEntry.objects.count() == before + (response.status_code == 302)
    ProgressEntry.objects.all().delete()


@pytest.mark.django_db
@EXAMPLES
@given(title=form_text, number=form_text, issued_on=form_text, due_on=form_text)
def test_the_directive_form_takes_any_input_without_an_error_page(
    client, people, tree, title, number, issued_on, due_on
):
    client.force_login(people.edu)
    before = Directive.objects.count(), Requirement.objects.count()

    response = client.post(
        reverse("directive_create"),
        {
            "title": title,
            "number": number,
            "kind": "notice",
            "issued_on": issued_on,
            "body": "",
            "recipient_mode": "children",
            "requirements-TOTAL_FORMS": "1",
            "requirements-INITIAL_FORMS": "0",
            "requirements-MIN_NUM_FORMS": "1",
            "requirements-MAX_NUM_FORMS": "1000",
            "requirements-0-kind": "study",
            "requirements-0-title": title,
            "requirements-0-due_on": due_on,
        },
    )

    assert response.status_code in (200, 302)
    after = Directive.objects.count(), Requirement.objects.count()
    assert after == ((before[0] + 1, before[1] + 1) if response.status_code == 302 else before)
    Directive.objects.filter(issuer=tree.edu).delete()
