"""The database fails as a unit sends its report on to the confirmation page (the step that
saves what was typed): the browser shows the app's 503 page, and Back brings the form back
with the text as typed, to send again."""

import re

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from directives.models import Assignment
from reports import services
from reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "我校工会召开专题学习会，传达学习会议精神，共有45名工会干部参加。"


def test_back_from_the_database_page_keeps_the_typed_report(
    page, log_in, tree, edu_directive, people, monkeypatch
):
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)
    report_url = re.compile(rf"/assignments/{assignment.pk}/report/$")
    log_in(page, "sdu_staff")
    page.goto(f"/assignments/{assignment.pk}/report/")
    form = page.get_by_test_id("report-form")
    form.locator("textarea[name=text]").fill(TEXT)

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "report_save", database_gone)
    form.locator("button[name=confirm]").click()

    unavailable = page.get_by_test_id("database-unavailable")
    expect(unavailable).to_contain_text("未保存：数据库暂时无法使用")
    expect(unavailable).to_contain_text("后退")
    assert not Report.objects.exists()

    page.go_back()

    expect(page).to_have_url(report_url)
    form = page.get_by_test_id("report-form")
    expect(form.locator("textarea[name=text]")).to_have_value(TEXT)

    monkeypatch.undo()
    form.locator("button[name=confirm]").click()
    expect(page).to_have_url(re.compile(rf"/assignments/{assignment.pk}/report/submit/$"))
    page.get_by_role("button", name="确认报送").click()
    expect(page).to_have_url(report_url)
    expect(
        page.get_by_test_id("report-state").locator("[data-report-state=submitted]")
    ).to_be_visible()
    assert Report.objects.get(assignment=assignment).text == TEXT
