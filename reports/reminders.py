"""Scheduled reminders (`manage.py send_reminders`): deadlines coming and deadlines missed.

Each open requirement of a directive in force reminds its union's people some days before
its deadline (settings.REMINDER_DAYS_BEFORE) and once after it passed (within
settings.REMINDER_OVERDUE_DAYS). Requirements of one assignment falling due on the same day
make one notification. Every notification is keyed by its assignment, its deadline and the
reminder, so that running the command again, however often, tells nobody twice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directives.models import Directive
from directives.wording import join_list

from .models import RequirementProgress, RobotDelivery
from .notifications import Kind, members_of, notify


@dataclass
class Sent:
    """What one run sent: the `send_reminders` JSON line."""

    notifications: int = 0
    emails: int = 0
    webhooks: int = 0


def open_deadlines(days):
    """(assignment, due day) → its open requirements due that day, for the days given, on
    directives in force."""
    rows = (
        RequirementProgress.objects.filter(
            done_at__isnull=True,
            requirement__due_on__in=days,
            assignment__directive__state=Directive.State.ISSUED,
        )
        .select_related("requirement", "assignment__directive__issuer", "assignment__recipient")
        .order_by("assignment_id", "requirement__due_on", "requirement__position")
    )
    deadlines = defaultdict(list)
    for row in rows:
        deadlines[(row.assignment, row.requirement.due_on)].append(row.requirement)
    return deadlines


def titles(requirements):
    return join_list(requirement.title for requirement in requirements)


@transaction.atomic
def reminders_send(today):
    """Tell each union of its deadlines coming and just missed, as of `today`."""
    sent = Sent()
    webhooks_before = RobotDelivery.objects.count()
    coming = {today + datetime.timedelta(days=days): days for days in settings.REMINDER_DAYS_BEFORE}
    missed = [
        today - datetime.timedelta(days=days)
        for days in range(1, settings.REMINDER_OVERDUE_DAYS + 1)
    ]
    for (assignment, due_on), requirements in open_deadlines([*coming, *missed]).items():
        directive = assignment.directive
        values = {
            "title": directive.title,
            "requirements": titles(requirements),
            "due": date_format(due_on),
        }
        if due_on in coming:
            values["days"] = coming[due_on]
            kind, key = Kind.DEADLINE_APPROACHING, f"due:{assignment.pk}:{due_on}:{values['days']}"

            def text(values=values):
                return (
                    ngettext(
                        "“%(title)s” falls due in %(days)d day (%(due)s): %(requirements)s.",
                        "“%(title)s” falls due in %(days)d days (%(due)s): %(requirements)s.",
                        values["days"],
                    )
                    % values
                )
        else:
            kind, key = Kind.OVERDUE, f"overdue:{assignment.pk}:{due_on}"

            def text(values=values):
                return (
                    _(
                        "“%(title)s”: the deadline of %(due)s has passed and this is not done: "
                        "%(requirements)s."
                    )
                    % values
                )

        delivery = notify(
            kind,
            members_of(assignment.recipient),
            directive=directive,
            assignment=assignment,
            text=text,
            url=reverse("assignment_detail", args=[assignment.pk]),
            key=key,
        )
        sent.notifications += delivery.people
        sent.emails += delivery.emailed
    sent.webhooks = RobotDelivery.objects.count() - webhooks_before
    return sent
