"""Dashboards: numbers rolled up through the tree, the lists behind them, who may see them.

The cascade used here (today is 2015-11-10 in Shanghai):

山东省总工会 issues P to its children: 组织集体学习 (study, due 10-31), 宣传 (publicity,
due 11-15, so due soon) and 报送情况 (report, due 11-30).
├── 青岛市总工会 receives P and does not forward it (its units get nothing).
└── 山东省教育工会 forwards P to 济南市教育工会 and 山东大学工会, splitting study into
    study and training (due 10-25) and asking for its report by 11-05;
    └── 山东大学工会 forwards that to 文学院分工会.
"""

import datetime
import io
import re
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.cascade import build_cascade
from bench.province import build_tree
from directives.models import Assignment, Directive, Figure, Membership, Requirement, Union
from directives.services import directive_forward, directive_issue, directive_set_recipients
from reports.models import FigureTotal, ProgressEntry, RequirementProgress
from reports.services import (
    report_for,
    report_review,
    report_save,
    report_submit,
    requirement_set_done,
)
from tests.conftest import make_user

from .conftest import log_entry

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.datetime(2015, 11, 10, 9, 0, tzinfo=SHANGHAI)


def on(month, day, hour=10):
    return datetime.datetime(2015, month, day, hour, 0, tzinfo=SHANGHAI)


def requirement(directive, kind):
    return directive.requirements.get(kind=kind)


def issue(directive):
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive_issue(directive=directive)


def submit(assignment, user, clock, moment):
    clock(moment)
    report = report_save(report=report_for(assignment), text="情况报告。", figures={})
    return report_submit(report=report, user=user)


@pytest.fixture
def cascade(tree, people, clock, media):
    clock(on(9, 20))
    top = Directive.objects.create(issuer=tree.province, title="关于学习贯彻会议精神的通知")
    study = Requirement.objects.create(
        directive=top, kind="study", title="组织集体学习", due_on=datetime.date(2015, 10, 31)
    )
    study.set_figures([Figure.STUDY_SESSIONS, Figure.PARTICIPANTS])
    Requirement.objects.create(
        directive=top, kind="publicity", title="宣传", due_on=datetime.date(2015, 11, 15)
    )
    Requirement.objects.create(
        directive=top, kind="report", title="报送情况", due_on=datetime.date(2015, 11, 30)
    )
    top = issue(top)

    edu_forward = directive_forward(directive=top, union=tree.edu, user=people.edu)
    training = Requirement.objects.create(
        directive=edu_forward,
        source=study,
        kind="training",
        title="轮训",
        due_on=datetime.date(2015, 10, 25),
        position=9,
    )
    training.set_figures([Figure.PARTICIPANTS])
    edu_forward.requirements.filter(kind="report").update(due_on=datetime.date(2015, 11, 5))
    edu_forward = issue(edu_forward)
    sdu_supervisor = people.sdu_supervisor
    sdu_forward = issue(
        directive_forward(directive=edu_forward, union=tree.sdu, user=sdu_supervisor)
    )
    college_staff = make_user("college", tree.sdu_college, Membership.Role.STAFF)

    def work(directive, union):
        return Assignment.objects.get(directive=directive, recipient=union)

    qingdao, edu = work(top, tree.qingdao), work(top, tree.edu)
    jinan, sdu = work(edu_forward, tree.jinan_edu), work(edu_forward, tree.sdu)
    college = work(sdu_forward, tree.sdu_college)
    for assignment, user in ((qingdao, people.qingdao), (edu, people.edu), (sdu, sdu_supervisor)):
        assignment.acknowledge(user)

    def done(assignment, kind, user):
        requirement_set_done(
            assignment=assignment,
            requirement=requirement(assignment.directive, kind),
            done=True,
            user=user,
        )

    def entry(assignment, kind, user, **figures):
        log_entry(
            assignment,
            user=user,
            narrative=f"{assignment.recipient.name}的进展",
            requirement=requirement(assignment.directive, kind),
            figures=figures,
        )

    done(qingdao, "study", people.qingdao)
    entry(qingdao, "publicity", people.qingdao)
    entry(edu, "study", people.edu, study_sessions=2, participants=100)
    done(edu, "publicity", people.edu)
    entry(jinan, "study", people.jinan_staff, study_sessions=1, participants=40)
    done(jinan, "study", people.jinan_staff)
    entry(jinan, "report", people.jinan_staff)
    entry(sdu, "study", people.sdu_staff, study_sessions=3, participants=320)
    entry(sdu, "training", people.sdu_staff, participants=50)
    done(sdu, "study", people.sdu_staff)
    done(sdu, "training", people.sdu_staff)
    entry(college, "publicity", college_staff)

    submit(qingdao, people.qingdao, clock, on(11, 5))
    submit(jinan, people.jinan_staff, clock, on(11, 6))  # after its 11-05 deadline
    submit(sdu, people.sdu_staff, clock, on(11, 3))
    report_review(report=sdu.report, user=people.edu, decision="returned", comment="请补充数据。")
    clock(TODAY)
    return top, edu_forward


