"""Who may see and change progress, reports and dashboards: every who-may rule of the
reports app. Views, resources and exports fetch objects only through these.

A union's progress and report are read by the union itself and by supervisors above
it; they are written by the union's own members while the directive is in force, and its
progress also by the supervisors of a union above it, on its behalf (代录, see
`may_record_for`);
a report is reviewed by the supervisors of the union that issued the directive; a
report stays its union's own while it is a draft. Outsiders, and anyone but a
supervisor on a supervisor's page, get 404; a user who may read but not write gets 403.
"""

import hmac

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from directives.access import (
    ADMINISTRATOR,
    in_scope,
    may_manage,
    membership_of,
    oversees_subtree,
    role_required,
    supervisor_or_404,
    unions_in_scope,
    visible_directives,
)
from directives.models import Assignment, Directive, Union

from .models import (
    CalendarFeed,
    Evidence,
    ProgressEntry,
    Report,
    ReportAttachment,
    Urge,
    named_figures,
)

# --- Assignments: one union's work on one directive -----------------------------------------


def visible_assignments(user):
    """Assignments of published directives to unions in the user's scope (all of them
    without a user: the management commands)."""
    assignments = Assignment.objects.exclude(directive__state=Directive.State.DRAFT)
    if user is None or user.is_superuser:
        return assignments
    return assignments.filter(recipient__in=unions_in_scope(user))


def may_act_for(user, assignment):
    """Members of the recipient union log progress and write its report, until the
    directive is closed."""
    membership = membership_of(user)
    return bool(
        membership
        and membership.union_id == assignment.recipient_id
        and assignment.directive.state == Directive.State.ISSUED
    )


def may_record_for(user, assignment):
    """代录: supervisors of a union above the recipient enter its
    progress on its behalf, e.g. from the spreadsheet a unit sent, while the directive is
    in force. The entry stays the recipient's, marked as recorded by the supervisor's
    union. Not for its own union: that is `may_act_for`."""
    membership = membership_of(user)
    return bool(
        oversees_subtree(membership)
        and membership.union_id != assignment.recipient_id
        and assignment.recipient.is_within(membership.union)
        and assignment.directive.state == Directive.State.ISSUED
    )


def may_log_progress(user, assignment):
    """Whether the user may add a progress entry to the assignment: its own union's member,
    or a supervisor above it recording on its behalf."""
    return may_act_for(user, assignment) or may_record_for(user, assignment)


def recording_union(user, assignment):
    """The union a new entry by this user is recorded by on the recipient's behalf (代录),
    or None when the user writes for their own union (or is a superuser in no union)."""
    membership = membership_of(user)
    if membership is None or membership.union_id == assignment.recipient_id:
        return None
    return membership.union


def may_edit_entry(user, entry):
    """An entry is changed by its union's members, whoever entered it: the record is theirs.
    An entry recorded on their behalf (代录) is also changed by the supervisors of the union
    that recorded it, who correct what they typed; never an entry the union wrote itself,
    and not by other unions above."""
    if may_act_for(user, entry.assignment):
        return True
    membership = membership_of(user)
    return bool(
        entry.recorded_by_union_id is not None
        and membership is not None
        and entry.recorded_by_union_id == membership.union_id
        and may_record_for(user, entry.assignment)
    )


def assignment_for_user(request, pk):
    """An assignment the user may read, or 404; and whether the user may act for it."""
    assignment = get_object_or_404(
        visible_assignments(request.user).select_related("directive__issuer", "recipient"), pk=pk
    )
    return assignment, may_act_for(request.user, assignment)


def assignment_for_member(request, pk):
    """An assignment the user may write on, or 404/403."""
    assignment, acts = assignment_for_user(request, pk)
    if not acts:
        raise PermissionDenied
    return assignment


def assignment_for_recorder(request, pk):
    """An assignment the user may log progress on (its own or, 代录, a unit's), or 404/403."""
    assignment, acts = assignment_for_user(request, pk)
    if not (acts or may_record_for(request.user, assignment)):
        raise PermissionDenied
    return assignment


def assignments_to_record(user, directive):
    """The assignments of a directive the user may log progress on: the own union's, and a
    supervisor's units beneath that received it (代录), in tree order."""
    assignments = (
        visible_assignments(user)
        .filter(directive=directive)
        .select_related("directive", "recipient")
        .order_by("recipient__path")
    )
    return [a for a in assignments if may_log_progress(user, a)]


# --- Progress ------------------------------------------------------------------------------


