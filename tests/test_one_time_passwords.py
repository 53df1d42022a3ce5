"""One-time passwords, for people without an e-mail address: an administrator sets them in
the admin and hands them over; signed in with one, a user can do nothing but choose their
own password."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from directives.models import Membership
from tests.conftest import PASSWORD, make_user

USERS = reverse("admin:auth_user_changelist")
MEMBERSHIPS = reverse("admin:directives_membership_changelist")
OWN_PASSWORD = "Zi-ji-de-mima-2024"


@pytest.fixture
def edu_admin(tree):
    return make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)


def set_one_time_passwords(client, objects, url=USERS, confirm=True):
    data = {"action": "set_one_time_passwords", ACTION_CHECKBOX_NAME: [o.pk for o in objects]}
    if confirm:
        data["post"] = "yes"
    return client.post(url, data)


def passwords_on(response):
    html = response.content.decode()
    return dict(re.findall(r"<tr><td>(\w+)</td>.*?<code>([^<]+)</code>", html))


def sign_in(username, password):
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def must_change(user):
    return Membership.objects.get(user=user).must_change_password


@pytest.fixture
def one_time(people, edu_admin):
    """The one-time password an administrator gave sdu_staff."""
    admin = Client()
    admin.force_login(edu_admin)
    return passwords_on(set_one_time_passwords(admin, [people.sdu_staff]))["sdu_staff"]


def test_the_administrator_confirms_before_any_password_changes(login, edu_admin, people):
    client = login(edu_admin)

    response = set_one_time_passwords(client, [people.sdu_staff, people.jinan_staff], confirm=False)

    page = response.content.decode()
    assert response.status_code == 200
    assert "将为这 2 位用户分别设置新的随机密码" in page
    assert "sdu_staff" in page and "jinan_staff" in page
    people.sdu_staff.refresh_from_db()
    assert people.sdu_staff.check_password(PASSWORD)
    assert not must_change(people.sdu_staff)


def test_the_administrator_gets_each_password_once(login, edu_admin, people):
    client = login(edu_admin)

    response = set_one_time_passwords(client, [people.sdu_staff, people.jinan_staff])

    passwords = passwords_on(response)
    assert set(passwords) == {"sdu_staff", "jinan_staff"}
    assert passwords["sdu_staff"] != passwords["jinan_staff"]
    assert re.fullmatch(r"[2-9a-zA-Z]{4}-[2-9a-zA-Z]{4}-[2-9a-zA-Z]{4}", passwords["sdu_staff"])
    assert "no-store" in response["Cache-Control"]
    assert "请现在记下" in response.content.decode()
    people.sdu_staff.refresh_from_db()
    assert people.sdu_staff.check_password(passwords["sdu_staff"])
    assert must_change(people.sdu_staff) and must_change(people.jinan_staff)
    history = people.sdu_staff.membership.history.latest()
    assert history.history_user == edu_admin and history.must_change_password


def test_the_membership_list_offers_it_too(login, edu_admin, people):
    client = login(edu_admin)

    response = set_one_time_passwords(client, [people.sdu_staff.membership], url=MEMBERSHIPS)

    assert set(passwords_on(response)) == {"sdu_staff"}
    assert must_change(people.sdu_staff)


def test_outsiders_oneself_and_the_deactivated_are_left_out(login, edu_admin, people):
    people.jinan_staff.is_active = False
    people.jinan_staff.save()
    client = login(edu_admin)
    ticked = [people.sdu_staff, people.jinan_staff, edu_admin, people.qd_staff]

    confirm = set_one_time_passwords(client, ticked, confirm=False)
    response = set_one_time_passwords(client, ticked)

    assert "所选用户中有 2 位未包括在内" in confirm.content.decode()
    assert set(passwords_on(response)) == {"sdu_staff"}
    for user in (people.jinan_staff, edu_admin, people.qd_staff):
        user.refresh_from_db()
        assert user.check_password(PASSWORD), user
        assert not must_change(user)


def test_signed_in_with_it_every_page_leads_to_the_password_change(people, one_time):
    client = sign_in("sdu_staff", one_time)
    change = reverse("password_change")

    for url in (reverse("home"), reverse("tasks"), reverse("import_list"), reverse("admin:index")):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, change), url
    partial = client.get(reverse("tasks"), headers={"HX-Request": "true"})
    assert partial["HX-Redirect"] == change
    page = client.get(change).content.decode()
    assert "您使用一次性密码登录" in page
    assert client.post(reverse("logout")).url == reverse("login")


def test_choosing_an_own_password_frees_the_user(people, one_time):
    client = sign_in("sdu_staff", one_time)

    response = client.post(
        reverse("password_change"),
        {"old_password": one_time, "new_password1": OWN_PASSWORD, "new_password2": OWN_PASSWORD},
    )

    assert response.url == reverse("password_change_done")
    assert not must_change(people.sdu_staff)
    assert client.get(reverse("tasks")).status_code == 200
    assert sign_in("sdu_staff", OWN_PASSWORD)
    history = people.sdu_staff.membership.history.latest()
    assert history.history_user == people.sdu_staff and not history.must_change_password


def test_the_one_time_password_cannot_be_kept(people, one_time):
    client = sign_in("sdu_staff", one_time)

    response = client.post(
        reverse("password_change"),
        {"old_password": one_time, "new_password1": one_time, "new_password2": one_time},
    )

    assert response.status_code == 200
    assert "请设置您自己的密码" in response.content.decode()
    assert must_change(people.sdu_staff)
