"""Writes that touch several rows, each in one transaction, and the roll-up (汇总)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from directives.models import Assignment, Directive, Figure, Requirement, Union

from .access import may_act_for, recording_union
from .models import (
    REPORT_KINDS,
    Completion,
    EntryFigure,
    Evidence,
    FigureTotal,
    ProgressEntry,
    Report,
    ReportAttachment,
    ReportFigure,
    ReportTimeliness,
    RequirementProgress,
    Submission,
    Urge,
    follows_report,
    report_timeliness_q,
    with_report_due,
)
from .notifications import (
    Delivery,
    notify_report_reviewed,
    notify_report_submitted,
    notify_urge,
)
from .signals import urge_sent


class WorkflowError(Exception):
    """The report cannot move that way from where it stands."""


def acknowledge_on_first_action(*, assignment, user):
    """A union that acts on a directive has received it: the first entry, completion or
    report of one of its members acknowledges it (签收), in the action's transaction."""
    if not assignment.is_acknowledged and may_act_for(user, assignment):
        assignment.acknowledge(user)


@transaction.atomic
def progress_entry_save(*, entry, figures, files, user):
    """Save an entry, the figures its requirement expects, and any new evidence files.

    `figures` maps figure codes to values (None clears one); `files` are
    (uploaded file, checked content type, display name) triples.
    """
    if entry.pk is None:
        entry.author = user
        entry.recorded_by_union = recording_union(user, entry.assignment)
    acknowledge_on_first_action(assignment=entry.assignment, user=user)
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
    progress_refresh(assignment=entry.assignment, requirement=entry.requirement)
    return entry


@transaction.atomic
def requirement_set_done(*, assignment, requirement, done, user):
    if follows_report(requirement):
        raise WorkflowError(_("The report-back requirement is done once the report is submitted."))
    acknowledge_on_first_action(assignment=assignment, user=user)
    if done:
        Completion.objects.get_or_create(
            assignment=assignment,
            requirement=requirement,
            defaults={"done_by": user, "done_at": timezone.now()},
        )
    else:
        for completion in Completion.objects.filter(assignment=assignment, requirement=requirement):
            completion.delete()
    progress_refresh(assignment=assignment, requirement=requirement)


def report_for(assignment):
    """The assignment's report, started empty the first time it is asked for."""
    return Report.objects.get_or_create(assignment=assignment)[0]


@transaction.atomic
def report_save(*, report, text, figures, files=(), user=None):
    """Save the report's text, its figures ({(requirement id, figure code): value or None})
    and any new attachments."""
    if not report.is_editable:
        raise WorkflowError(_("A submitted or accepted report cannot be changed."))
    if user is not None:
        acknowledge_on_first_action(assignment=report.assignment, user=user)
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
    acknowledge_on_first_action(assignment=report.assignment, user=user)
    report_requirements_refresh(assignment=report.assignment)
    # Who was told, for the page to say so.
    report.delivery = notify_report_submitted(report=report, submission=submission)
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
    report_requirements_refresh(assignment=report.assignment)
    report.delivery = notify_report_reviewed(report=report, submission=submission)
    return report


# --- Where each union stands (the dashboards' summary), kept on every write ----------------


