"""Writes that touch several rows, each in one transaction, and the roll-up (汇总)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from directives.models import Assignment, Directive, Requirement, Union

from .models import (
    Completion,
    EntryFigure,
    Evidence,
    ProgressEntry,
    Report,
    ReportAttachment,
    ReportFigure,
    RequirementProgress,
    Submission,
    report_deadline,
)


class WorkflowError(Exception):
    """The report cannot move that way from where it stands."""


@transaction.atomic
def progress_entry_save(*, entry, figures, files, user):
    """Save an entry, the figures its requirement expects, and any new evidence files.

    `figures` maps figure codes to values (None clears one); `files` are
    (uploaded file, checked content type, display name) triples.
    """
    if entry.pk is None:
        entry.author = user
    entry.save()
    expected = set(entry.requirement.figure_codes)
    for code, value in figures.items():
        if code not in expected:
            continue
        if value is None:
            entry.figures.filter(figure=code).delete()
        else:
            EntryFigure.objects.update_or_create(
                entry=entry, figure=code, defaults={"value": value}
            )
    for upload in files:
        Evidence.store(upload, user=user, entry=entry)
    RequirementProgress.objects.refresh(entry.assignment, entry.requirement)
    return entry


@transaction.atomic
def requirement_set_done(*, assignment, requirement, done, user):
    if done:
        Completion.objects.get_or_create(
            assignment=assignment,
            requirement=requirement,
            defaults={"done_by": user, "done_at": timezone.now()},
        )
    else:
        for completion in Completion.objects.filter(assignment=assignment, requirement=requirement):
            completion.delete()
    RequirementProgress.objects.refresh(assignment, requirement)


def report_for(assignment):
    """The assignment's report, started empty the first time it is asked for."""
    return Report.objects.get_or_create(assignment=assignment)[0]


@transaction.atomic
def report_save(*, report, text, figures, files=(), user=None):
    """Save the report's text, its figures ({(requirement id, figure code): value or None})
    and any new attachments."""
    if not report.is_editable:
        raise WorkflowError(_("A submitted or accepted report cannot be changed."))
    report.text = text
    report.save()
    for (requirement_id, code), value in figures.items():
        if value is None:
            report.figures.filter(requirement_id=requirement_id, figure=code).delete()
        else:
            ReportFigure.objects.update_or_create(
                report=report,
                requirement_id=requirement_id,
                figure=code,
                defaults={"value": value},
            )
    for upload in files:
        ReportAttachment.store(upload, user=user, report=report)
    return report


@transaction.atomic
def report_submit(*, report, user):
    """Freeze the report as a new version and send it to the issuing union."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_editable:
        raise WorkflowError(_("Only a draft or a returned report can be submitted."))
    if not report.text.strip():
        raise WorkflowError(_("Write the report before submitting it."))
    now = timezone.now()
    submission = Submission.objects.create(
        report=report,
        number=report.submissions.count() + 1,
        text=report.text,
        figures=[
            {"requirement": f.requirement_id, "figure": f.figure, "value": f.value}
            for f in report.figures.all()
        ],
        submitted_at=now,
        submitted_by=user,
    )
    submission.attachments.set(report.attachments.filter(removed_at__isnull=True))
    report.state = Report.State.SUBMITTED
    report.submitted_at = now
    report.first_submitted_at = report.first_submitted_at or now
    report.version += 1
    report.save()
    return report


@transaction.atomic
def report_review(*, report, user, decision, comment=""):
    """Accept the submitted version, or return it with the reason."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state != Report.State.SUBMITTED:
        raise WorkflowError(_("Only a submitted report can be accepted or returned."))
    if decision == Submission.Decision.RETURNED and not comment.strip():
        raise WorkflowError(_("Say why the report is returned."))
    submission = report.submissions.first()
    submission.decision = decision
    submission.comment = comment.strip()
    submission.reviewed_at = timezone.now()
    submission.reviewed_by = user
    submission.save()
    report.state = (
        Report.State.ACCEPTED if decision == Submission.Decision.ACCEPTED else Report.State.RETURNED
    )
    report.version += 1
    report.save()
    return report


# --- Roll-up (汇总) ---------------------------------------------------------------


@dataclass
class Excerpt:
    unit: Union
    entry: ProgressEntry


