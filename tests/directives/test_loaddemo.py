from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from directives.models import (
    Assignment,
    Directive,
    ExpectedFigure,
    Membership,
    Requirement,
    Union,
)

PASSWORD = "demo-pass-2015"
PROVINCE_TITLE = (
    "山东省总工会关于学习贯彻中央、省委党的群团工作会议精神进一步推动工会工作创新发展的决议"
)
EDU_TITLE = "关于认真学习宣传贯彻中央党的群团工作会议精神的通知"


def loaddemo(*args):
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    models = (Union, Membership, get_user_model(), Directive, Requirement, ExpectedFigure)
    counts = {model.__name__: model.objects.count() for model in (*models, Assignment)}
    acknowledged = set(
        Assignment.objects.filter(acknowledged_at__isnull=False).values_list(
            "pk", "acknowledged_at", "acknowledged_by"
        )
    )
    return counts, acknowledged


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
        "admin": ("admin", "山东省总工会"),
        "province": ("supervisor", "山东省总工会"),
        "edu": ("supervisor", "山东省教育工会"),
        "qingdao": ("supervisor", "青岛市总工会"),
        "staff": ("staff", "山东大学工会"),
    }
    for username, (role, union) in expected.items():
        user = get_user_model().objects.get(username=username)
        assert (user.membership.role, user.membership.union.name) == (role, union)
        assert user.last_name and user.first_name
        assert user.check_password(PASSWORD)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not get_user_model().objects.get(username="province").is_superuser
    assert client.login(username="province", password=PASSWORD)


def test_prints_the_users_and_the_password(demo):
    for username in ("admin", "province", "edu", "qingdao", "staff"):
        assert username in demo
    assert PASSWORD in demo
    assert EDU_TITLE in demo


def test_a_second_run_changes_nothing(demo):
    before = snapshot()
    with translation.override("en"):
        output = loaddemo()
    assert snapshot() == before
    assert "already present" in output
    assert "province" in output and PASSWORD in output


def test_a_partial_set_is_completed_not_duplicated(demo):
    complete = snapshot()
    Directive.objects.get(issuer__name="青岛市总工会").delete()
    get_user_model().objects.filter(username="staff").delete()
    loaddemo()
    counts, acknowledged = snapshot()
    assert counts == complete[0]
    assert len(acknowledged) == len(complete[1])


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
