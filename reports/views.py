"""The pages of one union's work on a directive: its requirements and progress entries,
the report back with its review, and the reports of every recipient."""

from difflib import SequenceMatcher

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from directives.access import may_manage
from directives.models import Requirement, report_addressee
from directives.paging import page_of
from directives.uploads import file_response

from . import services
from .access import (
    assignment_for_member,
    assignment_for_recorder,
    assignment_for_user,
    assignments_to_record,
    directive_for_recording,
    directive_for_report_list,
    editable_report_or_403,
    entry_for_editor,
    entry_for_user,
    evidence_for_user,
    may_edit_entry,
    may_edit_report,
    may_record_for,
    readable_reports,
    report_attachment_for_user,
    report_for_reviewer,
    reviewing_union,
    urges_of_assignment,
    visible_assignments,
)
from .forms import ProgressEntryForm, RecordChoiceForm, ReportForm, ReviewForm
from .models import (
    Completion,
    ProgressEntry,
    Report,
    RequirementProgress,
    Submission,
    follows_report,
    report_timeliness_of,
    requirement_status_case,
    with_report_timeliness,
)
from .notifications import delivery_message


def requirements_with_status(assignment, user):
    """The directive's requirements, each with this union's entries and status."""
    progress = RequirementProgress.objects.filter(
        assignment=assignment, requirement=OuterRef("pk")
    ).annotate(status=requirement_status_case(timezone.localdate()))
    requirements = list(
        assignment.directive.requirements.with_figures()
        .select_related("report_to", "directive__issuer")
        .annotate(
            done=Exists(
                Completion.objects.filter(assignment=assignment, requirement=OuterRef("pk"))
            ),
            status=Subquery(progress.values("status")[:1]),
        )
    )
    entries = list(ProgressEntry.objects.for_assignment(assignment))
    for entry in entries:
        entry.assignment = assignment
        entry.editable = may_edit_entry(user, entry)
    for requirement in requirements:
        requirement.entries = [e for e in entries if e.requirement_id == requirement.pk]
        requirement.follows_report = follows_report(requirement)
    return requirements