@dataclass
class RollUp:
    """What a union's subtree did on a directive, for the union's own report upward."""

    figures: dict = field(default_factory=dict)  # (requirement id, figure code) -> total
    units: dict = field(default_factory=dict)  # on_time, late, returned, pending, missing
    excerpts: dict = field(default_factory=lambda: defaultdict(list))  # requirement id -> []

    def rows(self, requirements):
        """Per requirement, in order: each expected figure with its total, and the excerpts."""
        return [
            (
                requirement,
                [
                    (figure, self.figures.get((requirement.pk, figure.figure), 0))
                    for figure in requirement.expected_figures.all()
                ],
                self.excerpts.get(requirement.pk, []),
            )
            for requirement in requirements
        ]


EXCERPTS_PER_REQUIREMENT = 3


def passed_on(requirements, union):
    """Each requirement passed on from these, at any level beneath the union, mapped to the
    one of these it comes from. Forwards still in draft are left out."""
    subtree = Union.objects.in_subtree(union)
    origin = {r.pk: r.pk for r in requirements}
    level = list(origin)
    while level:
        rows = (
            Requirement.objects.filter(source__in=level, directive__issuer__in=subtree)
            .exclude(directive__state=Directive.State.DRAFT)
            .values_list("pk", "source_id")
        )
        level = []
        for pk, source in rows:
            origin[pk] = origin[source]
            level.append(pk)
    return origin


def roll_up(assignment):
    """Totals, unit counts and excerpts over the recipient's whole subtree.

    Figures are summed from progress entries, never from reports, so that a unit's
    activity is counted once however many levels report it upward.
    """
    union = assignment.recipient
    requirements = list(assignment.directive.requirements.all())
    origin = passed_on(requirements, union)
    subtree = Union.objects.in_subtree(union)
    entries = ProgressEntry.objects.filter(
        requirement__in=list(origin), assignment__recipient__in=subtree
    )
    result = RollUp()
    expected = {(r.pk, f.figure) for r in requirements for f in r.expected_figures.all()}
    totals = (
        EntryFigure.objects.filter(entry__in=entries)
        .values_list("entry__requirement", "figure")
        .annotate(total=Sum("value"))
    )
    for requirement_id, code, total in totals:
        key = (origin[requirement_id], code)
        if key in expected:
            result.figures[key] = result.figures.get(key, 0) + total

    below = (
        Assignment.objects.filter(
            directive__requirements__in=[pk for pk in origin if origin[pk] != pk],
            recipient__in=subtree,
        )
        .exclude(recipient=union)
        .distinct()
        .select_related("report")
        .prefetch_related("directive__requirements")
    )
    result.units = dict.fromkeys(["on_time", "late", "returned", "pending", "missing"], 0)
    now = timezone.now()
    for unit_assignment in below:
        report = getattr(unit_assignment, "report", None)
        deadline = report_deadline(unit_assignment.directive)
        if report is None or report.first_submitted_at is None:
            late = deadline is not None and now >= deadline
            result.units["missing" if late else "pending"] += 1
            continue
        if report.state == Report.State.RETURNED:
            result.units["returned"] += 1
        elif deadline and report.first_submitted_at >= deadline:
            result.units["late"] += 1
        else:
            result.units["on_time"] += 1

    recent = (
        entries.exclude(narrative="")
        .select_related("assignment__recipient")
        .prefetch_related("evidence")
        .order_by("-occurred_on", "-pk")[:200]
    )
    for entry in recent:
        excerpts = result.excerpts[origin[entry.requirement_id]]
        if len(excerpts) < EXCERPTS_PER_REQUIREMENT:
            excerpts.append(Excerpt(unit=entry.assignment.recipient, entry=entry))
    return result


@transaction.atomic
def report_fill_from_roll_up(*, report):
    """Write a draft from the roll-up of the union's subtree: text and figure totals."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_editable:
        raise WorkflowError(_("A submitted or accepted report cannot be changed."))
    assignment = report.assignment
    summary = roll_up(assignment)
    requirements = list(assignment.directive.requirements.prefetch_related("expected_figures"))
    rows = summary.rows(requirements)
    text = render_to_string(
        "reports/roll_up.txt", {"assignment": assignment, "summary": summary, "rows": rows}
    )
    figures = {
        (requirement.pk, figure.figure): total
        for requirement, totals, _excerpts in rows
        for figure, total in totals
    }
    # A new version, so that a form opened before the roll-up cannot save over it unnoticed.
    report.version += 1
    return report_save(report=report, text=text.strip() + "\n", figures=figures)
