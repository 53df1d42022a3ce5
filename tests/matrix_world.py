"""The world the permission matrix walks through, built once for its whole module.

The shared tree and personas of tests/conftest.py, and everything a URL of the project
may point at: the education union's directive issued to 济南市教育工会 and 山东大学工会,
and one of its drafts, each with an attachment; 山东大学工会's work on the directive (an
entry with evidence, a report with an attachment, submitted); a second directive on which
山东大学工会's report is still a draft with an attachment; an import of sdu_staff and an
export of edu, both finished.

Building it takes a while and every test only reads it (a test's own writes are rolled
back after it), so the module builds it in a transaction of its own, undone at the end.
"""

import datetime
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from directives.models import CatalogueFigure, Directive, DirectiveAttachment, Membership
from directives.services import directive_issue, directive_set_recipients
from reports import jobs, tasks
from reports.models import CalendarFeed, Notification, SpreadsheetJob, Urge
from reports.notifications import notify
from reports.services import report_for, report_save, report_submit
from tests.conftest import PASSWORD, make_directive, make_people, make_tree, make_user
from tests.files import PDF, csv_bytes
from tests.reports.conftest import (
    JINAN_NARRATIVE,
    JINAN_REPORT,
    SDU_NARRATIVE,
    SDU_REPORT,
    attach_to_report,
    unit_work,
)

# Left out of snapshots: the sessions, which logging in and out write, and the tables
# Django keeps for itself.
UNWATCHED = {"django_session", "django_content_type", "auth_permission"}


def snapshot(media):
    """Every row of every table, and every stored file: what a refused request must leave.

    Raw SQL, a query a table: the ORM would take longer than the request under test."""
    tables = {
        model._meta.db_table: model._meta.pk.column
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, pk in sorted(tables.items()):
            if table not in UNWATCHED:
                cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")
                rows[table] = cursor.fetchall()
    files = sorted(
        str(path.relative_to(media)) for path in Path(media).rglob("*") if path.is_file()
    )
    return {**rows, "files": files}


def issued_to_children(issuer, *, user, **fields):
    directive = make_directive(issuer, user=user, **fields)
    directive_set_recipients(directive=directive, mode=Directive.RecipientMode.CHILDREN)
    return directive_issue(directive=directive)


def attach_to_directive(directive, *, user, name):
    upload = (SimpleUploadedFile(name, PDF), "application/pdf", name)
    return DirectiveAttachment.store(upload, user=user, directive=directive)


def build_world():
    tree = make_tree()
    people = make_people(tree)
    people.edu_admin = make_user(
        "edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True, is_staff=True
    )
    people.superuser = get_user_model().objects.create_superuser("root", password=PASSWORD)

    draft = make_directive(tree.edu, user=people.edu, title="草稿：关于开展调研的通知")
    directive_set_recipients(directive=draft, mode=Directive.RecipientMode.CHILDREN)
    draft_attachment = attach_to_directive(draft, user=people.edu, name="调研提纲.pdf")
    issued = make_directive(tree.edu, user=people.edu, number="鲁教工发〔2015〕12号")
    issued_attachment = attach_to_directive(issued, user=people.edu, name="会议精神.pdf")
    directive_set_recipients(directive=issued, mode=Directive.RecipientMode.CHILDREN)
    issued = directive_issue(directive=issued)

    sdu = unit_work(
        issued.assignments.get(recipient=tree.sdu),
        user=people.sdu_staff,
        narrative=SDU_NARRATIVE,
        report_text=SDU_REPORT,
    )
    report_submit(report=sdu.report, user=people.sdu_staff)
    jinan = unit_work(
        issued.assignments.get(recipient=tree.jinan_edu),
        user=people.jinan_staff,
        narrative=JINAN_NARRATIVE,
        report_text=JINAN_REPORT,
    )
    # Their work acknowledged the directive; the matrix tries 签收 on it as still to come.
    issued.assignments.update(acknowledged_at=None, acknowledged_by=None)

    reading = issued_to_children(tree.edu, user=people.edu, title="关于开展读书活动的通知")
    drafting = SimpleNamespace(assignment=reading.assignments.get(recipient=tree.sdu))
    drafting.report = report_save(
        report=report_for(drafting.assignment), text="读书活动情况报告（草稿）", figures={}
    )
    drafting.attachment = attach_to_report(drafting.report, user=people.sdu_staff)

    progress = csv_bytes(
        [
            ["发文单位代码", "文号", "单位代码", "工作要求序号", "日期", "工作情况"],
            ["SD-EDU", issued.number, "SDU", "1", "2015-10-28", "文学院分工会补学一次"],
        ]
    )
    import_job = jobs.job_upload(
        user=people.sdu_staff,
        kind="progress",
        upload=SimpleUploadedFile("进展.csv", progress),
        language="zh-hans",
    )
    tasks.job_start(import_job)
    export_job = jobs.job_export(
        user=people.edu,
        kind="entries",
        parameters={"format": "xlsx"},
        file_name="进展记录.xlsx",
        rows_total=2,
        language="zh-hans",
    )
    tasks.job_run_now(export_job)
    # Something unread under everyone's bell, for marking all read to change.
    notify(
        Notification.Kind.URGE_RECEIVED,
        vars(people).values(),
        text="请尽快报送。",
        url="/tasks/",
        key="matrix",
    )

    # An urge of 山东大学工会 on an earlier day, for its printable notice: today's is still
    # free for the matrix to send.
    urge = Urge.objects.create(
        directive=issued,
        union=tree.sdu,
        urging_union=tree.edu,
        sent_by=people.edu,
        message="山东大学工会：请抓紧报送学习情况。",
        sent_on=datetime.date(2015, 11, 10),
    )

    return SimpleNamespace(
        sdu_notification=Notification.objects.get(recipient=people.sdu_staff, key="matrix"),
        tree=tree,
        people=people,
        urge=urge,
        issued=issued,
        issued_attachment=issued_attachment,
        draft=draft,
        draft_attachment=draft_attachment,
        study=issued.requirements.get(position=1),
        sdu=sdu,
        jinan=jinan,
        drafting=drafting,
        import_job=SpreadsheetJob.objects.get(pk=import_job.pk),
        export_job=SpreadsheetJob.objects.get(pk=export_job.pk),
        shared_figure=CatalogueFigure.objects.create(code="workers_covered", name="覆盖职工人数"),
        calendar_feed=CalendarFeed.objects.create(user=people.sdu_staff),
        # What no refusal may show: the units' work, and the directives' titles.
        secrets=(
            SDU_NARRATIVE,
            SDU_REPORT,
            JINAN_NARRATIVE,
            draft.title,
            issued.title,
            reading.title,
        ),
    )


@contextmanager
def world_in_transaction(media):
    """The world, in a transaction left open while the module's tests run inside it (each
    in a savepoint of its own) and rolled back at the end. Its files are stored in `media`."""
    with (
        override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        ),
        transaction.atomic(),
    ):
        world = build_world()
        world.media = media
        world.sessions = {persona: session_of(user) for persona, user in vars(world.people).items()}
        yield world
        transaction.set_rollback(True)


def session_of(user):
    """The session cookie of the user, logged in once: logging in for each request would
    cost more than the request."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def copy_of_media(world, folder):
    """A copy of the world's files for a request that may store or delete some. Links, not
    copies: nothing rewrites a stored file, and deleting one removes only its link."""
    shutil.copytree(world.media, folder, copy_function=os.link)
    return Path(folder)
