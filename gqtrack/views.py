"""Pages of the project rather than of an app: the page an invitation opens, the answer to
a login that is locked out (django-axes calls `locked_out`), to a form refused by the CSRF
check, to a request the database could not serve, and the server error page."""

import re
import sys
from base64 import b64encode
from hashlib import sha256

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import defaults

from directives.access import RoleRequired
from directives.services import invitation_tokens

from .forms import SetPasswordForm

# django-axes ships no Chinese catalogue. Naming its strings here brings them into ours,
# and Django then finds their translations for the access attempt pages of the admin.
AXES_STRINGS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Logout Time"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Access lock out"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Not set"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Session key hash (sha256)"),
)


def locked_out(request, response=None, credentials=None):
    """What a login gets once its user name has failed AXES_FAILURE_LIMIT times from one
    address (AXES_LOCKOUT_CALLABLE): how long to wait, or to ask an administrator."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def permission_denied(request, exception):
    """handler403: a refusal for want of a role says which role it takes, what the role
    does and who holds it in the user's union; any other refusal stays general."""
    role = exception if isinstance(exception, RoleRequired) else None
    return render(request, "403.html", {"refusal": role}, status=403)


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (CSRF_FAILURE_VIEW), in the user's language and
    the app's frame; Django's reason shows in small print while DEBUG is on."""
    return render(
        request, "403_csrf.html", {"reason": reason if settings.DEBUG else ""}, status=403
    )


def server_error(request):
    """handler500: a request that failed because the database was unavailable (it went
    away, refused the connection, or a lock timed out) gets the 503 page, saying that
    nothing was saved and that the Back button brings the form back as it was typed;
    anything else Django's server error view with the standalone 500.html.

    Django calls this while it handles the exception, so it is the one in sys.exc_info().
    A middleware's process_exception would not do: WriteTransactionMiddleware runs writing
    views in its process_view, whose exceptions skip process_exception. Both pages are
    rendered without a request, so that they need no database, and keep their CSS inline
    so that they show even when the static files are what broke: the
    Content-Security-Policy lets that CSS in by its hash, on this response alone."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(
            loader.render_to_string("503.html"),
            status=503,
            headers={"Retry-After": "30", "Cache-Control": "no-store"},
        )
    else:
        response = defaults.server_error(request)
    hashes = [
        f"'sha256-{b64encode(sha256(css).digest()).decode()}'"
        for css in re.findall(rb"<style>(.*?)</style>", response.content, re.DOTALL)
    ]
    # csp_update marks what a view returns; the view here is the page already rendered.
    return csp_update({"style-src": hashes})(lambda request: response)(request)


class InvitationView(auth_views.PasswordResetConfirmView):
    """The page an invitation's link opens (directives.services.invitations_send): the new
    user sets their first password and is logged in. Django's password reset page, with
    tokens of the invitations' own and words of its own."""

    form_class = SetPasswordForm
    token_generator = invitation_tokens
    template_name = "registration/invitation_confirm.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome! Your password is set and you are logged in."))
        return response
