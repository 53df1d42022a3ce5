"""A synthetic province for benchmarks: a union tree of a given size built in bulk."""

import json
import os
import tempfile
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections
from django.db.models import F
from django.test.utils import setup_databases, teardown_databases

from directives.models import Union

KINDS = [
    Union.Kind.FEDERATION,
    Union.Kind.FEDERATION,
    Union.Kind.SECTOR,
    Union.Kind.GRASSROOTS,
    Union.Kind.GRASSROOTS,
]


def fanout(units, levels):
    """The children per node that gives about `units` nodes in `levels` levels."""
    width = 2
    while sum(width**level for level in range(levels)) < units:
        width += 1
    return width


def build_tree(units=10_000, levels=5, prefix="B", width=None, parent=None):
    """Create about `units` unions in `levels` levels under one new root; return the root.

    `width` (children per union) defaults to what fills the levels evenly. With `parent`,
    the new root is that union's last child instead of a root of its own.

    Paths are computed here and rows inserted with bulk_create, which is what makes a
    100,000-unit tree take seconds instead of the minutes add_child would need.
    """
    width = width or fanout(units, levels)
    step = Union.steplen
    if parent is None:
        top, name = 1, f"{prefix}省总工会"
        last = Union.objects.filter(depth=1).order_by("-path").first()
        root_path = last._inc_path() if last else Union._get_path(None, 1, 1)
    else:
        top, name = parent.depth + 1, f"{prefix}系统工会"
        last = Union.objects.children_of(parent).order_by("-path").first()
        root_path = last._inc_path() if last else Union._get_path(parent.path, top, 1)
    batch, made, frontier = [], 1, [root_path]
    root = Union(path=root_path, depth=top, numchild=0, code=f"{prefix}0", name=name)
    root.kind = KINDS[0]
    batch.append(root)
    for level in range(2, levels + 1):
        depth = top + level - 1
        next_frontier = []
        for above in frontier:
            children = min(width, units - made)
            if children <= 0:
                break
            for number in range(1, children + 1):
                path = above + Union._int2str(number).rjust(step, Union.alphabet[0])
                batch.append(
                    Union(
                        path=path,
                        depth=depth,
                        numchild=0,
                        code=f"{prefix}{made}",
                        name=f"单位{made}",
                        kind=KINDS[level - 1],
                    )
                )
                next_frontier.append(path)
                made += 1
        frontier = next_frontier
    counts = {}
    for union in batch:
        if union.depth > top:
            above = union.path[:-step]
            counts[above] = counts.get(above, 0) + 1
    for union in batch:
        union.numchild = counts.get(union.path, 0)
    Union.objects.bulk_create(batch, batch_size=2000)
    if parent is not None:
        Union.objects.filter(pk=parent.pk).update(numchild=F("numchild") + 1)
    return Union.objects.get(path=root_path)


@contextmanager
def throwaway_database():
    """A test database beside the configured one, dropped afterwards. On SQLite a file,
    as in production, not the in-memory database the tests use."""
    settings.ALLOWED_HOSTS = ["testserver"]
    with tempfile.TemporaryDirectory(prefix="gqtrack-bench-") as folder:
        if connection.vendor == "sqlite":
            settings.DATABASES["default"]["TEST"]["NAME"] = os.path.join(folder, "bench.sqlite3")
        databases = setup_databases(verbosity=0, interactive=False)
        try:
            yield folder
        finally:
            connections.close_all()
            teardown_databases(databases, verbosity=0)


def in_child(function):
    """Run `function` in a forked process; return (its result, its peak RSS in MB)."""
    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            result = function()
        except BaseException as error:  # report it to the parent, whatever it is
            result = {"error": repr(error)}
        with os.fdopen(write, "w") as out:
            json.dump(result, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as source:
        result = json.load(source)
    _pid, _status, usage = os.wait4(pid, 0)
    if isinstance(result, dict) and "error" in result:
        raise RuntimeError(result["error"])
    return result, round(usage.ru_maxrss / 1024, 1)
