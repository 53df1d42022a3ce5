from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (login attempts and lockouts) under a name the admin shows translated."""

    verbose_name = _("Login attempts")


class AdminConfig(DjangoAdminConfig):
    """Django's admin, on the site that administrators of a subtree open by their role."""

    default_site = "gqtrack.admin_site.AdminSite"
