"""Spreadsheets in and out: reading xlsx and csv files, cell values, and the base resource.

Every resource of the project (directives.resources, reports.resources) builds on
`SpreadsheetResource`, so that they all read and write cells the same way:

- headers are Chinese on export (in the active language), and either language on import;
- dates, whole numbers, choices and unit codes are read as union offices write them;
- a resource made for a user reads and writes only within that user's scope;
- importing is all or nothing, and importing the same file twice changes nothing;
- text cells that a spreadsheet would run as a formula are neutralised on export.

`import_file` is the one entry point for the app's screens; the library's `import` and
`export` management commands and the admin use the resources directly.
"""

import csv
import datetime
import io
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

import tablib
import xlsxwriter
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult

from .access import membership_of, unions_in_scope
from .models import Union, Versioned

# A cell starting with one of these is a formula to Excel and WPS, or becomes one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How far an xlsx file may unpack. Sheets compress well, but not by more than this.
XLSX_MAX_EXPANSION = 20
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
LARGEST_WHOLE_NUMBER = 2**31 - 1


class SpreadsheetError(ValidationError):
    """The file as a whole cannot be read or imported: nothing in it was written."""


class RowsRejected(Exception):
    """Some rows were bad, so nothing was written. Lists them for the import command."""


# --- Cell values ---------------------------------------------------------------------


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def neutralised(value):
    """The value as written to a cell: text that a spreadsheet would run as a formula gets
    a leading apostrophe, numbers (negative ones too) and dates stay what they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def name_key(name):
    """A header or a choice as typed, for comparison: full-width letters and brackets,
    a stray BOM, spaces around and letter case do not count."""
    return unicodedata.normalize("NFKC", str(name or "")).replace("\ufeff", "").strip().casefold()


def spreadsheet_text(value):
    """A text cell as typed: trimmed, numbers without a decimal point, and the apostrophe
    our own exports put before formula-like text taken off again."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text


DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
)


def spreadsheet_date(value):
    """A date from a cell: 2015-09-23, 2015/9/23, 2015年9月23日 (full-width digits too),
    an Excel date cell or an Excel serial number. Blank is None; anything else is a
    ValueError saying why."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_date(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return excel_serial_date(float(text))
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise ValueError(
                    _("“%(value)s” is not a day of the calendar.") % {"value": value}
                ) from None
    raise ValueError(
        _("“%(value)s” is not a date: write it as 2015-09-23, 2015/9/23 or 2015年9月23日.")
        % {"value": value}
    )


def excel_serial_date(number):
    # 1 to 2958465 are the days Excel can show: 1900-01-01 to 9999-12-31.
    if not 1 <= number <= 2958465:
        raise ValueError(_("%(value)s is not a date Excel can show.") % {"value": number})
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


def spreadsheet_whole_number(value):
    """A count from a cell: 1200, 1,200, １２００ or 1200.0. Blank is None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        number = int(text.split(".")[0]) if re.fullmatch(r"\d+(\.0*)?", text) else None
    if number is None or not 0 <= number <= LARGEST_WHOLE_NUMBER:
        raise ValueError(_("“%(value)s” is not a whole number of zero or more.") % {"value": value})
    return number


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_text(value)


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_date(value)

    def render(self, value, obj=None, **kwargs):
        # A date cell in xlsx; 2015-09-23 in csv.
        return value


class DateTimeWidget(widgets.Widget):
    """Export only: a moment in the project's time zone, as a cell without a zone."""

    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value).replace(tzinfo=None) if value else None


class WholeNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_whole_number(value)

    def render(self, value, obj=None, **kwargs):
        return value


class ChoiceWidget(widgets.Widget):
    """One of a model's choices, exported as its label; imported from its code or its label
    in either language."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    @cached_property
    def codes(self):
        """Every accepted spelling, normalised, to its code."""
        codes = {}
        for code, label in self.choices:
            codes[name_key(code)] = code
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    codes[name_key(label)] = code
        return codes

    def code_for(self, text):
        code = self.codes.get(name_key(text))
        if code is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": "、".join(str(label) for _code, label in self.choices)}
            )
        return code

    def clean(self, value, row=None, **kwargs):
        text = spreadsheet_text(value)
        return self.code_for(text) if text else ""

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class ChoiceListWidget(ChoiceWidget):
    """Several choices in one cell, separated by commas or 、; kept in the choices' order."""

    SEPARATORS = re.compile(r"[,，、;；\n]+")

    def clean(self, value, row=None, **kwargs):
        codes = {
            self.code_for(part.strip())
            for part in self.SEPARATORS.split(spreadsheet_text(value))
            if part.strip()
        }
        return [code for code, _label in self.choices if code in codes]

    def render(self, value, obj=None, **kwargs):
        labels = dict(self.choices)
        return "、".join(str(labels[code]) for code in value or ())


