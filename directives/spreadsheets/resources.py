"""The base resource of every spreadsheet, and what an import did.

See the package's docstring for what `SpreadsheetResource` guarantees to every resource.
"""

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult

from ..access import membership_of, unions_in_scope
from ..models import Versioned
from ..wording import join_list
from .cells import UnionWidget, is_blank, name_key, neutralised
from .files import SpreadsheetError


class RowsRejected(Exception):
    """Some rows were bad, so nothing was written. Lists them for the import command."""


class NaturalKeyLoader(ModelInstanceLoader):
    """Finds the existing row by the resource's natural key, within its scope; a key cell
    that cannot be read is an error of that column.

    A key of one column (a union's code, a user's name) is looked up for the whole file
    at once, a few hundred values a query, instead of a query per row.
    """

    LOOKUP_BATCH = 500

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = resource.get_import_id_fields()
        self.found = None
        if dataset is not None and len(keys) == 1:
            self.found = self.existing(resource.fields[keys[0]], dataset)

    def existing(self, column, dataset):
        values = set()
        for row in dataset.dict:
            try:
                values.add(column.clean(row))
            except ValueError:
                continue  # reported as the row's error when the row is imported
        values = list(values)
        found = {}
        for start in range(0, len(values), self.LOOKUP_BATCH):
            batch = values[start : start + self.LOOKUP_BATCH]
            for instance in self.get_queryset().filter(**{f"{column.attribute}__in": batch}):
                found[column.get_value(instance)] = instance
        return found

    def get_instance(self, row):
        params = {}
        errors = {}
        for name in self.resource.get_import_id_fields():
            column = self.resource.fields[name]
            try:
                params[column.attribute] = column.clean(row)
            except ValueError as error:
                errors[column.column_name] = str(error)
        if errors:
            raise ValidationError(errors)
        if self.found is not None:
            return self.found.get(*params.values())
        return self.get_queryset().filter(**params).first()


