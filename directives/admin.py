"""The Django admin: the union tree, users and their memberships, for administrators.

Superusers keep Django's own permission logic everywhere. A user whose membership has the
admin role manages their own union's subtree: its unions, its users and their memberships,
without any permission rows and without the staff status (the role opens the site:
gqtrack/admin_site.py). Nobody else gets anything from these pages. Directives and
assignments are for superusers only.
"""

import secrets
from base64 import b64encode
from hashlib import sha256

from csp.decorators import csp_update
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import SelectableFieldsExportForm
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import TreeNodeChoiceField, movenodeform_factory

from . import admin_accounts, admin_unions
from .access import administered_union, membership_of
from .models import Assignment, CatalogueFigure, Directive, Membership, Requirement, Union
from .resources import DirectiveResource, MembershipResource, UnionResource
from .spreadsheets.files import SPREADSHEET_FORMATS, SpreadsheetError
from .spreadsheets.resources import RowsRejected

User = get_user_model()


class SubtreeAdminMixin:
    """Permissions from the membership: an administrator may do anything inside their subtree.

    Subclasses say which objects lie in the subtree (`in_subtree`) and narrow their
    queryset to it (`subtree_queryset`).
    """

    def in_subtree(self, obj, root):
        raise NotImplementedError

    def subtree_queryset(self, request, queryset, root):
        raise NotImplementedError

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        root = administered_union(request.user)
        if root is None:
            return queryset.none()
        return self.subtree_queryset(request, queryset, root)

    def may_administer(self, request, obj):
        root = administered_union(request.user)
        return root is not None and (obj is None or self.in_subtree(obj, root))

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return administered_union(request.user) is not None

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self.may_administer(request, obj)

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self.may_administer(request, None)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self.may_administer(request, obj)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self.may_administer(request, obj)


class UnionsWithCodesMixin:
    """Every union offered in a form shows its code beside its name, as the autocomplete
    does (gqtrack.admin_site): namesakes such as two 文学院分工会 are told apart."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Union:
            field.label_from_instance = lambda union: union.choice_label
        return field


class SuperuserOnlyMixin:
    """Pages that administrators of a subtree do not get, whatever permission rows they hold."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def allow_inline_attributes(*, handlers=(), styles=()):
    """A view decorator that lets these exact inline attribute values through the
    Content-Security-Policy on one view's pages, and nothing else inline. For library
    pages whose templates carry a handler or a style attribute (the browser compares each
    value's hash; 'unsafe-hashes' is what permits hashes for attributes)."""

    def sources(values):
        hashes = [f"'sha256-{b64encode(sha256(v.encode()).digest()).decode()}'" for v in values]
        return ["'unsafe-hashes'", *hashes] if hashes else None

    return csp_update({"script-src-attr": sources(handlers), "style-src-attr": sources(styles)})


class HistoryAdmin(SimpleHistoryAdmin):
    # The library answers 403 for an object outside the user's subtree but 404 for a
    # missing one, which tells which ids exist elsewhere: both are 404 here.

    # django-simple-history's list of changes flattens its paginator's top border inline.
    @allow_inline_attributes(styles=["border-top: 0"])
    def history_view(self, request, object_id, extra_context=None):
        try:
            return super().history_view(request, object_id, extra_context)
        except PermissionDenied:
            raise Http404 from None

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The history page's form saves whatever is posted to it even with reverting
        # switched off in the settings, which only hides the button. Refuse the post.
        if request.method == "POST" and self.revert_disabled(request):
            raise PermissionDenied
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except PermissionDenied:
            raise Http404 from None


def import_errors(resource, result):
    """What went wrong with an import, in the app's words: each bad row by its number and
    its column's header, and what was wrong with the file, without the library's
    exception names and tracebacks."""
    messages = []
    for base_error in result.base_errors:
        if isinstance(base_error.error, RowsRejected):
            # Its first line says that nothing was imported and how many rows are bad.
            messages.append(str(base_error.error).splitlines()[0])
        else:
            messages += [str(m) for m in getattr(base_error.error, "messages", [base_error.error])]
    return messages + [str(problem) for problem in resource.row_problems(result)]


