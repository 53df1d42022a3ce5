from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from .forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .views import InvitationView

handler403 = "gqtrack.views.permission_denied"
handler500 = "gqtrack.views.server_error"

# Django's account views; the pages are in templates/registration/, the e-mails too.
accounts = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            extra_email_context={"valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400},
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The link of an invitation: the first password of a user an administrator brought in.
    path("invitation/<uidb64>/<token>/", InvitationView.as_view(), name="invitation_confirm"),
]

urlpatterns = [
    path(
        "",
        RedirectView.as_view(pattern_name="tasks", http_method_names=["get", "head"]),
        name="home",
    ),
    path("", include("directives.urls")),
    path("", include("reports.urls")),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "gqtrack.views.server_error"
