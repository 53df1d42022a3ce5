"""A union's staff member sees the bell count a directive sent to the union, opens it,
follows the notification to the directive, marks everything read and chooses e-mails."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Notification, NotificationSettings

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_bell_the_list_and_the_settings(page, log_in, tree, people, edu_directive):
    log_in(page, "sdu_staff")

    bell = page.get_by_test_id("bell")
    expect(bell.get_by_test_id("unread-count")).to_contain_text("1")
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    item = page.get_by_test_id("notification")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("山东省教育工会向本单位下发了")
    expect(item).to_contain_text("未读")

    page.get_by_test_id("read-all").click()
    expect(page.get_by_role("alert")).to_contain_text("所有提醒均已标为已读。")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    assert not Notification.objects.filter(recipient=people.sdu_staff).unread().exists()

    item.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/assignments/\d+/$"))

    page.goto("/notifications/")
    page.get_by_role("link", name="提醒设置").click()
    page.get_by_label("本单位的报告已通过").check()
    page.get_by_label("收到催办").uncheck()
    page.get_by_label("邮件语言").select_option("en")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("提醒设置已保存。")
    chosen = NotificationSettings.objects.get(user=people.sdu_staff)
    assert "report_accepted" in chosen.emailed_kinds
    assert "urge_received" not in chosen.emailed_kinds
    assert chosen.language == "en"
