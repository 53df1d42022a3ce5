from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directives.forms import DateInput, VersionCheckMixin, style
from directives.models import Requirement
from directives.spreadsheets.files import FORMATS_BY_EXTENSION, check_size
from directives.uploads import ACCEPT_ATTRIBUTE, display_name, validate_upload

from .models import (
    REPORT_LIMIT,
    GroupRobot,
    Notification,
    ProgressEntry,
    RequirementStatus,
    Submission,
)
from .robots import robot_url_problem


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once, each checked by its bytes like any single upload."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        checked, errors = [], []
        for uploaded in files:
            uploaded = super().clean(uploaded, initial)
            try:
                content_type = validate_upload(uploaded)
            except forms.ValidationError as error:
                errors.extend(f"{display_name(uploaded.name)}: {m}" for m in error.messages)
            else:
                checked.append((uploaded, content_type, display_name(uploaded.name)))
        if errors:
            raise forms.ValidationError(errors)
        return checked


def figure_field(expected):
    """The input of one figure a requirement asks for, saying its target if it has one."""
    return forms.IntegerField(
        label=expected.label,
        min_value=0,
        max_value=10_000_000,
        required=False,
        widget=forms.NumberInput,
        help_text=_("Target: %(target)s per unit") % {"target": expected.target}
        if expected.target is not None
        else "",
    )


class ProgressEntryForm(VersionCheckMixin, forms.ModelForm):
    files = MultipleFileField(label=_("Evidence files"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressEntry
        fields = ["occurred_on", "narrative"]
        widgets = {
            "occurred_on": DateInput,
            "narrative": forms.Textarea(attrs={"rows": 4, "data-gq-grow": ""}),
        }

    def __init__(self, *args, requirement, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirement = requirement
        values = self.instance.figure_values if self.instance.pk else {}
        self.figure_names = []
        for expected in requirement.expected_figures.all():
            code = expected.figure_id
            name = f"figure_{code}"
            self.fields[name] = figure_field(expected)
            self.fields[name].initial = values.get(code)
            self.figure_names.append(name)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        elif self.initial.get("occurred_on") is None:
            self.initial["occurred_on"] = timezone.localdate()
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        style(self)

    def figure_fields(self):
        return [self[name] for name in self.figure_names]

    def clean(self):
        cleaned = super().clean()
        self.check_version(cleaned)
        return cleaned

    def figures(self):
        return {
            name.removeprefix("figure_"): self.cleaned_data.get(name) for name in self.figure_names
        }


class RecordChoiceForm(forms.Form):
    """Whose progress a supervisor logs on a directive (代录), and on which requirement."""

    union = forms.TypedChoiceField(label=_("Union"), coerce=int)
    requirement = forms.TypedChoiceField(label=_("Requirement"), coerce=int)

    def __init__(self, *args, assignments, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"].choices = [(a.pk, a.recipient.name) for a in assignments]
        self.fields["requirement"].choices = [(r.pk, r.title) for r in requirements]
        style(self)


class ReportForm(VersionCheckMixin, forms.Form):
    text = forms.CharField(
        label=_("Report"),
        widget=forms.Textarea(attrs={"rows": 3, "data-gq-grow": ""}),
        required=False,
        max_length=REPORT_LIMIT,
    )
    files = MultipleFileField(label=_("Attachments"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, report, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = report
        figures = report.figures.all() if report.pk else []  # a report not yet begun
        values = {(f.requirement_id, f.figure): f.value for f in figures}
        self.fields["text"].initial = report.text
        self.fields["version"].initial = report.version
        self.figure_groups = []
        for requirement in requirements:
            names = []
            for expected in requirement.expected_figures.all():
                code = expected.figure_id
                name = f"figure_{requirement.pk}_{code}"
                self.fields[name] = figure_field(expected)
                self.fields[name].initial = values.get((requirement.pk, code))
                names.append(name)
            if names:
                self.figure_groups.append((requirement, [self[name] for name in names]))
        style(self)

    def clean(self):
        cleaned = super().clean()
        self.check_version(cleaned)
        return cleaned

    def figures(self):
        result = {}
        for requirement, bound_fields in self.figure_groups:
            for bound in bound_fields:
                code = bound.name.removeprefix(f"figure_{requirement.pk}_")
                result[(requirement.pk, code)] = self.cleaned_data.get(bound.name)
        return result


class ReviewForm(forms.Form):
    # The reviewer's two actions, each a button named for what it does.
    ACTIONS = [
        (Submission.Decision.ACCEPTED, _("Accept")),
        (Submission.Decision.RETURNED, _("Return for changes")),
    ]

    decision = forms.ChoiceField(label=_("Decision"), choices=ACTIONS)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=Submission._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning: tell the union what to change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == Submission.Decision.RETURNED
            and not cleaned.get("comment", "").strip()
        ):
            self.add_error("comment", _("Say why the report is returned."))
        return cleaned


class DashboardFilterForm(forms.Form):
    """What a supervisor narrows a dashboard to; every field optional."""

    kind = forms.ChoiceField(
        label=_("Requirement kind"),
        required=False,
        choices=[("", _("All kinds")), *Requirement.Kind.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *RequirementStatus.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Unit name"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def value(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else self.fields[name].initial

    def keep(self, row):
        """Whether a dashboard row passes the filters."""
        status = self.value("status")
        if status and not getattr(row.counts, status):
            return False
        if self.value("overdue") and not (row.counts.overdue or row.reports.get("missing")):
            return False
        query = (self.value("q") or "").strip()
        return not query or query in row.union.name or query in row.union.short_name


class SpreadsheetUploadForm(forms.Form):
    """An .xlsx or .csv file to import, within the size limit; its rows are checked later."""

    file = forms.FileField(
        label=_("Spreadsheet"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        upload.name = display_name(upload.name)
        if upload.name.rpartition(".")[2].lower() not in FORMATS_BY_EXTENSION:
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        check_size(upload.size)
        return upload


class GroupRobotForm(forms.ModelForm):
    """A union's group robot: its kind, the address the chat gives, and DingTalk's secret."""

    url = forms.URLField(
        label=GroupRobot._meta.get_field("url").verbose_name,
        help_text=GroupRobot._meta.get_field("url").help_text,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(
            attrs={"placeholder": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}
        ),
    )

    class Meta:
        model = GroupRobot
        fields = ["kind", "url", "secret", "enabled"]
        widgets = {
            "secret": forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def clean(self):
        cleaned = super().clean()
        kind, url = cleaned.get("kind"), cleaned.get("url")
        if kind and url:
            problem = robot_url_problem(kind, url)
            if problem:
                self.add_error("url", problem)
        if kind == GroupRobot.Kind.WECOM:
            # Cleared, not a password: a 企业微信 robot is not signed.
            cleaned["secret"] = ""  # nosec B105
        return cleaned


class UrgeForm(forms.Form):
    """The message of an urge, one text for every union chosen: {union} and {items} are
    filled in for each."""

    message = forms.CharField(
        label=_("Urge message"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "{union} is replaced by each union's name, {items} by its open requirements "
            "and their deadlines."
        ),
    )


class NotificationSettingsForm(forms.Form):
    """Per kind, whether it also comes by e-mail; and the language of the e-mails."""

    emailed_kinds = forms.MultipleChoiceField(
        label=_("Also send by e-mail"),
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every notification shows under the bell; those ticked also come by e-mail."),
    )
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
