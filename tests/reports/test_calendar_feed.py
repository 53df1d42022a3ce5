"""Each user's deadline calendar: a secret address read without a session, revocable, with
the union's open deadlines and, for supervisors, the overdue ones beneath."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import CalendarFeed, RequirementProgress
from reports.services import report_for, report_save, report_submit

# Between the study deadline (31 October 2015) and the report's (30 November 2015).
NOVEMBER_5TH = datetime.datetime(2015, 11, 5, 10, tzinfo=datetime.UTC)


@pytest.fixture
def feed_of(client):
    def feed_of(user):
        client.force_login(user)
        client.post(reverse("calendar_token"), {"action": "regenerate"})
        client.logout()
        return CalendarFeed.objects.get(user=user)

    return feed_of


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_the_unions_open_deadlines_without_a_session(
    client, edu_directive, people, feed_of, clock
):
    clock(NOVEMBER_5TH)
    feed = feed_of(people.sdu_staff)

    found = events(client.get(feed.get_absolute_url()))

    title = edu_directive.title
    assert set(found) == {f"截止：组织集体学习（{title}）", f"截止：报送学习贯彻情况（{title}）"}
    study = found[f"截止：组织集体学习（{title}）"]
    assert study.decoded("dtstart") == datetime.date(2015, 10, 31)
    assert study.decoded("dtend") == datetime.date(2015, 11, 1)
    assignment = edu_directive.assignments.get(recipient__name="山东大学工会")
    link = "http://testserver" + reverse("assignment_detail", kwargs={"pk": assignment.pk})
    assert str(study["url"]) == link
    assert "山东大学工会" in str(study["description"])
    assert link in str(study["description"])
    # Calendars refreshing the feed recognise the same event.
    again = events(client.get(feed.get_absolute_url()))
    assert {str(e["uid"]) for e in again.values()} == {str(e["uid"]) for e in found.values()}


def test_a_requirement_done_leaves_the_feed(client, edu_directive, people, feed_of, clock):
    clock(NOVEMBER_5TH)
    RequirementProgress.objects.filter(
        union=people.sdu_staff.membership.union, requirement__title="组织集体学习"
    ).update(done_at=timezone.now())
    found = events(client.get(feed_of(people.sdu_staff).get_absolute_url()))
    assert [s for s in found if "组织集体学习" in s] == []


def test_supervisors_also_get_the_overdue_work_beneath(
    client, edu_directive, people, feed_of, clock
):
    clock(NOVEMBER_5TH)
    found = events(client.get(feed_of(people.edu).get_absolute_url()))

    # The study is overdue in both units; their report back is not due yet.
    title = edu_directive.title
    assert set(found) == {
        f"逾期：山东大学工会，组织集体学习（{title}）",
        f"逾期：济南市教育工会，组织集体学习（{title}）",
    }


def test_the_feed_takes_a_bounded_number_of_queries(
    client, edu_directive, people, feed_of, clock, django_assert_num_queries
):
    clock(NOVEMBER_5TH)
    url = feed_of(people.edu).get_absolute_url()
    # The feed with its user and union, the own deadlines, the overdue ones beneath.
    with django_assert_num_queries(3):
        events(client.get(url))


def test_another_users_secret_gets_nothing(client, edu_directive, people, feed_of):
    mine, theirs = feed_of(people.sdu_staff), feed_of(people.jinan_staff)
    url = reverse("calendar_feed", kwargs={"pk": mine.pk, "secret": theirs.secret})
    response = client.get(url)
    assert response.status_code == 404
    assert b"VEVENT" not in response.content


def test_a_revoked_address_gets_nothing(client, edu_directive, people, feed_of):
    url = feed_of(people.sdu_staff).get_absolute_url()
    client.force_login(people.sdu_staff)
    client.post(reverse("calendar_token"), {"action": "revoke"})
    client.logout()

    assert not CalendarFeed.objects.filter(user=people.sdu_staff).exists()
    assert client.get(url).status_code == 404


def test_a_new_address_replaces_the_old_one(client, edu_directive, people, feed_of):
    old = feed_of(people.sdu_staff).get_absolute_url()
    new = feed_of(people.sdu_staff).get_absolute_url()

    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_the_page_shows_the_address_to_copy(client, people, feed_of):
    feed = feed_of(people.sdu_staff)
    client.force_login(people.sdu_staff)
    response = client.get(reverse("calendar_settings"))
    assert response.status_code == 200
    assert ("http://testserver" + feed.get_absolute_url()).encode() in response.content
    assert "撤销".encode() in response.content


def test_a_user_of_no_union_has_no_calendar(client, people):
    client.force_login(people.loner)
    assert client.get(reverse("calendar_settings")).status_code == 403
    assert client.post(reverse("calendar_token"), {"action": "regenerate"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_a_deactivated_users_address_gets_nothing(client, edu_directive, people, feed_of):
    url = feed_of(people.sdu_staff).get_absolute_url()
    people.sdu_staff.is_active = False
    people.sdu_staff.save()
    assert client.get(url).status_code == 404


def test_the_report_back_leaves_the_feed_once_sent(client, edu_directive, people, feed_of, clock):
    clock(NOVEMBER_5TH)
    assignment = edu_directive.assignments.get(recipient__name="山东大学工会")
    report = report_save(report=report_for(assignment), text="学习情况报告", figures={})
    report_submit(report=report, user=people.sdu_staff)

    found = events(client.get(feed_of(people.sdu_staff).get_absolute_url()))
    assert [s for s in found if "报送学习贯彻情况" in s] == []
    assert [s for s in found if "组织集体学习" in s] != []
