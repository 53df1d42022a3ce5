"""The database fails during a report's submission: the user gets the app's own 503 page
in Chinese, nothing of the request is written, and the next request works."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, connections
from django.urls import reverse

from reports import services
from reports.models import Report, ReportAttachment, Submission
from tests.files import PDF

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "山东大学工会关于学习贯彻会议精神情况的报告：已组织集中学习两次，三百二十人参加。"


@pytest.fixture
def assignment(edu_directive, tree):
    return edu_directive.assignments.get(recipient=tree.sdu)


@pytest.fixture
def unit(login, people, media):
    client = login(people.sdu_staff)
    client.raise_request_exception = False
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def submit(client, assignment):
    """Open the report's form and submit it, with a file, as the browser would."""
    form = client.get(reverse("report_edit", args=[assignment.pk])).context["form"]
    return client.post(
        reverse("report_edit", args=[assignment.pk]),
        {
            "text": TEXT,
            "version": form["version"].value(),
            "submit": "1",
            "files": [SimpleUploadedFile("学习情况.pdf", PDF, content_type="application/pdf")],
        },
    )


def nothing_written():
    return (Report.objects.count(), Submission.objects.count(), ReportAttachment.objects.count())


def assert_the_database_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "未保存：数据库暂时无法使用" in page
    assert "刚才提交的内容一项也没有保存" in page
    assert "请用浏览器的“后退”按钮（←）返回：您填写的内容仍在表单里" in page
    assert "服务器出错了" not in page


def assert_the_next_requests_work(client, assignment):
    form = client.get(reverse("report_edit", args=[assignment.pk]))
    assert form.status_code == 200
    # The form page stays in the browser's cache, so that Back brings it back as typed.
    assert "no-store" not in form.get("Cache-Control", "")
    assert submit(client, assignment).status_code == 302
    report = Report.objects.get(assignment=assignment)
    assert (report.state, report.text, report.submissions.count()) == ("submitted", TEXT, 1)
    assert report.attachments.count() == 1


def test_a_submission_the_database_fails_half_way_saves_nothing(unit, assignment, monkeypatch):
    real_submit = services.report_submit

    def submit_then_lose_the_database(**kwargs):
        real_submit(**kwargs)  # the report, its figures, file and submission are written...
        raise OperationalError("server closed the connection unexpectedly")  # ...then lost

    monkeypatch.setattr(services, "report_submit", submit_then_lose_the_database)

    response = submit(unit, assignment)

    assert_the_database_page(response)
    assert nothing_written() == (0, 0, 0)
    monkeypatch.undo()
    assert_the_next_requests_work(unit, assignment)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own connection")
def test_a_postgresql_connection_killed_mid_request_saves_nothing(unit, assignment, monkeypatch):
    real_submit = services.report_submit

    def kill_the_connection_then_submit(**kwargs):
        # The report and its file are written in this transaction; its server process ends.
        pid = connection.connection.info.backend_pid
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        finally:
            killer.close()
        return real_submit(**kwargs)

    monkeypatch.setattr(services, "report_submit", kill_the_connection_then_submit)

    response = submit(unit, assignment)

    assert_the_database_page(response)
    monkeypatch.undo()
    assert nothing_written() == (0, 0, 0)
    assert_the_next_requests_work(unit, assignment)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_a_sqlite_database_locked_by_another_writer_gets_the_same_page(unit, assignment):
    """A long import holds SQLite's only write lock; a write that waits too long for it
    fails (after 20 s in production; at once with the tests' shared in-memory database)."""
    other_writer = connections.create_connection("default")
    locking = other_writer.cursor()
    locking.execute("BEGIN IMMEDIATE")
    try:
        response = submit(unit, assignment)
    finally:
        # Django leaves an in-memory database's connections open on close(): end the
        # transaction, or the lock outlives the test.
        locking.execute("ROLLBACK")
        other_writer.close()

    assert_the_database_page(response)
    assert nothing_written() == (0, 0, 0)
    assert_the_next_requests_work(unit, assignment)
