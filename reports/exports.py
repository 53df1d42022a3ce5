"""What can be exported, and by whom: progress entries, the completion matrix of a
directive, and the import resources' own tables.

Each is a `directives.spreadsheets.writing.Table` of plain values read in chunks, written
with flat memory. The columns of the progress and resource tables are those of the import
files (docs/spreadsheets.md), so an exported file can be corrected and imported again.
"""

from itertools import groupby
from operator import itemgetter

from django.db.models import Case, CharField, F, Value, When
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directives.access import may_administer, may_supervise, may_track, refusal
from directives.models import Figure
from directives.resources import MembershipResource, RequirementResource, UnionResource
from directives.spreadsheets.writing import CHUNK, Table, resource_table

from .access import dashboard_place
from .dashboards import REQUIREMENT_STATUSES, Dashboard, union_status_q
from .models import ReportTimeliness, RequirementStatus, with_report_timeliness
from .resources import ProgressEntryResource, ReportResource

# --- The tables -------------------------------------------------------------------------


ENTRY_COLUMNS = [
    "assignment__directive__issuer__code",
    "assignment__directive__number",
    "assignment__recipient__code",
    "assignment__recipient__name",
    "requirement__position",
    "requirement__title",
    "occurred_on",
    "narrative",
]


def entries_table(user, entries=None):
    """Progress entries in the user's scope (or those of `entries` within it), a row each,
    in the columns of `ProgressEntryResource`.

    One query streams the entries joined to their figures (a row per figure, those of
    one entry next to each other), read as plain values, a chunk at a time.
    """
    resource = ProgressEntryResource(user=user)
    entries = resource.get_queryset() if entries is None else resource.scoped(entries)
    values = entries.prefetch_related(None).values_list(
        "pk", *ENTRY_COLUMNS, "author__username", "figures__figure", "figures__value"
    )
    codes = Figure.values

    def rows():
        for _pk, lines in groupby(values.iterator(chunk_size=CHUNK), key=itemgetter(0)):
            first, *more = lines
            numbers = {line[-2]: line[-1] for line in (first, *more)}
            yield [*first[1:-3], *(numbers.get(code) for code in codes), first[-3] or ""]

    return Table(
        name=_("Progress entries"),
        headers=resource.get_export_headers(),
        rows=rows(),
        count=entries.count(),
    )


def matrix_table(dashboard):
    """The dashboard's directive as unions × requirements: each union that received it in
    the subtree, its acknowledgement and forward, its status on each requirement, its
    report and its figure totals."""
    requirements = dashboard.requirements
    statuses = {
        (union, above): status
        for union, above, status in dashboard.union_progress()
        .annotate(status=union_status())
        .values_list("union_ref", "above", "status")
    }
    figure_columns = [
        (requirement, figure.figure) for requirement, figure in dashboard.expected_figures
    ]
    totals = {
        (union, above, figure): total
        for union, above, figure, total in dashboard.figure_totals(F("progress__union"))
    }
    labels = dict(RequirementStatus.choices)
    report_labels = dict(ReportTimeliness.choices)
    assignments = (
        with_report_timeliness(dashboard.assignments(), dashboard.today)
        .select_related("recipient", "directive")
        .order_by("recipient__path", "pk")
    )

    def rows():
        for assignment in assignments.iterator(chunk_size=CHUNK):
            union = assignment.recipient_id
            yield [
                assignment.recipient.code,
                assignment.recipient.name,
                assignment.directive.number,
                assignment.acknowledged_at,
                (_("yes") if assignment.forwarded else _("no"))
                if assignment.recipient.numchild
                else "",
                *(str(labels.get(statuses.get((union, r.pk)), "")) for r in requirements),
                str(report_labels.get(assignment.report_timeliness, "")),
                *(totals.get((union, r.pk, code), 0) for r, code in figure_columns),
            ]

    return Table(
        name=_("Completion table"),
        headers=[
            _("Unit code"),
            _("Unit name"),
            _("Received as"),
            _("Acknowledged at"),
            _("Forwarded?"),
            *(r.title for r in requirements),
            _("Report"),
            *(f"{r.title} · {Figure(code).label}" for r, code in figure_columns),
        ],
        rows=rows(),
        count=assignments.count(),
    )


def union_status():
    """A union's status on one requirement, from `Dashboard.union_progress`'s counts."""
    return Case(
        *[
            When(union_status_q(status), then=Value(status.value))
            for status in REQUIREMENT_STATUSES
        ],
        output_field=CharField(),
    )


# --- What each user may export -------------------------------------------------------------

# kind → (name, who may export it, the import resource whose table it is)
EXPORTS = {
    "entries": (gettext_lazy("Progress entries"), may_track, None),
    "reports": (gettext_lazy("Reports"), may_track, ReportResource),
    "directives": (gettext_lazy("Directives and requirements"), may_supervise, RequirementResource),
    "unions": (gettext_lazy("Union tree"), may_supervise, UnionResource),
    "memberships": (gettext_lazy("Users"), may_administer, MembershipResource),
}


def exports_for(user):
    """(kind, name) of every table the user may export."""
    return [(kind, name) for kind, (name, may, _r) in EXPORTS.items() if may(user)]


def table_for(user, kind, parameters):
    """The table of one export, checked against what the user may see: a kind of EXPORTS,
    or "matrix", a directive's completion table at one union. As for imports, a kind that
    does not exist is 404 and one the user may not have is 403."""
    if kind == "matrix":
        directive, node, top = dashboard_place(
            user, parameters.get("directive"), parameters.get("unit")
        )
        return matrix_table(Dashboard(directive, node, top=top))
    if kind not in EXPORTS:
        raise Http404
    if not EXPORTS[kind][1](user):
        raise refusal(user, EXPORTS[kind][1])
    name, _may, resource = EXPORTS[kind]
    if resource is None:
        return entries_table(user)
    return resource_table(resource(user=user), name=str(name))
