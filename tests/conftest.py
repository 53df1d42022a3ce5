"""A small union tree shaped like the seeds, and the personas that use it.

山东省总工会 (province)
├── 青岛市总工会 (qingdao)
│   ├── 组织部 (qd_department)
│   ├── 青岛市教育工会 (qd_sector)
│   │   └── 青岛第二中学工会 (qd_school)
│   └── 青岛市工人文化宫 (qd_institution)
└── 山东省教育工会 (edu)
    ├── 济南市教育工会 (jinan_edu)
    │   └── 济南第一中学工会 (jinan_school)
    └── 山东大学工会 (sdu)
        └── 文学院分工会 (sdu_college)
"""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from directives.models import Directive, Figure, Membership, Requirement, Union
from directives.services import directive_issue, directive_set_recipients

PASSWORD = "test-pass-2015"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Files that tests upload or export go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Background tasks run as they are queued, in the test's own transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def clock(monkeypatch):
    """Set the time everything in the project reads, without a time-travel library."""

    def set_to(moment):
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return set_to


@pytest.fixture
def tree(db):
    return make_tree()


def make_tree():
    """The tree drawn at the top of this module; each union fresh from the database."""
    province = Union.objects.add_root(
        {"code": "SD", "name": "山东省总工会", "kind": Union.Kind.FEDERATION}
    )
    qingdao = Union.objects.add_child(
        province, {"code": "QD", "name": "青岛市总工会", "kind": Union.Kind.FEDERATION}
    )
    edu = Union.objects.add_child(
        province, {"code": "SD-EDU", "name": "山东省教育工会", "kind": Union.Kind.SECTOR}
    )
    qd_department = Union.objects.add_child(
        qingdao, {"code": "QD-ORG", "name": "组织部", "kind": Union.Kind.DEPARTMENT}
    )
    qd_sector = Union.objects.add_child(
        qingdao, {"code": "QD-EDU", "name": "青岛市教育工会", "kind": Union.Kind.SECTOR}
    )
    qd_institution = Union.objects.add_child(
        qingdao, {"code": "QD-WKC", "name": "青岛市工人文化宫", "kind": Union.Kind.INSTITUTION}
    )
    qd_school = Union.objects.add_child(
        qd_sector, {"code": "QD-EDU-02", "name": "青岛第二中学工会", "kind": Union.Kind.GRASSROOTS}
    )
    jinan_edu = Union.objects.add_child(
        edu, {"code": "JN-EDU", "name": "济南市教育工会", "kind": Union.Kind.SECTOR}
    )
    jinan_school = Union.objects.add_child(
        jinan_edu, {"code": "JN-EDU-01", "name": "济南第一中学工会", "kind": Union.Kind.GRASSROOTS}
    )
    sdu = Union.objects.add_child(
        edu, {"code": "SDU", "name": "山东大学工会", "kind": Union.Kind.UNIVERSITY}
    )
    sdu_college = Union.objects.add_child(
        sdu, {"code": "SDU-WX", "name": "文学院分工会", "kind": Union.Kind.GRASSROOTS}
    )
    # Fresh copies: adding children leaves earlier Python objects with stale counts.
    return SimpleNamespace(
        **{k: Union.objects.get(pk=v.pk) for k, v in locals().items() if isinstance(v, Union)}
    )


def make_user(username, union, role, *, administrator=False, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    Membership.objects.create(user=user, union=union, role=role, administrator=administrator)
    return user


@pytest.fixture
def people(tree):
    return make_people(tree)


def make_people(tree):
    """Every persona the permission tests need, by the job they do."""
    role = Membership.Role
    return SimpleNamespace(
        province=make_user("province", tree.province, role.SUPERVISOR),
        edu=make_user("edu", tree.edu, role.SUPERVISOR),
        qingdao=make_user("qingdao", tree.qingdao, role.SUPERVISOR),
        sdu_staff=make_user("sdu_staff", tree.sdu, role.STAFF),
        sdu_supervisor=make_user("sdu_supervisor", tree.sdu, role.SUPERVISOR),
        jinan_staff=make_user("jinan_staff", tree.jinan_edu, role.STAFF),
        qd_staff=make_user("qd_staff", tree.qd_sector, role.STAFF),
        edu_staff=make_user("edu_staff", tree.edu, role.STAFF),
        loner=get_user_model().objects.create_user(username="loner", password=PASSWORD),
    )


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", password=PASSWORD)


@pytest.fixture
def login(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def make_directive(issuer, *, user=None, title="关于认真学习宣传贯彻会议精神的通知", **fields):
    directive = Directive.objects.create(issuer=issuer, title=title, created_by=user, **fields)
    study = Requirement.objects.create(
        directive=directive,
        kind=Requirement.Kind.STUDY,
        title="组织集体学习",
        due_on=datetime.date(2015, 10, 31),
        position=1,
    )
    study.set_figures([Figure.STUDY_SESSIONS, Figure.PARTICIPANTS])
    Requirement.objects.create(
        directive=directive,
        kind=Requirement.Kind.REPORT,
        title="报送学习贯彻情况",
        due_on=datetime.date(2015, 11, 30),
        position=2,
    )
    return directive


@pytest.fixture
def edu_directive(tree, people):
    """Issued by the education union to its direct subordinates (济南市教育工会, 山东大学工会)."""
    directive = make_directive(tree.edu, user=people.edu, number="鲁教工发〔2015〕12号")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive_issue(directive=directive)


@pytest.fixture
def edu_draft(tree, people):
    directive = make_directive(tree.edu, user=people.edu, title="草稿：关于开展调研的通知")
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive
