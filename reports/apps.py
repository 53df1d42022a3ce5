from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from directives.signals import directive_issued

        from .models import RequirementProgress

        def add_progress_rows(sender, directive, **kwargs):
            RequirementProgress.objects.add_for(directive)

        directive_issued.connect(add_progress_rows, dispatch_uid="reports.add_progress_rows")
