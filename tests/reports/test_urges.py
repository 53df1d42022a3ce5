"""Urging (催办): a supervisor urges late unions of its subtree from the dashboard's lists.

edu_directive is issued by 山东省教育工会 to 济南市教育工会 and 山东大学工会: 组织集体学习 due
2015-10-31, 报送学习贯彻情况 due 2015-11-30. Today is 2015-11-10 in Shanghai, so study is
overdue for both.
"""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directives.models import Assignment, Directive
from directives.services import (
    directive_forward,
    directive_issue,
    directive_set_recipients,
    union_merge,
)
from reports.models import Notification, Urge
from reports.signals import urge_sent
from tests.conftest import make_directive

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour=10, minute=0):
    return time_machine.travel(
        datetime.datetime(2015, 11, day, hour, minute, tzinfo=SHANGHAI), tick=False
    )


@pytest.fixture
def today():
    with at(10):
        yield


def urge_url(directive, unit=None):
    url = reverse("dashboard_urge", args=[directive.pk])
    return f"{url}?unit={unit.pk}" if unit else url


def urge(client, directive, *unions, message="{union}：请抓紧办理。\n{items}", unit=None):
    return client.post(
        urge_url(directive, unit),
        {"union": [u.pk for u in unions], "message": message},
        follow=True,
    )


def shown_messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def received(monkeypatch):
    """The urges `urge_sent` was sent with, in order."""
    found = []

    def receiver(sender, urge, **kwargs):
        assert sender is Urge and urge.pk is not None
        found.append(urge)

    urge_sent.connect(receiver, dispatch_uid="test_urges")
    yield found
    urge_sent.disconnect(dispatch_uid="test_urges")


