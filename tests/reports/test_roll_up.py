"""The roll-up (汇总): what a union's whole subtree did on a directive, for its own report upward.

The cascade: 山东省总工会 sends a notice to 山东省教育工会, which forwards it to 济南市教育工会
and 山东大学工会; 山东大学工会 forwards it on to 文学院分工会 (asking for the report by 11-20),
while 济南市教育工会's forward to 济南第一中学工会 is still a draft. Every level logs progress
on the study requirement (study sessions, participants); the roll-up must add each
unit's entries once, and leave out the draft forward and unrelated directives.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from directives.models import Assignment, Directive, Figure, Membership, Requirement
from directives.services import directive_forward, directive_issue, directive_set_recipients
from reports.models import ProgressEntry, Report, ReportFigure, Submission
from reports.services import (
    progress_entry_save,
    report_for,
    report_review,
    report_save,
    report_submit,
)
from tests.conftest import make_directive, make_user
from tests.files import png_bytes

UTC = datetime.UTC
SESSIONS, PARTICIPANTS = Figure.STUDY_SESSIONS.value, Figure.PARTICIPANTS.value


@pytest.fixture
def cascade(tree, people, edu_directive, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    college_staff = make_user("college_staff", tree.sdu_college, Membership.Role.STAFF)

    province = make_directive(
        tree.province,
        user=people.province,
        title="关于深入学习宣传贯彻全国劳模大会精神的通知",
        number="鲁工发〔2015〕30号",
    )
    directive_set_recipients(
        directive=province, mode=Directive.RecipientMode.SELECTED, selected=[tree.edu]
    )
    province = directive_issue(directive=province)
    edu_forward = directive_issue(
        directive=directive_forward(directive=province, union=tree.edu, user=people.edu)
    )
    sdu_forward = directive_forward(
        directive=edu_forward, union=tree.sdu, user=people.sdu_supervisor
    )
    sdu_forward.requirements.filter(kind=Requirement.Kind.REPORT).update(
        due_on=datetime.date(2015, 11, 20)
    )
    sdu_forward = directive_issue(directive=sdu_forward)
    jinan_draft = directive_forward(directive=edu_forward, union=tree.jinan_edu, user=None)
    assert jinan_draft.state == Directive.State.DRAFT

    def log(directive, union, on, narrative, figures=None, *, user=None, files=(), kind="study"):
        entry = ProgressEntry(
            assignment=directive.assignments.get(recipient=union),
            requirement=directive.requirements.get(kind=kind),
            occurred_on=datetime.date(2015, *on),
            narrative=narrative,
        )
        return progress_entry_save(entry=entry, figures=figures or {}, files=files, user=user)

    evidence_file = SimpleUploadedFile("学习现场.png", png_bytes(), content_type="image/png")
    entries = {
        "edu": log(
            province, tree.edu, (10, 10), "省教育工会机关集中学习", {SESSIONS: 1, PARTICIPANTS: 30}
        ),
        "sdu_early": log(
            edu_forward,
            tree.sdu,
            (10, 12),
            "校工会召开学习会",
            {SESSIONS: 2, PARTICIPANTS: 150},
            user=people.sdu_staff,
        ),
        "jinan": log(
            edu_forward,
            tree.jinan_edu,
            (10, 20),
            "济南市教育系统专题学习",
            {SESSIONS: 4, PARTICIPANTS: 200},
            user=people.jinan_staff,
        ),
        "sdu_late": log(
            edu_forward,
            tree.sdu,
            (10, 25),
            "校工会委员专题研讨",
            {SESSIONS: 1, PARTICIPANTS: 40},
            user=people.sdu_staff,
        ),
        "college": log(
            sdu_forward,
            tree.sdu_college,
            (10, 28),
            "文学院教职工集体学习",
            {SESSIONS: 3, PARTICIPANTS: 85},
            user=college_staff,
            files=[(evidence_file, "image/png", "学习现场.png")],
        ),
        "jinan_report": log(
            edu_forward,
            tree.jinan_edu,
            (11, 5),
            "起草学习贯彻情况报告",
            kind=Requirement.Kind.REPORT,
        ),
        # Neither may count: a forward still in draft, and another directive altogether.
        "draft_forward": log(
            jinan_draft,
            tree.jinan_school,
            (10, 30),
            "济南一中草稿通知下的学习",
            {SESSIONS: 10, PARTICIPANTS: 1000},
        ),
        "other_directive": log(
            edu_directive,
            tree.sdu,
            (10, 29),
            "另一份通知的学习",
            {SESSIONS: 7, PARTICIPANTS: 700},
            user=people.sdu_staff,
        ),
    }
    return SimpleNamespace(
        province=province,
        edu_forward=edu_forward,
        sdu_forward=sdu_forward,
        jinan_draft=jinan_draft,
        entries=entries,
        evidence=entries["college"].evidence.get(),
        college_staff=college_staff,
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def study_of(directive):
    return directive.requirements.get(kind=Requirement.Kind.STUDY)


def edu_assignment(cascade, tree):
    return cascade.province.assignments.get(recipient=tree.edu)


def roll_up_panel(response):
    html = response.content.decode()
    panel = html[html.index('data-testid="roll-up"') :]
    return panel[: panel.index("</section>")]


def browser_post(response, **changes):
    """What a browser sends back from the report form as drawn, with some fields changed."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields if name != "files"}
    data = {name: "" if value is None else value for name, value in data.items()}
    data.update(changes)
    return data


