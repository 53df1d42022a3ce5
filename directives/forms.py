import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Directive, DirectiveAttachment, Requirement, Union
from .services import figure_for_directive
from .uploads import ACCEPT_ATTRIBUTE, display_name, validate_upload

CONFLICT_MESSAGE = _(
    "Someone else saved a change while you were editing. Your input is still in the form: "
    "open the page in a new tab to see their change, then save again."
)


def style(form):
    """Give the form's widgets Bootstrap's classes, and its labels the language's colon."""
    # Translators: the colon after a form's label (a full-width one in Chinese).
    form.label_suffix = gettext(":")
    for field in form.fields.values():
        widget = field.widget
        if isinstance(
            widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput
        ):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class VersionCheckMixin:
    """A hidden version field; the form refuses a save started from an older version."""

    def check_version(self, cleaned):
        if self.instance.pk and cleaned.get("version") != self.instance.version:
            raise forms.ValidationError(CONFLICT_MESSAGE, code="conflict")

    def lock_for_save(self):
        """Lock the row for saving; False, with the conflict shown, if someone saved since."""
        instance = self.instance
        if instance.pk and not instance.lock_if_unchanged(self.cleaned_data["version"]):
            self.add_error(None, forms.ValidationError(CONFLICT_MESSAGE, code="conflict"))
            return False
        return True

    @property
    def status_code(self):
        """409 when the form shows a conflict, so that clients and tests can tell."""
        return 409 if self.has_error(NON_FIELD_ERRORS, "conflict") else 200


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class IndentedLabel(str):
    """A union's name that knows how far to indent it, so the recipients read as a tree."""

    indent = 0


class UnionChoiceField(forms.ModelMultipleChoiceField):
    top_depth = 1

    def label_from_instance(self, union):
        label = IndentedLabel(union.name)
        label.indent = union.depth - self.top_depth
        return label


