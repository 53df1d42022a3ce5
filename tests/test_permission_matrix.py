"""Every URL of the project, for every persona, by GET and (where it writes) by POST.

The rows are the statuses the access rules give today (directives/access.py,
reports/access.py): outsiders get 404 and learn nothing; readers who may not write get
403; anonymous users are sent to log in; a supervisor's page is 404 to anyone else. A
refused POST leaves every row and every stored file as it was. A URL name without a row
fails `test_every_url_name_has_a_row`.

The objects the URLs point at are built once for the module (tests/matrix_world.py).
The union whose work is at stake is 山东大学工会 (sdu), a recipient of the education
union's (edu's) directive, beside its sibling 济南市教育工会 (jinan).
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from directives.models import CatalogueFigure, Figure, Union
from tests.files import PDF, csv_bytes
from tests.matrix_world import copy_of_media, snapshot, world_in_transaction

PERSONAS = (
    "anonymous",
    "sdu_staff",  # 山东大学工会: the union whose work is at stake
    "sdu_supervisor",
    "jinan_staff",  # 济南市教育工会, its sibling
    "edu_staff",  # 山东省教育工会, the issuer, as staff: reads its own union's data only
    "qd_staff",  # 青岛市教育工会, an unrelated union
    "edu",  # the issuer's supervisor
    "province",  # supervisor above the issuer
    "qingdao",  # supervisor of another subtree
    "edu_admin",  # administrator of the issuer's subtree, with the admin's staff flag
    "superuser",
    "loner",  # a user of no union
)

LOGIN = "302 to the login page"
ADMIN_LOGIN = "302 to the admin's login page"
ADMIN_INDEX = "302 to the admin's index: the object is out of reach"


def expect(default, **statuses):
    """A status for every persona: the ones named, `default` for the others, and the way
    to the login page for anonymous users unless named."""
    table = {"anonymous": LOGIN, **dict.fromkeys(PERSONAS[1:], default), **statuses}
    assert set(table) == set(PERSONAS), set(table) - set(PERSONAS)
    return table


# The GET column of a view that takes only POST.
POST_ONLY = expect(405)
# The POST column of a view that only reads: 405 for everyone who may get that far, so a
# form pointed at a page by mistake is refused rather than answered as if it were a GET.
READ_ONLY = expect(405)


# --- Who is who, for the objects of the world ----------------------------------------------

SUPERVISORS = ("sdu_supervisor", "edu", "province", "qingdao", "edu_admin", "superuser")

# The issued directive: its recipients and its issuer's subtree read it, and those above.
ISSUED_READERS = expect(200, qd_staff=404, qingdao=404, loner=404)
ISSUED_MANAGERS = expect(  # close, attach: the issuer's supervisors and administrators
    403, edu=302, edu_admin=302, qd_staff=404, qingdao=404, loner=404
)
# The draft: only the issuing union's supervisors and administrators see it, and superusers.
DRAFT_READERS = expect(404, edu=200, edu_admin=200, superuser=200)
DRAFT_MANAGERS_PAGE = expect(404, edu=200, edu_admin=200, superuser=403)
DRAFT_MANAGERS = expect(404, edu=302, edu_admin=302, superuser=403)

# 山东大学工会's work: its members read and write while the directive is in force; those
# above it read; everyone else is an outsider.
UNIT_READERS = expect(
    404, sdu_staff=200, sdu_supervisor=200, edu=200, province=200, edu_admin=200, superuser=200
)
UNIT_WRITE_PAGE = {**UNIT_READERS, "edu": 403, "province": 403, "edu_admin": 403, "superuser": 403}
UNIT_WRITE = {**UNIT_WRITE_PAGE, "sdu_staff": 302, "sdu_supervisor": 302}
# 代录: a new entry is also logged on the union's behalf by the supervisors and
# administrators of the unions above it; never by a superuser, who acts in no union's name.
UNIT_LOG_PAGE = {**UNIT_READERS, "superuser": 403}
UNIT_LOG = {p: 302 if status == 200 else status for p, status in UNIT_LOG_PAGE.items()}
# Logging progress on the issued directive, from its page: for the unions that received it
# (sdu, jinan) and those above them, 403 to readers who log for no union of it.
DIRECTIVE_LOGGERS = expect(
    403,
    sdu_staff=200,
    sdu_supervisor=200,
    jinan_staff=200,
    edu=200,
    province=200,
    edu_admin=200,
    qd_staff=404,
    qingdao=404,
    loner=404,
)
# A draft report stays its union's own: readers above are sent back to the unit's page
# and do not get its files.
DRAFT_REPORT_PAGE = {**UNIT_READERS, "edu": 302, "province": 302, "edu_admin": 302}
DRAFT_REPORT_FILE = {**UNIT_READERS, "edu": 404, "province": 404, "edu_admin": 404}
# The issuing union's supervisors and administrators review what comes back to it.
REVIEW_PAGE = {
    **UNIT_READERS,
    "sdu_staff": 403,
    "sdu_supervisor": 403,
    "province": 403,
    "superuser": 403,
}
REVIEW = {**REVIEW_PAGE, "edu": 302, "edu_admin": 302}

# Supervisors' pages on the directive: the issuer's subtree and those above, no staff.
DIRECTIVE_SUPERVISORS = expect(
    404, sdu_supervisor=200, edu=200, province=200, edu_admin=200, superuser=200
)
# A spreadsheet job is its user's alone, whoever else may see the data in it.
OWN_IMPORT = expect(404, sdu_staff=200)
OWN_EXPORT = expect(404, edu=200)

# Who may import and export which kind of file: may_track, may_supervise, may_administer.
TRACKERS = expect(200, loner=403)
SUPERVISING = expect(403, **dict.fromkeys(SUPERVISORS, 200))
ADMINISTERING = expect(403, edu_admin=200, superuser=200)
ROBOT_PAGE = expect(
    404,
    sdu_staff=403,
    sdu_supervisor=403,
    edu=403,
    province=403,
    edu_admin=200,
    superuser=200,
)
IMPORTS = {
    "unions": ADMINISTERING,
    "users": ADMINISTERING,
    "directives": SUPERVISING,
    "requirements": SUPERVISING,
    "progress": TRACKERS,
    "reports": TRACKERS,
    "nothing": expect(404),
}


# Exports answer as imports do: a kind that does not exist is 404, one that the user may
# not have is 403.
EXPORTS = {
    "entries": TRACKERS,
    "reports": TRACKERS,
    "directives": SUPERVISING,
    "unions": SUPERVISING,
    "memberships": ADMINISTERING,
    "nothing": expect(404),
}


def with_status(table, old, new):
    return {p: new if status == old else status for p, status in table.items()}


# --- What the forms are sent -----------------------------------------------------------------


def pdf(name="签到表.pdf"):
    return SimpleUploadedFile(name, PDF)


def requirement_rows(*rows, initial=0):
    data = {
        "requirements-TOTAL_FORMS": str(len(rows)),
        "requirements-INITIAL_FORMS": str(initial),
        "requirements-MIN_NUM_FORMS": "1",
        "requirements-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"requirements-{index}-{key}": value for key, value in row.items()})
    return data


def new_directive(w):
    return {
        "title": "关于开展劳模宣讲的通知",
        "number": "鲁教工发〔2015〕31号",
        "kind": "notice",
        "body": "各单位工会：……",
        "recipient_mode": "children",
        **requirement_rows({"kind": "study", "title": "组织宣讲", "due_on": "2015-12-31"}),
    }


def edited_directive(directive):
    rows = [
        {"id": r.pk, "kind": r.kind, "title": r.title, "due_on": r.due_on.isoformat()}
        for r in directive.requirements.all()
    ]
    return {
        **new_directive(None),
        "title": "改过的标题",
        "number": directive.number,
        "version": directive.version,
        **requirement_rows(*rows, initial=len(rows)),
    }


def new_entry(w):
    return {
        "occurred_on": "2015-10-25",
        "narrative": "文学院分工会补学一次",
        f"figure_{Figure.STUDY_SESSIONS}": "1",
        f"figure_{Figure.PARTICIPANTS}": "40",
        "files": pdf(),
    }


def edited_entry(w):
    return {
        "occurred_on": "2015-10-21",
        "narrative": "改写后的进展",
        "version": w.sdu.entry.version,
    }


def spreadsheet(w):
    rows = [["发文单位代码", "文号", "单位代码", "工作要求序号", "日期", "工作情况"]]
    return {"file": SimpleUploadedFile("进展.csv", csv_bytes(rows))}


def union_form(union, parent, **changes):
    """The admin's form for a union, put first beneath its parent."""
    return {
        "name": union.name,
        "code": union.code,
        "short_name": union.short_name,
        "kind": union.kind,
        "treebeard_position": "first-child",
        "treebeard_ref_node": parent.pk,
        "_save": "Save",
        **changes,
    }