def in_language(response, text):
    with translation.override(response.headers["Content-Language"]):
        return translation.gettext(text)


def test_the_roll_up_adds_every_unit_beneath_once(cascade, tree, people):
    study = study_of(cascade.province)
    # 省教育工会 1/30 + 山东大学 2/150 and 1/40 + 文学院 3/85 + 济南 4/200; the draft
    # forward (10/1000) and the other directive (7/700) are left out.
    expected = {(study.pk, SESSIONS): 11, (study.pk, PARTICIPANTS): 505}

    response = client_for(people.edu).get(
        reverse("report_edit", args=[edu_assignment(cascade, tree).pk])
    )

    assert response.status_code == 200
    assert response.context["roll_up"].figures == expected
    shown = re.sub(r"<[^>]+>", "", roll_up_panel(response))
    with translation.override(response.headers["Content-Language"]):
        assert re.search(rf"{Figure.STUDY_SESSIONS.label}\W*11(?!\d)", shown)
        assert re.search(rf"{Figure.PARTICIPANTS.label}\W*505(?!\d)", shown)


def test_a_middle_union_rolls_up_only_its_own_subtree(cascade, tree, people):
    study = study_of(cascade.edu_forward)
    assignment = cascade.edu_forward.assignments.get(recipient=tree.sdu)

    response = client_for(people.sdu_staff).get(reverse("report_edit", args=[assignment.pk]))

    # 山东大学 2/150 and 1/40 + 文学院 3/85.
    assert response.context["roll_up"].figures == {
        (study.pk, SESSIONS): 6,
        (study.pk, PARTICIPANTS): 275,
    }


def test_a_unit_counted_below_is_not_counted_again_through_its_report(cascade, tree, people):
    sdu_assignment = cascade.edu_forward.assignments.get(recipient=tree.sdu)
    sdu = client_for(people.sdu_staff)
    sdu.post(reverse("report_roll_up", args=[sdu_assignment.pk]))
    response = sdu.get(reverse("report_edit", args=[sdu_assignment.pk]))
    sdu.post(reverse("report_edit", args=[sdu_assignment.pk]), browser_post(response, submit="1"))
    sdu_report = Report.objects.get(assignment=sdu_assignment)
    assert sdu_report.state == Report.State.SUBMITTED
    assert {f.figure: f.value for f in sdu_report.figures.all()} == {
        SESSIONS: 6,
        PARTICIPANTS: 275,
    }

    response = client_for(people.edu).get(
        reverse("report_edit", args=[edu_assignment(cascade, tree).pk])
    )

    study = study_of(cascade.province)
    assert response.context["roll_up"].figures == {
        (study.pk, SESSIONS): 11,
        (study.pk, PARTICIPANTS): 505,
    }