class SpreadsheetResource(resources.ModelResource):
    """The base of every resource: see the package's docstring.

    Subclasses name their columns (`headers`: column name → translated header), narrow
    querysets to the scope (`scoped`), and say what a row may not do (`problems`).
    """

    headers = {}
    # What a row may do but the user should look at before confirming: RowErrors that the
    # preview lists apart and that do not stop the import. Filled by `problems`.
    warnings = ()
    # Column name → other headers a file may give it (the header of an earlier format).
    aliases = {}
    # Called as progress(rows_done, rows_total) after each row of an import, e.g. to move a
    # progress bar. Runs inside the import's transaction.
    progress = None

    class Meta:
        skip_unchanged = True
        use_transactions = True
        instance_loader_class = NaturalKeyLoader

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.unions = unions_in_scope(user)
        for column in self.fields.values():
            if isinstance(column.widget, UnionWidget):
                column.widget.scope = self.unions
        self.rows_by_key = {}

    @property
    def unscoped(self):
        """Management commands and superusers: every union, no write rule."""
        return self.user is None or self.user.is_superuser

    @property
    def membership(self):
        return membership_of(self.user) if self.user else None

    # Scope

    def scoped(self, queryset):
        """The part of the queryset the user may read, with what the columns show."""
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped(self._meta.model.objects.all())

    def filter_export(self, queryset, **kwargs):
        return self.scoped(queryset)

    # Export

    def export_field(self, field, instance, **kwargs):
        # Native values (numbers, dates) for every format: xlsx keeps them as such, csv
        # writes them as text. Only text can then look like a formula.
        kwargs["force_native_type"] = True
        return neutralised(super().export_field(field, instance, **kwargs))

    # Headers

    def header(self, column):
        return str(self.headers.get(column.column_name, column.column_name))

    def get_export_headers(self, selected_fields=None):
        return [self.header(column) for column in self.get_export_fields(selected_fields)]

    def is_export_only(self, column):
        """Columns that exports write and imports ignore (a directive's state...)."""
        return column.readonly and column.attribute not in {
            self.fields[name].attribute for name in self.get_import_id_fields()
        }

    def template_columns(self):
        """The names of the columns an import reads, for a template to fill in."""
        return [name for name, column in self.fields.items() if not self.is_export_only(column)]

    def column_names(self):
        """Every accepted header, normalised, to its column: the column's own name and its
        header (and aliases) in Chinese and in English."""
        names = {}
        for column in self.fields.values():
            label = self.headers.get(column.column_name, column.column_name)
            names[name_key(column.column_name)] = column.column_name
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    for header in (label, *self.aliases.get(column.column_name, ())):
                        names[name_key(header)] = column.column_name
        return names

    def name_columns(self, dataset):
        """Rename the dataset's headers to column names, or raise SpreadsheetError."""
        names = self.column_names()
        columns, problems = [], []
        for number, header in enumerate(dataset.headers, start=1):
            column = names.get(name_key(header))
            if not name_key(header):
                problems.append(_("Column %(number)s has no header.") % {"number": number})
            elif column is None:
                problems.append(
                    _("Unknown column “%(header)s”. The columns are: %(columns)s.")
                    % {
                        "header": header,
                        "columns": join_list(self.header(c) for c in self.fields.values()),
                    }
                )
            elif column in columns:
                problems.append(_("Column “%(header)s” appears twice.") % {"header": header})
            columns.append(column)
        missing = [
            self.header(self.fields[name])
            for name in self.get_import_id_fields()
            if self.fields[name].column_name not in columns
        ]
        if missing:
            problems.append(
                _("The file lacks the columns %(columns)s, which identify each row.")
                % {"columns": join_list(missing)}
            )
        if problems:
            raise SpreadsheetError(problems)
        dataset.headers = columns

    # Import

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # All or nothing, whoever calls: the library keeps the good rows of a file with
        # invalid ones unless told otherwise, and its management command does not tell it.
        self.rows_by_key = {}
        self.warnings = []
        self.rows_total = len(dataset)
        try:
            self.name_columns(dataset)
        except SpreadsheetError as error:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, error, raise_errors)
            return result
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )
        if result.has_validation_errors() and not result.has_errors():
            # The import command reports only errors, and would call this a success.
            lines = [str(problem) for problem in self.row_problems(result)]
            summary = _("Nothing was imported: %(count)s rows have errors.") % {
                "count": len(result.invalid_rows)
            }
            result.append_base_error(
                self.get_error_result_class()(RowsRejected("\n".join([summary, *lines])))
            )
        return result

    def import_row(self, row, instance_loader, **kwargs):
        if all(is_blank(value) for value in row.values()):
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        else:
            row_result = super().import_row(row, instance_loader, **kwargs)
        if self.progress is not None:
            self.progress(kwargs["row_number"], self.rows_total)
        return row_result

    def before_import_row(self, row, **kwargs):
        key, errors = [], {}
        for name in self.get_import_id_fields():
            column = self.fields[name]
            if is_blank(row.get(column.column_name)):
                errors[column.column_name] = _("This column identifies the row: fill it in.")
            try:
                key.append(column.clean(row))
            except ValueError:
                key.append(row.get(column.column_name))
        if errors:
            raise ValidationError(errors)
        key = tuple(key)
        first = self.rows_by_key.setdefault(key, kwargs.get("row_number"))
        if first != kwargs.get("row_number"):
            raise ValidationError(
                _("Row %(row)s already has the same %(columns)s.")
                % {
                    "row": first + 1,
                    "columns": join_list(
                        self.header(self.fields[name]) for name in self.get_import_id_fields()
                    ),
                }
            )

    def problems(self, instance):
        """What the row may not do, as {column name: message}: outside the scope, a cycle..."""
        return {}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not errors:
            errors.update(self.problems(instance))
        imported = {
            column.attribute.removesuffix("_id")
            for column in self.get_import_fields()
            if column.attribute and not column.readonly
        }
        # Only the model's own fields that the spreadsheet sets are checked against the
        # model; related objects and the rest are the resource's business.
        unchecked = [f.name for f in instance._meta.fields if f.name not in imported]
        try:
            instance.full_clean(exclude={*unchecked, *errors}, validate_unique=validate_unique)
        except ValidationError as error:
            # The model's clean() may name a column the resource already found at fault:
            # both messages are kept, each column's as a list.
            errors = {
                key: list(value) if isinstance(value, list | tuple) else [value]
                for key, value in errors.items()
            }
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        if isinstance(instance, Versioned) and not instance._state.adding:
            # The app's edit forms refuse a save over a newer version: this is one.
            instance.version += 1

    # Results

    def column_of(self, key):
        """The header of the column an error is about, or "" for the row as a whole."""
        for column in self.fields.values():
            if key in (column.column_name, column.attribute) or (
                column.attribute and column.attribute.removesuffix("_id") == key
            ):
                return self.header(column)
        return ""

    def row_problems(self, result):
        """Every bad row of an import result, in file order."""
        problems = []
        for row in result.invalid_rows:
            for key, messages in row.error_dict.items():
                column = "" if key == NON_FIELD_ERRORS else self.column_of(key)
                problems += [RowError(row.number + 1, column, str(m)) for m in messages]
        for row in result.error_rows:
            problems += [
                RowError(
                    row.number + 1,
                    "",
                    _("The row could not be saved: %(error)s") % {"error": error.error},
                )
                for error in row.errors
            ]
        return sorted(problems, key=lambda problem: problem.row)


