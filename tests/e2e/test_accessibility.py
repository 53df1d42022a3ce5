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

from reports.models import Submission
from reports.services import report_review, report_submit
from tests.matrix_world import build_world, issued_to_children
from tests.reports.conftest import SDU_NARRATIVE, SDU_REPORT, unit_work

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
REFUSED = {"serious", "critical"}
# Lesser rules held too, because every page passes them and a screen reader relies on
# them: one main landmark, each landmark told apart by its name, all content within
# landmarks, one first-level heading, and no table column without a header.
ALSO_REFUSED = {
    "landmark-one-main",
    "landmark-unique",
    "region",
    "page-has-heading-one",
    "empty-table-header",
}


def axe_violations(page):
    """What axe-core finds on the page as it stands: anything serious or critical, and any
    breach of the lesser rules held too."""
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
    return [v for v in found if v["impact"] in REFUSED or v["id"] in ALSO_REFUSED]


def describe(url, violations):
    lines = []
    for violation in violations:
        lines.append(f"{url}: {violation['id']} ({violation['impact']}) {violation['help']}")
        lines.extend(f"    {node}" for node in violation["nodes"][:8])
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return lines


def world_in_every_state():
    """The permission matrix's world, with a report in each state a badge shows: 济南's
    returned with a comment, and 山东大学工会's accepted on a directive of its own."""
    world = build_world()
    people = world.people
    report_submit(report=world.jinan.report, user=people.jinan_staff)
    report_review(
        report=world.jinan.report,
        user=people.edu,
        decision=Submission.Decision.RETURNED,
        comment="请补充学习人数。",
    )
    visits = issued_to_children(world.tree.edu, user=people.edu, title="关于开展走访慰问的通知")
    accepted = unit_work(
        visits.assignments.get(recipient=world.tree.sdu),
        user=people.sdu_staff,
        narrative=SDU_NARRATIVE,
        report_text=SDU_REPORT,
    )
    report_submit(report=accepted.report, user=people.sdu_staff)
    report_review(report=accepted.report, user=people.edu, decision=Submission.Decision.ACCEPTED)
    world.accepted = accepted
    return world


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
            reverse("invitation_confirm", args=["MQ", "set-password"]),
        ],
        "sdu_staff": [
            reverse("calendar_settings"),
            reverse("tasks"),
            reverse("directive_list"),
            reverse("assignment_detail", args=[sdu.assignment.pk]),
            reverse("entry_add", args=[sdu.assignment.pk, study.pk]),
            reverse("entry_detail", args=[sdu.entry.pk]),
            reverse("entry_edit", args=[sdu.entry.pk]),
            reverse("report_edit", args=[world.drafting.assignment.pk]),
            reverse("report_submit", args=[world.drafting.assignment.pk]),
            reverse("report_edit", args=[sdu.assignment.pk]),
            reverse("report_edit", args=[world.accepted.assignment.pk]),
            reverse("urge_notice", args=[world.urge.pk]),
            reverse("import_list"),
            reverse("import_new", args=["progress"]),
            reverse("import_job", args=[world.import_job.pk]),
            reverse("import_formats"),
            reverse("export_list"),
            reverse("password_change"),
            reverse("password_change_done"),
            reverse("notification_list"),
            reverse("notification_settings"),
        ],
        "jinan_staff": [
            reverse("tasks"),
            reverse("assignment_detail", args=[jinan.assignment.pk]),
            reverse("report_edit", args=[jinan.assignment.pk]),
        ],
        "edu": [
            reverse("overview"),
            reverse("directive_list"),
            reverse("directive_create"),
            reverse("directive_detail", args=[issued.pk]),
            reverse("directive_edit", args=[world.draft.pk]),
            reverse("directive_detail", args=[world.draft.pk]),
            reverse("directive_issue", args=[world.draft.pk]),
            reverse("directive_record", args=[issued.pk]),
            reverse("entry_add", args=[sdu.assignment.pk, study.pk]),
            reverse("directive_progress_import", args=[issued.pk]),
            reverse("dashboard", args=[issued.pk]),
            reverse("dashboard_units", args=[issued.pk]) + f"?requirement={study.pk}",
            reverse("dashboard_entries", args=[issued.pk]),
            reverse("dashboard_relay", args=[issued.pk]),
            reverse("dashboard_urge", args=[issued.pk]) + f"?union={world.tree.sdu.pk}",
            reverse("unit_scorecard", args=[world.tree.sdu.pk]),
            reverse("directive_reports", args=[issued.pk]),
            reverse("review_queue"),
            reverse("report_review", args=[sdu.report.pk]),
            reverse("report_review", args=[jinan.report.pk]),
            reverse("report_review", args=[world.accepted.report.pk]),
            reverse("export_list"),
            reverse("export_job", args=[world.export_job.pk]),
            reverse("import_list"),
        ],
        "edu_admin": [
            reverse("union_tree"),
            reverse("union_tree") + "?q=山东大学",
            reverse("robot_settings", args=[world.tree.sdu.pk]),
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
    world = world_in_every_state()
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
    assert visited >= 45
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_the_keyboard_focus_is_always_visible(page, log_in, tree, people, edu_directive):
    """Tab through the task list and the progress form: the first stop is a visible link
    to the content, and every element that takes the focus shows it, by an outline or a
    ring (box-shadow)."""
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    study = edu_directive.requirements.get(position=1)
    # Bootstrap fades the focus ring in; without motion it is there at once to be read.
    page.emulate_media(reduced_motion="reduce")
    log_in(page, "sdu_staff")
    for url in (reverse("tasks"), reverse("entry_add", args=[assignment.pk, study.pk])):
        page.goto(url)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="跳到正文")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        assert skip.bounding_box()["width"] > 20
        skip.press("Enter")
        expect(page).to_have_url(re.compile(r"#gq-main$"))
        page.goto(url)
        unseen, stops = [], 0
        for _ in range(40):
            page.keyboard.press("Tab")
            shown = page.evaluate(
                """() => {
                    const element = document.activeElement;
                    if (!element || element === document.body) return null;
                    // Within a control's own parts (a date field's calendar button), which
                    // the browser draws and rings itself.
                    if (!element.matches(":focus")) return {shown: true};
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
        assert stops >= 5, url
        assert not unseen, f"On {url} the focus does not show on:\n  " + "\n  ".join(unseen)


def test_pages_that_answer_a_mistake_have_no_serious_violation(
    page, axe_ready, log_in, tree, people, edu_directive
):
    """A refused log-in, a directive form sent empty, and a page that does not exist."""
    page.context.add_init_script(path=str(axe_ready))
    problems = []
    page.goto(reverse("login"))
    page.fill("#id_username", "edu")
    page.fill("#id_password", "not-the-password")
    page.locator("form:has(#id_password) button[type=submit]").click()
    expect(page.locator(".alert-danger, .invalid-feedback, .errorlist").first).to_be_visible()
    problems.extend(describe("login, refused", axe_violations(page)))

    log_in(page, "edu")
    page.goto(reverse("directive_create"))
    page.get_by_test_id("directive-form").locator("button[type=submit]").first.click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    problems.extend(describe("directive form, sent empty", axe_violations(page)))

    response = page.goto("/directives/999999/")
    assert response.status == 404
    problems.extend(describe("404", axe_violations(page)))
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_the_dashboard_charts_are_named_images(page, log_in, tree, people, edu_directive):
    """A screen reader skips a bare canvas; each chart is an image named by its heading,
    and the table of unions beneath holds the same numbers."""
    log_in(page, "edu")
    page.goto(reverse("dashboard", args=[edu_directive.pk]))
    for name in ("各单位完成率", "进度变化", "状态分布"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