def test_writing_the_draft_from_the_roll_up(cascade, tree, people):
    assignment = edu_assignment(cascade, tree)
    study = study_of(cascade.province)
    edu = client_for(people.edu)

    response = edu.post(reverse("report_roll_up", args=[assignment.pk]))

    assert response.status_code == 302
    assert response.url == reverse("report_edit", args=[assignment.pk])
    report = Report.objects.get(assignment=assignment)
    assert report.state == Report.State.DRAFT
    assert {(f.requirement_id, f.figure): f.value for f in ReportFigure.objects.all()} == {
        (study.pk, SESSIONS): 11,
        (study.pk, PARTICIPANTS): 505,
    }
    text = report.text
    for name in ["山东省教育工会", "文学院分工会", "山东大学工会", "济南市教育工会"]:
        assert name in text
    assert "济南第一中学工会" not in text
    assert "济南一中草稿通知下的学习" not in text
    assert "另一份通知的学习" not in text
    with translation.override("zh-hans"):
        assert f"{Figure.STUDY_SESSIONS.label}：11" in text
        assert f"{Figure.PARTICIPANTS.label}：505" in text
    # Evidence by its file name, never a link that means nothing on paper.
    assert "佐证材料：学习现场.png" in text
    assert reverse("evidence_download", args=[cascade.evidence.pk]) not in text
    # Five study entries were logged in the subtree, one the education union's own (quoted
    # apart): of the four beneath, three are quoted, and the draft says so.
    assert "另有1条" in text
    assert "下级单位：按时报送0个" in text


def test_the_draft_of_a_union_with_no_units_beneath_has_no_units_line(cascade, tree, people):
    college = Assignment.objects.get(recipient=tree.sdu_college)
    client = client_for(get_user_model().objects.get(username="college_staff"))

    client.post(reverse("report_roll_up", args=[college.pk]))

    text = Report.objects.get(assignment=college).text
    assert "文学院教职工集体学习" in text
    assert "下级单位" not in text
    assert "另有" not in text


def test_excerpts_name_their_unit_and_link_their_evidence(cascade, tree, people):
    study = study_of(cascade.province)
    report_back = cascade.province.requirements.get(kind=Requirement.Kind.REPORT)

    response = client_for(people.edu).get(
        reverse("report_edit", args=[edu_assignment(cascade, tree).pk])
    )

    excerpts = response.context["roll_up"].excerpts
    # The three most recent counted entries; the draft forward's later entry is not one.
    assert [(e.union.name, e.entry) for e in excerpts[study.pk]] == [
        ("文学院分工会", cascade.entries["college"]),
        ("山东大学工会", cascade.entries["sdu_late"]),
        ("济南市教育工会", cascade.entries["jinan"]),
    ]
    assert [(e.union.name, e.entry) for e in excerpts[report_back.pk]] == [
        ("济南市教育工会", cascade.entries["jinan_report"])
    ]
    panel = roll_up_panel(response)
    assert "另有1条" in panel
    assert re.search(r"文学院分工会（[^）]+）：文学院教职工集体学习", panel)
    assert re.search(r"山东大学工会（[^）]+）：校工会委员专题研讨", panel)
    assert reverse("evidence_download", args=[cascade.evidence.pk]) in panel
    assert "济南第一中学工会" not in panel


