"""A union's staff member logs in, finds the directive in 我的任务 and acknowledges it."""

import re

import pytest
from playwright.sync_api import expect

from directives.models import Assignment

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_tasks_acknowledge(page, log_in, tree, people, edu_directive):
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)

    log_in(page, "sdu_staff")

    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("who")).to_contain_text("山东大学工会")
    row = page.get_by_test_id("tasks").locator(f"#task-{assignment.pk}")
    expect(row).to_contain_text(edu_directive.title)
    expect(row).to_contain_text("鲁教工发〔2015〕12号")
    expect(row.get_by_test_id("acknowledged")).to_have_count(0)

    # htmx swaps the row in place: the page itself must not be reloaded.
    page.evaluate("window.stillTheSamePage = true")
    with page.expect_response(f"**/directives/{edu_directive.pk}/acknowledge/") as response:
        row.get_by_role("button").click()
    assert response.value.request.headers.get("hx-request") == "true"
    expect(row.get_by_test_id("acknowledged")).to_be_visible()
    expect(row.get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True

    page.reload()
    expect(page.get_by_test_id("tasks").locator(f"#task-{assignment.pk}")).to_contain_text(
        edu_directive.title
    )
    expect(page.get_by_test_id("acknowledged")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is None

    assignment.refresh_from_db()
    assert assignment.acknowledged_at is not None
    assert assignment.acknowledged_by == people.sdu_staff


def test_phone_tasks_fit_the_screen(phone_page, log_in, tree, people, edu_directive):
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)

    log_in(phone_page, "sdu_staff")

    row = phone_page.get_by_test_id("tasks").locator(f"#task-{assignment.pk}")
    expect(row).to_contain_text(edu_directive.title)
    expect(row.get_by_role("button")).to_be_visible()
    expect(row.get_by_role("button")).to_be_in_viewport()
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - window.innerWidth",
    )
    assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone screen"


def test_the_language_switch_applies_on_choosing(page, log_in, tree, people, edu_directive):
    log_in(page, "sdu_staff")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # No button to press: the choice submits the form (static/js/gqtrack.js, deferred).
    page.wait_for_load_state()
    page.locator("#gq-language").select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(page.get_by_role("link", name="My tasks")).to_be_visible()
