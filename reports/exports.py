"""What can be exported, and by whom: progress entries, the completion matrix of a
directive, and the import resources' own tables.

Each is a `directives.spreadsheets.writing.Table` of plain values read in chunks, written
with flat memory. The columns of the progress and resource tables are those of the import
files (docs/spreadsheets.md); which rows of an exported file the user may correct and
import again depends on the kind and the user's role (`reimport_note`).
"""

from itertools import groupby, islice
from operator import itemgetter

from django.db.models import Case, CharField, F, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directives.access import (
    may_administer,
    may_supervise,
    may_track,
    membership_of,
    oversees_subtree,
    refusal,
    visible_directives,
)
from directives.models import Figure
from directives.resources import MembershipResource, RequirementResource, UnionResource
from directives.spreadsheets.writing import CHUNK, Table, resource_table
from directives.wording import join_list, person_name

from .access import assignments_to_record, dashboard_place
from .dashboards import REQUIREMENT_STATUSES, Dashboard, union_status_q
from .models import (
    Evidence,
    ProgressEntry,
    ReportTimeliness,
    RequirementStatus,
    with_report_timeliness,
)
from .resources import ProgressEntryResource, ReportResource

# --- The tables -------------------------------------------------------------------------


ENTRY_COLUMNS = [
    "assignment__directive__issuer__code",
    "assignment__directive__number",
    "assignment__recipient__code",
    "assignment__recipient__name",
    "requirement__title",
    "occurred_on",
    "narrative",
]
AUTHOR_COLUMNS = ["author__last_name", "author__first_name", "author__username"]


def entries_table(user, entries=None, name=""):
    """Progress entries in the user's scope (or those of `entries` within it), a row each,
    in the columns of `ProgressEntryResource`.

    One query streams the entries joined to their figures (a row per figure, those of
    one entry next to each other), read as plain values, a chunk at a time; one more a
    chunk reads the names of its entries' evidence files.
    """
    resource = ProgressEntryResource(user=user)
    entries = resource.get_queryset() if entries is None else resource.scoped(entries)
    values = entries.prefetch_related(None).values_list(
        "pk",
        *ENTRY_COLUMNS,
        *AUTHOR_COLUMNS,
        "recorded_by_union__name",
        "figures__figure",
        "figures__value",
    )
    standard, others = Figure.values, resource.figure_codes[len(Figure.values) :]
    width = len(ENTRY_COLUMNS)

    def grouped():
        for pk, lines in groupby(values.iterator(chunk_size=CHUNK), key=itemgetter(0)):
            first, *more = lines
            numbers = {line[-2]: line[-1] for line in (first, *more)}
            author = person_name(*first[1 + width : 4 + width])
            on_behalf = first[4 + width] or ""
            yield (
                pk,
                [*first[1 : 1 + width], *(numbers.get(code) for code in standard)],
                [author, on_behalf, *(numbers.get(code) for code in others)],
            )

    def rows():
        entries = iter(grouped())
        while chunk := list(islice(entries, CHUNK)):
            files = {}
            for entry, name in Evidence.objects.filter(
                entry__in=[pk for pk, _row, _rest in chunk]
            ).values_list("entry", "name"):
                files.setdefault(entry, []).append(name)
            for pk, row, rest in chunk:
                yield [*row, join_list(files.get(pk, ())), *rest]

    return Table(
        name=name or _("Progress entries"),
        headers=resource.get_export_headers(),
        rows=rows(),
        count=entries.count(),
    )


