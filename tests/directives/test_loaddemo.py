import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from directives.models import (
    Assignment,
    Directive,
    ExpectedFigure,
    Membership,
    Requirement,
    Union,
)
from reports.models import (
    Completion,
    EntryFigure,
    ProgressEntry,
    Report,
    RequirementProgress,
    Submission,
)

PASSWORD = "demo-pass-2015"
PROVINCE_TITLE = (
    "山东省总工会关于学习贯彻中央、省委党的群团工作会议精神进一步推动工会工作创新发展的决议"
)
EDU_TITLE = "关于认真学习宣传贯彻中央党的群团工作会议精神的通知"
EDU_NUMBER = "鲁教工字〔2015〕21号"
QINGDAO_NUMBER = "青工发〔2017〕36号"
PROGRESS_MODELS = (ProgressEntry, EntryFigure, Completion, Report, Submission)


def loaddemo(*args):
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def logs_in(client, username):
    """Through the login form: the guard against password guessing needs the request."""
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    user = get_user_model().objects.get(username=username)
    return response.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk)


def snapshot():
    models = (Union, Membership, get_user_model(), Directive, Requirement, ExpectedFigure)
    counts = {
        model.__name__: model.objects.count() for model in (*models, Assignment, *PROGRESS_MODELS)
    }
    acknowledged = set(
        Assignment.objects.filter(acknowledged_at__isnull=False).values_list(
            "pk", "acknowledged_at", "acknowledged_by"
        )
    )
    return counts, acknowledged


def report_states():
    """Each report's unit, directive and state, and its submissions' decisions."""
    return sorted(
        (
            report.assignment.recipient.code,
            report.assignment.directive.number,
            report.state,
            tuple(report.submissions.values_list("decision", flat=True)),
        )
        for report in Report.objects.select_related(
            "assignment__recipient", "assignment__directive"
        )
    )


def parent_of(name):
    return Union.objects.get_parent(Union.objects.get(name=name))


@pytest.fixture
def demo(db):
    return loaddemo()


def test_builds_the_union_tree(demo):
    root = Union.objects.get(name="山东省总工会")
    assert root.is_root()
    assert Union.objects.get_parent(root) is None
    assert root.kind == Union.Kind.FEDERATION
    assert 30 <= Union.objects.count() <= 45

    edu = Union.objects.get(name="山东省教育工会")
    qingdao = Union.objects.get(name="青岛市总工会")
    assert parent_of("山东省教育工会") == root and parent_of("青岛市总工会") == root
    assert parent_of("山东大学工会") == edu
    assert Union.objects.get(name="山东大学工会").kind == Union.Kind.UNIVERSITY
    assert parent_of("济南市教育工会") == edu
    assert parent_of("组织部") == qingdao
    assert Union.objects.get(name="青岛市工人文化宫").kind == Union.Kind.INSTITUTION

    kinds = set(Union.objects.children_of(qingdao).values_list("kind", flat=True))
    assert kinds == {Union.Kind.SECTOR, Union.Kind.DEPARTMENT, Union.Kind.INSTITUTION}
    # Every city education union, university union and 市直工会 has grassroots unions.
    for parent in Union.objects.below(root).filter(
        kind__in=[Union.Kind.SECTOR, Union.Kind.UNIVERSITY]
    ):
        if parent == edu:
            continue
        children = Union.objects.children_of(parent)
        assert children.exists(), parent
        assert {child.kind for child in children} == {Union.Kind.GRASSROOTS}


def test_issues_the_three_seed_directives(demo):
    directives = Directive.objects.all()
    assert directives.count() == 3
    for directive in directives:
        assert directive.state == Directive.State.ISSUED
        assert directive.recipient_mode == Directive.RecipientMode.CHILDREN
        assert directive.body
        recipients = set(directive.assignments.values_list("recipient", flat=True))
        children = set(Union.objects.children_of(directive.issuer).values_list("pk", flat=True))
        assert recipients == children
        assert directive.requirements.count() >= 4
        for requirement in directive.requirements.all():
            assert requirement.figure_codes, requirement

    resolution = Directive.objects.get(issuer__code="SD")
    assert resolution.title == PROVINCE_TITLE
    assert resolution.kind == Directive.Kind.RESOLUTION
    assert resolution.number == ""
    assert resolution.issued_on.isoformat() == "2015-09-23"
    assert resolution.parent is None

    qingdao = Directive.objects.get(issuer__name="青岛市总工会")
    assert qingdao.kind == Directive.Kind.NOTICE
    assert qingdao.number.startswith("青工发〔2017〕")
    assert qingdao.issued_on.year == 2017 and qingdao.issued_on.month == 9
    assert "组织部" in qingdao.requirements.get(kind=Requirement.Kind.REPORT).description


