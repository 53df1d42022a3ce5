"""A directive cascading through a synthetic province, with realistic progress.

The top union issues a directive with five requirements to its children; every union
with unions beneath it forwards it (a few at the lowest middle layer do not, so their
unions never receive it); unions log progress entries with figures, mark requirements
done, acknowledge and report back, on time or late. Rows go in with bulk_create, then
`reports.services.progress_rebuild()` counts the dashboards' summary from them.
"""

import datetime
import random

from django.utils import timezone

from directives.models import Assignment, Directive, Requirement, Union, in_subtree_q
from reports.models import Completion, EntryFigure, ProgressEntry, Report
from reports.services import progress_rebuild

# (kind, days from today to the due day, figure): two overdue, one due soon, one later,
# and the report back, already due, so that reports are on time, late or missing.
REQUIREMENTS = [
    (Requirement.Kind.STUDY, -30, "participants"),
    (Requirement.Kind.TRAINING, -5, "trainees"),
    (Requirement.Kind.PUBLICITY, 3, "articles"),
    (Requirement.Kind.RESEARCH, 20, "surveys"),
    (Requirement.Kind.REPORT, -2, None),
]
# Entries a union logs on one requirement: none for a tenth, 4.5 on average.
ENTRY_COUNTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
BATCH = 5000


def build_cascade(root, seed=2015):
    """Issue, forward and fill one directive beneath `root`; return the top directive."""
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    top = Directive.objects.create(
        issuer=root,
        number="鲁工发〔2026〕1号",
        title="关于学习贯彻会议精神的通知（基准测试）",
        state=Directive.State.ISSUED,
        issued_on=today - datetime.timedelta(days=40),
        report_due_on=today + datetime.timedelta(days=REQUIREMENTS[-1][1]),
    )
    for position, (kind, days, _figure) in enumerate(REQUIREMENTS, start=1):
        Requirement.objects.create(
            directive=top,
            kind=kind,
            title=f"{Requirement.Kind(kind).label}（第{position}项）",
            due_on=today + datetime.timedelta(days=days),
            position=position,
        )
    unions = list(
        Union.objects.filter(in_subtree_q(root)).values_list("pk", "path", "depth", "numchild")
    )
    lowest_middle = max(depth for _pk, _path, depth, numchild in unions if numchild)
    directive_of = {root.path: top.pk}  # the directive each union sends to its children
    requirements_of = {top.pk: list(top.requirements.values_list("pk", flat=True))}
    lineage_of = dict(top.requirements.values_list("pk", "lineage"))

    for depth in range(2, lowest_middle + 1):
        level = [
            (pk, path)
            for pk, path, d, numchild in unions
            if d == depth
            and numchild
            and not (d == lowest_middle and rng.random() < 0.05)
            and path[: -Union.steplen] in directive_of
        ]
        forwards = Directive.objects.bulk_create(
            [
                Directive(
                    issuer_id=pk,
                    parent_id=directive_of[path[: -Union.steplen]],
                    origin_id=top.pk,
                    title=top.title,
                    state=Directive.State.ISSUED,
                    issued_on=top.issued_on + datetime.timedelta(days=rng.randint(1, 10)),
                    report_due_on=top.report_due_on,
                )
                for pk, path in level
            ],
            batch_size=BATCH,
        )
        sources = [requirements_of[f.parent_id] for f in forwards]
        copies = Requirement.objects.bulk_create(
            [
                Requirement(
                    directive_id=forward.pk,
                    source_id=source,
                    origin_id=origin,
                    kind=kind,
                    title=f"{Requirement.Kind(kind).label}（第{position}项）",
                    due_on=today + datetime.timedelta(days=days),
                    position=position,
                )
                for forward, parent_requirements in zip(forwards, sources, strict=True)
                for position, (source, origin, (kind, days, _f)) in enumerate(
                    zip(parent_requirements, requirements_of[top.pk], REQUIREMENTS, strict=True),
                    start=1,
                )
            ],
            batch_size=BATCH,
        )
        for copy in copies:
            copy.lineage = lineage_of[copy.source_id] + f"{copy.pk}/"
            lineage_of[copy.pk] = copy.lineage
        Requirement.objects.bulk_update(copies, ["lineage"], batch_size=BATCH)
        for index, forward in enumerate(forwards):
            requirements_of[forward.pk] = [c.pk for c in copies[index * 5 : index * 5 + 5]]
        for (_pk, path), forward in zip(level, forwards, strict=True):
            directive_of[path] = forward.pk

    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                directive_id=directive_of[path[: -Union.steplen]],
                recipient_id=pk,
                acknowledged_at=now - datetime.timedelta(days=rng.randint(1, 35))
                if rng.random() < 0.85
                else None,
            )
            for pk, path, depth, _n in unions
            if depth > 1 and path[: -Union.steplen] in directive_of
        ],
        batch_size=BATCH,
    )
    fill_progress(assignments, requirements_of, rng, today, now)
    fill_reports(assignments, rng, today, now)
    progress_rebuild()
    return top


def fill_progress(assignments, requirements_of, rng, today, now):
    entries, figures_of, completions = [], [], []

    def flush():
        created = ProgressEntry.objects.bulk_create(entries, batch_size=BATCH)
        EntryFigure.objects.bulk_create(
            [
                EntryFigure(entry_id=entry.pk, figure=figure, value=value)
                for entry, (figure, value) in zip(created, figures_of, strict=True)
                if figure
            ],
            batch_size=BATCH,
        )
        entries.clear()
        figures_of.clear()

    for assignment in assignments:
        for requirement, (_kind, _days, figure) in zip(
            requirements_of[assignment.directive_id], REQUIREMENTS, strict=True
        ):
            count = rng.choice(ENTRY_COUNTS)
            for _ in range(count):
                entries.append(
                    ProgressEntry(
                        assignment_id=assignment.pk,
                        requirement_id=requirement,
                        occurred_on=today - datetime.timedelta(days=rng.randint(0, 60)),
                        narrative="组织职工集中学习，开展专题研讨。",
                    )
                )
                figures_of.append((figure, rng.randint(5, 120)))
            if count and rng.random() < 0.45:
                completions.append(
                    Completion(
                        assignment_id=assignment.pk,
                        requirement_id=requirement,
                        done_at=now - datetime.timedelta(days=rng.randint(0, 30)),
                    )
                )
        if len(entries) >= BATCH * 4:
            flush()
    flush()
    Completion.objects.bulk_create(completions, batch_size=BATCH)


def fill_reports(assignments, rng, today, now):
    """About half report on time, a sixth late, some are returned; the rest are missing."""
    deadline = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min)) - (
        datetime.timedelta(days=1)
    )
    reports = []
    for assignment in assignments:
        draw = rng.random()
        if draw < 0.5:
            submitted, state = deadline - datetime.timedelta(hours=rng.randint(1, 300)), "accepted"
        elif draw < 0.66:
            submitted, state = deadline + datetime.timedelta(hours=rng.randint(1, 20)), "submitted"
        elif draw < 0.72:
            submitted, state = deadline - datetime.timedelta(hours=rng.randint(1, 100)), "returned"
        else:
            continue
        reports.append(
            Report(
                assignment_id=assignment.pk,
                text="本单位学习贯彻情况报告。",
                state=state,
                first_submitted_at=submitted,
                submitted_at=submitted,
            )
        )
    Report.objects.bulk_create(reports, batch_size=BATCH)