class UnionWidget(widgets.ForeignKeyWidget):
    """A unit named by its code, found only within the resource's scope."""

    def __init__(self):
        super().__init__(Union, field="code")
        self.scope = Union.objects.all()  # narrowed by SpreadsheetResource for its user

    def clean(self, value, row=None, **kwargs):
        code = spreadsheet_text(value)
        if not code:
            return None
        union = self.scope.filter(code=code).first()
        if union is None:
            raise ValueError(unit_not_found(code))
        return union

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


def unit_not_found(code):
    if Union.objects.filter(code=code).exists():
        return _("The unit %(code)s lies outside your scope.") % {"code": code}
    return _("There is no unit with the code %(code)s.") % {"code": code}


# --- Files -----------------------------------------------------------------------------


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
        return max(data.count(b"\n") + (not data.endswith(b"\n")) - 1, 0)
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


# --- Writing ----------------------------------------------------------------------------

CHUNK = 2000
PROGRESS_EVERY = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class Table:
    """What an export holds: a name for the sheet and file, headers, rows and their count."""

    name: str
    headers: list
    rows: object  # an iterable of rows, each a list of plain values
    count: int

    def widths(self):
        """Column widths from the headers: a Chinese character takes two places."""
        return [
            min(max(8, 2 + sum(2 if ord(c) > 0x2E80 else 1 for c in h)), 40) for h in self.headers
        ]


def moment(value):
    """A date and time as text in the project's time zone: 2015-11-05 10:00."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def cells(row):
    """A row's values as cells take them: formula-like text neutralised, moments as text.
    (Written out rather than calling `neutralised` per value: it runs for every cell.)"""
    return [
        ("'" + value if value.startswith(FORMULA_STARTS) else value)
        if value.__class__ is str
        else (moment(value) if value.__class__ is datetime.datetime else value)
        for value in row
    ]


def write_xlsx(table, out, progress=None):
    """Write the table to `out` (a path or a binary file) as one xlsx sheet."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    sheet = workbook.add_worksheet(table.name[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "text_wrap": True})
    for column, width in enumerate(table.widths()):
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, table.headers, header)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(table.rows, start=1):
        sheet.write_row(number, 0, cells(row))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    workbook.close()


