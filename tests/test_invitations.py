"""Invitations: users brought in by an import or the admin have no password; an
administrator e-mails them a one-time link, in Chinese, to set their first password, from
the admin's lists or from the page of a users import."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from directives.models import Membership
from directives.services import invitation_tokens
from reports.models import SpreadsheetJob
from tests.conftest import make_user
from tests.files import csv_bytes

USERS = reverse("admin:auth_user_changelist")
MEMBERSHIPS = reverse("admin:directives_membership_changelist")
USER_HEADERS = ["用户名", "姓", "名", "电子邮箱", "单位代码", "角色"]
UNION_HEADERS = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]
FIRST_PASSWORD = "Di-yi-ge-mima-2024"


@pytest.fixture
def edu_admin(tree):
    admin = make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)
    admin.last_name, admin.first_name = "周", "敏"
    admin.save()
    return admin


def newcomer(username, union, email="", **extra):
    """A user as an import creates one: no password, never logged in."""
    user = get_user_model().objects.create_user(username=username, email=email, **extra)
    Membership.objects.create(user=user, union=union)
    return user


@pytest.fixture
def newcomers(tree):
    return {
        "wangfang": newcomer("wangfang", tree.sdu, "wangfang@sdu.example.org", last_name="王"),
        "lina": newcomer("lina", tree.jinan_edu, "lina@jn.example.org"),
        "noaddress": newcomer("noaddress", tree.sdu),
        "qdnew": newcomer("qdnew", tree.qd_sector, "qdnew@qd.example.org"),
    }


def invite(client, objects, url=USERS):
    return client.post(
        url,
        {"action": "send_invitations", ACTION_CHECKBOX_NAME: [o.pk for o in objects]},
        follow=True,
    )


def link_in(mail):
    return re.search(r"https?://testserver(/accounts/invitation/\S+/)", mail.body).group(1)


def test_an_administrator_invites_the_ticked_users_who_can_be(
    login, edu_admin, newcomers, people, mailoutbox
):
    client = login(edu_admin)
    ticked = [newcomers["wangfang"], newcomers["noaddress"], people.sdu_staff, newcomers["qdnew"]]

    response = invite(client, ticked)

    assert [mail.to for mail in mailoutbox] == [["wangfang@sdu.example.org"]]
    page = response.content.decode()
    assert "已发送 1 份邀请" in page
    assert "所选用户中有 2 位未收到邀请" in page


def test_the_invitation_is_in_chinese_and_says_who_where_and_how(
    login, edu_admin, newcomers, mailoutbox
):
    client = login(edu_admin)
    client.post(reverse("set_language"), {"language": "en"})

    invite(client, [newcomers["wangfang"]])

    mail = mailoutbox[0]
    assert mail.subject == "邀请您使用工会督办"
    assert "王，您好" in mail.body
    assert "周敏为您在工会督办开通了账号" in mail.body
    assert "山东大学工会" in mail.body
    assert "用户名：wangfang" in mail.body
    assert "有效期 3 天" in mail.body
    assert link_in(mail)


def test_the_membership_list_invites_too(login, edu_admin, newcomers, mailoutbox):
    client = login(edu_admin)

    invite(client, [newcomers["lina"].membership], url=MEMBERSHIPS)

    assert [mail.to for mail in mailoutbox] == [["lina@jn.example.org"]]


def test_the_link_sets_the_first_password_and_logs_in_once(
    client, edu_admin, newcomers, mailoutbox
):
    admin = Client()
    admin.force_login(edu_admin)
    invite(admin, [newcomers["wangfang"]])
    link = link_in(mailoutbox[0])

    form = client.get(link, follow=True)
    assert "欢迎使用工会督办" in form.content.decode()
    assert "wangfang" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": FIRST_PASSWORD, "new_password2": FIRST_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[0][0] == reverse("home")
    assert "密码已设置，您已登录" in response.content.decode()
    assert client.session["_auth_user_id"] == str(newcomers["wangfang"].pk)
    newcomers["wangfang"].refresh_from_db()
    assert newcomers["wangfang"].check_password(FIRST_PASSWORD)
    again = Client().get(link, follow=True)
    assert "邀请链接已失效" in again.content.decode()


def test_invitation_and_password_reset_links_do_not_open_each_others_page(
    client, newcomers, people
):
    wangfang = newcomers["wangfang"]
    uid = urlsafe_base64_encode(force_bytes(wangfang.pk))
    reset_token = default_token_generator.make_token(wangfang)
    invitation_token = invitation_tokens.make_token(wangfang)

    invitation = client.get(reverse("invitation_confirm", args=[uid, reset_token]), follow=True)
    reset = client.get(reverse("password_reset_confirm", args=[uid, invitation_token]), follow=True)

    assert "邀请链接已失效" in invitation.content.decode()
    assert "链接已失效" in reset.content.decode()
    right = client.get(reverse("invitation_confirm", args=[uid, invitation_token]), follow=True)
    assert "欢迎使用工会督办" in right.content.decode()


def test_a_deactivated_user_cannot_use_their_invitation(client, edu_admin, newcomers, mailoutbox):
    admin = Client()
    admin.force_login(edu_admin)
    invite(admin, [newcomers["wangfang"]])
    newcomers["wangfang"].is_active = False
    newcomers["wangfang"].save()

    page = client.get(link_in(mailoutbox[0]), follow=True)

    assert "邀请链接已失效" in page.content.decode()


def test_a_failing_mail_server_is_reported(login, edu_admin, newcomers, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    client = login(edu_admin)

    response = invite(client, [newcomers["wangfang"]])

    assert "无法连接邮件服务器" in response.content.decode()


# --- After a users import on the app's screens -----------------------------------------------


def import_users(client, *rows, confirm=True):
    content = csv_bytes([USER_HEADERS, *rows])
    response = client.post(
        reverse("import_new", args=["users"]), {"file": SimpleUploadedFile("用户.csv", content)}
    )
    job = SpreadsheetJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    if confirm:
        client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    return job


NEW_ROWS = (
    ["zhaolei", "赵", "磊", "zhaolei@sdu.example.org", "SDU", "工作人员"],
    ["sunli", "孙", "丽", "sunli@jn.example.org", "JN-EDU", "工作人员"],
    ["zhouqiang", "周", "强", "", "SDU", "工作人员"],
)


def test_after_a_users_import_the_page_invites_the_new_users_with_an_address(
    login, edu_admin, mailoutbox
):
    client = login(edu_admin)
    job = import_users(client, *NEW_ROWS)
    assert job.written

    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-testid="invite"' in page
    assert "向 2 位有电子邮箱的新用户发送邀请" in page
    response = client.post(reverse("import_invite", args=[job.pk]), follow=True)

    assert response.redirect_chain == [(reverse("import_job", args=[job.pk]), 302)]
    assert "已发送 2 份邀请" in response.content.decode()
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "sunli@jn.example.org",
        "zhaolei@sdu.example.org",
    ]
    assert all(mail.subject == "邀请您使用工会督办" for mail in mailoutbox)


def test_only_the_administrators_subtree_is_invited(login, edu_admin, tree, mailoutbox):
    newcomer("qdnew", tree.qd_sector, "qdnew@qd.example.org")
    client = login(edu_admin)
    job = import_users(client, NEW_ROWS[0])

    client.post(reverse("import_invite", args=[job.pk]))

    assert [mail.to for mail in mailoutbox] == [["zhaolei@sdu.example.org"]]


def test_no_invitation_button_on_a_preview_or_once_nobody_is_left_to_invite(
    login, edu_admin, people
):
    client = login(edu_admin)
    preview = import_users(client, *NEW_ROWS, confirm=False)
    nobody = import_users(client, ["sdu_staff", "", "", "staff@sdu.example.org", "SDU", "工作人员"])

    for job in (preview, nobody):
        page = client.get(reverse("import_job", args=[job.pk])).content.decode()
        assert 'data-testid="invite"' not in page


def test_only_the_importer_invites_from_a_users_import(login, edu_admin, people, tree, mailoutbox):
    client = login(edu_admin)
    job = import_users(client, *NEW_ROWS)
    other_admin = make_user(
        "sd_admin", tree.province, Membership.Role.SUPERVISOR, administrator=True
    )
    content = csv_bytes([UNION_HEADERS, ["SDU-LX", "历史学院分工会", "", "基层工会", "SDU"]])
    client.post(
        reverse("import_new", args=["unions"]), {"file": SimpleUploadedFile("单位.csv", content)}
    )
    unions = SpreadsheetJob.objects.get(kind="unions")

    assert client.post(reverse("import_invite", args=[unions.pk])).status_code == 404
    assert client.get(reverse("import_invite", args=[job.pk])).status_code == 405
    assert login(other_admin).post(reverse("import_invite", args=[job.pk])).status_code == 404
    edu_admin.membership.administrator = False
    edu_admin.membership.save()
    assert login(edu_admin).post(reverse("import_invite", args=[job.pk])).status_code == 403
    assert mailoutbox == []
