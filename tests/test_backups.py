"""`manage.py backup` and `restore` (make backup, make restore): the demo data and a few
uploaded files go into a backup and come back into an empty database and an empty media
folder, row for row and byte for byte; a backup whose files were changed is refused.

The restore into an empty database runs as its own process, under a DATABASE_URL and
MEDIA_ROOT of its own, as an administrator runs it."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from directives.models import Assignment
from reports.services import report_for, report_save
from tests.files import PDF, png_bytes
from tests.reports.conftest import attach_to_report, log_entry

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def filled(media):
    """The demo data set, with evidence and a report's attachment uploaded."""
    call_command("loaddemo", stdout=StringIO())
    assignment = Assignment.objects.get(
        directive__number="鲁教工字〔2015〕21号", recipient__code="OUC"
    )
    staff = User.objects.get(username="ouc")
    log_entry(
        assignment,
        user=staff,
        narrative="校工会组织分工会主席集中学习，并在校园网刊发学习体会。",
        files=[
            ("学习现场.png", png_bytes(), "image/png"),
            ("学习记录.pdf", PDF, "application/pdf"),
        ],
    )
    report = report_save(report=report_for(assignment), text="学习贯彻情况报告（草稿）", figures={})
    attach_to_report(report, user=staff)


def model_counts(cursor):
    """The rows of every model's table (many-to-many tables too), as the test counts them."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')
            counts[model._meta.label] = cursor.fetchone()[0]
    return counts


def checksums(folder):
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in Path(folder).rglob("*")
        if path.is_file()
    }


@pytest.fixture
def empty_database(tmp_path):
    """A DATABASE_URL naming a database of the same vendor that holds nothing, not even
    tables, and a function that opens a DB-API connection to it."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    database = connection.settings_dict
    name = f"{database['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    params = {
        "dbname": name,
        "user": database["USER"],
        "password": database["PASSWORD"],
        "host": database["HOST"],
        "port": database["PORT"],
    }
    login = ":".join(quote(str(params[key] or ""), safe="") for key in ("user", "password"))
    url = f"postgres://{login}@{params['host']}:{params['port']}/{name}"
    yield url, lambda: psycopg.connect(**{k: v for k, v in params.items() if v})
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*arguments, database_url, media_root):
    """Run manage.py as its own process, as an administrator would."""
    environment = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    environment.pop("AWS_STORAGE_BUCKET_NAME", None)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def round_trip(empty_database, media, tmp_path):
    with connection.cursor() as cursor:
        counts = model_counts(cursor)
    files = checksums(media)
    assert len(files) == 3
    archive = tmp_path / "backups" / "gqtrack.tar.gz"
    out = StringIO()

    with translation.override("en"):
        call_command("backup", str(archive), stdout=out)

    assert f"and 3 files to {archive}" in out.getvalue()
    url, open_restored = empty_database
    restored_media = tmp_path / "restored-media"

    restored = manage("restore", str(archive), database_url=url, media_root=restored_media)

    assert restored.returncode == 0, restored.stderr
    assert "manage.py migrate" in restored.stdout
    migrated = manage("migrate", "--check", database_url=url, media_root=restored_media)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    restored_connection = open_restored()
    try:
        assert model_counts(restored_connection.cursor()) == counts
    finally:
        restored_connection.close()
    assert checksums(restored_media) == files
    # Restoring again finds a database that holds data, and says so in Chinese.
    again = manage("restore", str(archive), database_url=url, media_root=restored_media)
    assert again.returncode == 1
    assert "数据库不是空的" in again.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs when DATABASE_URL names SQLite")
def test_sqlite_a_backup_comes_back_whole_into_an_empty_database(
    filled, empty_database, media, tmp_path
):
    round_trip(empty_database, media, tmp_path)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump and pg_restore are tested when DATABASE_URL names PostgreSQL "
    "(CI's second run of the suite); this run is on SQLite",
)
def test_postgresql_a_backup_comes_back_whole_into_an_empty_database(
    filled, empty_database, media, tmp_path
):
    round_trip(empty_database, media, tmp_path)


def restore(source, *options):
    with translation.override("en"):
        call_command("restore", str(source), *options, stdout=StringIO())


def test_a_changed_backup_is_refused_and_nothing_is_restored(filled, media, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=StringIO())
    database = next(name for name in os.listdir(backup) if name.startswith("database."))
    evidence = sorted((backup / "media").rglob("*"))[-1].relative_to(backup).as_posix()
    User.objects.create_user("after_the_backup")
    with connection.cursor() as cursor:
        counts = model_counts(cursor)
    files = checksums(media)

    def changed(how):
        copy = tmp_path / f"changed-{len(os.listdir(tmp_path))}"
        shutil.copytree(backup, copy)
        how(copy)
        return copy

    def append(path, data):
        with path.open("ab") as file:
            file.write(data)

    cases = {
        f"{evidence} does not match its checksum": lambda b: append(b / evidence, b"!"),
        f"{database} does not match its checksum": lambda b: append(b / database, b"\0"),
        f"{evidence} is missing": lambda b: (b / evidence).unlink(),
        "media/extra.pdf is not in the manifest": lambda b: (b / "media/extra.pdf").write_bytes(
            PDF
        ),
    }
    for message, how in cases.items():
        with pytest.raises(CommandError, match="nothing was restored") as refused:
            restore(changed(how), "--force")
        assert message in str(refused.value)

    # The same, packed as an archive.
    archive = tmp_path / "changed.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        packed.add(changed(cases[f"{evidence} is missing"]), arcname=".")
    with pytest.raises(CommandError, match=f"{evidence} is missing"):
        restore(archive, "--force")
    # An archive whose member would land outside the folder it is unpacked into.
    escaping = tmp_path / "escaping.tar.gz"
    with tarfile.open(escaping, "w:gz") as packed:
        packed.add(backup / "manifest.json", arcname="../manifest.json")
    with pytest.raises(CommandError, match=r"not a readable \.tar\.gz archive"):
        restore(escaping, "--force")

    with connection.cursor() as cursor:
        assert model_counts(cursor) == counts
    assert User.objects.filter(username="after_the_backup").exists()
    assert checksums(media) == files


def test_a_database_that_holds_data_is_replaced_only_when_forced(filled, media, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=StringIO())
    with connection.cursor() as cursor:
        counts = model_counts(cursor)
    User.objects.create_user("after_the_backup")

    with pytest.raises(CommandError, match="The database is not empty"):
        restore(backup)
    assert User.objects.filter(username="after_the_backup").exists()

    restore(backup, "--force")

    assert not User.objects.filter(username="after_the_backup").exists()
    with connection.cursor() as cursor:
        assert model_counts(cursor) == counts
