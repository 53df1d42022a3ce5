"""The admin's actions on people, offered in the lists of users and of memberships:
deactivate, the way someone leaves.

Each action gets the rows ticked in a list already narrowed to the administrator's subtree,
and works on their users.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Membership
from .services import users_deactivate

User = get_user_model()


def users_of(queryset):
    """The users behind the ticked rows of a list of users or of memberships."""
    if queryset.model is Membership:
        return User.objects.filter(membership__in=queryset)
    return queryset


@admin.action(permissions=["change"], description=_("Deactivate the selected users"))
def deactivate(modeladmin, request, queryset):
    users = users_of(queryset)
    if users.filter(pk=request.user.pk).exists():
        modeladmin.message_user(
            request, _("You cannot deactivate yourself; you were left out."), messages.WARNING
        )
        users = users.exclude(pk=request.user.pk)
    deactivated = users_deactivate(users=users)
    for user in deactivated:
        # The field's name untranslated, as Django keeps it: the history shows it translated.
        modeladmin.log_change(request, user, [{"changed": {"fields": ["active"]}}])
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d user deactivated: they can no longer log in, and what they wrote keeps "
            "their name.",
            "%(count)d users deactivated: they can no longer log in, and what they wrote keeps "
            "their names.",
            len(deactivated),
        )
        % {"count": len(deactivated)},
        messages.SUCCESS,
    )
