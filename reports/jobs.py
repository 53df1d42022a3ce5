"""Spreadsheet jobs: an import that is previewed, then confirmed, and an export too big to
send at once. This module keeps the jobs' rows: it creates them, claims a confirmation,
runs a piece of work with the state and progress the user's page shows, and prunes old
jobs. What the work is (which resource reads the file, which table is written) is said by
the caller: `reports.tasks` looks it up by the job's kind.
"""

import datetime
import logging
import os
import socket
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from directives.spreadsheets.files import SpreadsheetError, estimate_rows, read_spreadsheet
from directives.spreadsheets.resources import file_rejected, import_dataset
from directives.spreadsheets.writing import csv_chunks, write_xlsx

from .models import SpreadsheetJob

logger = logging.getLogger(__name__)


# --- Starting -------------------------------------------------------------------------------


def job_upload(*, user, kind, upload, language, parameters=None):
    """Keep an uploaded file for a preview of its import (a dry run), not yet started.
    `parameters` may name the directive the file is for ({"directive": pk})."""
    return SpreadsheetJob.objects.create(
        user=user,
        kind=kind,
        parameters=parameters or {},
        file=upload,
        file_name=upload.name,
        language=language,
        dry_run=True,
        rows_total=estimate_rows(upload),
    )


def job_export(*, user, kind, parameters, file_name, rows_total, language):
    """An export for the worker to write, not yet started."""
    return SpreadsheetJob.objects.create(
        user=user,
        direction=SpreadsheetJob.Direction.EXPORT,
        kind=kind,
        parameters=parameters,
        file_name=file_name,
        rows_total=rows_total,
        language=language,
    )


def job_claim_confirmation(job):
    """Turn a clean preview into the import for real, ready to start again. Only once: of
    two confirmations, or a confirmation racing a second tab, the first wins and the others
    return False."""
    claimed = (
        SpreadsheetJob.objects.awaiting_confirmation()
        .filter(pk=job.pk)
        .update(
            dry_run=False,
            state=SpreadsheetJob.State.QUEUED,
            rows_done=None,
            outcome={},
            started_at=None,
            finished_at=None,
        )
    )
    if claimed:
        job.refresh_from_db()
    return bool(claimed)


# --- Running --------------------------------------------------------------------------------


class JobStopped(Exception):
    """The work stopped on an error that is not the file's (see ImportOutcome.fault) and
    wrote nothing; `outcome` is what the job's page shows of it."""

    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


def job_run(job, work):
    """Run `work(job)`, which returns the outcome to keep, with the job's state and times
    around it. A crash fails the job and is logged. Only a database that is gone raises,
    as recording the failure fails too: a request then answers with the 503 page and its
    transaction, the job's start included, is rolled back whole."""
    job.state, job.started_at, job.rows_done = SpreadsheetJob.State.RUNNING, timezone.now(), None
    job.runner = this_process()
    job.save(update_fields=["state", "started_at", "rows_done", "runner"])
    try:
        job.outcome = work(job)
    except Exception as error:
        logger.exception("Spreadsheet job %s failed", job.pk)
        job.state = SpreadsheetJob.State.FAILED
        job.outcome = error.outcome if isinstance(error, JobStopped) else {}
    else:
        job.state = SpreadsheetJob.State.DONE
        job.rows_done = job.rows_total
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "outcome", "rows_done", "finished_at"])


def import_rows(job, resource):
    """Read the job's file and import it through the resource (a dry run for a preview);
    return the outcome to keep, errors included."""
    with job.file.open("rb") as stored:
        try:
            dataset = read_spreadsheet(File(stored, name=job.file_name))
        except SpreadsheetError as error:
            return outcome_data(file_rejected(error, dry_run=job.dry_run))
    # Saved before the import's transaction opens, so that the page shows it at once.
    job.rows_total = len(dataset)
    job.save(update_fields=["rows_total"])
    with ProgressWriter(job) as progress:
        resource.progress = progress
        outcome = import_dataset(resource, dataset, dry_run=job.dry_run)
    if outcome.fault is not None:
        raise JobStopped({**outcome_data(outcome), "stopped_at": outcome.fault_row}) from (
            outcome.fault
        )
    return outcome_data(outcome)


def write_export(job, table):
    """Write the table into the job's `output`, counting the rows done as it goes."""
    job.rows_total = table.count
    job.save(update_fields=["rows_total"])

    def progress(rows_done, *_total):
        SpreadsheetJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    with tempfile.TemporaryFile() as out:
        if job.parameters.get("format") == "csv":
            for chunk in csv_chunks(table, progress=progress):
                out.write(chunk)
        else:
            write_xlsx(table, out, progress=progress)
        out.seek(0)
        job.output.save(job.file_name, File(out), save=False)
    job.save(update_fields=["output"])
    return {}


