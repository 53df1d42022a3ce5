"""Refusals and errors speak the user's language inside the app's frame, Chinese first."""

import pytest
from django.template import loader
from django.test import Client
from django.urls import path, reverse
from django.utils import translation

from gqtrack import urls as project_urls


def broken_view(request):
    raise RuntimeError("a bug")


# The project's URLs and one that fails, for the test of the server error page.
urlpatterns = [path("broken/", broken_view), *project_urls.urlpatterns]


def test_a_refused_request_says_so_in_chinese(login, people):
    response = login(people.sdu_staff).get(reverse("directive_create"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    # Writing a directive is a supervisor's: the page names the role, not a bare refusal.
    assert 'data-testid="role-required"' in page and "督办负责人" in page
    assert "403 Forbidden" not in page
    assert '<html lang="zh-hans">' in page
    assert "山东大学工会" in page  # the app's header, with the user's union


def test_a_missing_page_says_so_in_chinese(login, people):
    response = login(people.sdu_staff).get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page
    assert "Not Found" not in page


def test_an_outsider_gets_the_same_missing_page(login, people, edu_directive):
    response = login(people.qd_staff).get(reverse("directive_detail", args=[edu_directive.pk]))

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_the_refusals_follow_the_language_switch(login, people):
    client = login(people.sdu_staff)
    client.post(reverse("set_language"), {"language": "en"})

    assert "Page not found" in client.get("/no-such-page/").content.decode()
    assert "Not allowed" in client.get(reverse("directive_create")).content.decode()


def test_the_server_error_page_needs_no_database_nor_request():
    # No db fixture: a query would fail the test. No context and no request either.
    with translation.override("zh-hans"):
        page = loader.get_template("500.html").render()

    assert "服务器出错了" in page
    assert "<html" in page


def test_a_form_refused_by_the_csrf_check_says_so_in_chinese(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert "表单未被接受" in response.content.decode()


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_shows_the_standalone_page(db):
    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()