# --- The rows ------------------------------------------------------------------------------


@dataclass
class Row:
    name: str  # the URL's name
    target: str  # what the URL points at, for the test's id
    kwargs: Any  # world → the URL's kwargs
    get: dict
    post: dict = field(default_factory=lambda: READ_ONLY)
    data: Any = None  # world → what the POST sends
    # A POST that succeeds (302) changes rows or files; one refused changes nothing. False
    # for a POST that changes nothing whatever the answer (forms shown again, previews).
    writes: bool = True
    methods: dict = field(init=False)

    def __post_init__(self):
        self.writes = self.writes and self.post is not READ_ONLY
        self.methods = {"GET": self.get, "POST": self.post}


def none(w):
    return {}


def issued(w):
    return {"pk": w.issued.pk}


def draft(w):
    return {"pk": w.draft.pk}


def sdu_assignment(w):
    return {"pk": w.sdu.assignment.pk}


def sdu_study(w):
    return {"pk": w.sdu.assignment.pk, "requirement_pk": w.study.pk}


def kind(name):
    return lambda w: {"kind": name}


ROWS = [
    # To the tasks, which ask to log in.
    Row("home", "", none, expect(302, anonymous=302), post=expect(405, anonymous=405)),
    # --- directives ---
    Row("tasks", "", none, expect(200)),
    # Administrators' own page: anyone else is told which role it takes.
    Row("union_tree", "", none, ADMINISTERING),
    Row("directive_list", "", none, expect(200)),
    Row(
        # A superuser belongs to no union, in whose name to issue.
        "directive_create",
        "",
        none,
        get=SUPERVISING | {"superuser": 403},
        post=with_status(SUPERVISING | {"superuser": 403}, 200, 302),
        data=new_directive,
    ),
    Row("directive_detail", "issued", issued, ISSUED_READERS),
    Row("directive_detail", "draft", draft, DRAFT_READERS),
    Row(
        "directive_edit",
        "draft",
        draft,
        get=DRAFT_MANAGERS_PAGE,
        post=DRAFT_MANAGERS,
        data=lambda w: edited_directive(w.draft),
    ),
    Row(
        # An issued directive changes no more: its managers are sent back to it.
        "directive_edit",
        "issued",
        issued,
        get=ISSUED_MANAGERS,
        post=ISSUED_MANAGERS,
        data=lambda w: edited_directive(w.issued),
        writes=False,
    ),
    # The GET confirms what issuing will do; the POST issues.
    Row("directive_issue", "draft", draft, DRAFT_MANAGERS_PAGE, post=DRAFT_MANAGERS),
    Row(
        # Issued already: its managers are sent back to it, and nothing changes.
        "directive_issue",
        "issued",
        issued,
        ISSUED_MANAGERS,
        post=ISSUED_MANAGERS,
        writes=False,
    ),
    Row("directive_close", "issued", issued, POST_ONLY, post=ISSUED_MANAGERS),
    Row(
        "directive_forward",
        "issued",
        issued,
        POST_ONLY,
        post={**ISSUED_MANAGERS, "edu": 403, "edu_admin": 403, "sdu_supervisor": 302},
    ),
    Row(
        # Like forwarding: the supervisors of a recipient with units beneath it.
        "directive_carry_out",
        "issued",
        issued,
        POST_ONLY,
        post={**ISSUED_MANAGERS, "edu": 403, "edu_admin": 403, "sdu_supervisor": 302},
    ),
    Row(
        "directive_acknowledge",
        "issued",
        issued,
        POST_ONLY,
        post={
            **ISSUED_MANAGERS,
            "edu": 403,
            "edu_admin": 403,
            "sdu_staff": 302,
            "sdu_supervisor": 302,
            "jinan_staff": 302,
        },
    ),
    Row(
        "attachment_add",
        "issued",
        issued,
        POST_ONLY,
        post=ISSUED_MANAGERS,
        data=lambda w: {"file": pdf("通知.pdf")},
    ),
    Row(
        "attachment_add",
        "draft",
        draft,
        POST_ONLY,
        post=DRAFT_MANAGERS,
        data=lambda w: {"file": pdf("通知.pdf")},
    ),
    Row(
        "attachment_download",
        "issued",
        lambda w: {"pk": w.issued.pk, "attachment_pk": w.issued_attachment.pk},
        ISSUED_READERS,
    ),
    Row(
        "attachment_download",
        "draft",
        lambda w: {"pk": w.draft.pk, "attachment_pk": w.draft_attachment.pk},
        DRAFT_READERS,
    ),
    Row(
        "attachment_delete",
        "draft",
        lambda w: {"pk": w.draft.pk, "attachment_pk": w.draft_attachment.pk},
        POST_ONLY,
        post=DRAFT_MANAGERS,
    ),
    Row(
        # Recipients may have downloaded it: nobody removes it.
        "attachment_delete",
        "issued",
        lambda w: {"pk": w.issued.pk, "attachment_pk": w.issued_attachment.pk},
        POST_ONLY,
        post=with_status(ISSUED_MANAGERS, 302, 403),
    ),
    # --- imports ---
    Row("import_list", "", none, expect(200)),
    Row("import_formats", "", none, expect(200)),
    *(
        Row(
            "import_new",
            kind_,
            kind(kind_),
            table,
            post=with_status(table, 200, 302),
            data=spreadsheet,
        )
        for kind_, table in IMPORTS.items()
    ),
    *(
        Row(f"import_template_{extension}", kind_, kind(kind_), table)
        for extension in ("xlsx", "csv")
        for kind_, table in IMPORTS.items()
    ),
    Row("import_job", "sdu_staff's", lambda w: {"pk": w.import_job.pk}, OWN_IMPORT),
    Row("import_job_progress", "sdu_staff's", lambda w: {"pk": w.import_job.pk}, OWN_IMPORT),
    Row(
        "import_confirm",
        "sdu_staff's",
        lambda w: {"pk": w.import_job.pk},
        POST_ONLY,
        post=with_status(OWN_IMPORT, 200, 302),
    ),
    Row(
        # Invitations go out from a users import only: sdu_staff's is of progress entries,
        # and anyone else's job is nobody's business.
        "import_invite",
        "sdu_staff's",
        lambda w: {"pk": w.import_job.pk},
        POST_ONLY,
        post=expect(404),
        data=none,
    ),
    # --- one union's work ---
    Row("assignment_detail", "sdu", sdu_assignment, UNIT_READERS),
    Row(
        "entry_add",
        "sdu study",
        sdu_study,
        UNIT_LOG_PAGE,
        post=UNIT_LOG,
        data=new_entry,
    ),
    Row("directive_record", "issued", issued, DIRECTIVE_LOGGERS),
    Row(
        "directive_progress_import",
        "issued",
        issued,
        DIRECTIVE_LOGGERS,
        post=with_status(DIRECTIVE_LOGGERS, 200, 302),
        data=spreadsheet,
    ),
    *(
        Row(f"directive_progress_template_{extension}", "issued", issued, DIRECTIVE_LOGGERS)
        for extension in ("xlsx", "csv")
    ),
    Row(
        "requirement_done",
        "sdu study",
        sdu_study,
        POST_ONLY,
        post=UNIT_WRITE,
        data=lambda w: {"done": "1"},
    ),
    Row("entry_detail", "sdu", lambda w: {"pk": w.sdu.entry.pk}, UNIT_READERS),
    Row(
        "entry_edit",
        "sdu",
        lambda w: {"pk": w.sdu.entry.pk},
        UNIT_WRITE_PAGE,
        post=UNIT_WRITE,
        data=edited_entry,
    ),
    Row("evidence_download", "sdu", lambda w: {"pk": w.sdu.evidence.pk}, UNIT_READERS),
    Row(
        # Submitted: everyone above reads it, and nobody changes it until it is returned.
        "report_edit",
        "sdu submitted",
        sdu_assignment,
        UNIT_READERS,
        post=with_status(UNIT_READERS, 200, 403),
        data=lambda w: {"text": "改写", "version": w.sdu.report.version, "save": ""},
    ),
    Row(
        "report_edit",
        "sdu draft",
        lambda w: {"pk": w.drafting.assignment.pk},
        DRAFT_REPORT_PAGE,
        post=UNIT_WRITE,
        data=lambda w: {"text": "改写后的报告", "version": w.drafting.report.version, "save": ""},
    ),
    Row(
        # The page confirming a submission: the union's members, while it is a draft.
        "report_submit",
        "sdu draft",
        lambda w: {"pk": w.drafting.assignment.pk},
        UNIT_WRITE_PAGE,
        post=UNIT_WRITE,
        data=lambda w: {"version": w.drafting.report.version},
    ),
    Row(
        "report_submit",
        "sdu submitted",
        sdu_assignment,
        {**UNIT_WRITE_PAGE, "sdu_staff": 403, "sdu_supervisor": 403},
        post={**UNIT_WRITE_PAGE, "sdu_staff": 403, "sdu_supervisor": 403},
        data=lambda w: {"version": w.sdu.report.version},
    ),
    Row(
        "report_roll_up",
        "sdu draft",
        lambda w: {"pk": w.drafting.assignment.pk},
        POST_ONLY,
        post=UNIT_WRITE,
    ),
    Row(
        "report_attachment_remove",
        "sdu draft",
        lambda w: {"pk": w.drafting.assignment.pk, "attachment_pk": w.drafting.attachment.pk},
        POST_ONLY,
        post=UNIT_WRITE,
    ),
    Row(
        "report_attachment_download",
        "sdu submitted",
        lambda w: {"pk": w.sdu.attachment.pk},
        UNIT_READERS,
    ),
    Row(
        "report_attachment_download",
        "sdu draft",
        lambda w: {"pk": w.drafting.attachment.pk},
        DRAFT_REPORT_FILE,
    ),
    # --- reviewing ---
    Row(
        # Not a page for staff. A superuser reads every report but reviews in no union's
        # name: refused, like every other action bound to a union.
        "review_queue",
        "",
        none,
        expect(404, **dict.fromkeys(SUPERVISORS, 200)) | {"superuser": 403},
    ),
    Row(
        "report_review",
        "sdu submitted",
        lambda w: {"pk": w.sdu.report.pk},
        REVIEW_PAGE,
        post=REVIEW,
        data=lambda w: {"decision": "returned", "comment": "请补充参加人数的统计口径。"},
    ),
    Row("directive_reports", "issued", issued, DIRECTIVE_SUPERVISORS),
    # --- dashboards ---
    Row("overview", "", none, expect(404, **dict.fromkeys(SUPERVISORS, 200))),
    Row("dashboard", "issued", issued, DIRECTIVE_SUPERVISORS),
    Row("dashboard_units", "issued", issued, DIRECTIVE_SUPERVISORS),
    Row("dashboard_entries", "issued", issued, DIRECTIVE_SUPERVISORS),
    Row("dashboard_relay", "issued", issued, DIRECTIVE_SUPERVISORS),
    Row("dashboard_export", "issued", issued, DIRECTIVE_SUPERVISORS),
    Row(
        # Urging: the form, with no union chosen, sends the dashboard's readers back to it.
        # The supervisors of a union above 山东大学工会 urge it; its own supervisor does not
        # urge its own union; a superuser acts in no union's name.
        "dashboard_urge",
        "issued",
        issued,
        with_status(DIRECTIVE_SUPERVISORS, 200, 302),
        post={
            **DIRECTIVE_SUPERVISORS,
            "sdu_supervisor": 404,
            "edu": 302,
            "province": 302,
            "edu_admin": 302,
            "superuser": 403,
        },
        data=lambda w: {"union": [w.tree.sdu.pk], "message": "{union}：请抓紧办理。"},
    ),
    Row("urge_notice", "urge", lambda w: {"pk": w.urge.pk}, UNIT_READERS),
    Row(
        # A union's record: its own staff see it, and those above.
        "unit_scorecard",
        "sdu",
        lambda w: {"pk": w.tree.sdu.pk},
        UNIT_READERS,
    ),
    # --- notifications: each person's own ---
    Row("notification_list", "", none, expect(200)),
    Row(
        "notification_read",
        "sdu_staff's",
        lambda w: {"pk": w.sdu_notification.pk},
        POST_ONLY,
        post=expect(404, sdu_staff=302),
    ),
    Row("notification_read_all", "", none, POST_ONLY, post=expect(302)),
    Row(
        "notification_settings",
        "",
        none,
        expect(200),
        post=expect(302),
        data=lambda w: {"emailed_kinds": ["urge_received"], "language": "en"},
    ),
    # --- exports ---
    Row("export_list", "", none, TRACKERS),
    *(Row("export", kind_, kind(kind_), table) for kind_, table in EXPORTS.items()),
    Row("export_job", "edu's", lambda w: {"pk": w.export_job.pk}, OWN_EXPORT),
    Row("export_job_progress", "edu's", lambda w: {"pk": w.export_job.pk}, OWN_EXPORT),
    Row("export_download", "edu's", lambda w: {"pk": w.export_job.pk}, OWN_EXPORT),
    # --- the deadline calendar: each member's own; the feed opens to its secret address
    # alone, without a session. A superuser, in no union, has no calendar. ---
    Row("calendar_settings", "", none, expect(200, superuser=403, loner=403)),
    Row(
        "calendar_token",
        "",
        none,
        POST_ONLY,
        post=expect(302, superuser=403, loner=403),
        data=lambda w: {"action": "regenerate"},
    ),
    Row(
        "calendar_feed",
        "sdu_staff's",
        lambda w: {"pk": w.calendar_feed.pk, "secret": w.calendar_feed.secret},
        expect(200, anonymous=200),
        post=expect(405, anonymous=405),
    ),
    # --- a union's group robot: set up by the administrators of the union or above it;
    # those who see the union but may not are told which role it takes. ---
    Row(
        "robot_settings",
        "sdu",
        lambda w: {"pk": w.tree.sdu.pk},
        ROBOT_PAGE,
        post=with_status(ROBOT_PAGE, 200, 302),
        data=lambda w: {
            "kind": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix",
            "enabled": "on",
        },
    ),
    Row(
        # No robot is set up in the world: the button sends nothing and says so.
        "robot_test",
        "sdu",
        lambda w: {"pk": w.tree.sdu.pk},
        POST_ONLY,
        post=with_status(ROBOT_PAGE, 200, 302),
        writes=False,
    ),
    # --- accounts and languages: open to all, or to anyone logged in. The POSTs send
    # nothing a form accepts (or an address nobody has): they change nothing. ---
    Row(
        "login",
        "",
        none,
        expect(200, anonymous=200),
        post=expect(200, anonymous=200),
        data=none,
        writes=False,
    ),
    Row("logout", "", none, expect(405, anonymous=405), post=expect(LOGIN)),
    Row("password_change", "", none, expect(200), post=expect(200), data=none, writes=False),
    Row("password_change_done", "", none, expect(200)),
    Row(
        "password_reset",
        "",
        none,
        expect(200, anonymous=200),
        post=expect(302, anonymous=302),
        data=lambda w: {"email": "nobody@example.com"},
        writes=False,
    ),
    Row(
        "password_reset_done", "", none, expect(200, anonymous=200), post=expect(405, anonymous=405)
    ),
    Row(
        "password_reset_confirm",
        "a stale link",
        lambda w: {
            "uidb64": urlsafe_base64_encode(force_bytes(w.people.sdu_staff.pk)),
            "token": "stale-token",
        },
        expect(200, anonymous=200),
        post=expect(200, anonymous=200),
        data=none,
        writes=False,
    ),
    Row(
        "password_reset_complete",
        "",
        none,
        expect(200, anonymous=200),
        post=expect(405, anonymous=405),
    ),
    Row(
        # An invitation's link, as a stale one: the page says it no longer works.
        "invitation_confirm",
        "a stale link",
        lambda w: {
            "uidb64": urlsafe_base64_encode(force_bytes(w.people.sdu_staff.pk)),
            "token": "stale-token",
        },
        expect(200, anonymous=200),
        post=expect(200, anonymous=200),
        data=none,
        writes=False,
    ),
    Row(
        # The choice is kept in a cookie.
        "set_language",
        "",
        none,
        expect(302, anonymous=302),
        post=expect(302, anonymous=302),
        data=lambda w: {"language": "en", "next": "/tasks/"},
        writes=False,
    ),
]

