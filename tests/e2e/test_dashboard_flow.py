"""The province's supervisor opens a directive's dashboard and descends two levels."""

import pytest
from playwright.sync_api import expect

from tests.reports.conftest import media  # noqa: F401 (a fixture the cascade uses)
from tests.reports.test_dashboards import cascade  # noqa: F401 (the shared cascade)

pytestmark = pytest.mark.django_db(transaction=True)


def row(page, name):
    return page.get_by_test_id("dashboard-rows").locator("tr", has_text=name)


def test_descend_two_levels(page, log_in, cascade):  # noqa: F811
    top, _edu_forward = cascade
    log_in(page, "province")
    page.goto(page.url.split("/tasks/")[0] + f"/directives/{top.pk}/")
    page.get_by_test_id("dashboard-link").click()

    # The report-back requirement is done by the reports sent and not returned (Qingdao's,
    # 济南's): 5 of 15.
    expect(page.get_by_test_id("overall")).to_have_text("33%")
    expect(page.get_by_test_id("assigned")).to_have_text("5")
    expect(row(page, "青岛市总工会").get_by_test_id("percent")).to_have_text("67%")
    expect(row(page, "山东省教育工会").get_by_test_id("percent")).to_have_text("25%")
    # Each requirement's bar is as long as its share done (a class per width: the
    # Content-Security-Policy refuses style attributes).
    for bar in page.locator("[data-testid^=requirement-] .progress-bar").all():
        percent = int(bar.inner_text().rstrip("%"))
        ratio = bar.evaluate("b => b.offsetWidth / b.parentElement.clientWidth")
        assert abs(ratio * 100 - percent) < 1, (percent, ratio)
    # The charts are drawn by the locally served Chart.js. Its script is
    # deferred, so wait for it rather than racing the numbers above.
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-by-union')")
    assert page.evaluate("Chart.getChart('chart-by-union').data.labels").count("青岛市总工会") == 1

    row(page, "山东省教育工会").get_by_role("link", name="山东省教育工会").click()
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("山东省教育工会")
    expect(row(page, "山东大学工会").get_by_test_id("percent")).to_have_text("17%")
    expect(page.get_by_test_id("report-late")).to_have_text("1")

    row(page, "山东大学工会").get_by_role("link", name="山东大学工会").click()
    expect(page.get_by_test_id("breadcrumbs").locator("li")).to_have_count(3)
    expect(row(page, "文学院分工会")).to_contain_text("0/1")
    expect(page.get_by_test_id("assigned")).to_have_text("2")

    page.get_by_test_id("breadcrumbs").get_by_role("link", name="山东省总工会").click()
    expect(page.get_by_test_id("overall")).to_have_text("33%")


def test_the_table_of_units_scrolls_sideways_on_a_phone(phone_page, log_in, cascade):  # noqa: F811
    top, _edu_forward = cascade
    log_in(phone_page, "province")
    phone_page.goto(phone_page.url.split("/tasks/")[0] + f"/directives/{top.pk}/dashboard/")
    table = phone_page.get_by_test_id("dashboard-rows")
    expect(row(phone_page, "青岛市总工会")).to_be_visible()

    # Headers stay on one line (no column a character wide): the table scrolls instead,
    # inside its card, and the page itself is no wider than the phone.
    header = table.locator("thead th").nth(1).bounding_box()
    assert header["height"] < 40, header
    assert table.evaluate("t => t.parentElement.scrollWidth > t.parentElement.clientWidth")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
