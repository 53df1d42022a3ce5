from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DirectivesConfig(AppConfig):
    name = "directives"
    verbose_name = _("Directives")

    def ready(self):
        # The app's wiring, once every model is loaded: after every migrate and every flush
        # (tests that empty the database included), the ten standard figures are there.
        from .services import standard_figures_ensure

        def ensure_standard_figures(sender, using="default", **kwargs):
            standard_figures_ensure(using=using)

        post_migrate.connect(
            ensure_standard_figures, sender=self, dispatch_uid="directives.standard_figures"
        )