def progress_template_table(user, directive):
    """A progress file to fill in for one directive: a row for each requirement of each
    union the user logs progress for (`assignments_to_record`), with the directive, unit
    and requirement filled in, and a column for each figure the directive asks for. Rows
    left with nothing else filled in are skipped when the file is imported."""
    resource = ProgressEntryResource(user=user, directive=directive)
    requirements = list(directive.requirements.prefetch_related("expected_figures"))
    asked = {code for requirement in requirements for code in requirement.figure_codes}
    codes = [code for code in resource.figure_codes if code in asked]
    names = [
        "issuer",
        "number",
        "unit",
        "unit_name",
        "requirement",
        "occurred_on",
        "narrative",
        *(f"figure_{code}" for code in codes),
    ]
    titles = [requirement.title for requirement in requirements]
    rows = [
        [
            directive.issuer.code,
            directive.number,
            assignment.recipient.code,
            assignment.recipient.name,
            # The import reads a requirement by its title, or by its number where two
            # requirements of the directive share a title.
            requirement.title if titles.count(requirement.title) == 1 else requirement.position,
            None,
            "",
            *(None for _code in codes),
        ]
        for assignment in assignments_to_record(user, directive)
        for requirement in requirements
    ]
    return Table(
        name=_("Progress template"),
        headers=[resource.header(resource.fields[name]) for name in names],
        rows=rows,
        count=len(rows),
    )


def directive_entries(user, parameters):
    """A directive and the entries of its cascade: for a supervisor, those its dashboard's
    list shows (beneath ?unit=, of that union alone with ?own=1, on one ?requirement=);
    for staff, their own union's. Any other directive, union or requirement is 404."""
    pk = str(parameters.get("directive") or "")
    if not pk.isdigit():
        raise Http404
    if not may_supervise(user):
        directive = get_object_or_404(visible_directives(user).published(), pk=pk)
        return directive, ProgressEntry.objects.filter(
            assignment__directive__origin=directive.origin_id
        )
    directive, node, top = dashboard_place(user, pk, parameters.get("unit"))
    dashboard = Dashboard(directive, node, top=top)
    requirement = None
    if parameters.get("requirement"):
        requirement = next(
            (r for r in dashboard.requirements if str(r.pk) == str(parameters["requirement"])),
            None,
        )
        if requirement is None:
            raise Http404
    return directive, dashboard.entries(own=parameters.get("own") == "1", requirement=requirement)


def directive_name(directive):
    """How a file and its sheet name a directive: by its document number, else its title."""
    return directive.number or directive.title


