"""How fast subtree and ancestor queries are on a big tree. Prints one JSON line each.

python -m bench.tree [UNITS]      (DATABASE_URL selects the database)
"""

import json
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gqtrack.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.province import build_tree  # noqa: E402
from directives.models import Union  # noqa: E402


def median_ms(function, repeat=20):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def main(units):
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        start = time.perf_counter()
        root = build_tree(units)
        built_s = round(time.perf_counter() - start, 2)
        mid = Union.objects.filter(depth=3).order_by("path")[1]
        leaf = Union.objects.order_by("-depth", "path").first()
        cases = {
            "subtree_count_root": lambda: Union.objects.in_subtree(root).count(),
            "subtree_count_mid": lambda: Union.objects.in_subtree(mid).count(),
            "children_list_mid": lambda: list(Union.objects.children_of(mid)),
            "ancestors_leaf": lambda: list(leaf.ancestors()),
        }
        for name, function in cases.items():
            line = {
                "bench": name,
                "db": connection.vendor,
                "units": Union.objects.count(),
                "build_s": built_s,
                "median_ms": median_ms(function),
            }
            print(json.dumps(line))
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