# The admin's pages are many and generated: a few stand for the rest. Only users with the
# staff flag get in, and an administrator only within their subtree.
ADMIN_PAGE = expect(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, edu_admin=200, superuser=200)


def admin_union(name):
    return lambda w: {"object_id": getattr(w.tree, name).pk}


ADMIN_ROWS = [
    Row(
        "admin:directives_union_change",
        "sdu",
        admin_union("sdu"),
        ADMIN_PAGE,
        post=with_status(ADMIN_PAGE, 200, 302),
        data=lambda w: union_form(w.tree.sdu, w.tree.edu, name="山东大学工会（改）"),
    ),
    Row(
        "admin:directives_union_change",
        "qingdao",
        admin_union("qingdao"),
        ADMIN_PAGE | {"edu_admin": ADMIN_INDEX},
        post=ADMIN_PAGE | {"edu_admin": ADMIN_INDEX, "superuser": 302},
        data=lambda w: union_form(w.tree.qingdao, w.tree.province, name="青岛市总工会（改）"),
    ),
    Row(
        # The import's first step is a preview: it writes nothing for anyone.
        "admin:directives_union_import",
        "",
        none,
        ADMIN_PAGE,
        post=ADMIN_PAGE,
        data=lambda w: {
            "resource": "0",
            "format": "1",
            "import_file": SimpleUploadedFile(
                "单位.csv",
                csv_bytes(
                    [
                        ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"],
                        ["SDU-JG", "山东大学工会机关", "", "机关部门", "SDU"],
                    ]
                ),
            ),
        },
        writes=False,
    ),
]


