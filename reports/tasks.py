"""Background work, run by `manage.py db_worker` (django-tasks' database backend)."""

from django_tasks import task

from .models import SpreadsheetJob


@task()
def run_spreadsheet_job(job_id):
    """Preview or import a big spreadsheet: see SpreadsheetJob.run."""
    job = SpreadsheetJob.objects.filter(pk=job_id).first()
    if job is not None:
        job.run()
