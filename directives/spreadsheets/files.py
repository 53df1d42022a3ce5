"""Reading .xlsx and .csv files into datasets, within the size limits.

A file that cannot be read, or is too big, raises `SpreadsheetError` before any row is
imported.
"""

import csv
import io
import zipfile

import tablib
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from import_export.formats import base_formats

from .cells import is_blank

# How far an xlsx file may unpack. Sheets compress well, but not by more than this.
XLSX_MAX_EXPANSION = 20


class SpreadsheetError(ValidationError):
    """The file as a whole cannot be read or imported: nothing in it was written."""


def check_size(size):
    if size > settings.IMPORT_MAX_BYTES:
        raise SpreadsheetError(
            _("The file is %(size)s; files up to %(limit)s can be imported.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )


def dataset_from_rows(rows):
    """A dataset from a file's rows, the first holding the headers, within the limits.

    Blank rows stay in the dataset, so that row numbers match the file; blank rows at the
    end, which spreadsheets often carry, are dropped.
    """
    rows = iter(rows)
    headers = list(next(rows, []))
    while headers and is_blank(headers[-1]):
        headers.pop()
    if not headers:
        raise SpreadsheetError(
            _("The file is empty: its first row should hold the column headers.")
        )
    if len(headers) > settings.IMPORT_MAX_COLUMNS:
        raise SpreadsheetError(
            _("The file has %(count)s columns; at most %(limit)s can be imported.")
            % {"count": len(headers), "limit": settings.IMPORT_MAX_COLUMNS}
        )
    width = len(headers)
    dataset = tablib.Dataset(headers=["" if h is None else str(h) for h in headers])
    blank_rows = 0
    for number, row in enumerate(rows, start=2):
        values = list(row)
        if any(not is_blank(value) for value in values[width:]):
            raise SpreadsheetError(
                _("Row %(row)s has a value beyond the last column with a header.") % {"row": number}
            )
        values = values[:width] + [None] * (width - len(values))
        if all(is_blank(value) for value in values):
            blank_rows += 1
            continue
        for _blank in range(blank_rows):
            dataset.append([None] * width)
        blank_rows = 0
        dataset.append(values)
        if len(dataset) > settings.IMPORT_MAX_ROWS:
            raise SpreadsheetError(
                _("The file has more than %(limit)s rows; split it into smaller files.")
                % {"limit": settings.IMPORT_MAX_ROWS}
            )
    return dataset


def csv_text(data):
    """CSV bytes as text: UTF-8 with or without BOM, or GBK/GB18030 as Excel on Chinese
    Windows writes it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("The CSV file is neither UTF-8 nor GBK text."))


def check_xlsx_expansion(data):
    """Refuse an xlsx (a zip archive) that would unpack to far more than it weighs.

    The sizes come from the archive's directory, before anything is unpacked; Python's
    zipfile never yields more than an entry declares, so a lying entry fails its check
    instead of filling the memory.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError(_("The file is not an xlsx workbook.")) from None
    limit = XLSX_MAX_EXPANSION * settings.IMPORT_MAX_BYTES
    if unpacked > limit:
        raise SpreadsheetError(
            _("The workbook would unpack to %(size)s, more than the %(limit)s allowed.")
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(limit)}
        )


class CSV(base_formats.CSV):
    """CSV read as bytes, so that its encoding is detected; written as UTF-8 with a BOM,
    which Excel needs to show Chinese."""

    def get_read_mode(self):
        return "rb"

    def is_binary(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        check_size(len(data))
        try:
            return dataset_from_rows(csv.reader(io.StringIO(csv_text(data), newline="")))
        except csv.Error as error:
            raise SpreadsheetError(
                _("The CSV file cannot be read: %(error)s") % {"error": error}
            ) from None

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset, **kwargs).encode("utf-8-sig")


class XLSX(base_formats.XLSX):
    """The first sheet of an xlsx workbook, checked for size before openpyxl opens it."""

    def create_dataset(self, in_stream):
        import openpyxl

        check_size(len(in_stream))
        check_xlsx_expansion(in_stream)
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
            try:
                return dataset_from_rows(workbook.active.iter_rows(values_only=True))
            finally:
                workbook.close()
        except SpreadsheetError:
            raise
        except Exception as error:
            # openpyxl reads through defusedxml, which stops at the first entity definition
            # (openpyxl may wrap that in an error of its own).
            if isinstance(error, DefusedXmlException) or isinstance(
                error.__cause__, DefusedXmlException
            ):
                raise SpreadsheetError(
                    _("The workbook defines XML entities, which spreadsheets never need: refused.")
                ) from None
            # openpyxl raises many kinds of errors on a damaged file; all mean the same here.
            raise SpreadsheetError(_("The file is not an xlsx workbook.")) from None


SPREADSHEET_FORMATS = [XLSX, CSV]
FORMATS_BY_EXTENSION = {"xlsx": XLSX, "csv": CSV}


def read_spreadsheet(upload):
    """A dataset from an uploaded (or opened) .xlsx or .csv file, or SpreadsheetError."""
    extension = str(getattr(upload, "name", "")).rpartition(".")[2].lower()
    file_format = FORMATS_BY_EXTENSION.get(extension)
    if file_format is None:
        raise SpreadsheetError(_("Only .xlsx and .csv files can be imported."))
    check_size(getattr(upload, "size", 0) or 0)
    upload.seek(0)
    # One byte more than allowed is enough to know a file is too big.
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    return file_format().create_dataset(data)


def estimate_rows(upload):
    """About how many rows an .xlsx or .csv file has below its header, without reading
    them: the lines of a CSV file, the size an xlsx sheet declares. None for a sheet that
    does not say; 0 for a file that cannot be opened, whose reading will soon say why."""
    extension = str(getattr(upload, "name", "")).rpartition(".")[2].lower()
    upload.seek(0)
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    upload.seek(0)
    if extension == "csv":
        # Lines end in \r\n, \n or, from old Mac and some WPS exports, \r alone.
        return max(len(data.splitlines()) - 1, 0)
    import openpyxl

    try:
        check_xlsx_expansion(data)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:
        return 0
    try:
        rows = workbook.active.max_row
    except Exception:
        rows = None
    finally:
        workbook.close()
    return max(rows - 1, 0) if rows else None
