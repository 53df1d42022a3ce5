import pytest
from treebeard.exceptions import InvalidMoveToDescendant

from directives.access import in_scope, unions_in_scope
from directives.models import Membership, Union


def names(queryset):
    return {union.name for union in queryset}


def test_subtree_holds_the_union_and_everything_beneath_it(tree):
    assert names(Union.objects.in_subtree(tree.edu)) == {
        "山东省教育工会",
        "济南市教育工会",
        "济南第一中学工会",
        "山东大学工会",
        "文学院分工会",
    }


def test_below_and_children_leave_out_the_union_itself(tree):
    assert "山东省教育工会" not in names(Union.objects.below(tree.edu))
    assert names(Union.objects.children_of(tree.qingdao)) == {
        "组织部",
        "青岛市教育工会",
        "青岛市工人文化宫",
    }


def test_subtree_does_not_leak_into_siblings_that_share_a_path_prefix(tree):
    """With ten or more siblings, paths like 0001 and 0001000A sit side by side."""
    for number in range(12):
        Union.objects.add_child(
            tree.province, {"code": f"X{number}", "name": f"市{number}", "kind": "federation"}
        )
    edu = Union.objects.get(pk=tree.edu.pk)
    assert all(u.path.startswith(edu.path) for u in Union.objects.in_subtree(edu))
    assert Union.objects.in_subtree(edu).count() == 5


def test_ancestors_run_from_the_root_down(tree):
    assert [u.name for u in tree.sdu_college.ancestors()] == [
        "山东省总工会",
        "山东省教育工会",
        "山东大学工会",
    ]


def test_a_union_cannot_be_moved_under_its_own_descendant(tree):
    with pytest.raises(InvalidMoveToDescendant):
        Union.objects.move(tree.edu, tree.sdu_college, "last-child")
    tree.edu.refresh_from_db()
    assert Union.objects.get_parent(tree.edu) == tree.province


def test_moving_a_union_moves_its_subtree(tree):
    Union.objects.move(tree.sdu, tree.qingdao, "last-child")
    qingdao = Union.objects.get(pk=tree.qingdao.pk)
    assert "文学院分工会" in names(Union.objects.in_subtree(qingdao))
    assert "文学院分工会" not in names(Union.objects.in_subtree(Union.objects.get(pk=tree.edu.pk)))


def test_supervisors_see_their_subtree_and_staff_their_own_union(people, tree):
    assert names(unions_in_scope(people.edu)) == names(Union.objects.in_subtree(tree.edu))
    assert names(unions_in_scope(people.sdu_staff)) == {"山东大学工会"}
    assert in_scope(people.edu, tree.sdu_college)
    assert not in_scope(people.edu, tree.qingdao)
    assert not in_scope(people.sdu_staff, tree.sdu_college)


def test_administrators_oversee_like_supervisors(tree):
    from tests.conftest import make_user

    admin = make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)
    assert names(unions_in_scope(admin)) == names(Union.objects.in_subtree(tree.edu))
