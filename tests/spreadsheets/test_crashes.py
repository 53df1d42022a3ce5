"""What a killed worker or server leaves behind is cleaned up: runs whose process died
are marked failed, files that no job holds are deleted."""

import datetime
import os
import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from directives.models import Membership
from reports.models import SpreadsheetJob
from reports.tasks import run_spreadsheet_job
from tests.conftest import make_user

from .conftest import upload


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)


def dead_pid():
    """The process id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def running_job(user, runner):
    job = SpreadsheetJob.objects.create(
        user=user,
        kind="unions",
        file=upload("单位.csv", "单位代码\n".encode()),
        file_name="单位.csv",
        dry_run=True,
    )
    SpreadsheetJob.objects.filter(pk=job.pk).update(
        state=SpreadsheetJob.State.RUNNING, started_at=timezone.now(), runner=runner
    )
    return job


def test_a_run_whose_process_died_shows_as_failed_on_its_page(edu_admin, login):
    here = socket.gethostname()
    dead = running_job(edu_admin, f"{here}:{dead_pid()}")
    alive = running_job(edu_admin, f"{here}:{os.getpid()}")
    elsewhere = running_job(edu_admin, f"another-machine:{dead_pid()}")
    client = login(edu_admin)

    responses = {
        job.pk: client.get(reverse("import_job_progress", args=[job.pk]))
        for job in (dead, alive, elsewhere)
    }

    assert responses[dead.pk]["HX-Refresh"] == "true"
    assert "HX-Refresh" not in responses[alive.pk]
    assert "HX-Refresh" not in responses[elsewhere.pk]
    states = dict(SpreadsheetJob.objects.values_list("pk", "state"))
    assert states == {dead.pk: "failed", alive.pk: "running", elsewhere.pk: "running"}


def test_a_worker_marks_what_a_dead_worker_left_before_its_next_task(edu_admin):
    dead = running_job(edu_admin, f"{socket.gethostname()}:{dead_pid()}")

    run_spreadsheet_job.enqueue(0)  # a task for a job that is gone does nothing else

    dead.refresh_from_db()
    assert (dead.state, dead.finished_at is not None) == ("failed", True)


def test_pruning_deletes_files_that_no_job_holds(edu_admin, settings):
    held = running_job(edu_admin, "")
    old = timezone.now() - datetime.timedelta(hours=2)
    orphan = default_storage.save("imports/2026/11/orphan.csv", ContentFile(b"x"))
    fresh = default_storage.save("imports/2026/11/fresh.csv", ContentFile(b"x"))
    export = default_storage.save("exports/2026/11/orphan.xlsx", ContentFile(b"x"))
    for name in (orphan, export, held.file.name):
        os.utime(default_storage.path(name), (old.timestamp(), old.timestamp()))
    out = StringIO()

    call_command("prune_spreadsheet_jobs", stdout=out)

    assert not default_storage.exists(orphan)
    assert not default_storage.exists(export)
    assert default_storage.exists(fresh)  # an upload may still be on its way to its job
    assert default_storage.exists(held.file.name)
    assert "2 files of no job deleted" in out.getvalue()
