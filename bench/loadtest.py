"""Union staff at work on a real server: one JSON line of throughput, latency and writes.

python -m bench.loadtest [--unions 3000] [--users 20] [--seconds 60]

DATABASE_URL names the PostgreSQL database to create and drop (default
postgres://postgres@127.0.0.1:5432/gqtrack_loadtest; its name must contain "loadtest",
since any database of that name is dropped). The run:

1. creates the database, migrates it, loads the demo data and grows a subtree of
   `--unions` unions under the demo's education union, which issues a directive to every
   union beneath it; each synthetic union gets a staff user (bench/loadtest_data.py);
2. serves the app with gunicorn on 127.0.0.1 as production would, DEBUG off, but over
   plain HTTP, its static files collected into a temporary folder;
3. runs locust headless for `--seconds` with `--users` simulated staff, each logged in
   once as a different person, reading their tasks and posting progress
   (bench/locustfile.py), and lets every user finish the task it is in;
4. stops gunicorn, counts the progress entries now in the database, and prints:

   rps, p50_ms, p99_ms   every request locust made, logins included: requests per second
                         over the run, and the median and 99th-percentile response time
   errors                failed requests (wrong status, missing form, refused save) plus
                         exceptions in the simulated users
   expected              posts the server answered with the redirect to the assignment
                         page, which it sends only after saving the entry
   written               progress entries in the database afterwards that were not
                         there before: errors 0 and written == expected is the bar

   then `requests`, `unions`, `users` and `seconds` (the measured span of the run),
   and on stderr the same figures for each kind of request;
5. drops the database, whatever happened, and exits with 1 when the line is below the bar.
"""

import argparse
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from bench.staff_pages import MARKER

PROJECT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gqtrack_loadtest"
STOP_TIMEOUT = 30  # seconds locust waits for users to finish the task they are in


def log(message):
    print(f"loadtest: {message}", file=sys.stderr, flush=True)


# --- The JSON line -------------------------------------------------------------------------


def percentile(histogram, fraction):
    """The smallest response time that `fraction` of the requests took at most
    (nearest rank), from a {milliseconds: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return 0
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for milliseconds in sorted(histogram):
        seen += histogram[milliseconds]
        if seen >= rank:
            return milliseconds
    raise AssertionError("unreachable: the ranks add up to the total")


def histogram_of(entries):
    """The response times of several stats entries in one {milliseconds: count}."""
    histogram = Counter()
    for entry in entries:
        for milliseconds, count in entry["response_times"].items():
            histogram[round(float(milliseconds))] += count
    return histogram


def breakdown(stats):
    """Lines for people: each kind of request with its count, failures and latency."""
    lines = [f"{'request':<58} {'count':>6} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7}"]
    for entry in sorted(stats, key=lambda entry: (entry["name"], entry["method"])):
        histogram = histogram_of([entry])
        lines.append(
            f"{entry['method'] + ' ' + entry['name']:<58} {entry['num_requests']:>6} "
            f"{entry['num_failures']:>6} {percentile(histogram, 0.5):>7} "
            f"{percentile(histogram, 0.99):>7}"
        )
    return lines


def summarise(stats, *, expected, written, user_errors=0):
    """The figures of the JSON line from locust's final stats: the entries of its
    --json-file, one per request name and method, each with num_requests, num_failures,
    start_time, last_request_timestamp and a response_times histogram (milliseconds,
    rounded as locust rounds them, as JSON keys: strings)."""
    requests = sum(entry["num_requests"] for entry in stats)
    histogram = histogram_of(stats)
    start = min((entry["start_time"] for entry in stats), default=0)
    end = max((entry["last_request_timestamp"] or 0 for entry in stats), default=0)
    seconds = end - start if end > start else 0
    return {
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": percentile(histogram, 0.50),
        "p99_ms": percentile(histogram, 0.99),
        "errors": sum(entry["num_failures"] for entry in stats) + user_errors,
        "written": written,
        "expected": expected,
        "requests": requests,
        "seconds": round(seconds, 1),
    }


# --- The database --------------------------------------------------------------------------


def database_of(url):
    """The connection settings of a throw-away PostgreSQL database, or SystemExit."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"loadtest: DATABASE_URL must name a PostgreSQL database, not {url}")
    if "loadtest" not in config["NAME"]:
        raise SystemExit(
            f"loadtest: the database {config['NAME']!r} would be dropped; name one whose name "
            "contains 'loadtest', e.g. DATABASE_URL=" + DEFAULT_DATABASE_URL
        )
    return config


