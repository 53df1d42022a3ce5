"""The administrator role opens the admin site; nobody has to tick the staff status too.

Whatever makes someone an administrator (the admin's own pages, a users import) lets them
in at once, and whatever takes the role away shuts them out at once.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from directives.models import Membership
from reports.models import SpreadsheetJob
from tests.conftest import PASSWORD, make_user
from tests.files import csv_bytes

ADMIN_INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
USERS = reverse("admin:auth_user_changelist")
USER_HEADERS = ["用户名", "姓", "名", "电子邮箱", "单位代码", "角色", "管理员"]


@pytest.fixture
def edu_admin(tree):
    """Administrator of 山东省教育工会, as an import or the admin makes one: no staff status."""
    return make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)


def opens_the_admin(client):
    response = client.get(ADMIN_INDEX)
    if response.status_code == 302:
        assert response.url.startswith(ADMIN_LOGIN)
        return False
    assert response.status_code == 200
    return True


def admin_login(client, username):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": PASSWORD, "next": ADMIN_INDEX},
        REMOTE_ADDR="10.1.2.3",
    )


def import_users(client, *rows):
    content = csv_bytes([USER_HEADERS, *rows])
    response = client.post(
        reverse("import_new", args=["users"]), {"file": SimpleUploadedFile("用户.csv", content)}
    )
    job = SpreadsheetJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.error_count == 0, job.errors
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.written


def test_an_administrator_without_staff_status_opens_their_part_of_the_admin_until_deactivated(
    client, edu_admin, people
):
    assert not edu_admin.is_staff
    client.force_login(edu_admin)

    assert opens_the_admin(client)
    listed = {user.username for user in client.get(USERS).context["cl"].result_list}
    assert "sdu_staff" in listed and "qd_staff" not in listed
    edu_admin.is_active = False
    edu_admin.save()
    assert not opens_the_admin(client)


def test_an_administrator_without_staff_status_logs_in_on_the_admin_login_a_supervisor_does_not(
    client, edu_admin, people
):
    refused = admin_login(Client(), "edu")
    response = admin_login(client, "edu_admin")

    assert refused.status_code == 200
    assert "工作人员" in refused.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session
    assert response.status_code == 302
    assert response.url == ADMIN_INDEX
    assert client.session["_auth_user_id"] == str(edu_admin.pk)


def test_the_header_links_to_the_admin_for_administrators_only(login, edu_admin, people):
    admin_page = login(edu_admin).get(reverse("tasks")).content.decode()
    supervisor_page = login(people.edu).get(reverse("tasks")).content.decode()

    assert 'data-testid="nav-admin"' in admin_page
    assert 'data-testid="nav-admin"' not in supervisor_page


def test_a_supervisor_made_administrator_in_the_admin_gets_in_and_out_again(
    client, people, superuser
):
    client.force_login(superuser)
    membership = people.sdu_supervisor.membership
    change = reverse("admin:directives_membership_change", args=[membership.pk])

    def set_role(role, administrator=False):
        data = {"user": people.sdu_supervisor.pk, "union": membership.union_id, "role": role}
        if administrator:
            data["administrator"] = "on"
        assert client.post(change, data).status_code == 302

    set_role(Membership.Role.SUPERVISOR, administrator=True)
    client.force_login(people.sdu_supervisor)
    assert opens_the_admin(client)

    client.force_login(superuser)
    set_role(Membership.Role.SUPERVISOR)
    client.force_login(people.sdu_supervisor)
    assert not opens_the_admin(client)
    assert admin_login(client, "sdu_supervisor").status_code == 200


def test_a_users_import_lets_a_new_administrator_in_and_a_demoted_one_out(
    client, edu_admin, people
):
    client.force_login(edu_admin)
    import_users(client, ["sdu_supervisor", "", "", "", "SDU", "督办负责人", "是"])
    client.force_login(people.sdu_supervisor)
    assert opens_the_admin(client)

    client.force_login(edu_admin)
    import_users(client, ["sdu_supervisor", "", "", "", "SDU", "督办负责人", "否"])
    client.force_login(people.sdu_supervisor)
    assert not opens_the_admin(client)


def test_the_user_page_says_the_role_opens_the_admin(login, edu_admin, people):
    client = login(edu_admin)

    page = client.get(reverse("admin:auth_user_change", args=[people.sdu_staff.pk]))

    assert "单位管理员凭其角色即可进入管理后台" in page.content.decode()


def test_one_account_supervises_and_administers_its_union(client, tree, people):
    qingdao = people.qingdao.membership
    qingdao.administrator = True
    qingdao.save()
    client.force_login(people.qingdao)

    dashboard = client.get(reverse("overview"))
    imports = client.get(reverse("import_new", args=["unions"]))

    assert dashboard.status_code == 200
    assert imports.status_code == 200
    assert opens_the_admin(client)


def test_a_refused_import_names_the_role_and_who_holds_it_in_the_union(client, tree, people):
    make_user(
        "qd_admin",
        tree.qingdao,
        Membership.Role.STAFF,
        administrator=True,
        last_name="周",
        first_name="强",
    )
    client.force_login(people.qingdao)

    response = client.get(reverse("import_new", args=["users"]))

    page = response.content.decode()
    assert response.status_code == 403
    assert "需要“管理员”角色" in page
    assert "周强" in page
    assert "导入单位和用户" in page


def test_a_refusal_says_so_when_nobody_in_the_union_holds_the_role(client, people):
    client.force_login(people.sdu_supervisor)

    response = client.get(reverse("import_new", args=["unions"]))

    assert response.status_code == 403
    assert "本单位还没有人担任这一角色" in response.content.decode()


def test_an_administrator_who_is_staff_keeps_users_but_supervises_nothing(client, tree):
    clerk = make_user("qd_clerk", tree.qingdao, Membership.Role.STAFF, administrator=True)
    client.force_login(clerk)

    assert client.get(reverse("import_new", args=["users"])).status_code == 200
    assert client.get(reverse("overview")).status_code == 404


def test_the_header_names_every_role_the_user_holds(client, edu_admin):
    client.force_login(edu_admin)

    header = client.get(reverse("tasks")).content.decode()

    assert "督办负责人、管理员" in header


def test_staff_asked_to_issue_are_told_who_supervises_in_their_union(client, people):
    client.force_login(people.sdu_staff)

    response = client.get(reverse("directive_create"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "需要“督办负责人”角色" in page
    assert "sdu_supervisor" in page
    assert "负责印发和转发文件" in page