@dataclass(frozen=True)
class RowError:
    row: int | None  # as numbered in the file, the header being row 1; None for the file
    column: str  # the header of the column at fault, "" for the whole row or file
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportOutcome:
    """What an import did, or would do in a dry run: nothing at all when there are errors."""

    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    # Rows imported as they are, but that look wrong (a date years away): for the preview.
    warnings: list[RowError] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    result: object = None  # the library's Result, with each row's diff, for previews
    # The first error that no correction of the file would mend: a row the database would
    # not save (it went away, a lock timed out) or a crash. Its exception, and the row as
    # numbered in the file (None when it came before or after the rows, e.g. in a bulk
    # insert at the end). Nothing was written either way.
    fault: Exception | None = None
    fault_row: int | None = None

    @property
    def written(self):
        return not self.dry_run and not self.errors


def file_rejected(error, *, dry_run):
    """The outcome of a file that could not be read at all."""
    return ImportOutcome(dry_run=dry_run, errors=[RowError(None, "", m) for m in error.messages])


def import_dataset(resource, dataset, *, dry_run):
    """Import a dataset read by `read_spreadsheet` through the resource, all or nothing.

    The resource carries the user (e.g. `UnionResource(user=request.user)`). A dry run
    writes nothing and reports what would happen; a real run writes nothing unless every
    row is good.
    """
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
    errors = []
    for base_error in result.base_errors:
        if isinstance(base_error.error, RowsRejected):
            continue
        messages = getattr(base_error.error, "messages", [str(base_error.error)])
        errors += [RowError(None, "", str(message)) for message in messages]
    errors += resource.row_problems(result)
    outcome = ImportOutcome(
        dry_run=dry_run,
        errors=errors,
        warnings=sorted(resource.warnings, key=lambda warning: warning.row or 0),
        new=result.totals[RowResult.IMPORT_TYPE_NEW],
        updated=result.totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged=result.totals[RowResult.IMPORT_TYPE_SKIP],
        result=result,
    )
    if result.error_rows:
        row = result.error_rows[0]
        outcome.fault, outcome.fault_row = row.errors[0].error, row.number + 1
    else:
        faults = [
            base_error.error
            for base_error in result.base_errors
            if not isinstance(base_error.error, (RowsRejected, SpreadsheetError))
        ]
        outcome.fault = faults[0] if faults else None
    return outcome
