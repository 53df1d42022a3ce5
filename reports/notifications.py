"""Telling people what happened (通知提醒): a notification under each recipient's bell,
created in the transaction of the event, and the e-mails the recipients chose, sent by the
background worker once that transaction commits, never inside the request.

`notify` is the one door every event goes through, those of today (a directive issued or
forwarded, a report submitted or reviewed) and those other parts add (deadlines, urges).
"""

import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django_tasks import task

from directives.models import Directive, Membership

from .models import GroupRobot, Notification, NotificationSettings
from .robots import delivery_create

Kind = Notification.Kind
logger = logging.getLogger(__name__)


@dataclass
class Delivery:
    """Who was told of one event, and how: what the page that caused it says."""

    people: int = 0
    emailed: int = 0
    unions: int = 0  # the recipient unions (assignments) with someone told


def members_of(union, *, supervisors_only=False):
    """The active users who work for the union (its supervisors only, if asked)."""
    users = get_user_model().objects.filter(is_active=True, membership__union=union)
    if supervisors_only:
        users = users.filter(membership__role=Membership.Role.SUPERVISOR)
    return users.order_by("pk")


def settings_of(users):
    """Each user's notification settings by user id, the defaults for those who never chose."""
    chosen = {s.user_id: s for s in NotificationSettings.objects.filter(user__in=users)}
    return {user.pk: chosen.get(user.pk) or NotificationSettings.of_default(user) for user in users}


def notify(kind, users, *, directive=None, assignment=None, report=None, text, url, key):
    """Tell each of `users` of one event: `text` (a string, or a function giving it,
    called in each recipient's language), linking to `url` (a path of the app); `key`
    names the event, and a user already told of it is not told again. The e-mails go
    once the caller's transaction commits. Returns the Delivery of what was new."""
    users = list({user.pk: user for user in users}.values())
    chosen = settings_of(users)
    items = []
    for user in users:
        with translation.override(chosen[user.pk].language):
            items.append(
                Notification(
                    recipient=user,
                    kind=kind,
                    directive=directive,
                    assignment=assignment,
                    report=report,
                    text=str(text() if callable(text) else text)[:1000],
                    url=url,
                    key=key,
                )
            )
    return deliver(items, chosen)


@transaction.atomic
def deliver(items, chosen):
    """Save the notifications not already sent (by recipient and key) and queue the
    e-mails of those whose recipients want this kind by e-mail and have an address."""
    if not items:
        return Delivery()
    known = set(
        Notification.objects.filter(
            key__in={n.key for n in items}, recipient__in={n.recipient_id for n in items}
        ).values_list("recipient_id", "key")
    )
    new = [n for n in items if (n.recipient_id, n.key) not in known]
    # A unique constraint backs the check above against a concurrent duplicate.
    created = Notification.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    emailed = [n for n in created if n.recipient.email and chosen[n.recipient_id].emails(n.kind)]
    if emailed:
        keys = [(n.recipient_id, n.key) for n in emailed]
        transaction.on_commit(lambda: send_notification_emails.enqueue(keys))
    post_to_group_robots(created)
    return Delivery(
        people=len({n.recipient_id for n in created}),
        emailed=len(emailed),
        unions=len({n.assignment_id for n in created if n.assignment_id}),
    )


def post_to_group_robots(created):
    """Each union whose people were told of an event is told once more in its group chat
    (企业微信 or 钉钉), if it set up a robot: once a union and event, in the site's language,
    in the background (reports.robots)."""
    if not created:
        return
    union_of = dict(
        Membership.objects.filter(user__in={n.recipient_id for n in created}).values_list(
            "user_id", "union_id"
        )
    )
    robots = {
        robot.union_id: robot
        for robot in GroupRobot.objects.filter(union__in=set(union_of.values()), enabled=True)
    }
    posted = set()
    for notification in created:
        union = union_of.get(notification.recipient_id)
        if union not in robots or (union, notification.key) in posted:
            continue
        posted.add((union, notification.key))
        with translation.override(settings.LANGUAGE_CODE):
            title = str(Kind(notification.kind).label)
        delivery_create(robots[union], title, notification.text, absolute(notification.url))


