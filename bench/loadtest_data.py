"""The data `make loadtest` serves: the demo set, grown by a synthetic subtree of a few
thousand unions under the demo's education union, one directive reaching every one of
them, and a staff user for each.

The directive goes out through the app's own services, as the issue page sends it, so
every union has an assignment and the dashboards' summary rows. The users are inserted
in bulk with one password hash computed once: hashing thousands of passwords one by one
would take minutes.
"""

import datetime
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bench.province import build_tree
from directives.models import Directive, Figure, Membership, Requirement, Union
from directives.services import directive_issue, directive_set_recipients

PASSWORD = "load-pass-2015"
USERNAME = "load-{code}"  # one per synthetic union, from the union's code
EDUCATION_UNION = "SD-EDU"  # the demo's 山东省教育工会, which issues the directive

# (kind, days from today to the due day, title, figures asked for): two ask for figures,
# two for none, so the posted forms differ the way real ones do.
REQUIREMENTS = (
    (Requirement.Kind.STUDY, 20, "组织职工集中学习", [Figure.STUDY_SESSIONS, Figure.PARTICIPANTS]),
    (Requirement.Kind.PUBLICITY, 30, "开展宣传报道", [Figure.ARTICLES]),
    (Requirement.Kind.IMPLEMENTATION, 45, "制定落实措施", []),
    (Requirement.Kind.REPORT, 60, "报送落实情况", []),
)


@transaction.atomic
def build(unions=3000, levels=4, prefix="LT"):
    """Load the demo data, grow `unions` unions under the education union, send them a
    directive and give each a staff user; return the user names, in tree order."""
    call_command("loaddemo", stdout=io.StringIO())
    education = Union.objects.get(code=EDUCATION_UNION)
    root = build_tree(unions, levels=levels, prefix=prefix, parent=education)
    issue_directive(education)
    return create_staff(Union.objects.in_subtree(root))


def issue_directive(issuer):
    """A notice from `issuer` to every union beneath it, at all levels, issued today."""
    today = timezone.localdate()
    author = Membership.objects.filter(union=issuer).select_related("user").first()
    directive = Directive.objects.create(
        issuer=issuer,
        number="鲁教工字〔2026〕9号",
        title="关于做好工作进展填报的通知（压力测试）",
        body="请各单位按要求组织学习和宣传，及时填报工作进展。",
        recipient_mode=Directive.RecipientMode.SUBTREE,
        created_by=author.user if author else None,
    )
    for position, (kind, days, title, figures) in enumerate(REQUIREMENTS, start=1):
        requirement = Requirement.objects.create(
            directive=directive,
            kind=kind,
            title=title,
            due_on=today + datetime.timedelta(days=days),
            position=position,
        )
        requirement.set_figures(figures)
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.SUBTREE)
    return directive_issue(directive=directive)


def create_staff(unions):
    """One staff user per union, all with PASSWORD; return their user names."""
    User = get_user_model()
    password = make_password(PASSWORD)
    unions = list(unions.values_list("pk", "code"))
    users = User.objects.bulk_create(
        [User(username=USERNAME.format(code=code), password=password) for _pk, code in unions],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, union_id=pk, role=Membership.Role.STAFF)
            for user, (pk, _code) in zip(users, unions, strict=True)
        ],
        batch_size=2000,
    )
    return [user.username for user in users]
