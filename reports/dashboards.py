"""Completion rolled up through the tree: what the dashboards count, and how.

A directive's cascade is the directive and every forward of it, at any level. Each
dashboard adds up rows of `RequirementProgress` (one per union and requirement) and of
assignments, grouped by the child of the current union that each row lies beneath: the
first characters of a materialized path name that child. Every page therefore runs
the same few GROUP BY queries whatever the size of the tree.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directives.access import scope_q
from directives.models import Assignment, Directive, Union, in_subtree_q

from .models import (
    DUE_SOON,
    FigureTotal,
    ProgressEntry,
    ReportTimeliness,
    RequirementProgress,
    RequirementStatus,
    named_figures,
    report_timeliness_q,
    requirement_status_q,
    with_report_due,
    with_report_timeliness,
)


def forwarded():
    """Whether the assignment's recipient has passed the directive on: issued its forward
    of it, or a directive of its own carrying it out (承接)."""
    return Exists(
        Directive.objects.published().filter(
            parent=OuterRef("directive"), issuer=OuterRef("recipient")
        )
    )


ASSIGNMENT_FLAGS = {
    "acknowledged": Q(acknowledged_at__isnull=False),
    "not_acknowledged": Q(acknowledged_at__isnull=True),
    "forwarded": Q(forwarded=True),
    "not_forwarded": Q(forwarded=False, recipient__numchild__gt=0),
}


FLAG_LABELS = [
    ("acknowledged", _("Acknowledged")),
    ("not_acknowledged", _("Not acknowledged")),
    ("forwarded", _("Forwarded")),
    ("not_forwarded", _("Not forwarded")),
]


def cascade_assignments(directive):
    """Assignments of the directive and of every forward of it, drafts left out."""
    return (
        Assignment.objects.filter(directive__origin=directive.origin_id)
        .exclude(directive__state=Directive.State.DRAFT)
        .annotate(forwarded=forwarded())
    )


# --- The dashboard of one directive at one union -----------------------------------


@dataclass
class Counts:
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0
    due_soon: int = 0

    @property
    def total(self):
        return self.done + self.in_progress + self.not_started + self.overdue

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    def add(self, other):
        for name in ("done", "in_progress", "not_started", "overdue", "due_soon"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def light(self):
        """Traffic light: red when anything is overdue, yellow when due soon, green when done."""
        if self.overdue:
            return "red"
        if self.due_soon:
            return "yellow"
        if self.total and self.done == self.total:
            return "green"
        return ""


@dataclass
class FigureCell:
    """One figure of one requirement over a row's unions, against its target if it has one:
    the sum against target × the unions that owe the requirement, and how many of those
    unions reached the target on their own."""

    requirement: object
    expected: object
    total: int = 0
    units: int = 0
    reached: int = 0

    @property
    def target(self):
        return self.expected.target

    @property
    def goal(self):
        return None if self.target is None else self.target * self.units

    @property
    def percent(self):
        if not self.goal:
            return None
        return min(100, round(100 * self.total / self.goal))


@dataclass
class Row:
    """One union's subtree (or the union alone, for the current union's own work)."""

    union: Union
    own: bool = False
    assigned: int = 0
    acknowledged: int = 0
    forwarded: int = 0
    intermediate: int = 0
    reports: dict = field(default_factory=dict)
    requirements: dict = field(default_factory=dict)  # requirement pk -> Counts
    figures: dict = field(default_factory=dict)  # requirement pk -> {figure: total}
    reached: dict = field(default_factory=dict)  # (requirement pk, figure) -> unions at target

    def figure_cells(self, expected_figures):
        """A `FigureCell` for each (requirement, expected figure) of the dashboard."""
        cells = []
        for requirement, expected in expected_figures:
            counts = self.requirements.get(requirement.pk)
            cells.append(
                FigureCell(
                    requirement,
                    expected,
                    total=self.figures.get(requirement.pk, {}).get(expected.figure_id, 0),
                    units=counts.total if counts else 0,
                    reached=self.reached.get((requirement.pk, expected.figure_id), 0),
                )
            )
        return cells

    @property
    def counts(self):
        """All requirements together."""
        total = Counts()
        for counts in self.requirements.values():
            total.add(counts)
        return total


REQUIREMENT_STATUSES = [
    RequirementStatus.DONE,
    RequirementStatus.IN_PROGRESS,
    RequirementStatus.NOT_STARTED,
    RequirementStatus.OVERDUE,
]

# A union's status on one requirement above it, from its rows in `union_progress` (a
# forward may split one requirement into several), as lookups on those counts: filtered
# as Q objects for the lists behind each number, and counted as SQL (an aggregate over
# that aggregate, which the ORM cannot write) by `union_status_sql`.
UNION_STATUS = {
    RequirementStatus.DONE: {"n_open": 0},
    RequirementStatus.IN_PROGRESS: {"n_open__gt": 0, "n_overdue": 0, "n_active__gt": 0},
    RequirementStatus.NOT_STARTED: {"n_open__gt": 0, "n_overdue": 0, "n_active": 0},
    RequirementStatus.OVERDUE: {"n_overdue__gt": 0},
    DUE_SOON: {"n_overdue": 0, "n_due_soon__gt": 0},
}
SQL_OPERATORS = {"": "=", "gt": ">"}


def union_status_q(status):
    return Q(**UNION_STATUS[status])


def union_status_sql(status):
    """The same condition as `union_status_q`, on the columns of `union_progress`."""
    terms = []
    for lookup, number in UNION_STATUS[status].items():
        column, _sep, operator = lookup.partition("__")
        terms.append(f"{column} {SQL_OPERATORS[operator]} {int(number)}")
    return " AND ".join(terms)


def union_progress(progress, today, above, **keys):
    """RequirementProgress rows grouped per union and requirement `above` them (an
    expression naming it), and by `keys`, with how many of the union's own requirements
    are open, overdue, due soon or show any activity.

    A forward may split a requirement into several (study, and training); the union is
    done with the requirement above once it has done all of them.
    """
    return (
        progress.annotate(above=above, union_ref=F("union"), **keys)
        .values("union_ref", "above", *keys)
        .annotate(
            n_open=Count("pk", filter=Q(done_at__isnull=True)),
            n_overdue=Count("pk", filter=requirement_status_q(RequirementStatus.OVERDUE, today)),
            n_due_soon=Count("pk", filter=requirement_status_q(DUE_SOON, today)),
            n_active=Count("pk", filter=Q(entry_count__gt=0) | Q(done_at__isnull=False)),
        )
        .order_by()
    )


def over_unions(grouped, columns, group_by):
    """Aggregate a `union_progress` queryset once more, in SQL the ORM cannot write.

    `columns` and `group_by` are this module's constants; values travel as parameters.
    """
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # Safe to build: the ORM compiled `sql`, the other two are this module's constants.
            f"SELECT {columns} FROM ({sql}) union_status GROUP BY {group_by}",  # nosec B608
            params,
        )
        return cursor.fetchall()


def counting(status):
    return f"SUM(CASE WHEN {union_status_sql(status)} THEN 1 ELSE 0 END)"


class Dashboard:
    """A directive's completion at one union: a row per child union, each over its subtree."""

    def __init__(self, directive, node, *, top=None, kind="", today=None):
        self.directive = directive
        self.node = node
        self.top = top or node  # the highest union the viewer may climb to
        self.today = today or timezone.localdate()
        requirements = directive.requirements.with_figures()
        if kind:
            requirements = requirements.filter(kind=kind)
        self.requirements = list(requirements)
        self.by_pk = {r.pk: r for r in self.requirements}
        self.origins = list({r.origin_id for r in self.requirements})
        self.key_length = (node.depth + 1) * Union.steplen
        self.not_sent = []  # children whose subtree was not sent the directive, by `rows`

    @property
    def expected_figures(self):
        """(requirement, ExpectedFigure) for every figure its requirements ask for, in order:
        the columns of the figure totals, on the page and in the completion table."""
        return [(r, figure) for r in self.requirements for figure in r.expected_figures.all()]

    def requirement_above(self, relation="requirement"):
        """Which of this directive's requirements a cascade requirement passes on: the one
        whose chain it continues; for unions sent the directive from higher up, the one with
        the same origin."""
        by_origin = {}
        for r in self.requirements:
            by_origin.setdefault(r.origin_id, []).append(r)
        return Case(
            *[
                When(**{f"{relation}__lineage__startswith": r.lineage}, then=Value(r.pk))
                for r in self.requirements
            ],
            *[
                When(**{f"{relation}__origin": origin}, then=Value(same[0].pk))
                for origin, same in by_origin.items()
                if len(same) == 1
            ],
            output_field=IntegerField(),
        )

    def progress(self, union=None, own=False):
        """The progress rows of the node's subtree (or of `union`'s, or of `union` alone)."""
        union = union or self.node
        where = Q(union=union) if own else in_subtree_q(union, "union__path")
        return RequirementProgress.objects.filter(where, requirement__origin__in=self.origins)

    def union_progress(self, union=None, own=False, **keys):
        return union_progress(
            self.progress(union, own), self.today, self.requirement_above(), **keys
        ).exclude(above=None)

    def assignments(self, union=None, own=False):
        union = union or self.node
        where = Q(recipient=union) if own else in_subtree_q(union, "recipient__path")
        return cascade_assignments(self.directive).filter(where)

    def figure_totals(self, key):
        """(key, requirement, figure, total) over the subtree, grouped by the `key`
        expression (a child's path prefix, or the union itself)."""
        return (
            FigureTotal.objects.filter(
                in_subtree_q(self.node, "progress__union__path"),
                progress__requirement__origin__in=self.origins,
            )
            .annotate(key=key, above=self.requirement_above("progress__requirement"))
            .exclude(above=None)
            .values_list("key", "above", "figure")
            .annotate(sum=Sum("total"))
            .order_by()
        )

    def targets(self):
        """(requirement pk, figure code) → the target per unit, for figures that have one."""
        return {
            (r.pk, figure.figure_id): figure.target
            for r, figure in self.expected_figures
            if figure.target is not None
        }

    def reaching_targets(self, key):
        """(key, requirement pk, figure code, unions that reached its target), grouped by
        the `key` expression; no query when no figure has a target."""
        targets = self.targets()
        if not targets:
            return []
        per_union = (
            FigureTotal.objects.filter(
                in_subtree_q(self.node, "progress__union__path"),
                progress__requirement__origin__in=self.origins,
                figure__in={code for _pk, code in targets},
            )
            .annotate(
                key=key,
                above=self.requirement_above("progress__requirement"),
                union_ref=F("progress__union"),
            )
            .exclude(above=None)
            .values_list("key", "above", "figure", "union_ref")
            .annotate(sum=Sum("total"))
            .order_by()
        )
        reached = {}
        for row_key, above, figure, _union, total in per_union:
            target = targets.get((above, figure))
            if target is not None and total >= target:
                reached[(row_key, above, figure)] = reached.get((row_key, above, figure), 0) + 1
        return [(k, above, figure, n) for (k, above, figure), n in reached.items()]

    def unions_in(self, status, requirement=None, *, union=None, own=False):
        """The unions behind one number: those in `status` on a requirement (or on any)."""
        grouped = self.union_progress(union, own).filter(union_status_q(status))
        if requirement is not None:
            grouped = grouped.filter(above=requirement.pk)
        return Union.objects.filter(pk__in=Subquery(grouped.values("union_ref")))

    def rows(self):
        """The node's own row first (when it received the directive), then its children
        whose subtree received it; the children that received nothing are left in
        `not_sent`, neither listed nor counted."""
        children = list(Union.objects.children_of(self.node))
        rows = {child.path: Row(union=child) for child in children}
        rows[self.node.path] = Row(union=self.node, own=True)

        key = Substr("union__path", 1, self.key_length)
        statuses = [*REQUIREMENT_STATUSES, DUE_SOON]
        counts = over_unions(
            self.union_progress(union_key=key),
            ", ".join(["union_key", "above", *map(counting, statuses)]),
            "union_key, above",
        )
        for path, above, *numbers in counts:
            rows[path].requirements[above] = Counts(*numbers)

        figures = self.figure_totals(Substr("progress__union__path", 1, self.key_length))
        for path, above, figure, total in figures:
            rows[path].figures.setdefault(above, {})[figure] = total
        reaching = self.reaching_targets(Substr("progress__union__path", 1, self.key_length))
        for path, above, figure, number in reaching:
            rows[path].reached[(above, figure)] = number

        assignments = (
            with_report_due(self.assignments())
            .annotate(key=Substr("recipient__path", 1, self.key_length))
            .values_list("key")
            .annotate(
                assigned=Count("pk"),
                acknowledged=Count("pk", filter=ASSIGNMENT_FLAGS["acknowledged"]),
                forwarded_count=Count("pk", filter=ASSIGNMENT_FLAGS["forwarded"]),
                intermediate=Count("pk", filter=Q(recipient__numchild__gt=0)),
                **{
                    timeliness.value: Count(
                        "pk", filter=report_timeliness_q(timeliness, self.today)
                    )
                    for timeliness in ReportTimeliness
                },
            )
            .order_by()
        )
        states = ReportTimeliness.values
        for path, assigned, acknowledged, forwarded_count, intermediate, *reports in assignments:
            row = rows[path]
            row.assigned, row.acknowledged = assigned, acknowledged
            row.forwarded, row.intermediate = forwarded_count, intermediate
            row.reports = dict(zip(states, reports, strict=True))

        own = rows.pop(self.node.path)
        self.not_sent = [child for child in children if not rows[child.path].assigned]
        sent = [rows[child.path] for child in children if rows[child.path].assigned]
        return ([own] if own.assigned else []) + sent

    @staticmethod
    def total(rows):
        """The node's whole subtree: its rows added up."""
        total = Row(union=None)
        for row in rows:
            total.assigned += row.assigned
            total.acknowledged += row.acknowledged
            total.forwarded += row.forwarded
            total.intermediate += row.intermediate
            for state, number in row.reports.items():
                total.reports[state] = total.reports.get(state, 0) + number
            for pk, counts in row.requirements.items():
                total.requirements.setdefault(pk, Counts()).add(counts)
            for pk, figures in row.figures.items():
                totals = total.figures.setdefault(pk, {})
                for figure, number in figures.items():
                    totals[figure] = totals.get(figure, 0) + number
            for pair, number in row.reached.items():
                total.reached[pair] = total.reached.get(pair, 0) + number
        return total

    def done_by_day(self):
        """(day, count) of unions getting done with a requirement, in the subtree, counted
        as the cards count them: on the day the union finished the last of its parts."""
        grouped = self.union_progress().annotate(last_done=Max("done_on"))
        days = over_unions(grouped, f"last_done, {counting(RequirementStatus.DONE)}", "last_done")
        # SQLite hands the raw query's dates back as text.
        return sorted(
            (datetime.date.fromisoformat(str(day)), count) for day, count in days if count
        )

    def entries(self, union=None, own=False, requirement=None):
        """Progress entries of the subtree (or of `union`) on this directive's requirements,
        or on the one `requirement`."""
        union = union or self.node
        where = (
            Q(assignment__recipient=union)
            if own
            else in_subtree_q(union, "assignment__recipient__path")
        )
        entries = ProgressEntry.objects.filter(
            where,
            requirement__origin__in=self.origins,
            assignment__directive__origin=self.directive.origin_id,
        ).annotate(above=self.requirement_above())
        entries = (
            entries.filter(above=requirement.pk) if requirement else entries.exclude(above=None)
        )
        return (
            entries.with_lateness()
            .select_related("requirement", "author", "assignment__recipient")
            .prefetch_related(named_figures())
            .order_by("-occurred_on", "-pk")
        )