def entry_for_user(request, pk):
    """A progress entry the user may read, or 404; and whether the user may edit it."""
    entry = get_object_or_404(
        ProgressEntry.objects.filter(assignment__in=visible_assignments(request.user))
        .with_lateness()
        .select_related(
            "assignment__directive__issuer",
            "assignment__recipient",
            "requirement",
            "recorded_by_union",
        )
        .prefetch_related(named_figures(), "evidence"),
        pk=pk,
    )
    return entry, may_edit_entry(request.user, entry)


def entry_for_editor(request, pk):
    """A progress entry the user may change (see `may_edit_entry`), or 404/403."""
    entry, editable = entry_for_user(request, pk)
    if not editable:
        raise PermissionDenied
    return entry


def directive_for_recording(request, pk):
    """A published directive the user may see, to choose whose progress to log on it."""
    return get_object_or_404(
        visible_directives(request.user).published().select_related("issuer"), pk=pk
    )


def evidence_for_user(request, pk):
    return get_object_or_404(
        Evidence.objects.filter(entry__assignment__in=visible_assignments(request.user)), pk=pk
    )


# --- Reports back --------------------------------------------------------------------------


def readable_reports(user, reports=None):
    """Reports (of `reports`, by default all) on assignments the user may see, without
    other unions' drafts: a draft is its union's own until it is submitted."""
    reports = Report.objects.all() if reports is None else reports
    reports = reports.filter(assignment__in=visible_assignments(user))
    if user is None or user.is_superuser:
        return reports
    others_drafts = Q(state=Report.State.DRAFT)
    membership = membership_of(user)
    if membership is not None:
        others_drafts &= ~Q(assignment__recipient_id=membership.union_id)
    return reports.exclude(others_drafts)


def may_edit_report(user, report):
    """The union's members write its report while it is a draft or returned to them."""
    return may_act_for(user, report.assignment) and report.is_editable


def editable_report_or_403(request, assignment):
    """The assignment's report, if the user may change it now; else 404/403."""
    report = get_object_or_404(Report.objects.filter(assignment=assignment))
    if not may_edit_report(request.user, report):
        raise PermissionDenied
    return report


def report_attachment_for_user(request, pk):
    """A report's file, read as its report is (see `readable_reports`)."""
    return get_object_or_404(
        ReportAttachment.objects.filter(report__in=readable_reports(request.user)), pk=pk
    )


def may_review(user, report):
    """Supervisors of the issuing union review the reports sent back to it."""
    return may_manage(user, report.assignment.directive)


def report_for_reviewer(request, pk):
    report = get_object_or_404(
        readable_reports(request.user).select_related(
            "assignment__directive__issuer", "assignment__recipient"
        ),
        pk=pk,
    )
    if not may_review(request.user, report):
        raise PermissionDenied
    return report


def reviewing_union(user):
    """The union whose review queue the user works through: supervisors' own. A superuser
    without a union reads every report but reviews in no union's name: 403, as for every
    other action bound to a union. 404 for anyone else."""
    if user.is_superuser and membership_of(user) is None:
        raise PermissionDenied
    membership = membership_of(user)
    if not oversees_subtree(membership):
        raise Http404
    return membership.union


def directive_for_report_list(request, pk):
    """A published directive whose recipients' reports the user may list (supervisors)."""
    supervisor_or_404(request.user)
    return get_object_or_404(
        visible_directives(request.user).published().select_related("issuer"), pk=pk
    )


# --- Dashboards and records ----------------------------------------------------------------


def dashboard_top(user, directive):
    """The highest union whose subtree the user may watch on this directive: the issuer,
    or the user's own union when it lies beneath the issuer. 404 for anyone else."""
    if user.is_superuser:
        return directive.issuer
    union = membership_of(user).union
    if union.is_within(directive.issuer):
        return union
    if directive.issuer.is_within(union):
        return directive.issuer
    raise Http404


def dashboard_place(user, directive_pk, union_pk=None):
    """A published directive (for supervisors only), the union its dashboard is at (by
    default the highest the user may watch), and that highest union: any other directive
    or union is 404."""
    supervisor_or_404(user)
    directive = get_object_or_404(
        visible_directives(user).published().select_related("issuer"), pk=directive_pk
    )
    top = dashboard_top(user, directive)
    union_pk = str(union_pk or "")
    if union_pk and not union_pk.isdigit():
        raise Http404
    node = get_object_or_404(Union.objects.in_subtree(top), pk=union_pk) if union_pk else top
    return directive, node, top


