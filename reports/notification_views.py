"""Each person's notifications: the list under the bell, marking them read, and the
choice of what also comes by e-mail. A person only ever reaches their own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directives.paging import page_of

from .forms import NotificationSettingsForm
from .models import Notification, NotificationSettings


def own_notifications(request):
    return Notification.objects.filter(recipient=request.user)


@login_required
@require_safe
def notification_list(request):
    page = page_of(request, own_notifications(request).order_by("-created_at", "-pk"))
    return render(request, "reports/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    notification = get_object_or_404(own_notifications(request), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    marked = own_notifications(request).unread().update(read_at=timezone.now())
    if marked:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notification_list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request):
    chosen = NotificationSettings.of(request.user)
    form = NotificationSettingsForm(
        request.POST or None,
        initial={"emailed_kinds": chosen.emailed_kinds, "language": chosen.language},
    )
    if request.method == "POST" and form.is_valid():
        NotificationSettings.objects.update_or_create(
            user=request.user,
            defaults={
                "emailed_kinds": form.cleaned_data["emailed_kinds"],
                "language": form.cleaned_data["language"],
            },
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_list")
    return render(
        request,
        "reports/notification_settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
