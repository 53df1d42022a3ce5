import datetime
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult
from simple_history.models import HistoricalRecords

from directives.models import (
    DAY_VALIDATORS,
    Assignment,
    CatalogueFigure,
    Requirement,
    StoredFile,
    Versioned,
    figure_label,
    text_limited,
)
from directives.spreadsheets.resources import RowError

# The most a report back may hold, in characters.
REPORT_LIMIT = 50_000


class RequirementStatus(models.TextChoices):
    """Where a union stands on one requirement of a directive it received."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    OVERDUE = "overdue", _("Overdue")


# Open requirements falling due within this many days are flagged "due soon".
DUE_SOON_DAYS = 7
DUE_SOON = "due_soon"


def requirement_status_q(status, today):
    """`RequirementProgress` rows in a `RequirementStatus` on `today`, or `DUE_SOON`: done
    once the union says so; otherwise overdue after the due day, judged in Shanghai; in
    progress once it has logged anything."""
    open_ = Q(done_at__isnull=True)
    not_due = open_ & Q(requirement__due_on__gte=today)
    return {
        RequirementStatus.DONE: Q(done_at__isnull=False),
        RequirementStatus.OVERDUE: open_ & Q(requirement__due_on__lt=today),
        RequirementStatus.IN_PROGRESS: not_due & Q(entry_count__gt=0),
        RequirementStatus.NOT_STARTED: not_due & Q(entry_count=0),
        DUE_SOON: not_due
        & Q(requirement__due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)),
    }[status]


def requirement_status_case(today):
    """The `RequirementStatus` of a `RequirementProgress` row on `today`, as an expression."""
    return Case(
        *[
            When(requirement_status_q(status, today), then=Value(status))
            for status in RequirementStatus
        ],
        output_field=models.CharField(),
    )


def named_figures():
    """Prefetch an entry's figures with their names, in one query."""
    return models.Prefetch("figures", queryset=EntryFigure.objects.named())


# Requirements of these kinds are done by the report back rather than by the union's word:
# once the report is submitted and not returned.
REPORT_KINDS = (Requirement.Kind.REPORT,)


def follows_report(requirement):
    """Whether the requirement's status follows the union's report (see `REPORT_KINDS`)."""
    return requirement.kind in REPORT_KINDS


