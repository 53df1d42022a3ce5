"""`manage.py loaddemo`: a union tree shaped like the seeds, their three directives, users,
and some progress: entries with figures, a requirement marked as done, and reports back.

Every object is found by its natural key before it is made (unions by code, users by
username, directives by issuer and number or title, requirements by position, progress
entries by union, requirement and date, reports by union and directive), so a second run
changes nothing and a partly loaded set is completed, not duplicated.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directives import services
from directives.models import (
    Assignment,
    Directive,
    ExpectedFigure,
    Figure,
    Membership,
    Requirement,
    Union,
)
from reports.models import Completion, EntryFigure, ProgressEntry, Report, Submission
from reports.services import (
    progress_entry_save,
    progress_refresh,
    report_for,
    report_requirements_refresh,
    report_review,
    report_save,
    report_submit,
    requirement_set_done,
)

PASSWORD = "demo-pass-2015"
ROOT = "SD"

U = Union.Kind
# (code, name, kind, parent code): parents come before their children.
UNIONS = (
    ("SD", "山东省总工会", U.FEDERATION, None),
    ("QD", "青岛市总工会", U.FEDERATION, "SD"),
    ("QD-JG", "青岛市机关工会", U.SECTOR, "QD"),
    ("QD-JG-01", "青岛市发展和改革委员会工会", U.GRASSROOTS, "QD-JG"),
    ("QD-JG-02", "青岛市财政局工会", U.GRASSROOTS, "QD-JG"),
    ("QD-WJ", "青岛市卫生健康系统工会", U.SECTOR, "QD"),
    ("QD-WJ-01", "青岛市市立医院工会", U.GRASSROOTS, "QD-WJ"),
    ("QD-WJ-02", "青岛市中心医院工会", U.GRASSROOTS, "QD-WJ"),
    ("QD-JT", "青岛市交通运输系统工会", U.SECTOR, "QD"),
    ("QD-JT-01", "青岛公交集团工会", U.GRASSROOTS, "QD-JT"),
    ("QD-JT-02", "青岛地铁集团工会", U.GRASSROOTS, "QD-JT"),
    ("QD-ORG", "组织部", U.DEPARTMENT, "QD"),
    ("QD-XJ", "宣传教育部", U.DEPARTMENT, "QD"),
    ("QD-BG", "办公室", U.DEPARTMENT, "QD"),
    ("QD-WKC", "青岛市工人文化宫", U.INSTITUTION, "QD"),
    ("QD-BF", "青岛市职工帮扶服务中心", U.INSTITUTION, "QD"),
    ("SD-EDU", "山东省教育工会", U.SECTOR, "SD"),
    ("JN-EDU", "济南市教育工会", U.SECTOR, "SD-EDU"),
    ("JN-EDU-01", "济南第一中学工会", U.GRASSROOTS, "JN-EDU"),
    ("JN-EDU-02", "济南外国语学校工会", U.GRASSROOTS, "JN-EDU"),
    ("ZB-EDU", "淄博市教育工会", U.SECTOR, "SD-EDU"),
    ("ZB-EDU-01", "淄博第一中学工会", U.GRASSROOTS, "ZB-EDU"),
    ("ZB-EDU-02", "淄博实验中学工会", U.GRASSROOTS, "ZB-EDU"),
    ("YT-EDU", "烟台市教育工会", U.SECTOR, "SD-EDU"),
    ("YT-EDU-01", "烟台第二中学工会", U.GRASSROOTS, "YT-EDU"),
    ("YT-EDU-02", "烟台市芝罘区实验小学工会", U.GRASSROOTS, "YT-EDU"),
    ("SDU", "山东大学工会", U.UNIVERSITY, "SD-EDU"),
    ("SDU-WX", "文学院分工会", U.GRASSROOTS, "SDU"),
    ("SDU-SX", "数学学院分工会", U.GRASSROOTS, "SDU"),
    ("OUC", "中国海洋大学工会", U.UNIVERSITY, "SD-EDU"),
    ("OUC-HQ", "海洋与大气学院分工会", U.GRASSROOTS, "OUC"),
    ("OUC-SP", "食品科学与工程学院分工会", U.GRASSROOTS, "OUC"),
    ("SDNU", "山东师范大学工会", U.UNIVERSITY, "SD-EDU"),
    ("SDNU-WX", "文学院分工会", U.GRASSROOTS, "SDNU"),
    ("SDNU-JY", "教育学部分工会", U.GRASSROOTS, "SDNU"),
)

R = Membership.Role
# (username, family name, given name, role, administrator, union code, superuser)
USERS = (
    ("admin", "王", "立新", R.SUPERVISOR, True, "SD", True),
    ("eduadmin", "周", "敏", R.SUPERVISOR, True, "SD-EDU", False),
    ("province", "李", "文华", R.SUPERVISOR, False, "SD", False),
    ("edu", "张", "晓梅", R.SUPERVISOR, False, "SD-EDU", False),
    # A city's supervisor who keeps its tree and users too, with the same account.
    ("qingdao", "刘", "海涛", R.SUPERVISOR, True, "QD", False),
    ("staff", "陈", "静", R.STAFF, False, "SDU", False),
    ("ouc", "孙", "玉洁", R.STAFF, False, "OUC", False),
    ("wkc", "赵", "建国", R.STAFF, False, "QD-WKC", False),
)

K = Requirement.Kind
F = Figure
d = datetime.date


def t(*moment):
    """A moment of the demo's story, in the project's time zone."""
    return timezone.make_aware(datetime.datetime(*moment))


# Requirements: (position, kind, position of the source in the forwarded directive, due on,
# title, description, expected figures).
DIRECTIVES = (
    {
        "key": "province",
        "issuer": "SD",
        "author": "province",
        "kind": Directive.Kind.RESOLUTION,
        "number": "",
        "issued_on": d(2015, 9, 23),
        "title": "山东省总工会关于学习贯彻中央、省委党的群团工作会议精神"
        "进一步推动工会工作创新发展的决议",
        "body": "本决议由山东省总工会第十四届委员会第五次全体会议于2015年9月23日通过。"
        "决议要求全省各级工会把学习贯彻中央和省委党的群团工作会议精神当作一项重要政治任务，"
        "围绕增强政治性、先进性、群众性改进工作，并对学习、宣传、落实和情况报送作出安排。",
        "requirements": (
            (10, K.STUDY, None, d(2015, 11, 30), "组织学习会议精神",
             "领导班子和工会干部集中研读两次会议的讲话和文件，结合本单位实际开展讨论。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS]),
            (20, K.PUBLICITY, None, d(2015, 11, 30), "宣传会议精神",
             "在工会报刊、网站和新媒体上宣传会议精神，介绍本单位的学习做法。",
             [F.ARTICLES, F.NEW_MEDIA_POSTS]),
            (30, K.IMPLEMENTATION, None, d(2015, 12, 20), "推动贯彻落实",
             "对照政治性、先进性、群众性的要求查找工作中的不足，定出改进措施并落实。",
             [F.PROBLEMS_FOUND, F.MEASURES]),
            (40, K.REPORT, None, d(2015, 12, 31), "报送学习贯彻情况",
             "把主要做法、取得的成效和下一步打算写成书面材料，报省总工会。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS, F.MEASURES]),
        ),
    },
    {
        "key": "edu",
        "forwards": "province",
        "issuer": "SD-EDU",
        "author": "edu",
        "kind": Directive.Kind.NOTICE,
        "number": "鲁教工字〔2015〕21号",
        "issued_on": d(2015, 9, 24),
        "title": "关于认真学习宣传贯彻中央党的群团工作会议精神的通知",
        "body": "按照省总工会的部署，省教育工会对全省各级教育工会学习宣传贯彻中央党的群团"
        "工作会议精神提出要求：抓好学习和干部培训，加强宣传，深入基层调研，结合实际推动工作，"
        "并把情况按时报省教育工会。",
        "requirements": (
            (10, K.STUDY, 10, d(2015, 11, 15), "召开专题会议集体学习",
             "先学习媒体的报道和评论，正式文件下发后再集中学习，领导班子带头。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS, F.LECTURES, "覆盖职工人数"]),
            (15, K.TRAINING, 10, d(2015, 11, 30), "工会干部轮训一遍",
             "把会议精神列进工会干部培训计划，办好专题培训班，所属工会干部全部轮训一遍。",
             [F.TRAINING_COURSES, (F.TRAINEES, 100)]),
            (20, K.PUBLICITY, 20, d(2015, 11, 30), "面向教职工宣传",
             "配合宣传部门，借助工会网站、报刊和微博、微信向教职工宣讲会议精神。",
             [F.ARTICLES, F.NEW_MEDIA_POSTS, F.LECTURES]),
            (25, K.RESEARCH, 30, d(2015, 12, 10), "深入基层调查研究",
             "走访基层工会和教职工，摸清联系服务教职工方面的突出问题，提出整改办法。",
             [F.SURVEYS, F.PROBLEMS_FOUND]),
            (30, K.IMPLEMENTATION, 30, d(2015, 12, 20), "结合实际抓落实",
             "把学习贯彻同“三严三实”专题教育结合起来，针对查出的问题制定工作措施。",
             [F.MEASURES]),
            (40, K.REPORT, 40, d(2015, 12, 15), "报送学习宣传贯彻情况",
             "把学习宣传贯彻的情况写成书面报告，报省教育工会。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS, F.TRAINEES, F.MEASURES]),
        ),
    },
    {
        "key": "qingdao",
        "issuer": "QD",
        "author": "qingdao",
        "kind": Directive.Kind.NOTICE,
        "number": "青工发〔2017〕36号",
        "issued_on": d(2017, 9, 6),
        "title": "青岛市总工会关于深入学习宣传贯彻习近平总书记重要指示"
        "和群团改革工作座谈会精神的通知",
        "body": "8月22日习近平总书记就群团改革工作作出重要指示，8月26日中央召开群团改革工作"
        "座谈会。市总工会要求各市直工会、机关各部门和各直属事业单位组织学习、加强宣传、"
        "拿出落实举措，并把情况报市总工会组织部。",
        "requirements": (
            (10, K.STUDY, None, d(2017, 9, 30), "组织工会干部学习",
             "列入党组中心组学习和“两学一做”学习教育，通过会议和培训班组织干部学习。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS, F.TRAINING_COURSES]),
            (20, K.PUBLICITY, None, d(2017, 10, 15), "宣传重要指示和座谈会精神",
             "用好工会报刊、网站、文化宫和新媒体，及时报道职工的反响和各单位的进展。",
             [F.ARTICLES, F.NEW_MEDIA_POSTS]),
            (30, K.IMPLEMENTATION, None, d(2017, 10, 31), "制定贯彻落实举措",
             "研究本单位落实重要指示、深化工会改革的具体举措，细化改革方案。",
             [F.PROBLEMS_FOUND, F.MEASURES]),
            (40, K.REPORT, None, d(2017, 10, 31), "报告学习贯彻情况",
             "把学习宣传贯彻的情况报市总工会组织部。",
             [F.STUDY_SESSIONS, F.PARTICIPANTS, F.MEASURES]),
        ),
    },
)  # fmt: skip

# (directive key, recipient union code, username of who acknowledges it, when)
ACKNOWLEDGEMENTS = (
    ("province", "SD-EDU", "edu", t(2015, 9, 24, 9, 10)),
    ("province", "QD", "qingdao", t(2015, 9, 25, 10, 30)),
    ("edu", "SDU", "staff", t(2015, 9, 25, 8, 45)),
    ("edu", "OUC", "ouc", t(2015, 9, 28, 14, 20)),
    ("qingdao", "QD-WKC", "wkc", t(2017, 9, 7, 9, 0)),
)

# What unions did: (directive key, union code, requirement position, author, date of the
# activity, what was done, figures).
PROGRESS = (
    ("edu", "SDU", 10, "staff", d(2015, 10, 8),
     "校工会召开委员会扩大会议，传达中央党的群团工作会议精神，工会主席作辅导发言，"
     "各分工会主席结合本单位工作谈了认识。",
     {F.STUDY_SESSIONS: 1, F.PARTICIPANTS: 42, F.LECTURES: 1}),
    ("edu", "SDU", 10, "staff", d(2015, 10, 29),
     "正式文件下发后再次集中学习，逐段研读讲话原文，围绕怎样更好地联系服务教职工分组讨论。",
     {F.STUDY_SESSIONS: 1, F.PARTICIPANTS: 36}),
    ("edu", "SDU", 15, "staff", d(2015, 11, 12),
     "分两期举办分工会主席和工会干部培训班，请校党校老师专题讲解会议精神，"
     "所属工会干部全部参加。",
     {F.TRAINING_COURSES: 2, F.TRAINEES: 118}),
    ("edu", "SDU", 20, "staff", d(2015, 10, 21),
     "在校工会网站开设学习专栏，微信公众号连续推送解读文章，校报刊发一篇评论。",
     {F.ARTICLES: 3, F.NEW_MEDIA_POSTS: 6}),
    ("edu", "OUC", 10, "ouc", d(2015, 10, 16),
     "校工会常委会专题学习会议精神，研究各分工会的学习安排，要求十一月中旬前学完。",
     {F.STUDY_SESSIONS: 1, F.PARTICIPANTS: 19}),
    ("edu", "OUC", 25, "ouc", d(2015, 11, 25),
     "分组走访海洋与大气学院等六个分工会，和青年教师座谈，梳理出职称评审信息公开不够、"
     "子女入托难等问题。",
     {F.SURVEYS: 6, F.PROBLEMS_FOUND: 4}),
    ("qingdao", "QD-WKC", 10, "wkc", d(2017, 9, 12),
     "文化宫党支部和工会小组一起召开学习会，逐条学习重要指示和座谈会精神，"
     "结合场馆怎样服务职工谈体会。",
     {F.STUDY_SESSIONS: 1, F.PARTICIPANTS: 27}),
    ("qingdao", "QD-WKC", 20, "wkc", d(2017, 9, 26),
     "在宣传栏和微信公众号开设专栏，刊登职工的学习心得，在职工书屋办了一期主题展览。",
     {F.ARTICLES: 2, F.NEW_MEDIA_POSTS: 5}),
    ("qingdao", "QD-WKC", 30, "wkc", d(2017, 10, 18),
     "对照改革要求查找职工培训和文体活动中的不足，定出延长开放时间、开设周末公益课堂等举措。",
     {F.PROBLEMS_FOUND: 3, F.MEASURES: 4}),
)  # fmt: skip

# Requirements a union says it has done: (directive key, union code, requirement position, who,
# when).
DONE = (
    ("edu", "SDU", 10, "staff", t(2015, 10, 30, 16, 0)),
    ("edu", "SDU", 15, "staff", t(2015, 11, 13, 11, 0)),
    ("edu", "SDU", 20, "staff", t(2015, 10, 22, 15, 30)),
    ("qingdao", "QD-WKC", 10, "wkc", t(2017, 9, 13, 10, 0)),
    ("qingdao", "QD-WKC", 20, "wkc", t(2017, 9, 27, 16, 0)),
    ("qingdao", "QD-WKC", 30, "wkc", t(2017, 10, 19, 9, 30)),
)

# Reports back, each written from the union's own figures and submitted: (directive key,
# union code, author, text, username of who accepts it, or None to leave it for review, when
# it was submitted, when it was accepted).
REPORTS = (
    ("edu", "SDU", "staff",
     "省教育工会：\n\n"
     "按照鲁教工字〔2015〕21号通知的要求，校工会把学习宣传贯彻中央党的群团工作会议精神"
     "当作当前的重要任务，先后组织两次集中学习，分两期把工会干部轮训了一遍，"
     "并通过网站、微信公众号和校报向教职工宣传。\n\n"
     "下一步，我们将走访各分工会，听取教职工的意见，针对查出的问题制定改进措施。",
     None, t(2015, 12, 11, 15, 0), None),
    ("qingdao", "QD-WKC", "wkc",
     "市总工会组织部：\n\n"
     "文化宫及时组织职工学习习近平总书记重要指示和群团改革工作座谈会精神，"
     "通过宣传栏、公众号和主题展览扩大宣传，并对照改革要求定出四项服务职工的举措，"
     "目前已开始落实。",
     "qingdao", t(2017, 10, 27, 10, 0), t(2017, 10, 30, 14, 30)),
)  # fmt: skip


def load_unions():
    unions = {}
    for code, name, kind, parent_code in UNIONS:
        union = Union.objects.filter(code=code).first()
        if union is None:
            fields = {"code": code, "name": name, "kind": kind}
            if parent_code is None:
                union = Union.objects.add_root(fields)
            else:
                union = Union.objects.add_child(unions[parent_code], fields)
        unions[code] = union
    return unions


def load_users(unions):
    User = get_user_model()
    users = {}
    for username, family, given, role, administrator, code, superuser in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            create = User.objects.create_superuser if superuser else User.objects.create_user
            user = create(username=username, password=PASSWORD, last_name=family, first_name=given)
        Membership.objects.get_or_create(
            user=user,
            defaults={"union": unions[code], "role": role, "administrator": administrator},
        )
        users[username] = user
    return users


def find_or_start(spec, issuer, author, parent):
    if parent is not None:
        return services.directive_forward(directive=parent, union=issuer, user=author)
    key = {"number": spec["number"]} if spec["number"] else {"title": spec["title"]}
    directive, _created = Directive.objects.get_or_create(
        issuer=issuer, **key, defaults={"title": spec["title"], "created_by": author}
    )
    return directive


def fill_draft(directive, spec, parent):
    for field in ("title", "kind", "number", "issued_on", "body"):
        setattr(directive, field, spec[field])
    directive.full_clean()
    directive.save()
    for position, kind, source, due_on, title, description, figures in spec["requirements"]:
        requirement = directive.requirements.filter(position=position).first() or Requirement(
            directive=directive, position=position
        )
        requirement.source = parent.requirements.get(position=source) if source else None
        requirement.kind, requirement.due_on = kind, due_on
        requirement.title, requirement.description = title, description
        requirement.full_clean()
        requirement.save()
        # A figure is a standard code, (code, target per unit), or the name of one the
        # directive adds for itself.
        codes, targets = [], {}
        for item in figures:
            code, target = item if isinstance(item, tuple) else (item, None)
            if code not in Figure.values:
                code = services.figure_for_directive(directive=directive, name=code).code
            codes.append(code)
            targets[code] = target
        requirement.set_figures(codes, targets=targets)


def load_directives(unions, users):
    directives = {}
    for spec in DIRECTIVES:
        parent = directives.get(spec.get("forwards"))
        directive = find_or_start(spec, unions[spec["issuer"]], users[spec["author"]], parent)
        if directive.is_draft:
            fill_draft(directive, spec, parent)
            services.directive_set_recipients(
                directive=directive, mode=Directive.RecipientMode.CHILDREN
            )
            directive = services.directive_issue(directive=directive)
        directives[spec["key"]] = directive
    return directives


def acknowledge(directives, unions, users):
    for key, code, username, at in ACKNOWLEDGEMENTS:
        assignment = Assignment.objects.get(directive=directives[key], recipient=unions[code])
        if assignment.acknowledged_at is None:
            assignment.acknowledge(users[username])
            # Dated in the story, not when the command runs.
            Assignment.objects.filter(pk=assignment.pk).update(acknowledged_at=at)


def assignment_of(directives, unions, key, code):
    return Assignment.objects.get(directive=directives[key], recipient=unions[code])


def log_progress(directives, unions, users):
    for key, code, position, username, occurred_on, narrative, figures in PROGRESS:
        assignment = assignment_of(directives, unions, key, code)
        requirement = assignment.directive.requirements.get(position=position)
        logged = ProgressEntry.objects.filter(
            assignment=assignment, requirement=requirement, occurred_on=occurred_on
        )
        if logged.exists():
            continue
        entry = ProgressEntry(
            assignment=assignment,
            requirement=requirement,
            occurred_on=occurred_on,
            narrative=narrative,
        )
        progress_entry_save(entry=entry, figures=figures, files=[], user=users[username])
        written = t(occurred_on.year, occurred_on.month, occurred_on.day, 17, 0)
        ProgressEntry.objects.filter(pk=entry.pk).update(created_at=written, updated_at=written)
    for key, code, position, username, at in DONE:
        assignment = assignment_of(directives, unions, key, code)
        requirement = assignment.directive.requirements.get(position=position)
        done = Completion.objects.filter(assignment=assignment, requirement=requirement)
        if done.exists():
            continue
        requirement_set_done(
            assignment=assignment, requirement=requirement, done=True, user=users[username]
        )
        done.update(done_at=at)
        progress_refresh(assignment=assignment, requirement=requirement)


def own_totals(assignment):
    """The union's own figures summed per requirement, as its report states them."""
    rows = (
        EntryFigure.objects.filter(entry__assignment=assignment)
        .values_list("entry__requirement", "figure")
        .annotate(total=Sum("value"))
    )
    return {(requirement, code): total for requirement, code, total in rows}


