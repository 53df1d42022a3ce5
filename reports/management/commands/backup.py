import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.management.backups import archive_write, backup_write, is_archive


class Command(BaseCommand):
    help = _(
        "Back up the database and the uploaded files into a new folder, or into one "
        ".tar.gz file when the name ends so, with a manifest of row counts and checksums. "
        "Safe while the app runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", type=Path, help=_("a new folder, or a .tar.gz file"))

    def handle(self, *args, target, **options):
        if is_archive(target):
            if target.exists():
                raise CommandError(_("%(path)s exists already.") % {"path": target})
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as folder:
                manifest = backup_write(Path(folder))
                archive_write(Path(folder), target)
        else:
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise CommandError(
                    _("%(path)s exists and is not an empty folder.") % {"path": target}
                )
            # It holds password hashes and everyone's reports: for its owner's eyes only.
            target.mkdir(parents=True, exist_ok=True)
            target.chmod(0o700)
            manifest = backup_write(target)
        tables = manifest["database"]["tables"]
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        self.stdout.write(
            _("Backed up %(rows)d rows of %(tables)d tables and %(files)d files to %(path)s.")
            % {"rows": sum(tables.values()), "tables": len(tables), "files": media, "path": target}
        )
        if manifest["media"] == "bucket":
            self.stdout.write(
                _(
                    "The uploaded files are in the S3 bucket, not in this backup: keep the "
                    "bucket's versioning on, so that it keeps them itself."
                )
            )
