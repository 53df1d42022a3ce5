import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from reports.management.backups import (
    archive_read,
    backup_problems,
    counts_differing,
    files_under,
    filled_tables,
    is_archive,
    load_database,
    manifest_read,
    media_in_files,
    media_restore,
)


class Command(BaseCommand):
    help = _(
        "Restore a backup made by `backup` (a folder or a .tar.gz file) into an empty "
        "database and an empty MEDIA_ROOT, after checking every file against the "
        "manifest. Stop the servers and workers first; run `migrate` after."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help=_("a backup folder or .tar.gz file"))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("replace a database that holds data, and write over files in MEDIA_ROOT"),
        )

    def handle(self, *args, source, force, **options):
        if not source.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": source})
        if not is_archive(source):
            return self.restore(source, source, force)
        with tempfile.TemporaryDirectory(prefix="gqtrack-restore-") as folder:
            archive_read(source, folder)
            return self.restore(Path(folder), source, force)

    def restore(self, folder, source, force):
        manifest = manifest_read(folder)
        problems = backup_problems(folder, manifest)
        if problems:
            raise CommandError(
                "\n".join(
                    [_("The backup is damaged or was changed; nothing was restored."), *problems]
                )
            )
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise CommandError(
                _("The backup holds a %(backup)s database, but DATABASE_URL names %(current)s.")
                % {"backup": vendor, "current": connection.vendor}
            )
        filled = filled_tables()
        if filled and not force:
            raise CommandError(
                _(
                    "The database is not empty (%(tables)s hold rows): restore into an empty "
                    "database, or pass --force to replace it."
                )
                % {"tables": ", ".join(filled[:5])}
            )
        if files_under(settings.MEDIA_ROOT) and media_in_files() and not force:
            raise CommandError(
                _(
                    "MEDIA_ROOT (%(path)s) is not empty: restore into an empty folder, or pass "
                    "--force to write the backup's files over it."
                )
                % {"path": settings.MEDIA_ROOT}
            )
        # Files first: a database restored before them would name files not there yet.
        files = media_restore(folder) if media_in_files() else 0
        load_database(folder / manifest["database"]["file"], vendor)
        differing = counts_differing(manifest)
        if differing:
            raise CommandError(
                _(
                    "The restored database does not hold the rows the manifest counts in: %(tables)s."
                )
                % {"tables": ", ".join(differing)}
            )
        tables = manifest["database"]["tables"]
        self.stdout.write(
            _("Restored %(rows)d rows of %(tables)d tables and %(files)d files from %(path)s.")
            % {"rows": sum(tables.values()), "tables": len(tables), "files": files, "path": source}
        )
        self.stdout.write(_("Next: run `manage.py migrate`, then start the servers and workers."))
