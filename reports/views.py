from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directives.access import membership_of, supervises
from directives.models import Requirement, Union, in_subtree_q
from directives.spreadsheets.writing import download_name, spreadsheet_response
from directives.uploads import file_response
from directives.views import page_of

from . import services
from .access import (
    acts_for,
    assignment_for_member,
    assignment_for_user,
    dashboard_for,
    directive_for_report_list,
    entry_for_member,
    entry_for_user,
    evidence_for_user,
    report_attachment_for_user,
    report_for_reviewer,
    unit_for_scorecard,
    visible_assignments,
)
from .dashboards import (
    ASSIGNMENT_FLAGS,
    FLAG_LABELS,
    REQUIREMENT_STATUSES,
    UNIT_STATUS,
    Dashboard,
    ReportState,
    active_directives,
    cascade_summaries,
    relay,
    scorecard,
    with_report_state,
)
from .exports import exports_for, table_for
from .forms import DashboardFilterForm, ProgressEntryForm, ReportForm, ReviewForm
from .import_views import job_progress
from .models import (
    Completion,
    ProgressEntry,
    Report,
    SpreadsheetJob,
    Status,
    report_deadline,
    requirement_status,
)


def requirements_with_status(assignment):
    """The directive's requirements, each with this union's entries and status."""
    requirements = list(
        assignment.directive.requirements.prefetch_related("expected_figures").annotate(
            done=Exists(
                Completion.objects.filter(assignment=assignment, requirement=OuterRef("pk"))
            )
        )
    )
    entries = list(ProgressEntry.objects.for_assignment(assignment))
    for requirement in requirements:
        requirement.entries = [e for e in entries if e.requirement_id == requirement.pk]
        requirement.status = requirement_status(
            due_on=requirement.due_on, done=requirement.done, has_entries=bool(requirement.entries)
        )
    return requirements


@login_required
def assignment_detail(request, pk):
    """One union's work on one directive: requirements, progress, and the report back."""
    assignment = assignment_for_user(request, pk)
    report = Report.objects.filter(assignment=assignment).first()
    return render(
        request,
        "reports/assignment_detail.html",
        {
            "assignment": assignment,
            "directive": assignment.directive,
            "requirements": requirements_with_status(assignment),
            "report": report,
            "acts": acts_for(request.user, assignment),
        },
    )


def requirement_of(assignment, requirement_pk):
    return get_object_or_404(
        Requirement.objects.filter(directive=assignment.directive), pk=requirement_pk
    )


def save_entry(request, entry, *, assignment, requirement):
    form = ProgressEntryForm(
        request.POST or None, request.FILES or None, instance=entry, requirement=requirement
    )
    if request.method == "POST" and form.is_valid() and form.lock_for_save():
        services.progress_entry_save(
            entry=form.save(commit=False),
            figures=form.figures(),
            files=form.cleaned_data["files"],
            user=request.user,
        )
        messages.success(request, _("The progress entry was saved."))
        return redirect("assignment_detail", pk=assignment.pk)
    return render(
        request,
        "reports/entry_form.html",
        {"form": form, "entry": entry, "assignment": assignment, "requirement": requirement},
        status=form.status_code,
    )


@login_required
def entry_add(request, pk, requirement_pk):
    assignment = assignment_for_member(request, pk)
    requirement = requirement_of(assignment, requirement_pk)
    entry = ProgressEntry(assignment=assignment, requirement=requirement)
    return save_entry(request, entry, assignment=assignment, requirement=requirement)


@login_required
def entry_edit(request, pk):
    entry = entry_for_member(request, pk)
    return save_entry(request, entry, assignment=entry.assignment, requirement=entry.requirement)


@login_required
def entry_detail(request, pk):
    entry = entry_for_user(request, pk)
    return render(
        request,
        "reports/entry_detail.html",
        {
            "entry": entry,
            "assignment": entry.assignment,
            "history": entry.history.select_related("history_user")[:50],
            "acts": acts_for(request.user, entry.assignment),
        },
    )


