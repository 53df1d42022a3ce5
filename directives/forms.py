from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from .models import Directive, DirectiveAttachment, Figure, Requirement, Union
from .uploads import ACCEPT_ATTRIBUTE, display_name, validate_upload

CONFLICT_MESSAGE = _(
    "Someone else saved a change while you were editing. Your input is still in the form: "
    "open the page in a new tab to see their change, then save again."
)


def style(form):
    """Give the form's widgets Bootstrap's classes."""
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


class RequirementForm(forms.ModelForm):
    figures = forms.MultipleChoiceField(
        label=_("Figures to report"),
        choices=Figure.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Requirement
        fields = ["kind", "title", "description", "due_on"]
        widgets = {"due_on": DateInput, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
        if self.instance.pk:
            self.fields["figures"].initial = self.instance.figure_codes


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
            form.instance.set_figures(form.cleaned_data.get("figures", []))


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
