"""The admin's actions on people, offered in the lists of users and of memberships:
invitations by e-mail for those who have no password yet, one-time passwords for those
without an e-mail address, and deactivation, the way someone leaves.

Each action gets the rows ticked in a list already narrowed to the administrator's subtree,
and works on their users.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Membership
from .services import invitations_send, one_time_passwords_set, users_deactivate

User = get_user_model()


def users_of(queryset):
    """The users behind the ticked rows of a list of users or of memberships."""
    if queryset.model is Membership:
        return User.objects.filter(membership__in=queryset)
    return queryset


@admin.action(permissions=["change"], description=_("Send invitations to the selected users"))
def send_invitations(modeladmin, request, queryset):
    """An e-mail to each with a one-time link to set their first password."""
    users = users_of(queryset)
    try:
        sent = invitations_send(users=users, request=request)
    except OSError:
        modeladmin.message_user(
            request,
            _(
                "The e-mail server could not be reached or refused the invitations: some may "
                "not have been sent. Try again later; a second invitation does no harm."
            ),
            messages.ERROR,
        )
        return
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d invitation sent.",
            "%(count)d invitations sent.",
            sent,
        )
        % {"count": sent},
        messages.SUCCESS if sent else messages.WARNING,
    )
    left_out = users.count() - sent
    if left_out:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d of the selected users was not invited: only active users with an "
                "e-mail address who have no password yet and have never logged in are. Give "
                "those without an e-mail address a one-time password.",
                "%(count)d of the selected users were not invited: only active users with an "
                "e-mail address who have no password yet and have never logged in are. Give "
                "those without an e-mail address a one-time password.",
                left_out,
            )
            % {"count": left_out},
            messages.WARNING,
        )


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


@admin.action(
    permissions=["change"], description=_("Set one-time passwords for the selected users")
)
def set_one_time_passwords(modeladmin, request, queryset):
    """For people without an e-mail address: after a confirmation, a random password each,
    shown once, to be handed over in person or by telephone. Signed in with it, they must
    choose their own password before anything else."""
    ticked = users_of(queryset)
    users = ticked.filter(is_active=True, membership__isnull=False).exclude(pk=request.user.pk)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Set one-time passwords"),
        "opts": modeladmin.opts,
        "queryset": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "users": users.select_related("membership__union").order_by("username"),
        "left_out": ticked.count() - users.count(),
    }
    request.current_app = modeladmin.admin_site.name
    if request.POST.get("post") != "yes":
        return TemplateResponse(request, "admin/one_time_passwords.html", context)
    issued = one_time_passwords_set(users=context["users"])
    for user, _password in issued:
        modeladmin.log_change(request, user, [{"changed": {"fields": ["password"]}}])
    response = TemplateResponse(
        request, "admin/one_time_passwords.html", {**context, "issued": issued}
    )
    # The page shows passwords: no copy in any cache, the browser's back button included.
    response["Cache-Control"] = "no-store"
    return response