def report_back(directives, unions, users):
    """Write and submit each report once; accept it when the spec names who accepts it."""
    for key, code, author, text, reviewer, submitted_at, reviewed_at in REPORTS:
        assignment = assignment_of(directives, unions, key, code)
        report = report_for(assignment)
        if report.first_submitted_at is None:
            report_save(report=report, text=text, figures=own_totals(assignment))
            report = report_submit(report=report, user=users[author])
            Report.objects.filter(pk=report.pk).update(
                first_submitted_at=submitted_at, submitted_at=submitted_at
            )
            report.submissions.update(submitted_at=submitted_at)
            # The report-back requirement is done when the report was sent: in the story.
            report_requirements_refresh(assignment=assignment)
        if reviewer and report.state == Report.State.SUBMITTED:
            report_review(
                report=report, user=users[reviewer], decision=Submission.Decision.ACCEPTED
            )
            report.submissions.filter(decision=Submission.Decision.ACCEPTED).update(
                reviewed_at=reviewed_at
            )


def counts():
    models = (Union, Membership, get_user_model(), Directive, Requirement, ExpectedFigure)
    progress = (ProgressEntry, EntryFigure, Completion, Report, Submission)
    totals = [model.objects.count() for model in (*models, Assignment, *progress)]
    return [
        *totals,
        Assignment.objects.filter(acknowledged_at__isnull=False).count(),
        Submission.objects.exclude(decision="").count(),
    ]


