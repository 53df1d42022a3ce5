"""The admin site: Django's, except that a membership with the administrator role opens it.

Django lets only users with the staff status (工作人员状态) into the admin. An administrator
of a subtree needs it for the work their role gives them, so the role is what counts here:
a user made administrator, by the admin, a users import or anyone else, gets in at once,
and one whose role changes away, or who is deactivated, is out at once. Nothing is copied
into is_staff that could fall out of step with the role.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

from directives.access import may_open_admin


class LoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not may_open_admin(user):
            super().confirm_login_allowed(user)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete answers that tell namesakes apart: a union shows its code as well."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(obj, "choice_label", None)
        return {**result, "text": str(label)} if label else result


class AdminSite(admin.AdminSite):
    login_form = LoginForm

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

    def has_permission(self, request):
        return may_open_admin(request.user)
