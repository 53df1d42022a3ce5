"""The spreadsheets users import on the app's own screens, and who may import each.

One entry a kind of file; the screens (reports.import_views) work the same for all of
them. The formats are in docs/spreadsheets.md, whose sections `docs_section` names.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

import markdown
from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from markdown.extensions.toc import slugify

from directives.access import may_administer, may_supervise, may_track, refusal
from directives.resources import (
    DirectiveResource,
    MembershipResource,
    RequirementResource,
    UnionResource,
)
from directives.spreadsheets.cells import (
    ChoiceListWidget,
    ChoiceWidget,
    DateWidget,
    WholeNumberWidget,
)

from .resources import ProgressEntryResource, ReportResource


@dataclass(frozen=True)
class Importable:
    kind: str  # in URLs and on jobs
    label: Any  # lazy translated name of the file, e.g. 单位
    resource_class: type
    docs_section: str  # the heading of its section in docs/spreadsheets.md
    may_import: Any  # user → bool

    def resource(self, user):
        return self.resource_class(user=user)

    @property
    def docs_anchor(self):
        """The id of its section on the formats page."""
        return slugify(self.docs_section, "-")

    def columns(self, user):
        """The columns an import reads, for the page that explains the file."""
        resource = self.resource(user)
        keys = {resource.fields[name].column_name for name in resource.get_import_id_fields()}
        columns = []
        for name in resource.template_columns():
            column = resource.fields[name]
            widget = column.widget
            if isinstance(widget, ChoiceWidget):
                values = "、".join(str(label) for _code, label in widget.choices)
                if isinstance(widget, ChoiceListWidget):
                    values = _("any of: %(values)s") % {"values": values}
            elif isinstance(widget, DateWidget):
                values = _("a date, e.g. 2015-09-23 or 2015年9月23日")
            elif isinstance(widget, WholeNumberWidget):
                values = _("a whole number")
            else:
                values = ""
            columns.append(
                {
                    "name": name,
                    "header": resource.header(column),
                    "key": column.column_name in keys,
                    "values": values,
                }
            )
        return columns


IMPORTABLES = {
    importable.kind: importable
    for importable in (
        Importable("unions", _("Union tree"), UnionResource, "Union tree · 单位", may_administer),
        Importable("users", _("Users"), MembershipResource, "Users · 用户", may_administer),
        Importable(
            "directives", _("Directives"), DirectiveResource, "Directives · 文件", may_supervise
        ),
        Importable(
            "requirements",
            _("Requirements"),
            RequirementResource,
            "Requirements · 工作要求",
            may_supervise,
        ),
        Importable(
            "progress",
            _("Progress entries"),
            ProgressEntryResource,
            "Progress entries · 进展记录",
            may_track,
        ),
        Importable(
            "reports", _("Reports back"), ReportResource, "Reports back · 情况报告", may_track
        ),
    )
}


def importables_for(user):
    return [importable for importable in IMPORTABLES.values() if importable.may_import(user)]


def importable_for(user, kind):
    """The kind of file named in the URL, if the user may import it: else 404 or 403."""
    importable = IMPORTABLES.get(kind)
    if importable is None:
        raise Http404
    if not importable.may_import(user):
        raise refusal(user, importable.may_import)
    return importable


@cache
def formats_html():
    """docs/spreadsheets.md as HTML, with an id on every heading (see docs_anchor)."""
    text = (settings.BASE_DIR / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    return markdown.markdown(text, extensions=["tables", "toc", "fenced_code"])
