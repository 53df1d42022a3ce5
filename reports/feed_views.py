"""What reaches people outside the app: each user's deadline calendar, and a union's
group robot (企业微信 or 钉钉) that its notifications are posted to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .access import feed_by_secret, may_follow_deadlines, robot_union_for_user
from .calendars import deadline_calendar
from .forms import GroupRobotForm
from .models import CalendarFeed, GroupRobot, RobotDelivery, new_feed_secret
from .robots import delivery_create

# --- The deadline calendar -------------------------------------------------------------


def member_or_403(user):
    if not may_follow_deadlines(user):
        raise PermissionDenied


@login_required
@require_safe
def calendar_settings(request):
    """The user's calendar address, to copy into Outlook or a phone, and its controls."""
    member_or_403(request.user)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    feed_url = request.build_absolute_uri(feed.get_absolute_url()) if feed else None
    return render(request, "reports/calendar_settings.html", {"feed": feed, "feed_url": feed_url})


@login_required
@require_POST
def calendar_token(request):
    """Create or replace the calendar's secret address, or revoke it."""
    member_or_403(request.user)
    if request.POST.get("action") == "revoke":
        deleted, _rows = CalendarFeed.objects.filter(user=request.user).delete()
        if deleted:
            messages.success(
                request, _("The calendar address is revoked: calendars using it get nothing now.")
            )
        return redirect("calendar_settings")
    feed, created = CalendarFeed.objects.get_or_create(user=request.user)
    if created:
        messages.success(request, _("Your calendar address is ready: copy it into your calendar."))
    else:
        feed.secret = new_feed_secret()
        feed.save(update_fields=["secret", "created_at"])
        messages.success(
            request,
            _(
                "A new calendar address replaces the old one, which no longer works: "
                "subscribe again with the new one."
            ),
        )
    return redirect("calendar_settings")


# Read by calendar programs without a session: the secret in the address is the key.
@require_safe
def calendar_feed(request, pk, secret):
    feed = feed_by_secret(pk, secret)
    content = deadline_calendar(feed.user, request.build_absolute_uri)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="gqtrack.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- A union's group robot ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def robot_settings(request, pk):
    """Set up the union's group robot, and see how its last messages went."""
    union = robot_union_for_user(request, pk)
    robot = GroupRobot.objects.filter(union=union).first()
    form = GroupRobotForm(request.POST or None, instance=robot)
    if request.method == "POST" and form.is_valid():
        form.instance.union = union
        form.save()
        messages.success(request, _("The group robot of %(union)s is saved.") % {"union": union})
        return redirect("robot_settings", pk=union.pk)
    deliveries = (
        RobotDelivery.objects.filter(robot=robot).order_by("-created_at", "-pk")[:10]
        if robot
        else []
    )
    return render(
        request,
        "reports/robot_settings.html",
        {"union": union, "robot": robot, "form": form, "deliveries": deliveries},
    )


@login_required
@require_POST
def robot_test(request, pk):
    """Queue a test message to the union's robot; the log on the page tells how it went."""
    union = robot_union_for_user(request, pk)
    robot = GroupRobot.objects.filter(union=union).first()
    if robot is None:
        messages.error(request, _("Save the robot's address first, then send a test message."))
        return redirect("robot_settings", pk=union.pk)
    delivery_create(
        robot,
        _("Test message from gqtrack"),
        _("%(union)s will receive its notifications in this group.") % {"union": union.name},
        request.build_absolute_uri("/"),
    )
    messages.success(
        request,
        _(
            "A test message to the %(kind)s group robot of %(union)s is queued; "
            "its delivery is listed below."
        )
        % {"kind": robot.get_kind_display(), "union": union.name},
    )
    return redirect("robot_settings", pk=union.pk)