# --- Middle layers, the overview and a union's record --------------------------------


def relay(directive, node):
    """Intermediate unions of the node's subtree with when they acknowledged and forwarded;
    those that have not forwarded first."""
    # A union may have passed the directive on several times (a forward, and directives
    # of its own carrying it out): the forward is named first.
    forwards = (
        Directive.objects.published()
        .filter(parent=OuterRef("directive"), issuer=OuterRef("recipient"))
        .order_by("-relation", "issued_on", "pk")
    )
    return (
        cascade_assignments(directive)
        .filter(in_subtree_q(node, "recipient__path"), recipient__numchild__gt=0)
        .select_related("recipient", "directive__issuer")
        .annotate(
            forward_pk=Subquery(forwards.values("pk")[:1]),
            forward_number=Subquery(forwards.values("number")[:1]),
            forwarded_on=Subquery(forwards.values("issued_on")[:1]),
        )
        .order_by("forwarded", "recipient__path")
    )


def active_directives(membership):
    """Issued directives at the top of a member's scope, one per cascade: those its unions
    issued (not forwards of one issued within it, nor directives carrying one out), and
    those its union received and has not forwarded; both kinds are the member's to see. Without a membership (a superuser),
    the top directive of every cascade."""
    issued = Directive.objects.filter(state=Directive.State.ISSUED)
    if membership is None:
        return issued.filter(parent=None)
    union = membership.union
    # One row per cascade: the union's forward stands for the directive it received; its
    # directives carrying that one out are counted on that row, never rows of their own.
    forward = Directive.Relation.FORWARD
    passed_on = Directive.objects.published().filter(
        parent=OuterRef("pk"), issuer=union, relation=forward
    )
    received = Assignment.objects.filter(directive=OuterRef("pk"), recipient=union)
    issued_within = scope_q(membership, "issuer")
    carrying_out = Q(parent__isnull=False) & ~Q(relation=forward)
    return issued.filter(
        (issued_within & ~scope_q(membership, "parent__issuer") & ~carrying_out)
        | (Exists(received) & ~issued_within & ~Exists(passed_on))
    )


