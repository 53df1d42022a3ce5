import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directives.models import Assignment, Figure, Requirement, StoredFile, Versioned


def end_of_day(day):
    """The first instant after `day` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


class Status(models.TextChoices):
    """Where a union stands on one requirement."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    OVERDUE = "overdue", _("Overdue")


def requirement_status(*, due_on, done, has_entries, today=None):
    """Done once the union says so; otherwise overdue after the due day, judged in Shanghai."""
    if done:
        return Status.DONE
    if (today or timezone.localdate()) > due_on:
        return Status.OVERDUE
    return Status.IN_PROGRESS if has_entries else Status.NOT_STARTED


class ProgressEntryQuerySet(models.QuerySet):
    def for_assignment(self, assignment):
        """The union's entries on one directive, newest activity first, with what pages show."""
        return (
            self.filter(assignment=assignment)
            .select_related("author", "requirement")
            .prefetch_related("figures", "evidence")
            .order_by("-occurred_on", "-pk")
        )


class ProgressEntry(Versioned):
    """What one union did for one requirement: an activity, its figures and evidence."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="progress_entries"
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.CASCADE,
        related_name="progress_entries",
        verbose_name=_("requirement"),
    )
    occurred_on = models.DateField(_("date of the activity"))
    narrative = models.TextField(_("what was done"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = ProgressEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["assignment", "requirement"], name="reports_entry_assignment")
        ]

    def __str__(self):
        return f"{self.assignment.recipient} · {self.requirement} · {self.occurred_on}"

    @property
    def figure_values(self):
        """Figure code → value, in the order the requirement lists its figures."""
        return {f.figure: f.value for f in self.figures.all()}


class EntryFigure(models.Model):
    entry = models.ForeignKey(ProgressEntry, on_delete=models.CASCADE, related_name="figures")
    figure = models.CharField(_("figure"), max_length=32, choices=Figure.choices)
    value = models.PositiveIntegerField(_("value"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "figure"], name="reports_entryfigure_unique")
        ]

    def __str__(self):
        return f"{self.get_figure_display()}: {self.value}"


class Evidence(StoredFile):
    entry = models.ForeignKey(ProgressEntry, on_delete=models.CASCADE, related_name="evidence")

    history = HistoricalRecords()

    class Meta(StoredFile.Meta):
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


class Completion(models.Model):
    """A union's word that it has done a requirement; removed when it reopens it."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="completions")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(_("done at"), default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("completion")
        verbose_name_plural = _("completions")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "requirement"], name="reports_completion_unique"
            )
        ]

    def __str__(self):
        return f"{self.assignment.recipient} · {self.requirement}"


class ReportQuerySet(models.QuerySet):
    def awaiting_review_by(self, union):
        """Submitted reports on directives the union issued."""
        return self.filter(
            state=Report.State.SUBMITTED, assignment__directive__issuer=union
        ).select_related("assignment__recipient", "assignment__directive")


class Report(Versioned):
    """A recipient union's report back (情况报告) on one directive."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        ACCEPTED = "accepted", _("Accepted")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="report")
    text = models.TextField(_("report"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [models.Index(fields=["state"], name="reports_report_state")]

    def __str__(self):
        return str(self.assignment)

    @property
    def is_editable(self):
        return self.state in (self.State.DRAFT, self.State.RETURNED)

    @property
    def due_on(self):
        return report_due_on(self.assignment.directive)

    @property
    def is_late(self):
        """Late when first submitted after the report-back day ended, or still missing then."""
        deadline = report_deadline(self.assignment.directive)
        if deadline is None:
            return False
        if self.first_submitted_at is None:
            return timezone.now() >= deadline
        return self.first_submitted_at >= deadline


def report_due_on(directive):
    """The due date of the directive's report-back requirement, else its last due date."""
    requirements = list(directive.requirements.all())
    report_back = [r.due_on for r in requirements if r.kind == Requirement.Kind.REPORT]
    dates = report_back or [r.due_on for r in requirements]
    return max(dates) if dates else None


def report_deadline(directive):
    """The instant the report back becomes late: the end of its due day in Shanghai."""
    due_on = report_due_on(directive)
    return end_of_day(due_on) if due_on else None


class ReportFigure(models.Model):
    """A figure in a report: the union's total for one figure of one requirement."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="figures")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(_("figure"), max_length=32, choices=Figure.choices)
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        ordering = ["requirement__position", "requirement_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "requirement", "figure"], name="reports_reportfigure_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_figure_display()}: {self.value}"


class ReportAttachment(StoredFile):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    # A submitted version keeps its files: removing one from the report only hides it.
    removed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta(StoredFile.Meta):
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")


class Submission(models.Model):
    """One submitted version of a report, frozen, with the reviewer's decision on it."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("report"))
    # A frozen copy of the figures as submitted: [{"requirement": id, "figure": code, "value": n}]
    figures = models.JSONField(default=list)
    attachments = models.ManyToManyField(ReportAttachment, blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="reports_submission_unique")
        ]

    def __str__(self):
        return f"{self.report} v{self.number}"
