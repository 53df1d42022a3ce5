"""Backups of the database and the uploaded files, for `manage.py backup` and `restore`.

A backup is a folder, or the same files packed as one .tar.gz:

    manifest.json      the database's vendor, the rows of every table, and the size and
                       sha256 of every other file of the backup
    database.sqlite3   SQLite: a copy made with sqlite3's online backup API
    database.pgdump    PostgreSQL: pg_dump's custom format (-Fc)
    media/…            the files under MEDIA_ROOT; none when they are in an S3 bucket,
                       which its own versioning keeps

The database is copied first and the files after, so that every file a copied record
names is there (files are added under new names, never changed in place).
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"
# What `migrate` writes into an empty database does not make it "not empty".
FILLED_BY_MIGRATE = {"django_content_type", "auth_permission"}


def is_archive(path):
    return path.name.endswith((".tar.gz", ".tgz"))


def media_in_files():
    """Whether uploaded files are in MEDIA_ROOT (or in a bucket, outside any backup)."""
    return isinstance(storages["default"], FileSystemStorage)


def files_under(folder):
    """Every file beneath a folder, as paths relative to it in /-form, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def model_tables():
    """The table of every model, many-to-many tables included."""
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def row_counts(cursor, tables):
    """The rows of each of the tables, by name."""
    counts = {}
    for table in tables:
        # The names are the models' own tables (model_tables), never input.
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # nosec B608
        counts[table] = cursor.fetchone()[0]
    return counts


def filled_tables():
    """The model tables of the current database that hold rows."""
    present = set(connection.introspection.table_names())
    filled = []
    with connection.cursor() as cursor:
        for table in model_tables():
            if table in present and table not in FILLED_BY_MIGRATE:
                # The names are the models' own tables, never input.
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # nosec B608
                if cursor.fetchone():
                    filled.append(table)
    return filled


# --- The database -----------------------------------------------------------------------


def dump_sqlite(path):
    """Copy the database into the file `path`; return its rows by table, as copied."""
    # The online backup API copies a consistent state page by page while the app keeps
    # reading and writing; a plain copy of the file (and its -wal) could catch it half-way.
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        present = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        return row_counts(copy.cursor(), [t for t in model_tables() if t in present])
    finally:
        copy.close()


def dump_postgresql(path):
    """Dump the database into the file `path`; return its rows by table, as dumped."""
    # The rows are counted in the very snapshot pg_dump copies, whatever is written meanwhile.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        present = set(connection.introspection.table_names(cursor))
        counts = row_counts(cursor, [t for t in model_tables() if t in present])
        run_postgresql("pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}")
    return counts


def load_database(path, vendor):
    """Replace the current database with the copy in the file `path`."""
    if vendor == "sqlite":
        copy = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        connection.ensure_connection()
        try:
            copy.backup(connection.connection)
        finally:
            copy.close()
    else:
        connection.close()
        # One transaction: a restore that fails half-way leaves the database as it was.
        run_postgresql(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            str(path),
        )


def run_postgresql(program, *arguments):
    """Run a PostgreSQL client program on the current database, as Django's dbshell would
    reach it (host, port, user; password, SSL and service through the environment)."""
    database = connection.settings_dict
    _args, environment = connection.client.settings_to_cmd_args_env(database, [])
    options = {"--host": database["HOST"], "--port": database["PORT"]}
    options |= {"--username": database["USER"], "--dbname": database["NAME"]}
    command = [program, *(f"{k}={v}" for k, v in options.items() if v), *arguments]
    try:
        subprocess.run(
            command,
            env={**os.environ, **(environment or {})},
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError as error:
        raise CommandError(
            _("%(program)s is not installed: install PostgreSQL's client programs.")
            % {"program": program}
        ) from error
    except subprocess.CalledProcessError as error:
        raise CommandError(
            _("%(program)s failed: %(error)s") % {"program": program, "error": error.stderr.strip()}
        ) from error


# --- Writing and reading backups --------------------------------------------------------


def backup_write(folder):
    """Fill the empty folder with a backup; return its manifest."""
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise CommandError(_("Backups cover SQLite and PostgreSQL only."))
    database_file = DATABASE_FILES[vendor]
    dump = dump_sqlite if vendor == "sqlite" else dump_postgresql
    tables = dump(folder / database_file)
    names = [database_file]
    if media_in_files():
        media = Path(settings.MEDIA_ROOT)
        for name in files_under(media):
            target = folder / MEDIA / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(media / name, target)
            except FileNotFoundError:
                continue  # deleted since it was listed
            names.append(f"{MEDIA}/{name}")
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, "file": database_file, "tables": tables},
        "media": "files" if media_in_files() else "bucket",
        "files": {
            name: {"size": (folder / name).stat().st_size, "sha256": sha256_of(folder / name)}
            for name in names
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest


def archive_write(folder, path):
    """Pack the backup folder's files into the .tar.gz `path`, complete or not at all."""
    part = path.with_name(path.name + ".part")
    try:
        with tarfile.open(part, "w:gz", compresslevel=6) as archive:
            part.chmod(0o600)
            for name in sorted(os.listdir(folder)):
                archive.add(folder / name, arcname=name)
        part.rename(path)
    finally:
        part.unlink(missing_ok=True)


def archive_read(path, folder):
    """Unpack a .tar.gz backup into the folder; links and paths leaving it are refused."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(folder, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise CommandError(
            _("%(path)s is not a readable .tar.gz archive: %(error)s")
            % {"path": path, "error": error}
        ) from error


def manifest_read(folder):
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        database, files = manifest["database"], manifest["files"]
        readable = (
            manifest["format"] == FORMAT
            and database["vendor"] in DATABASE_FILES
            and database["file"] in files
            and all(isinstance(rows, int) for rows in database["tables"].values())
            and all("sha256" in facts for facts in files.values())
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        readable = False
    if not readable:
        raise CommandError(
            _(
                "This is not a gqtrack backup of a format this version reads: %(manifest)s "
                "is missing or unreadable."
            )
            % {"manifest": MANIFEST}
        )
    return manifest


def backup_problems(folder, manifest):
    """Every way the folder's files differ from what its manifest says."""
    listed = manifest["files"]
    found = set(files_under(folder)) - {MANIFEST}
    problems = [
        _("%(file)s is missing.") % {"file": name} for name in sorted(listed.keys() - found)
    ]
    problems += [
        _("%(file)s is not in the manifest.") % {"file": name}
        for name in sorted(found - listed.keys())
    ]
    for name in sorted(found & listed.keys()):
        facts = listed[name]
        path = folder / name
        if path.stat().st_size != facts.get("size") or sha256_of(path) != facts.get("sha256"):
            problems.append(_("%(file)s does not match its checksum.") % {"file": name})
    return problems


def media_restore(folder):
    """Copy the backup's files into MEDIA_ROOT; return how many."""
    source = folder / MEDIA
    media = Path(settings.MEDIA_ROOT)
    names = files_under(source)
    for name in names:
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, media / name)
    return len(names)


def counts_differing(manifest):
    """The tables whose rows in the current database differ from the manifest's count."""
    expected = manifest["database"]["tables"]
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        counts = row_counts(cursor, [table for table in expected if table in present])
    return sorted(table for table, rows in expected.items() if counts.get(table) != rows)
