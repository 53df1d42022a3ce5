"""Spreadsheet resources for the union tree, memberships, directives and requirements.

Each row is found by its natural key (a union's code; a directive's issuer and document
number...) within the user's scope. The formats are documented in docs/spreadsheets.md.
"""

from collections import Counter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Length, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .access import may_edit_directive, visible_directives
from .models import CatalogueFigure, Directive, Figure, Membership, Requirement, Union
from .spreadsheets.cells import (
    ChoiceListWidget,
    ChoiceWidget,
    DateWidget,
    TextWidget,
    UnionWidget,
    WholeNumberWidget,
    YesNoWidget,
    spreadsheet_text,
    union_not_found,
)
from .spreadsheets.resources import SpreadsheetResource
from .wording import join_list

User = get_user_model()


class UnionResource(SpreadsheetResource):
    """The union tree, one union a row, placed by its parent's code (blank for a root)."""

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    short_name = Field(attribute="short_name", column_name="short_name", widget=TextWidget())
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Union.Kind.choices))
    parent = Field(attribute="parent_code", column_name="parent", widget=TextWidget())

    headers = {
        "code": gettext_lazy("Unit code"),
        "name": gettext_lazy("Unit name"),
        "short_name": gettext_lazy("Short name"),
        "kind": gettext_lazy("Kind of unit"),
        "parent": gettext_lazy("Parent unit code"),
    }

    class Meta:
        model = Union
        fields = ("code", "name", "short_name", "kind", "parent")
        import_id_fields = ("code",)
        # New unions go in with one bulk insert at the end, their places in the tree
        # worked out row by row (`place`): a file of 10,000 unions takes seconds.
        use_bulk = True
        batch_size = None

    def import_data(self, *args, **kwargs):
        self.pending = {}  # code → a union this file adds, placed but not yet saved
        self.last_child = {}  # a parent's path → the number of its last child
        self.added_children = Counter()  # an existing parent's key → children added
        self.moved = {}  # code → the parent this file puts an existing union under
        return super().import_data(*args, **kwargs)

    def scoped(self, queryset):
        parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Union.steplen)
        parents = Union.objects.filter(path=parent_path).values("code")[:1]
        return (
            queryset.filter(pk__in=self.unions)
            .annotate(parent_code=Coalesce(Subquery(parents), Value("")))
            .order_by("path")
        )

    def after_init_instance(self, instance, new, row, **kwargs):
        instance.placed_under = None if new else instance.parent_code
        instance.new_parent = None

    def before_import(self, dataset, **kwargs):
        # Codes are unique across the whole tree, the scope's outside too: which of the
        # file's codes are taken is one query per few hundred codes.
        codes = list({spreadsheet_text(code) for code in dataset["code"]})
        self.taken = set()
        for start in range(0, len(codes), 500):
            batch = codes[start : start + 500]
            self.taken.update(Union.objects.filter(code__in=batch).values_list("code", flat=True))
        self.parents = {}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Whether the code is taken was asked once for the file (`before_import`).
        super().validate_instance(instance, import_validation_errors, validate_unique=False)

    def parent_named(self, code):
        """A union of this file or of the scope, by code; the scope's looked up once each."""
        if code in self.pending:
            return self.pending[code]
        if code not in self.parents:
            self.parents[code] = self.unions.filter(code=code).first()
        return self.parents[code]

    def problems(self, union):
        if union._state.adding and union.code in self.taken:
            return {"code": _("The code %(code)s is taken: choose another.") % {"code": union.code}}
        if union.parent_code == union.placed_under:
            return {}
        if not union.parent_code:
            if self.unscoped:
                return {}
            return {"parent": _("Name the union this one belongs to.")}
        parent = self.parent_named(union.parent_code)
        if parent is None:
            return {"parent": union_not_found(union.parent_code)}
        if not union._state.adding and self.beneath(parent, union):
            return {
                "parent": _("A union cannot be placed beneath itself or one of its own unions.")
            }
        union.new_parent = parent
        self.moved[union.code] = parent
        return {}

    def beneath(self, other, union):
        """Whether `other` is `union` or lies beneath it once the file's earlier rows are
        applied (their moves are saved only at the end)."""
        while other is not None:
            if other.pk == union.pk:
                return True
            if other.code in self.moved:
                other = self.moved[other.code]
            elif other._state.adding:
                other = other.new_parent
            else:
                other = Union.objects.filter(path=other.path[: -Union.steplen]).first()
        return False

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if self._meta.use_bulk and instance._state.adding:
            self.place(instance)

    def place(self, union):
        """Give a new union the next place under its parent (the file's unions in order)."""
        parent = union.new_parent
        prefix, depth = (parent.path, parent.depth + 1) if parent else ("", 1)
        if prefix not in self.last_child:
            last = (
                Union.objects.filter(depth=depth, path__startswith=prefix)
                .order_by("-path")
                .values_list("path", flat=True)
                .first()
            )
            self.last_child[prefix] = Union._str2int(last[-Union.steplen :]) if last else 0
        self.last_child[prefix] += 1
        step = Union._int2str(self.last_child[prefix]).rjust(Union.steplen, Union.alphabet[0])
        union.path, union.depth, union.numchild = prefix + step, depth, 0
        if parent is not None and parent._state.adding:
            parent.numchild += 1
        elif parent is not None:
            self.added_children[parent.pk] += 1
        self.pending[union.code] = union

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(
                    self.create_instances, Union, batch_size=1000, default_user=self.user
                )
                for pk, count in self.added_children.items():
                    Union.objects.filter(pk=pk).update(numchild=F("numchild") + count)
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.create_instances.clear()
                self.added_children.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Renamed unions in bulk; a union placed under a new parent moves with its subtree.
        if self.update_instances and (using_transactions or not dry_run):
            try:
                bulk_update_with_history(
                    self.update_instances,
                    Union,
                    ["name", "short_name", "kind"],
                    batch_size=1000,
                    default_user=self.user,
                )
                for union in self.update_instances:
                    if union.new_parent is not None:
                        Union.objects.move(union, union.new_parent, "last-child")
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.update_instances.clear()

    def do_instance_save(self, instance, is_create):
        # Treebeard places a union in the tree: it is added or moved there, never saved there.
        if is_create:
            if instance.new_parent is None:
                Union.objects.add_root(instance=instance)
            else:
                Union.objects.add_child(instance.new_parent, instance=instance)
            return
        instance.save()
        if instance.new_parent is not None:
            Union.objects.move(instance, instance.new_parent, "last-child")


