"""The deadline calendar a user subscribes to from Outlook or a phone (iCalendar, RFC 5545).

It holds the open deadlines of the user's union (each requirement of an issued directive
it has not done; the report back is done once the report is sent, see `follows_report`)
and, for supervisors, the overdue ones of every union beneath it. Each is an all-day event
on its due day in Shanghai, identified by requirement and union so that a calendar
refreshing the feed updates the event rather than adding another. Two queries, whatever
the size of the tree, and at most `CALENDAR_FEED_LIMIT` events of each.
"""

import datetime

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from directives.access import oversees_subtree
from directives.models import Directive, in_subtree_q

from .models import RequirementProgress, RequirementStatus, requirement_status_q


def open_deadlines(union):
    """The union's own requirements still open, nearest due first."""
    return (
        RequirementProgress.objects.filter(
            union=union,
            done_at__isnull=True,
            assignment__directive__state=Directive.State.ISSUED,
        )
        .select_related("requirement", "assignment__directive", "union")
        .order_by("requirement__due_on", "requirement__position", "pk")
    )


def overdue_beneath(union, today):
    """The requirements overdue in the unions beneath `union`, latest due first."""
    return (
        RequirementProgress.objects.filter(
            in_subtree_q(union, "union__path"),
            requirement_status_q(RequirementStatus.OVERDUE, today),
            assignment__directive__state=Directive.State.ISSUED,
        )
        .exclude(union=union)
        .select_related("requirement", "assignment__directive", "union")
        .order_by("-requirement__due_on", "union__path", "pk")
    )


def deadline_event(progress, absolute_url, now, *, overdue):
    requirement = progress.requirement
    directive = progress.assignment.directive
    names = {
        "requirement": requirement.title,
        "directive": directive.title,
        "union": progress.union.name,
    }
    if overdue:
        summary = _("Overdue: %(union)s, %(requirement)s (%(directive)s)") % names
    else:
        summary = _("Due: %(requirement)s (%(directive)s)") % names
    link = absolute_url(reverse("assignment_detail", kwargs={"pk": progress.assignment_id}))
    lines = [
        _("Union: %(union)s") % names,
        _("Directive: %(number)s %(directive)s") % {**names, "number": directive.number},
        _("Requirement: %(requirement)s") % names,
        link,
    ]
    event = icalendar.Event()
    event.add("uid", f"gqtrack-requirement-{requirement.pk}-union-{progress.union_id}")
    event.add("dtstamp", now)
    event.add("dtstart", requirement.due_on)
    event.add("dtend", requirement.due_on + datetime.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", "\n".join(line for line in lines if line.strip()))
    event.add("url", link)
    event.add("transp", "TRANSPARENT")
    return event


def deadline_calendar(user, absolute_url):
    """The user's deadline calendar as iCalendar bytes; `absolute_url` makes a path whole."""
    membership = user.membership
    union = membership.union
    now = timezone.now()
    limit = settings.CALENDAR_FEED_LIMIT
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//gqtrack//deadlines//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Deadlines of %(union)s") % {"union": union.name})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for progress in open_deadlines(union)[:limit]:
        calendar.add_component(deadline_event(progress, absolute_url, now, overdue=False))
    if oversees_subtree(membership):
        for progress in overdue_beneath(union, timezone.localdate(now))[:limit]:
            calendar.add_component(deadline_event(progress, absolute_url, now, overdue=True))
    return calendar.to_ical()