def rows_of(response):
    return {row.union.name: row for row in response.context["page"].object_list}


def counts(row, directive, kind):
    c = row.requirements[requirement(directive, kind).pk]
    return (c.done, c.in_progress, c.not_started, c.overdue)


def test_province_sees_each_child_rolled_up_over_its_subtree(cascade, people, login):
    top, _edu_forward = cascade
    response = login(people.province).get(reverse("dashboard", args=[top.pk]))
    assert response.status_code == 200
    rows = rows_of(response)
    assert list(rows) == ["青岛市总工会", "山东省教育工会"]
    qingdao, edu = rows["青岛市总工会"], rows["山东省教育工会"]
    # (done, in progress, not started, overdue)
    assert counts(qingdao, top, "study") == (1, 0, 0, 0)
    assert counts(qingdao, top, "publicity") == (0, 1, 0, 0)
    # The report-back requirement follows the report: done once submitted and not returned.
    assert counts(qingdao, top, "report") == (1, 0, 0, 0)
    # Study counts a unit done only when it has done both study and training.
    assert counts(edu, top, "study") == (1, 0, 0, 3)
    assert counts(edu, top, "publicity") == (1, 1, 2, 0)
    # 济南 sent its report (late); 山东大学's was returned; 文学院 sent none.
    assert counts(edu, top, "report") == (1, 0, 1, 2)
    assert (qingdao.assigned, qingdao.acknowledged, qingdao.forwarded) == (1, 1, 0)
    # 济南 and 文学院 acknowledged by logging progress.
    assert (edu.assigned, edu.acknowledged, edu.forwarded, edu.intermediate) == (4, 4, 2, 3)
    assert qingdao.reports == {"on_time": 1, "late": 0, "returned": 0, "missing": 0, "pending": 0}
    assert edu.reports == {"on_time": 0, "late": 1, "returned": 1, "missing": 1, "pending": 1}
    study = requirement(top, "study").pk
    assert edu.figures[study] == {"study_sessions": 6, "participants": 510}
    assert study not in qingdao.figures
    total = response.context["total"]
    assert total.counts.done == 5 and total.counts.total == 15
    assert total.counts.percent == 33
    assert response.context["total"].reports["late"] == 1
    page = response.content.decode()
    assert "33%" in page and 'id="gq-charts"' in page
    assert "vendor/chart.js/chart.umd.min.js" in page


def test_progress_over_time_counts_units_done_as_the_cards_do(cascade, people, login, clock, tree):
    top, _edu_forward = cascade
    clock(on(10, 3))
    qingdao = Assignment.objects.get(directive=top, recipient=tree.qingdao)
    requirement_set_done(
        assignment=qingdao,
        requirement=requirement(top, "publicity"),
        done=True,
        user=people.qingdao,
    )
    clock(TODAY)

    response = login(people.province).get(reverse("dashboard", args=[top.pk]))

    # Five requirements were marked done on 09-20, but SDU's study and training make one
    # unit done with study: three, as on the cards; then Qingdao's publicity on 10-03, and
    # the report back of Qingdao (11-05) and 济南 (11-06) on the days they were submitted.
    points = response.context["charts"]["timeline"]["points"]
    assert points == [
        {"x": "2015-09-20", "label": "2015年9月20日", "y": 3},
        {"x": "2015-10-03", "label": "2015年10月3日", "y": 4},
        {"x": "2015-11-05", "label": "2015年11月5日", "y": 5},
        {"x": "2015-11-06", "label": "2015年11月6日", "y": 6},
        {"x": "2015-11-10", "label": "2015年11月10日", "y": 6},
    ]
    assert response.context["total"].counts.done == 6