@login_required
def evidence_download(request, pk):
    evidence = evidence_for_user(request, pk)
    return file_response(evidence.file, name=evidence.name, content_type=evidence.content_type)


@login_required
@require_POST
def requirement_done(request, pk, requirement_pk):
    assignment = assignment_for_member(request, pk)
    requirement = requirement_of(assignment, requirement_pk)
    done = request.POST.get("done") == "1"
    services.requirement_set_done(
        assignment=assignment, requirement=requirement, done=done, user=request.user
    )
    messages.success(
        request, _("Marked as done.") if done else _("Marked as not done; it is open again.")
    )
    return redirect("assignment_detail", pk=assignment.pk)


@login_required
def report_edit(request, pk):
    """The report back: written and submitted by the union, read by supervisors above."""
    assignment = assignment_for_user(request, pk)
    acts = acts_for(request.user, assignment)
    if request.method == "POST" and not acts:
        raise PermissionDenied
    if acts:
        report = services.report_for(assignment)
    else:
        reports = Report.objects.filter(assignment=assignment)
        membership = membership_of(request.user)
        if not (membership and membership.union_id == assignment.recipient_id):
            # A draft is the unit's own until it is submitted.
            reports = reports.exclude(state=Report.State.DRAFT)
        report = reports.first()
        if report is None:
            messages.info(request, _("This unit has not submitted its report yet."))
            return redirect("assignment_detail", pk=assignment.pk)
    requirements = list(assignment.directive.requirements.prefetch_related("expected_figures"))
    form = ReportForm(
        request.POST or None, request.FILES or None, report=report, requirements=requirements
    )
    if request.method == "POST":
        if not report.is_editable:
            raise PermissionDenied
        if form.is_valid() and form.lock_for_save():
            services.report_save(
                report=report,
                text=form.cleaned_data["text"],
                figures=form.figures(),
                files=form.cleaned_data["files"],
                user=request.user,
            )
            if "submit" in request.POST:
                return submit(request, report)
            messages.success(request, _("The report was saved as a draft."))
            return redirect("report_edit", pk=assignment.pk)
    return render(
        request,
        "reports/report_form.html",
        {
            "assignment": assignment,
            "directive": assignment.directive,
            "report": report,
            "form": form,
            "acts": acts,
            "submissions": report.submissions.select_related("submitted_by", "reviewed_by")
            .prefetch_related("attachments")
            .all(),
            "attachments": report.attachments.filter(removed_at__isnull=True),
            "history": report.history.select_related("history_user")[:50],
            **roll_up_context(assignment, requirements),
        },
        status=form.status_code,
    )


def roll_up_context(assignment, requirements):
    """The roll-up panel, for unions with units beneath them."""
    if not assignment.recipient.numchild:
        return {"roll_up": None}
    summary = services.roll_up(assignment)
    return {"roll_up": summary, "roll_up_rows": summary.rows(requirements)}


def submit(request, report):
    try:
        services.report_submit(report=report, user=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The report was submitted to %(union)s.")
            % {"union": report.assignment.directive.issuer.name},
        )
    return redirect("report_edit", pk=report.assignment_id)


@login_required
@require_POST
def report_roll_up(request, pk):
    """Fill the draft with what the units beneath reported; it stays editable."""
    assignment = assignment_for_member(request, pk)
    report = services.report_for(assignment)
    try:
        services.report_fill_from_roll_up(report=report)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The draft was filled from your units' progress. Check it and edit it.")
        )
    return redirect("report_edit", pk=assignment.pk)


@login_required
@require_POST
def report_attachment_remove(request, pk, attachment_pk):
    assignment = assignment_for_member(request, pk)
    report = get_object_or_404(Report.objects.filter(assignment=assignment))
    if not report.is_editable:
        raise PermissionDenied
    attachment = get_object_or_404(
        report.attachments.filter(removed_at__isnull=True), pk=attachment_pk
    )
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    return redirect("report_edit", pk=assignment.pk)


@login_required
def report_attachment_download(request, pk):
    attachment = report_attachment_for_user(request, pk)
    return file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


