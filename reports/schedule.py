"""What runs on its own every day, and when (`manage.py run_schedule`).

The schedule only enqueues: at each time of settings.SCHEDULE it puts the job's task on the
tasks backend (django-tasks, the database queue), and the worker (`db_worker`) runs it, as
it runs big imports. So one scheduler process is enough for any number of workers, and a
job the scheduler enqueued survives the scheduler's restart.
"""

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .jobs import KEEP_DAYS, jobs_prune
from .reminders import reminders_send

STALE_HOURS = 6


@task()
def send_reminders_daily():
    """`manage.py send_reminders` for today in Shanghai: what it prints, as a dict."""
    sent = reminders_send(timezone.localdate())
    return {"notifications": sent.notifications, "emails": sent.emails, "webhooks": sent.webhooks}


@task()
def prune_spreadsheet_jobs_daily():
    """`manage.py prune_spreadsheet_jobs` with its defaults."""
    deleted, failed, orphans = jobs_prune(days=KEEP_DAYS, stale_hours=STALE_HOURS)
    return {"deleted": deleted, "failed": failed, "orphans": orphans}


# The name of each scheduled job (a key of settings.SCHEDULE) → its task.
TASKS = {
    "send_reminders": send_reminders_daily,
    "prune_spreadsheet_jobs": prune_spreadsheet_jobs_daily,
}


def enqueue(name):
    TASKS[name].enqueue()


def triggers():
    """(name, trigger) of each entry of settings.SCHEDULE: a crontab line each, in the
    project's time zone; an empty line turns the job off."""
    return [
        (name, CronTrigger.from_crontab(crontab, timezone=settings.TIME_ZONE))
        for name, crontab in settings.SCHEDULE.items()
        if crontab.strip()
    ]


def scheduler():
    """A scheduler, not yet started, that enqueues each job of settings.SCHEDULE."""
    schedule = BlockingScheduler(timezone=settings.TIME_ZONE)
    for name, trigger in triggers():
        schedule.add_job(
            enqueue,
            trigger,
            args=[name],
            id=name,
            name=name,
            # A run missed by a little (the machine was busy) still happens, once.
            misfire_grace_time=3600,
            coalesce=True,
        )
    return schedule
