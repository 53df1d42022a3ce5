"""The union tree page of the app: an administrator's subtree with the units and users
beneath each union, a search by name or code, links to edit, deactivated unions apart."""

import pytest
from django.urls import reverse

from directives.models import Membership, Union
from directives.services import union_merge, unions_deactivate
from tests.conftest import make_user

TREE = reverse("union_tree")


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.STAFF, administrator=True)


def rows(response, key="active"):
    return {union.code: union for union in response.context[key]}


def test_an_administrator_sees_their_subtree_with_what_lies_beneath_each_union(
    login, edu_admin, people
):
    response = login(edu_admin).get(TREE)

    found = rows(response)
    assert list(found) == ["SD-EDU", "JN-EDU", "JN-EDU-01", "SDU", "SDU-WX"]
    assert (found["SD-EDU"].units_beneath, found["SD-EDU"].user_count) == (4, 6)
    assert (found["JN-EDU"].units_beneath, found["JN-EDU"].user_count) == (1, 1)
    assert (found["SDU"].units_beneath, found["SDU"].user_count) == (1, 2)
    assert (found["SDU-WX"].units_beneath, found["SDU-WX"].user_count) == (0, 0)
    page = response.content.decode()
    assert reverse("admin:directives_union_change", args=[found["SDU"].pk]) in page
    assert "青岛" not in page


def test_deactivated_users_are_not_counted(login, edu_admin, people):
    people.sdu_staff.is_active = False
    people.sdu_staff.save()

    found = rows(login(edu_admin).get(TREE))

    assert found["SDU"].user_count == 1


def test_a_search_by_name_or_code_lists_matches_with_the_unions_above(login, edu_admin, tree):
    Union.objects.add_child(
        Union.objects.get(pk=tree.jinan_edu.pk),
        {"code": "JN-WX", "name": "文学院分工会", "kind": Union.Kind.GRASSROOTS},
    )
    client = login(edu_admin)

    by_name = client.get(TREE, {"q": "文学院"})
    by_code = client.get(TREE, {"q": "sdu-wx"})

    assert list(rows(by_name)) == ["JN-WX", "SDU-WX"]
    assert [u.name for u in rows(by_name)["SDU-WX"].above] == ["山东省教育工会", "山东大学工会"]
    assert "山东大学工会 ›" in by_name.content.decode()
    assert list(rows(by_code)) == ["SDU-WX"]


def test_deactivated_and_merged_unions_are_listed_apart(login, edu_admin, tree):
    unions_deactivate(unions=[tree.jinan_school])
    union_merge(union=tree.sdu_college, into=tree.jinan_edu)

    response = login(edu_admin).get(TREE)

    assert "JN-EDU-01" not in rows(response) and "SDU-WX" not in rows(response)
    assert list(rows(response, "inactive")) == ["JN-EDU-01", "SDU-WX"]
    page = response.content.decode()
    assert "已停用的单位和已合并的单位" in page
    assert "已并入济南市教育工会（JN-EDU）" in page


def test_a_superuser_sees_the_whole_tree(login, superuser, tree):
    assert len(rows(login(superuser).get(TREE))) == Union.objects.count()


def test_people_without_the_administrator_role_are_told_who_has_it(login, edu_admin, people):
    response = login(people.edu).get(TREE)

    assert response.status_code == 403
    assert "需要“管理员”角色" in response.content.decode()
    assert "edu_admin" in response.content.decode()


def test_the_page_asks_the_same_few_queries_however_big_the_tree(
    login, edu_admin, tree, django_assert_num_queries
):
    client = login(edu_admin)
    client.get(TREE)
    with django_assert_num_queries(7):
        client.get(TREE)
    parent = Union.objects.get(pk=tree.sdu.pk)
    for n in range(30):
        unit = Union.objects.add_child(
            parent, {"code": f"SDU-{n:02}", "name": f"第{n}分工会", "kind": Union.Kind.GRASSROOTS}
        )
        make_user(f"user{n}", unit, Membership.Role.STAFF)
        parent = Union.objects.get(pk=parent.pk)

    with django_assert_num_queries(7):
        response = client.get(TREE)

    assert rows(response)["SDU"].units_beneath == 31
    assert rows(response)["SDU"].user_count == 30