# Every other URL the admin generates, as (URL name, target): what an administrator of the
# issuer's subtree (edu_admin) and a superuser get, by GET and by a POST of an empty form.
# Everyone else is sent to the admin's login page, except where a row names them. An empty
# form writes nothing anywhere: a refused or invalid POST shows the page again or refuses.
# IDX: the admin's index ("out of reach": not in the subtree, or no such object).
#
#                                          target   GET edu su   POST edu su
ADMIN_TABLE = """
admin:index                                 -         200 200     200 200
admin:app_list                              auth      200 200     200 200
admin:app_list                              directives 200 200    200 200
admin:app_list                              django_tasks_database 404 200   404 200
admin:app_list                              axes      404 200     404 200
admin:jsi18n                                -         200 200     405 405
admin:password_change                       -         200 200     200 200
admin:password_change_done                  -         200 200     405 405
admin:autocomplete                          -         403 403     405 405
admin:view_on_site                          sdu       404 404     404 404
admin:directives_union_add                  -         200 200     200 200
admin:directives_union_changelist           -         200 200     200 200
admin:directives_union_change               sdu       200 200     200 200
admin:directives_union_change               qingdao   IDX 200     IDX 200
admin:directives_union_history              sdu       200 200     200 200
admin:directives_union_history              qingdao   404 200     404 200
admin:directives_union_simple_history       sdu       200 200     403 403
admin:directives_union_simple_history       qingdao   404 200     403 403
admin:directives_union_delete               sdu       200 200     200 200
admin:directives_union_delete               qingdao   IDX 200     IDX 200
admin:directives_union_import               -         200 200     200 200
admin:directives_union_process_import       -         405 405     200 200
admin:directives_union_export               -         200 200     200 200
admin:directives_membership_add             -         200 200     200 200
admin:directives_membership_changelist      -         200 200     200 200
admin:directives_membership_change          sdu       200 200     200 200
admin:directives_membership_change          qingdao   IDX 200     IDX 200
admin:directives_membership_history         sdu       200 200     200 200
admin:directives_membership_history         qingdao   404 200     404 200
admin:directives_membership_simple_history  sdu       200 200     403 403
admin:directives_membership_simple_history  qingdao   404 200     403 403
admin:directives_membership_delete          sdu       403 200     403 200
admin:directives_membership_delete          qingdao   403 200     403 200
admin:directives_membership_import          -         200 200     200 200
admin:directives_membership_process_import  -         405 405     200 200
admin:directives_membership_export          -         200 200     200 200
admin:auth_user_add                         -         200 200     200 200
admin:auth_user_changelist                  -         200 200     200 200
admin:auth_user_change                      sdu       200 200     200 200
admin:auth_user_change                      qingdao   IDX 200     IDX 200
admin:auth_user_history                     sdu       200 200     200 200
admin:auth_user_history                     qingdao   IDX 200     IDX 200
admin:auth_user_delete                      sdu       403 200     403 200
admin:auth_user_delete                      qingdao   403 200     403 200
admin:auth_user_password_change             sdu       200 200     200 200
admin:auth_user_password_change             qingdao   404 200     404 200
admin:directives_directive_add              -         403 200     403 200
admin:directives_directive_changelist       -         403 200     403 200
admin:directives_directive_change           edu's     403 200     403 200
admin:directives_directive_history          edu's     404 200     404 200
admin:directives_directive_simple_history   edu's     404 200     403 403
admin:directives_directive_delete           edu's     403 200     403 200
admin:directives_directive_import           -         403 200     403 200
admin:directives_directive_process_import   -         405 405     403 200
admin:directives_directive_export           -         403 200     403 200
admin:directives_cataloguefigure_add            -         200 200     200 200
admin:directives_cataloguefigure_changelist     -         200 200     200 200
admin:directives_cataloguefigure_change         shared    200 200     200 200
admin:directives_cataloguefigure_change         standard  200 200     403 403
admin:directives_cataloguefigure_history        shared    200 200     200 200
admin:directives_cataloguefigure_simple_history shared    200 200     403 403
admin:directives_cataloguefigure_delete         shared    200 200     200 200
admin:directives_cataloguefigure_delete         standard  403 403     403 403
admin:directives_assignment_add             -         403 403     403 403
admin:directives_assignment_changelist      -         403 200     403 200
admin:directives_assignment_change          sdu       403 200     403 403
admin:directives_assignment_history         sdu       404 200     404 200
admin:directives_assignment_simple_history  sdu       404 200     403 403
admin:directives_assignment_delete          sdu       403 200     403 200
admin:auth_group_add                        -         403 200     403 200
admin:auth_group_changelist                 -         403 200     403 200
admin:auth_group_change                     none      403 IDX     403 IDX
admin:auth_group_history                    none      IDX IDX     IDX IDX
admin:auth_group_delete                     none      403 IDX     403 IDX
admin:django_tasks_database_dbtaskresult_add           -     403 403   403 403
admin:django_tasks_database_dbtaskresult_changelist    -     403 200   403 200
admin:django_tasks_database_dbtaskresult_change        none  403 IDX   403 403
admin:django_tasks_database_dbtaskresult_history       none  IDX IDX   IDX IDX
admin:django_tasks_database_dbtaskresult_delete        none  403 403   403 403
admin:axes_accessattempt_add                -         403 403     403 403
admin:axes_accessattempt_changelist         -         403 200     403 200
admin:axes_accessattempt_change             none      403 IDX     403 IDX
admin:axes_accessattempt_history            none      IDX IDX     IDX IDX
admin:axes_accessattempt_delete             none      403 IDX     403 IDX
admin:axes_accesslog_add                    -         403 403     403 403
admin:axes_accesslog_changelist             -         403 200     403 200
admin:axes_accesslog_change                 none      403 IDX     403 IDX
admin:axes_accesslog_history                none      IDX IDX     IDX IDX
admin:axes_accesslog_delete                 none      403 IDX     403 IDX
admin:axes_accessfailurelog_add             -         403 403     403 403
admin:axes_accessfailurelog_changelist      -         403 200     403 200
admin:axes_accessfailurelog_change          none      403 IDX     403 IDX
admin:axes_accessfailurelog_history         none      IDX IDX     IDX IDX
admin:axes_accessfailurelog_delete          none      403 IDX     403 IDX
"""

