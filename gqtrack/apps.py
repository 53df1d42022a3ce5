from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (login attempts and lockouts) under a name the admin shows translated."""

    verbose_name = _("Login attempts")