def test_the_education_union_forwards_the_resolution(demo):
    resolution = Directive.objects.get(issuer__name="山东省总工会")
    notice = Directive.objects.get(issuer__name="山东省教育工会")
    assert notice.parent == resolution
    assert notice.chain() == [resolution]
    assert notice.title == EDU_TITLE
    assert notice.number.startswith("鲁教工字〔2015〕")
    assert notice.issued_on.isoformat() == "2015-09-24"

    kinds = set(notice.requirements.values_list("kind", flat=True))
    assert {"study", "training", "publicity", "research", "report"} <= kinds
    assert notice.requirements.filter(title__contains="轮训一遍").exists()
    forwarded = notice.requirements.exclude(source=None)
    assert forwarded.count() == notice.requirements.count()
    for requirement in forwarded:
        assert requirement.source.directive == resolution
        assert requirement.due_on <= requirement.source.due_on
        requirement.full_clean()


def test_acknowledges_some_assignments_only(demo):
    acknowledged = Assignment.objects.filter(acknowledged_at__isnull=False)
    assert acknowledged.exists()
    assert Assignment.objects.filter(acknowledged_at=None).exists()
    for assignment in acknowledged:
        assert assignment.acknowledged_by.membership.union == assignment.recipient


def test_creates_a_user_for_every_role(demo, client):
    expected = {
        "admin": ("supervisor", True, "山东省总工会"),
        "eduadmin": ("supervisor", True, "山东省教育工会"),
        "province": ("supervisor", False, "山东省总工会"),
        "edu": ("supervisor", False, "山东省教育工会"),
        "qingdao": ("supervisor", True, "青岛市总工会"),
        "staff": ("staff", False, "山东大学工会"),
    }
    for username, (role, administrator, union) in expected.items():
        user = get_user_model().objects.get(username=username)
        membership = user.membership
        assert (membership.role, membership.administrator, membership.union.name) == (
            role,
            administrator,
            union,
        )
        assert user.last_name and user.first_name
        assert user.check_password(PASSWORD)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not get_user_model().objects.get(username="province").is_superuser
    assert logs_in(client, "province")


def test_prints_the_users_and_the_password(demo):
    for user in get_user_model().objects.all():
        assert f"{user.username} / {PASSWORD}" in demo
    assert PASSWORD in demo
    assert EDU_TITLE in demo


def entries_on(number):
    return ProgressEntry.objects.filter(assignment__directive__number=number)


def test_units_log_progress_with_figures(demo):
    edu_units = set(entries_on(EDU_NUMBER).values_list("assignment__recipient__name", flat=True))
    assert "山东大学工会" in edu_units and len(edu_units) >= 2
    assert entries_on(QINGDAO_NUMBER).exists()
    assert not entries_on("").exists()

    for entry in ProgressEntry.objects.select_related(
        "assignment__directive", "assignment__recipient", "author__membership", "requirement"
    ):
        directive = entry.assignment.directive
        assert entry.requirement.directive == directive
        assert entry.author.membership.union == entry.assignment.recipient
        assert entry.assignment.acknowledged_at is not None
        assert entry.narrative.strip()
        assert directive.issued_on <= entry.occurred_on, entry
        assert entry.occurred_on.year == directive.issued_on.year, entry
        assert entry.occurred_on.month in (9, 10, 11), entry
        figures = entry.figure_values
        assert figures, entry
        assert set(figures) <= set(entry.requirement.figure_codes), entry
        assert all(value > 0 for value in figures.values())
        assert not entry.evidence.exists()


def test_units_mark_done_the_requirements_they_worked_on(demo):
    completions = Completion.objects.select_related(
        "assignment__recipient", "assignment__directive", "requirement", "done_by__membership"
    )
    assert sorted(
        (c.assignment.recipient.code, c.assignment.directive.number, c.requirement.position)
        for c in completions
    ) == [
        ("QD-WKC", QINGDAO_NUMBER, 10),
        ("QD-WKC", QINGDAO_NUMBER, 20),
        ("QD-WKC", QINGDAO_NUMBER, 30),
        ("SDU", EDU_NUMBER, 10),
        ("SDU", EDU_NUMBER, 15),
        ("SDU", EDU_NUMBER, 20),
    ]
    for completion in completions:
        assert completion.done_by.membership.union == completion.assignment.recipient
        assert completion.assignment.progress_entries.filter(
            requirement=completion.requirement
        ).exists()


