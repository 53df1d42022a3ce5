from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django_htmx.http import HttpResponseClientRedirect

from directives.access import password_change_required


class LanguageMiddleware:
    """Activate Chinese unless the user picked another language.

    Browsers' Accept-Language is ignored on purpose: union offices share machines set
    up in English as often as in Chinese, and the product speaks Chinese first. The
    language switch in the header stores the choice in Django's language cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class PasswordChangeRequiredMiddleware:
    """Send a user who signed in with a one-time password to the password change from every
    page, the admin's included, until they have chosen their own password. Logging out and
    switching the language still work."""

    ALLOWED = {"password_change", "password_change_done", "logout", "admin:logout", "set_language"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in self.ALLOWED:
            return None
        if not password_change_required(request.user):
            return None
        if request.htmx:
            return HttpResponseClientRedirect(reverse("password_change"))
        return redirect("password_change")


class WriteTransactionMiddleware:
    """Run each request that may write in one transaction, as ATOMIC_REQUESTS would, and
    pages that only read without one.

    On SQLite a transaction takes the database's write lock when it begins (IMMEDIATE, so
    that two writers queue up instead of one failing half-way), and ATOMIC_REQUESTS opened
    one for every request: a long import then kept every reader waiting until "database is
    locked". Reads in WAL mode need no lock at all. Views marked
    `transaction.non_atomic_requests` are left alone, as Django leaves them. Keep this
    middleware last, so that the view runs inside the transaction and nothing else does.
    """

    READING = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in self.READING:
            return None
        if DEFAULT_DB_ALIAS in getattr(view_func, "_non_atomic_requests", set()):
            return None
        with transaction.atomic():
            return view_func(request, *view_args, **view_kwargs)
