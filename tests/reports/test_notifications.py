"""Notifications (通知提醒): who is told of what, under the bell and by e-mail.

山东省教育工会 issues 鲁教工发〔2015〕12号 to 济南市教育工会 and 山东大学工会; 山东大学工会
reports back and 山东省教育工会's supervisor reviews the report.
"""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directives.models import Directive, Membership
from directives.services import directive_forward, directive_issue, directive_set_recipients
from reports.models import Notification, NotificationSettings, Report, Submission
from reports.notifications import notify, notify_directive_issued
from reports.services import report_for, report_save, report_submit
from tests.conftest import make_user

Kind = Notification.Kind
LIST = reverse("notification_list")
SETTINGS = reverse("notification_settings")


def kinds_of(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.fixture
def sdu_assignment(edu_directive, tree):
    return edu_directive.assignments.get(recipient=tree.sdu)


@pytest.fixture
def emails(people):
    """Everyone of 山东大学工会 and 山东省教育工会 has an address; edu_staff has none."""
    for user in (people.sdu_staff, people.sdu_supervisor, people.edu):
        user.email = f"{user.username}@example.org"
        user.save()


def submitted(assignment, user):
    report = report_save(report=report_for(assignment), text="已组织学习两次。", figures={})
    return report_submit(report=report, user=user)


def review(client, report, decision, comment=""):
    return client.post(
        reverse("report_review", args=[report.pk]), {"decision": decision, "comment": comment}
    )


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- Who is told of what -------------------------------------------------------------------


def test_an_issued_directive_reaches_every_member_of_each_recipient_union(
    edu_directive, people, tree
):
    for user in (people.sdu_staff, people.sdu_supervisor, people.jinan_staff):
        assert kinds_of(user) == [Kind.DIRECTIVE_ASSIGNED]
    for user in (people.edu, people.edu_staff, people.province, people.qd_staff):
        assert kinds_of(user) == []
    notification = Notification.objects.get(recipient=people.sdu_staff)
    assignment = edu_directive.assignments.get(recipient=tree.sdu)
    assert notification.url == reverse("assignment_detail", args=[assignment.pk])
    assert (
        notification.text == "山东省教育工会向本单位下发了《关于认真学习宣传贯彻会议精神的通知》。"
    )


def test_the_same_event_twice_tells_each_person_once(edu_directive, people):
    delivery = notify_directive_issued(directive=edu_directive)
    assert delivery.people == 0
    assert Notification.objects.filter(recipient=people.sdu_staff).count() == 1


def test_a_forward_is_told_as_a_forward(edu_directive, people, tree):
    college = make_user("college_staff", tree.sdu_college, Membership.Role.STAFF)
    forward = directive_forward(directive=edu_directive, union=tree.sdu, user=people.sdu_supervisor)
    directive_set_recipients(directive=forward, mode=Directive.RecipientMode.CHILDREN)
    directive_issue(directive=forward)
    notification = Notification.objects.get(recipient=college)
    assert notification.kind == Kind.FORWARD_RECEIVED
    assert "转发" in notification.text


def test_a_submitted_report_waits_for_the_issuing_unions_supervisors(login, sdu_assignment, people):
    report = report_save(report=report_for(sdu_assignment), text="已组织学习两次。", figures={})
    client = login(people.sdu_staff)
    response = client.post(
        reverse("report_submit", args=[sdu_assignment.pk]), {"version": report.version}
    )
    assert response.status_code == 302
    assert kinds_of(people.edu) == [Kind.REVIEW_WAITING]
    assert kinds_of(people.edu_staff) == []
    assert "已通知山东省教育工会的1位督办负责人（站内通知）。" in messages_of(response)


def test_a_returned_report_tells_the_union_with_the_comment_by_e_mail_in_chinese(
    login, sdu_assignment, people, emails, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://gqtrack.example.org"
    report = submitted(sdu_assignment, people.sdu_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = review(
            login(people.edu), report, Submission.Decision.RETURNED, "请补充参加人数。"
        )
    assert "审核意见已记录。已通知山东大学工会的2位成员（站内通知，其中2位另发邮件）。" in (
        messages_of(response)
    )
    assert kinds_of(people.sdu_staff)[-1] == Kind.REPORT_RETURNED
    assert sorted(m.to[0] for m in mail.outbox) == [
        "sdu_staff@example.org",
        "sdu_supervisor@example.org",
    ]
    message = mail.outbox[0]
    assert "退回" in message.subject
    assert "请补充参加人数。" in message.body
    assert f"https://gqtrack.example.org/assignments/{sdu_assignment.pk}/report/" in message.body
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_e_mails_speak_the_language_the_person_chose(
    login, sdu_assignment, people, emails, django_capture_on_commit_callbacks
):
    NotificationSettings.objects.create(
        user=people.sdu_staff, language="en", emailed_kinds=[Kind.REPORT_RETURNED]
    )
    report = submitted(sdu_assignment, people.sdu_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review(login(people.edu), report, Submission.Decision.RETURNED, "请补充参加人数。")
    english = next(m for m in mail.outbox if m.to == ["sdu_staff@example.org"])
    assert english.subject.startswith("[gqtrack] 山东省教育工会 returned your report on")
    assert "Open it in gqtrack:" in english.body
    chinese = next(m for m in mail.outbox if m.to == ["sdu_supervisor@example.org"])
    assert "在系统中查看" in chinese.body


def test_an_accepted_report_is_told_in_the_app_only_unless_chosen(
    login, sdu_assignment, people, emails, django_capture_on_commit_callbacks
):
    report = submitted(sdu_assignment, people.sdu_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = review(login(people.edu), report, Submission.Decision.ACCEPTED)
    assert "审核意见已记录。已通知山东大学工会的2位成员（站内通知）。" in messages_of(response)
    assert mail.outbox == []
    assert Report.objects.get(pk=report.pk).state == Report.State.ACCEPTED


def test_the_message_never_claims_a_union_was_told_when_nobody_works_there(
    login, edu_directive, tree, people
):
    assignment = edu_directive.assignments.get(recipient=tree.jinan_edu)
    people.jinan_staff.is_active = False
    people.jinan_staff.save()
    report = submitted(assignment, people.edu)
    response = review(login(people.edu), report, Submission.Decision.ACCEPTED)
    assert "审核意见已记录。无人收到通知：济南市教育工会没有在用的账号。" in messages_of(response)


# --- The door later events use ----------------------------------------------------------


def test_notify_tells_each_person_of_an_event_once_and_e_mails_those_who_chose_it(
    people, edu_directive, emails, django_capture_on_commit_callbacks
):
    users = [people.sdu_staff, people.sdu_supervisor, people.edu_staff, people.sdu_staff]
    with (
        time_machine.travel(datetime.datetime(2015, 10, 29, 8, tzinfo=datetime.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = notify(
            Kind.OVERDUE,
            users,
            directive=edu_directive,
            text="组织集体学习已逾期。",
            url="/tasks/",
            key="overdue:1",
        )
        again = notify(
            Kind.OVERDUE,
            users,
            directive=edu_directive,
            text="组织集体学习已逾期。",
            url="/tasks/",
            key="overdue:1",
        )
    assert (first.people, first.emailed) == (3, 2)  # edu_staff has no address
    assert (again.people, again.emailed) == (0, 0)
    assert len(mail.outbox) == 2
    notification = Notification.objects.get(recipient=people.sdu_staff, key="overdue:1")
    assert notification.created_at == datetime.datetime(2015, 10, 29, 8, tzinfo=datetime.UTC)


def test_a_kind_off_by_default_is_not_e_mailed(
    people, edu_directive, emails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = notify(
            Kind.DEADLINE_APPROACHING,
            [people.sdu_staff],
            text="组织集体学习将于2015年10月31日到期。",
            url="/tasks/",
            key="soon:1",
        )
    assert (delivery.people, delivery.emailed) == (1, 0)
    assert mail.outbox == []


# --- The bell and the list ---------------------------------------------------------------


def test_the_bell_counts_unread_notifications_with_one_query(login, edu_directive, people):
    client = login(people.sdu_staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("tasks"))
    assert 'data-testid="unread-count">1<' in response.content.decode()
    counted = [q for q in queries if "reports_notification" in q["sql"]]
    assert len(counted) == 1


def test_the_list_takes_the_same_queries_however_long(login, people, django_assert_num_queries):
    client = login(people.sdu_staff)

    def add(n):
        for i in range(n):
            notify(Kind.URGE_RECEIVED, [people.sdu_staff], text=f"催办{i}", url="/", key=f"u{n}{i}")

    add(2)
    client.get(LIST)
    with django_assert_num_queries(7):
        client.get(LIST)
    add(30)
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].object_list[0].text == "催办29"


def test_a_person_sees_only_their_own_notifications(login, edu_directive, people):
    response = login(people.sdu_staff).get(LIST)
    texts = [n.recipient_id for n in response.context["page"].object_list]
    assert texts == [people.sdu_staff.pk]


def test_marking_read_one_and_all(login, edu_directive, people):
    notify(Kind.URGE_RECEIVED, [people.sdu_staff], text="请尽快报送。", url="/", key="urge:1")
    client = login(people.sdu_staff)
    first = Notification.objects.filter(recipient=people.sdu_staff).first()
    client.post(reverse("notification_read", args=[first.pk]))
    assert Notification.objects.filter(recipient=people.sdu_staff).unread().count() == 1
    client.post(reverse("notification_read_all"))
    assert Notification.objects.filter(recipient=people.sdu_staff).unread().count() == 0
    assert Notification.objects.filter(recipient=people.jinan_staff).unread().count() == 1


def test_another_persons_notification_is_404_and_stays_unread(login, edu_directive, people):
    theirs = Notification.objects.get(recipient=people.jinan_staff)
    response = login(people.sdu_staff).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_takes_a_post(login, edu_directive, people):
    mine = Notification.objects.get(recipient=people.sdu_staff)
    client = login(people.sdu_staff)
    assert client.get(reverse("notification_read", args=[mine.pk])).status_code == 405
    assert client.get(reverse("notification_read_all")).status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


# --- Preferences ---------------------------------------------------------------------------


def test_preferences_start_from_the_defaults_and_are_kept(login, people):
    client = login(people.sdu_staff)
    response = client.get(SETTINGS)
    assert set(response.context["form"]["emailed_kinds"].value()) == {
        Kind.DIRECTIVE_ASSIGNED,
        Kind.FORWARD_RECEIVED,
        Kind.REPORT_RETURNED,
        Kind.URGE_RECEIVED,
        Kind.OVERDUE,
    }
    client.post(SETTINGS, {"emailed_kinds": [Kind.REPORT_ACCEPTED], "language": "en"})
    chosen = NotificationSettings.objects.get(user=people.sdu_staff)
    assert chosen.emailed_kinds == [Kind.REPORT_ACCEPTED]
    assert chosen.language == "en"
    assert chosen.emails(Kind.REPORT_ACCEPTED)
    assert not chosen.emails(Kind.REPORT_RETURNED)
    assert reverse("notification_settings") in client.get(LIST).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_what_was_queued(people, emails, settings):
    """In production the e-mails wait in the database queue until the worker runs them.
    The worker closes the connections it used: the test's data is committed, not held in
    a transaction of the test's connection."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    notify(Kind.URGE_RECEIVED, [people.sdu_staff], text="请尽快报送。", url="/", key="urge:9")
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert [m.to for m in mail.outbox] == [["sdu_staff@example.org"]]
    assert "请尽快报送。" in mail.outbox[0].body


def test_a_refused_address_keeps_no_other_e_mail_back(
    people, emails, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []

    def send(subject, body, sender, to):
        if to == ["sdu_staff@example.org"]:
            raise smtplib.SMTPRecipientsRefused({to[0]: (550, b"no such user")})
        sent.append(to)

    monkeypatch.setattr("reports.notifications.send_mail", send)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            Kind.URGE_RECEIVED,
            [people.sdu_staff, people.sdu_supervisor],
            text="请尽快报送。",
            url="/",
            key="urge:2",
        )
    assert sent == [["sdu_supervisor@example.org"]]
    unsent = Notification.objects.get(recipient=people.sdu_staff, key="urge:2")
    assert unsent.emailed_at is None


def test_the_issuing_page_says_who_was_told(login, edu_draft, people, emails):
    people.jinan_staff.email = "jinan@example.org"
    people.jinan_staff.save()
    response = login(people.edu).post(reverse("directive_issue", args=[edu_draft.pk]))
    assert response.status_code == 302
    assert messages_of(response) == [
        "文件已印发至各接收单位。",
        "已通知2个接收单位的3人（站内通知，其中3人另发邮件）。",
    ]


def test_the_issuing_page_says_when_nobody_could_be_told(login, edu_draft, people):
    for user in (people.sdu_staff, people.sdu_supervisor, people.jinan_staff):
        user.is_active = False
        user.save()
    response = login(people.edu).post(reverse("directive_issue", args=[edu_draft.pk]))
    assert "无人收到通知：接收单位还没有在用的账号。" in messages_of(response)


def test_telling_the_recipients_takes_the_same_queries_however_many(
    edu_directive, people, tree, django_assert_num_queries
):
    Notification.objects.all().delete()
    # Two of them look for the recipient unions' group robots (reports.robots).
    with django_assert_num_queries(9):
        first = notify_directive_issued(directive=edu_directive)
    Notification.objects.all().delete()
    for n in range(20):
        make_user(f"sdu{n}", tree.sdu, Membership.Role.STAFF)
    with django_assert_num_queries(9):
        again = notify_directive_issued(directive=edu_directive)
    assert (first.people, again.people) == (3, 23)
