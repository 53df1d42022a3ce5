"""Who may see and change progress and reports. Views fetch objects only through these.

A union's progress and report are read by the union itself and by supervisors above
it; they are written only by the union's own members; a report is reviewed by the
supervisors of the union that issued the directive. Outsiders get 404.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from directives.access import membership_of, supervises
from directives.models import Assignment, Directive, Union

from .dashboards import Dashboard
from .models import Evidence, ProgressEntry, Report, ReportAttachment


def visible_assignments(user):
    """Assignments of published directives to unions in the user's scope."""
    assignments = Assignment.objects.exclude(directive__state=Directive.State.DRAFT)
    if user.is_superuser:
        return assignments
    membership = membership_of(user)
    if membership is None:
        return assignments.none()
    return assignments.filter(recipient__in=membership.scope())


def assignment_for_user(request, pk):
    return get_object_or_404(
        visible_assignments(request.user).select_related("directive__issuer", "recipient"), pk=pk
    )


def acts_for(user, assignment):
    """Members of the recipient union log progress and write its report, until it is closed."""
    membership = membership_of(user)
    return bool(
        membership
        and membership.union_id == assignment.recipient_id
        and assignment.directive.state == Directive.State.ISSUED
    )


def assignment_for_member(request, pk):
    """An assignment the user may write on, or 404/403."""
    assignment = assignment_for_user(request, pk)
    if not acts_for(request.user, assignment):
        raise PermissionDenied
    return assignment


def entry_for_user(request, pk):
    return get_object_or_404(
        ProgressEntry.objects.filter(assignment__in=visible_assignments(request.user))
        .select_related("assignment__directive__issuer", "assignment__recipient", "requirement")
        .prefetch_related("figures", "evidence"),
        pk=pk,
    )


def entry_for_member(request, pk):
    entry = entry_for_user(request, pk)
    if not acts_for(request.user, entry.assignment):
        raise PermissionDenied
    return entry


def evidence_for_user(request, pk):
    return get_object_or_404(
        Evidence.objects.filter(entry__assignment__in=visible_assignments(request.user)), pk=pk
    )


def report_attachment_for_user(request, pk):
    """A report's file; while the report is a draft, only for the unit's own members."""
    attachments = ReportAttachment.objects.filter(
        report__assignment__in=visible_assignments(request.user)
    )
    membership = membership_of(request.user)
    if not request.user.is_superuser:
        own = Q(report__assignment__recipient=membership.union) if membership else Q(pk__in=[])
        attachments = attachments.filter(own | ~Q(report__state=Report.State.DRAFT))
    return get_object_or_404(attachments, pk=pk)


def reviews(user, report):
    """Supervisors of the issuing union review the reports sent back to it."""
    return report.assignment.directive.may_be_managed_by(user)


def report_for_reviewer(request, pk):
    report = get_object_or_404(
        Report.objects.filter(assignment__in=visible_assignments(request.user)).select_related(
            "assignment__directive__issuer", "assignment__recipient"
        ),
        pk=pk,
    )
    if not reviews(request.user, report):
        raise PermissionDenied
    return report


def directive_for_report_list(request, pk):
    """A published directive whose recipients' reports the user may list."""
    directive = get_object_or_404(
        Directive.objects.visible_to(request.user).published().select_related("issuer"), pk=pk
    )
    if not supervises(request.user):
        raise Http404
    return directive


def dashboard_top(user, directive):
    """The highest unit whose subtree the user may watch on this directive: the issuer, or
    the user's own union when it lies beneath the issuer. 404 for anyone else."""
    if user.is_superuser:
        return directive.issuer
    union = membership_of(user).union
    if union.path.startswith(directive.issuer.path):
        return union
    if directive.issuer.path.startswith(union.path):
        return directive.issuer
    raise Http404


def dashboard_for(user, directive_pk, unit_pk=None, *, kind=""):
    """A published directive's dashboard at a unit (by default the highest the user may
    watch), for supervisors only; any other directive or unit is 404."""
    if not supervises(user):
        raise Http404
    directive = get_object_or_404(
        Directive.objects.visible_to(user).published().select_related("issuer"), pk=directive_pk
    )
    top = dashboard_top(user, directive)
    unit_pk = str(unit_pk or "")
    if unit_pk and not unit_pk.isdigit():
        raise Http404
    node = get_object_or_404(Union.objects.in_subtree(top), pk=unit_pk) if unit_pk else top
    return Dashboard(directive, node, top=top, kind=kind)


def unit_for_scorecard(request, pk):
    """A unit in the user's scope (staff: their own union)."""
    if request.user.is_superuser:
        return get_object_or_404(Union, pk=pk)
    membership = membership_of(request.user)
    if membership is None:
        raise Http404
    return get_object_or_404(membership.scope(), pk=pk)
