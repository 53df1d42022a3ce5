"""Who may see and change progress, reports and dashboards: every who-may rule of the
reports app. Views, resources and exports fetch objects only through these.

A union's progress and report are read by the union itself and by supervisors above
it; they are written only by the union's own members while the directive is in force;
a report is reviewed by the supervisors of the union that issued the directive; a
report stays its union's own while it is a draft. Outsiders, and anyone but a
supervisor on a supervisor's page, get 404; a user who may read but not write gets 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from directives.access import (
    may_manage,
    membership_of,
    oversees_subtree,
    supervisor_or_404,
    unions_in_scope,
    visible_directives,
)
from directives.models import Assignment, Directive, Union

from .models import Evidence, ProgressEntry, Report, ReportAttachment

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


# --- Progress ------------------------------------------------------------------------------


def entry_for_user(request, pk):
    """A progress entry the user may read, or 404; and whether the user may edit it."""
    entry = get_object_or_404(
        ProgressEntry.objects.filter(assignment__in=visible_assignments(request.user))
        .with_lateness()
        .select_related("assignment__directive__issuer", "assignment__recipient", "requirement")
        .prefetch_related("figures", "evidence"),
        pk=pk,
    )
    return entry, may_act_for(request.user, entry.assignment)


def entry_for_member(request, pk):
    entry, acts = entry_for_user(request, pk)
    if not acts:
        raise PermissionDenied
    return entry


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
