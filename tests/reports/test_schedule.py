"""The daily jobs run on their own: `run_schedule` puts each on the tasks queue at its time
(settings.SCHEDULE), and the worker runs it."""

import datetime
import io
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.utils import timezone

from reports.models import Notification, SpreadsheetJob
from reports.schedule import TASKS, scheduler, triggers

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_reminders_are_enqueued_every_morning_and_the_pruning_every_night(settings):
    moment = datetime.datetime(2015, 10, 30, 12, 0, tzinfo=SHANGHAI)

    times = {name: trigger.get_next_fire_time(None, moment) for name, trigger in triggers()}

    assert times == {
        "send_reminders": datetime.datetime(2015, 10, 31, 8, 0, tzinfo=SHANGHAI),
        "prune_spreadsheet_jobs": datetime.datetime(2015, 10, 31, 3, 17, tzinfo=SHANGHAI),
    }
    assert {job.id for job in scheduler().get_jobs()} == set(TASKS)


def test_an_empty_line_turns_a_job_off_and_list_says_what_runs(settings):
    settings.SCHEDULE = {"send_reminders": "30 7 * * mon-fri", "prune_spreadsheet_jobs": ""}
    out = io.StringIO()

    with time_machine.travel(datetime.datetime(2015, 10, 30, 12, 0, tzinfo=SHANGHAI)):
        call_command("run_schedule", "--list", stdout=out)

    # Friday noon: the next weekday morning is Monday.
    assert out.getvalue() == "send_reminders\t2015-11-02T07:30:00+08:00\n"


def test_the_scheduled_reminders_are_sent_when_the_worker_runs_them(edu_directive, people):
    with time_machine.travel(datetime.datetime(2015, 11, 1, 8, 0, tzinfo=SHANGHAI), tick=False):
        result = TASKS["send_reminders"].enqueue()

    # The tests' tasks backend runs a task as soon as it is enqueued.
    assert result.return_value == {"notifications": 3, "emails": 0, "webhooks": 0}
    assert Notification.objects.filter(kind=Notification.Kind.OVERDUE).count() == 3


def test_the_scheduled_pruning_marks_a_stuck_job_failed(people):
    job = SpreadsheetJob.objects.create(
        user=people.edu,
        kind="progress",
        file_name="进展.xlsx",
        state=SpreadsheetJob.State.RUNNING,
    )
    # Running for seven hours: its worker died.
    SpreadsheetJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=7)
    )

    result = TASKS["prune_spreadsheet_jobs"].enqueue()

    job.refresh_from_db()
    assert result.return_value["failed"] == 1
    assert job.state == SpreadsheetJob.State.FAILED