class HeaderExportForm(SelectableFieldsExportForm):
    """The export page's columns to tick, named by the headers the file will carry."""

    def _get_field_label(self, resource, field_name):
        return str(getattr(resource, "headers", {}).get(field_name, field_name))


# django-import-export's Chinese catalogue lacks this of its export page.
IMPORT_EXPORT_STRINGS = (gettext_noop("Select all"),)


class SpreadsheetAdmin(ImportExportMixin):
    """Import and export through the project's resources, made for the request's user,
    so that an administrator reads and writes only their subtree."""

    formats = SPREADSHEET_FORMATS
    import_template_name = "admin/spreadsheet_import.html"
    export_form_class = HeaderExportForm

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    # The import preview shows each changed value as a diff, coloured inline by
    # diff-match-patch (its diff_prettyHtml).
    @allow_inline_attributes(styles=["background:#e6ffe6;", "background:#ffe6e6;"])
    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None:
            resources = [
                resource_class(**self.get_import_resource_kwargs(request))
                for resource_class in self.get_import_resource_classes(request)
            ]
            self.name_columns_by_header(context, resources)
            result = context.get("result")
            if result is not None and result.has_errors():
                context["import_errors"] = import_errors(resources[0], result)
        return response

    def name_columns_by_header(self, context, resources):
        # The library lists the columns by their internal names (user__username…): show
        # the headers a file carries, as the app's screens and docs/spreadsheets.md do.
        context["fields_list"] = [
            (
                resource.get_display_name(),
                [resource.header(field) for field in resource.get_user_visible_fields()],
            )
            for resource in resources
        ]

    # django-import-export's export page ticks every field with an inline handler and
    # spaces two labels with style attributes (admin/import_export/export.html).
    @allow_inline_attributes(
        handlers=["onSelectToggleChange(event)"], styles=["padding: 0;", "font-weight: bold;"]
    )
    def export_action(self, request):
        response = super().export_action(request)
        context = getattr(response, "context_data", None)
        if context is not None:
            resources = [
                resource_class(**self.get_export_resource_kwargs(request))
                for resource_class in self.get_export_resource_classes(request)
            ]
            self.name_columns_by_header(context, resources)
        return response

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        # The library names only the exception's class; ours say what is wrong.
        if isinstance(e, SpreadsheetError):
            for message in e.messages:
                form.add_error("import_file", message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_result(self, result, request):
        # The confirmed import ran again and was rolled back: say so, not "imported".
        if result.has_errors() or result.has_validation_errors():
            for error in result.base_errors:
                messages.error(request, str(error.error))
            info = self.get_model_info()
            return HttpResponseRedirect(
                reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name)
            )
        return super().process_result(result, request)


# --- Unions -----------------------------------------------------------------------------

CHILD_POSITIONS = ("first-child", "last-child", "sorted-child")

# Treebeard ships no Chinese catalogue. Naming its strings here brings them into ours,
# and Django then finds their translations for treebeard's forms and messages too.
TREEBEARD_STRINGS = (
    gettext_noop("Position"),
    gettext_noop("Relative to"),
    gettext_noop("-- root --"),
    gettext_noop("First child of"),
    gettext_noop("Before"),
    gettext_noop("After"),
    gettext_noop("Child of"),
    gettext_noop("Sibling of"),
    gettext_noop("Can't move node to a descendant."),
    gettext_noop("Can't move node to itself."),
    gettext_noop('Moved node "%(node)s" as child of "%(other)s"'),
    gettext_noop('Moved node "%(node)s" as sibling of "%(other)s"'),
    gettext_noop("Invalid form data provided"),
    gettext_noop("You do not have permission to change this object."),
)


class UnionPlaceField(TreeNodeChoiceField):
    """The unions to place one relative to, each with its code: a tree has many namesakes
    (two 文学院分工会) that the name alone cannot tell apart."""

    def label_from_instance(self, obj):
        # format_html escapes the label; treebeard's indent is already safe markup.
        return format_html("{}{}", self._get_indent(obj), obj.choice_label)


