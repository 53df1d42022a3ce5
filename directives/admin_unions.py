"""The admin's actions on unions, offered in the list of unions: deactivation (a union
dissolved keeps its history and receives nothing new), reactivation, and merging one union
into another.

Each action gets the rows ticked in a list already narrowed to the administrator's subtree.
An administrator's own union is left out of deactivation and merging: it holds their
membership, and their subtree would go with it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .access import administered_union
from .models import Union
from .services import MergeRefused, union_merge, unions_deactivate, unions_reactivate


def without_own_union(modeladmin, request, queryset):
    root = administered_union(request.user)
    if root is not None and queryset.filter(pk=root.pk).exists():
        modeladmin.message_user(
            request,
            _("Your own union %(union)s was left out: it holds your membership.") % {"union": root},
            messages.WARNING,
        )
        queryset = queryset.exclude(pk=root.pk)
    return queryset


@admin.action(permissions=["change"], description=_("Deactivate the selected unions"))
def deactivate(modeladmin, request, queryset):
    unions = list(without_own_union(modeladmin, request, queryset))
    count = unions_deactivate(unions=unions)
    for union in unions:
        modeladmin.log_change(request, union, [{"changed": {"fields": ["in use"]}}])
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d union deactivated, with the units beneath it: its history is kept, "
            "and it receives no new directives.",
            "%(count)d unions deactivated, with the units beneath them: their history is "
            "kept, and they receive no new directives.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


@admin.action(permissions=["change"], description=_("Reactivate the selected unions"))
def reactivate(modeladmin, request, queryset):
    unions = list(queryset)
    count = unions_reactivate(unions=unions)
    for union in unions:
        modeladmin.log_change(request, union, [{"changed": {"fields": ["in use"]}}])
    modeladmin.message_user(
        request,
        ngettext("%(count)d union reactivated.", "%(count)d unions reactivated.", count)
        % {"count": count},
        messages.SUCCESS,
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Union.objects.none(),
        help_text=_("The union that carries on: it takes the units, people and directives."),
    )

    def __init__(self, *args, union, root, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["into"]
        candidates = Union.objects.in_subtree(root) if root else Union.objects.all()
        field.queryset = candidates.active().exclude(path__startswith=union.path)
        field.label_from_instance = lambda other: other.choice_label


@admin.action(permissions=["change"], description=_("Merge the selected union into another"))
def merge(modeladmin, request, queryset):
    """After a confirmation naming the union that carries on: one union at a time."""
    unions = list(without_own_union(modeladmin, request, queryset)[:2])
    if len(unions) != 1:
        modeladmin.message_user(
            request, _("Tick exactly one union to merge into another."), messages.WARNING
        )
        return None
    union = unions[0]
    root = administered_union(request.user)
    form = MergeForm(
        request.POST if request.POST.get("post") == "yes" else None, union=union, root=root
    )
    if form.is_valid():
        into = form.cleaned_data["into"]
        try:
            moved = union_merge(union=union, into=into)
        except MergeRefused as refused:
            modeladmin.message_user(request, str(refused), messages.ERROR)
            return None
        summary = _(
            "%(union)s merged into %(into)s: %(units)d units beneath, %(people)d people, "
            "%(received)d directives received and %(issued)d issued passed to it."
        ) % {"union": union, "into": into, **moved}
        modeladmin.log_change(request, union, summary)
        modeladmin.log_change(request, into, summary)
        modeladmin.message_user(request, summary, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Merge %(union)s into another union") % {"union": union},
        "opts": modeladmin.opts,
        "union": union,
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/union_merge.html", context)
