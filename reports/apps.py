from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The app's wiring, once every model is loaded: an issued directive gets the rows
        # its dashboards count; a merged union's rows and urges follow its assignments.
        from directives.signals import directive_issued, union_merged

        from .services import progress_rows_add, progress_rows_move

        def add_progress_rows(sender, directive, **kwargs):
            progress_rows_add(directive=directive)

        def move_progress_rows(sender, union, into, assignments, **kwargs):
            progress_rows_move(assignments=assignments, union=into, merged=union)

        directive_issued.connect(add_progress_rows, dispatch_uid="reports.add_progress_rows")
        union_merged.connect(move_progress_rows, dispatch_uid="reports.move_progress_rows")