@login_required
@require_safe
def assignment_detail(request, pk):
    """One union's work on one directive: requirements, progress, and the report back."""
    assignment, acts = assignment_for_user(request, pk)
    report = Report.objects.filter(assignment=assignment).first()
    requirements = requirements_with_status(assignment, request.user)
    return render(
        request,
        "reports/assignment_detail.html",
        {
            "assignment": assignment,
            "directive": assignment.directive,
            "attachments": assignment.directive.attachments.all(),
            "requirements": requirements,
            "addressee": report_addressee(assignment.directive, requirements),
            "report": report,
            "timeliness": report_timeliness_of(assignment),
            "acts": acts,
            "records": may_record_for(request.user, assignment),
            "urges": list(urges_of_assignment(assignment)),
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
    """A new entry, by the union's member or, on its behalf (代录), a supervisor above."""
    assignment = assignment_for_recorder(request, pk)
    requirement = requirement_of(assignment, requirement_pk)
    entry = ProgressEntry(assignment=assignment, requirement=requirement)
    return save_entry(request, entry, assignment=assignment, requirement=requirement)


@login_required
def entry_edit(request, pk):
    entry = entry_for_editor(request, pk)
    return save_entry(request, entry, assignment=entry.assignment, requirement=entry.requirement)


@login_required
@require_safe
def entry_detail(request, pk):
    entry, acts = entry_for_user(request, pk)
    return render(
        request,
        "reports/entry_detail.html",
        {
            "entry": entry,
            "assignment": entry.assignment,
            "history": entry.history.select_related("history_user")[:50],
            "acts": acts,
        },
    )


@login_required
@require_safe
def directive_record(request, pk):
    """代录 from a directive: the supervisor chooses the union (its own or one beneath that
    received the directive) and the requirement, then logs progress on the usual form."""
    directive = directive_for_recording(request, pk)
    assignments = assignments_to_record(request.user, directive)
    if not assignments:
        raise PermissionDenied
    requirements = list(directive.requirements.all())
    form = RecordChoiceForm(request.GET or None, assignments=assignments, requirements=requirements)
    if form.is_valid():
        return redirect(
            "entry_add",
            pk=form.cleaned_data["union"],
            requirement_pk=form.cleaned_data["requirement"],
        )
    return render(
        request,
        "reports/directive_record.html",
        {"directive": directive, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def evidence_download(request, pk):
    evidence = evidence_for_user(request, pk)
    return file_response(evidence.file, name=evidence.name, content_type=evidence.content_type)


@login_required
@require_POST
def requirement_done(request, pk, requirement_pk):
    assignment = assignment_for_member(request, pk)
    requirement = requirement_of(assignment, requirement_pk)
    done = request.POST.get("done") == "1"
    try:
        services.requirement_set_done(
            assignment=assignment, requirement=requirement, done=done, user=request.user
        )
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Marked as done.") if done else _("Marked as not done; it is open again.")
        )
    return redirect("assignment_detail", pk=assignment.pk)


@login_required
def report_edit(request, pk):
    """The report back: written and submitted by the union, read by supervisors above."""
    assignment, acts = assignment_for_user(request, pk)
    if request.method == "POST" and not acts:
        raise PermissionDenied
    if acts and request.method == "POST":
        report = services.report_for(assignment)
    elif acts:
        # Opening the page writes nothing: the report begins with its first save.
        report = Report.objects.filter(assignment=assignment).first()
        report = report or Report(assignment=assignment)
    else:
        report = readable_reports(request.user, Report.objects.filter(assignment=assignment))
        report = report.first()
        if report is None:
            messages.info(request, _("This union has not submitted its report yet."))
            return redirect("assignment_detail", pk=assignment.pk)
    requirements = list(
        assignment.directive.requirements.with_figures().select_related(
            "report_to", "directive__issuer"
        )
    )
    form = ReportForm(
        request.POST or None, request.FILES or None, report=report, requirements=requirements
    )
    if request.method == "POST":
        if not may_edit_report(request.user, report):
            raise PermissionDenied
        if form.is_valid() and form.lock_for_save():
            services.report_save(
                report=report,
                text=form.cleaned_data["text"],
                figures=form.figures(),
                files=form.cleaned_data["files"],
                user=request.user,
            )
            if "confirm" in request.POST:
                return redirect("report_submit", pk=assignment.pk)
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
            "timeliness": report_timeliness_of(assignment),
            "form": form,
            "acts": acts,
            "addressee": report_addressee(assignment.directive, requirements),
            **report_records(report),
            **roll_up_context(assignment, requirements),
            "figure_changes": services.figures_since_acceptance(report, requirements),
        },
        status=form.status_code,
    )


def report_records(report):
    """The report's submitted versions, files and history, none for a report not begun."""
    if report.pk is None:
        return {"submissions": [], "attachments": [], "figures": [], "history": []}
    return {
        "figures": report.figures.select_related("requirement"),
        "submissions": report.submissions.select_related("submitted_by", "reviewed_by")
        .prefetch_related("attachments")
        .all(),
        "attachments": report.attachments.filter(removed_at__isnull=True),
        "history": report.history.select_related("history_user")[:50],
    }


def roll_up_context(assignment, requirements):
    """The roll-up panel, for unions with others beneath them."""
    if not assignment.recipient.numchild:
        return {"roll_up": None}
    summary = services.roll_up(assignment)
    return {"roll_up": summary, "roll_up_rows": summary.rows(requirements)}


def submit(request, report):
    try:
        submitted = services.report_submit(report=report, user=request.user)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The report was submitted to %(union)s.")
            % {"union": report.assignment.directive.report_addressee()},
        )
        messages.info(
            request,
            delivery_message(
                submitted.delivery, report.assignment.directive.issuer.name, supervisors=True
            ),
        )
    return redirect("report_edit", pk=report.assignment_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_submit(request, pk):
    """Submitting, confirmed: the page shows what goes to whom and whether it is on time;
    the POST submits the version that page showed."""
    assignment = assignment_for_member(request, pk)
    report = editable_report_or_403(request, assignment)
    if request.method == "POST":
        if request.POST.get("version") != str(report.version):
            messages.error(
                request,
                _("The report changed since this page was opened: check it again below."),
            )
            return redirect("report_submit", pk=assignment.pk)
        return submit(request, report)
    directive = assignment.directive
    requirements = list(
        directive.requirements.select_related("report_to", "directive__issuer").order_by(
            "position", "pk"
        )
    )
    figures = {}
    for figure in report.figures.all():
        figures.setdefault(figure.requirement_id, []).append(figure)
    today = timezone.localdate()
    return render(
        request,
        "reports/report_submit.html",
        {
            "assignment": assignment,
            "directive": directive,
            "report": report,
            "addressee": report_addressee(directive, requirements),
            "late": bool(directive.report_due_on and today > directive.report_due_on),
            "figure_groups": [(r, figures[r.pk]) for r in requirements if r.pk in figures],
            "attachments": report.attachments.filter(removed_at__isnull=True),
            "resubmission": report.state == Report.State.RETURNED,
        },
    )


@login_required
@require_POST
def report_roll_up(request, pk):
    """Fill the draft with what the unions beneath reported; it stays editable."""
    assignment = assignment_for_member(request, pk)
    report = services.report_for(assignment)
    try:
        services.report_fill_from_roll_up(report=report)
    except services.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The draft was filled from your unions' progress. Check it and edit it.")
        )
    return redirect("report_edit", pk=assignment.pk)