class MembershipResource(SpreadsheetResource):
    """Users, one a row, with the union they work for and their role. New users get no
    password: they set one through password reset, or an administrator sets it."""

    username = Field(attribute="user__username", column_name="username", widget=TextWidget())
    last_name = Field(attribute="user__last_name", column_name="last_name", widget=TextWidget())
    first_name = Field(attribute="user__first_name", column_name="first_name", widget=TextWidget())
    email = Field(attribute="user__email", column_name="email", widget=TextWidget())
    union = Field(attribute="union", column_name="union", widget=UnionWidget())
    role = Field(attribute="role", column_name="role", widget=ChoiceWidget(Membership.Role.choices))
    administrator = Field(
        attribute="administrator", column_name="administrator", widget=YesNoWidget()
    )

    headers = {
        "username": gettext_lazy("Username"),
        "last_name": gettext_lazy("Family name"),
        "first_name": gettext_lazy("Given name"),
        "email": gettext_lazy("E-mail"),
        "union": gettext_lazy("Unit code"),
        "role": gettext_lazy("Role"),
        "administrator": gettext_lazy("Administrator"),
    }

    class Meta:
        model = Membership
        fields = ("username", "last_name", "first_name", "email", "union", "role", "administrator")
        import_id_fields = ("username",)

    def scoped(self, queryset):
        queryset = queryset.filter(union__in=self.unions).select_related("user", "union")
        if not self.unscoped:
            # Like the admin: superusers lie in nobody's subtree.
            queryset = queryset.exclude(user__is_superuser=True)
        return queryset.order_by("union__path", "user__username")

    def init_instance(self, row=None):
        username = self.fields["username"].clean(row)
        user = User.objects.filter(username=username).first()
        if user is None:
            return Membership(user=User(username=username))
        if self.unscoped and not Membership.objects.filter(user=user).exists():
            return Membership(user=user)
        raise_row_error(
            "username",
            _("The username %(username)s is taken: choose another.") % {"username": username},
        )

    def problems(self, membership):
        if not self.unscoped and membership.user_id == self.user.pk:
            return {"username": _("You cannot change your own membership.")}
        try:
            membership.user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as error:
            return {f"user__{key}": messages for key, messages in error.message_dict.items()}
        return {}

    def do_instance_save(self, instance, is_create):
        user = instance.user
        if user.pk is None:
            user.set_unusable_password()
        user.save()
        instance.user = user
        instance.save()