def test_descending_to_the_education_union_shows_its_own_row_and_children(
    cascade, people, login, tree
):
    top, _edu_forward = cascade
    client = login(people.province)
    response = client.get(reverse("dashboard", args=[top.pk]), {"unit": tree.edu.pk})
    rows = rows_of(response)
    assert list(rows) == ["山东省教育工会", "济南市教育工会", "山东大学工会"]
    assert rows["山东省教育工会"].own
    assert counts(rows["山东大学工会"], top, "study") == (1, 0, 0, 1)
    assert counts(rows["济南市教育工会"], top, "study") == (0, 0, 0, 1)
    assert [u.name for u in response.context["breadcrumbs"]] == ["山东省总工会", "山东省教育工会"]
    # The education union's own supervisor lands on the same page.
    own_view = login(people.edu).get(reverse("dashboard", args=[top.pk]))
    assert list(rows_of(own_view)) == list(rows)
    assert [u.name for u in own_view.context["breadcrumbs"]] == ["山东省教育工会"]


def test_bottom_of_the_tree_lists_the_units_own_entries(cascade, people, login, tree):
    top, _edu_forward = cascade
    response = login(people.province).get(
        reverse("dashboard", args=[top.pk]), {"unit": tree.sdu_college.pk}
    )
    assert list(rows_of(response)) == ["文学院分工会"]
    assert [e.narrative for e in response.context["entries"]] == ["文学院分工会的进展"]


def test_filters_narrow_the_rows(cascade, people, login, tree):
    top, _edu_forward = cascade
    url = reverse("dashboard", args=[top.pk])
    client = login(people.province)
    assert list(rows_of(client.get(url, {"overdue": "on"}))) == ["山东省教育工会"]
    assert list(rows_of(client.get(url, {"q": "青岛"}))) == ["青岛市总工会"]
    assert list(rows_of(client.get(url, {"status": "not_started", "kind": "publicity"}))) == [
        "山东省教育工会"
    ]
    by_kind = client.get(url, {"kind": "report"})
    assert [r.title for r in by_kind.context["dashboard"].requirements] == ["报送情况"]
    found = client.get(url, {"q": "文学院"})
    assert list(rows_of(found)) == []
    assert [u.name for u in found.context["matches"]] == ["文学院分工会"]
    # Qingdao sent its units nothing: a name found beneath it is no way down.
    assert list(client.get(url, {"q": "第二中学"}).context["matches"]) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"status": "overdue", "kind": "study"},
            ["山东省教育工会", "济南市教育工会", "文学院分工会"],
        ),
        ({"status": "done", "kind": "study"}, ["山东大学工会"]),
        ({"status": "not_started", "kind": "publicity"}, ["济南市教育工会", "山东大学工会"]),
        (
            {"flag": "acknowledged"},
            ["山东省教育工会", "济南市教育工会", "山东大学工会", "文学院分工会"],
        ),
        ({"flag": "not_forwarded"}, ["济南市教育工会"]),
        ({"report": "late"}, ["济南市教育工会"]),
        ({"report": "missing"}, ["文学院分工会"]),
        ({"report": "returned"}, ["山东大学工会"]),
        ({"report": "pending"}, ["山东省教育工会"]),
        ({}, ["山东省教育工会", "济南市教育工会", "山东大学工会", "文学院分工会"]),
    ],
)
def test_every_number_links_to_the_units_behind_it(cascade, people, login, tree, params, expected):
    top, _edu_forward = cascade
    if "kind" in params:
        params["requirement"] = requirement(top, params.pop("kind")).pk
    response = login(people.province).get(
        reverse("dashboard_units", args=[top.pk]), {"unit": tree.edu.pk, **params}
    )
    assert [a.recipient.name for a in response.context["page"].object_list] == expected


def test_figures_link_to_the_entries_behind_them(cascade, people, login, tree):
    top, _edu_forward = cascade
    response = login(people.province).get(
        reverse("dashboard_entries", args=[top.pk]),
        {"unit": tree.sdu.pk, "requirement": requirement(top, "study").pk},
    )
    assert sorted(e.requirement.kind for e in response.context["page"].object_list) == [
        "study",
        "training",
    ]


