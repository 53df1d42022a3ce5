from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def standard_figures_ensure(sender, using="default", **kwargs):
    sender.get_model("CatalogueFigure").objects.using(using).ensure_standard()


class DirectivesConfig(AppConfig):
    name = "directives"
    verbose_name = _("Directives")

    def ready(self):
        # After every migrate and every flush (tests that empty the database included).
        post_migrate.connect(standard_figures_ensure, sender=self)
