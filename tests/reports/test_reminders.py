"""`manage.py send_reminders`: deadlines coming and just missed, told once each, however
often the command runs."""

import datetime
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from directives.models import Requirement
from reports.models import GroupRobot, Notification
from reports.services import requirement_set_done
from tests.reports.test_group_robots import Receiver

SHANGHAI = ZoneInfo("Asia/Shanghai")
Kind = Notification.Kind


def send_reminders(*args):
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return json.loads(out.getvalue())


def on(day):
    """Eight in the morning in Shanghai, when a cron job would run the command."""
    return time_machine.travel(datetime.datetime(*day, 8, 0, tzinfo=SHANGHAI), tick=False)


def kinds_of(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.fixture
def study(edu_directive):
    # Due 2015-10-31; the report back falls due a month later, out of these tests' days.
    return edu_directive.requirements.get(kind=Requirement.Kind.STUDY)


def test_a_deadline_is_told_three_days_and_one_day_before_and_once_overdue(
    edu_directive, study, people
):
    printed = {}
    for day in range(27, 32):  # 27 October … 31 October, the deadline
        with on((2015, 10, day)):
            printed[day] = send_reminders()
            assert send_reminders() == {"notifications": 0, "emails": 0, "webhooks": 0}
    for day in range(1, 4):  # overdue from 1 November
        with on((2015, 11, day)):
            printed[day + 31] = send_reminders()

    # 山东大学工会 (staff and supervisor) and 济南市教育工会 (staff): three people each day
    # something is told; nothing on the other days.
    told = {day: p["notifications"] for day, p in printed.items()}
    assert told == {27: 0, 28: 3, 29: 0, 30: 3, 31: 0, 32: 3, 33: 0, 34: 0}
    for user in (people.sdu_staff, people.sdu_supervisor, people.jinan_staff):
        assert kinds_of(user) == sorted(
            [
                Kind.DIRECTIVE_ASSIGNED,
                Kind.DEADLINE_APPROACHING,
                Kind.DEADLINE_APPROACHING,
                Kind.OVERDUE,
            ]
        )
    notice = Notification.objects.filter(recipient=people.sdu_staff, kind=Kind.OVERDUE).get()
    assert study.title in notice.text and "2015年10月31日" in notice.text
    assert notice.url.endswith(f"/assignments/{notice.assignment_id}/")
    coming = Notification.objects.filter(recipient=people.sdu_staff, kind=Kind.DEADLINE_APPROACHING)
    assert sorted(n.text for n in coming) == sorted(
        [
            f"《{edu_directive.title}》还有1天到期（2015年10月31日）：{study.title}。",
            f"《{edu_directive.title}》还有3天到期（2015年10月31日）：{study.title}。",
        ]
    )


def test_a_requirement_done_is_not_reminded(edu_directive, study, people, tree):
    sdu = edu_directive.assignments.get(recipient=tree.sdu)
    requirement_set_done(assignment=sdu, requirement=study, done=True, user=people.sdu_staff)

    printed = send_reminders("--today", "2015-11-01")

    assert printed["notifications"] == 1  # 济南市教育工会's staff only
    assert Kind.OVERDUE not in kinds_of(people.sdu_staff)
    assert Kind.OVERDUE in kinds_of(people.jinan_staff)


def test_reminders_are_e_mailed_to_who_chose_it_in_their_language(
    edu_directive, study, people, django_capture_on_commit_callbacks
):
    people.sdu_staff.email = "chenjing@example.org"
    people.sdu_staff.save()
    mail.outbox.clear()

    # The e-mails are queued once the reminders are saved, and sent by the worker.
    with django_capture_on_commit_callbacks(execute=True):
        printed = send_reminders("--today", "2015-11-01")

    assert printed == {"notifications": 3, "emails": 1, "webhooks": 0}
    [email] = mail.outbox
    assert email.to == ["chenjing@example.org"]
    assert study.title in email.body and "逾期" in email.subject + email.body


def test_a_deadline_missed_long_ago_is_not_told_on_a_first_run(edu_directive, study):
    assert send_reminders("--today", "2016-01-01") == {
        "notifications": 0,
        "emails": 0,
        "webhooks": 0,
    }
    assert not Notification.objects.filter(kind=Kind.OVERDUE).exists()


def test_a_closed_directive_is_not_reminded(edu_directive, study):
    edu_directive.state = edu_directive.State.CLOSED
    edu_directive.save()

    assert send_reminders("--today", "2015-11-01")["notifications"] == 0


def test_a_day_that_is_not_a_date_is_refused(db):
    with pytest.raises(CommandError):
        send_reminders("--today", "2015-13-01")


def test_a_union_with_a_group_robot_gets_each_reminder_there_once(
    edu_directive, study, tree, settings
):
    settings.GROUP_ROBOT_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    try:
        GroupRobot.objects.create(union=tree.sdu, kind=GroupRobot.Kind.WECOM, url=receiver.url)

        first = send_reminders("--today", "2015-11-01")
        again = send_reminders("--today", "2015-11-01")
    finally:
        receiver.close()

    assert (first["webhooks"], again["webhooks"]) == (1, 0)
    [(_path, payload)] = receiver.requests
    assert study.title in payload["markdown"]["content"]