def test_the_generated_draft_stays_editable(cascade, tree, people):
    assignment = edu_assignment(cascade, tree)
    study = study_of(cascade.province)
    edu = client_for(people.edu)
    edu.post(reverse("report_roll_up", args=[assignment.pk]))
    generated = Report.objects.get(assignment=assignment).text

    response = edu.get(reverse("report_edit", args=[assignment.pk]))
    assert 'data-testid="report-form"' in response.content.decode()
    assert response.context["form"]["text"].value() == generated
    response = edu.post(
        reverse("report_edit", args=[assignment.pk]),
        browser_post(
            response,
            text=generated + "\n下一步将继续深化学习。",
            **{f"figure_{study.pk}_{PARTICIPANTS}": "510"},
        ),
    )

    assert response.status_code == 302
    report = Report.objects.get(assignment=assignment)
    assert report.state == Report.State.DRAFT
    assert report.text.endswith("下一步将继续深化学习。")
    assert {f.figure: f.value for f in report.figures.all()} == {SESSIONS: 11, PARTICIPANTS: 510}


def test_a_form_opened_before_the_roll_up_cannot_overwrite_it(cascade, tree, people):
    assignment = edu_assignment(cascade, tree)
    edu = client_for(people.edu)
    stale = edu.get(reverse("report_edit", args=[assignment.pk]))

    edu.post(reverse("report_roll_up", args=[assignment.pk]))
    generated = Report.objects.get(assignment=assignment).text
    response = edu.post(
        reverse("report_edit", args=[assignment.pk]), browser_post(stale, text="旧页面里的草稿")
    )

    assert response.status_code == 409
    assert "旧页面里的草稿" in response.content.decode()
    assert Report.objects.get(assignment=assignment).text == generated


