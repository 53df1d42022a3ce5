"""The dashboards (督办看板): a directive's completion rolled up through the tree, the
lists behind each number, the middle layers' relay, the overview of every active
directive, and a union's record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from directives.access import membership_of, supervisor_or_404
from directives.models import Union, in_subtree_q
from directives.paging import page_of
from directives.wording import join_list

from .access import (
    assignments_to_urge,
    dashboard_place,
    may_urge,
    union_for_record,
    urge_for_user,
    urgeable_unions,
    urges_of_union,
)
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
from .forms import DashboardFilterForm, UrgeForm
from .models import (
    DUE_SOON,
    ReportTimeliness,
    RequirementStatus,
    Urge,
    with_report_timeliness,
)
from .notifications import unions_told_message
from .services import urge_default_message, urge_items, urge_message_for, urges_send

# The most recent urges a union's record lists.
URGES_SHOWN = 50


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
    urgeable = urgeable_unions(request.user, dashboard, [row.union for row in shown])
    counts = urge_counts(dashboard)
    for row in shown:
        row.urgeable = row.union.pk in urgeable
        row.urged = counts.get(row.union.pk, 0)
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
            "urgeable": urgeable,
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
    page = page_of(
        request,
        assignments.select_related("recipient", "directive__issuer").order_by(
            "recipient__path", "pk"
        ),
        size=50,
    )
    counts = urge_counts(dashboard)
    for assignment in page.object_list:
        assignment.urgeable = may_urge(request.user, assignment)
        assignment.urged = counts.get(assignment.recipient_id, 0)
    return render(
        request,
        "reports/dashboard_units.html",
        {
            "dashboard": dashboard,
            "directive": dashboard.directive,
            "requirement": requirement,
            "title": title,
            "page": page,
            "may_urge_any": any(a.urgeable for a in page.object_list),
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
        {
            "union": union,
            "page": page,
            "timeliness_labels": dict(ReportTimeliness.choices),
            "urges": list(urges_of_union(union)[:URGES_SHOWN]),
            "show_directive": True,
        },
    )


# --- Urging (催办) ---------------------------------------------------------------------------


def urge_counts(dashboard):
    """{union pk: times urged} over the dashboard's cascade, for the unions beneath its node."""
    return (
        Urge.objects.in_cascade(dashboard.directive)
        .filter(in_subtree_q(dashboard.node, "union__path"))
        .counts_by_union()
    )


def sent_message(result):
    """What was recorded, and who was told of it by which channel."""
    parts = []
    if result.sent:
        n = len(result.sent)
        parts.append(
            ngettext("Urge recorded for %(n)d union", "Urge recorded for %(n)d unions", n)
            % {"n": n}
        )
    if result.refused:
        n = len(result.refused)
        parts.append(
            ngettext(
                "%(n)d union was already urged today and was not urged again: %(names)s",
                "%(n)d unions were already urged today and were not urged again: %(names)s",
                n,
            )
            % {"n": n, "names": join_list(u.name for u in result.refused)}
        )
    if result.sent:
        parts.append(unions_told_message(result.delivery, "urged"))
    return _("; ").join(parts)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dashboard_urge(request, pk):
    """Urge the unions chosen on a dashboard list (?union=…): the proposed message with each
    union's open items, then the urges recorded."""
    dashboard = dashboard_for(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    back = data.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    back = back or f"{reverse('dashboard', args=[dashboard.directive.pk])}?unit={dashboard.node.pk}"
    chosen = data.getlist("union")
    if not chosen:
        messages.info(request, _("Tick the unions to urge first."))
        return redirect(back)
    assignments = assignments_to_urge(request.user, dashboard, chosen)
    default = urge_default_message(dashboard.directive)
    form = UrgeForm(request.POST or None, initial={"message": default})
    if request.method == "POST" and form.is_valid():
        result = urges_send(
            assignments=assignments,
            message=form.cleaned_data["message"],
            user=request.user,
            urging_union=membership_of(request.user).union,
        )
        level = messages.success if result.sent else messages.warning
        level(request, sent_message(result))
        return redirect(back)
    items = urge_items(assignments)
    counts = urge_counts(dashboard)
    for assignment in assignments:
        assignment.items = items[assignment.pk]
        assignment.urged = counts.get(assignment.recipient_id, 0)
    message = form["message"].value() or default
    return render(
        request,
        "reports/dashboard_urge.html",
        {
            "dashboard": dashboard,
            "directive": dashboard.directive,
            "assignments": assignments,
            "form": form,
            "back": back,
            "preview": urge_message_for(message, assignments[0].recipient, assignments[0].items),
        },
    )


@login_required
@require_safe
def urge_notice(request, pk):
    """The 督办通知单 of one urge, to print on A4."""
    urge = urge_for_user(request, pk)
    assignment = urge.directive.assignments.filter(recipient=urge.union).first()
    items = urge_items([assignment], urge.sent_on)[assignment.pk] if assignment else []
    return render(request, "reports/urge_notice.html", {"urge": urge, "items": items})