# The pages that answer someone without the staff flag otherwise than with the login page:
# (GET, POST, whether a POST that succeeds writes).
ADMIN_OUTSIDERS = {
    # The login page shows itself to anyone; a member of staff is sent on to the index.
    "admin:login": (
        expect(200, anonymous=200, edu_admin=ADMIN_INDEX, superuser=ADMIN_INDEX),
        expect(200, anonymous=200),
        False,
    ),
    # Only staff log out here, by POST, and land on the app's login page; the others are
    # sent to the admin's index, which sends them to its login page.
    "admin:logout": (
        expect(ADMIN_INDEX, anonymous=ADMIN_INDEX, edu_admin=405, superuser=405),
        expect(ADMIN_INDEX, anonymous=ADMIN_INDEX, edu_admin=LOGIN, superuser=LOGIN),
        True,  # axes stamps the logout time on the login's access log
    ),
    # The translations of the union form's scripts: public, like Django's own catalogue.
    "admin:javascript-catalog": (
        expect(200, anonymous=200),
        expect(405, anonymous=405),
        False,
    ),
}

# The object a target names, by the kind of record in the URL name.
ADMIN_TARGETS = {
    "directives_union": {"sdu": lambda w: w.tree.sdu, "qingdao": lambda w: w.tree.qingdao},
    "directives_membership": {
        "sdu": lambda w: w.people.sdu_staff.membership,
        "qingdao": lambda w: w.people.qd_staff.membership,
    },
    "auth_user": {"sdu": lambda w: w.people.sdu_staff, "qingdao": lambda w: w.people.qd_staff},
    "directives_directive": {"edu's": lambda w: w.issued},
    "directives_assignment": {"sdu": lambda w: w.sdu.assignment},
    "directives_cataloguefigure": {
        "shared": lambda w: w.shared_figure,
        "standard": lambda w: CatalogueFigure.objects.get(code="participants"),
    },
}
ADMIN_STATUS = {"IDX": ADMIN_INDEX}


