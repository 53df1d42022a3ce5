"""The dashboards (督办看板): a directive's completion rolled up through the tree, the
lists behind each number, the middle layers' relay, the overview of every active
directive, and a union's record."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from directives.access import membership_of, supervisor_or_404
from directives.models import Union, in_subtree_q
from directives.paging import page_of

from .access import dashboard_place, union_for_record
from .dashboards import (
    ASSIGNMENT_FLAGS,
    FLAG_LABELS,
    REQUIREMENT_STATUSES,
    UNION_STATUS,
    Dashboard,
    active_directives,
    cascade_summaries,
    relay,
    scorecard,
)
from .forms import DashboardFilterForm
from .models import DUE_SOON, ReportTimeliness, RequirementStatus, with_report_timeliness


def dashboard_for(request, pk, *, kind=""):
    """The directive's dashboard at the union named by ?unit= (by default the highest the
    user may watch)."""
    directive, node, top = dashboard_place(request.user, pk, request.GET.get("unit"))
    return Dashboard(directive, node, top=top, kind=kind)


def breadcrumbs(top, node):
    """The unions from `top` down to `node`, for climbing back up."""
    return [*Union.objects.get_ancestors(node).filter(in_subtree_q(top)), node]


def chart_data(dashboard, rows, total):
    """What the three charts draw, with their labels in the user's language."""
    # From the day the directive was issued to today, a step for each day work got done.
    done_on = dict(dashboard.done_by_day())
    days = {dashboard.directive.issued_on, dashboard.today, *done_on} - {None}
    running, timeline = 0, []
    for day in sorted(days):
        running += done_on.get(day, 0)
        timeline.append({"x": day.isoformat(), "label": date_format(day), "y": running})
    statuses = [(s, s.label) for s in REQUIREMENT_STATUSES]
    counts = total.counts
    return {
        "by_union": {
            "labels": [row.union.label for row in rows],
            "values": [row.counts.percent for row in rows],
            "lights": [row.counts.light for row in rows],
            "label": _("Completion (%)"),
        },
        "statuses": {
            "labels": [str(label) for _s, label in statuses],
            "values": [getattr(counts, s) for s, _l in statuses],
            "keys": [s.value for s, _l in statuses],
        },
        "timeline": {"points": timeline, "label": _("Requirements done, cumulative")},
    }


@login_required
@require_safe
def directive_dashboard(request, pk):
    """Completion of a directive's cascade at one union, a row per child over its subtree."""
    form = DashboardFilterForm(request.GET or None)
    dashboard = dashboard_for(request, pk, kind=form.value("kind"))
    directive, node = dashboard.directive, dashboard.node
    rows = dashboard.rows()
    total = Dashboard.total(rows)
    shown = [row for row in rows if form.keep(row)]
    figures = dashboard.expected_figures
    for row in [*shown, total]:
        row.cells = row.figure_cells(figures)
    query = (form.value("q") or "").strip()
    return render(
        request,
        "reports/dashboard.html",
        {
            "directive": directive,
            "dashboard": dashboard,
            "node": node,
            "breadcrumbs": breadcrumbs(dashboard.top, node),
            "form": form,
            "page": page_of(request, shown, size=100),
            "not_sent": dashboard.not_sent,
            "total": total,
            "figures": figures,
            # Further down, only unions the cascade reached: the others are not counted.
            "matches": Union.objects.below(node)
            .filter(Q(name__contains=query) | Q(short_name__contains=query))
            .filter(pk__in=dashboard.assignments().values("recipient"))
            .exclude(depth=node.depth + 1)[:20]
            if query
            else [],
            "entries": dashboard.entries(own=True)[:50] if rows and rows[0].own else [],
            "charts": chart_data(dashboard, rows, total),
            "statuses": REQUIREMENT_STATUSES,
            "report_timeliness": ReportTimeliness.choices,
        },
    )


def dashboard_scope(request, pk):
    """The directive's dashboard at the union named by ?unit=, and whether the list is of
    that union alone (?own=1) or of its whole subtree."""
    return dashboard_for(request, pk), request.GET.get("own") == "1"


def requirement_in(request, dashboard):
    pk = request.GET.get("requirement", "")
    if not pk:
        return None
    requirement = next((r for r in dashboard.requirements if str(r.pk) == pk), None)
    if requirement is None:
        raise Http404
    return requirement


