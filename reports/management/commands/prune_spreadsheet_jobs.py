from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reports.jobs import KEEP_DAYS, jobs_prune


class Command(BaseCommand):
    help = _(
        "Delete import and export jobs older than --days, with their files, mark jobs "
        "stuck for more than --stale-hours or whose process died as failed, and delete "
        "files no job holds. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=KEEP_DAYS)
        parser.add_argument("--stale-hours", type=int, default=6)

    def handle(self, *args, days, stale_hours, **options):
        deleted, failed, orphans = jobs_prune(days=days, stale_hours=stale_hours)
        self.stdout.write(
            _(
                "%(deleted)d old jobs deleted, %(failed)d stuck jobs marked failed, "
                "%(orphans)d files of no job deleted."
            )
            % {"deleted": deleted, "failed": failed, "orphans": orphans}
        )