def progress_rows_add(*, directive):
    """A row for each recipient and requirement of an issued directive, none there yet."""
    assignments = list(directive.assignments.values_list("pk", "recipient_id"))
    requirements = list(directive.requirements.values_list("pk", flat=True))
    RequirementProgress.objects.bulk_create(
        [
            RequirementProgress(assignment_id=pk, union_id=union, requirement_id=requirement)
            for pk, union in assignments
            for requirement in requirements
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def progress_rows_move(*, assignments, union, merged=None):
    """The rows of assignments that passed to another union (a merge) now count for it, and
    the urges the `merged` union received about them follow them."""
    RequirementProgress.objects.filter(assignment__in=assignments).update(union=union)
    if merged is not None:
        directives = Assignment.objects.filter(pk__in=assignments).values("directive")
        Urge.objects.filter(union=merged, directive__in=directives).update(union=union)


def report_requirements_refresh(*, assignment):
    """The report-back requirements of the assignment's directive follow its report."""
    for requirement in assignment.directive.requirements.filter(kind__in=REPORT_KINDS):
        progress_refresh(assignment=assignment, requirement=requirement)


def done_at_of(assignment, requirement):
    """When the union finished a requirement: by its word, or for the report back, when the
    report that stands was sent; None while it is open."""
    if follows_report(requirement):
        report = Report.objects.filter(assignment=assignment).first()
        return report.sent_at if report else None
    return (
        Completion.objects.filter(assignment=assignment, requirement=requirement)
        .values_list("done_at", flat=True)
        .first()
    )


def progress_refresh(*, assignment, requirement):
    """Count the union's entries, completion and figure totals on one requirement again."""
    progress, _created = RequirementProgress.objects.get_or_create(
        assignment=assignment, requirement=requirement, defaults={"union": assignment.recipient}
    )
    entries = ProgressEntry.objects.filter(assignment=assignment, requirement=requirement)
    counted = entries.aggregate(count=Count("pk"), last=Max("occurred_on"))
    progress.entry_count = counted["count"]
    progress.last_entry_on = counted["last"]
    progress.set_done_at(done_at_of(assignment, requirement))
    progress.save()
    progress.figure_totals.all().delete()
    FigureTotal.objects.bulk_create(
        FigureTotal(progress=progress, figure=figure, total=total)
        for figure, total in EntryFigure.objects.filter(entry__in=entries)
        .values_list("figure")
        .annotate(total=Sum("value"))
    )
    return progress


@transaction.atomic
def progress_rebuild():
    """Count every row again from the entries and completions, in bulk.

    The rows are kept up to date on every write; this repairs them after changes made
    around the app (the admin, a database console) and fills them for bulk-loaded data.
    """
    pairs = Assignment.objects.exclude(directive__state=Directive.State.DRAFT).values_list(
        "pk", "recipient_id", "directive__requirements", "directive__requirements__kind"
    )
    entries = {
        (a, r): (count, last)
        for a, r, count, last in ProgressEntry.objects.values_list("assignment", "requirement")
        .annotate(count=Count("pk"), last=Max("occurred_on"))
        .order_by()
    }
    done = {
        (a, r): at
        for a, r, at in Completion.objects.values_list("assignment", "requirement", "done_at")
    }
    sent = dict(
        Report.objects.filter(state__in=Report.SENT_STATES).values_list(
            "assignment", "submitted_at"
        )
    )
    RequirementProgress.objects.all().delete()
    rows, kinds = [], {}
    for a, union, r, kind in pairs.iterator(chunk_size=5000):
        if r is None:
            continue
        kinds[(a, r)] = kind
        rows.append(
            RequirementProgress(
                assignment_id=a,
                union_id=union,
                requirement_id=r,
                entry_count=entries.get((a, r), (0, None))[0],
                last_entry_on=entries.get((a, r), (0, None))[1],
            )
        )
    for row in rows:
        key = (row.assignment_id, row.requirement_id)
        follows = kinds[key] in REPORT_KINDS
        row.set_done_at(sent.get(row.assignment_id) if follows else done.get(key))
    RequirementProgress.objects.bulk_create(rows, batch_size=2000)
    ids = {(p.assignment_id, p.requirement_id): p.pk for p in rows}
    totals = (
        EntryFigure.objects.values_list("entry__assignment", "entry__requirement", "figure")
        .annotate(total=Sum("value"))
        .order_by()
    )
    FigureTotal.objects.bulk_create(
        (
            FigureTotal(progress_id=ids[(a, r)], figure=figure, total=total)
            for a, r, figure, total in totals.iterator(chunk_size=5000)
            if (a, r) in ids
        ),
        batch_size=2000,
    )
    return len(rows)


# --- Roll-up (汇总) ---------------------------------------------------------------


@dataclass
class Excerpt:
    union: Union
    entry: ProgressEntry

    @property
    def files(self):
        """The names of the entry's evidence files, as a report on paper can quote them."""
        return [evidence.name for evidence in self.entry.evidence.all()]


@dataclass
class FigureGoal:
    """A figure's target over a subtree: per unit, the units that owe the requirement, and
    how many of them reached it."""

    target: int
    units: int
    reached: int

    @property
    def goal(self):
        return self.target * self.units


@dataclass
class RollUp:
    """What a union's subtree did on a directive, for the union's own report upward."""

    figures: dict = field(default_factory=dict)  # (requirement id, figure code) -> total
    unions: dict = field(default_factory=dict)  # ReportTimeliness → number of unions
    # Entries of the units beneath, and apart from them the union's own: requirement id -> []
    excerpts: dict = field(default_factory=lambda: defaultdict(list))
    own: dict = field(default_factory=lambda: defaultdict(list))
    goals: dict = field(default_factory=dict)  # (requirement id, figure code) -> FigureGoal
    # requirement id -> how many entries of the units beneath have a narrative, quoted or not
    narrated: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def has_units(self):
        """Whether any union beneath was sent the directive: else there is nothing to count."""
        return any(self.unions.values())

    def rows(self, requirements):
        """Per requirement, in order: each expected figure with its total, the excerpts, and
        how many entries the excerpts leave out. A figure with a target carries its
        `FigureGoal` as `goal`."""
        rows = []
        for requirement in requirements:
            excerpts = self.excerpts.get(requirement.pk, [])
            figures = []
            for figure in requirement.expected_figures.all():
                figure.goal = self.goals.get((requirement.pk, figure.figure_id))
                figures.append((figure, self.figures.get((requirement.pk, figure.figure_id), 0)))
            left_out = self.narrated.get(requirement.pk, 0) - len(excerpts)
            rows.append((requirement, figures, excerpts, max(left_out, 0)))
        return rows


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


def figure_goals(requirements, origin, subtree, entries):
    """(requirement id, figure code) → `FigureGoal` for the figures with a target: the units
    of the subtree that owe the requirement (or one passed on from it), and those whose own
    entries reach the target."""
    targets = {
        (r.pk, f.figure_id): f.target
        for r in requirements
        for f in r.expected_figures.all()
        if f.target is not None
    }
    if not targets:
        return {}
    owing = defaultdict(set)
    for requirement_id, union_id in RequirementProgress.objects.filter(
        requirement__in=list(origin), union__in=subtree
    ).values_list("requirement", "union"):
        owing[origin[requirement_id]].add(union_id)
    sums = defaultdict(int)
    per_union = (
        EntryFigure.objects.filter(entry__in=entries, figure__in={c for _r, c in targets})
        .values_list("entry__requirement", "entry__assignment__recipient", "figure")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for requirement_id, union_id, code, total in per_union:
        sums[(origin[requirement_id], code, union_id)] += total
    goals = {}
    for (requirement_id, code), target in targets.items():
        unions = owing[requirement_id]
        reached = sum(1 for u in unions if sums.get((requirement_id, code, u), 0) >= target)
        goals[(requirement_id, code)] = FigureGoal(target, len(unions), reached)
    return goals


def roll_up(assignment):
    """Totals, union counts and excerpts over the recipient's whole subtree.

    Figures are summed from progress entries, never from reports, so that a union's
    activity is counted once however many levels report it upward.
    """
    union = assignment.recipient
    requirements = list(assignment.directive.requirements.with_figures())
    origin = passed_on(requirements, union)
    subtree = Union.objects.in_subtree(union)
    entries = ProgressEntry.objects.filter(
        requirement__in=list(origin), assignment__recipient__in=subtree
    )
    result = RollUp()
    expected = {(r.pk, f.figure_id) for r in requirements for f in r.expected_figures.all()}
    totals = (
        EntryFigure.objects.filter(entry__in=entries)
        .values_list("entry__requirement", "figure")
        .annotate(total=Sum("value"))
    )
    for requirement_id, code, total in totals:
        key = (origin[requirement_id], code)
        if key in expected:
            result.figures[key] = result.figures.get(key, 0) + total

    result.goals = figure_goals(requirements, origin, subtree, entries)

    passing_on = Assignment.objects.filter(
        directive__requirements__in=[pk for pk in origin if origin[pk] != pk],
        recipient__in=subtree,
    ).exclude(recipient=union)
    below = with_report_due(Assignment.objects.filter(pk__in=passing_on.values("pk")))
    today = timezone.localdate()
    result.unions = below.aggregate(
        **{
            timeliness.value: Count("pk", filter=report_timeliness_q(timeliness, today))
            for timeliness in ReportTimeliness
        }
    )

    recent = (
        entries.exclude(narrative="")
        .select_related("assignment__recipient")
        .prefetch_related("evidence")
        .order_by("-occurred_on", "-pk")[:200]
    )
    for entry in recent:
        own = entry.assignment.recipient_id == union.pk
        excerpts = (result.own if own else result.excerpts)[origin[entry.requirement_id]]
        if len(excerpts) < EXCERPTS_PER_REQUIREMENT:
            excerpts.append(Excerpt(union=entry.assignment.recipient, entry=entry))
    narrated = (
        entries.exclude(narrative="")
        .exclude(assignment__recipient=union)
        .values_list("requirement")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for requirement_id, count in narrated:
        result.narrated[origin[requirement_id]] += count
    return result


@transaction.atomic
def report_fill_from_roll_up(*, report):
    """Write a draft from the roll-up of the union's subtree: text and figure totals."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not report.is_editable:
        raise WorkflowError(_("A submitted or accepted report cannot be changed."))
    assignment = report.assignment
    summary = roll_up(assignment)
    requirements = list(assignment.directive.requirements.with_figures())
    rows = summary.rows(requirements)
    text = render_to_string(
        "reports/roll_up.txt", {"assignment": assignment, "summary": summary, "rows": rows}
    )
    figures = {
        (requirement.pk, figure.figure_id): total
        for requirement, totals, _excerpts, _left_out in rows
        for figure, total in totals
    }
    # A new version, so that a form opened before the roll-up cannot save over it unnoticed.
    report.version += 1
    return report_save(report=report, text=text.strip() + "\n", figures=figures)


@dataclass
class FigureChange:
    requirement: Requirement
    figure: str
    before: int | None
    now: int

    @property
    def label(self):
        return Figure(self.figure).label


def figures_since_acceptance(report, requirements):
    """Each figure whose total over the union's subtree now differs from what its accepted
    report says: progress logged after the acceptance. Empty unless the report is accepted."""
    if report.pk is None or report.state != Report.State.ACCEPTED:
        return []
    accepted = report.submissions.filter(decision=Submission.Decision.ACCEPTED).first()
    if accepted is None:
        return []
    before = {(row["requirement"], row["figure"]): row["value"] for row in accepted.figures}
    now = roll_up(report.assignment).figures
    return [
        FigureChange(requirement, code, before.get((requirement.pk, code)), now[key])
        for requirement in requirements
        for code in requirement.figure_codes
        if (key := (requirement.pk, code)) in now and now[key] != before.get(key)
    ]


# --- Urging (催办) ---------------------------------------------------------------------------

# Where an urge's message names the urged union and its open items: one text for every union
# chosen, filled in for each, since each has its own late items.
UNION_PLACEHOLDER = "{union}"
ITEMS_PLACEHOLDER = "{items}"


@dataclass
class UrgeItem:
    """A requirement the urged union has not done, with its deadline."""

    title: str
    due_on: object
    overdue: bool

    def __str__(self):
        due = date_format(self.due_on)
        if self.overdue:
            return _("%(title)s (due %(date)s, overdue)") % {"title": self.title, "date": due}
        return _("%(title)s (due %(date)s)") % {"title": self.title, "date": due}


def urge_items(assignments, today=None):
    """{assignment pk: [UrgeItem]}: each assignment's open requirements by deadline, in one
    query."""
    today = today or timezone.localdate()
    rows = (
        RequirementProgress.objects.filter(assignment__in=assignments, done_at__isnull=True)
        .select_related("requirement")
        .order_by("requirement__due_on", "requirement__pk")
    )
    items = defaultdict(list)
    for row in rows:
        due_on = row.requirement.due_on
        items[row.assignment_id].append(UrgeItem(row.requirement.title, due_on, due_on < today))
    return items


def urge_default_message(directive):
    """The text proposed for an urge about the directive, with the placeholders filled in for
    each union when it is sent."""
    number = _(" (%(number)s)") % {"number": directive.number} if directive.number else ""
    return _(
        '{union}: your union has not yet completed the following work of "%(title)s"%(number)s. '
        "Please complete it as soon as possible and report back on time:\n{items}"
    ) % {"title": directive.title, "number": number}


def urge_message_for(message, union, items):
    """The message as the union receives it: its name and its open items filled in."""
    listed = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)) or _("(nothing open)")
    return message.replace(UNION_PLACEHOLDER, union.name).replace(ITEMS_PLACEHOLDER, listed)


@dataclass
class UrgeResult:
    sent: list = field(default_factory=list)  # the urges saved
    refused: list = field(default_factory=list)  # the unions already urged today
    delivery: Delivery = field(default_factory=Delivery)  # who was told of them


@transaction.atomic
def urges_send(*, assignments, message, user, urging_union, today=None):
    """Urge each assignment's union about its directive, with `message` filled in for it;
    a union already urged about that directive today is left out (the database refuses a
    second urge the same day, should two supervisors send at once). The members of each
    union urged are notified, and `urge_sent` is sent for each urge saved, inside the
    transaction."""
    today = today or timezone.localdate()
    items = urge_items(assignments, today)
    result = UrgeResult()
    for assignment in assignments:
        urge = Urge(
            directive=assignment.directive,
            union=assignment.recipient,
            urging_union=urging_union,
            sent_by=user,
            message=urge_message_for(message, assignment.recipient, items[assignment.pk]),
            sent_on=today,
        )
        try:
            with transaction.atomic():
                urge.save()
        except IntegrityError:
            result.refused.append(assignment.recipient)
            continue
        result.sent.append(urge)
        told = notify_urge(urge=urge, assignment=assignment)
        result.delivery.people += told.people
        result.delivery.emailed += told.emailed
        result.delivery.unions += bool(told.people)
        urge_sent.send(sender=Urge, urge=urge)
    return result