def test_one_report_awaits_review_and_one_is_accepted(demo):
    assert report_states() == [
        ("QD-WKC", QINGDAO_NUMBER, Report.State.ACCEPTED, (Submission.Decision.ACCEPTED,)),
        ("SDU", EDU_NUMBER, Report.State.SUBMITTED, ("",)),
    ]
    edu = Union.objects.get(code="SD-EDU")
    waiting = Report.objects.awaiting_review_by(edu).get()
    assert waiting.assignment.recipient.code == "SDU"
    assert waiting.submissions.get().submitted_by.username == "staff"

    accepted = Report.objects.get(state=Report.State.ACCEPTED)
    submission = accepted.submissions.get()
    assert submission.submitted_by.membership.union == accepted.assignment.recipient
    assert submission.reviewed_by.username == "qingdao"
    for report in Report.objects.all():
        assert report.text.strip() and report.first_submitted_at
        # The report states the unit's own totals, as they stand in its entries.
        entries = EntryFigure.objects.filter(entry__assignment=report.assignment)
        assert sum(f.value for f in report.figures.all()) == sum(f.value for f in entries)
        assert report.submissions.get().figures


def test_every_author_is_printed_and_can_log_in(demo, client):
    authors = set(ProgressEntry.objects.values_list("author__username", flat=True))
    assert "staff" in authors
    for username in authors:
        assert username in demo
        assert logs_in(client, username)


def test_a_second_run_changes_nothing(demo):
    before = snapshot(), report_states()
    histories = [model.history.count() for model in PROGRESS_MODELS]
    with translation.override("en"):
        output = loaddemo()
    assert (snapshot(), report_states()) == before
    assert [model.history.count() for model in PROGRESS_MODELS] == histories
    assert "already present" in output
    assert "province" in output and PASSWORD in output
    assert f"山东大学工会 on {EDU_NUMBER}: 4 progress entries; report: Submitted" in output


def test_a_partial_set_is_completed_not_duplicated(demo):
    complete = snapshot(), report_states()
    Directive.objects.get(issuer__name="青岛市总工会").delete()
    get_user_model().objects.filter(username="staff").delete()
    loaddemo()
    counts, acknowledged = snapshot()
    assert counts == complete[0][0]
    assert len(acknowledged) == len(complete[0][1])
    assert report_states() == complete[1]


def test_progress_is_added_to_a_database_loaded_without_it(demo):
    complete = snapshot(), report_states()
    for model in PROGRESS_MODELS:
        model.objects.all().delete()
    with translation.override("en"):
        output = loaddemo()
    assert "has been completed" in output
    assert snapshot()[0] == complete[0][0]
    assert report_states() == complete[1]


@pytest.mark.django_db
def test_if_empty_does_nothing_when_any_union_exists():
    Union.objects.add_root({"code": "OTHER", "name": "某市总工会", "kind": "federation"})
    output = loaddemo("--if-empty")
    assert list(Union.objects.values_list("code", flat=True)) == ["OTHER"]
    assert not get_user_model().objects.exists()
    assert len(output.strip().splitlines()) == 1


@pytest.mark.django_db
def test_if_empty_loads_an_empty_database():
    loaddemo("--if-empty")
    assert Union.objects.filter(name="山东省总工会").exists()
    assert Directive.objects.count() == 3


def test_events_are_dated_in_their_storys_time_not_when_the_command_runs(demo):
    """A 2015 directive is acknowledged, worked on, reported on and reviewed in 2015."""
    for assignment in Assignment.objects.filter(acknowledged_at__isnull=False).select_related(
        "directive"
    ):
        lag = timezone.localdate(assignment.acknowledged_at) - assignment.directive.issued_on
        assert datetime.timedelta(0) <= lag <= datetime.timedelta(days=7), assignment
    for entry in ProgressEntry.objects.select_related("assignment__directive"):
        assert timezone.localdate(entry.created_at) == entry.occurred_on
    for completion in Completion.objects.select_related("requirement"):
        assert timezone.localdate(completion.done_at) <= completion.requirement.due_on
    for submission in Submission.objects.select_related("report__assignment__directive"):
        directive = submission.report.assignment.directive
        assert timezone.localdate(submission.submitted_at) <= directive.report_due_on
        assert submission.report.submitted_at == submission.submitted_at
        if submission.reviewed_at:
            assert submission.reviewed_at.year == directive.issued_on.year
    # The dashboards count a requirement done on the day the union said so.
    done_on = set(
        RequirementProgress.objects.exclude(done_on=None).values_list("done_on", flat=True)
    )
    assert done_on and all(day.year in (2015, 2017) for day in done_on)