def test_the_roll_up_is_refused_on_a_submitted_report(cascade, tree, people):
    assignment = edu_assignment(cascade, tree)
    edu = client_for(people.edu)
    response = edu.get(reverse("report_edit", args=[assignment.pk]))
    edu.post(
        reverse("report_edit", args=[assignment.pk]),
        browser_post(response, text="我们自己写的报告", submit="1"),
        follow=True,
    )
    report = Report.objects.get(assignment=assignment)
    assert report.state == Report.State.SUBMITTED
    before = (report.text, report.version, list(report.figures.values_list("figure", "value")))

    response = edu.post(reverse("report_roll_up", args=[assignment.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        in_language(response, "A submitted or accepted report cannot be changed.")
    ]
    report.refresh_from_db()
    assert report.state == Report.State.SUBMITTED
    assert (report.text, report.version, list(report.figures.values_list("figure", "value"))) == (
        before
    )
    assert report.submissions.get().text == "我们自己写的报告"


def submit_at(clock, moment, assignment, user, text="情况报告"):
    clock(moment)
    report = report_save(report=report_for(assignment), text=text, figures={})
    return report_submit(report=report, user=user)


def test_unit_counts_follow_each_units_report_state(cascade, tree, people, clock):
    jinan = cascade.edu_forward.assignments.get(recipient=tree.jinan_edu)
    sdu = cascade.edu_forward.assignments.get(recipient=tree.sdu)
    college = cascade.sdu_forward.assignments.get(recipient=tree.sdu_college)
    url = reverse("report_edit", args=[edu_assignment(cascade, tree).pk])
    edu = client_for(people.edu)

    # 11-25 in Shanghai: 山东大学工会 reported on 11-22 (due 11-30); 济南市教育工会 has not
    # reported and is not yet due; 文学院分工会 was due on 11-20 and has not reported.
    submit_at(clock, datetime.datetime(2015, 11, 22, 2, 0, tzinfo=UTC), sdu, people.sdu_staff)
    clock(datetime.datetime(2015, 11, 25, 4, 0, tzinfo=UTC))
    units = edu.get(url).context["roll_up"].unions
    assert units == {"on_time": 1, "late": 0, "returned": 0, "pending": 1, "missing": 1}

    # 文学院分工会 reports on 11-26, late; 济南市教育工会 on 11-28, and is sent back.
    submit_at(
        clock, datetime.datetime(2015, 11, 26, 2, 0, tzinfo=UTC), college, cascade.college_staff
    )
    jinan_report = submit_at(
        clock, datetime.datetime(2015, 11, 28, 2, 0, tzinfo=UTC), jinan, people.jinan_staff
    )
    report_review(
        report=jinan_report, user=people.edu, decision=Submission.Decision.RETURNED, comment="补充"
    )
    clock(datetime.datetime(2015, 12, 5, 4, 0, tzinfo=UTC))
    response = edu.get(url)
    assert response.context["roll_up"].unions == {
        "on_time": 1,
        "late": 1,
        "returned": 1,
        "pending": 0,
        "missing": 0,
    }

    sdu_units = client_for(people.sdu_staff).get(reverse("report_edit", args=[sdu.pk]))
    assert sdu_units.context["roll_up"].unions == {
        "on_time": 0,
        "late": 1,
        "returned": 0,
        "pending": 0,
        "missing": 0,
    }


def test_the_generated_text_counts_the_units(cascade, tree, people, clock):
    sdu = cascade.edu_forward.assignments.get(recipient=tree.sdu)
    submit_at(clock, datetime.datetime(2015, 11, 22, 2, 0, tzinfo=UTC), sdu, people.sdu_staff)
    clock(datetime.datetime(2015, 11, 25, 4, 0, tzinfo=UTC))
    assignment = edu_assignment(cascade, tree)

    client_for(people.edu).post(reverse("report_roll_up", args=[assignment.pk]))

    text = Report.objects.get(assignment=assignment).text
    with translation.override("zh-hans"):
        line = translation.gettext(
            "Units beneath us: %(on_time)s reported on time, %(late)s late, %(returned)s "
            "returned for changes, %(pending)s not yet due, %(missing)s missing."
        ) % {"on_time": 1, "late": 0, "returned": 0, "pending": 1, "missing": 1}
    assert line in text


def test_the_roll_up_shows_the_unions_own_work_apart(cascade, tree, people):
    study = study_of(cascade.province)
    response = client_for(people.edu).get(
        reverse("report_edit", args=[edu_assignment(cascade, tree).pk])
    )
    roll_up = response.context["roll_up"]
    assert [e.entry for e in roll_up.own[study.pk]] == [cascade.entries["edu"]]
    assert all(e.union != tree.edu for e in roll_up.excerpts[study.pk])
    panel = roll_up_panel(response)
    own = panel[panel.index("data-own-work") :]
    own = own[: own.index("</ul>")]
    assert "省教育工会机关集中学习" in own
    assert "山东大学工会" not in own
    beneath = panel[panel.index("data-beneath") :]
    assert "省教育工会机关集中学习" not in beneath
    assert "本单位工作：" in panel and "下级单位：" in panel


def test_the_roll_up_counts_units_against_the_target(cascade, tree, people):
    study = study_of(cascade.province)
    study.expected_figures.filter(figure=PARTICIPANTS).update(target=100)
    assignment = edu_assignment(cascade, tree)
    edu = client_for(people.edu)

    response = edu.get(reverse("report_edit", args=[assignment.pk]))

    # Four units owe study beneath the education union, itself included: it logged 30,
    # SDU 190, Jinan 200 and the college 85, so two reach 100.
    goal = response.context["roll_up"].goals[(study.pk, PARTICIPANTS)]
    assert (goal.target, goal.units, goal.reached, goal.goal) == (100, 4, 2, 400)
    panel = roll_up_panel(response)
    assert "／目标400（每单位100），4个单位中2个达标" in panel
    edu.post(reverse("report_roll_up", args=[assignment.pk]))
    text = Report.objects.get(assignment=assignment).text
    assert "参加人次：505 ／目标400（每单位100），4个单位中2个达标" in text
