"""Spreadsheet resources for progress entries and reports, built on directives.spreadsheets.

Both name the assignment by the directive (issuer code and document number) and the
recipient union's code. They are read by the union and the supervisors above it, and
written only by the union's own members while the directive is in force, as in the app.
The formats are documented in docs/spreadsheets.md.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from directives.models import Figure
from directives.spreadsheets.cells import (
    ChoiceWidget,
    DateTimeWidget,
    DateWidget,
    TextWidget,
    WholeNumberWidget,
)
from directives.spreadsheets.resources import SpreadsheetResource
from directives.wording import join_list, person

from .access import may_act_for, readable_reports, visible_assignments
from .models import ProgressEntry, Report
from .services import progress_entry_save


class AssignmentRowsResource(SpreadsheetResource):
    """Rows about one union's work on one directive."""

    issuer = Field(
        attribute="assignment__directive__issuer__code",
        column_name="issuer",
        widget=TextWidget(),
        readonly=True,
    )
    number = Field(
        attribute="assignment__directive__number",
        column_name="number",
        widget=TextWidget(),
        readonly=True,
    )
    unit = Field(
        attribute="assignment__recipient__code",
        column_name="unit",
        widget=TextWidget(),
        readonly=True,
    )
    unit_name = Field(
        attribute="assignment__recipient__name",
        column_name="unit_name",
        widget=TextWidget(),
        readonly=True,
    )

    headers = {
        "issuer": gettext_lazy("Issuer code"),
        "number": gettext_lazy("Document number"),
        "unit": gettext_lazy("Unit code"),
        "unit_name": gettext_lazy("Unit name"),
    }

    def assignments(self):
        """Assignments of published directives to unions in the scope."""
        return visible_assignments(self.user).filter(recipient__in=self.unions)

    def assignment_for(self, row):
        # "unit" is the column's name in the file format (docs/spreadsheets.md).
        issuer, number, union = (
            self.fields[name].clean(row) for name in ("issuer", "number", "unit")
        )
        assignment = (
            self.assignments()
            .filter(directive__issuer__code=issuer, directive__number=number, recipient__code=union)
            .select_related("directive", "recipient")
            .first()
        )
        if assignment is None:
            raise ValidationError(
                {
                    "unit": _(
                        "Directive %(number)s of %(issuer)s was not sent to a union %(unit)s "
                        "within your scope."
                    )
                    % {"number": number, "issuer": issuer, "unit": union}
                }
            )
        return assignment

    def write_problems(self, assignment):
        if self.unscoped or may_act_for(self.user, assignment):
            return {}
        return {
            "unit": _(
                "Only members of %(unit)s write its progress and report, while the directive "
                "is in force."
            )
            % {"unit": assignment.recipient.code}
        }


def figure_column(code):
    def figure_value(entry):
        return entry.figure_values.get(code)

    return Field(
        attribute=f"figure_{code}",
        column_name=f"figure_{code}",
        widget=WholeNumberWidget(),
        dehydrate_method=figure_value,
    )


