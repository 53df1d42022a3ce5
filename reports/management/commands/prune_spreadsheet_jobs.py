from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reports.jobs import jobs_prune


class Command(BaseCommand):
    help = _(
        "Delete import and export jobs older than --days, with their files, and mark jobs "
        "stuck for more than --stale-hours as failed. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--stale-hours", type=int, default=6)

    def handle(self, *args, days, stale_hours, **options):
        deleted, failed = jobs_prune(days=days, stale_hours=stale_hours)
        self.stdout.write(
            _("%(deleted)d old jobs deleted, %(failed)d stuck jobs marked failed.")
            % {"deleted": deleted, "failed": failed}
        )
