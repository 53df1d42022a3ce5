"""Supervisors write, issue and forward directives; the units beneath receive them."""

import re

import pytest
from playwright.sync_api import expect

from directives.models import Directive

pytestmark = pytest.mark.django_db(transaction=True)

DETAIL_URL = re.compile(r"/directives/(\d+)/$")


def directive_on(page):
    """The directive whose detail or edit page the browser shows."""
    pk = re.search(r"/directives/(\d+)/", page.url).group(1)
    return Directive.objects.get(pk=pk)


def fill_requirement(page, index, *, kind, title, due_on):
    prefix = f"#id_requirements-{index}"
    page.select_option(f"{prefix}-kind", kind)
    page.fill(f"{prefix}-title", title)
    page.fill(f"{prefix}-due_on", due_on)


def save(page):
    button = page.get_by_test_id("directive-form").locator("button[type=submit]")
    button.scroll_into_view_if_needed()
    # Playwright would wait out its timeout on a covered button: say at once what covers it.
    covered_by = button.evaluate(
        """button => {
            const box = button.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return button.contains(hit) ? null : hit.outerHTML.slice(0, 200);
        }"""
    )
    assert covered_by is None, f"the save button is covered by {covered_by}"
    button.click()


def issue(page, *, units=None):
    """Issue from the directive's page, through the page confirming what issuing does."""
    page.get_by_test_id("issue-link").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+/issue/$"))
    if units is not None:
        expect(page.get_by_test_id("recipient-count")).to_contain_text(f"{units}个单位")
    page.get_by_role("button", name="确认印发").click()
    expect(page).to_have_url(DETAIL_URL)


def log_out(page):
    page.locator("form[action$='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_supervisor_writes_and_issues_a_directive(page, log_in, tree, people):
    log_in(page, "edu")
    page.goto("/directives/new/")
    form = page.get_by_test_id("directive-form")
    page.fill("#id_title", "关于开展劳模精神进校园活动的通知")
    page.fill("#id_number", "鲁教工发〔2015〕20号")
    fill_requirement(page, 0, kind="study", title="组织专题学习", due_on="2015-10-31")
    # The one requirement a directive needs offers no removal; one added does.
    expect(form.locator("#id_requirements-0-DELETE")).to_have_count(0)
    form.locator("[data-add-requirement]").click()
    expect(form.locator("#id_requirements-1-DELETE")).to_have_count(1)
    fill_requirement(page, 1, kind="report", title="报送活动总结", due_on="2015-11-30")
    form.locator("input[name=recipient_mode][value=children]").check()
    save(page)

    expect(page).to_have_url(DETAIL_URL)
    requirements = page.get_by_test_id("requirements")
    expect(requirements).to_contain_text("组织专题学习")
    expect(requirements).to_contain_text("报送活动总结")
    directive = directive_on(page)
    assert directive.state == Directive.State.DRAFT
    assert list(directive.requirements.values_list("title", flat=True)) == [
        "组织专题学习",
        "报送活动总结",
    ]

    issue(page, units=2)
    expect(page.get_by_test_id("issue-link")).to_have_count(0)
    directive.refresh_from_db()
    assert directive.state == Directive.State.ISSUED
    assert set(directive.assignments.values_list("recipient__name", flat=True)) == {
        "济南市教育工会",
        "山东大学工会",
    }

    log_out(page)
    log_in(page, "sdu_staff")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(page.get_by_test_id("tasks")).to_contain_text("关于开展劳模精神进校园活动的通知")
    expect(page.get_by_test_id("tasks")).to_contain_text("鲁教工发〔2015〕20号")


def test_supervisor_forwards_a_directive_to_its_units(page, log_in, tree, people, edu_directive):
    log_in(page, "sdu_supervisor")
    page.goto(f"/directives/{edu_directive.pk}/")
    page.locator(f"form[action$='/directives/{edu_directive.pk}/forward/'] button").click()

    expect(page).to_have_url(re.compile(r"/directives/\d+/edit/$"))
    forward = directive_on(page)
    assert forward.pk != edu_directive.pk
    assert forward.parent_id == edu_directive.pk
    expect(page.locator("#id_title")).to_have_value(f"关于转发《{edu_directive.title}》的通知")
    expect(page.locator("#id_requirements-0-title")).to_have_value("组织集体学习")
    expect(page.locator("#id_requirements-0-due_on")).to_have_value("2015-10-31")
    expect(page.locator("#id_requirements-1-title")).to_have_value("报送学习贯彻情况")
    save(page)

    expect(page).to_have_url(re.compile(rf"/directives/{forward.pk}/$"))
    issue(page)
    forward.refresh_from_db()
    assert forward.state == Directive.State.ISSUED
    assert list(forward.assignments.values_list("recipient__name", flat=True)) == ["文学院分工会"]

    page.goto(f"/directives/{forward.pk}/")
    chain = page.get_by_test_id("chain")
    expect(chain).to_contain_text("山东省教育工会")
    expect(chain).to_contain_text(edu_directive.title)
    expect(chain).to_contain_text("山东大学工会")


def test_supervisor_carries_out_a_directive_with_its_own_notice(
    page, log_in, tree, people, edu_directive
):
    log_in(page, "sdu_supervisor")
    page.goto(f"/directives/{edu_directive.pk}/")
    page.get_by_role("button", name="承接（另行发文落实）").click()

    expect(page).to_have_url(re.compile(r"/directives/\d+/edit/$"))
    own = directive_on(page)
    assert (own.parent_id, own.relation) == (edu_directive.pk, Directive.Relation.CARRY_OUT)
    expect(page.get_by_test_id("passes-on")).to_contain_text("承接山东省教育工会")
    page.fill("#id_title", "关于在全校开展学习活动的通知")
    page.fill("#id_number", "山大工发〔2015〕26号")
    page.fill("#id_body", "各分工会：请结合学院实际组织学习。")
    expect(page.locator("#id_requirements-0-source")).to_have_value(
        str(edu_directive.requirements.get(kind="study").pk)
    )
    page.fill("#id_requirements-0-title", "各分工会组织教职工集中学习")
    page.fill("#id_requirements-1-report_to_department", "办公室")
    save(page)

    expect(page).to_have_url(re.compile(rf"/directives/{own.pk}/$"))
    expect(page.get_by_test_id("addressee")).to_contain_text("山东大学工会办公室")
    issue(page, units=1)
    own.refresh_from_db()
    assert own.state == Directive.State.ISSUED
    assert own.requirements.get(kind="study").source.directive == edu_directive

    page.goto(f"/directives/{edu_directive.pk}/")
    expect(page.get_by_test_id("own-carry-outs")).to_contain_text("山大工发〔2015〕26号")
