"""Running spreadsheet jobs, in the request for small files or on the background worker
(`manage.py db_worker`, django-tasks' database backend) for big ones.

The job names its kind; this module finds what that kind means, the import resource of
`imports.IMPORTABLES` or the table of `exports.table_for`, and hands it to `jobs`.
"""

from django.conf import settings
from django_tasks import task

from . import jobs
from .exports import table_for
from .imports import IMPORTABLES
from .models import SpreadsheetJob


def job_work(job):
    """What running the job does: import its file, or write its export."""
    if job.direction == SpreadsheetJob.Direction.EXPORT:
        return lambda job: jobs.write_export(job, table_for(job.user, job.kind, job.parameters))
    return lambda job: jobs.import_rows(job, IMPORTABLES[job.kind].job_resource(job))


def job_run_now(job):
    jobs.job_run(job, job_work(job))


@task()
def run_spreadsheet_job(job_id):
    """Run a job the worker was given (see `job_start`)."""
    # A worker restarted after being killed first says so on what the dead one left.
    jobs.jobs_fail_abandoned()
    job = SpreadsheetJob.objects.filter(pk=job_id).first()
    if job is not None:
        job_run_now(job)


def in_background(job):
    """Exports sent here and big imports, or imports whose size cannot be told, go to the
    worker; small imports run at once."""
    return (
        job.direction == SpreadsheetJob.Direction.EXPORT
        or job.rows_total is None
        or job.rows_total > settings.IMPORT_BACKGROUND_ROWS
    )


def job_start(job):
    if in_background(job):
        run_spreadsheet_job.enqueue(job.pk)
    else:
        job_run_now(job)
