import datetime
import logging
import tempfile
import uuid

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, connections, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from import_export.results import RowResult
from simple_history.models import HistoricalRecords

from directives.models import Assignment, Figure, Requirement, StoredFile, Versioned
from directives.spreadsheets.files import SpreadsheetError, estimate_rows, read_spreadsheet
from directives.spreadsheets.resources import RowError, file_rejected, import_dataset
from directives.spreadsheets.writing import csv_chunks, write_xlsx

logger = logging.getLogger(__name__)


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
    """The day the directive's report back is due: fixed at issue, else read from a draft."""
    return directive.report_due_on or directive.report_back_day()


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


# --- Where each unit stands (the dashboards' summary) -----------------------------


class RequirementProgressQuerySet(models.QuerySet):
    def add_for(self, directive):
        """A row for each recipient and requirement of an issued directive, none there yet."""
        assignments = list(directive.assignments.values_list("pk", "recipient_id"))
        requirements = list(directive.requirements.values_list("pk", flat=True))
        self.bulk_create(
            [
                RequirementProgress(assignment_id=pk, unit_id=unit, requirement_id=requirement)
                for pk, unit in assignments
                for requirement in requirements
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )

    def refresh(self, assignment, requirement):
        """Count the unit's entries, completion and figure totals on one requirement again."""
        progress, _created = self.get_or_create(
            assignment=assignment, requirement=requirement, defaults={"unit": assignment.recipient}
        )
        entries = ProgressEntry.objects.filter(assignment=assignment, requirement=requirement)
        counted = entries.aggregate(count=models.Count("pk"), last=models.Max("occurred_on"))
        progress.entry_count = counted["count"]
        progress.last_entry_on = counted["last"]
        progress.set_done_at(
            Completion.objects.filter(assignment=assignment, requirement=requirement)
            .values_list("done_at", flat=True)
            .first()
        )
        progress.save()
        progress.figure_totals.all().delete()
        FigureTotal.objects.bulk_create(
            FigureTotal(progress=progress, figure=figure, total=total)
            for figure, total in EntryFigure.objects.filter(entry__in=entries)
            .values_list("figure")
            .annotate(total=models.Sum("value"))
        )
        return progress

    def rebuild(self):
        """Count every row again from the entries and completions, in bulk.

        The rows are kept up to date on every write; this repairs them after changes made
        around the app (the admin, a database console) and fills them for bulk-loaded data.
        """
        pairs = Assignment.objects.exclude(directive__state="draft").values_list(
            "pk", "recipient_id", "directive__requirements"
        )
        entries = {
            (a, r): (count, last)
            for a, r, count, last in ProgressEntry.objects.values_list("assignment", "requirement")
            .annotate(count=models.Count("pk"), last=models.Max("occurred_on"))
            .order_by()
        }
        done = {
            (a, r): at
            for a, r, at in Completion.objects.values_list("assignment", "requirement", "done_at")
        }
        with transaction.atomic():
            self.all().delete()
            rows = [
                RequirementProgress(
                    assignment_id=a,
                    unit_id=unit,
                    requirement_id=r,
                    entry_count=entries.get((a, r), (0, None))[0],
                    last_entry_on=entries.get((a, r), (0, None))[1],
                )
                for a, unit, r in pairs.iterator(chunk_size=5000)
                if r is not None
            ]
            for row in rows:
                row.set_done_at(done.get((row.assignment_id, row.requirement_id)))
            self.bulk_create(rows, batch_size=2000)
            ids = {(p.assignment_id, p.requirement_id): p.pk for p in rows}
            totals = (
                EntryFigure.objects.values_list("entry__assignment", "entry__requirement", "figure")
                .annotate(total=models.Sum("value"))
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


class RequirementProgress(models.Model):
    """Where one unit stands on one requirement of a directive it received.

    Kept up to date by every write to entries and completions, so that the dashboards
    add up one row per unit and requirement instead of every entry beneath them.
    """

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="requirement_progress"
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    # The assignment's recipient, so that subtree filters need no join through assignments.
    unit = models.ForeignKey("directives.Union", on_delete=models.CASCADE, related_name="+")
    entry_count = models.PositiveIntegerField(default=0)
    last_entry_on = models.DateField(null=True)
    done_at = models.DateTimeField(null=True)
    # The day in Shanghai it was done, for the progress chart to count by day in plain SQL.
    done_on = models.DateField(null=True)

    objects = RequirementProgressQuerySet.as_manager()

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
    """The sum of one figure over a unit's entries on one requirement."""

    progress = models.ForeignKey(
        RequirementProgress, on_delete=models.CASCADE, related_name="figure_totals"
    )
    figure = models.CharField(max_length=32, choices=Figure.choices)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "figure"], name="reports_figuretotal_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_figure_display()}: {self.total}"


class SpreadsheetJobQuerySet(models.QuerySet):
    def of(self, user):
        """The user's own jobs: an upload is nobody else's business, not even a supervisor's."""
        return self.filter(user=user)

    def prune(self, *, days, stale_hours):
        """Delete jobs older than `days` with their files, and call failed the jobs queued or
        running for more than `stale_hours` (their worker died). Return both counts."""
        now = timezone.now()
        failed = self.filter(
            state__in=[SpreadsheetJob.State.QUEUED, SpreadsheetJob.State.RUNNING],
            created_at__lt=now - datetime.timedelta(hours=stale_hours),
        ).update(state=SpreadsheetJob.State.FAILED, finished_at=now)
        deleted = 0
        for job in self.filter(created_at__lt=now - datetime.timedelta(days=days)).iterator():
            job.file.delete(save=False)
            job.output.delete(save=False)
            job.delete()
            deleted += 1
        return deleted, failed

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
        _("kind of file"), max_length=32, help_text=_("A key of reports.imports.IMPORTABLES.")
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
    # An export's choices: which directive and unit a completion table is of, the format.
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
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
    def importable(self):
        from .imports import IMPORTABLES

        return IMPORTABLES[self.kind]

    # Starting

    @classmethod
    def upload(cls, *, user, importable, upload, language):
        """Keep an uploaded file and preview its import."""
        job = cls.objects.create(
            user=user,
            kind=importable.kind,
            file=upload,
            file_name=upload.name,
            language=language,
            dry_run=True,
            rows_total=estimate_rows(upload),
        )
        job.start()
        return job

    @classmethod
    def start_export(cls, *, user, kind, parameters, file_name, rows_total, language):
        """Have the worker write an export too big to send at once."""
        job = cls.objects.create(
            user=user,
            direction=cls.Direction.EXPORT,
            kind=kind,
            parameters=parameters,
            file_name=file_name,
            rows_total=rows_total,
            language=language,
        )
        from .tasks import run_spreadsheet_job

        run_spreadsheet_job.enqueue(job.pk)
        return job

    def confirm(self):
        """Import the previewed file for real. Only once: of two confirmations, or a
        confirmation racing a second tab, the first wins and the others return False."""
        claimed = (
            SpreadsheetJob.objects.awaiting_confirmation()
            .filter(pk=self.pk)
            .update(
                dry_run=False,
                state=self.State.QUEUED,
                rows_done=None,
                outcome={},
                started_at=None,
                finished_at=None,
            )
        )
        if not claimed:
            return False
        self.refresh_from_db()
        self.start()
        return True

    @property
    def in_background(self):
        """Big files, and files whose size cannot be told, go to the worker."""
        return self.rows_total is None or self.rows_total > settings.IMPORT_BACKGROUND_ROWS

    def start(self):
        if self.in_background:
            from .tasks import run_spreadsheet_job

            run_spreadsheet_job.enqueue(self.pk)
        else:
            self.run()

    # Running

    def run(self):
        """Read the file and import it through the kind's resource, a dry run for the
        preview; keep the outcome, errors included. Never raises: a crash fails the job."""
        self.state, self.started_at, self.rows_done = self.State.RUNNING, timezone.now(), None
        self.save(update_fields=["state", "started_at", "rows_done"])
        try:
            with translation.override(self.language):
                if self.direction == self.Direction.EXPORT:
                    self.write_export()
                    self.outcome = {}
                else:
                    self.outcome = self.outcome_data(self.import_file())
        except Exception:
            logger.exception("Spreadsheet job %s failed", self.pk)
            self.state = self.State.FAILED
            self.outcome = {}
        else:
            self.state = self.State.DONE
            self.rows_done = self.rows_total
        self.finished_at = timezone.now()
        self.save(update_fields=["state", "outcome", "rows_done", "finished_at"])

    def import_file(self):
        with self.file.open("rb") as stored:
            try:
                dataset = read_spreadsheet(File(stored, name=self.file_name))
            except SpreadsheetError as error:
                return file_rejected(error, dry_run=self.dry_run)
        # Saved before the import's transaction opens, so that the page shows it at once.
        self.rows_total = len(dataset)
        self.save(update_fields=["rows_total"])
        resource = self.importable.resource(self.user)
        with ProgressWriter(self) as progress:
            resource.progress = progress
            return import_dataset(resource, dataset, dry_run=self.dry_run)

    def write_export(self):
        """Write the export into `output`, counting the rows done as it goes."""
        from .exports import table_for

        table = table_for(self.user, self.kind, self.parameters)
        self.rows_total = table.count
        self.save(update_fields=["rows_total"])

        def progress(rows_done, *_total):
            SpreadsheetJob.objects.filter(pk=self.pk).update(rows_done=rows_done)

        with tempfile.TemporaryFile() as out:
            if self.parameters.get("format") == "csv":
                for chunk in csv_chunks(table, progress=progress):
                    out.write(chunk)
            else:
                write_xlsx(table, out, progress=progress)
            out.seek(0)
            self.output.save(self.file_name, File(out), save=False)
        self.save(update_fields=["output"])

    @property
    def progress_url(self):
        if self.direction == self.Direction.EXPORT:
            return reverse("export_job_progress", args=[self.pk])
        return reverse("import_job_progress", args=[self.pk])

    def outcome_data(self, outcome):
        data = {
            "errors": [
                [error.row, error.column, error.message]
                for error in outcome.errors[: self.ERRORS_KEPT]
            ],
            "error_count": len(outcome.errors),
            "new": outcome.new,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "rows": [],
        }
        if not outcome.errors and outcome.result is not None:
            # The library's results come one a dataset row, in order: row 2 of the file first.
            data["rows"] = [
                [number, row.import_type, row.object_repr]
                for number, row in enumerate(outcome.result.rows, start=2)
                if row.object_repr
            ][: self.ROWS_LISTED]
        return data

    # What the pages show

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def errors(self):
        return [RowError(*error) for error in self.outcome.get("errors", [])]

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


class ProgressWriter:
    """Writes to a job how many rows its import has done, every hundredth of the file, so
    that the user's page shows the count while the import's transaction is still open.

    The import keeps its rows in one transaction until the end (all or nothing), so the
    count goes through a database connection of its own, which commits at once. That takes
    a database with concurrent writers, PostgreSQL. SQLite has one writer, the import
    itself: there the count would wait for the import's lock, which the import would never
    release, so nothing is written until the end and the page just says "running". The same
    holds when the import runs inside a request's transaction (small files; tests, which
    run tasks at once), which may hold the job's row: the request waits for the end anyway.
    A lock timeout keeps any other case from hanging; the count then stops moving.
    """

    STEPS = 100

    def __init__(self, job):
        self.job = job
        self.next_at = 0
        self.connection = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.connection = connections.create_connection(connection.alias)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __call__(self, rows_done, rows_total):
        if self.connection is None or rows_done < self.next_at:
            return
        self.next_at = rows_done + max(1, rows_total // self.STEPS)
        table = self.connection.ops.quote_name(SpreadsheetJob._meta.db_table)
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {table} SET rows_done = %s WHERE id = %s", [rows_done, self.job.pk]
                )
        except DatabaseError:
            logger.warning("Job %s: progress cannot be written; it shows at the end", self.job.pk)
            self.close()