@login_required
def review_queue(request):
    """Reports waiting for the user's union to accept or return them."""
    membership = membership_of(request.user)
    if membership is None or not membership.oversees_subtree:
        raise PermissionDenied
    reports = Report.objects.awaiting_review_by(membership.union).order_by("submitted_at")
    return render(request, "reports/review_queue.html", {"page": page_of(request, reports)})


@login_required
def report_review(request, pk):
    report = report_for_reviewer(request, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_review(
                report=report,
                user=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except services.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your decision was recorded and the unit was told."))
            return redirect("review_queue")
    return render(
        request,
        "reports/report_review.html",
        {
            "report": report,
            "assignment": report.assignment,
            "form": form,
            "submission": report.submissions.select_related("submitted_by").first(),
            "requirements": {r.pk: r for r in report.assignment.directive.requirements.all()},
        },
    )


@login_required
def directive_reports(request, pk):
    """Each recipient in the user's scope with its report state, for one directive."""
    directive = directive_for_report_list(request, pk)
    assignments = (
        visible_assignments(request.user)
        .filter(directive=directive)
        .select_related("recipient", "report")
        # Each row's state badge asks its report for the due date, read from the requirements.
        .prefetch_related("directive__requirements")
        .order_by("recipient__path")
    )
    deadline = report_deadline(directive)
    return render(
        request,
        "reports/directive_reports.html",
        {
            "directive": directive,
            "deadline_passed": deadline is not None and timezone.now() >= deadline,
            "page": page_of(request, assignments, size=50),
            "may_review": directive.may_be_managed_by(request.user),
        },
    )


# --- Dashboards ---------------------------------------------------------------------


def breadcrumbs(top, node):
    """The units from `top` down to `node`, for climbing back up."""
    return [*Union.objects.get_ancestors(node).filter(in_subtree_q(top)), node]


def chart_data(dashboard, rows, total):
    """What the three charts draw, with their labels in the user's language."""
    # From the day the directive was issued to today, a step for each day work got done.
    done_on = dict(dashboard.done_by_day())
    days = {dashboard.directive.issued_on, dashboard.today, *done_on} - {None}
    running, timeline = 0, []
    for day in sorted(days):
        running += done_on.get(day, 0)
        timeline.append({"x": day.isoformat(), "y": running})
    statuses = [(s, Status(s).label) for s in REQUIREMENT_STATUSES]
    counts = total.counts
    return {
        "by_unit": {
            "labels": [row.unit.label for row in rows],
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
def directive_dashboard(request, pk):
    """Completion of a directive's cascade at one unit, a row per child over its subtree."""
    form = DashboardFilterForm(request.GET or None)
    dashboard = dashboard_for(request.user, pk, request.GET.get("unit"), kind=form.value("kind"))
    directive, node = dashboard.directive, dashboard.node
    rows = dashboard.rows()
    total = Dashboard.total(rows)
    shown = [row for row in rows if form.keep(row)]
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
            "total": total,
            "figures": dashboard.expected_figures,
            "matches": Union.objects.below(node)
            .filter(Q(name__contains=query) | Q(short_name__contains=query))
            .exclude(depth=node.depth + 1)[:20]
            if query
            else [],
            "entries": dashboard.entries(own=True)[:50] if rows and rows[0].own else [],
            "charts": chart_data(dashboard, rows, total),
            "statuses": REQUIREMENT_STATUSES,
            "report_states": ReportState.choices,
        },
    )


def dashboard_scope(request, pk):
    """The directive's dashboard at the unit named by ?unit=, and whether the list is of
    that unit alone (?own=1) or of its whole subtree."""
    return dashboard_for(request.user, pk, request.GET.get("unit")), request.GET.get("own") == "1"


def requirement_in(request, dashboard):
    pk = request.GET.get("requirement", "")
    if not pk:
        return None
    requirement = next((r for r in dashboard.requirements if str(r.pk) == pk), None)
    if requirement is None:
        raise Http404
    return requirement


@login_required
def dashboard_units(request, pk):
    """The units behind a number on the dashboard."""
    dashboard, own = dashboard_scope(request, pk)
    requirement = requirement_in(request, dashboard)
    status, flag, state = (request.GET.get(k, "") for k in ("status", "flag", "report"))
    assignments = with_report_state(dashboard.assignments(own=own), dashboard.today)
    if status in UNIT_STATUS:
        units = dashboard.units_in(status, requirement, own=own)
        assignments = assignments.filter(recipient__in=units)
        title = Status(status).label if status != "due_soon" else _("Due soon")
    elif flag in ASSIGNMENT_FLAGS:
        assignments = assignments.filter(ASSIGNMENT_FLAGS[flag])
        title = dict(FLAG_LABELS)[flag]
    elif state in dict(ReportState.choices):
        assignments = assignments.filter(report_state=state)
        title = dict(ReportState.choices)[state]
    else:
        title = _("Units assigned")
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
            "report_states": dict(ReportState.choices),
        },
    )