class Command(BaseCommand):
    help = (
        "Load the demo data: a union tree, the seed directives, a user for every role, "
        "and some progress and reports back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds any union.",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Union.objects.exists():
            self.stdout.write(_("The database already holds unions; demo data not loaded."))
            return
        with transaction.atomic():
            present = Union.objects.filter(code=ROOT).exists()
            before = counts()
            unions = load_unions()
            users = load_users(unions)
            directives = load_directives(unions, users)
            acknowledge(directives, unions, users)
            log_progress(directives, unions, users)
            report_back(directives, unions, users)
            changed = counts() != before
        if not present:
            self.stdout.write(self.style.SUCCESS(_("Demo data loaded.")))
        elif changed:
            self.stdout.write(
                self.style.SUCCESS(_("Part of the demo data was missing; it has been completed."))
            )
        else:
            self.stdout.write(_("Demo data is already present; nothing changed."))
        self.summarise(unions, directives, users)
        self.summarise_progress(directives)

    def summarise(self, unions, directives, users):
        write = self.stdout.write
        root = unions[ROOT]
        write(
            _("%(count)d unions, with %(root)s at the top.") % {"count": len(unions), "root": root}
        )
        write(_("Directives:"))
        for directive in directives.values():
            values = {
                "date": date_format(directive.issued_on),
                "issuer": directive.issuer,
                "directive": directive,
                "state": directive.get_state_display(),
            }
            write("  " + _("%(date)s %(issuer)s: %(directive)s (%(state)s)") % values)
        write(_("Users, each with the password %(password)s:") % {"password": PASSWORD})
        for user in users.values():
            membership = user.membership
            values = {
                "username": user.username,
                "name": f"{user.last_name}{user.first_name}",
                "role": membership.roles_display(),
                "union": membership.union,
                "password": PASSWORD,
            }
            write("  " + _("%(username)s / %(password)s: %(name)s, %(role)s, %(union)s") % values)

    def summarise_progress(self, directives):
        """One line for each union that logged progress or started a report."""
        write = self.stdout.write
        assignments = (
            Assignment.objects.filter(directive__in=list(directives.values()))
            .annotate(entries=Count("progress_entries"))
            .filter(Q(entries__gt=0) | Q(report__isnull=False))
            .select_related("directive", "recipient", "report")
            .order_by("directive__issued_on", "recipient__path")
        )
        write(_("Progress and reports back:"))
        for assignment in assignments:
            report = getattr(assignment, "report", None)
            count = assignment.entries
            values = {
                "union": assignment.recipient,
                "directive": assignment.directive.number or assignment.directive.title,
                "entries": ngettext("%(count)d progress entry", "%(count)d progress entries", count)
                % {"count": count},
                "state": report.get_state_display() if report else _("Not submitted"),
            }
            write("  " + _("%(union)s on %(directive)s: %(entries)s; report: %(state)s") % values)