class UnionForm(movenodeform_factory(Union)):
    treebeard_ref_node = UnionPlaceField(
        required=False, label=_("Relative to"), empty_label=_("-- root --"), queryset=None
    )


# django-simple-history's Chinese catalogue lacks these of its history pages.
HISTORY_STRINGS = (
    gettext_noop("Changes"),
    ngettext_lazy("entry", "entries", 1),
)


class SubtreeUnionForm(UnionForm):
    """The union form of an administrator: every place it offers lies inside their subtree."""

    subtree_root = None  # set for each request by UnionAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ref_node = self.fields["treebeard_ref_node"]
        ref_node.queryset = ref_node.queryset.in_subtree(self.subtree_root)
        ref_node.required = True
        ref_node.empty_label = None

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("treebeard_ref_node") == self.subtree_root and (
            cleaned_data.get("treebeard_position") not in CHILD_POSITIONS
        ):
            self.add_error(
                "treebeard_position",
                _("A union can only be placed beneath %(union)s, not beside it.")
                % {"union": self.subtree_root},
            )
        return cleaned_data


class SubtreeMoveForm(forms.Form):
    """A drag and drop in the changelist by an administrator: both ends inside their subtree."""

    node = forms.ModelChoiceField(queryset=Union.objects.none())
    target = forms.ModelChoiceField(queryset=Union.objects.none())
    relation = forms.ChoiceField(choices=[("child", "child"), ("sibling", "sibling")])

    def __init__(self, data, *, root):
        super().__init__(data)
        self.root = root
        self.fields["node"].queryset = Union.objects.below(root)
        self.fields["target"].queryset = Union.objects.in_subtree(root)

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("target") == self.root and cleaned_data.get("relation") != "child":
            self.add_error(
                "relation",
                _("A union can only be placed beneath %(union)s.") % {"union": self.root},
            )
        return cleaned_data


