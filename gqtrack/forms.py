"""Django's password forms with the app's Bootstrap classes, for the account pages. A
password the user sets through them is their own: it ends a one-time password's hold."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from directives.access import password_change_required
from directives.forms import style
from directives.services import password_set


class StyledMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class ChosenPasswordMixin:
    def set_password_and_save(self, user, password_field_name="new_password1", commit=True):
        if not commit:
            return super().set_password_and_save(user, password_field_name, commit)
        return password_set(user=user, password=self.cleaned_data[password_field_name])


class PasswordChangeForm(StyledMixin, ChosenPasswordMixin, auth_forms.PasswordChangeForm):
    def clean(self):
        cleaned_data = super().clean()
        new = cleaned_data.get("new_password1")
        if new and password_change_required(self.user) and self.user.check_password(new):
            self.add_error(
                "new_password1",
                forms.ValidationError(
                    _("Choose a password of your own, not the one-time password."),
                    code="password_unchanged",
                ),
            )
        return cleaned_data


class PasswordResetForm(StyledMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(StyledMixin, ChosenPasswordMixin, auth_forms.SetPasswordForm):
    pass