class DirectiveResource(SpreadsheetResource):
    """Directives, one a row, by issuer and document number. New ones are drafts, issued
    in the app, which sends them to their recipients."""

    issuer = Field(attribute="issuer", column_name="issuer", widget=UnionWidget())
    number = Field(attribute="number", column_name="number", widget=TextWidget())
    title = Field(attribute="title", column_name="title", widget=TextWidget())
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Directive.Kind.choices))
    issued_on = Field(attribute="issued_on", column_name="issued_on", widget=DateWidget())
    body = Field(attribute="body", column_name="body", widget=TextWidget())
    state = Field(
        attribute="state",
        column_name="state",
        widget=ChoiceWidget(Directive.State.choices),
        readonly=True,
    )

    headers = {
        "issuer": gettext_lazy("Issuer code"),
        "number": gettext_lazy("Document number"),
        "title": gettext_lazy("Title"),
        "kind": gettext_lazy("Kind of directive"),
        "issued_on": gettext_lazy("Issued on"),
        "body": gettext_lazy("Text"),
        "state": gettext_lazy("State"),
    }

    class Meta:
        model = Directive
        fields = ("issuer", "number", "title", "kind", "issued_on", "body", "state")
        import_id_fields = ("issuer", "number")

    def scoped(self, queryset):
        return directives_in_scope(self, queryset).order_by("issuer__path", "issued_on", "number")

    def init_instance(self, row=None):
        return Directive(created_by=self.user)

    def problems(self, directive):
        problems = directive_write_problems(self, directive, "issuer")
        if (
            not problems
            and directive._state.adding
            and Directive.objects.filter(issuer=directive.issuer, number=directive.number).exists()
        ):
            return {"number": _("This issuer already has a directive with this document number.")}
        return problems


def directives_in_scope(resource, queryset):
    """Directives issued in the resource's scope and visible to its user."""
    if resource.user is not None:
        queryset = queryset & visible_directives(resource.user)
    return queryset.filter(issuer__in=resource.unions).select_related("issuer")


def directive_write_problems(resource, directive, column):
    """The forms' rule (`may_edit_directive`) for a row that would change a directive or
    one of its requirements: unchanged rows never get here."""
    if may_edit_directive(resource.user, directive):
        return {}
    if not directive.is_draft:
        return {
            column: _(
                "Directive %(number)s has been issued: it and its requirements no longer change."
            )
            % {"number": directive.number}
        }
    return {
        column: _(
            "Only the supervisors of the issuing union write a directive and its "
            "requirements, in their own union's name."
        )
    }


class RequirementResource(SpreadsheetResource):
    """The requirements of directives, one a row, by directive and number (序号)."""

    issuer = Field(
        attribute="directive__issuer__code",
        column_name="issuer",
        widget=TextWidget(),
        readonly=True,
    )
    number = Field(
        attribute="directive__number", column_name="number", widget=TextWidget(), readonly=True
    )
    position = Field(attribute="position", column_name="position", widget=WholeNumberWidget())
    kind = Field(
        attribute="kind", column_name="kind", widget=ChoiceWidget(Requirement.Kind.choices)
    )
    title = Field(attribute="title", column_name="title", widget=TextWidget())
    description = Field(attribute="description", column_name="description", widget=TextWidget())
    due_on = Field(attribute="due_on", column_name="due_on", widget=DateWidget())
    figures = Field(
        attribute="figure_list", column_name="figures", widget=ChoiceListWidget(Figure.choices)
    )

    headers = {
        "issuer": gettext_lazy("Issuer code"),
        "number": gettext_lazy("Document number"),
        "position": gettext_lazy("Requirement number"),
        "kind": gettext_lazy("Kind of requirement"),
        "title": gettext_lazy("Requirement"),
        "description": gettext_lazy("Description"),
        "due_on": gettext_lazy("Due on"),
        "figures": gettext_lazy("Figures to report"),
    }

    class Meta:
        model = Requirement
        fields = (
            "issuer",
            "number",
            "position",
            "kind",
            "title",
            "description",
            "due_on",
            "figures",
        )
        import_id_fields = ("issuer", "number", "position")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        # The shared catalogue, read once: names or codes in the cell are matched to it.
        self.fields["figures"].widget.choices = [
            (figure.code, figure.label) for figure in CatalogueFigure.objects.shared()
        ]

    def scoped(self, queryset):
        directives = directives_in_scope(self, Directive.objects.all())
        return (
            queryset.filter(directive__in=directives)
            .select_related("directive__issuer")
            # A lookup by name: the export may scope the queryset twice.
            .prefetch_related("expected_figures__figure")
            .order_by("directive__issuer__path", "directive__number", "position", "pk")
        )

    def init_instance(self, row=None):
        issuer = self.fields["issuer"].clean(row)
        number = self.fields["number"].clean(row)
        directive = (
            directives_in_scope(self, Directive.objects.all())
            .filter(issuer__code=issuer, number=number)
            .first()
        )
        if directive is None:
            raise_row_error(
                "number",
                _("There is no directive %(number)s of %(issuer)s within your scope.")
                % {"number": number, "issuer": issuer},
            )
        return Requirement(directive=directive)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance.figure_list = [] if new else instance.figure_codes

    def dehydrate_figures(self, requirement):
        # Figures a directive added for itself are named too, though only shared ones import.
        return join_list(str(figure.label) for figure in requirement.expected_figures.all())

    def problems(self, requirement):
        return directive_write_problems(self, requirement.directive, "number")

    def after_save_instance(self, instance, row, **kwargs):
        instance.set_figures(instance.figure_list)


def raise_row_error(column, message):
    raise ValidationError({column: message})
