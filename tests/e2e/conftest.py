"""Browser tests: pytest-django's live server driven by Debian's chromium through Playwright.

Playwright cannot download its own browsers here, so the tests launch the distribution's
chromium (scripts/ensure-chromium installs it when `make test` runs as root). Every request
the browser makes must go to the live server: the app promises that nothing leaves it. And
the browser must refuse nothing under the Content-Security-Policy: a console message saying
it did fails the test.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an asyncio loop in the test thread, and Django refuses
    ORM calls from a thread with a running loop; the browser tests only, then restored."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def pytest_collection_modifyitems(items):
    """Mark the browser tests and run them last, so that the relaxed async check and the
    browser's event loop stay out of every other test. The hook sees the whole session."""
    browser_tests = [item for item in items if HERE in item.path.parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test if the browser tried to reach anything but the live server, or
    refused anything under the Content-Security-Policy."""
    result = yield
    offsite = item.funcargs.get("offsite_requests")
    if offsite:
        pytest.fail(
            "The browser tried to leave the server (requests blocked):\n  " + "\n  ".join(offsite)
        )
    refused = item.funcargs.get("csp_violations")
    if refused:
        pytest.fail("The Content-Security-Policy refused:\n  " + "\n  ".join(refused))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, save a screenshot of each open page and name it in the report."""
    report = yield
    if report.when == "call" and report.failed:
        for name in ("page", "phone_page"):
            page = item.funcargs.get(name)
            if page is None or page.is_closed():
                continue
            path = item.funcargs["tmp_path"] / f"{name}.png"
            try:
                page.screenshot(path=path, full_page=True)
            except PlaywrightError as error:
                report.sections.append(("screenshot", f"could not take one: {error}"))
            else:
                report.sections.append(("screenshot", f"{page.url}\n{path}"))
    return report


@pytest.fixture(scope="session")
def browser(allow_orm_beside_playwright):
    executable = os.environ.get("GQTRACK_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        message = (
            f"Chromium is not installed at {executable}, so the browser tests cannot run. "
            "Install Debian's package (apt-get update && apt-get install chromium), or run "
            "`make test` as root, which installs it; GQTRACK_CHROMIUM names another binary."
        )
        if os.environ.get("GQTRACK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def offsite_requests():
    """URLs the browser tried to fetch from anywhere but the live server (all blocked)."""
    return []


@pytest.fixture
def csp_violations():
    """What the browser refused under the Content-Security-Policy, as its console said."""
    return []


def open_page(browser, live_server, offsite_requests, csp_violations, viewport, **options):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=viewport, **options
    )

    def watch_console(message):
        # Older Chromium says "Refused to apply inline style…", newer "Applying inline style
        # violates the following Content Security Policy directive…".
        if "Refused to" in message.text or "Content Security Policy" in message.text:
            csp_violations.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("console", watch_console)

    def keep_on_server(route):
        url = route.request.url
        if url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            offsite_requests.append(url)
            route.abort()

    context.route("**/*", keep_on_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(browser, live_server, offsite_requests, csp_violations, tmp_path):
    page = open_page(browser, live_server, offsite_requests, csp_violations, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser, live_server, offsite_requests, csp_violations, tmp_path):
    page = open_page(
        browser,
        live_server,
        offsite_requests,
        csp_violations,
        PHONE,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    page.context.close()


@pytest.fixture
def log_in():
    """Log a user in through the real login form: log_in(page, "sdu_staff")."""

    def log_in(page, username, password=PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("form:has(#id_password) button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    return log_in
