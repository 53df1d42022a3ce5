from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # The app's wiring, once every model is loaded: an issued directive gets the rows
        # its dashboards count.
        from directives.signals import directive_issued

        from .services import progress_rows_add

        def add_progress_rows(sender, directive, **kwargs):
            progress_rows_add(directive=directive)

        directive_issued.connect(add_progress_rows, dispatch_uid="reports.add_progress_rows")
