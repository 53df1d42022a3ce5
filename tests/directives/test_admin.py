"""The admin pages for the union tree, users and memberships, and who may use them."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directives.models import Membership, Union
from tests.conftest import make_directive, make_user
from tests.files import csv_bytes

UNIONS = reverse("admin:directives_union_changelist")
USERS = reverse("admin:auth_user_changelist")
ADD_USER = reverse("admin:auth_user_add")
MOVE = UNIONS + "move/"


def change_url(union):
    return reverse("admin:directives_union_change", args=[union.pk])


def children_url(union):
    return f"{UNIONS}children/{union.pk}/"


@pytest.fixture
def edu_admin(tree):
    """Administrator of 山东省教育工会 and everything beneath it."""
    return make_user(
        "edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True, is_staff=True
    )


def shape():
    """The whole tree as it is stored, to show that nothing moved."""
    return list(Union.objects.order_by("path").values_list("pk", "path", "depth", "numchild"))


def reachable_units(client):
    """The names of every unit the changelist shows, opening every branch as the page does."""
    response = client.get(UNIONS)
    assert response.status_code == 200
    seen = {union.pk for union in response.context["cl"].result_list}
    pending = [union for union in response.context["cl"].result_list if union.numchild]
    while pending:
        response = client.get(children_url(pending.pop()))
        assert response.status_code == 200
        for node in response.json()["tree_context"]:
            seen.add(int(node["node-id"]))
            if node["has-children"]:
                pending.append(Union.objects.get(pk=node["node-id"]))
    return set(Union.objects.filter(pk__in=seen).values_list("name", flat=True))


def union_form(union, **changes):
    data = {
        "name": union.name,
        "code": union.code,
        "short_name": union.short_name,
        "kind": union.kind,
        "_save": "Save",
    }
    return {**data, **changes}


def user_form(username, union, role=Membership.Role.STAFF, **extra):
    return {
        "username": username,
        "usable_password": "true",
        "password1": "Qx7-union-2015",
        "password2": "Qx7-union-2015",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-union": str(union.pk) if union else "",
        "membership-0-role": role,
        "_save": "Save",
        **extra,
    }


# --- Seeing the tree ------------------------------------------------------------------


def test_superuser_sees_every_unit(tree, superuser, login):
    client = login(superuser)

    response = client.get(UNIONS)

    assert "山东省总工会" in response.content.decode()
    assert reachable_units(client) == set(Union.objects.values_list("name", flat=True))


def test_administrator_sees_only_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)

    page = client.get(UNIONS).content.decode()

    assert "山东省教育工会" in page
    assert "山东省总工会" not in page
    assert reachable_units(client) == {
        "山东省教育工会",
        "济南市教育工会",
        "济南第一中学工会",
        "山东大学工会",
        "文学院分工会",
    }


def test_administrator_searches_and_filters_only_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)

    found = client.get(UNIONS, {"q": "青岛"}).content.decode()
    grassroots = client.get(UNIONS, {"kind__exact": Union.Kind.GRASSROOTS}).content.decode()

    assert "青岛市总工会" not in found and "青岛第二中学工会" not in found
    assert "济南第一中学工会" in grassroots and "文学院分工会" in grassroots
    assert "青岛第二中学工会" not in grassroots


def test_administrator_cannot_open_branches_outside_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)

    assert client.get(children_url(tree.qingdao)).status_code == 404
    assert client.get(children_url(tree.province)).status_code == 404
    assert client.get(f"{UNIONS}children/x/").status_code == 404


def test_the_history_of_a_union_outside_answers_as_a_missing_one(tree, edu_admin, login):
    """Opening or changing a union outside is in the permission matrix; its history pages
    must not tell that it exists either."""
    client = login(edu_admin)

    history = reverse("admin:directives_union_history", args=[tree.qingdao.pk])
    missing = reverse("admin:directives_union_history", args=[999999])
    assert client.get(history).status_code == client.get(missing).status_code == 404
    record = tree.qingdao.history.latest()
    version = reverse(
        "admin:directives_union_simple_history", args=[tree.qingdao.pk, record.history_id]
    )
    assert client.get(version).status_code == 404


def test_autocomplete_offers_only_the_subtree(tree, edu_admin, login):
    client = login(edu_admin)
    params = {"app_label": "directives", "model_name": "membership", "field_name": "union"}

    everything = client.get(reverse("admin:autocomplete"), {**params, "term": ""}).json()
    qingdao = client.get(reverse("admin:autocomplete"), {**params, "term": "青岛"}).json()

    assert {item["text"] for item in everything["results"]} == {
        "山东省教育工会（SD-EDU）",
        "济南市教育工会（JN-EDU）",
        "济南第一中学工会（JN-EDU-01）",
        "山东大学工会（SDU）",
        "文学院分工会（SDU-WX）",
    }
    assert qingdao["results"] == []


# --- Users and memberships --------------------------------------------------------------


def test_administrator_sees_only_users_of_their_subtree(tree, people, edu_admin, login):
    client = login(edu_admin)

    response = client.get(USERS)

    usernames = {user.username for user in response.context["cl"].result_list}
    assert usernames == {
        "edu",
        "edu_staff",
        "edu_admin",
        "sdu_staff",
        "sdu_supervisor",
        "jinan_staff",
    }
    opened = client.get(reverse("admin:auth_user_change", args=[people.qingdao.pk]))
    assert opened.status_code == 302 and opened.url == reverse("admin:index")


def test_administrator_sees_only_memberships_of_their_subtree(tree, people, edu_admin, login):
    client = login(edu_admin)

    response = client.get(reverse("admin:directives_membership_changelist"))

    unions = {membership.union.name for membership in response.context["cl"].result_list}
    assert unions == {"山东省教育工会", "山东大学工会", "济南市教育工会"}
    qd_staff = people.qd_staff.membership
    opened = client.get(reverse("admin:directives_membership_change", args=[qd_staff.pk]))
    assert opened.status_code == 302


def test_administrator_creates_a_user_with_union_and_role(tree, edu_admin, login):
    client = login(edu_admin)

    response = client.post(
        ADD_USER, user_form("sdu_wx_clerk", tree.sdu_college, is_superuser="on", is_staff="on")
    )

    user = get_user_model().objects.get(username="sdu_wx_clerk")
    assert response.status_code == 302
    assert response.url == reverse("admin:auth_user_change", args=[user.pk])
    assert user.membership.union == tree.sdu_college
    assert user.membership.role == Membership.Role.STAFF
    assert not user.is_superuser and not user.is_staff
    assert user.check_password("Qx7-union-2015")


def test_administrator_cannot_create_a_user_outside_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)
    users = get_user_model().objects.count()

    response = client.post(ADD_USER, user_form("qd_clerk", tree.qd_school))

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "union" in formset.forms[0].errors
    assert get_user_model().objects.count() == users
    assert not Membership.objects.filter(union=tree.qd_school).exists()


def test_administrator_cannot_create_a_user_without_a_union(tree, edu_admin, login):
    client = login(edu_admin)
    users = get_user_model().objects.count()

    response = client.post(ADD_USER, user_form("drifter", None, role=""))

    assert response.status_code == 200
    assert "union" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert get_user_model().objects.count() == users


def test_administrator_cannot_make_a_superuser(tree, people, edu_admin, login):
    client = login(edu_admin)
    user = people.sdu_staff
    change = reverse("admin:auth_user_change", args=[user.pk])
    membership = user.membership
    data = {
        "username": user.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2015-09-24",
        "date_joined_1": "09:00:00",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "1",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": str(membership.pk),
        "membership-0-user": str(user.pk),
        "membership-0-union": str(tree.sdu_college.pk),
        "membership-0-role": Membership.Role.SUPERVISOR,
        "membership-0-administrator": "on",
        "_save": "Save",
    }

    response = client.post(change, data)

    assert response.status_code == 302
    user.refresh_from_db()
    membership.refresh_from_db()
    assert user.is_staff and not user.is_superuser
    assert membership.union == tree.sdu_college and membership.administrator


def test_superusers_in_the_subtree_stay_out_of_reach(tree, superuser, edu_admin, login):
    Membership.objects.create(
        user=superuser, union=tree.sdu, role=Membership.Role.SUPERVISOR, administrator=True
    )
    client = login(edu_admin)

    listed = client.get(USERS).context["cl"].result_list
    opened = client.get(reverse("admin:auth_user_change", args=[superuser.pk]))
    password = client.get(reverse("admin:auth_user_password_change", args=[superuser.pk]))

    assert superuser not in listed
    assert opened.status_code == 302
    assert password.status_code == 404


# --- Moving units ------------------------------------------------------------------------


def test_moving_a_union_under_its_own_descendant_is_refused(tree, superuser, login):
    client = login(superuser)
    before = shape()

    response = client.post(
        change_url(tree.edu),
        union_form(
            tree.edu, treebeard_position="first-child", treebeard_ref_node=tree.sdu_college.pk
        ),
    )

    assert response.status_code == 200
    assert "treebeard_ref_node" in response.context["adminform"].form.errors
    assert shape() == before


def test_dragging_a_union_under_its_own_descendant_is_refused(tree, superuser, login):
    client = login(superuser)
    before = shape()

    response = client.post(
        MOVE, {"node": tree.edu.pk, "target": tree.sdu_college.pk, "relation": "child"}
    )

    assert response.status_code == 400
    assert shape() == before


def test_superuser_moves_a_union(tree, superuser, login):
    client = login(superuser)

    response = client.post(
        change_url(tree.sdu),
        union_form(tree.sdu, treebeard_position="first-child", treebeard_ref_node=tree.province.pk),
    )

    assert response.status_code == 302
    assert Union.objects.get_parent(Union.objects.get(pk=tree.sdu.pk)) == tree.province
    assert Union.objects.get(pk=tree.sdu_college.pk).path.startswith(
        Union.objects.get(pk=tree.sdu.pk).path
    )


def test_administrator_adds_and_moves_units_within_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)

    added = client.post(
        reverse("admin:directives_union_add"),
        {
            "name": "山东大学工会机关",
            "code": "SDU-JG",
            "short_name": "",
            "kind": Union.Kind.DEPARTMENT,
            "treebeard_position": "first-child",
            "treebeard_ref_node": tree.sdu.pk,
            "_save": "Save",
        },
    )
    moved = client.post(
        change_url(tree.sdu),
        union_form(
            tree.sdu, treebeard_position="first-child", treebeard_ref_node=tree.jinan_edu.pk
        ),
    )

    assert added.status_code == 302 and moved.status_code == 302
    new = Union.objects.get(code="SDU-JG")
    assert Union.objects.get_parent(new) == Union.objects.get(pk=tree.sdu.pk)
    assert Union.objects.get_parent(Union.objects.get(pk=tree.sdu.pk)) == tree.jinan_edu


@pytest.mark.parametrize(
    ("position", "target"),
    [
        ("first-child", "qingdao"),  # into another union's subtree
        ("right", "edu"),  # beside their own union, so outside it
        ("first-child", "sdu_college"),  # under its own descendant
    ],
)
def test_administrator_cannot_move_units_out_of_their_subtree(
    tree, edu_admin, login, position, target
):
    client = login(edu_admin)
    before = shape()
    ref_node = getattr(tree, target)

    response = client.post(
        change_url(tree.sdu),
        union_form(tree.sdu, treebeard_position=position, treebeard_ref_node=ref_node.pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert shape() == before


def test_administrator_cannot_move_their_own_union(tree, edu_admin, login):
    client = login(edu_admin)
    before = shape()

    response = client.post(
        change_url(tree.edu),
        union_form(
            tree.edu,
            name="山东省教育工会（改）",
            treebeard_position="first-child",
            treebeard_ref_node=tree.qingdao.pk,
        ),
    )

    # The form has no place fields for their own union: the name changes, the place does not.
    assert response.status_code == 302
    assert Union.objects.get(pk=tree.edu.pk).name == "山东省教育工会（改）"
    assert shape() == before


@pytest.mark.parametrize(
    ("node", "target", "relation"),
    [
        ("sdu", "qingdao", "child"),
        ("sdu", "edu", "sibling"),
        ("edu", "province", "child"),
        ("qd_school", "sdu", "child"),
    ],
)
def test_administrator_cannot_drag_units_out_of_their_subtree(
    tree, edu_admin, login, node, target, relation
):
    client = login(edu_admin)
    before = shape()

    response = client.post(
        MOVE,
        {"node": getattr(tree, node).pk, "target": getattr(tree, target).pk, "relation": relation},
    )

    assert response.status_code == 400
    assert shape() == before


def test_administrator_drags_a_unit_within_their_subtree(tree, edu_admin, login):
    client = login(edu_admin)

    response = client.post(
        MOVE, {"node": tree.sdu.pk, "target": tree.jinan_edu.pk, "relation": "child"}
    )

    assert response.status_code == 200
    assert Union.objects.get_parent(Union.objects.get(pk=tree.sdu.pk)) == tree.jinan_edu


def test_administrator_cannot_delete_their_own_union(tree, edu_admin, login):
    client = login(edu_admin)

    response = client.post(
        reverse("admin:directives_union_delete", args=[tree.edu.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Union.objects.filter(pk=tree.edu.pk).exists()


def test_deleting_a_union_shows_what_beneath_it_is_protected(tree, people, superuser, login):
    client = login(superuser)
    delete = reverse("admin:directives_union_delete", args=[tree.edu.pk])
    before = shape()

    response = client.get(delete)
    client.post(delete, {"post": "yes"})

    # The members of 山东大学工会, a unit beneath, keep the whole branch in place.
    assert any("sdu_staff" in str(item) for item in response.context["protected"])
    assert shape() == before


# --- Who gets in ---------------------------------------------------------------------------


def test_staff_without_the_admin_role_get_nothing(tree, login):
    supervisor = make_user("staff_supervisor", tree.edu, Membership.Role.SUPERVISOR, is_staff=True)
    client = login(supervisor)

    assert client.get(UNIONS).status_code == 403
    assert client.get(USERS).status_code == 403
    assert client.get(reverse("admin:index")).context["app_list"] == []


def test_directives_and_assignments_are_for_superusers_only(tree, people, edu_admin, login):
    directive = make_directive(tree.edu, user=people.edu)
    pages = [
        reverse("admin:directives_directive_changelist"),
        reverse("admin:directives_directive_change", args=[directive.pk]),
        reverse("admin:directives_assignment_changelist"),
    ]

    client = login(edu_admin)

    index = client.get(reverse("admin:index"))

    models = {m["object_name"] for app in index.context["app_list"] for m in app["models"]}
    # Administrators keep the tree, the people and the catalogue of figures.
    assert models == {"Union", "Membership", "User", "CatalogueFigure"}
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_superuser_opens_directives_and_assignments(tree, people, superuser, login):
    directive = make_directive(tree.edu, user=people.edu)
    client = login(superuser)

    for url in (
        reverse("admin:directives_directive_changelist"),
        reverse("admin:directives_directive_change", args=[directive.pk]),
        reverse("admin:directives_assignment_changelist"),
    ):
        assert client.get(url).status_code == 200


def posted_back(response):
    """The data a browser would post back from an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        forms += [management, *formset.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = value.pk if hasattr(value, "pk") else value
    return data


def test_two_requirements_may_not_share_a_number(tree, people, superuser, login):
    directive = make_directive(tree.edu, user=people.edu)
    client = login(superuser)
    url = reverse("admin:directives_directive_change", args=[directive.pk])
    data = posted_back(client.get(url))
    assert client.post(url, data).status_code == 302

    data["requirements-1-position"] = data["requirements-0-position"]
    response = client.post(url, data)

    assert response.status_code == 200
    assert "两项工作要求的序号相同" in response.content.decode()
    assert sorted(directive.requirements.values_list("position", flat=True)) == [1, 2]


def test_history_cannot_be_reverted_by_posting(tree, superuser, login):
    client = login(superuser)
    record = tree.sdu.history.latest()
    url = reverse("admin:directives_union_simple_history", args=[tree.sdu.pk, record.history_id])

    assert client.get(url).status_code == 200
    assert client.post(url, union_form(tree.sdu, name="旧名")).status_code == 403
    assert Union.objects.get(pk=tree.sdu.pk).name == "山东大学工会"


# --- Queries ---------------------------------------------------------------------------------


def add_units(parent, count):
    for number in range(count):
        parent = Union.objects.get(pk=parent.pk)
        Union.objects.add_child(
            parent,
            {"code": f"{parent.code}-N{number}", "name": f"基层工会{number}", "kind": "grassroots"},
        )


def queries(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200
    return len(context)


@pytest.mark.parametrize("who", ["superuser", "edu_admin"])
def test_union_changelist_queries_do_not_grow_with_the_tree(tree, request, login, who):
    client = login(request.getfixturevalue(who))
    pages = [
        (UNIONS, None),
        (UNIONS, {"kind__exact": Union.Kind.GRASSROOTS}),
        (UNIONS, {"q": "工会"}),
        (children_url(tree.sdu), None),
    ]
    small = [queries(client, url, params) for url, params in pages]

    add_units(tree.sdu, 25)
    add_units(tree.jinan_edu, 25)

    assert [queries(client, url, params) for url, params in pages] == small


def test_every_page_opens_for_the_administrator(tree, people, edu_admin, login):
    client = login(edu_admin)
    sdu_staff = people.sdu_staff

    for url in (
        reverse("admin:index"),
        reverse("admin:directives_union_add"),
        change_url(tree.edu),
        change_url(tree.sdu),
        reverse("admin:directives_union_history", args=[tree.sdu.pk]),
        reverse("admin:directives_union_delete", args=[tree.sdu_college.pk]),
        reverse("admin:directives_membership_add"),
        reverse("admin:directives_membership_change", args=[sdu_staff.membership.pk]),
        reverse("admin:directives_membership_history", args=[sdu_staff.membership.pk]),
        ADD_USER,
        reverse("admin:auth_user_change", args=[sdu_staff.pk]),
        reverse("admin:auth_user_password_change", args=[sdu_staff.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_every_page_opens_for_the_superuser(tree, people, superuser, login):
    client = login(superuser)
    directive = make_directive(tree.edu, user=people.edu)

    for url in (
        reverse("admin:index"),
        reverse("admin:directives_union_add"),
        change_url(tree.edu),
        reverse("admin:directives_union_history", args=[tree.sdu.pk]),
        reverse("admin:directives_membership_changelist"),
        ADD_USER,
        reverse("admin:auth_user_change", args=[people.sdu_staff.pk]),
        reverse("admin:directives_directive_add"),
        reverse("admin:directives_directive_change", args=[directive.pk]),
        reverse("admin:directives_directive_history", args=[directive.pk]),
    ):
        assert client.get(url).status_code == 200, url


# --- Telling unions apart, finding users, reading roles and errors ----------------------


@pytest.fixture
def namesake(tree):
    """A second 文学院分工会, under 济南市教育工会: only the code tells the two apart."""
    return Union.objects.add_child(
        Union.objects.get(pk=tree.jinan_edu.pk),
        {"code": "JN-WX", "name": "文学院分工会", "kind": Union.Kind.GRASSROOTS},
    )


def test_the_place_in_the_tree_offers_each_union_with_its_code(login, superuser, tree, namesake):
    page = login(superuser).get(change_url(tree.jinan_school)).content.decode()

    assert "文学院分工会（SDU-WX）" in page
    assert "文学院分工会（JN-WX）" in page


def test_an_administrators_place_list_shows_codes_too(login, edu_admin, tree, namesake):
    page = login(edu_admin).get(change_url(tree.sdu_college)).content.decode()

    assert "文学院分工会（JN-WX）" in page


def test_the_union_autocomplete_tells_namesakes_apart(login, edu_admin, tree, namesake):
    response = login(edu_admin).get(
        reverse("admin:autocomplete"),
        {
            "app_label": "directives",
            "model_name": "membership",
            "field_name": "union",
            "term": "文学院",
        },
    )

    texts = sorted(result["text"] for result in response.json()["results"])
    assert texts == ["文学院分工会（JN-WX）", "文学院分工会（SDU-WX）"]


def test_users_are_found_by_their_unions_code(login, edu_admin, people):
    found = login(edu_admin).get(USERS, {"q": "SDU"}).context["cl"].result_list

    assert {user.username for user in found} == {"sdu_staff", "sdu_supervisor"}


def test_the_user_list_shows_roles_by_their_names(login, edu_admin, people):
    page = login(edu_admin).get(USERS).content.decode()

    assert "督办负责人、管理员" in page
    assert "工作人员" in page
    assert ">supervisor<" not in page and ">staff<" not in page


def test_a_rejected_users_import_speaks_plainly_with_the_files_headers(login, edu_admin, tree):
    content = csv_bytes(
        [
            ["用户名", "姓", "名", "电子邮箱", "单位代码", "角色"],
            ["sdu_new", "", "", "bad", "SDU", "工作人员"],
        ]
    )
    response = login(edu_admin).post(
        reverse("admin:directives_membership_import"),
        {"resource": "0", "format": "1", "import_file": SimpleUploadedFile("用户.csv", content)},
    )

    page = response.content.decode()
    assert "未导入任何数据：有1行存在错误。" in page
    assert "第2行，电子邮箱：" in page
    assert "RowsRejected" not in page and "Traceback" not in page
    assert "用户名, 姓, 名, 电子邮箱, 单位代码, 角色, 管理员" in page
    assert "user__username" not in page and "username, last_name" not in page


def test_the_admins_own_words_are_in_chinese(login, superuser, tree, people, edu_directive):
    client = login(superuser)

    index = client.get(reverse("admin:index")).content.decode()
    directive = client.get(
        reverse("admin:directives_directive_change", args=[edu_directive.pk])
    ).content.decode()
    memberships = client.get(reverse("admin:directives_membership_changelist")).content.decode()

    assert "后台任务" in index and "Task Results" not in index and "任务结果" in index
    assert "创建人" in directive and "版本" in directive
    assert "Created by" not in directive and ">Version<" not in directive
    header = memberships[memberships.index("column-user") :]
    assert header[header.index(">") + 1 : header.index("</th>")].count("用户") == 1


def test_the_export_page_names_columns_by_their_headers(login, edu_admin):
    page = login(edu_admin).get(reverse("admin:directives_membership_export")).content.decode()

    assert 'for="id_membershipresource_username">用户名</label>' in page
    assert 'for="id_membershipresource_administrator">管理员</label>' in page
    assert "Last Name" not in page and "Select all" not in page
