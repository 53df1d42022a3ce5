"""An import that breaks off at any row writes nothing, and its job says it failed: the
database goes away (or a lock times out) while the rows are being saved."""

import pytest
from django.db import OperationalError, connection, connections
from django.urls import reverse

from directives import resources as directive_resources
from directives.models import Membership, Union
from reports.models import EntryFigure, ProgressEntry, SpreadsheetJob
from reports.resources import ProgressEntryResource
from tests.conftest import make_user
from tests.files import csv_bytes

from .conftest import upload

HEADERS = ["发文单位代码", "文号", "单位代码", "工作要求序号", "日期", "工作情况", "参加人次"]
NUMBER = "鲁教工发〔2015〕12号"
ROWS = 7


def entries_file():
    rows = [
        ["SD-EDU", NUMBER, "SDU", 1, f"2015-10-{day:02}", f"第{day}次集中学习", 10 * day]
        for day in range(1, ROWS + 1)
    ]
    return csv_bytes([HEADERS, *rows])


def fail_at(monkeypatch, row):
    """Make the progress resource's row saving fail at the row-th row of the file's data
    (the file's row row + 1), as a database that goes away would; return the rows saved
    before it."""
    saved = []
    save = ProgressEntryResource.save_instance

    def save_until_the_database_fails(self, instance, is_create, data, **kwargs):
        if len(saved) + 1 == row:
            raise OperationalError("server closed the connection unexpectedly")
        save(self, instance, is_create, data, **kwargs)
        saved.append(instance.narrative)

    monkeypatch.setattr(ProgressEntryResource, "save_instance", save_until_the_database_fails)
    return saved


def nothing_written():
    return (
        ProgressEntry.objects.count(),
        EntryFigure.objects.count(),
        ProgressEntry.history.count(),
    ) == (0, 0, 0)


def job_page(client, job):
    return client.get(reverse("import_job", args=[job.pk])).content.decode()


@pytest.mark.parametrize("row", [1, ROWS // 2 + 1, ROWS], ids=["first", "middle", "last"])
def test_an_import_broken_off_at_any_row_writes_nothing_and_fails(
    row, edu_directive, people, login, monkeypatch
):
    client = login(people.sdu_staff)
    client.post(
        reverse("import_new", args=["progress"]), {"file": upload("进展.csv", entries_file())}
    )
    job = SpreadsheetJob.objects.get()
    assert (job.state, job.error_count, job.outcome["new"]) == ("done", 0, ROWS)
    saved = fail_at(monkeypatch, row)

    response = client.post(reverse("import_confirm", args=[job.pk]))

    assert response.status_code == 302
    assert len(saved) == row - 1  # the rows before were saved, then rolled back
    assert nothing_written()
    job.refresh_from_db()
    assert (job.state, job.dry_run, job.written) == ("failed", False, False)
    page = job_page(client, job)
    assert 'data-job-state="failed"' in page
    assert f"导入失败：文件第{row + 1}行因服务器或数据库出错未能保存" in page
    assert "文件中的各行均未导入" in page
    assert "server closed the connection" not in page  # the database's words go to the log
    assert 'data-testid="confirm"' not in page
    assert reverse("import_new", args=["progress"]) in page


def test_a_preview_broken_off_fails_the_same_way(edu_directive, people, login, monkeypatch):
    fail_at(monkeypatch, ROWS // 2 + 1)
    client = login(people.sdu_staff)

    client.post(
        reverse("import_new", args=["progress"]), {"file": upload("进展.csv", entries_file())}
    )

    job = SpreadsheetJob.objects.get()
    assert (job.state, job.dry_run) == ("failed", True)
    assert nothing_written()
    page = job_page(client, job)
    assert f"导入失败：文件第{ROWS // 2 + 2}行因服务器或数据库出错未能保存" in page
    assert 'data-testid="confirm"' not in page


def test_a_bulk_insert_broken_off_after_the_last_row_writes_nothing(tree, login, monkeypatch):
    """New unions go in with one insert after the rows are read: that insert failing is
    a failed job too, without a row to name."""
    admin = make_user("edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True)
    client = login(admin)
    content = csv_bytes(
        [
            ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"],
            *([f"SDU-{n}", f"第{n}分工会", "", "基层工会", "SDU"] for n in range(1, 4)),
        ]
    )
    client.post(reverse("import_new", args=["unions"]), {"file": upload("单位.csv", content)})
    job = SpreadsheetJob.objects.get()
    before = Union.objects.count()

    def database_gone(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(directive_resources, "bulk_create_with_history", database_gone)
    client.post(reverse("import_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.state == "failed"
    assert Union.objects.count() == before
    page = job_page(client, job)
    assert "处理因意外错误中止，未写入任何数据" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own connection")
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_mid_import_gets_the_503_page_and_writes_nothing(
    edu_directive, people, client, monkeypatch
):
    """The confirmation's own transaction is lost with its connection: the job cannot be
    marked failed in it, so the request answers 503 and the preview stays confirmable."""
    client.force_login(people.sdu_staff)
    client.raise_request_exception = False
    client.post(
        reverse("import_new", args=["progress"]), {"file": upload("进展.csv", entries_file())}
    )
    job = SpreadsheetJob.objects.get()
    save = ProgressEntryResource.save_instance
    saved = []

    def kill_the_connection_at_the_middle_row(self, instance, is_create, data, **kwargs):
        if len(saved) == ROWS // 2:
            killer = connections.create_connection("default")
            try:
                with killer.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(%s, 5000)",
                        [connection.connection.info.backend_pid],
                    )
            finally:
                killer.close()
        save(self, instance, is_create, data, **kwargs)
        saved.append(instance.narrative)

    monkeypatch.setattr(
        ProgressEntryResource, "save_instance", kill_the_connection_at_the_middle_row
    )

    response = client.post(reverse("import_confirm", args=[job.pk]))

    assert response.status_code == 503
    assert len(saved) == ROWS // 2
    monkeypatch.undo()
    assert nothing_written()
    job.refresh_from_db()
    assert (job.state, job.dry_run, job.awaiting_confirmation) == ("done", True, True)
    client.post(reverse("import_confirm", args=[job.pk]))
    assert ProgressEntry.objects.count() == ROWS