class ProgressEntryQuerySet(models.QuerySet):
    def for_assignment(self, assignment):
        """The union's entries on one directive, newest activity first, with what pages show."""
        return (
            self.filter(assignment=assignment)
            .with_lateness()
            .select_related("author", "requirement", "recorded_by_union")
            .prefetch_related(named_figures(), "evidence")
            .order_by("-occurred_on", "-pk")
        )

    def with_lateness(self):
        """Annotate `accepted_at`, when the union's report was accepted, and `is_late`: the
        entry was added after that, so the accepted report does not count it."""
        accepted = Submission.objects.filter(
            report__assignment=OuterRef("assignment"), decision=Submission.Decision.ACCEPTED
        ).order_by("-number")
        return self.annotate(
            accepted_at=Subquery(accepted.values("reviewed_at")[:1]),
            is_late=Case(
                When(created_at__gt=F("accepted_at"), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
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
    occurred_on = models.DateField(_("date of the activity"), validators=DAY_VALIDATORS)
    narrative = text_limited(_("what was done"), 10_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # 代录: the union above whose office entered the entry for the union it is about (from a
    # form or an import); empty when the union wrote it itself.
    recorded_by_union = models.ForeignKey(
        "directives.Union",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded on behalf by"),
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

    def clean(self):
        super().clean()
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError(
                {
                    "occurred_on": _(
                        "The activity cannot be dated after today (%(today)s): log what has "
                        "been done, once it is done."
                    )
                    % {"today": date_format(timezone.localdate())}
                }
            )

    @property
    def figure_values(self):
        """Figure code → value of the entry's figures, in the order they were first saved."""
        return {f.figure: f.value for f in self.figures.all()}


class NamedFigureQuerySet(models.QuerySet):
    def named(self):
        """With each figure's name from the catalogue, for `label` to need no query."""
        return self.annotate(
            figure_name=Subquery(
                CatalogueFigure.objects.filter(code=OuterRef("figure")).values("name")[:1]
            )
        )


class NamedFigure(models.Model):
    """A row holding a figure's code (of `directives.CatalogueFigure`): the code is what
    files and totals carry; pages read the name through `named()`."""

    # The catalogue's code, kept as text so that totals group and files name it as is.
    figure = models.CharField(_("figure"), max_length=32)

    objects = NamedFigureQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def label(self):
        return figure_label(self.figure, getattr(self, "figure_name", None))


class EntryFigure(NamedFigure):
    entry = models.ForeignKey(ProgressEntry, on_delete=models.CASCADE, related_name="figures")
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
        return f"{self.label}: {self.value}"


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

    # A report in these states stands as sent: submitted and not returned.
    SENT_STATES = (State.SUBMITTED, State.ACCEPTED)

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="report")
    text = text_limited(_("report"), REPORT_LIMIT, blank=True)
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
    def sent_at(self):
        """When the version that stands was sent: None while the report is a draft or returned."""
        return self.submitted_at if self.state in self.SENT_STATES else None


class ReportFigure(NamedFigure):
    """A figure in a report: the union's total for one figure of one requirement."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="figures")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveIntegerField(_("value"))

    class Meta:
        ordering = ["requirement__position", "requirement_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "requirement", "figure"], name="reports_reportfigure_unique"
            )
        ]

    def __str__(self):
        return f"{self.label}: {self.value}"


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
    comment = text_limited(_("reviewer's comment"), 5_000, blank=True)
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


# --- Where a union's report back stands against its deadline ----------------------------


class ReportTimeliness(models.TextChoices):
    """Where a union's report back stands against the directive's `report_due_on`: sent on
    time or late (judged by its first submission), returned, missing after the due day,
    or not yet due."""

    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")
    RETURNED = "returned", _("Returned")
    MISSING = "missing", _("Missing")
    PENDING = "pending", _("Not yet due")


def report_timeliness_q(timeliness, today):
    """Assignments (annotated by `with_report_due`) whose report is in one `ReportTimeliness`
    on `today`. A day ends at midnight in Shanghai, the project's time zone."""
    submitted = Q(report__first_submitted_at__isnull=False) & ~Q(
        report__state=Report.State.RETURNED
    )
    unsent = Q(report__isnull=True) | Q(report__first_submitted_at__isnull=True)
    return {
        ReportTimeliness.RETURNED: Q(report__state=Report.State.RETURNED),
        ReportTimeliness.ON_TIME: submitted
        & Q(report__first_submitted_at__date__lte=F("report_due")),
        ReportTimeliness.LATE: submitted & Q(report__first_submitted_at__date__gt=F("report_due")),
        ReportTimeliness.MISSING: unsent & Q(report_due__lt=today),
        ReportTimeliness.PENDING: unsent & (Q(report_due__gte=today) | Q(report_due__isnull=True)),
    }[timeliness]


def with_report_due(assignments):
    return assignments.annotate(report_due=F("directive__report_due_on"))


def with_report_timeliness(assignments, today):
    """Annotate each assignment with its report's `ReportTimeliness` on `today`."""
    return with_report_due(assignments).annotate(
        report_timeliness=Case(
            *[
                When(report_timeliness_q(timeliness, today), then=Value(timeliness))
                for timeliness in ReportTimeliness
            ],
            output_field=models.CharField(),
        )
    )


def report_timeliness_of(assignment, today=None):
    """The `ReportTimeliness` of one assignment's report on `today`."""
    assignments = with_report_timeliness(
        Assignment.objects.filter(pk=assignment.pk), today or timezone.localdate()
    )
    return assignments.values_list("report_timeliness", flat=True).first()


# --- Where each union stands (the dashboards' summary) -----------------------------


class RequirementProgress(models.Model):
    """Where one union stands on one requirement of a directive it received.

    Kept up to date by every write to entries and completions, so that the dashboards
    add up one row per union and requirement instead of every entry beneath them.
    """

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="requirement_progress"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    # The assignment's recipient, so that subtree filters need no join through assignments.
    union = models.ForeignKey("directives.Union", on_delete=models.CASCADE, related_name="+")
    entry_count = models.PositiveIntegerField(default=0)
    last_entry_on = models.DateField(null=True)
    done_at = models.DateTimeField(null=True)
    # The day in Shanghai it was done, for the progress chart to count by day in plain SQL.
    done_on = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "requirement"], name="reports_requirementprogress_unique"
            )
        ]

    def __str__(self):
        return f"{self.assignment} · {self.requirement}"

    def set_done_at(self, moment):
        self.done_at = moment
        self.done_on = timezone.localdate(moment) if moment else None


class FigureTotal(models.Model):
    """The sum of one figure over a union's entries on one requirement."""

    progress = models.ForeignKey(
        RequirementProgress, on_delete=models.CASCADE, related_name="figure_totals"
    )
    figure = models.CharField(max_length=32)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "figure"], name="reports_figuretotal_unique"
            )
        ]

    def __str__(self):
        return f"{figure_label(self.figure)}: {self.total}"


class SpreadsheetJobQuerySet(models.QuerySet):
    def of(self, user):
        """The user's own jobs: an upload is nobody else's business, not even a supervisor's."""
        return self.filter(user=user)

    def awaiting_confirmation(self):
        """Imports whose preview found no error, not yet confirmed nor too old to confirm."""
        return self.filter(
            direction=SpreadsheetJob.Direction.IMPORT,
            dry_run=True,
            state=SpreadsheetJob.State.DONE,
            outcome__error_count=0,
            finished_at__gte=timezone.now() - SpreadsheetJob.CONFIRM_WITHIN,
        )


