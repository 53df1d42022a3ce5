"""Writing tables out as .xlsx and .csv files, with flat memory, and as downloads."""

import csv
import datetime
import io
import re
import tempfile
from dataclasses import dataclass
from itertools import islice

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from .cells import FORMULA_STARTS

CHUNK = 2000
PROGRESS_EVERY = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FILE_NAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass
class Table:
    """What an export holds: a name for the file (and the sheet, unless `sheet` names it),
    headers, rows and their count."""

    name: str
    headers: list
    rows: object  # an iterable of rows, each a list of plain values
    count: int
    sheet: str = ""

    @property
    def sheet_name(self):
        """A name Excel takes for a sheet: 31 characters at most, none of []:*?/\\."""
        name = SHEET_FORBIDDEN.sub(" ", self.sheet or self.name).strip(" '")
        return name[:31] or "Sheet1"

    def widths(self):
        """Column widths from the headers: a Chinese character takes two places."""
        return [
            min(max(8, 2 + sum(2 if ord(c) > 0x2E80 else 1 for c in h)), 40) for h in self.headers
        ]


def local(value):
    """A moment in the project's time zone, without the zone (as cells hold it)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return value


def moment(value):
    """A date and time as text in the project's time zone: 2015-11-05 10:00."""
    return local(value).strftime("%Y-%m-%d %H:%M")


def cells(row, moment=moment):
    """A row's values as cells take them: formula-like text neutralised, moments as text
    (or as `moment` turns them). (Written out rather than calling `neutralised` per value:
    it runs for every cell.)"""
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
    sheet = workbook.add_worksheet(table.sheet_name)
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "text_wrap": True})
    moments = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    # Moments are date cells shown with their time (plain dates take the default format).
    sheet.add_write_handler(
        datetime.datetime,
        lambda sheet, row, column, value, _format=None: sheet.write_datetime(
            row, column, value, moments
        ),
    )
    for column, width in enumerate(table.widths()):
        sheet.set_column(column, column, width)
    sheet.write_row(0, 0, cells(table.headers), header)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(table.rows, start=1):
        sheet.write_row(number, 0, cells(row, moment=local))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    workbook.close()


def csv_chunks(table, progress=None):
    """The table as csv bytes, a chunk of rows at a time, starting with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cells(table.headers))
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
    """The table's name and today's date, without what a file system refuses:
    完成情况表 鲁教工字〔2015〕21号 山东省教育工会-20151130.xlsx."""
    name = FILE_NAME_FORBIDDEN.sub("_", table.name).strip(" .")[:150]
    return f"{name}-{timezone.localdate():%Y%m%d}.{file_format}"


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


def template_file(resource, extension):
    """The bytes of an empty .xlsx or .csv file headed with the columns the resource
    imports, in the active language: a template to fill in."""
    headers = [resource.header(resource.fields[name]) for name in resource.template_columns()]
    name = str(resource._meta.model._meta.verbose_name_plural)
    return table_bytes(Table(name=name, headers=headers, rows=[], count=0), extension)
