"""Signing in: password guessing is locked out (django-axes) on the app's login and the
admin's; administrators unlock; users change their password or reset it by e-mail.

Every login here goes through the real form, with the request's address set, because the
lockout is kept per user name and address.
"""

import datetime
import re
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

OFFICE = "10.1.2.3"
ELSEWHERE = "10.9.9.9"
LOCKED_TEXT = "登录失败次数过多，账号已暂时锁定，请于15分钟后再试或联系管理员解锁。"


def log_in(client, username, password, address=OFFICE, url_name="login"):
    return client.post(
        reverse(url_name), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def fail(client, username, times, address=OFFICE, url_name="login"):
    for _ in range(times):
        response = log_in(client, username, "wrong-password", address, url_name)
    return response


@pytest.fixture(autouse=True)
def lockout_defaults(settings):
    """The shipped defaults, whatever the environment running the tests says."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


# --- Password guessing ---------------------------------------------------------------------


def test_wrong_passwords_below_the_limit_only_say_it_is_wrong(client, people):
    response = fail(client, "sdu_staff", 4)

    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_the_fifth_wrong_password_locks_with_a_chinese_page(client, people):
    response = fail(client, "sdu_staff", 5)

    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED_TEXT in page
    assert '<html lang="zh-hans">' in page
    assert reverse("login") in page


def test_the_right_password_is_refused_while_locked(client, people):
    fail(client, "sdu_staff", 5)

    response = log_in(client, "sdu_staff", PASSWORD)

    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert signed_in_as(client) is None


def test_the_lockout_page_follows_the_language_and_the_wait(client, people, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
    client.post(reverse("set_language"), {"language": "en"})

    response = fail(client, "sdu_staff", 5)

    assert response.status_code == 429
    assert "Please try again in 30 minutes" in response.content.decode()


def test_without_a_wait_only_an_administrator_unlocks(client, people, settings):
    settings.AXES_COOLOFF_TIME = None

    response = fail(client, "sdu_staff", 5)

    assert "账号已锁定，请联系管理员解锁" in response.content.decode()


def test_the_lock_ends_after_the_wait(client, people):
    fail(client, "sdu_staff", 5)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - datetime.timedelta(minutes=16)
    )

    response = log_in(client, "sdu_staff", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == "sdu_staff"


def test_colleagues_at_the_same_address_are_not_locked(client, people):
    fail(client, "sdu_staff", 5)

    response = log_in(client, "sdu_supervisor", PASSWORD)

    assert response.status_code == 302
    assert signed_in_as(client) == "sdu_supervisor"


def test_the_same_user_at_another_address_is_not_locked(client, people):
    fail(client, "sdu_staff", 5)

    response = log_in(client, "sdu_staff", PASSWORD, address=ELSEWHERE)

    assert response.status_code == 302
    assert signed_in_as(client) == "sdu_staff"


def test_a_success_resets_the_count(client, people):
    fail(client, "sdu_staff", 4)
    assert log_in(client, "sdu_staff", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    response = fail(client, "sdu_staff", 4)

    assert response.status_code == 200
    assert log_in(client, "sdu_staff", PASSWORD).status_code == 302


def test_the_admin_login_locks_the_same_way(client, superuser):
    response = fail(client, "root", 5, url_name="admin:login")

    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()

    response = log_in(client, "root", PASSWORD, url_name="admin:login")
    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_failures_on_both_login_pages_count_together(client, superuser):
    fail(client, "root", 3, url_name="admin:login")

    response = fail(client, "root", 2)

    assert response.status_code == 429


def test_the_reset_command_unlocks(client, people):
    fail(client, "sdu_staff", 5)

    out = StringIO()
    call_command("axes_reset_username", "sdu_staff", stdout=out)

    assert "1 attempts removed" in out.getvalue()
    assert log_in(client, "sdu_staff", PASSWORD).status_code == 302
    assert signed_in_as(client) == "sdu_staff"
    # The failures stay in their log for the administrators.
    assert AccessFailureLog.objects.filter(username="sdu_staff").count() == 5


def test_a_superuser_unlocks_in_the_admin(client, people, superuser):
    fail(client, "sdu_staff", 5)
    attempt = AccessAttempt.objects.get(username="sdu_staff")
    admin = Client()  # the administrator's browser, beside the locked-out user's
    admin.force_login(superuser)

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "sdu_staff" in listing.content.decode()
    assert "登录尝试" in listing.content.decode()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 302

    assert log_in(client, "sdu_staff", PASSWORD).status_code == 302


def test_only_superusers_see_the_attempts(client, people):
    staff_admin = people.edu
    staff_admin.is_staff = True
    staff_admin.save()
    client.force_login(staff_admin)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403


# --- Password change ---------------------------------------------------------------------

NEW_PASSWORD = "Xin-mima-2024!"


def change_password(client, old):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_the_header_links_to_the_password_change(login, people):
    page = login(people.sdu_staff).get(reverse("tasks")).content.decode()

    assert f'href="{reverse("password_change")}"' in page
    assert "修改密码" in page


def test_the_password_change_needs_a_signed_in_user(client, db):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_password_change_page_is_in_chinese(login, people):
    page = login(people.sdu_staff).get(reverse("password_change")).content.decode()

    assert "修改密码" in page
    assert "旧密码" in page
    assert 'class="form-control"' in page


def test_the_password_change_requires_the_old_password(login, people):
    client = login(people.sdu_staff)

    response = change_password(client, "not-the-old-one")

    assert response.status_code == 200
    assert "旧密码不正确" in response.content.decode()
    people.sdu_staff.refresh_from_db()
    assert people.sdu_staff.check_password(PASSWORD)


def test_the_password_change_sets_the_new_password(login, people):
    client = login(people.sdu_staff)

    response = change_password(client, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    done = client.get(response["Location"])
    assert "密码已修改" in done.content.decode()
    people.sdu_staff.refresh_from_db()
    assert people.sdu_staff.check_password(NEW_PASSWORD)


# --- Password reset by e-mail ---------------------------------------------------------------


@pytest.fixture
def staff_with_address(people):
    people.sdu_staff.email = "zhang@sdu.example.org"
    people.sdu_staff.save()
    return people.sdu_staff


def test_the_login_page_links_to_the_password_reset(client, db):
    page = client.get(reverse("login")).content.decode()

    assert f'href="{reverse("password_reset")}"' in page
    assert "忘记密码？" in page


def test_the_reset_mails_one_link_that_sets_a_new_password(client, staff_with_address, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "Zhang@sdu.example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["zhang@sdu.example.org"]
    assert mail.subject == "设置工会督办的新密码"
    assert "sdu_staff" in mail.body
    assert "忽略本邮件" in mail.body
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.body).group(1)

    form = client.get(link, follow=True)
    assert "设置新密码" in form.content.decode()
    set_password = form.redirect_chain[-1][0]
    response = client.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("password_reset_complete")
    staff_with_address.refresh_from_db()
    assert staff_with_address.check_password(NEW_PASSWORD)
    assert log_in(client, "sdu_staff", NEW_PASSWORD).status_code == 302
    # The link works once.
    used = client.get(link, follow=True)
    assert "链接已失效" in used.content.decode()


def test_an_unknown_address_reveals_nothing(client, staff_with_address, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": "zhang@sdu.example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert len(mailoutbox) == 1
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])


def test_the_reset_pages_are_in_chinese(client, db):
    form = client.get(reverse("password_reset")).content.decode()
    done = client.get(reverse("password_reset_done")).content.decode()
    complete = client.get(reverse("password_reset_complete")).content.decode()

    assert "忘记密码？" in form
    assert "电子邮件" in form
    assert "请查收邮件" in done
    assert "新密码已设置" in complete


def test_a_forged_reset_link_is_refused(client, staff_with_address):
    response = client.get(
        reverse("password_reset_confirm", args=["MQ", "not-a-token"]), follow=True
    )

    assert "链接已失效" in response.content.decode()
