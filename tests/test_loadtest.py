"""`make loadtest` in small: its data at 20 unions, the path its simulated staff take
through the real pages, and the JSON line it computes from locust's stats.

The load itself (gunicorn, locust, a minute of traffic) runs only by hand: see
docs/deployment.md, "Load".
"""

import random
import re

import pytest
from django.test import Client

from bench.loadtest import percentile, summarise
from bench.loadtest_data import PASSWORD, build
from bench.staff_pages import (
    ASSIGNMENT_LINK,
    CSRF_INPUT,
    ENTRY_FORM_LINK,
    MARKER,
    entry_form,
    first,
)
from directives.models import Assignment, Directive, Membership, Union
from reports.models import EntryFigure, ProgressEntry


def log_in(username):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = first(CSRF_INPUT, page.content.decode())
    answer = client.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": ""},
    )
    return client, answer


@pytest.mark.django_db
def test_every_synthetic_union_has_a_staff_user_with_an_assignment_who_can_log_in():
    """The data at 20 unions (built once: the demo data takes most of the time), then
    what bench/locustfile.py does, through the test client with CSRF checks on."""
    accounts = build(unions=20, levels=3)
    root = Union.objects.get(code="LT0")
    education = Union.objects.get(code="SD-EDU")
    subtree = set(Union.objects.in_subtree(root).values_list("pk", flat=True))
    memberships = Membership.objects.filter(user__username__in=accounts)

    assert Union.objects.get_parent(root) == education
    assert len(accounts) == len(set(accounts)) == len(subtree) == 20
    assert sorted(m.union_id for m in memberships) == sorted(subtree)
    assert {m.role for m in memberships} == {Membership.Role.STAFF}
    issued = Assignment.objects.filter(
        directive__issuer=education, directive__state=Directive.State.ISSUED
    )
    assert set(issued.filter(recipient__in=subtree).values_list("recipient", flat=True)) == subtree
    for username in accounts:
        client, answer = log_in(username)
        assert answer.status_code == 302, username
        assert client.session["_auth_user_id"]

    # The last one finds its assignment and saves an entry on each of its requirements.
    assignment = first(ASSIGNMENT_LINK, client.get("/tasks/").content.decode())
    forms = ENTRY_FORM_LINK.findall(client.get(assignment).content.decode())
    rng = random.Random(2015)
    assert len(forms) == 4
    for form_url in forms:
        page = client.get(form_url).content.decode()
        marker = f"{rng.getrandbits(128):032x}"
        answer = client.post(form_url, entry_form(first(CSRF_INPUT, page), page, marker, rng))
        assert (answer.status_code, answer["Location"]) == (302, assignment)

    saved = ProgressEntry.objects.filter(assignment__pk=int(re.findall(r"\d+", assignment)[0]))
    assert len([e for e in saved if MARKER.search(e.narrative)]) == 4
    # Two requirements ask for figures (two, then one); the form carried each of them.
    assert EntryFigure.objects.filter(entry__in=saved).count() == 3


def stats_entry(name, method, response_times, *, failures=0, start=100.0, last=160.0):
    """One entry of locust's --json-file, as it writes it (histogram keys are strings)."""
    return {
        "name": name,
        "method": method,
        "num_requests": sum(response_times.values()),
        "num_none_requests": 0,
        "num_failures": failures,
        "start_time": start,
        "last_request_timestamp": last,
        "response_times": {str(ms): count for ms, count in response_times.items()},
    }


def test_the_summary_merges_every_request_kind():
    stats = [
        # 90 reads: 60 at 20 ms, 30 at 40 ms
        stats_entry("/tasks/", "GET", {20: 60, 40: 30}, start=100.0, last=159.0),
        # 8 posts, one refused: 4 at 40 ms, 4 at 300 ms
        stats_entry("/entries/new/", "POST", {40: 4, 300: 4}, failures=1, start=101.0),
        # 2 logins at 1.2 s, starting the run
        stats_entry("log in", "POST", {1200: 2}, start=99.0, last=105.0),
    ]

    line = summarise(stats, expected=7, written=7, user_errors=2)

    assert line == {
        "rps": 1.6,  # 100 requests from 99.0 to 160.0
        "p50_ms": 20,  # the 50th of 100 sorted times is still one of the 60 at 20 ms
        "p99_ms": 1200,  # the 99th is a login
        "errors": 3,  # the refused post and two exceptions in the simulated users
        "written": 7,
        "expected": 7,
        "requests": 100,
        "seconds": 61.0,
    }


def test_percentiles_are_nearest_rank():
    times = {10: 1, 20: 1, 30: 1, 40: 1}

    assert [percentile(times, f) for f in (0.25, 0.26, 0.5, 0.99, 1.0)] == [10, 20, 20, 40, 40]
    assert percentile({}, 0.5) == 0


def test_a_run_without_requests_summarises_to_zeros():
    assert summarise([], expected=0, written=0) == {
        "rps": 0.0,
        "p50_ms": 0,
        "p99_ms": 0,
        "errors": 0,
        "written": 0,
        "expected": 0,
        "requests": 0,
        "seconds": 0,
    }
