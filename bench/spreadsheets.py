"""How fast spreadsheets go out and come in. Prints one JSON line per measurement.

python -m bench.spreadsheets [--units 10000]     (DATABASE_URL selects the database)

`export_entries_xlsx`: every progress entry of a synthetic province (over 200,000 at the
default size) exported through the app (`app_s`: query, values, neutralising, writing),
against xlsxwriter in constant-memory mode writing the same values already in memory
(`floor_s`), and against django-import-export's default ModelResource export of the same
rows (`peer_s`). `import_unions_csv`: a file of 10,000 new units imported through the
app (one bulk insert, all or nothing) against the same resource saving row by row, the
library's default, and against a bare bulk_create of the same units (`floor_s`: no
checks, no history). Each runs in a child process of its own, so that `peak_rss_mb` is
that path's own peak.
"""

import argparse
import json
import os
import time
import warnings

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gqtrack.settings")
django.setup()
warnings.filterwarnings("ignore", message="No directory at")

import xlsxwriter  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import (  # noqa: E402
    connection,
    transaction,
)
from import_export.formats.base_formats import XLSX  # noqa: E402
from import_export.resources import modelresource_factory  # noqa: E402

from bench.cascade import build_cascade  # noqa: E402
from bench.province import build_tree, in_child, throwaway_database  # noqa: E402
from directives.models import Union  # noqa: E402
from directives.resources import UnionResource  # noqa: E402
from directives.spreadsheets.files import read_spreadsheet  # noqa: E402
from directives.spreadsheets.resources import import_dataset  # noqa: E402
from directives.spreadsheets.writing import write_xlsx  # noqa: E402
from reports.exports import entries_table  # noqa: E402
from reports.models import ProgressEntry  # noqa: E402


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def app_export(path):
    return timed(lambda: write_xlsx(entries_table(None), path))


def floor_export(path):
    """The same values, fetched before the clock starts, written by bare xlsxwriter."""
    table = entries_table(None)
    headers, rows = table.headers, list(table.rows)

    def write():
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, headers)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, row)
        workbook.close()

    return timed(write)


def peer_export(path):
    """django-import-export as it comes: a ModelResource and its xlsx format."""

    def export():
        dataset = modelresource_factory(ProgressEntry)().export()
        with open(path, "wb") as out:
            out.write(XLSX().export_data(dataset))

    return timed(export)


class UnionRowByRow(UnionResource):
    """The same resource with the library's default: each row saved as it is read."""

    class Meta(UnionResource.Meta):
        use_bulk = False


def unions_csv(count):
    """A csv of `count` new units: a root and three levels beneath it, parents first."""
    lines, made, frontier = (
        ["code,name,kind,parent", "IMP0,导入测试总工会,federation,"],
        1,
        ["IMP0"],
    )
    while made < count:
        next_frontier = []
        for parent in frontier:
            for _n in range(22):
                if made >= count:
                    break
                code = f"IMP{made}"
                lines.append(f"{code},导入单位{made},grassroots,{parent}")
                next_frontier.append(code)
                made += 1
        frontier = next_frontier
    return ("\n".join(lines) + "\n").encode("utf-8")


def timed_import(resource_class, content):
    """Import the file all or nothing, then roll it back for the next run."""

    def run():
        with transaction.atomic():
            # As the screens' jobs do: read the file, then import the dataset.
            dataset = read_spreadsheet(SimpleUploadedFile("units.csv", content))
            outcome = import_dataset(resource_class(), dataset, dry_run=False)
            assert not outcome.errors and outcome.new == content.count(b"\n") - 1, outcome.errors
            transaction.set_rollback(True)

    return timed(run)


def floor_import(content):
    """The same units put straight into the table: paths worked out, one bulk_create,
    no reading of cells, no checks, no history."""
    lines = content.decode("utf-8").splitlines()[1:]
    last = Union.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
    root_number = Union._str2int(last) + 1 if last else 1
    paths, children, units = {}, {}, []
    for line in lines:
        code, name, kind, parent = line.split(",")
        if parent:
            children[parent] = children.get(parent, 0) + 1
            path = paths[parent] + Union._int2str(children[parent]).rjust(Union.steplen, "0")
        else:
            path = Union._int2str(root_number).rjust(Union.steplen, "0")
        paths[code] = path
        units.append(Union(code=code, name=name, kind=kind, path=path, depth=len(path) // 4))
    for union in units:
        union.numchild = children.get(union.code, 0)

    def run():
        with transaction.atomic():
            Union.objects.bulk_create(units, batch_size=1000)
            transaction.set_rollback(True)

    return timed(run)


def import_line(count):
    content = unions_csv(count)
    app_s, app_rss = in_child(lambda: timed_import(UnionResource, content))
    floor_s, _rss = in_child(lambda: floor_import(content))
    peer_s, _rss = in_child(lambda: timed_import(UnionRowByRow, content))
    return {
        "bench": "import_unions_csv",
        "db": connection.vendor,
        "rows": count,
        "app_s": round(app_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio": round(app_s / floor_s, 2),
        "app_rows_per_s": round(count / app_s),
        "peer_s": round(peer_s, 2),
        "peer_rows_per_s": round(count / peer_s),
        "peer_ratio": round(peer_s / app_s, 2),
        "peak_rss_mb": app_rss,
    }


def main(units):
    with throwaway_database() as folder:
        in_child(lambda: build_cascade(build_tree(units)) and None)
        rows = ProgressEntry.objects.count()
        app_s, app_rss = in_child(lambda: app_export(os.path.join(folder, "app.xlsx")))
        floor_s, _rss = in_child(lambda: floor_export(os.path.join(folder, "floor.xlsx")))
        peer_s, peer_rss = in_child(lambda: peer_export(os.path.join(folder, "peer.xlsx")))
        print(
            json.dumps(
                {
                    "bench": "export_entries_xlsx",
                    "db": connection.vendor,
                    "rows": rows,
                    "app_s": round(app_s, 2),
                    "floor_s": round(floor_s, 2),
                    "ratio": round(app_s / floor_s, 2),
                    "peer_s": round(peer_s, 2),
                    "peer_ratio": round(peer_s / app_s, 2),
                    "peak_rss_mb": app_rss,
                    "peer_peak_rss_mb": peer_rss,
                    "file_mb": round(os.path.getsize(os.path.join(folder, "app.xlsx")) / 2**20, 1),
                }
            ),
            flush=True,
        )
        print(json.dumps(import_line(10_000)), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    main(parser.parse_args().units)
