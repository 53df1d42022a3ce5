import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.reminders import reminders_send


class Command(BaseCommand):
    help = _(
        "Remind each union of its deadlines coming and just missed, in the app, by e-mail "
        "and in its group chat; run it every day (it never tells anyone twice). Prints one "
        "JSON line: notifications, emails, webhooks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help=_("The day to remind as of, YYYY-MM-DD (default: today in Shanghai)."),
        )

    def handle(self, *args, today=None, **options):
        if today:
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(_("--today takes a date as YYYY-MM-DD.")) from error
        sent = reminders_send(today or timezone.localdate())
        self.stdout.write(
            json.dumps(
                {
                    "notifications": sent.notifications,
                    "emails": sent.emails,
                    "webhooks": sent.webhooks,
                }
            )
        )
