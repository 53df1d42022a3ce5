from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    """django-axes (login attempts and lockouts) under a name the admin shows translated."""

    verbose_name = _("Login attempts")


class AdminConfig(DjangoAdminConfig):
    """Django's admin, on the site that administrators of a subtree open by their role."""

    default_site = "gqtrack.admin_site.AdminSite"


class TasksDatabaseConfig(TasksAppConfig):
    """The background tasks' results (django_tasks_db) under a name the admin shows
    translated: the library names its app in English only."""

    verbose_name = _("Background tasks")


# django_tasks_db ships no Chinese catalogue. Naming its strings here brings them into
# ours, and Django then finds their translations for its admin pages.
TASKS_STRINGS = (
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
)