@admin.register(Union)
class UnionAdmin(SpreadsheetAdmin, SubtreeAdminMixin, HistoryAdmin, TreeAdmin):
    resource_classes = [UnionResource]
    form = UnionForm
    list_display = ["name", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    actions = [admin_unions.deactivate, admin_unions.reactivate, admin_unions.merge]
    readonly_fields = ["merged_into"]
    # Siblings in their order in the tree; the changelist would sort them by pk otherwise.
    ordering = ["path"]

    def in_subtree(self, obj, root):
        return obj.is_within(root)

    def subtree_queryset(self, request, queryset, root):
        # TreeAdmin opens its changelist on the roots of the whole tree, marking the
        # request as it does; an administrator's tree starts at their own union.
        lists_roots = (
            getattr(request, "_treebeard_parent_id", "") is None
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        )
        if lists_roots:
            return queryset.model.objects.filter(pk=root.pk)
        return queryset.in_subtree(root)

    def changelist_view(self, request, extra_context=None):
        # TreeAdmin marks only a GET as listing one level of the tree; the changelist's form
        # posted without an action shows the same page, and failed for want of the mark.
        if request.method == "POST" and "action" not in request.POST:
            request._treebeard_parent_id = None
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Their own union holds the administrator's membership: it stays.
        if obj is not None and obj == administered_union(request.user):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        root = administered_union(request.user)
        if root is not None:
            if obj is not None and obj.pk == root.pk:
                # Their own union: its name and code may change, its place in the tree may not.
                kwargs["form"] = forms.ModelForm
            else:
                kwargs["form"] = type(
                    "SubtreeUnionForm", (SubtreeUnionForm,), {"subtree_root": root}
                )
        return super().get_form(request, obj, **kwargs)

    def get_deleted_objects(self, objs, request):
        # Treebeard deletes a union with everything beneath it, which Django's collector
        # cannot see through the path: list, and check, the whole subtrees.
        beneath = Q()
        for union in objs:
            beneath |= Q(path__startswith=union.path)
        return super().get_deleted_objects(Union.objects.filter(beneath), request)

    def children_view(self, request, parent_id):
        if not parent_id.isdigit() or not self.get_queryset(request).filter(pk=parent_id).exists():
            raise Http404
        return super().children_view(request, parent_id)

    def move_node(self, request):
        root = administered_union(request.user)
        if root is not None and not SubtreeMoveForm(request.POST, root=root).is_valid():
            # The changelist reloads on an error and shows this message.
            messages.error(request, _("A union can only be moved within your own subtree."))
            return HttpResponseBadRequest()
        return super().move_node(request)


# --- Memberships and users --------------------------------------------------------------


def subtree_users(root):
    """Users whose membership lies in the subtree; superusers are never among them."""
    return User.objects.filter(
        is_superuser=False, membership__union__in=Union.objects.in_subtree(root)
    )


@admin.register(Membership)
class MembershipAdmin(SpreadsheetAdmin, SubtreeAdminMixin, UnionsWithCodesMixin, HistoryAdmin):
    resource_classes = [MembershipResource]
    list_display = ["user", "union_with_code", "role", "administrator"]
    list_filter = ["role", "administrator"]
    list_select_related = ["user", "union"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "union__name",
        "union__code",
    ]
    autocomplete_fields = ["user", "union"]
    actions = [
        admin_accounts.send_invitations,
        admin_accounts.set_one_time_passwords,
        admin_accounts.deactivate,
    ]

    @admin.display(description=_("union"), ordering="union__path")
    def union_with_code(self, membership):
        return membership.union.choice_label

    def in_subtree(self, obj, root):
        return obj.union.is_within(root) and not obj.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        # Without a membership a user drops out of every subtree: deactivate them instead.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def subtree_queryset(self, request, queryset, root):
        return queryset.filter(union__in=Union.objects.in_subtree(root), user__is_superuser=False)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        root = administered_union(request.user)
        if root is not None:
            if db_field.name == "union":
                kwargs["queryset"] = Union.objects.in_subtree(root)
            elif db_field.name == "user":
                kwargs["queryset"] = subtree_users(root)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(UnionsWithCodesMixin, admin.StackedInline):
    """The union and role of a user, set on the same page as the user."""

    model = Membership
    can_delete = False
    extra = 1
    max_num = 1
    autocomplete_fields = ["union"]
    verbose_name = _("union and role")
    verbose_name_plural = _("union and role")

    def get_min_num(self, request, obj=None, **kwargs):
        # A user an administrator creates without a union would drop out of their sight.
        if administered_union(request.user) is not None:
            return 1
        return super().get_min_num(request, obj, **kwargs)

    # The user page has already checked that the user lies in the administrator's subtree.
    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return administered_union(request.user) is not None

    def has_add_permission(self, request, obj):
        if request.user.is_superuser:
            return super().has_add_permission(request, obj)
        return administered_union(request.user) is not None

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return administered_union(request.user) is not None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        root = administered_union(request.user)
        if db_field.name == "union" and root is not None:
            kwargs["queryset"] = Union.objects.in_subtree(root)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(SubtreeAdminMixin, auth_admin.UserAdmin):
    inlines = [MembershipInline]
    list_display = [
        "username",
        "first_name",
        "last_name",
        "membership__union",
        "roles",
        "is_staff",
    ]
    list_select_related = ["membership__union"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "membership__union__name",
        "membership__union__code",
    ]
    actions = [
        admin_accounts.send_invitations,
        admin_accounts.set_one_time_passwords,
        admin_accounts.deactivate,
    ]

    @admin.display(description=_("role"), ordering="membership__role")
    def roles(self, user):
        membership = membership_of(user)
        return membership.roles_display() if membership else ""

    def in_subtree(self, obj, root):
        membership = membership_of(obj)
        return not obj.is_superuser and membership is not None and membership.union.is_within(root)

    def has_delete_permission(self, request, obj=None):
        # Administrators of a subtree deactivate people: deleting them would take their
        # names off the entries, reports and history they wrote.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def subtree_queryset(self, request, queryset, root):
        return queryset.filter(pk__in=subtree_users(root))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "is_staff" in form.base_fields:
            # Django's text says the staff status is what opens the admin: not for them.
            form.base_fields["is_staff"].help_text = _(
                "Administrators of a subtree open the admin by their role and need no staff "
                "status. Anyone else finds nothing there unless they are a superuser."
            )
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Django's permissions reach beyond any subtree: only superusers hand them out.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly


# --- Directives: superusers only for now ------------------------------------------------


class RequirementFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # Imports name a directive's requirement by its number: two with one number would
        # leave a spreadsheet row's requirement to chance.
        positions = [
            form.cleaned_data["position"]
            for form in self.forms
            if form.cleaned_data.get("position") is not None and not form.cleaned_data.get("DELETE")
        ]
        if len(positions) != len(set(positions)):
            raise forms.ValidationError(_("Two requirements of a directive share one number."))


class RequirementInline(admin.TabularInline):
    model = Requirement
    formset = RequirementFormSet
    extra = 0
    fields = [
        "position",
        "kind",
        "title",
        "description",
        "due_on",
        "source",
        "report_to",
        "report_to_department",
    ]
    raw_id_fields = ["source", "report_to"]


@admin.register(Directive)
class DirectiveAdmin(SpreadsheetAdmin, SuperuserOnlyMixin, UnionsWithCodesMixin, HistoryAdmin):
    resource_classes = [DirectiveResource]
    inlines = [RequirementInline]
    list_display = ["title", "number", "issuer", "state", "issued_on"]
    list_filter = ["state", "kind"]
    list_select_related = ["issuer"]
    search_fields = ["title", "number", "issuer__name"]
    autocomplete_fields = ["issuer", "parent"]
    # Issuing and closing go through the app, which sends the assignments out.
    readonly_fields = ["state", "created_by", "created_at", "updated_at", "version"]

    def save_model(self, request, obj, form, change):
        # The app's edit form refuses a save made over another one: count this one too.
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Assignment)
class AssignmentAdmin(SuperuserOnlyMixin, HistoryAdmin):
    list_display = ["directive", "recipient", "acknowledged_at"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter)]
    list_select_related = ["directive", "recipient"]
    search_fields = ["directive__title", "directive__number", "recipient__name"]
    readonly_fields = ["directive", "recipient", "acknowledged_by"]

    def has_add_permission(self, request):
        # Assignments are made by issuing a directive, to the unions its recipient mode names.
        return False

    def has_change_permission(self, request, obj=None):
        # Acknowledging happens in the app, which keeps the dashboards' totals with it: the
        # admin shows an assignment and its history but does not change it.
        return False