def admin_kwargs(name, target):
    """world → the kwargs (or, for the admin's regex routes, the args) of a row's URL."""
    page = name.removeprefix("admin:")
    if target == "-":
        return none
    if name == "admin:app_list":
        return lambda w: {"app_label": target}
    if name == "admin:view_on_site":
        return lambda w: {
            "content_type_id": ContentType.objects.get_for_model(Union).pk,
            "object_id": w.tree.sdu.pk,
        }
    if target == "none":  # no record of that kind exists
        return lambda w: {"object_id": 999_999}
    model, _, _action = page.rpartition("_")
    if page.endswith("_simple_history"):
        model = page.removesuffix("_simple_history")
        obj = ADMIN_TARGETS[model][target]
        return lambda w: (str(obj(w).pk), str(obj(w).history.order_by("history_id")[0].pk))
    if page == "auth_user_password_change":
        obj = ADMIN_TARGETS["auth_user"][target]
        return lambda w: {"id": obj(w).pk}
    obj = ADMIN_TARGETS[model][target]
    return lambda w: {"object_id": obj(w).pk}


def admin_table_rows():
    for line in ADMIN_TABLE.strip().splitlines():
        name, target, *statuses = line.split()
        edu_get, su_get, edu_post, su_post = (
            ADMIN_STATUS.get(status) or int(status) for status in statuses
        )
        yield Row(
            name,
            "" if target == "-" else target,
            admin_kwargs(name, target),
            expect(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, edu_admin=edu_get, superuser=su_get),
            post=expect(ADMIN_LOGIN, anonymous=ADMIN_LOGIN, edu_admin=edu_post, superuser=su_post),
            writes=False,
        )
    for name, (get, post, writes) in ADMIN_OUTSIDERS.items():
        yield Row(name, "", none, get, post=post, writes=writes)


