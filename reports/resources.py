"""Spreadsheet resources for progress entries and reports, built on directives.spreadsheets.

Both name the assignment by the directive (issuer code and document number) and the
recipient union's code; an import made from a directive's page knows its directive, and
needs neither. They are read by the union and the supervisors above it, and written by
the union's own members while the directive is in force, as in the app; progress also by
the supervisors above it on its behalf (代录, see reports.access.may_record_for).
The formats are documented in docs/spreadsheets.md.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from directives.models import CatalogueFigure, Figure
from directives.spreadsheets.cells import (
    ChoiceWidget,
    DateTimeWidget,
    DateWidget,
    TextWidget,
    WholeNumberWidget,
    is_blank,
)
from directives.spreadsheets.resources import RowError, SpreadsheetResource
from directives.wording import join_list, person

from .access import (
    may_act_for,
    may_edit_entry,
    may_log_progress,
    readable_reports,
    visible_assignments,
)
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

    # The directive every row is about, when the import was started from its page; else
    # each row names its directive by issuer code and document number.
    directive = None

    def get_import_id_fields(self):
        names = super().get_import_id_fields()
        if self.directive is not None:
            return [name for name in names if name not in ("issuer", "number")]
        return names

    def assignments(self):
        """Assignments of published directives to unions in the scope."""
        assignments = visible_assignments(self.user).filter(recipient__in=self.unions)
        if self.directive is not None:
            assignments = assignments.filter(directive=self.directive)
        return assignments

    def assignment_for(self, row):
        # "unit" is the column's name in the file format (docs/spreadsheets.md).
        if self.directive is not None:
            return self.assignment_of_directive(row)
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
            self.raise_not_sent(
                union,
                _("Directive %(number)s of %(issuer)s") % {"number": number, "issuer": issuer},
                _(
                    "Directive %(number)s of %(issuer)s was not sent to a union %(unit)s "
                    "within your scope."
                )
                % {"number": number, "issuer": issuer, "unit": union},
            )
        return assignment

    def raise_not_sent(self, code, directive, otherwise):
        """Refuse a row whose union did not receive the directive: by the union's name when
        it lies in the user's scope, else by the code the row gave (and nothing more)."""
        union = self.unions.filter(code=code).first() if code else None
        if union is not None:
            otherwise = _("%(directive)s was not sent to %(union)s.") % {
                "directive": directive,
                "union": union.name,
            }
        raise ValidationError({"unit": otherwise})

    def assignment_of_directive(self, row):
        """The row's assignment of the import's own directive, by the unit's code alone. A
        document number, if the row has one, must be the directive's."""
        number = self.fields["number"].clean(row) if "number" in row else ""
        if not is_blank(number) and number != self.directive.number:
            raise ValidationError(
                {
                    "number": _("This file is imported for %(directive)s, not for %(number)s.")
                    % {"directive": self.directive_name(), "number": number}
                }
            )
        union = self.fields["unit"].clean(row)
        assignment = (
            self.assignments()
            .filter(recipient__code=union)
            .select_related("directive", "recipient")
            .first()
        )
        if assignment is None:
            self.raise_not_sent(
                union,
                self.directive_name(),
                _("%(directive)s was not sent to a union %(unit)s within your scope.")
                % {"directive": self.directive_name(), "unit": union},
            )
        return assignment

    def directive_name(self):
        return self.directive.number or f"《{self.directive.title}》"

    def write_problems(self, assignment):
        if self.unscoped or may_act_for(self.user, assignment):
            return {}
        return {
            "unit": _(
                "Only members of %(union)s write its report, while the directive is in force."
            )
            % {"union": assignment.recipient.name}
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
    recorded_by_union = Field(
        attribute="recorded_by_union__name",
        column_name="recorded_by_union",
        widget=TextWidget(),
        readonly=True,
    )

    headers = {
        **AssignmentRowsResource.headers,
        "requirement": gettext_lazy("Requirement"),
        "occurred_on": gettext_lazy("Date"),
        "narrative": gettext_lazy("What was done"),
        "evidence": gettext_lazy("Evidence files"),
        "author": gettext_lazy("Recorded by"),
        "recorded_by_union": gettext_lazy("Recorded on behalf by"),
    }
    aliases = {"requirement": (gettext_lazy("Requirement number"),)}
    # Columns a filled-in template brings on every row: a row with nothing else is a line
    # the union left blank, not an entry.
    PREFILLED = ("issuer", "number", "unit", "unit_name", "requirement")
    # An activity dated this long after its requirement fell due is most likely mistyped.
    LONG_AFTER_DUE = datetime.timedelta(days=365)
    # The export-only columns between the ten standard figures and the others.
    AFTER_STANDARD_FIGURES = ("evidence", "author", "recorded_by_union")

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
            "recorded_by_union",
        )
        import_id_fields = ("issuer", "number", "unit", "requirement", "occurred_on", "narrative")

    def __init__(self, user=None, directive=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.directive = directive
        self.row_instance = None
        # One column for each figure, headed by its name: the ten standard ones where they
        # always were, before the evidence, the author and the union recording on its
        # behalf; then the others of the catalogue and those the directives in scope added
        # for themselves.
        self.headers = dict(self.headers)
        after = [self.fields.pop(name) for name in self.AFTER_STANDARD_FIGURES]
        cascades = self.assignments().values("directive__origin")
        others = (
            CatalogueFigure.objects.exclude(code__in=Figure.values)
            .filter(Q(directive=None) | Q(directive__origin__in=cascades))
            .order_by("directive", "position", "pk")
        )
        for code, label in Figure.choices:
            self.fields[f"figure_{code}"] = figure_column(code)
            self.headers[f"figure_{code}"] = label
        self.fields.update(zip(self.AFTER_STANDARD_FIGURES, after, strict=True))
        self.figure_codes = [*Figure.values, *(f.code for f in others)]
        for figure in others:
            self.fields[f"figure_{figure.code}"] = figure_column(figure.code)
            self.headers[f"figure_{figure.code}"] = figure.name
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
                "assignment__directive__issuer",
                "assignment__recipient",
                "requirement",
                "author",
                "recorded_by_union",
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
        for code in self.figure_codes:
            setattr(instance, f"figure_{code}", values.get(code))

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.directive is not None:
            queryset = queryset.filter(assignment__directive=self.directive)
        return queryset

    def import_row(self, row, instance_loader, **kwargs):
        self.row_number = kwargs.get("row_number")
        if all(is_blank(value) for name, value in row.items() if name not in self.PREFILLED):
            # A line of a filled-in template that was left as it came.
            row = dict.fromkeys(row)
        return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        self.row_instance = instance
        super().import_instance(instance, row, **kwargs)

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        if row_result.object_repr and self.row_instance is not None:
            row_result.object_repr = self.preview_text(self.row_instance)
        self.row_instance = None

    def preview_text(self, entry):
        """What the preview lists of a row: union, requirement, date and figures."""
        figures = "，".join(
            f"{self.headers[f'figure_{code}']} {getattr(entry, f'figure_{code}')}"
            for code in self.figure_codes
            if getattr(entry, f"figure_{code}", None) is not None
        )
        parts = [
            entry.assignment.recipient.name,
            entry.requirement.title,
            date_format(entry.occurred_on) if entry.occurred_on else "",
            figures,
        ]
        return " · ".join(part for part in parts if part)

    def entry_problems(self, entry):
        """Whether the user may add this entry, or change it (see reports.access)."""
        assignment = entry.assignment
        if self.unscoped:
            return {}
        if entry._state.adding and may_log_progress(self.user, assignment):
            return {}
        if not entry._state.adding and may_edit_entry(self.user, entry):
            return {}
        if assignment.directive.state != assignment.directive.State.ISSUED:
            message = _("The directive is no longer in force: progress cannot be logged on it.")
        elif entry._state.adding:
            message = _(
                "Only members of %(union)s and the supervisors of unions above it log its progress."
            ) % {"union": assignment.recipient.name}
        else:
            message = _(
                "This entry was written by %(union)s itself: only its members change it."
            ) % {"union": assignment.recipient.name}
        return {"unit": message}

    def problems(self, entry):
        problems = self.entry_problems(entry)
        expected = entry.requirement.figure_codes
        for code in self.figure_codes:
            if getattr(entry, f"figure_{code}") is not None and code not in expected:
                problems[f"figure_{code}"] = _(
                    "The requirement “%(requirement)s” does not ask for this figure."
                ) % {"requirement": entry.requirement.title}
        if entry.occurred_on is not None and "occurred_on" not in problems:
            problems.update(self.date_problems(entry))
        return problems

    def date_problems(self, entry):
        """Warn of a day far outside the directive's time (before it was issued, or long
        after the requirement fell due). A day still to come is refused by the entry itself
        (`ProgressEntry.clean`), as on the form."""
        day, directive = entry.occurred_on, entry.assignment.directive
        warning = None
        if directive.issued_on and day < directive.issued_on:
            warning = _(
                "%(date)s is before the directive was issued (%(issued)s): check the year."
            ) % {"date": date_format(day), "issued": date_format(directive.issued_on)}
        elif day > entry.requirement.due_on + self.LONG_AFTER_DUE:
            warning = _(
                "%(date)s is more than a year after the requirement fell due (%(due)s): "
                "check the year."
            ) % {"date": date_format(day), "due": date_format(entry.requirement.due_on)}
        if warning:
            self.warnings.append(
                RowError(self.row_number + 1, self.header(self.fields["occurred_on"]), warning)
            )
        return {}

    def do_instance_save(self, instance, is_create):
        progress_entry_save(
            entry=instance,
            figures={code: getattr(instance, f"figure_{code}") for code in self.figure_codes},
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