class DirectiveForm(VersionCheckMixin, forms.ModelForm):
    # Unions up to this many levels beneath the issuer can be picked one by one; the
    # whole subtree is reached with the "every union beneath" mode.
    SELECTABLE_DEPTH = 2

    selected_recipients = UnionChoiceField(
        label=_("Selected unions"),
        queryset=Union.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Directive
        fields = ["number", "title", "kind", "issued_on", "body", "recipient_mode"]
        widgets = {
            "issued_on": DateInput,
            "body": forms.Textarea(attrs={"rows": 8}),
            "recipient_mode": forms.RadioSelect,
        }

    def __init__(self, *args, issuer, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
        self.issuer = issuer
        recipients = self.fields["selected_recipients"]
        recipients.top_depth = issuer.depth + 1
        recipients.queryset = (
            Union.objects.below(issuer)
            .active()
            .filter(depth__lte=issuer.depth + self.SELECTABLE_DEPTH)
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            if self.instance.recipient_mode == Directive.RecipientMode.SELECTED:
                self.fields["selected_recipients"].initial = [
                    a.recipient_id for a in self.instance.assignments.all()
                ]

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if number:
            clash = Directive.objects.filter(issuer=self.issuer, number=number)
            if clash.exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(
                    _("Your union already has a directive numbered %(number)s."),
                    params={"number": number},
                )
        return number

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("recipient_mode") == Directive.RecipientMode.SELECTED and not cleaned.get(
            "selected_recipients"
        ):
            self.add_error("selected_recipients", _("Choose at least one union."))
        self.check_version(cleaned)
        return cleaned


FIGURE_NAME_SEPARATORS = re.compile(r"[,，、;；\n]+")


class RequirementForm(forms.ModelForm):
    """A requirement with the figures it asks for from the directive's catalogue (the
    shared one and the directive's own), a target per unit for any of them, and names of
    figures to add for this directive alone."""

    figures = forms.MultipleChoiceField(
        label=_("Figures to report"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A target per unit, where you give one, is what each union should reach."),
    )
    new_figures = forms.CharField(
        label=_("Figures of your own"),
        required=False,
        max_length=300,
        help_text=_(
            "Figures not in the list, for this directive only, separated by 、 or commas "
            "(e.g. 覆盖职工人数、发放学习资料份数). Save the draft to give them targets."
        ),
    )

    class Meta:
        model = Requirement
        fields = [
            "source",
            "kind",
            "title",
            "description",
            "due_on",
            "report_to",
            "report_to_department",
        ]
        labels = {"source": _("Carries out")}
        help_texts = {
            "source": _(
                "The requirement of the directive above that this one carries out: the work "
                "done on it counts there too."
            )
        }
        widgets = {"due_on": DateInput, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, issuer=None, carries_out=None, catalogue=(), **kwargs):
        """`issuer` offers its departments as addressees; `carries_out` is the directive
        above when this one carries it out, whose requirements each may continue;
        `catalogue` is the figures the directive may ask for."""
        super().__init__(*args, **kwargs)
        # The admin's inline builds this form with fields of its own and no issuer.
        if issuer is not None:
            if carries_out is None:
                del self.fields["source"]
            else:
                source = self.fields["source"]
                source.queryset = carries_out.requirements.all()
                source.empty_label = _("None: our own requirement")
            # The issuer itself is the empty choice, so that a copy names nobody above.
            report_to = self.fields["report_to"]
            report_to.queryset = Union.objects.children_of(issuer)
            report_to.empty_label = issuer.name
        self.catalogue = list(catalogue)
        self.fields["figures"].choices = [(f.code, f.label) for f in self.catalogue]
        targets = {}
        if self.instance.pk:
            expected = list(self.instance.expected_figures.all())
            self.fields["figures"].initial = [e.figure_id for e in expected]
            targets = {e.figure_id: e.target for e in expected}
        for figure in self.catalogue:
            self.fields[f"target_{figure.code}"] = forms.IntegerField(
                label=_("Target per unit for %(figure)s") % {"figure": figure.label},
                min_value=0,
                max_value=10_000_000,
                required=False,
                initial=targets.get(figure.code),
                widget=forms.NumberInput(
                    attrs={
                        "placeholder": _("target per unit"),
                        "class": "form-control-sm gq-target",
                    }
                ),
            )
        style(self)

    def figure_choices(self):
        """(checkbox, target input) for each figure of the catalogue, for the template."""
        return list(
            zip(
                self["figures"],
                (self[f"target_{figure.code}"] for figure in self.catalogue),
                strict=True,
            )
        )

    def clean(self):
        cleaned = super().clean()
        # A target given says the figure is asked for, ticked or not.
        chosen = list(cleaned.get("figures") or [])
        for figure in self.catalogue:
            if cleaned.get(f"target_{figure.code}") is not None and figure.code not in chosen:
                chosen.append(figure.code)
        cleaned["figures"] = [f.code for f in self.catalogue if f.code in chosen]
        return cleaned

    def targets(self):
        return {
            code: self.cleaned_data.get(f"target_{code}") for code in self.cleaned_data["figures"]
        }

    def new_figure_names(self):
        text = self.cleaned_data.get("new_figures") or ""
        return list(
            dict.fromkeys(
                part.strip() for part in FIGURE_NAME_SEPARATORS.split(text) if part.strip()
            )
        )


class BaseRequirementFormSet(forms.BaseInlineFormSet):
    def save_requirements(self):
        """Save in the order shown, with each requirement's figures; drop deleted ones."""
        self.save(commit=False)
        for requirement in self.deleted_objects:
            requirement.delete()
        kept = [
            form
            for form in self.forms
            if form not in self.deleted_forms and (form.instance.pk or form.has_changed())
        ]
        for position, form in enumerate(kept, start=1):
            form.instance.position = position
            form.instance.save()
            added = [
                figure_for_directive(directive=self.instance, name=name).code
                for name in form.new_figure_names()
            ]
            form.instance.set_figures(
                [*form.cleaned_data.get("figures", []), *added], targets=form.targets()
            )


RequirementFormSet = forms.inlineformset_factory(
    Directive,
    Requirement,
    form=RequirementForm,
    formset=BaseRequirementFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    can_delete=True,
)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE})
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        self.content_type = validate_upload(uploaded)
        return uploaded

    def save(self, *, directive, user):
        uploaded = self.cleaned_data["file"]
        upload = (uploaded, self.content_type, display_name(uploaded.name))
        return DirectiveAttachment.store(upload, user=user, directive=directive)