@login_required
@require_POST
def report_attachment_remove(request, pk, attachment_pk):
    assignment = assignment_for_member(request, pk)
    report = editable_report_or_403(request, assignment)
    attachment = get_object_or_404(
        report.attachments.filter(removed_at__isnull=True), pk=attachment_pk
    )
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    return redirect("report_edit", pk=assignment.pk)


@login_required
@require_safe
def report_attachment_download(request, pk):
    attachment = report_attachment_for_user(request, pk)
    return file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


@login_required
@require_safe
def review_queue(request):
    """Reports waiting for the user's union to accept or return them."""
    union = reviewing_union(request.user)
    reports = Report.objects.awaiting_review_by(union).order_by("submitted_at")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        reports = reports.filter(
            Q(assignment__directive__number__icontains=query)
            | Q(assignment__directive__title__icontains=query)
        )
    return render(
        request,
        "reports/review_queue.html",
        {"page": page_of(request, reports), "query": query},
    )


def text_diff(before, after):
    """What changed from one text to the other, as (kind, text) parts, kind "same",
    "removed" or "added": by line, and within lines changed by character."""
    parts = []

    def changed(old, new):
        if old:
            parts.append(("removed", old))
        if new:
            parts.append(("added", new))

    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            parts.append(("same", old))
        elif tag == "replace" and len(old) + len(new) <= DIFF_BY_CHARACTER:
            for tag, k1, k2, m1, m2 in SequenceMatcher(
                None, old, new, autojunk=False
            ).get_opcodes():
                if tag == "equal":
                    parts.append(("same", old[k1:k2]))
                else:
                    changed(old[k1:k2], new[m1:m2])
        else:
            changed(old, new)
    return parts


# Changed passages up to this long are compared character by character, the rest by line.
DIFF_BY_CHARACTER = 4000


def figure_changes(before, after, requirements):
    """(requirement, figure code, value before, value after) of each figure that changed
    between two submitted versions."""
    old = {(row["requirement"], row["figure"]): row["value"] for row in before.figures}
    new = {(row["requirement"], row["figure"]): row["value"] for row in after.figures}
    keys = list(dict.fromkeys([*new, *old]))
    return [
        (requirements.get(key[0]), key[1], old.get(key), new.get(key))
        for key in keys
        if old.get(key) != new.get(key)
    ]


def changes_since(previous, submission, requirements):
    """What a resubmission changed since the version that was returned."""
    if previous is None or submission is None:
        return None
    before = {a.pk: a for a in previous.attachments.all()}
    after = {a.pk: a for a in submission.attachments.all()}
    return {
        "text": text_diff(previous.text, submission.text),
        "text_changed": previous.text != submission.text,
        "figures": figure_changes(previous, submission, requirements),
        "added": [a for pk, a in after.items() if pk not in before],
        "removed": [a for pk, a in before.items() if pk not in after],
    }


@login_required
def report_review(request, pk):
    report = report_for_reviewer(request, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reviewed = services.report_review(
                report=report,
                user=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except services.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your decision was recorded. %(told)s")
                % {"told": delivery_message(reviewed.delivery, report.assignment.recipient.name)},
            )
            return redirect("review_queue")
    latest = report.submissions.select_related("submitted_by", "reviewed_by")
    submission, previous = [*latest.prefetch_related("attachments")[:2], None, None][:2]
    if previous is not None and previous.decision != Submission.Decision.RETURNED:
        previous = None
    requirements = {r.pk: r for r in report.assignment.directive.requirements.all()}
    return render(
        request,
        "reports/report_review.html",
        {
            "report": report,
            "assignment": report.assignment,
            "timeliness": report_timeliness_of(report.assignment),
            "form": form,
            "submission": submission,
            "previous": previous,
            "changes": changes_since(previous, submission, requirements),
            "requirements": requirements,
        },
    )


@login_required
@require_safe
def directive_reports(request, pk):
    """Each recipient in the user's scope with its report state, for one directive."""
    directive = directive_for_report_list(request, pk)
    assignments = (
        with_report_timeliness(visible_assignments(request.user), timezone.localdate())
        .filter(directive=directive)
        .select_related("recipient", "report")
        .order_by("recipient__path")
    )
    return render(
        request,
        "reports/directive_reports.html",
        {
            "directive": directive,
            "page": page_of(request, assignments, size=50),
            "may_review": may_manage(request.user, directive),
        },
    )
