"""The spreadsheets users import on the app's own screens, and who may import each.

One entry a kind of file; the screens (reports.spreadsheet_views) work the same for all
of them. The formats page is built from these entries and their resources' columns;
docs/spreadsheets.md describes the same formats for developers (`docs_section`).
"""

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from directives.access import may_administer, may_supervise, may_track, refusal
from directives.models import Directive
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
from directives.wording import join_list

from .resources import ProgressEntryResource, ReportResource


@dataclass(frozen=True)
class Importable:
    kind: str  # in URLs, on jobs, and the id of its section on the formats page
    label: Any  # lazy translated name of the file, e.g. 单位
    resource_class: type
    docs_section: str  # the heading of its section in docs/spreadsheets.md (for developers)
    may_import: Any  # user → bool
    description: Any = ""  # what the file is for, for the formats page
    examples: dict = field(default_factory=dict)  # column name → a value as a user writes it
    action: Any = ""  # its button, e.g. "Import progress entries"

    def resource(self, user, directive=None):
        """The resource reading the file for the user; for progress, optionally the one
        directive every row is about (an import from the directive's page)."""
        if directive is not None:
            return self.resource_class(user=user, directive=directive)
        return self.resource_class(user=user)

    def job_resource(self, job):
        """The resource that reads a job's file, with the directive it was uploaded for."""
        pk = job.parameters.get("directive")
        directive = Directive.objects.filter(pk=pk).first() if pk else None
        return self.resource(job.user, directive)

    @property
    def docs_anchor(self):
        """The id of its section on the formats page."""
        return self.kind

    def columns(self, user, directive=None, *, every=False):
        """The columns an import reads (`every`: and those only exports write), for the pages
        that explain the file: header in the active language and in English, whether it
        identifies the row, what values it takes, and an example. For an import of one
        directive's progress, the columns naming the directive are left out."""
        resource = self.resource(user, directive)
        keys = {resource.fields[name].column_name for name in resource.get_import_id_fields()}
        names = {id(column): name for name, column in resource.fields.items()}
        if every:
            order = [names[id(column)] for column in resource.get_export_fields()]
            order += [name for name in resource.template_columns() if name not in order]
        else:
            order = resource.template_columns()
        columns = []
        for name in order:
            if directive is not None and name in ("issuer", "number"):
                continue
            column = resource.fields[name]
            widget = column.widget
            example = self.examples.get(name, "")
            if isinstance(widget, ChoiceWidget):
                labels = [str(label) for _code, label in widget.choices]
                values = join_list(labels)
                example = example or labels[0]
                if isinstance(widget, ChoiceListWidget):
                    values = _("any of: %(values)s") % {"values": values}
                    example = self.examples.get(name) or join_list(labels[:2])
            elif isinstance(widget, DateWidget):
                values = _("a date, e.g. 2015-09-23 or 2015年9月23日")
                example = example or "2015-09-23"
            elif isinstance(widget, WholeNumberWidget):
                values = _("a whole number")
            else:
                values = ""
            with translation.override("en"):
                english = resource.header(column)
            columns.append(
                {
                    "name": name,
                    "header": resource.header(column),
                    "english": english,
                    "key": column.column_name in keys,
                    "export_only": resource.is_export_only(column),
                    "values": values,
                    "example": example,
                }
            )
        return columns


DIRECTIVE = {"issuer": "SD-EDU", "number": "鲁教工字〔2015〕21号"}

IMPORTABLES = {
    importable.kind: importable
    for importable in (
        Importable(
            "unions",
            _("Union tree"),
            UnionResource,
            "Union tree · 单位",
            may_administer,
            _(
                "The unions beneath yours, one a row: each names the union above it by its "
                "code, so a whole branch of the tree can be brought in at once."
            ),
            {"code": "SDU", "name": "山东大学工会", "short_name": "山大工会", "parent": "SD-EDU"},
            action=_("Import unions"),
        ),
        Importable(
            "users",
            _("Users"),
            MembershipResource,
            "Users · 用户",
            may_administer,
            _(
                "People and the role each holds in a union of your subtree. After the import, "
                "those with an e-mail address can be invited to set their password."
            ),
            {
                "union": "SDU",
                "username": "chenjing",
                "last_name": "陈",
                "first_name": "静",
                "email": "chenjing@example.org",
            },
            action=_("Import users"),
        ),
        Importable(
            "directives",
            _("Directives"),
            DirectiveResource,
            "Directives · 文件",
            may_supervise,
            _("Directives of your union: number, title, kind, date and text."),
            {
                **DIRECTIVE,
                "title": "关于认真学习宣传贯彻中央党的群团工作会议精神的通知",
                "issued_on": "2015-09-24",
                "body": "各市教育工会、各高校工会：……",
            },
            action=_("Import directives"),
        ),
        Importable(
            "requirements",
            _("Requirements"),
            RequirementResource,
            "Requirements · 工作要求",
            may_supervise,
            _(
                "The requirements of your union's directives, each with its number, due date "
                "and the figures it asks for."
            ),
            {
                **DIRECTIVE,
                "position": "10",
                "title": "召开专题会议集体学习",
                "description": "领导班子带头，集中学习会议精神。",
                "due_on": "2015-11-15",
            },
            action=_("Import requirements"),
        ),
        Importable(
            "progress",
            _("Progress entries"),
            ProgressEntryResource,
            "Progress entries · 进展记录",
            may_track,
            _(
                "What your union did for each requirement: date, what was done and the "
                "figures. A file of your own union's entries exported from the app can be "
                "corrected and imported again; a row matching an entry updates it."
            ),
            {
                **DIRECTIVE,
                "unit": "SDU",
                "unit_name": "山东大学工会",
                "requirement": "召开专题会议集体学习",
                "occurred_on": "2015-10-08",
                "narrative": "校工会召开委员会扩大会议，传达会议精神。",
                "figure_study_sessions": "1",
                "figure_participants": "42",
                "evidence": "签到表.pdf",
                "author": "陈静",
            },
            action=_("Import progress entries"),
        ),
        Importable(
            "reports",
            _("Reports back"),
            ReportResource,
            "Reports back · 情况报告",
            may_track,
            _("The text of your union's report back, into its draft or a returned report."),
            {**DIRECTIVE, "unit": "SDU", "unit_name": "山东大学工会", "text": "省教育工会：……"},
            action=_("Import reports back"),
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