@dataclass
class CascadeSummary:
    done: int = 0
    total: int = 0
    overdue_unions: int = 0

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0


def cascade_summaries(directives, top=None, today=None):
    """Per directive: unions done / requirements owed over `top`'s subtree (the whole
    cascade without one), and how many unions have something overdue. One query for any
    number of directives."""
    if not directives:
        return {}
    today = today or timezone.localdate()
    progress = RequirementProgress.objects.filter(
        assignment__directive__origin__in=[d.origin_id for d in directives]
    )
    if top is not None:
        progress = progress.filter(in_subtree_q(top, "union__path"))
    grouped = union_progress(
        progress, today, F("requirement__origin"), cascade=F("assignment__directive__origin")
    )
    columns = [
        "cascade",
        counting(RequirementStatus.DONE),
        "COUNT(*)",
        f"COUNT(DISTINCT CASE WHEN {union_status_sql(RequirementStatus.OVERDUE)} THEN union_ref END)",
    ]
    found = {
        row[0]: CascadeSummary(*row[1:])
        for row in over_unions(grouped, ", ".join(columns), "cascade")
    }
    return {d.pk: found.get(d.origin_id, CascadeSummary()) for d in directives}


def scorecard(union):
    """Every directive the union received, newest first, with its record on each."""
    progress = RequirementProgress.objects.filter(assignment=OuterRef("pk")).values("assignment")

    def counted(condition):
        return Subquery(
            progress.filter(condition).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )

    today = timezone.localdate()
    return (
        with_report_timeliness(Assignment.objects.received_by(union), today)
        .annotate(
            forwarded=forwarded(),
            requirements=counted(Q()),
            done=counted(requirement_status_q(RequirementStatus.DONE, today)),
            done_late=counted(Q(done_at__date__gt=F("requirement__due_on"))),
            overdue=counted(requirement_status_q(RequirementStatus.OVERDUE, today)),
        )
        .select_related("directive__issuer", "report")
        .order_by("-directive__issued_on", "-pk")
    )
