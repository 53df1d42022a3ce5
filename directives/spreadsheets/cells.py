"""Cell values as union offices type them, and the widgets that read and write them.

Reading is forgiving (full-width digits, 2015年9月23日, Excel serial dates, labels in
either language); writing neutralises text that a spreadsheet would run as a formula.
"""

import datetime
import re
import unicodedata
from functools import cached_property

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets

from ..models import Union
from ..wording import join_list

# A cell starting with one of these is a formula to Excel and WPS, or becomes one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
LARGEST_WHOLE_NUMBER = 2**31 - 1


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def neutralised(value):
    """The value as written to a cell: text that a spreadsheet would run as a formula gets
    a leading apostrophe, numbers (negative ones too) and dates stay what they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def name_key(name):
    """A header or a choice as typed, for comparison: full-width letters and brackets,
    a stray BOM, spaces around and letter case do not count."""
    return unicodedata.normalize("NFKC", str(name or "")).replace("\ufeff", "").strip().casefold()


def spreadsheet_text(value):
    """A text cell as typed: trimmed, numbers without a decimal point, and the apostrophe
    our own exports put before formula-like text taken off again."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if "\x00" in text:
        # The forms refuse it too, and PostgreSQL cannot store it.
        raise ValueError(_("The cell holds a NUL character, which text may not contain."))
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text


DATE_PATTERNS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
)


def spreadsheet_date(value):
    """A date from a cell: 2015-09-23, 2015/9/23, 2015年9月23日 (full-width digits too),
    an Excel date cell or an Excel serial number. Blank is None; anything else is a
    ValueError saying why."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_date(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return excel_serial_date(float(text))
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise ValueError(
                    _("“%(value)s” is not a day of the calendar.") % {"value": value}
                ) from None
    raise ValueError(
        _("“%(value)s” is not a date: write it as 2015-09-23, 2015/9/23 or 2015年9月23日.")
        % {"value": value}
    )


def excel_serial_date(number):
    # 1 to 2958465 are the days Excel can show: 1900-01-01 to 9999-12-31.
    if not 1 <= number <= 2958465:
        raise ValueError(_("%(value)s is not a date Excel can show.") % {"value": number})
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


def spreadsheet_whole_number(value):
    """A count from a cell: 1200, 1,200, １２００ or 1200.0. Blank is None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        number = int(text.split(".")[0]) if re.fullmatch(r"\d+(\.0*)?", text) else None
    if number is None or not 0 <= number <= LARGEST_WHOLE_NUMBER:
        raise ValueError(_("“%(value)s” is not a whole number of zero or more.") % {"value": value})
    return number


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_text(value)


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_date(value)

    def render(self, value, obj=None, **kwargs):
        # A date cell in xlsx; 2015-09-23 in csv.
        return value


class DateTimeWidget(widgets.Widget):
    """Export only: a moment in the project's time zone, as a cell without a zone."""

    def render(self, value, obj=None, **kwargs):
        return timezone.localtime(value).replace(tzinfo=None) if value else None


class WholeNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return spreadsheet_whole_number(value)

    def render(self, value, obj=None, **kwargs):
        return value


class ChoiceWidget(widgets.Widget):
    """One of a model's choices, exported as its label; imported from its code or its label
    in either language."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    @cached_property
    def codes(self):
        """Every accepted spelling, normalised, to its code."""
        codes = {}
        for code, label in self.choices:
            codes[name_key(code)] = code
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    codes[name_key(label)] = code
        return codes

    def code_for(self, text):
        code = self.codes.get(name_key(text))
        if code is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": join_list(label for _code, label in self.choices)}
            )
        return code

    def clean(self, value, row=None, **kwargs):
        text = spreadsheet_text(value)
        return self.code_for(text) if text else ""

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class ChoiceListWidget(ChoiceWidget):
    """Several choices in one cell, separated by commas or 、; kept in the choices' order."""

    SEPARATORS = re.compile(r"[,，、;；\n]+")

    def clean(self, value, row=None, **kwargs):
        codes = {
            self.code_for(part.strip())
            for part in self.SEPARATORS.split(spreadsheet_text(value))
            if part.strip()
        }
        return [code for code, _label in self.choices if code in codes]

    def render(self, value, obj=None, **kwargs):
        labels = dict(self.choices)
        return join_list(labels[code] for code in value or ())


class YesNoWidget(ChoiceWidget):
    """是 or 否 (Yes or No, in either language); a blank cell is no."""

    def __init__(self):
        super().__init__([("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))])

    def clean(self, value, row=None, **kwargs):
        text = spreadsheet_text(value)
        return bool(text) and self.code_for(text) == "yes"

    def render(self, value, obj=None, **kwargs):
        return super().render("yes" if value else "no")


class UnionWidget(widgets.ForeignKeyWidget):
    """A union named by its code, found only within the resource's scope."""

    def __init__(self):
        super().__init__(Union, field="code")
        self.scope = Union.objects.all()  # narrowed by SpreadsheetResource for its user

    def clean(self, value, row=None, **kwargs):
        code = spreadsheet_text(value)
        if not code:
            return None
        union = self.scope.filter(code=code).first()
        if union is None:
            raise ValueError(union_not_found(code))
        return union

    def render(self, value, obj=None, **kwargs):
        return value.code if value else ""


def union_not_found(code):
    """The same words whether the union lies outside the scope or does not exist: a file
    must not tell which codes are in use elsewhere in the tree."""
    return _("There is no union with the code %(code)s within your scope.") % {"code": code}