def maintenance(config, statement):
    """Run CREATE or DROP DATABASE on the server's `postgres` database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(sql.SQL(statement).format(sql.Identifier(config["NAME"])))


# --- The server and the clients ------------------------------------------------------------


def server_environment(database_url, folder):
    """Production settings over plain HTTP on the loopback address."""
    return {
        "DJANGO_SETTINGS_MODULE": "gqtrack.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(Path(folder) / "static"),
        "MEDIA_ROOT": str(Path(folder) / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(server, host, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start:\n{tail(log_path)}")
        try:
            # The host is the gunicorn this script started on 127.0.0.1: an http URL.
            url = f"{host}/accounts/login/"
            with urllib.request.urlopen(url, timeout=5) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{tail(log_path)}")


def stop(process, name):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT + 15)
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop; killing it")
            process.kill()
            process.wait()


def tail(path, lines=30):
    try:
        return "".join(Path(path).read_text(errors="replace").splitlines(True)[-lines:])
    except OSError:
        return ""


def run_locust(host, folder, *, users, seconds, spawn_rate, accounts, password):
    """Run bench/locustfile.py headless; return its stats entries and its own results."""
    accounts_path = Path(folder) / "accounts.txt"
    accounts_path.write_text("\n".join(accounts) + "\n", encoding="utf-8")
    results_path = Path(folder) / "results.json"
    stats_path = Path(folder) / "stats"
    environment = {
        **os.environ,
        "GQ_LOADTEST_ACCOUNTS": str(accounts_path),
        "GQ_LOADTEST_PASSWORD": password,
        "GQ_LOADTEST_RESULTS": str(results_path),
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s",
        "--stop-timeout", str(STOP_TIMEOUT), "--host", host,
        "--only-summary", "--json-file", str(stats_path), "--loglevel", "WARNING",
    ]  # fmt: skip
    # Its output goes to stderr: stdout carries the JSON line alone.
    locust = subprocess.Popen(command, cwd=PROJECT, env=environment, stdout=sys.stderr)
    try:
        locust.wait(timeout=seconds + STOP_TIMEOUT + 120)
    finally:
        stop(locust, "locust")
    stats_file = stats_path.with_suffix(".json")
    if not stats_file.exists() or not results_path.exists():
        raise RuntimeError(f"locust ended ({locust.returncode}) without writing its results")
    stats = json.loads(stats_file.read_text())
    results = json.loads(results_path.read_text())
    return stats, results


# --- The run -------------------------------------------------------------------------------


def entries_now():
    """The progress entries in the database: their number and the load test's markers."""
    from reports.models import ProgressEntry

    narratives = ProgressEntry.objects.filter(narrative__contains="（压测 ").values_list(
        "narrative", flat=True
    )
    markers = {match.group(1) for text in narratives.iterator() for match in MARKER.finditer(text)}
    return ProgressEntry.objects.count(), markers


def collect_static():
    """Collect the static files with the manifest the server reads, without the compressed
    copies WhiteNoise adds to each: those take minutes for the vendored Bootstrap and
    Chart.js on a busy machine, and the simulated staff fetch no static file."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}):
        call_command("collectstatic", interactive=False, verbosity=0)


def run(args, database_url, folder):
    import django

    os.environ.update(server_environment(database_url, folder))
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.loadtest_data import PASSWORD, build

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    collect_static()
    accounts = build(unions=args.unions)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    before, _markers = entries_now()
    connections.close_all()
    log(
        f"database ready in {time.perf_counter() - started:.1f} s: {args.unions} unions "
        f"under the education union, one staff user each, {before} progress entries"
    )

    port = args.port or free_port()
    host = f"http://127.0.0.1:{port}"
    server_log = Path(folder) / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "gqtrack.wsgi", "-b", f"127.0.0.1:{port}"]
    with open(server_log, "wb") as output:
        server = subprocess.Popen(
            [*command, "-w", str(args.workers)],
            cwd=PROJECT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(server, host, server_log)
        log(f"gunicorn serves {host} with {args.workers} workers; locust runs {args.seconds} s")
        stats, results = run_locust(
            host,
            folder,
            users=args.users,
            seconds=args.seconds,
            spawn_rate=args.spawn_rate,
            accounts=accounts,
            password=PASSWORD,
        )
    finally:
        stop(server, "gunicorn")

    after, markers = entries_now()
    saved = set(results["saved"])
    line = summarise(
        stats,
        expected=len(results["saved"]),
        written=after - before,
        user_errors=results["user_errors"],
    )
    line.update(unions=args.unions, users=args.users)
    # The counts above are the bar; this says which entries differ when they do not agree.
    if markers != saved:
        log(
            f"{len(markers - saved)} entries saved without the client being told, "
            f"{len(saved - markers)} confirmed to the client but not in the database"
        )
    for text in breakdown(stats):
        log(text)
    if line["errors"]:
        log(f"the server's log ends:\n{tail(server_log)}")
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unions", type=int, default=3000, help="synthetic unions (and users)")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated staff")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load lasts")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args()
    if not 1 <= args.users <= args.unions:
        parser.error("--users must be between 1 and --unions: each logs in as another person")

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = database_of(database_url)
    # A stop asked for by `kill` unwinds like Ctrl+C: the server stops, the database goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gqtrack-loadtest-") as folder:
        maintenance(config, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
        maintenance(config, "CREATE DATABASE {}")
        try:
            line = run(args, database_url, folder)
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            maintenance(config, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
            log(f"database {config['NAME']} dropped; {time.perf_counter() - started:.0f} s in all")
    print(json.dumps(line), flush=True)
    if line["errors"] or line["written"] != line["expected"]:
        log("below the bar: it asks for no error and every confirmed entry in the database")
        sys.exit(1)


if __name__ == "__main__":
    main()