def test_the_form_proposes_a_text_naming_the_directive_and_each_unions_late_items(
    edu_directive, people, tree, login, today
):
    response = login(people.edu).get(
        urge_url(edu_directive), {"union": [tree.sdu.pk, tree.jinan_edu.pk]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    proposed = response.context["form"]["message"].value()
    assert "关于认真学习宣传贯彻会议精神的通知" in proposed
    assert "鲁教工发〔2015〕12号" in proposed
    assert "{union}" in proposed and "{items}" in proposed
    preview = response.context["preview"]
    assert preview.startswith("济南市教育工会")
    assert "组织集体学习（截止2015年10月31日，已逾期）" in preview
    assert "报送学习贯彻情况（截止2015年11月30日）" in preview
    assert "山东大学工会" in page and "济南市教育工会" in page


def test_a_supervisor_urges_the_unions_chosen_and_is_told_what_was_recorded(
    edu_directive, people, tree, login, today, received
):
    response = urge(login(people.edu), edu_directive, tree.sdu, tree.jinan_edu)

    assert response.redirect_chain[-1][0].startswith(reverse("dashboard", args=[edu_directive.pk]))
    [shown] = shown_messages(response)
    # What was recorded, and who was told: SDU's staff and supervisor, Jinan's staff.
    assert shown == "已向2个单位催办；已通知2个被催办单位的3人（站内通知）。"
    told = Notification.objects.filter(kind=Notification.Kind.URGE_RECEIVED)
    assert sorted(n.recipient.username for n in told) == [
        "jinan_staff",
        "sdu_staff",
        "sdu_supervisor",
    ]
    assert all(n.text.startswith("山东省教育工会就《") for n in told)
    urges = {u.union.name: u for u in Urge.objects.all()}
    assert set(urges) == {"山东大学工会", "济南市教育工会"}
    sdu = urges["山东大学工会"]
    assert sdu.directive == edu_directive
    assert sdu.urging_union == tree.edu
    assert sdu.sent_by == people.edu
    assert sdu.sent_on == datetime.date(2015, 11, 10)
    assert sdu.message.startswith("山东大学工会：请抓紧办理。\n1. 组织集体学习（截止2015年10月31日")
    assert sorted(u.union.name for u in received) == ["山东大学工会", "济南市教育工会"]


def test_a_union_is_urged_at_most_once_a_day_in_shanghai(
    edu_directive, people, tree, login, received
):
    client = login(people.edu)
    with at(10, 23, 30):
        assert shown_messages(urge(client, edu_directive, tree.sdu)) == [
            "已向1个单位催办；已通知1个被催办单位的2人（站内通知）。"
        ]
        response = urge(client, edu_directive, tree.sdu, tree.jinan_edu)
    # Ten past midnight in Shanghai is a new day, though it is still the 10th in UTC.
    with at(11, 0, 10):
        again = urge(client, edu_directive, tree.sdu)

    assert shown_messages(response) == [
        "已向1个单位催办；1个单位今天已催办过，未重复发送：山东大学工会；"
        "已通知1个被催办单位的1人（站内通知）。"
    ]
    assert shown_messages(again) == ["已向1个单位催办；已通知1个被催办单位的2人（站内通知）。"]
    assert sorted(Urge.objects.values_list("union__name", "sent_on")) == [
        ("山东大学工会", datetime.date(2015, 11, 10)),
        ("山东大学工会", datetime.date(2015, 11, 11)),
        ("济南市教育工会", datetime.date(2015, 11, 10)),
    ]
    assert len(received) == 3


def test_a_second_urge_the_same_day_is_refused_by_the_database(edu_directive, people, tree):
    fields = {
        "directive": edu_directive,
        "union": tree.sdu,
        "urging_union": tree.edu,
        "sent_by": people.edu,
        "message": "请抓紧。",
        "sent_on": datetime.date(2015, 11, 10),
    }
    Urge.objects.create(**fields)
    with pytest.raises(IntegrityError):
        Urge.objects.create(**fields)


def test_all_refused_says_nothing_was_sent(edu_directive, people, tree, login, today):
    client = login(people.edu)
    urge(client, edu_directive, tree.sdu)
    response = urge(client, edu_directive, tree.sdu)
    assert shown_messages(response) == ["1个单位今天已催办过，未重复发送：山东大学工会"]
    assert Urge.objects.count() == 1


def test_a_supervisor_higher_up_urges_anywhere_in_its_subtree(
    edu_directive, people, tree, login, today
):
    response = urge(login(people.province), edu_directive, tree.sdu)
    assert response.status_code == 200
    assert Urge.objects.get().urging_union == tree.province


@pytest.mark.parametrize(
    "persona",
    [
        "qingdao",  # a supervisor of another subtree
        "sdu_staff",  # staff of the urged union
        "edu_staff",  # staff of the issuing union
        "sdu_supervisor",  # a supervisor of the union itself: not a union above
        "loner",
    ],
)
def test_nobody_else_urges_and_a_refused_urge_changes_nothing(
    edu_directive, people, tree, login, today, persona
):
    client = login(getattr(people, persona))
    assert client.get(urge_url(edu_directive), {"union": [tree.sdu.pk]}).status_code == 404
    assert urge(client, edu_directive, tree.sdu).status_code == 404
    assert not Urge.objects.exists()


def test_a_union_outside_the_subtree_spoils_the_whole_request(
    edu_directive, people, tree, login, today
):
    """Edu's supervisor picks 山东大学工会 and, by a forged id, 青岛市教育工会."""
    response = urge(login(people.edu), edu_directive, tree.sdu, tree.qd_sector)
    assert response.status_code == 404
    assert not Urge.objects.exists()


def test_a_closed_directive_is_not_urged(edu_directive, people, tree, login, today):
    Directive.objects.filter(pk=edu_directive.pk).update(state=Directive.State.CLOSED)
    assert urge(login(people.edu), edu_directive, tree.sdu).status_code == 404
    assert not Urge.objects.exists()


def test_an_empty_message_is_refused(edu_directive, people, tree, login, today):
    response = urge(login(people.edu), edu_directive, tree.sdu, message="  ")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Urge.objects.exists()


# --- Where urges are shown -------------------------------------------------------------------


def test_the_urged_unions_staff_see_the_urge_on_their_task_page(
    edu_directive, people, tree, login, today
):
    urge(login(people.edu), edu_directive, tree.sdu, message="{union}：请于本周内完成。")
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)
    page = login(people.sdu_staff).get(reverse("assignment_detail", args=[assignment.pk]))
    text = page.content.decode()
    assert "收到的催办" in text
    assert "山东大学工会：请于本周内完成。" in text
    notice = Urge.objects.get()
    assert reverse("urge_notice", args=[notice.pk]) in text

    other = Assignment.objects.get(directive=edu_directive, recipient=tree.jinan_edu)
    jinan_page = login(people.jinan_staff).get(reverse("assignment_detail", args=[other.pk]))
    assert "请于本周内完成" not in jinan_page.content.decode()


def test_the_unions_record_lists_its_urges(edu_directive, people, tree, login, today):
    urge(login(people.edu), edu_directive, tree.sdu, message="请抓紧报送。")
    page = login(people.province).get(reverse("unit_scorecard", args=[tree.sdu.pk]))
    assert 'data-testid="urge"' in page.content.decode()
    assert "请抓紧报送。" in page.content.decode()


def test_the_printable_notice_names_both_unions_the_date_and_the_late_items(
    edu_directive, people, tree, login, today
):
    urge(login(people.edu), edu_directive, tree.sdu)
    url = reverse("urge_notice", args=[Urge.objects.get().pk])
    page = login(people.sdu_staff).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "督办通知单" in text
    assert "山东省教育工会" in text  # the urging union
    assert "2015年11月10日" in text
    assert "组织集体学习" in text and "2015年10月31日" in text
    assert "已逾期" in text
    assert login(people.jinan_staff).get(url).status_code == 404
    assert login(people.qingdao).get(url).status_code == 404


def test_print_drops_the_menu_filters_and_language_picker():
    css = (Path(__file__).parents[2] / "static" / "css" / "gqtrack.css").read_text()
    print_rules = css[css.index("@media print") :]
    for hidden in (".gq-navbar", "footer", '[data-testid="filters"]', ".gq-no-print"):
        assert hidden in print_rules
    assert "size: A4" in css


# --- The dashboard lists ---------------------------------------------------------------------


def test_unions_urged_again_stand_out_on_the_units_list(edu_directive, people, tree, login):
    client = login(people.edu)
    for day in (8, 9):
        with at(day):
            urge(client, edu_directive, tree.sdu)
    with at(9):
        urge(client, edu_directive, tree.jinan_edu)
    with at(10):
        page = client.get(reverse("dashboard_units", args=[edu_directive.pk]))
    rows = {a.recipient.name: a for a in page.context["page"].object_list}
    assert rows["山东大学工会"].urged == 2 and rows["济南市教育工会"].urged == 1
    text = page.content.decode()
    assert text.count('class="gq-urged-again"') == 1
    assert "催办×2" in text and 'data-testid="urge-box"' in text


def test_the_dashboard_offers_to_urge_the_rows_beneath(edu_directive, people, tree, login, today):
    urge(login(people.edu), edu_directive, tree.sdu)
    page = login(people.edu).get(reverse("dashboard", args=[edu_directive.pk]))
    rows = {row.union.name: row for row in page.context["page"].object_list}
    assert rows["山东大学工会"].urgeable and rows["山东大学工会"].urged == 1
    assert page.content.decode().count('data-testid="urge-box"') == 2

    # A supervisor of 山东大学工会 sees its own union's row, which is not theirs to urge.
    page = login(people.sdu_supervisor).get(reverse("dashboard", args=[edu_directive.pk]))
    assert 'data-testid="urge-box"' not in page.content.decode()


def test_staff_are_offered_no_urging(edu_directive, people, tree, login, today):
    assignment = Assignment.objects.get(directive=edu_directive, recipient=tree.sdu)
    page = login(people.sdu_staff).get(reverse("assignment_detail", args=[assignment.pk]))
    assert reverse("dashboard_urge", args=[edu_directive.pk]) not in page.content.decode()


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_urge_counts_keep_the_lists_queries_bounded(edu_directive, people, tree, login):
    """The lists cost the same whether no union or every union was urged many times."""
    client = login(people.edu)
    lists = [
        (reverse("dashboard", args=[edu_directive.pk]), None),
        (reverse("dashboard_units", args=[edu_directive.pk]), None),
        (reverse("dashboard_units", args=[edu_directive.pk]), {"status": "overdue"}),
        (reverse("unit_scorecard", args=[tree.sdu.pk]), None),
    ]
    with at(10):
        before = [count_queries(client, url, params) for url, params in lists]
    for day in range(1, 10):
        with at(day):
            urge(client, edu_directive, tree.sdu, tree.jinan_edu)
    with at(10):
        after = [count_queries(client, url, params) for url, params in lists]
    assert after == before
    assert Urge.objects.count() == 18


def test_a_draft_directive_has_no_urging(edu_draft, people, tree, login, today):
    assert urge(login(people.edu), edu_draft, tree.sdu).status_code == 404


def test_a_forward_is_urged_as_the_union_received_it(people, tree, login, today):
    """The province's directive forwarded by edu: the province urges 山东大学工会 about the
    forward it received, and its task page shows it."""
    top = make_directive(tree.province, user=people.province, title="全省学习通知")
    directive_set_recipients(directive=top, mode=Directive.RecipientMode.CHILDREN)
    top = directive_issue(directive=top)
    forward = directive_issue(
        directive=directive_forward(directive=top, union=tree.edu, user=people.edu)
    )
    urge(login(people.province), top, tree.sdu)
    assert Urge.objects.get().directive == forward
    assignment = Assignment.objects.get(directive=forward, recipient=tree.sdu)
    page = login(people.sdu_staff).get(reverse("assignment_detail", args=[assignment.pk]))
    assert 'data-testid="urge"' in page.content.decode()


def test_nothing_ticked_sends_the_supervisor_back_to_choose(
    edu_directive, people, tree, login, today
):
    response = login(people.edu).get(urge_url(edu_directive), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("dashboard", args=[edu_directive.pk]))
    assert shown_messages(response) == ["请先勾选要催办的单位。"]


def test_a_superuser_in_no_union_urges_in_no_unions_name(
    edu_directive, superuser, tree, login, today
):
    assert urge(login(superuser), edu_directive, tree.sdu).status_code == 403
    assert not Urge.objects.exists()


def test_a_merged_unions_urges_follow_its_work(edu_directive, people, tree, login, today):
    """山东大学工会 is merged into the city federation of Qingdao, which did not receive the
    directive: its task passes over, and the urge it received goes with it."""
    urge(login(people.edu), edu_directive, tree.sdu)
    union_merge(union=tree.sdu, into=tree.qingdao)
    assert Urge.objects.get().union == tree.qingdao


def test_the_proposed_text_speaks_english_to_an_english_reader(
    edu_directive, people, tree, login, today
):
    client = login(people.edu)
    client.cookies["django_language"] = "en"
    response = client.get(urge_url(edu_directive), {"union": [tree.sdu.pk]})
    proposed = response.context["form"]["message"].value()
    assert proposed.startswith("{union}: your union has not yet completed")
    assert "(鲁教工发〔2015〕12号)" in proposed
    assert "组织集体学习 (due Oct. 31, 2015, overdue)" in response.context["preview"]