def matrix_table(dashboard):
    """The dashboard's directive as unions × requirements: each union that received it in
    the subtree, its acknowledgement and forward, its status on each requirement, its
    completion rate, its report and its figure totals; then a 合计 row: how many unions
    it was sent to, acknowledged, forwarded, were done with each requirement and reported,
    the completion rate of all of them and the figures added up. Named after the directive
    and the union."""
    requirements = dashboard.requirements
    statuses = {
        (union, above): status
        for union, above, status in dashboard.union_progress()
        .annotate(status=union_status())
        .values_list("union_ref", "above", "status")
    }
    figure_columns = [
        (requirement, figure.figure_id, figure.label)
        for requirement, figure in dashboard.expected_figures
    ]
    totals = {
        (union, above, figure): total
        for union, above, figure, total in dashboard.figure_totals(F("progress__union"))
    }
    labels = dict(RequirementStatus.choices)
    report_labels = dict(ReportTimeliness.choices)
    reported = {ReportTimeliness.ON_TIME, ReportTimeliness.LATE}
    assignments = (
        with_report_timeliness(dashboard.assignments(), dashboard.today)
        .select_related("recipient", "directive")
        .order_by("recipient__path", "pk")
    )
    done_value = RequirementStatus.DONE.value

    def rate(done, counted):
        return round(100 * done / counted) if counted else None

    def rows():
        sent = acknowledged = forwarded = intermediate = sent_back = 0
        done = [0] * len(requirements)
        all_done = all_counted = 0
        figures = [0] * len(figure_columns)
        for assignment in assignments.iterator(chunk_size=CHUNK):
            union = assignment.recipient_id
            own = [statuses.get((union, r.pk)) for r in requirements]
            own_done = sum(status == done_value for status in own)
            own_counted = sum(status is not None for status in own)
            own_figures = [totals.get((union, r.pk, code), 0) for r, code, _label in figure_columns]
            sent += 1
            acknowledged += assignment.acknowledged_at is not None
            intermediate += bool(assignment.recipient.numchild)
            forwarded += bool(assignment.recipient.numchild and assignment.forwarded)
            sent_back += assignment.report_timeliness in reported
            done = [n + (status == done_value) for n, status in zip(done, own, strict=True)]
            all_done, all_counted = all_done + own_done, all_counted + own_counted
            figures = [a + b for a, b in zip(figures, own_figures, strict=True)]
            yield [
                assignment.recipient.code,
                assignment.recipient.name,
                assignment.directive.number,
                assignment.acknowledged_at,
                (_("yes") if assignment.forwarded else _("no"))
                if assignment.recipient.numchild
                else "",
                *(str(labels.get(status, "")) for status in own),
                rate(own_done, own_counted),
                str(report_labels.get(assignment.report_timeliness, "")),
                *own_figures,
            ]
        yield [
            _("Total"),
            _("Sent to %(count)d units") % {"count": sent},
            "",
            _("%(count)d acknowledged") % {"count": acknowledged},
            _("%(count)d of %(total)d forwarded") % {"count": forwarded, "total": intermediate}
            if intermediate
            else "",
            *(_("%(count)d done") % {"count": n} for n in done),
            rate(all_done, all_counted),
            _("%(count)d reported") % {"count": sent_back},
            *figures,
        ]

    directive = dashboard.directive
    title = _("Completion table")
    return Table(
        name=f"{title} {directive_name(directive)} {dashboard.node.name}",
        sheet=directive_name(directive),
        headers=[
            _("Unit code"),
            _("Unit name"),
            _("Received as"),
            _("Acknowledged at"),
            _("Forwarded?"),
            *(r.title for r in requirements),
            _("Completion (%)"),
            _("Report"),
            *(f"{r.title} · {label}" for r, _code, label in figure_columns),
        ],
        rows=rows(),
        count=assignments.count() + 1,
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
    "reports": (gettext_lazy("Reports back"), may_track, ReportResource),
    "directives": (gettext_lazy("Directives and requirements"), may_supervise, RequirementResource),
    "unions": (gettext_lazy("Union tree"), may_supervise, UnionResource),
    "memberships": (gettext_lazy("Users"), may_administer, MembershipResource),
}


def reimport_note(user, kind):
    """What of an exported file of this kind the user may correct and import again: said
    only where it holds (reports.access and the import resources' rules)."""
    if user.is_superuser:
        return _("Can be corrected and imported again.")
    if kind == "entries":
        if oversees_subtree(membership_of(user)):
            return _(
                "Your union's own entries, and those your union recorded on behalf of units "
                "beneath it (代录), can be corrected and imported again. Entries the units "
                "wrote themselves are for reading: only they change them."
            )
        return _("Your union's entries can be corrected and imported again.")
    if kind == "reports":
        return _(
            "Only your own union's report, while it is a draft or returned to you, can be "
            "changed by importing this file again; the others are for reading."
        )
    if kind == "directives":
        return _(
            "The directives your union issued can be corrected and imported again; the "
            "others are for reading."
        )
    if kind == "unions" and not may_administer(user):
        return _("For reading: only administrators import the union tree.")
    return _("Can be corrected and imported again.")


def exports_for(user):
    """(kind, name, what may be imported again) of every table the user may export."""
    return [
        (kind, name, reimport_note(user, kind))
        for kind, (name, may, _r) in EXPORTS.items()
        if may(user)
    ]


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
        if not parameters.get("directive"):
            return entries_table(user)
        directive, entries = directive_entries(user, parameters)
        title = _("Progress entries")
        return entries_table(user, entries, name=f"{title} {directive_name(directive)}")
    return resource_table(resource(user=user), name=str(name))