@login_required
@require_safe
def dashboard_units(request, pk):
    """The unions behind a number on the dashboard."""
    dashboard, own = dashboard_scope(request, pk)
    requirement = requirement_in(request, dashboard)
    status, flag, state = (request.GET.get(k, "") for k in ("status", "flag", "report"))
    assignments = with_report_timeliness(dashboard.assignments(own=own), dashboard.today)
    if status in UNION_STATUS:
        unions = dashboard.unions_in(status, requirement, own=own)
        assignments = assignments.filter(recipient__in=unions)
        title = RequirementStatus(status).label if status != DUE_SOON else _("Due soon")
    elif flag in ASSIGNMENT_FLAGS:
        assignments = assignments.filter(ASSIGNMENT_FLAGS[flag])
        title = dict(FLAG_LABELS)[flag]
    elif state in ReportTimeliness.values:
        assignments = assignments.filter(report_timeliness=state)
        title = ReportTimeliness(state).label
    else:
        title = _("Unions assigned")
    return render(
        request,
        "reports/dashboard_units.html",
        {
            "dashboard": dashboard,
            "directive": dashboard.directive,
            "requirement": requirement,
            "title": title,
            "page": page_of(
                request,
                assignments.select_related("recipient", "directive__issuer").order_by(
                    "recipient__path", "pk"
                ),
                size=50,
            ),
            "timeliness_labels": dict(ReportTimeliness.choices),
        },
    )


@login_required
@require_safe
def dashboard_entries(request, pk):
    """The progress entries behind the figures on the dashboard."""
    dashboard, own = dashboard_scope(request, pk)
    requirement = requirement_in(request, dashboard)
    entries = dashboard.entries(own=own, requirement=requirement)
    return render(
        request,
        "reports/dashboard_entries.html",
        {
            "dashboard": dashboard,
            "directive": dashboard.directive,
            "requirement": requirement,
            "page": page_of(request, entries, size=50),
            "export_query": urlencode(
                {
                    "directive": dashboard.directive.pk,
                    "unit": dashboard.node.pk,
                    **({"own": "1"} if own else {}),
                    **({"requirement": requirement.pk} if requirement else {}),
                }
            ),
        },
    )


@login_required
@require_safe
def dashboard_relay(request, pk):
    """Middle layers: when each intermediate union acknowledged and passed the directive on."""
    dashboard, _own = dashboard_scope(request, pk)
    page = page_of(request, relay(dashboard.directive, dashboard.node), size=50)
    for assignment in page.object_list:
        received = assignment.directive.issued_on
        assignment.lag = (
            (assignment.forwarded_on - received).days
            if assignment.forwarded_on and received
            else None
        )
    return render(
        request,
        "reports/dashboard_relay.html",
        {"dashboard": dashboard, "directive": dashboard.directive, "page": page},
    )


@login_required
@require_safe
def overview(request):
    """Every active directive in the user's subtree, with completion and what is overdue."""
    supervisor_or_404(request.user)
    membership = membership_of(request.user)
    directives = (
        active_directives(membership)
        .select_related("issuer")
        .prefetch_related("requirements")
        .order_by("-issued_on", "-pk")
    )
    page = page_of(request, directives)
    top = membership.union if membership else None
    rows = page.object_list
    # A superuser without a union of their own sees each cascade whole.
    summaries = cascade_summaries(rows, top)
    today = timezone.localdate()
    for directive in rows:
        directive.summary = summaries.get(directive.pk)
        upcoming = [r.due_on for r in directive.requirements.all() if r.due_on >= today]
        directive.next_due = min(upcoming, default=None)
    return render(request, "reports/overview.html", {"page": page, "top": top})


@login_required
@require_safe
def unit_scorecard(request, pk):
    """A union's record across the directives it received, over time."""
    union = union_for_record(request, pk)
    page = page_of(request, scorecard(union))
    for assignment in page.object_list:
        issued, acknowledged = assignment.directive.issued_on, assignment.acknowledged_at
        assignment.acknowledge_lag = (
            (timezone.localdate(acknowledged) - issued).days if issued and acknowledged else None
        )
    return render(
        request,
        "reports/scorecard.html",
        {"union": union, "page": page, "timeliness_labels": dict(ReportTimeliness.choices)},
    )
