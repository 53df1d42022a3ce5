"""Requests that may write run in one transaction; pages that only read take none, so
that on SQLite they never wait behind an import holding the write lock."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django_tasks.signals import task_enqueued

from directives import views
from directives.models import Membership
from tests.conftest import make_user
from tests.files import csv_bytes


@pytest.fixture
def in_transaction(monkeypatch):
    """Whether the view ran inside a transaction, by request method, seen from helpers the
    task list and the acknowledgement call."""
    seen = {}

    def spying(real):
        def spy(request_or_user, *args, **kwargs):
            seen[real.__name__] = connection.in_atomic_block
            return real(request_or_user, *args, **kwargs)

        return spy

    monkeypatch.setattr(views, "page_of", spying(views.page_of))
    monkeypatch.setattr(views, "own_assignment_or_403", spying(views.own_assignment_or_403))
    return seen


@pytest.mark.django_db(transaction=True)
def test_reading_takes_no_transaction_and_writing_takes_one(
    people, edu_directive, login, in_transaction
):
    client = login(people.sdu_staff)

    assert client.get(reverse("tasks")).status_code == 200
    response = client.post(reverse("directive_acknowledge", args=[edu_directive.pk]))

    assert response.status_code == 302
    assert in_transaction == {"page_of": False, "own_assignment_or_403": True}


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_leaves_nothing_behind(people, edu_directive, login, monkeypatch):
    """As with ATOMIC_REQUESTS: an error half-way through a request rolls it all back."""
    assignment = edu_directive.assignments.get(recipient__code="SDU")

    def acknowledge_then_fail(self, user):
        type(self).objects.filter(pk=self.pk).update(acknowledged_by=user)
        raise RuntimeError("the server fell over")

    monkeypatch.setattr("directives.models.Assignment.acknowledge", acknowledge_then_fail)
    client = login(people.sdu_staff)
    client.raise_request_exception = False

    response = client.post(reverse("directive_acknowledge", args=[edu_directive.pk]))

    assert response.status_code == 500
    assignment.refresh_from_db()
    assert assignment.acknowledged_by is None


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_rows_are_counted_whatever_ends_the_lines(
    ending, tree, people, login, monkeypatch, request
):
    """A file of 2,100 rows with old-Mac line endings once counted as none and was imported
    inside the upload's request; every kind of line ending now sends it to the worker."""
    monkeypatch.setattr(settings, "IMPORT_BACKGROUND_ROWS", 2000)
    enqueued = []

    def note(sender, task_result, **kwargs):
        enqueued.extend(task_result.args)

    task_enqueued.connect(note)
    request.addfinalizer(lambda: task_enqueued.disconnect(note))
    header = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]
    rows = [[f"X{n:04}", f"第{n}基层工会", "", "基层工会", "SDU"] for n in range(2100)]
    content = csv_bytes([header, *rows]).replace(b"\r\n", b"\n").replace(b"\n", ending)
    edu_admin = make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)

    response = login(edu_admin).post(
        reverse("import_new", args=["unions"]),
        {"file": SimpleUploadedFile("单位.csv", content, content_type="text/csv")},
    )

    assert response.status_code == 302
    assert len(enqueued) == 1
