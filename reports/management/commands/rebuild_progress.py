from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reports.services import progress_rebuild


class Command(BaseCommand):
    help = _(
        "Count every union's progress on every requirement again from the entries and "
        "completions (the dashboards' summary). Run it after changing data outside the app."
    )

    def handle(self, *args, **options):
        count = progress_rebuild()
        self.stdout.write(_("%(count)d progress rows counted.") % {"count": count})
