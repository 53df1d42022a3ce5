"""The province's supervisor urges late unions from the dashboard and from the list behind
a number; 山东大学工会's staff find the urge on their task page and print its notice."""

import pytest
from playwright.sync_api import expect

from directives.models import Assignment
from tests.reports.conftest import media  # noqa: F401 (a fixture the cascade uses)
from tests.reports.test_dashboards import cascade  # noqa: F401 (the shared cascade)

pytestmark = pytest.mark.django_db(transaction=True)


def row(page, name, testid="dashboard-rows"):
    return page.get_by_test_id(testid).locator("tr", has_text=name)


def test_urge_from_the_dashboard_and_the_list_behind_a_number(
    page,
    log_in,
    cascade,  # noqa: F811
    tree,
):
    top, edu_forward = cascade
    log_in(page, "province")
    page.goto(f"/directives/{top.pk}/dashboard/")

    # Nothing ticked, nothing to send.
    expect(page.get_by_test_id("urge-chosen")).to_be_disabled()
    row(page, "青岛市总工会").get_by_test_id("urge-box").check()
    page.get_by_test_id("urge-chosen").click()

    # The proposed text names the directive; the preview fills in the union and its items.
    expect(page.get_by_label("催办内容")).to_contain_text("关于学习贯彻会议精神的通知")
    expect(page.get_by_test_id("urge-preview")).to_contain_text("青岛市总工会：")
    expect(page.get_by_test_id("urge-preview")).to_contain_text("截止2015年11月15日")
    page.get_by_test_id("urge-send").click()

    expect(page.get_by_role("alert")).to_contain_text("已向1个单位催办")
    expect(row(page, "青岛市总工会").get_by_test_id("urged")).to_contain_text("催办×1")

    # Behind the number of unions assigned: every union beneath, at any depth.
    page.get_by_test_id("assigned").click()
    page.get_by_test_id("select-all").check()
    expect(page.get_by_test_id("urge-box")).to_have_count(5)
    page.get_by_test_id("urge-chosen").click()
    expect(page.get_by_test_id("urge-unions").locator("tbody tr")).to_have_count(5)
    page.get_by_label("催办内容").fill("{union}：请于本周五前完成以下工作：\n{items}")
    page.get_by_test_id("urge-send").click()

    # Back on the list: what was recorded, and who was left out.
    expect(page.get_by_role("alert")).to_contain_text(
        "已向4个单位催办；1个单位今天已催办过，未重复发送：青岛市总工会"
    )
    expect(page.get_by_test_id("units")).to_be_visible()
    sdu = page.get_by_test_id("units").locator(
        "tr", has=page.get_by_role("link", name="山东大学工会")
    )
    expect(sdu.get_by_test_id("urged")).to_contain_text("催办×1")

    # 山东大学工会's staff see the urge on their task page, and print its notice.
    page.context.clear_cookies()
    log_in(page, "sdu_staff")
    assignment = Assignment.objects.get(directive=edu_forward, recipient=tree.sdu)
    page.goto(f"/assignments/{assignment.pk}/")
    log = page.get_by_test_id("urge-log")
    expect(log).to_contain_text("山东大学工会：请于本周五前完成以下工作：")
    expect(log).to_contain_text("山东省总工会")
    log.get_by_test_id("urge-notice").click()

    expect(page.get_by_role("heading", name="督办通知单")).to_be_visible()
    expect(page.get_by_test_id("notice-urging-union")).to_have_text("山东省总工会")
    expect(page.get_by_test_id("notice-date")).to_have_text("2015年11月10日")
    page.emulate_media(media="print")
    expect(page.locator("nav.gq-navbar")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_test_id("urge-notice")).to_be_visible()