def csv_chunks(table, progress=None):
    """The table as csv bytes, a chunk of rows at a time, starting with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    rows = iter(table.rows)
    done = 0
    yield buffer.getvalue().encode("utf-8-sig")
    while chunk := list(islice(rows, CHUNK)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(cells(row) for row in chunk)
        done += len(chunk)
        if progress is not None:
            progress(done)
        yield buffer.getvalue().encode("utf-8")


def resource_table(resource, queryset=None, name=""):
    """Any import resource's rows, in its own columns: small tables (the tree, users,
    directives, reports) that can be imported again as they are."""
    queryset = resource.get_queryset() if queryset is None else resource.scoped(queryset)
    fields = resource.get_export_fields()
    return Table(
        name=name or str(resource._meta.model._meta.verbose_name_plural),
        headers=resource.get_export_headers(),
        rows=(
            [resource.export_field(field, instance) for field in fields]
            for instance in queryset.iterator(chunk_size=CHUNK)
        ),
        count=queryset.count(),
    )


def download_name(table, file_format):
    return f"{table.name}-{timezone.localdate():%Y%m%d}.{file_format}"


def spreadsheet_response(table, file_format):
    """The table as a download: csv streams row by row; xlsx is written to a temporary
    file with flat memory, then sent."""
    filename = download_name(table, file_format)
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(table), content_type=CSV_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    write_xlsx(table, out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def table_bytes(table, extension):
    """The table as the bytes of an .xlsx or .csv file."""
    if extension == "csv":
        return b"".join(csv_chunks(table))
    out = io.BytesIO()
    write_xlsx(table, out)
    return out.getvalue()


def export_file(resource, extension, queryset=None):
    """The bytes of an .xlsx or .csv export of the resource (scoped to its user)."""
    return table_bytes(resource_table(resource, queryset), extension)


def template_file(resource, extension):
    """The bytes of an empty .xlsx or .csv file headed with the columns the resource
    imports, in the active language: a template to fill in."""
    headers = [resource.header(resource.fields[name]) for name in resource.template_columns()]
    name = str(resource._meta.model._meta.verbose_name_plural)
    return table_bytes(Table(name=name, headers=headers, rows=[], count=0), extension)


# --- Resources ---------------------------------------------------------------------------


def unions_for(user):
    """The unions whose rows a spreadsheet of this user reads and writes. Without a user
    (the library's management commands) and for superusers, all of them."""
    return unions_in_scope(user)


class NaturalKeyLoader(ModelInstanceLoader):
    """Finds the existing row by the resource's natural key, within its scope; a key cell
    that cannot be read is an error of that column.

    A key of one column (a unit's code, a user's name) is looked up for the whole file
    at once, a few hundred values a query, instead of a query per row.
    """

    LOOKUP_BATCH = 500

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = resource.get_import_id_fields()
        self.found = None
        if dataset is not None and len(keys) == 1:
            self.found = self.existing(resource.fields[keys[0]], dataset)

    def existing(self, column, dataset):
        values = set()
        for row in dataset.dict:
            try:
                values.add(column.clean(row))
            except ValueError:
                continue  # reported as the row's error when the row is imported
        values = list(values)
        found = {}
        for start in range(0, len(values), self.LOOKUP_BATCH):
            batch = values[start : start + self.LOOKUP_BATCH]
            for instance in self.get_queryset().filter(**{f"{column.attribute}__in": batch}):
                found[column.get_value(instance)] = instance
        return found

    def get_instance(self, row):
        params = {}
        errors = {}
        for name in self.resource.get_import_id_fields():
            column = self.resource.fields[name]
            try:
                params[column.attribute] = column.clean(row)
            except ValueError as error:
                errors[column.column_name] = str(error)
        if errors:
            raise ValidationError(errors)
        if self.found is not None:
            return self.found.get(*params.values())
        return self.get_queryset().filter(**params).first()


class SpreadsheetResource(resources.ModelResource):
    """The base of every resource: see the module's docstring.

    Subclasses name their columns (`headers`: column name → translated header), narrow
    querysets to the scope (`scoped`), and say what a row may not do (`problems`).
    """

    headers = {}
    # Called as progress(rows_done, rows_total) after each row of an import, e.g. to move a
    # progress bar. Runs inside the import's transaction.
    progress = None

    class Meta:
        skip_unchanged = True
        use_transactions = True
        instance_loader_class = NaturalKeyLoader

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.unions = unions_for(user)
        for column in self.fields.values():
            if isinstance(column.widget, UnionWidget):
                column.widget.scope = self.unions
        self.rows_by_key = {}

    @property
    def unscoped(self):
        """Management commands and superusers: every union, no write rule."""
        return self.user is None or self.user.is_superuser

    @property
    def membership(self):
        return membership_of(self.user) if self.user else None

    # Scope

    def scoped(self, queryset):
        """The part of the queryset the user may read, with what the columns show."""
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped(self._meta.model.objects.all())

    def filter_export(self, queryset, **kwargs):
        return self.scoped(queryset)

    # Export

    def export_field(self, field, instance, **kwargs):
        # Native values (numbers, dates) for every format: xlsx keeps them as such, csv
        # writes them as text. Only text can then look like a formula.
        kwargs["force_native_type"] = True
        return neutralised(super().export_field(field, instance, **kwargs))

    # Headers

    def header(self, column):
        return str(self.headers.get(column.column_name, column.column_name))

    def get_export_headers(self, selected_fields=None):
        return [self.header(column) for column in self.get_export_fields(selected_fields)]

    def is_export_only(self, column):
        """Columns that exports write and imports ignore (a directive's state...)."""
        return column.readonly and column.attribute not in {
            self.fields[name].attribute for name in self.get_import_id_fields()
        }

    def template_columns(self):
        """The names of the columns an import reads, for a template to fill in."""
        return [name for name, column in self.fields.items() if not self.is_export_only(column)]

    def column_names(self):
        """Every accepted header, normalised, to its column: the column's own name and its
        header in Chinese and in English."""
        names = {}
        for column in self.fields.values():
            label = self.headers.get(column.column_name, column.column_name)
            names[name_key(column.column_name)] = column.column_name
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    names[name_key(label)] = column.column_name
        return names

    def name_columns(self, dataset):
        """Rename the dataset's headers to column names, or raise SpreadsheetError."""
        names = self.column_names()
        columns, problems = [], []
        for number, header in enumerate(dataset.headers, start=1):
            column = names.get(name_key(header))
            if not name_key(header):
                problems.append(_("Column %(number)s has no header.") % {"number": number})
            elif column is None:
                problems.append(
                    _("Unknown column “%(header)s”. The columns are: %(columns)s.")
                    % {
                        "header": header,
                        "columns": "、".join(self.header(c) for c in self.fields.values()),
                    }
                )
            elif column in columns:
                problems.append(_("Column “%(header)s” appears twice.") % {"header": header})
            columns.append(column)
        missing = [
            self.header(self.fields[name])
            for name in self.get_import_id_fields()
            if self.fields[name].column_name not in columns
        ]
        if missing:
            problems.append(
                _("The file lacks the columns %(columns)s, which identify each row.")
                % {"columns": "、".join(missing)}
            )
        if problems:
            raise SpreadsheetError(problems)
        dataset.headers = columns

    # Import

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # All or nothing, whoever calls: the library keeps the good rows of a file with
        # invalid ones unless told otherwise, and its management command does not tell it.
        self.rows_by_key = {}
        self.rows_total = len(dataset)
        try:
            self.name_columns(dataset)
        except SpreadsheetError as error:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, error, raise_errors)
            return result
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )
        if result.has_validation_errors() and not result.has_errors():
            # The import command reports only errors, and would call this a success.
            lines = [str(problem) for problem in self.row_problems(result)]
            summary = _("Nothing was imported: %(count)s rows have errors.") % {
                "count": len(result.invalid_rows)
            }
            result.append_base_error(
                self.get_error_result_class()(RowsRejected("\n".join([summary, *lines])))
            )
        return result

    def import_row(self, row, instance_loader, **kwargs):
        if all(is_blank(value) for value in row.values()):
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        else:
            row_result = super().import_row(row, instance_loader, **kwargs)
        if self.progress is not None:
            self.progress(kwargs["row_number"], self.rows_total)
        return row_result

    def before_import_row(self, row, **kwargs):
        key, errors = [], {}
        for name in self.get_import_id_fields():
            column = self.fields[name]
            if is_blank(row.get(column.column_name)):
                errors[column.column_name] = _("This column identifies the row: fill it in.")
            try:
                key.append(column.clean(row))
            except ValueError:
                key.append(row.get(column.column_name))
        if errors:
            raise ValidationError(errors)
        key = tuple(key)
        first = self.rows_by_key.setdefault(key, kwargs.get("row_number"))
        if first != kwargs.get("row_number"):
            raise ValidationError(
                _("Row %(row)s already has the same %(columns)s.")
                % {
                    "row": first + 1,
                    "columns": "、".join(
                        self.header(self.fields[name]) for name in self.get_import_id_fields()
                    ),
                }
            )

    def problems(self, instance):
        """What the row may not do, as {column name: message}: outside the scope, a cycle..."""
        return {}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not errors:
            errors.update(self.problems(instance))
        imported = {
            column.attribute.removesuffix("_id")
            for column in self.get_import_fields()
            if column.attribute and not column.readonly
        }
        # Only the model's own fields that the spreadsheet sets are checked against the
        # model; related objects and the rest are the resource's business.
        unchecked = [f.name for f in instance._meta.fields if f.name not in imported]
        try:
            instance.full_clean(exclude={*unchecked, *errors}, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        if isinstance(instance, Versioned) and not instance._state.adding:
            # The app's edit forms refuse a save over a newer version: this is one.
            instance.version += 1

    # Results

    def column_of(self, key):
        """The header of the column an error is about, or "" for the row as a whole."""
        for column in self.fields.values():
            if key in (column.column_name, column.attribute) or (
                column.attribute and column.attribute.removesuffix("_id") == key
            ):
                return self.header(column)
        return ""

    def row_problems(self, result):
        """Every bad row of an import result, in file order."""
        problems = []
        for row in result.invalid_rows:
            for key, messages in row.error_dict.items():
                column = "" if key == NON_FIELD_ERRORS else self.column_of(key)
                problems += [RowError(row.number + 1, column, str(m)) for m in messages]
        for row in result.error_rows:
            problems += [
                RowError(
                    row.number + 1,
                    "",
                    _("The row could not be saved: %(error)s") % {"error": error.error},
                )
                for error in row.errors
            ]
        return sorted(problems, key=lambda problem: problem.row)


@dataclass(frozen=True)
class RowError:
    row: int | None  # as numbered in the file, the header being row 1; None for the file
    column: str  # the header of the column at fault, "" for the whole row or file
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportOutcome:
    """What an import did, or would do in a dry run: nothing at all when there are errors."""

    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    result: object = None  # the library's Result, with each row's diff, for previews

    @property
    def written(self):
        return not self.dry_run and not self.errors


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


def file_rejected(error, *, dry_run):
    """The outcome of a file that could not be read at all."""
    return ImportOutcome(dry_run=dry_run, errors=[RowError(None, "", m) for m in error.messages])


def import_dataset(resource, dataset, *, dry_run):
    """Import a dataset read by `read_spreadsheet`, as `import_file` does."""
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
    errors = []
    for base_error in result.base_errors:
        if isinstance(base_error.error, RowsRejected):
            continue
        messages = getattr(base_error.error, "messages", [str(base_error.error)])
        errors += [RowError(None, "", str(message)) for message in messages]
    errors += resource.row_problems(result)
    return ImportOutcome(
        dry_run=dry_run,
        errors=errors,
        new=result.totals[RowResult.IMPORT_TYPE_NEW],
        updated=result.totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged=result.totals[RowResult.IMPORT_TYPE_SKIP],
        result=result,
    )