def outcome_data(outcome):
    """What the job's page shows of an import's outcome, bounded for a file of bad rows."""
    data = {
        "errors": [
            [error.row, error.column, error.message]
            for error in outcome.errors[: SpreadsheetJob.ERRORS_KEPT]
        ],
        "error_count": len(outcome.errors),
        "warnings": [
            [warning.row, warning.column, warning.message]
            for warning in outcome.warnings[: SpreadsheetJob.ERRORS_KEPT]
        ],
        "new": outcome.new,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rows": [],
    }
    if not outcome.errors and outcome.result is not None:
        # The library's results come one a dataset row, in order: row 2 of the file first.
        data["rows"] = [
            [number, row.import_type, row.object_repr]
            for number, row in enumerate(outcome.result.rows, start=2)
            if row.object_repr
        ][: SpreadsheetJob.ROWS_LISTED]
    return data


class ProgressWriter:
    """Writes to a job how many rows its import has done, every hundredth of the file, so
    that the user's page shows the count while the import's transaction is still open.

    The import keeps its rows in one transaction until the end (all or nothing), so the
    count goes through a database connection of its own, which commits at once. That takes
    a database with concurrent writers, PostgreSQL. SQLite has one writer, the import
    itself: there the count would wait for the import's lock, which the import would never
    release, so nothing is written until the end and the page just says "running". The same
    holds when the import runs inside a request's transaction (small files; tests, which
    run tasks at once), which may hold the job's row: the request waits for the end anyway.
    A lock timeout keeps any other case from hanging; the count then stops moving.
    """

    STEPS = 100

    def __init__(self, job):
        self.job = job
        self.next_at = 0
        self.connection = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.connection = connections.create_connection(connection.alias)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __call__(self, rows_done, rows_total):
        if self.connection is None or rows_done < self.next_at:
            return
        self.next_at = rows_done + max(1, rows_total // self.STEPS)
        table = self.connection.ops.quote_name(SpreadsheetJob._meta.db_table)
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    # Safe to build: the model's own table name, quoted; values are parameters.
                    f"UPDATE {table} SET rows_done = %s WHERE id = %s",  # nosec B608
                    [rows_done, self.job.pk],
                )
        except DatabaseError:
            logger.warning("Job %s: progress cannot be written; it shows at the end", self.job.pk)
            self.close()


# --- Runs whose process died ------------------------------------------------------------


def this_process():
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, run by another user
    return True


def jobs_fail_abandoned(jobs=None):
    """Mark failed the running jobs (of `jobs`, by default all) whose process on this
    machine is gone: a worker or server killed mid-run. Their import wrote nothing (it is
    one transaction); the user uploads the file again. Jobs run on other machines are
    left to those machines, and to `jobs_prune`'s stale hours. Return how many."""
    host = socket.gethostname()
    jobs = SpreadsheetJob.objects.all() if jobs is None else jobs
    running = jobs.filter(state=SpreadsheetJob.State.RUNNING, runner__startswith=f"{host}:")
    dead = [
        pk
        for pk, runner in running.values_list("pk", "runner")
        if runner.rpartition(":")[2].isdigit() and not process_alive(int(runner.rpartition(":")[2]))
    ]
    if not dead:
        return 0
    logger.warning("Spreadsheet jobs %s: their process is gone, marked failed", dead)
    return SpreadsheetJob.objects.filter(pk__in=dead, state=SpreadsheetJob.State.RUNNING).update(
        state=SpreadsheetJob.State.FAILED, finished_at=timezone.now()
    )


# --- Pruning --------------------------------------------------------------------------------


# How long a job and its file are kept (prune_spreadsheet_jobs), as the export page says.
KEEP_DAYS = 30


def jobs_prune(*, days, stale_hours):
    """Delete jobs older than `days` with their files, call failed the jobs queued or
    running for more than `stale_hours` (their worker died) and those whose process on
    this machine is gone, and delete the files no job holds (a server killed between
    storing an upload and creating its job). Return the counts: jobs deleted, jobs
    failed, files deleted."""
    now = timezone.now()
    abandoned = jobs_fail_abandoned()
    failed = SpreadsheetJob.objects.filter(
        state__in=[SpreadsheetJob.State.QUEUED, SpreadsheetJob.State.RUNNING],
        created_at__lt=now - datetime.timedelta(hours=stale_hours),
    ).update(state=SpreadsheetJob.State.FAILED, finished_at=now)
    deleted = 0
    old = SpreadsheetJob.objects.filter(created_at__lt=now - datetime.timedelta(days=days))
    for job in old.iterator():
        job.file.delete(save=False)
        job.output.delete(save=False)
        job.delete()
        deleted += 1
    return deleted, failed + abandoned, orphans_delete(older_than=now - ORPHAN_AFTER)


# A stored file younger than this may belong to an upload still being handled.
ORPHAN_AFTER = datetime.timedelta(hours=1)


def orphans_delete(*, older_than):
    """Delete the files under the jobs' folders that no job holds, if older than
    `older_than`. Return how many."""
    held = set()
    for file, output in SpreadsheetJob.objects.values_list("file", "output"):
        held.update(name for name in (file, output) if name)
    deleted = 0
    for folder in (f"{direction}s" for direction in SpreadsheetJob.Direction.values):
        for name in stored_files(folder):
            if name in held:
                continue
            try:
                modified = default_storage.get_modified_time(name)
            except (OSError, NotImplementedError):
                continue
            if modified < older_than:
                default_storage.delete(name)
                deleted += 1
    return deleted


def stored_files(folder):
    """Every file's name beneath a folder of the storage, at any depth."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from stored_files(f"{folder}/{sub}")