def test_middle_layers_show_when_they_forwarded(cascade, people, login):
    top, _edu_forward = cascade
    response = login(people.province).get(reverse("dashboard_relay", args=[top.pk]))
    rows = [(a.recipient.name, a.forwarded, a.lag) for a in response.context["page"].object_list]
    # Not forwarded first; the lag is from the directive's date to the forward's.
    assert rows == [
        ("青岛市总工会", False, None),
        ("济南市教育工会", False, None),
        ("山东省教育工会", True, 0),
        ("山东大学工会", True, 0),
    ]


def test_overview_lists_active_directives_with_completion(cascade, people, login, tree):
    top, edu_forward = cascade
    response = login(people.province).get(reverse("overview"))
    rows = list(response.context["page"].object_list)
    assert [d.pk for d in rows] == [top.pk]
    assert (rows[0].summary.done, rows[0].summary.total) == (5, 15)
    assert rows[0].summary.overdue_unions == 4
    assert rows[0].next_due == datetime.date(2015, 11, 15)
    # The education union sees its own forward, over its own subtree only.
    rows = list(login(people.edu).get(reverse("overview")).context["page"].object_list)
    assert [d.pk for d in rows] == [edu_forward.pk]
    assert (rows[0].summary.done, rows[0].summary.total) == (3, 12)
    # Qingdao received the directive and has not passed it on: it is Qingdao's to watch.
    rows = list(login(people.qingdao).get(reverse("overview")).context["page"].object_list)
    assert [d.pk for d in rows] == [top.pk]
    assert (rows[0].summary.done, rows[0].summary.total) == (2, 3)
    # SDU's supervisor forwarded the education union's copy: its own forward is the one.
    rows = list(login(people.sdu_supervisor).get(reverse("overview")).context["page"].object_list)
    assert [d.issuer for d in rows] == [tree.sdu]


def test_a_superuser_without_a_union_sees_each_cascade_whole(cascade, login, superuser):
    top, _edu_forward = cascade
    response = login(superuser).get(reverse("overview"))
    (row,) = response.context["page"].object_list
    assert row.pk == top.pk
    assert (row.summary.done, row.summary.total, row.summary.overdue_unions) == (5, 15, 4)
    assert response.context["top"] is None