def absolute(url):
    """The address of a page of the app as a mail reader opens it."""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", url.lstrip("/"))


def email_of(notification, language):
    """The subject and text of the notification's e-mail, in the language given."""
    with translation.override(language):
        context = {
            "notification": notification,
            "kind": notification.get_kind_display(),
            "link": absolute(notification.url),
            "settings_link": absolute(reverse("notification_settings")),
        }
        subject = render_to_string("reports/notification_subject.txt", context)
        body = render_to_string("reports/notification_email.txt", context)
    return " ".join(subject.split())[:200], body


@task()
def send_notification_emails(keys):
    """Send the e-mails of the notifications named by (recipient id, key), each once."""
    for recipient_id, key in keys:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update()
                .select_related("recipient")
                .filter(recipient_id=recipient_id, key=key, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.recipient.email:
                continue
            language = settings_of([notification.recipient])[recipient_id].language
            subject, body = email_of(notification, language)
            try:
                send_mail(subject, body, None, [notification.recipient.email])
            except (OSError, smtplib.SMTPException):
                # One refused address or a mail server down for a moment must not keep
                # the others' e-mails back; the notification stays in the app.
                logger.exception("Notification %s could not be e-mailed", notification.pk)
                continue
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])


# --- The events of today ---------------------------------------------------------------


def notify_directive_issued(*, directive):
    """Tell the staff and supervisors of every recipient union that the directive came
    (a forward of one from above, or a directive of the issuer's own)."""
    forwarded = directive.parent_id is not None and directive.relation == Directive.Relation.FORWARD
    kind = Kind.FORWARD_RECEIVED if forwarded else Kind.DIRECTIVE_ASSIGNED
    assignments = list(directive.assignments.all())
    by_union = {}
    users = list(
        get_user_model()
        .objects.filter(is_active=True, membership__union__in=[a.recipient_id for a in assignments])
        .select_related("membership")
        .order_by("pk")
    )
    for user in users:
        by_union.setdefault(user.membership.union_id, []).append(user)
    chosen = settings_of(users)
    values = {"issuer": directive.issuer.name, "title": directive.title}
    items = []
    for assignment in assignments:
        for user in by_union.get(assignment.recipient_id, []):
            with translation.override(chosen[user.pk].language):
                text = (
                    _("%(issuer)s forwarded “%(title)s” to your union.")
                    if forwarded
                    else _("%(issuer)s sent “%(title)s” to your union.")
                ) % values
            items.append(
                Notification(
                    recipient=user,
                    kind=kind,
                    directive=directive,
                    assignment=assignment,
                    text=text[:1000],
                    url=reverse("assignment_detail", args=[assignment.pk]),
                    key=f"assigned:{assignment.pk}",
                )
            )
    return deliver(items, chosen)


def notify_report_submitted(*, report, submission):
    """Tell the supervisors of the issuing union that a report waits for their review."""
    assignment = report.assignment
    directive = assignment.directive
    values = {"union": assignment.recipient.name, "title": directive.title}
    return notify(
        Kind.REVIEW_WAITING,
        members_of(directive.issuer, supervisors_only=True),
        directive=directive,
        assignment=assignment,
        report=report,
        text=lambda: _("%(union)s submitted its report on “%(title)s” for your review.") % values,
        url=reverse("report_review", args=[report.pk]),
        key=f"submitted:{submission.pk}",
    )


def notify_report_reviewed(*, report, submission):
    """Tell the members of the reporting union that its report was accepted, or returned
    with the reviewer's comment."""
    assignment = report.assignment
    directive = assignment.directive
    values = {"issuer": directive.issuer.name, "title": directive.title}
    returned = submission.decision == submission.Decision.RETURNED

    def text():
        if returned:
            return _("%(issuer)s returned your report on “%(title)s”: %(comment)s") % {
                **values,
                "comment": submission.comment,
            }
        return _("%(issuer)s accepted your report on “%(title)s”.") % values

    return notify(
        Kind.REPORT_RETURNED if returned else Kind.REPORT_ACCEPTED,
        members_of(assignment.recipient),
        directive=directive,
        assignment=assignment,
        report=report,
        text=text,
        url=reverse("report_edit", args=[assignment.pk]),
        key=f"reviewed:{submission.pk}",
    )


