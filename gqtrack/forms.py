"""Django's password forms with the app's Bootstrap classes, for the account pages."""

from django.contrib.auth import forms as auth_forms

from directives.forms import style


class StyledMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class PasswordChangeForm(StyledMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(StyledMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(StyledMixin, auth_forms.SetPasswordForm):
    pass
