"""How fast the dashboards are on a synthetic province. Prints one JSON line per page.

python -m bench.dashboards [--units 10000]     (DATABASE_URL selects the database)

Each line: the page (`bench`), the database, the number of units, the SQL queries the
page runs, the median time to serve it through Django's test client (`server_ms`),
the median time of the bare SQL the page needs, written by hand below (`sql_ms`), their
ratio and the process's peak memory. `dashboard_root` also carries `live_sql_ms`: the
same counts taken from the entries and completions themselves, which is what the
summary table (RequirementProgress) saves the page from.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import time
import warnings

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gqtrack.settings")
django.setup()
warnings.filterwarnings("ignore", message="No directory at")  # collectstatic is not run here

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)
from django.utils import timezone  # noqa: E402

from bench.cascade import build_cascade  # noqa: E402
from bench.province import build_tree, in_child, throwaway_database  # noqa: E402
from directives.models import Assignment, Directive, Membership, Union  # noqa: E402
from reports.models import DUE_SOON_DAYS, ProgressEntry  # noqa: E402

REPEAT = 7


def median_ms(function, repeat=REPEAT):
    function()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_sql(statements):
    def run():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    return run


def subtree(node, column="u.path"):
    last = node.path + Union.alphabet[-1] * (Union.path_max_length - len(node.path))
    return f"{column} >= %s AND {column} <= %s AND {column} LIKE %s", [
        node.path,
        last,
        node.path + "%",
    ]


def local_date(column):
    """The calendar day in Shanghai of a stored timestamp."""
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"


def dashboard_sql(directive, node, today):
    """The aggregates a dashboard needs: statuses, figures, assignments with their reports,
    and requirements done per day for the chart."""
    key = (node.depth + 1) * Union.steplen
    where, params = subtree(node)
    origins = list(directive.requirements.values_list("origin_id", flat=True))
    marks = ", ".join(["%s"] * len(origins))
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    # Safe to build (bandit B608): the queries here and below interpolate only integers,
    # placeholders and this module's SQL fragments (`subtree`, `local_date`); values are
    # parameters.
    statuses = f"""
        SELECT union_key, origin,
          SUM(CASE WHEN n_open = 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN n_open > 0 AND n_overdue = 0 AND n_active > 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN n_open > 0 AND n_overdue = 0 AND n_active = 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN n_overdue > 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN n_overdue = 0 AND n_due_soon > 0 THEN 1 ELSE 0 END)
        FROM (
          SELECT p.union_id, r.origin_id AS origin, SUBSTR(u.path, 1, {key}) AS union_key,
            SUM(CASE WHEN p.done_at IS NULL THEN 1 ELSE 0 END) AS n_open,
            SUM(CASE WHEN p.done_at IS NULL AND r.due_on < %s THEN 1 ELSE 0 END) AS n_overdue,
            SUM(CASE WHEN p.done_at IS NULL AND r.due_on >= %s AND r.due_on <= %s
                THEN 1 ELSE 0 END) AS n_due_soon,
            SUM(CASE WHEN p.entry_count > 0 OR p.done_at IS NOT NULL THEN 1 ELSE 0 END)
              AS n_active
          FROM reports_requirementprogress p
          JOIN directives_union u ON u.id = p.union_id
          JOIN directives_requirement r ON r.id = p.requirement_id
          WHERE {where} AND r.origin_id IN ({marks})
          GROUP BY p.union_id, r.origin_id, SUBSTR(u.path, 1, {key})
        ) s GROUP BY union_key, origin"""  # nosec B608
    figures = f"""
        SELECT SUBSTR(u.path, 1, {key}), r.origin_id, f.figure, SUM(f.total)
        FROM reports_figuretotal f
        JOIN reports_requirementprogress p ON p.id = f.progress_id
        JOIN directives_union u ON u.id = p.union_id
        JOIN directives_requirement r ON r.id = p.requirement_id
        WHERE {where} AND r.origin_id IN ({marks})
        GROUP BY SUBSTR(u.path, 1, {key}), r.origin_id, f.figure"""  # nosec B608
    submitted = local_date("rp.first_submitted_at")
    unsent = "(rp.id IS NULL OR rp.first_submitted_at IS NULL)"
    sent = "rp.first_submitted_at IS NOT NULL AND rp.state <> 'returned'"
    assignments = f"""
        SELECT SUBSTR(u.path, 1, {key}), COUNT(*), COUNT(a.acknowledged_at),
          SUM(CASE WHEN EXISTS (SELECT 1 FROM directives_directive f
              WHERE f.parent_id = a.directive_id AND f.issuer_id = a.recipient_id
              AND f.state <> 'draft') THEN 1 ELSE 0 END),
          SUM(CASE WHEN u.numchild > 0 THEN 1 ELSE 0 END),
          SUM(CASE WHEN {sent} AND {submitted} <= d.report_due_on THEN 1 ELSE 0 END),
          SUM(CASE WHEN {sent} AND {submitted} > d.report_due_on THEN 1 ELSE 0 END),
          SUM(CASE WHEN rp.state = 'returned' THEN 1 ELSE 0 END),
          SUM(CASE WHEN {unsent} AND d.report_due_on < %s THEN 1 ELSE 0 END),
          SUM(CASE WHEN {unsent} AND (d.report_due_on >= %s OR d.report_due_on IS NULL)
              THEN 1 ELSE 0 END)
        FROM directives_assignment a
        JOIN directives_directive d ON d.id = a.directive_id
        JOIN directives_union u ON u.id = a.recipient_id
        LEFT JOIN reports_report rp ON rp.assignment_id = a.id
        WHERE d.origin_id = %s AND d.state <> 'draft' AND {where}
        GROUP BY SUBSTR(u.path, 1, {key})"""  # nosec B608
    done_by_day = f"""
        SELECT p.done_on, COUNT(*) FROM reports_requirementprogress p
        JOIN directives_union u ON u.id = p.union_id
        JOIN directives_requirement r ON r.id = p.requirement_id
        WHERE {where} AND r.origin_id IN ({marks}) AND p.done_on IS NOT NULL
        GROUP BY p.done_on ORDER BY p.done_on"""  # nosec B608
    return [
        (statuses, [today, today, soon, *params, *origins]),
        (figures, [*params, *origins]),
        (assignments, [today, today, directive.origin_id, *params]),
        (done_by_day, [*params, *origins]),
    ]


def live_statuses_sql(directive, node, today):
    """The status counts taken from entries and completions instead of the summary."""
    key = (node.depth + 1) * Union.steplen
    where, params = subtree(node)
    sql = f"""
        SELECT SUBSTR(u.path, 1, {key}), r.origin_id,
          SUM(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END),
          SUM(CASE WHEN c.id IS NULL AND r.due_on < %s THEN 1 ELSE 0 END),
          SUM(CASE WHEN c.id IS NULL AND r.due_on >= %s AND e.n > 0 THEN 1 ELSE 0 END),
          SUM(e.n), SUM(e.figures)
        FROM directives_assignment a
        JOIN directives_directive d ON d.id = a.directive_id
        JOIN directives_union u ON u.id = a.recipient_id
        JOIN directives_requirement r ON r.directive_id = a.directive_id
        LEFT JOIN reports_completion c
          ON c.assignment_id = a.id AND c.requirement_id = r.id
        LEFT JOIN (SELECT pe.assignment_id, pe.requirement_id, COUNT(*) AS n,
                          SUM(ef.value) AS figures
                   FROM reports_progressentry pe
                   LEFT JOIN reports_entryfigure ef ON ef.entry_id = pe.id
                   GROUP BY pe.assignment_id, pe.requirement_id) e
          ON e.assignment_id = a.id AND e.requirement_id = r.id
        WHERE d.origin_id = %s AND {where}
        GROUP BY SUBSTR(u.path, 1, {key}), r.origin_id"""  # nosec B608
    return [(sql, [today, today, directive.origin_id, *params])]


def overview_sql(top, today):
    where, params = subtree(top)
    sql = f"""
        SELECT cascade, SUM(CASE WHEN n_open = 0 THEN 1 ELSE 0 END), COUNT(*),
          COUNT(DISTINCT CASE WHEN n_overdue > 0 THEN union_id END)
        FROM (
          SELECT d.origin_id AS cascade, p.union_id, r.origin_id,
            SUM(CASE WHEN p.done_at IS NULL THEN 1 ELSE 0 END) AS n_open,
            SUM(CASE WHEN p.done_at IS NULL AND r.due_on < %s THEN 1 ELSE 0 END) AS n_overdue
          FROM reports_requirementprogress p
          JOIN directives_assignment a ON a.id = p.assignment_id
          JOIN directives_directive d ON d.id = a.directive_id
          JOIN directives_union u ON u.id = p.union_id
          JOIN directives_requirement r ON r.id = p.requirement_id
          WHERE {where}
          GROUP BY d.origin_id, p.union_id, r.origin_id
        ) s GROUP BY cascade"""  # nosec B608
    return [(sql, [today, *params])]


def tasks_sql(union):
    sql = """
        SELECT a.id, d.title, i.name, MIN(r.due_on), MAX(r.due_on)
        FROM directives_assignment a
        JOIN directives_directive d ON d.id = a.directive_id
        JOIN directives_union i ON i.id = d.issuer_id
        LEFT JOIN directives_requirement r ON r.directive_id = d.id
        WHERE a.recipient_id = %s AND d.state = 'issued'
        GROUP BY a.id, d.title, i.name, a.acknowledged_at
        ORDER BY a.acknowledged_at IS NOT NULL, MIN(r.due_on), a.id LIMIT 25"""
    return [(sql, [union.pk])]


def client_for(union, role):
    user = User.objects.create_user(f"bench-{union.pk}-{role}", password="x")
    Membership.objects.create(user=user, union=union, role=role)
    client = Client()
    client.force_login(user)
    return client


def measure(name, client, url, statements, units, extra=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    query_count = len(queries.captured_queries)  # before later requests clear the log
    server_ms = median_ms(lambda: client.get(url))
    sql_ms = median_ms(run_sql(statements))
    line = {
        "bench": name,
        "db": connection.vendor,
        "units": units,
        "queries": query_count,
        "server_ms": round(server_ms, 2),
        "sql_ms": round(sql_ms, 2),
        "ratio": round(server_ms / sql_ms, 2),
        "peak_rss_mb": peak_rss_mb(),
    }
    line.update(extra or {})
    print(json.dumps(line), flush=True)


def main(units):
    setup_test_environment(debug=False)
    with throwaway_database():
        # Built in a child process, so that this one's peak memory is the pages' alone.
        start = time.perf_counter()
        in_child(lambda: build_cascade(build_tree(units)) and None)
        built_s = round(time.perf_counter() - start, 1)
        root = Union.objects.get(depth=1)
        directive = Directive.objects.get(parent=None)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        total = Union.objects.in_subtree(root).count()
        extra = {"built_s": built_s, "entries": ProgressEntry.objects.count()}
        today = timezone.localdate()
        mid = Union.objects.filter(depth=3, numchild__gt=0).order_by("path")[1]
        leaf = (
            Assignment.objects.filter(recipient__numchild=0)
            .select_related("recipient")
            .order_by("pk")
            .first()
            .recipient
        )
        province = client_for(root, Membership.Role.SUPERVISOR)
        url = f"/directives/{directive.pk}/dashboard/"
        measure(
            "dashboard_root",
            province,
            url,
            dashboard_sql(directive, root, today),
            total,
            {
                **extra,
                "live_sql_ms": round(
                    median_ms(run_sql(live_statuses_sql(directive, root, today)), 3), 2
                ),
            },
        )
        measure(
            "dashboard_mid",
            province,
            f"{url}?unit={mid.pk}",
            dashboard_sql(directive, mid, today),
            total,
        )
        measure("overview", province, "/dashboard/", overview_sql(root, today), total)
        measure(
            "my_tasks",
            client_for(leaf, Membership.Role.STAFF),
            "/tasks/",
            tasks_sql(leaf),
            total,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    main(parser.parse_args().units)
