"""Accessibility (GB/T 37668, WCAG 2.1 AA): axe-core over every main page, on a desktop
and on a phone, must find nothing serious or critical; and the keyboard's focus must show.

axe-core comes from the npm registry (a devDependency in package.json, so `npm ci` puts it
in node_modules) and is injected by Playwright into each page from that local file, never
from a CDN. Playwright's init scripts run outside the page's Content-Security-Policy, so
the app needs no exception for a test tool, and serves none to its users.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.matrix_world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
REFUSED = {"serious", "critical"}


def axe_violations(page):
    """What axe-core finds on the page as it stands, serious or critical only."""
    page.wait_for_load_state("load")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n").slice(1, 2).join(""))
            }));
        }"""
    )
    return [violation for violation in found if violation["impact"] in REFUSED]


def describe(url, violations):
    lines = []
    for violation in violations:
        lines.append(f"{url}: {violation['id']} ({violation['impact']}) {violation['help']}")
        lines.extend(f"    {node}" for node in violation["nodes"][:8])
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return lines


def pages_by_persona(world):
    """Every main page, under the persona who uses it; None for the pages seen logged out."""
    issued, sdu, jinan = world.issued, world.sdu, world.jinan
    study = world.study
    return {
        None: [
            reverse("login"),
            reverse("password_reset"),
            reverse("password_reset_done"),
            reverse("password_reset_confirm", args=["MQ", "set-password"]),
            reverse("password_reset_complete"),
        ],
        "sdu_staff": [
            reverse("tasks"),
            reverse("directive_list"),
            reverse("assignment_detail", args=[sdu.assignment.pk]),
            reverse("entry_add", args=[sdu.assignment.pk, study.pk]),
            reverse("entry_detail", args=[sdu.entry.pk]),
            reverse("entry_edit", args=[sdu.entry.pk]),
            reverse("report_edit", args=[world.drafting.assignment.pk]),
            reverse("report_edit", args=[sdu.assignment.pk]),
            reverse("import_list"),
            reverse("import_new", args=["progress"]),
            reverse("import_job", args=[world.import_job.pk]),
            reverse("import_formats"),
            reverse("export_list"),
            reverse("password_change"),
            reverse("password_change_done"),
        ],
        "jinan_staff": [
            reverse("report_edit", args=[jinan.assignment.pk]),
        ],
        "edu": [
            reverse("overview"),
            reverse("directive_list"),
            reverse("directive_create"),
            reverse("directive_detail", args=[issued.pk]),
            reverse("directive_edit", args=[world.draft.pk]),
            reverse("directive_detail", args=[world.draft.pk]),
            reverse("dashboard", args=[issued.pk]),
            reverse("dashboard_units", args=[issued.pk]) + f"?requirement={study.pk}",
            reverse("dashboard_entries", args=[issued.pk]),
            reverse("dashboard_relay", args=[issued.pk]),
            reverse("unit_scorecard", args=[world.tree.sdu.pk]),
            reverse("directive_reports", args=[issued.pk]),
            reverse("review_queue"),
            reverse("report_review", args=[sdu.report.pk]),
            reverse("export_list"),
            reverse("export_job", args=[world.export_job.pk]),
            reverse("import_list"),
        ],
        "sdu_supervisor": [
            reverse("directive_detail", args=[issued.pk]),
            reverse("assignment_detail", args=[sdu.assignment.pk]),
        ],
    }


@pytest.fixture
def axe_ready():
    assert AXE.exists(), "axe-core is missing from node_modules: run `npm ci` (or `make`)."
    return AXE


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_no_page_has_a_serious_accessibility_violation(request, viewport, axe_ready, log_in):
    page = request.getfixturevalue(viewport)
    page.context.add_init_script(path=str(axe_ready))
    world = build_world()
    problems = []
    visited = 0
    for persona, urls in pages_by_persona(world).items():
        page.context.clear_cookies()
        if persona:
            log_in(page, persona)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, f"{url} answered {response.status} to {persona}"
            problems.extend(describe(url, axe_violations(page)))
            visited += 1
    assert visited >= 35
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_the_keyboard_focus_is_always_visible(page, log_in, tree, people, edu_directive):
    """Tab through the task list: every element that takes the focus shows it, by an
    outline or a ring (box-shadow) it has only when focused."""
    log_in(page, "sdu_staff")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    page.locator("body").focus()
    unseen = []
    stops = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        shown = page.evaluate(
            """() => {
                const element = document.activeElement;
                if (!element || element === document.body) return null;
                const style = getComputedStyle(element);
                const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
                const ring = style.boxShadow && style.boxShadow !== "none";
                return {shown: outline || ring, what: element.outerHTML.slice(0, 120)};
            }"""
        )
        if shown is None:
            break
        stops += 1
        if not shown["shown"]:
            unseen.append(shown["what"])
    assert stops >= 5
    assert not unseen, "The focus does not show on:\n  " + "\n  ".join(unseen)
