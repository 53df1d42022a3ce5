import signal

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.schedule import scheduler, triggers


class Command(BaseCommand):
    help = _(
        "Run the daily jobs at their times (settings.SCHEDULE: the reminders and the "
        "pruning of old import and export jobs): each is put on the tasks queue for the "
        "worker. Run one beside the workers; stop it with Ctrl-C or SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", help=_("Print each job and its next run, then stop.")
        )

    def handle(self, *args, list=False, **options):
        if list:
            now = timezone.now()
            for name, trigger in triggers():
                self.stdout.write(f"{name}\t{trigger.get_next_fire_time(None, now).isoformat()}")
            return
        schedule = scheduler()
        signal.signal(signal.SIGTERM, lambda *_args: schedule.shutdown(wait=False))
        self.stdout.write(
            _("Scheduler started: %(jobs)s")
            % {"jobs": ", ".join(j.id for j in schedule.get_jobs())}
        )
        schedule.start()