def job_file_path(job, filename):
    # The user's file name stays on the job; the stored name only has to be unique.
    extension = filename.rpartition(".")[2].lower()
    return f"{job.direction}s/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class SpreadsheetJob(models.Model):
    """One user's spreadsheet import or big export, with the progress the user watches.

    An import keeps the uploaded file until it is confirmed: its preview (a dry run) and
    then its import each run in the request for small files or by the background worker
    for big ones. An export too big to send at once is written by the worker into
    `output`, which the user downloads when it is ready.
    """

    # A preview shows the data as it was; after this long it must be made again.
    CONFIRM_WITHIN = datetime.timedelta(days=1)
    # Errors kept for the page: enough to fix a file, bounded for a file of 100,000 bad rows.
    ERRORS_KEPT = 500
    # Rows of a clean preview listed with what the import would do to them.
    ROWS_LISTED = 100

    class Direction(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spreadsheet_jobs"
    )
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.IMPORT)
    kind = models.CharField(
        _("kind of file"),
        max_length=32,
        help_text=_("What the file holds: the union tree, users, progress entries…"),
    )
    file = models.FileField(_("file"), upload_to=job_file_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    output = models.FileField(
        _("output"),
        upload_to=job_file_path,
        max_length=200,
        blank=True,
        help_text=_("The file an export job wrote."),
    )
    language = models.CharField(max_length=16, default=settings.LANGUAGE_CODE)
    dry_run = models.BooleanField(
        _("preview"), default=False, help_text=_("The run writes nothing: an import's preview.")
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows done"), null=True, blank=True)
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    # An export's choices: which directive and union a completion table is of, the format.
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # "host:pid" of the process running it, to tell a run whose process died.
    runner = models.CharField(max_length=100, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = SpreadsheetJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("spreadsheet job")
        verbose_name_plural = _("spreadsheet jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="reports_job_user_created")]

    def __str__(self):
        return f"{self.user} · {self.kind} · {self.file_name}"

    @property
    def progress_url(self):
        if self.direction == self.Direction.EXPORT:
            return reverse("export_job_progress", args=[self.pk])
        return reverse("import_job_progress", args=[self.pk])

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def errors(self):
        return [RowError(*error) for error in self.outcome.get("errors", [])]

    @property
    def warnings(self):
        """Rows that import but look wrong, for the preview to point out (none with errors)."""
        if self.error_count:
            return []
        return [RowError(*warning) for warning in self.outcome.get("warnings", [])]

    @property
    def upload_url(self):
        """Where the file is uploaded again: the page of the directive it was imported for,
        or of its kind."""
        if self.parameters.get("directive"):
            return reverse("directive_progress_import", args=[self.parameters["directive"]])
        return reverse("import_new", args=[self.kind])

    @property
    def error_count(self):
        return self.outcome.get("error_count", 0)

    @property
    def errors_not_shown(self):
        return self.error_count - len(self.outcome.get("errors", []))

    @property
    def listed_rows(self):
        labels = {
            RowResult.IMPORT_TYPE_NEW: _("New"),
            RowResult.IMPORT_TYPE_UPDATE: _("Updated"),
            RowResult.IMPORT_TYPE_SKIP: _("Unchanged"),
        }
        return [
            (number, import_type, labels.get(import_type, import_type), text)
            for number, import_type, text in self.outcome.get("rows", [])
        ]

    @property
    def awaiting_confirmation(self):
        return SpreadsheetJob.objects.awaiting_confirmation().filter(pk=self.pk).exists()

    @property
    def written(self):
        """A confirmed import that wrote its rows."""
        return not self.dry_run and self.state == self.State.DONE and not self.error_count

    @property
    def percent_done(self):
        """How far the run is, or None while nobody can tell (see ProgressWriter)."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total or self.rows_done is None:
            return None
        return min(100, 100 * self.rows_done // self.rows_total)


# --- The deadline calendar and the group robots (督办 reaching people outside the app) ------


def new_feed_secret():
    return secrets.token_hex(32)


class CalendarFeed(models.Model):
    """A user's private deadline calendar: its URL carries the row's id and a random secret,
    so that Outlook or a phone reads it without a session. Regenerating replaces the secret;
    revoking deletes the row: either way the old URL answers 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    secret = models.CharField(max_length=64, default=new_feed_secret)
    created_at = models.DateTimeField(_("created at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("calendar_feed", kwargs={"pk": self.pk, "secret": self.secret})


class GroupRobot(models.Model):
    """A union's group-chat robot (企业微信 or 钉钉): its notifications are posted there."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")

    union = models.OneToOneField(
        "directives.Union",
        on_delete=models.CASCADE,
        related_name="group_robot",
        verbose_name=_("union"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WECOM)
    url = models.URLField(
        _("webhook address"),
        max_length=500,
        help_text=_("The address the group's robot settings show, beginning with https://."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "DingTalk only, when the robot's security setting is “sign” (加签): the secret "
            "beginning with SEC. Leave empty otherwise."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self):
        return f"{self.union} · {self.get_kind_display()}"


class RobotDelivery(models.Model):
    """One message to a union's group robot, and how its delivery went: each attempt is
    counted, the last error kept, the next attempt scheduled until it is sent or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    robot = models.ForeignKey(GroupRobot, on_delete=models.CASCADE, related_name="deliveries")
    title = models.CharField(_("title"), max_length=200)
    payload = models.JSONField(_("message"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("robot delivery")
        verbose_name_plural = _("robot deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.robot} · {self.title}"


# --- Urging (催办) ---------------------------------------------------------------------------


class UrgeQuerySet(models.QuerySet):
    def in_cascade(self, directive):
        """Urges about the directive or any forward of it."""
        return self.filter(directive__origin=directive.origin_id)

    def of_assignment(self, assignment):
        """Urges the assignment's union received about that directive, newest first."""
        return self.filter(directive=assignment.directive_id, union=assignment.recipient_id)

    def counts_by_union(self):
        """{union pk: how many times it was urged} over these urges, in one query."""
        return dict(self.values_list("union").annotate(n=models.Count("pk")).order_by())


class Urge(models.Model):
    """A supervisor's urge (催办) to a union beneath, about a directive it received and
    has not done on time. At most one per union, directive and day in Shanghai."""

    directive = models.ForeignKey(
        "directives.Directive",
        on_delete=models.CASCADE,
        related_name="urges",
        help_text=_("The directive as the urged union received it."),
    )
    union = models.ForeignKey(
        "directives.Union", on_delete=models.CASCADE, related_name="urges_received"
    )
    urging_union = models.ForeignKey(
        "directives.Union", on_delete=models.CASCADE, related_name="urges_sent"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = text_limited(_("Message"), 5_000)
    # The day in Shanghai, for the once-a-day rule to hold in the database.
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UrgeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["union", "directive", "sent_on"], name="reports_urge_once_a_day"
            )
        ]

    def __str__(self):
        return f"{self.union} · {self.directive} · {self.sent_on}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        """Those not yet marked read."""
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """What the app tells one person about one event (通知提醒): shown under the bell and,
    if the person chose it for the kind, e-mailed in the background. The key names the
    event, so that the same event never reaches the same person twice."""

    class Kind(models.TextChoices):
        DIRECTIVE_ASSIGNED = "directive_assigned", _("A directive sent to my union")
        FORWARD_RECEIVED = "forward_received", _("A forwarded directive sent to my union")
        DEADLINE_APPROACHING = "deadline_approaching", _("A deadline approaching")
        OVERDUE = "overdue", _("A requirement or report overdue")
        REPORT_RETURNED = "report_returned", _("My union's report returned")
        REPORT_ACCEPTED = "report_accepted", _("My union's report accepted")
        URGE_RECEIVED = "urge_received", _("An urge received")
        REVIEW_WAITING = "review_waiting", _("A report waiting for my review")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    directive = models.ForeignKey(
        "directives.Directive", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("text"), max_length=1000)
    url = models.CharField(_("link"), max_length=500)
    key = models.CharField(_("event"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="reports_notification_unique_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="reports_notification_unread",
            )
        ]

    def __str__(self):
        return self.text


# The kinds e-mailed to a person who has not chosen otherwise.
EMAILED_BY_DEFAULT = (
    Notification.Kind.DIRECTIVE_ASSIGNED,
    Notification.Kind.FORWARD_RECEIVED,
    Notification.Kind.REPORT_RETURNED,
    Notification.Kind.URGE_RECEIVED,
    Notification.Kind.OVERDUE,
)


class NotificationSettings(models.Model):
    """How one person wants to be told: which kinds also come by e-mail, in which
    language. A person without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    emailed_kinds = models.JSONField(_("kinds also sent by e-mail"), default=list, blank=True)
    language = models.CharField(
        _("language of e-mails"),
        max_length=16,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)

    @classmethod
    def of_default(cls, user):
        """The settings of a user who never chose (unsaved)."""
        return cls(user=user, emailed_kinds=[str(k) for k in EMAILED_BY_DEFAULT])

    @classmethod
    def of(cls, user):
        """The user's settings, the defaults (unsaved) for one who never chose."""
        return cls.objects.filter(user=user).first() or cls.of_default(user)

    def emails(self, kind):
        return str(kind) in self.emailed_kinds