def test_a_supervisor_with_nothing_in_force_sees_an_empty_overview(people, login):
    """No directive reached 青岛市总工会's subtree yet: the page says so, without a crash."""
    response = login(people.qingdao).get(reverse("overview"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


def test_scorecard_gives_a_units_record(cascade, people, login, tree):
    response = login(people.sdu_staff).get(reverse("unit_scorecard", args=[tree.sdu.pk]))
    (record,) = response.context["page"].object_list
    assert (record.requirements, record.done, record.overdue) == (4, 2, 1)
    assert record.report_timeliness == "returned" and record.forwarded
    assert record.acknowledge_lag == 0


@pytest.mark.parametrize(
    ("persona", "unit"),
    [
        ("qingdao", "edu"),  # a sibling's subtree
        ("edu", "province"),  # above one's own union
        ("edu", "qingdao"),
        ("sdu_supervisor", "jinan_edu"),
    ],
)
def test_supervisors_cannot_open_units_outside_their_subtree(
    cascade, people, login, tree, persona, unit
):
    top, _edu_forward = cascade
    client = login(getattr(people, persona))
    params = {"unit": getattr(tree, unit).pk}
    for name in ("dashboard", "dashboard_units", "dashboard_entries", "dashboard_relay"):
        assert client.get(reverse(name, args=[top.pk]), params).status_code == 404, name


def test_a_sibling_supervisor_cannot_see_a_forward_outside_its_subtree(cascade, people, login):
    _top, edu_forward = cascade
    response = login(people.qingdao).get(reverse("dashboard", args=[edu_forward.pk]))
    assert response.status_code == 404


def test_scorecards_are_scoped(cascade, people, login, tree):
    assert (
        login(people.edu).get(reverse("unit_scorecard", args=[tree.qingdao.pk])).status_code == 404
    )
    assert (
        login(people.sdu_staff).get(reverse("unit_scorecard", args=[tree.jinan_edu.pk])).status_code
        == 404
    )
    assert login(people.edu).get(reverse("unit_scorecard", args=[tree.sdu.pk])).status_code == 200


def progress_snapshot():
    rows = RequirementProgress.objects.order_by("assignment", "requirement")
    totals = FigureTotal.objects.values_list(
        "progress__assignment", "progress__requirement", "figure", "total"
    )
    return (
        list(
            rows.values_list(
                "assignment", "requirement", "union", "entry_count", "last_entry_on", "done_at"
            )
        ),
        sorted(totals),
    )


def test_the_summary_kept_on_write_equals_one_counted_from_scratch(cascade, people, tree):
    # Change things after the fact: edit an entry's figures, reopen a done requirement.
    entry = ProgressEntry.objects.get(assignment__recipient=tree.sdu, requirement__kind="study")
    log_entry(
        entry.assignment,
        user=people.sdu_staff,
        narrative="补充学习",
        requirement=entry.requirement,
        figures={Figure.PARTICIPANTS: 7},
    )
    sdu = entry.assignment
    requirement_set_done(
        assignment=sdu, requirement=entry.requirement, done=False, user=people.sdu_staff
    )
    kept = progress_snapshot()
    # Two units received P (three requirements), three a forward (four requirements).
    assert len(kept[0]) == 2 * 3 + 3 * 4
    call_command("rebuild_progress", stdout=StringIO())
    assert progress_snapshot() == kept


def query_counts(client, directive, root):
    mid = Union.objects.children_of(root).first()
    urls = {
        "dashboard": (reverse("dashboard", args=[directive.pk]), {}),
        "dashboard_mid": (reverse("dashboard", args=[directive.pk]), {"unit": mid.pk}),
        "dashboard_units": (
            reverse("dashboard_units", args=[directive.pk]),
            {"status": "overdue"},
        ),
        "dashboard_entries": (reverse("dashboard_entries", args=[directive.pk]), {}),
        "dashboard_relay": (reverse("dashboard_relay", args=[directive.pk]), {}),
        "overview": (reverse("overview"), {}),
        "scorecard": (reverse("unit_scorecard", args=[mid.pk]), {}),
    }
    found = {}
    for name, (url, params) in urls.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        found[name] = len(queries.captured_queries)
    return found


def test_dashboards_issue_the_same_queries_for_3_and_300_units(db, client):
    counts_by_size = []
    # Three units in a line (province, city, grassroots), then 300 in three levels.
    for units, width in ((3, 1), (300, None)):
        root = build_tree(units, levels=3, prefix=f"T{units}-", width=width)
        directive = build_cascade(root)
        user = make_user(f"sup{units}", root, Membership.Role.SUPERVISOR)
        client.force_login(user)
        counts_by_size.append(query_counts(client, directive, root))
    assert counts_by_size[0] == counts_by_size[1]
    assert max(counts_by_size[0].values()) <= 20


def test_the_completion_table_exports_each_unit_with_its_statuses(cascade, people, login, tree):
    top, _edu_forward = cascade
    client = login(people.province)
    response = client.get(reverse("dashboard_export", args=[top.pk]), {"unit": tree.edu.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    header, *rows, total = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:8] == [
        "单位代码",
        "单位名称",
        "所收文件",
        "签收时间",
        "是否转发",
        "组织集体学习",
        "宣传",
        "报送情况",
    ]
    by_unit = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_unit) == ["SD-EDU", "JN-EDU", "SDU", "SDU-WX"]
    assert [by_unit[code]["组织集体学习"] for code in by_unit] == [
        "已逾期",
        "已逾期",
        "已完成",
        "已逾期",
    ]
    assert by_unit["SDU-WX"]["宣传"] == "进行中"
    assert by_unit["SDU"]["情况报告"] == "已退回"
    assert by_unit["SDU"]["组织集体学习 · 参加人次"] == 370
    assert by_unit["JN-EDU"]["是否转发"] == "否"
    total = dict(zip(header, total, strict=True))
    acknowledged = [row["签收时间"] for row in by_unit.values() if row["签收时间"]]
    assert acknowledged and all(isinstance(at, datetime.datetime) for at in acknowledged)
    assert (total["单位代码"], total["单位名称"], total["签收时间"]) == (
        "合计",
        "下发4个单位",
        f"已签收{len(acknowledged)}个",
    )
    assert total["组织集体学习"] == "已完成1个"
    assert total["组织集体学习 · 参加人次"] == sum(
        row["组织集体学习 · 参加人次"] for row in by_unit.values()
    )
    csv = b"".join(
        client.get(reverse("dashboard_export", args=[top.pk]), {"format": "csv"}).streaming_content
    )
    assert csv.decode("utf-8-sig").count("\n") == 7  # the header, five units and the total
    # Outside the supervisor's subtree: nothing.
    outsider = login(people.qingdao).get(
        reverse("dashboard_export", args=[top.pk]), {"unit": tree.edu.pk}
    )
    assert outsider.status_code == 404


def test_unions_not_sent_the_directive_are_listed_apart_and_not_counted(
    cascade, people, login, tree
):
    top, _edu_forward = cascade
    # Qingdao received the directive and passed it on to none of its units.
    response = login(people.province).get(
        reverse("dashboard", args=[top.pk]), {"unit": tree.qingdao.pk}
    )
    rows = rows_of(response)
    assert list(rows) == ["青岛市总工会"]
    assert rows["青岛市总工会"].own
    not_sent = [union.name for union in response.context["not_sent"]]
    assert not_sent == [u.name for u in Union.objects.children_of(tree.qingdao)]
    assert response.context["total"].counts.total == 3
    assert response.context["charts"]["by_union"]["labels"] == [tree.qingdao.label]
    page = response.content.decode()
    section = page[page.index('data-testid="not-sent"') :]
    assert "未下发（不计入统计）：" in section
    for name in not_sent:
        assert name in section
    table = page[page.index('data-testid="dashboard-rows"') : page.index('data-testid="not-sent"')]
    for name in not_sent:
        assert name not in table


def test_filter_labels_end_in_the_languages_colon(cascade, people, login):
    top, _edu_forward = cascade
    page = login(people.province).get(reverse("dashboard", args=[top.pk])).content.decode()
    filters = page[page.index('data-testid="filters"') :]
    filters = filters[: filters.index("</form>")]
    assert "工作要求类别：</label>" in filters
    assert ":</label>" not in filters
    assert "只看逾期</label>" in filters


def test_figures_show_progress_against_their_targets(cascade, people, login, tree):
    top, _edu_forward = cascade
    study = requirement(top, "study")
    study.set_figures([Figure.STUDY_SESSIONS, Figure.PARTICIPANTS], targets={"participants": 200})

    response = login(people.province).get(reverse("dashboard", args=[top.pk]))

    def cell(row):
        return next(c for c in row.cells if c.expected.figure_id == "participants")

    rows = rows_of(response)
    # The education union's subtree: itself 100, Jinan 40, SDU 320 + 50 (training passes
    # study on), the college nothing; only SDU reaches 200, of four units owing study.
    edu = cell(rows["山东省教育工会"])
    assert (edu.total, edu.units, edu.goal, edu.reached) == (510, 4, 800, 1)
    qingdao = cell(rows["青岛市总工会"])
    assert (qingdao.total, qingdao.units, qingdao.goal, qingdao.reached) == (0, 1, 200, 0)
    total = cell(response.context["total"])
    assert (total.total, total.goal, total.reached, total.percent) == (510, 1000, 1, 51)
    sessions = next(
        c for c in response.context["total"].cells if c.expected.figure_id == "study_sessions"
    )
    assert sessions.goal is None
    page = response.content.decode()
    figures = page[page.index('data-testid="figures"') :]
    assert "每单位目标200" in figures
    assert "5个单位中1个达标" in figures and "/ 1000" in figures


def test_unit_names_behind_a_number_link_to_their_task(cascade, people, login, tree):
    top, edu_forward = cascade
    response = login(people.province).get(
        reverse("dashboard_units", args=[top.pk]), {"unit": tree.edu.pk}
    )
    html = response.content.decode()

    for assignment in response.context["page"].object_list:
        link = reverse("assignment_detail", args=[assignment.pk])
        assert re.search(rf'<a href="{link}"[^>]*>{assignment.recipient.name}</a>', html), (
            assignment.recipient.name
        )
    assert "未办结" not in html
    entries = login(people.province).get(
        reverse("dashboard_entries", args=[top.pk]), {"unit": tree.edu.pk}
    )
    sdu = Assignment.objects.get(directive=edu_forward, recipient=tree.sdu)
    assert f'href="{reverse("assignment_detail", args=[sdu.pk])}"' in entries.content.decode()