def notify_urge(*, urge, assignment):
    """Tell the members of the urged union of the urge (催办), its message included."""
    values = {
        "urging": urge.urging_union.name,
        "title": urge.directive.title,
        "message": urge.message,
    }
    return notify(
        Kind.URGE_RECEIVED,
        members_of(urge.union),
        directive=urge.directive,
        assignment=assignment,
        text=lambda: _("%(urging)s urges your union on “%(title)s”: %(message)s") % values,
        url=reverse("assignment_detail", args=[assignment.pk]),
        key=f"urge:{urge.pk}",
    )


def delivery_message(delivery, union, *, supervisors=False):
    """What the page says of who was told: 已通知山东大学工会的3位成员（站内通知，其中2位另发邮件）."""
    values = {"union": union, "people": delivery.people, "emailed": delivery.emailed}
    if not delivery.people:
        if supervisors:
            return _("Nobody was notified: %(union)s has no active supervisor.") % values
        return _("Nobody was notified: %(union)s has no active user.") % values
    if supervisors:
        if delivery.emailed:
            told = ngettext(
                "Notified %(people)s supervisor of %(union)s "
                "(in the app, %(emailed)s of them also by e-mail).",
                "Notified %(people)s supervisors of %(union)s "
                "(in the app, %(emailed)s of them also by e-mail).",
                delivery.people,
            )
        else:
            told = ngettext(
                "Notified %(people)s supervisor of %(union)s (in the app).",
                "Notified %(people)s supervisors of %(union)s (in the app).",
                delivery.people,
            )
    elif delivery.emailed:
        told = ngettext(
            "Notified %(people)s member of %(union)s "
            "(in the app, %(emailed)s of them also by e-mail).",
            "Notified %(people)s members of %(union)s "
            "(in the app, %(emailed)s of them also by e-mail).",
            delivery.people,
        )
    else:
        told = ngettext(
            "Notified %(people)s member of %(union)s (in the app).",
            "Notified %(people)s members of %(union)s (in the app).",
            delivery.people,
        )
    return told % values


# What a page says of who was told of an event reaching several unions, by the unions'
# part in it: (nobody could be told, told in the app and some by e-mail, in the app only).
UNIONS_TOLD = {
    "recipients": (
        gettext_lazy("Nobody was notified: the recipient unions have no active user yet."),
        ngettext_lazy(
            "Notified %(people)s person in %(unions)s recipient unions "
            "(in the app, %(emailed)s of them also by e-mail).",
            "Notified %(people)s people in %(unions)s recipient unions "
            "(in the app, %(emailed)s of them also by e-mail).",
            "people",
        ),
        ngettext_lazy(
            "Notified %(people)s person in %(unions)s recipient unions (in the app).",
            "Notified %(people)s people in %(unions)s recipient unions (in the app).",
            "people",
        ),
    ),
    "urged": (
        gettext_lazy("Nobody was notified: the urged unions have no active user yet."),
        ngettext_lazy(
            "Notified %(people)s person in %(unions)s urged unions "
            "(in the app, %(emailed)s of them also by e-mail).",
            "Notified %(people)s people in %(unions)s urged unions "
            "(in the app, %(emailed)s of them also by e-mail).",
            "people",
        ),
        ngettext_lazy(
            "Notified %(people)s person in %(unions)s urged unions (in the app).",
            "Notified %(people)s people in %(unions)s urged unions (in the app).",
            "people",
        ),
    ),
}


def unions_told_message(delivery, unions):
    """What the page says of who was told of an event reaching several unions: `unions`
    is "recipients" (a directive issued) or "urged" (urges sent)."""
    nobody, with_email, in_app = UNIONS_TOLD[unions]
    if not delivery.people:
        return str(nobody)
    told = with_email if delivery.emailed else in_app
    return told % {
        "people": delivery.people,
        "unions": delivery.unions,
        "emailed": delivery.emailed,
    }