class ProgressEntryResource(AssignmentRowsResource):
    """Progress entries, one a row, with a column for each figure, the names of the evidence
    files and who recorded the entry.

    The requirement is named by its title, as the screens name it; a file may still give
    its number instead (the column 工作要求序号 of earlier files)."""

    requirement = Field(
        attribute="requirement__title",
        column_name="requirement",
        widget=TextWidget(),
        readonly=True,
    )
    occurred_on = Field(attribute="occurred_on", column_name="occurred_on", widget=DateWidget())
    narrative = Field(attribute="narrative", column_name="narrative", widget=TextWidget())
    evidence = Field(
        attribute="evidence",
        column_name="evidence",
        widget=TextWidget(),
        readonly=True,
        dehydrate_method="evidence_names",
    )
    author = Field(
        attribute="author",
        column_name="author",
        widget=TextWidget(),
        readonly=True,
        dehydrate_method="author_name",
    )

    headers = {
        **AssignmentRowsResource.headers,
        "requirement": gettext_lazy("Requirement"),
        "occurred_on": gettext_lazy("Date"),
        "narrative": gettext_lazy("What was done"),
        "evidence": gettext_lazy("Evidence files"),
        "author": gettext_lazy("Recorded by"),
    }
    aliases = {"requirement": (gettext_lazy("Requirement number"),)}

    class Meta:
        model = ProgressEntry
        fields = (
            "issuer",
            "number",
            "unit",
            "unit_name",
            "requirement",
            "occurred_on",
            "narrative",
            *(f"figure_{code}" for code in Figure.values),
            "evidence",
            "author",
        )
        import_id_fields = ("issuer", "number", "unit", "requirement", "occurred_on", "narrative")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        # One column for each figure, headed by its name, before the evidence and author.
        self.headers = dict(self.headers)
        evidence, author = self.fields.pop("evidence"), self.fields.pop("author")
        for code, label in Figure.choices:
            self.fields[f"figure_{code}"] = figure_column(code)
            self.headers[f"figure_{code}"] = label
        self.fields["evidence"], self.fields["author"] = evidence, author
        self.requirements = {}
        self.assignments_by_key = {}

    def assignment_for(self, row):
        # Looked up once a file for each directive and union: every row asks twice.
        key = tuple(
            str(row.get(self.fields[name].column_name)) for name in ("issuer", "number", "unit")
        )
        if key not in self.assignments_by_key:
            self.assignments_by_key[key] = super().assignment_for(row)
        return self.assignments_by_key[key]

    @staticmethod
    def evidence_names(entry):
        return join_list(evidence.name for evidence in entry.evidence.all())

    @staticmethod
    def author_name(entry):
        return person(entry.author)

    def scoped(self, queryset):
        return (
            queryset.filter(assignment__in=self.assignments())
            .select_related(
                "assignment__directive__issuer", "assignment__recipient", "requirement", "author"
            )
            .prefetch_related("figures", "evidence")
            .order_by(
                "assignment__recipient__path", "assignment__directive_id", "occurred_on", "pk"
            )
        )

    def requirement_for(self, assignment, row):
        """The directive's requirement the row names by its title, or by its number."""
        name = self.fields["requirement"].clean(row)
        key = (assignment.directive_id, name)
        if key not in self.requirements:
            requirements = assignment.directive.requirements
            found = list(requirements.filter(title=name)[:2])
            if not found and name.isdigit():
                found = list(requirements.filter(position=int(name)))
            self.requirements[key] = found
        found = self.requirements[key]
        if len(found) != 1:
            message = (
                _("Directive %(number)s has no requirement “%(requirement)s”.")
                if not found
                else _(
                    "Directive %(number)s has several requirements “%(requirement)s”: "
                    "give the requirement's number instead."
                )
            )
            raise ValidationError(
                {
                    "requirement": message
                    % {"number": assignment.directive.number, "requirement": name}
                }
            )
        return found[0]

    def get_instance(self, instance_loader, row):
        """The entry the row names, found through its requirement's title or number."""
        assignment = self.assignment_for(row)
        requirement = self.requirement_for(assignment, row)
        key, errors = {}, {}
        for name in ("occurred_on", "narrative"):
            try:
                key[name] = self.fields[name].clean(row)
            except ValueError as error:
                errors[name] = str(error)
        if errors:
            raise ValidationError(errors)
        return (
            ProgressEntry.objects.filter(assignment=assignment, requirement=requirement, **key)
            .prefetch_related("figures")
            .first()
        )

    def init_instance(self, row=None):
        assignment = self.assignment_for(row)
        requirement = self.requirement_for(assignment, row)
        return ProgressEntry(assignment=assignment, requirement=requirement, author=self.user)

    def after_init_instance(self, instance, new, row, **kwargs):
        values = {} if new else instance.figure_values
        for code in Figure.values:
            setattr(instance, f"figure_{code}", values.get(code))

    def problems(self, entry):
        problems = self.write_problems(entry.assignment)
        expected = entry.requirement.figure_codes
        for code in Figure.values:
            if getattr(entry, f"figure_{code}") is not None and code not in expected:
                problems[f"figure_{code}"] = _(
                    "The requirement “%(requirement)s” does not ask for this figure."
                ) % {"requirement": entry.requirement.title}
        return problems

    def do_instance_save(self, instance, is_create):
        progress_entry_save(
            entry=instance,
            figures={code: getattr(instance, f"figure_{code}") for code in Figure.values},
            files=(),
            user=self.user,
        )


class ReportResource(AssignmentRowsResource):
    """Reports back, one a row. Only the text imports, into a draft or returned report."""

    state = Field(
        attribute="state",
        column_name="state",
        widget=ChoiceWidget(Report.State.choices),
        readonly=True,
    )
    first_submitted_at = Field(
        attribute="first_submitted_at",
        column_name="first_submitted_at",
        widget=DateTimeWidget(),
        readonly=True,
    )
    submitted_at = Field(
        attribute="submitted_at",
        column_name="submitted_at",
        widget=DateTimeWidget(),
        readonly=True,
    )
    text = Field(attribute="text", column_name="text", widget=TextWidget())

    headers = {
        **AssignmentRowsResource.headers,
        "state": gettext_lazy("State"),
        "first_submitted_at": gettext_lazy("First submitted at"),
        "submitted_at": gettext_lazy("Submitted at"),
        "text": gettext_lazy("Report"),
    }

    class Meta:
        model = Report
        fields = (
            "issuer",
            "number",
            "unit",
            "unit_name",
            "state",
            "first_submitted_at",
            "submitted_at",
            "text",
        )
        import_id_fields = ("issuer", "number", "unit")

    def scoped(self, queryset):
        queryset = readable_reports(self.user, queryset.filter(assignment__in=self.assignments()))
        return queryset.select_related(
            "assignment__directive__issuer", "assignment__recipient"
        ).order_by("assignment__recipient__path", "assignment__directive_id")

    def init_instance(self, row=None):
        return Report(assignment=self.assignment_for(row))

    def problems(self, report):
        problems = self.write_problems(report.assignment)
        if (
            not problems
            and report._state.adding
            and Report.objects.filter(assignment=report.assignment).exists()
        ):
            problems = {"unit": _("The report of this union cannot be changed here.")}
        if not problems and not report.is_editable:
            problems = {"text": _("A submitted or accepted report cannot be changed.")}
        return problems