def union_for_record(request, pk):
    """A union in the user's scope (staff: their own union), for its record."""
    return get_object_or_404(unions_in_scope(request.user), pk=pk)


# --- The deadline calendar and the group robots ------------------------------------------


def may_follow_deadlines(user):
    """Members of a union have a deadline calendar of its work; a superuser, in no union,
    has none."""
    return membership_of(user) is not None


def feed_by_secret(pk, secret):
    """The calendar feed a URL names, or 404: the secret is compared in constant time, and a
    revoked feed, a replaced secret or a user no longer active gets nothing."""
    feed = (
        CalendarFeed.objects.filter(pk=pk, user__is_active=True)
        .select_related("user__membership__union")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.secret.encode(), secret.encode()):
        raise Http404
    if membership_of(feed.user) is None:
        raise Http404
    return feed


def may_configure_robot(user, union):
    """A union's group robot is set up by the administrators of the union or of a union
    above it, who keep its tree and users; superusers too."""
    if user.is_superuser:
        return True
    membership = membership_of(user)
    return bool(membership and membership.administrator and union.is_within(membership.union))


def robot_union_for_user(request, pk):
    """The union whose group robot the page sets up: 404 outside the user's scope, 403 (naming
    the administrators) to those who see the union but may not configure it."""
    union = get_object_or_404(Union.objects.all(), pk=pk)
    if not in_scope(request.user, union):
        raise Http404
    if not may_configure_robot(request.user, union):
        raise role_required(request.user, ADMINISTRATOR)
    return union


# --- Urging (催办) ---------------------------------------------------------------------------


def may_urge(user, assignment):
    """Supervisors urge a union beneath their own, anywhere in their subtree, on a directive
    in force; not their own union, and not in nobody's name (a superuser without a union)."""
    membership = membership_of(user)
    return bool(
        oversees_subtree(membership)
        and assignment.recipient_id != membership.union_id
        and assignment.recipient.is_within(membership.union)
        and assignment.directive.state == Directive.State.ISSUED
    )


def assignments_to_urge(user, dashboard, union_pks):
    """For each chosen union, the assignment of the dashboard's cascade it received (the
    nearest forward when it received several), in tree order; 404 when any of them may not
    be urged by the user, so that a refused request changes nothing; 403 to a superuser in
    no union, who reads every dashboard but urges in no union's name."""
    if user.is_superuser and membership_of(user) is None:
        raise PermissionDenied  # an urge is sent in a union's name
    wanted = {str(pk) for pk in union_pks}
    if not wanted or not all(pk.isdigit() for pk in wanted):
        raise Http404
    assignments = (
        dashboard.assignments()
        .filter(recipient__in=wanted)
        .select_related("directive__issuer", "recipient")
        .order_by("recipient__path", "-directive__issuer__depth", "pk")
    )
    chosen = {}
    for assignment in assignments:
        chosen.setdefault(assignment.recipient_id, assignment)
    found = list(chosen.values())
    if len(found) != len(wanted) or not all(may_urge(user, a) for a in found):
        raise Http404
    return found


def urgeable_unions(user, dashboard, unions):
    """The pks of those of `unions` the user may urge on the dashboard's directive: they
    received it themselves, beneath the user's union. One query, none when none could be."""
    membership = membership_of(user)
    if not oversees_subtree(membership) or dashboard.directive.state != Directive.State.ISSUED:
        return set()
    below = [u.pk for u in unions if u.pk != membership.union_id and u.is_within(membership.union)]
    if not below:
        return set()
    assignments = dashboard.assignments().filter(
        recipient__in=below, directive__state=Directive.State.ISSUED
    )
    return set(assignments.values_list("recipient", flat=True))


def urges_of_assignment(assignment):
    """The urges the assignment's union received about it (`assignment` from
    `assignment_for_user`), newest first."""
    return Urge.objects.of_assignment(assignment).select_related("urging_union", "sent_by")


def urges_of_union(union):
    """The urges the union received, newest first (`union` from `union_for_record`)."""
    return Urge.objects.filter(union=union).select_related("directive", "urging_union", "sent_by")


def urge_for_user(request, pk):
    """An urge the user may read: sent to a union in their scope (its staff, supervisors
    above it), or 404."""
    return get_object_or_404(
        Urge.objects.filter(union__in=unions_in_scope(request.user)).select_related(
            "directive__issuer", "union", "urging_union", "sent_by"
        ),
        pk=pk,
    )
