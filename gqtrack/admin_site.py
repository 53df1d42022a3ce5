"""The admin site: Django's, except that a membership with the administrator role opens it.

Django lets only users with the staff status (工作人员状态) into the admin. An administrator
of a subtree needs it for the work their role gives them, so the role is what counts here:
a user made administrator, by the admin, a users import or anyone else, gets in at once,
and one whose role changes away, or who is deactivated, is out at once. Nothing is copied
into is_staff that could fall out of step with the role.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm

from directives.access import may_open_admin


class LoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not may_open_admin(user):
            super().confirm_login_allowed(user)


class AdminSite(admin.AdminSite):
    login_form = LoginForm

    def has_permission(self, request):
        return may_open_admin(request.user)