@admin.register(CatalogueFigure)
class CatalogueFigureAdmin(HistoryAdmin):
    """The shared catalogue of figures: every administrator may add to it, for every union's
    directives. The ten standard figures are held by code and stay as they are; a figure a
    directive added for itself is that directive's, seen here by superusers only."""

    list_display = ["name", "code", "position"]
    search_fields = ["name", "code"]
    fields = ["name", "code", "position"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.shared()

    def get_list_display(self, request):
        if request.user.is_superuser:
            return [*self.list_display, "directive"]
        return self.list_display

    def get_readonly_fields(self, request, obj=None):
        # Files and stored rows name a figure by its code: it is fixed once the figure exists.
        return ["code"] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "code" in form.base_fields:
            # An office need not invent one: left empty, the figure gets one of its own.
            form.base_fields["code"].required = False
            form.base_fields["code"].help_text = _(
                "Optional: the column figure_<code> of progress files; lower-case letters, "
                "digits and underscores. Left empty, one is made up."
            )
        return form

    def save_model(self, request, obj, form, change):
        if not obj.code:
            obj.code = f"f_{secrets.token_hex(4)}"
        super().save_model(request, obj, form, change)

    def may_administer(self, request):
        return request.user.is_superuser or administered_union(request.user) is not None

    def has_module_permission(self, request):
        return self.may_administer(request)

    def has_view_permission(self, request, obj=None):
        return self.may_administer(request)

    def has_add_permission(self, request):
        return self.may_administer(request)

    def has_change_permission(self, request, obj=None):
        return self.may_administer(request) and not (obj is not None and obj.is_standard)

    def has_delete_permission(self, request, obj=None):
        # A figure some requirement asks for is protected by the database as well.
        return self.may_administer(request) and not (obj is not None and obj.is_standard)