@login_required
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
        },
    )


@login_required
def dashboard_relay(request, pk):
    """Middle layers: when each intermediate unit acknowledged and passed the directive on."""
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
def overview(request):
    """Every active directive in the user's subtree, with completion and what is overdue."""
    if not supervises(request.user):
        raise Http404
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
def unit_scorecard(request, pk):
    """A unit's record across the directives it received, over time."""
    unit = unit_for_scorecard(request, pk)
    page = page_of(request, scorecard(unit))
    for assignment in page.object_list:
        issued, acknowledged = assignment.directive.issued_on, assignment.acknowledged_at
        assignment.acknowledge_lag = (
            (timezone.localdate(acknowledged) - issued).days if issued and acknowledged else None
        )
    return render(
        request,
        "reports/scorecard.html",
        {"unit": unit, "page": page, "report_states": dict(ReportState.choices)},
    )


# --- Exports ------------------------------------------------------------------------


def export_response(request, kind, parameters):
    """Send the export at once, or have the background worker write it when it is big."""
    parameters = {**parameters, "format": "csv" if request.GET.get("format") == "csv" else "xlsx"}
    table = table_for(request.user, kind, parameters)
    if table.count > settings.EXPORT_BACKGROUND_ROWS:
        job = SpreadsheetJob.start_export(
            user=request.user,
            kind=kind,
            parameters=parameters,
            file_name=download_name(table, parameters["format"]),
            rows_total=table.count,
            language=request.LANGUAGE_CODE,
        )
        return redirect("export_job", pk=job.pk)
    return spreadsheet_response(table, parameters["format"])


def export_jobs(user):
    return SpreadsheetJob.objects.of(user).filter(direction=SpreadsheetJob.Direction.EXPORT)


@login_required
def export_list(request):
    """The spreadsheets the user may download, and the big ones being written for them."""
    kinds = exports_for(request.user)
    if not kinds:
        raise Http404
    return render(
        request, "reports/exports.html", {"kinds": kinds, "jobs": export_jobs(request.user)[:10]}
    )


@login_required
def export(request, kind):
    return export_response(request, kind, {})


@login_required
def dashboard_export(request, pk):
    """The completion matrix of the dashboard's directive at its unit: units × requirements."""
    dashboard = dashboard_for(request.user, pk, request.GET.get("unit"))
    return export_response(request, "matrix", {"directive": pk, "unit": dashboard.node.pk})


@login_required
def export_job(request, pk):
    """A big export being written; its file once it is ready."""
    job = get_object_or_404(export_jobs(request.user), pk=pk)
    return render(request, "reports/export_job.html", {"job": job})


@transaction.non_atomic_requests
@login_required
def export_job_progress(request, pk):
    """The progress bar the job's page polls; the whole page once the file is ready."""
    return job_progress(request, get_object_or_404(export_jobs(request.user), pk=pk))


@login_required
def export_download(request, pk):
    job = get_object_or_404(
        export_jobs(request.user).filter(state=SpreadsheetJob.State.DONE).exclude(output=""),
        pk=pk,
    )
    return FileResponse(job.output.open("rb"), as_attachment=True, filename=job.file_name)
