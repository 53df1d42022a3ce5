"""Helpers for the spreadsheet tests: uploads, importing and exporting whole files, and
counting what an import wrote."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from directives.models import Figure
from directives.spreadsheets.files import SpreadsheetError, read_spreadsheet
from directives.spreadsheets.resources import file_rejected, import_dataset
from directives.spreadsheets.writing import resource_table, table_bytes
from tests.reports.conftest import JINAN_NARRATIVE, SDU_NARRATIVE, log_entry


def upload(name, content):
    return SimpleUploadedFile(name, content)


def import_file(resource, upload, *, dry_run):
    """Import an uploaded .xlsx or .csv file through the resource, all or nothing.

    The resource carries the user (e.g. `UnionResource(user=request.user)`). A dry run
    writes nothing and reports what would happen; a real run re-reads and re-checks the
    file, and writes nothing unless every row is good.
    """
    try:
        dataset = read_spreadsheet(upload)
    except SpreadsheetError as error:
        return file_rejected(error, dry_run=dry_run)
    return import_dataset(resource, dataset, dry_run=dry_run)


def export_file(resource, extension, queryset=None):
    """The bytes of an .xlsx or .csv export of the resource (scoped to its user)."""
    return table_bytes(resource_table(resource, queryset), extension)


def run_import(resource, name, content, *, dry_run=False):
    return import_file(resource, upload(name, content), dry_run=dry_run)


def problems(outcome):
    """The outcome's errors as (row, column, message) triples, to compare exactly."""
    return [(error.row, error.column, error.message) for error in outcome.errors]


@pytest.fixture(autouse=True)
def english():
    """Exact messages read best in English; tests of the Chinese ones say so."""
    with translation.override("en"):
        yield


@pytest.fixture
def sdu_assignment(edu_directive, tree):
    return edu_directive.assignments.select_related("directive", "recipient").get(
        recipient=tree.sdu
    )


@pytest.fixture
def sdu_entry(sdu_assignment, people):
    """山东大学工会's study session on the education union's directive, with its figures."""
    return log_entry(
        sdu_assignment,
        user=people.sdu_staff,
        narrative=SDU_NARRATIVE,
        figures={Figure.STUDY_SESSIONS: 2, Figure.PARTICIPANTS: 320},
    )


@pytest.fixture
def jinan_entry(edu_directive, tree, people):
    assignment = edu_directive.assignments.get(recipient=tree.jinan_edu)
    return log_entry(
        assignment,
        user=people.jinan_staff,
        narrative=JINAN_NARRATIVE,
        figures={Figure.PARTICIPANTS: 40},
    )
