from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The app's wiring, once every model is loaded: an issued directive gets the rows
        # its dashboards count, and its recipients are told; a merged union's rows and urges
        # follow its assignments.
        from directives.signals import directive_issued, union_merged

        from .notifications import notify_directive_issued, unions_told_message
        from .services import progress_rows_add, progress_rows_move

        def add_progress_rows(sender, directive, **kwargs):
            progress_rows_add(directive=directive)

        def tell_recipients(sender, directive, **kwargs):
            # What the issuing page says of who was told.
            return unions_told_message(notify_directive_issued(directive=directive), "recipients")

        def move_progress_rows(sender, union, into, assignments, **kwargs):
            progress_rows_move(assignments=assignments, union=into, merged=union)

        directive_issued.connect(add_progress_rows, dispatch_uid="reports.add_progress_rows")
        directive_issued.connect(tell_recipients, dispatch_uid="reports.tell_recipients")
        union_merged.connect(move_progress_rows, dispatch_uid="reports.move_progress_rows")