ADMIN_ROWS += list(admin_table_rows())


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), world_in_transaction(tmp_path_factory.mktemp("media")) as w:
        yield w


def cases(rows):
    for row in rows:
        for method in row.methods:
            target = f"[{row.target}]" if row.target else ""
            yield pytest.param(row, method, id=f"{row.name}{target}-{method}")


def answer(response):
    """The status, with redirects to a login page or the admin's index told apart."""
    location = response.get("Location", "")
    if response.status_code == 302:
        if location.split("?")[0] == reverse("login"):
            return LOGIN
        if location.split("?")[0] == reverse("admin:login"):
            return ADMIN_LOGIN
        if location == reverse("admin:index"):
            return ADMIN_INDEX
    return response.status_code


def is_refusal(persona, status):
    # Logging out sends everyone to the login page: only anonymous users are refused so.
    return status in {403, 404, ADMIN_LOGIN, ADMIN_INDEX} or (
        status == LOGIN and persona == "anonymous"
    )


def body(response):
    """The content; a file response is read to its end, which closes the file."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize(("row", "method"), list(cases([*ROWS, *ADMIN_ROWS])))
def test_matrix(db, world, settings, tmp_path, row, method):
    """Each persona in turn, in a savepoint rolled back after it, with its own copy of the
    stored files: what one persona writes, the next does not see."""
    expected = row.methods[method]
    answers, changed, idle, leaked = {}, [], [], []
    # Every persona starts from the same rows and files: the world's.
    before = snapshot(world.media) if method == "POST" else None
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
        # Reading leaves the files alone; a POST gets a copy of its own to change.
        media = copy_of_media(world, tmp_path / persona) if method == "POST" else world.media
        url = url_of(row, world)
        with override_settings(MEDIA_ROOT=media), transaction.atomic():
            if method == "POST":
                response = client.post(url, row.data(world) if row.data else {})
            else:
                response = client.get(url)
            content = body(response)
            answers[persona] = answer(response)
            if is_refusal(persona, answers[persona]) and any(
                secret.encode() in content for secret in world.secrets
            ):
                leaked.append(persona)
            if before is not None:
                wrote = snapshot(media) != before
                if wrote and (is_refusal(persona, answers[persona]) or not row.writes):
                    changed.append(persona)
                if not wrote and row.writes and answers[persona] == 302:
                    idle.append(persona)
            transaction.set_rollback(True)

    assert answers == expected
    assert changed == [], "a refused POST, or one that writes nothing, changed rows or files"
    assert idle == [], "a POST answered as done changed nothing"
    assert leaked == [], "a refusal showed another union's data"


def url_of(row, world):
    """The row's URL: its kwargs are a dict, or a tuple for the admin's regex routes."""
    params = row.kwargs(world)
    if isinstance(params, tuple):
        return reverse(row.name, args=params)
    return reverse(row.name, kwargs=params)


def url_patterns(resolver=None, namespace="", prefix=""):
    """(name with its namespace, route) of every URL of the URLconf, however deep it is
    included; the name is None for a URL without one."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else None), route


def url_names():
    return {name for name, _route in url_patterns() if name}


def test_every_url_name_has_a_row():
    names = {name for name in url_names() if not name.startswith("admin:")}
    assert names - {row.name for row in ROWS} == set(), "URL names without a row in ROWS"


def test_every_url_outside_the_admin_has_a_name():
    """A URL without a name could have no row."""
    nameless = [route for name, route in url_patterns() if not name]
    assert [route for route in nameless if not route.startswith("admin/")] == []


def test_every_admin_url_name_has_a_row():
    names = {name for name in url_names() if name.startswith("admin:")}
    assert names - {row.name for row in ADMIN_ROWS} == set(), "admin URL names without a row"


def test_every_row_is_a_url_of_the_project():
    names = url_names()
    assert {row.name for row in [*ROWS, *ADMIN_ROWS]} - names == set()


def test_every_row_names_every_persona():
    for row in [*ROWS, *ADMIN_ROWS]:
        for method, table in row.methods.items():
            assert set(table) == set(PERSONAS), (row.name, row.target, method)
