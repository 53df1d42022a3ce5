"""Union staff at work, for `make loadtest` (bench/loadtest.py starts it; see there).

Each simulated user logs in once, through the login page, as the staff member of a union
of its own, then reads its task list (three times in four) or logs progress (one in
four): it opens its assignment, picks a requirement, fetches the progress form and posts
an entry with the form's CSRF token, a date, a narrative and every figure the form asks for.

A post counts as saved only when the server answers it with a redirect to the
assignment page, which the app sends once the entry's transaction has committed. The
saved entries' markers and the count of the users' own exceptions go to the file named
by GQ_LOADTEST_RESULTS when locust quits; the accounts come from GQ_LOADTEST_ACCOUNTS (a
file of user names, one a line) and GQ_LOADTEST_PASSWORD.

Nothing here imports Django: locust patches the standard library for gevent.
"""

import json
import os
import random
import sys
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # however locust was started
from bench.staff_pages import (
    ASSIGNMENT_LINK,
    CSRF_INPUT,
    ENTRY_FORM_LINK,
    entry_form,
    first,
)

ENTRY_FORM = "/assignments/[id]/requirements/[id]/entries/new/"

_accounts = []
_results = {"saved": [], "user_errors": 0}


def next_account():
    """A user name no other simulated user has, taken at random from the file."""
    if not _accounts:
        with open(os.environ["GQ_LOADTEST_ACCOUNTS"], encoding="utf-8") as names:
            _accounts.extend(line.strip() for line in names if line.strip())
        random.shuffle(_accounts)
        _accounts.append(None)  # the end: more simulated users than accounts
    name = _accounts.pop(0)
    if name is None:
        raise StopUser("more simulated users than staff accounts")
    return name


@events.user_error.add_listener
def count_user_error(user_instance, exception, tb, **kwargs):
    _results["user_errors"] += 1


@events.quitting.add_listener
def write_results(environment, **kwargs):
    path = os.environ.get("GQ_LOADTEST_RESULTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(_results, out)


class Staff(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.username = next_account()
        with self.client.get("/accounts/login/", name="login page", catch_response=True) as page:
            token = self.found(page, CSRF_INPUT, "no CSRF token on the login page")
        if token is None:
            raise StopUser()
        form = {
            "csrfmiddlewaretoken": token,
            "username": self.username,
            "password": os.environ["GQ_LOADTEST_PASSWORD"],
            "next": "",
        }
        with self.client.post(
            "/accounts/login/", data=form, name="log in", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"login of {self.username} answered {answer.status_code}")
                raise StopUser()
        with self.client.get("/tasks/", catch_response=True) as page:
            self.assignment = self.found(page, ASSIGNMENT_LINK, "no assignment on /tasks/")
        if self.assignment is None:
            raise StopUser()

    def found(self, page, pattern, complaint):
        """The pattern's first group in a 200 answer; else the request is marked failed."""
        if page.status_code != 200:
            page.failure(f"{page.status_code} for {self.username}")
            return None
        value = first(pattern, page.text)
        if value is None:
            page.failure(f"{complaint} ({self.username})")
        return value

    @task(3)
    def read_tasks(self):
        with self.client.get("/tasks/", catch_response=True) as page:
            self.found(page, ASSIGNMENT_LINK, "no assignment on /tasks/")

    @task(1)
    def log_progress(self):
        name = "/assignments/[id]/"
        with self.client.get(self.assignment, name=name, catch_response=True) as page:
            if self.found(page, ENTRY_FORM_LINK, "no requirement to log progress on") is None:
                return
            form_url = random.choice(ENTRY_FORM_LINK.findall(page.text))
        with self.client.get(form_url, name=ENTRY_FORM, catch_response=True) as page:
            token = self.found(page, CSRF_INPUT, "no CSRF token on the progress form")
        if token is None:
            return
        marker = uuid.uuid4().hex
        entry = entry_form(token, page.text, marker, random)
        with self.client.post(
            form_url, data=entry, name=ENTRY_FORM, allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code == 302 and answer.headers.get("Location") == self.assignment:
                _results["saved"].append(marker)
            else:
                answer.failure(f"progress not saved: {answer.status_code} ({self.username})")
