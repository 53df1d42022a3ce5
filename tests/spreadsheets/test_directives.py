"""Directives, their requirements and the users of the tree as spreadsheets."""

import datetime

from django.contrib.auth import get_user_model

from directives.models import CatalogueFigure, Directive, Figure, Membership, Requirement
from directives.resources import DirectiveResource, MembershipResource, RequirementResource
from tests.files import csv_bytes, sheet_bytes

from .conftest import export_file, problems, run_import

User = get_user_model()

DIRECTIVE_HEADERS = ["发文单位代码", "文号", "标题", "文件类型", "发文日期", "正文"]
REQUIREMENT_HEADERS = [
    "发文单位代码",
    "文号",
    "工作要求序号",
    "工作要求类型",
    "工作要求",
    "说明",
    "截止日期",
    "应报数据",
]
MEMBER_HEADERS = ["用户名", "姓", "名", "电子邮箱", "单位代码", "角色"]


def test_a_supervisor_imports_directives_with_their_requirements(tree, people):
    directives = sheet_bytes(
        [
            DIRECTIVE_HEADERS,
            [
                "SD-EDU",
                "鲁教工发〔2015〕30号",
                "关于开展调研的通知",
                "通知",
                "2015年10月8日",
                "各单位：",
            ],
        ]
    )
    outcome = run_import(DirectiveResource(user=people.edu), "文件.xlsx", directives)
    assert problems(outcome) == []
    directive = Directive.objects.get(number="鲁教工发〔2015〕30号")
    assert (directive.issuer, directive.state, directive.created_by) == (
        tree.edu,
        Directive.State.DRAFT,
        people.edu,
    )
    assert directive.issued_on == datetime.date(2015, 10, 8)

    requirements = sheet_bytes(
        [
            REQUIREMENT_HEADERS,
            [
                "SD-EDU",
                "鲁教工发〔2015〕30号",
                1,
                "学习",
                "组织学习",
                "",
                datetime.date(2015, 10, 31),
                "参加人次、组织学习场次",
            ],
            ["SD-EDU", "鲁教工发〔2015〕30号", 2, "Report back", "报送情况", "", "2015/11/30", ""],
        ]
    )
    outcome = run_import(RequirementResource(user=people.edu), "工作要求.xlsx", requirements)
    assert problems(outcome) == []
    study, report = directive.requirements.all()
    assert (study.title, study.kind, study.due_on) == (
        "组织学习",
        "study",
        datetime.date(2015, 10, 31),
    )
    assert study.figure_codes == [Figure.STUDY_SESSIONS, Figure.PARTICIPANTS]
    assert (report.position, report.kind, report.figure_codes) == (2, "report", [])


def test_directives_and_requirements_round_trip(edu_directive, people):
    directives = Directive.history.count(), Requirement.history.count()
    for resource in (DirectiveResource, RequirementResource):
        content = export_file(resource(user=people.edu), "csv")
        outcome = run_import(resource(user=people.edu), "export.csv", content)
        assert problems(outcome) == []
        assert (outcome.new, outcome.updated) == (0, 0)
    assert (Directive.history.count(), Requirement.history.count()) == directives


def test_exported_requirements_show_their_figures(edu_directive, people):
    dataset = RequirementResource(user=people.edu).export()
    assert dataset.dict[0]["Figures to report"] == "Study sessions held, Participants"


def test_directives_outside_the_scope_are_row_errors(edu_directive, tree, people):
    content = csv_bytes(
        [
            DIRECTIVE_HEADERS,
            ["QD", "青工发〔2015〕1号", "青岛的通知", "通知", "2015-10-08", ""],
            ["SD-EDU", "鲁教工发〔2015〕12号", "改过的标题", "通知", "2015-10-08", ""],
            ["SD-EDU", "", "没有文号的通知", "通知", "2015-10-08", ""],
        ]
    )
    outcome = run_import(DirectiveResource(user=people.qingdao), "文件.csv", content)
    assert problems(outcome) == [
        (3, "Issuer code", "There is no union with the code SD-EDU within your scope."),
        (4, "Document number", "This column identifies the row: fill it in."),
    ]
    assert not Directive.objects.filter(number="青工发〔2015〕1号").exists()
    assert Directive.objects.get(pk=edu_directive.pk).title == edu_directive.title


def test_staff_do_not_write_directives(tree, people):
    content = csv_bytes(
        [DIRECTIVE_HEADERS, ["SDU", "山大工字〔2015〕1号", "通知", "通知", "2015-10-08", ""]]
    )
    outcome = run_import(DirectiveResource(user=people.sdu_staff), "文件.csv", content)
    assert problems(outcome) == [(2, "Issuer code", ISSUER_ONLY)]
    assert not Directive.objects.filter(number="山大工字〔2015〕1号").exists()


ISSUER_ONLY = (
    "Only the supervisors of the issuing union write a directive and its requirements, "
    "in their own union's name."
)


def snapshot_of_directives():
    return (
        list(Directive.objects.order_by("pk").values_list("pk", "title", "body", "issued_on")),
        list(
            Requirement.objects.order_by("pk").values_list(
                "pk", "directive", "title", "due_on", "expected_figures__figure"
            )
        ),
    )


def test_an_issued_directive_does_not_change_by_import_not_even_from_above(
    edu_directive, tree, people, superuser
):
    """The probe's back door: the province rewrote the education union's issued notice."""
    before = snapshot_of_directives()
    number = edu_directive.number
    directives = csv_bytes(
        [DIRECTIVE_HEADERS, ["SD-EDU", number, "改过的标题", "通知", "2015-10-08", "改过的正文"]]
    )
    requirements = csv_bytes(
        [
            REQUIREMENT_HEADERS,
            ["SD-EDU", number, 1, "学习", "改过的要求", "", "2015-12-31", "参加人次"],
            ["SD-EDU", number, 3, "宣传", "新加的要求", "", "2015-12-31", ""],
        ]
    )
    issued = f"Directive {number} has been issued: it and its requirements no longer change."
    for user in (people.province, people.edu, superuser, None):
        outcome = run_import(DirectiveResource(user=user), "文件.csv", directives)
        assert problems(outcome) == [(2, "Issuer code", issued)]
        outcome = run_import(RequirementResource(user=user), "工作要求.csv", requirements)
        assert problems(outcome) == [(2, "Document number", issued), (3, "Document number", issued)]
    assert snapshot_of_directives() == before


def test_only_the_issuing_union_writes_its_draft(edu_draft, tree, people):
    """Supervisors above see the draft's union in their scope, but write in their own name."""
    edu_draft.number = "鲁教工发〔2015〕40号"
    edu_draft.save()
    before = snapshot_of_directives()
    row = ["SD-EDU", "鲁教工发〔2015〕40号", "省总改过的标题", "通知", "2015-10-08", ""]
    outcome = run_import(
        DirectiveResource(user=people.province), "文件.csv", csv_bytes([DIRECTIVE_HEADERS, row])
    )
    new = ["SD-EDU", "鲁教工发〔2015〕41号", "省总以教育工会名义发的通知", "通知", "2015-10-08", ""]
    created = run_import(
        DirectiveResource(user=people.province), "文件.csv", csv_bytes([DIRECTIVE_HEADERS, new])
    )

    assert problems(outcome) == [(2, "Issuer code", ISSUER_ONLY)]
    assert problems(created) == [(2, "Issuer code", ISSUER_ONLY)]
    assert snapshot_of_directives() == before
    outcome = run_import(
        DirectiveResource(user=people.edu), "文件.csv", csv_bytes([DIRECTIVE_HEADERS, row])
    )
    assert problems(outcome) == []
    assert Directive.objects.get(pk=edu_draft.pk).title == "省总改过的标题"


def test_an_export_of_issued_directives_imports_back_unchanged(edu_directive, people):
    before = snapshot_of_directives()
    for resource in (DirectiveResource, RequirementResource):
        content = export_file(resource(user=people.edu), "xlsx")
        outcome = run_import(resource(user=people.edu), "文件.xlsx", content)
        assert problems(outcome) == []
        assert outcome.new == outcome.updated == 0
    assert snapshot_of_directives() == before


def test_requirements_of_unknown_directives_and_bad_values_are_row_errors(edu_directive, people):
    content = sheet_bytes(
        [
            REQUIREMENT_HEADERS,
            ["SD-EDU", "鲁教工发〔2015〕99号", 1, "学习", "组织学习", "", "2015-10-31", ""],
            ["SD-EDU", "鲁教工发〔2015〕12号", "一", "学习", "组织学习", "", "2015-10-31", ""],
            ["SD-EDU", "鲁教工发〔2015〕12号", 1, "学习", "组织学习", "", "2015年2月30日", "人数"],
        ]
    )
    outcome = run_import(RequirementResource(user=people.edu), "工作要求.xlsx", content)
    figures = ", ".join(str(label) for _code, label in Figure.choices)
    assert problems(outcome) == [
        (
            2,
            "Document number",
            "There is no directive 鲁教工发〔2015〕99号 of SD-EDU within your scope.",
        ),
        (3, "Requirement number", "“一” is not a whole number of zero or more."),
        (4, "Due on", "“2015年2月30日” is not a day of the calendar."),
        (4, "Figures to report", f"“人数” is not one of: {figures}."),
    ]


def test_an_administrator_imports_users_of_the_subtree(tree, people):
    content = csv_bytes(
        [
            MEMBER_HEADERS,
            ["sdu_new", "王", "芳", "wangfang@example.com", "SDU", "工作人员"],
            ["jinan_staff", "李", "雷", "", "JN-EDU-01", "Supervisor"],
        ],
        encoding="gbk",
    )
    outcome = run_import(MembershipResource(user=people.edu), "用户.csv", content)
    assert problems(outcome) == []
    user = User.objects.get(username="sdu_new")
    assert (user.last_name, user.first_name, user.email) == ("王", "芳", "wangfang@example.com")
    assert not user.has_usable_password()
    assert (user.membership.union, user.membership.role) == (tree.sdu, Membership.Role.STAFF)
    moved = Membership.objects.get(user__username="jinan_staff")
    assert (moved.union, moved.role) == (tree.jinan_school, Membership.Role.SUPERVISOR)

    again = run_import(MembershipResource(user=people.edu), "用户.csv", content)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_users_outside_the_scope_and_oneself_are_row_errors(tree, people):
    before = sorted(Membership.objects.values_list("user__username", "union__code", "role"))
    content = csv_bytes(
        [
            MEMBER_HEADERS,
            ["qd_staff", "", "", "", "SDU", "工作人员"],
            ["loner", "", "", "", "SDU", "工作人员"],
            ["edu", "", "", "", "SD-EDU", "工作人员"],
            ["sdu_new", "", "", "not an address", "QD", "工作人员"],
            ["sdu_new2", "", "", "", "SDU", "主席"],
        ]
    )
    outcome = run_import(MembershipResource(user=people.edu), "用户.csv", content)
    assert problems(outcome) == [
        (2, "Username", "The username qd_staff is taken: choose another."),
        (3, "Username", "The username loner is taken: choose another."),
        (4, "Username", "You cannot change your own membership."),
        (5, "Unit code", "There is no union with the code QD within your scope."),
        (6, "Role", "“主席” is not one of: Staff, Supervisor."),
    ]
    assert sorted(Membership.objects.values_list("user__username", "union__code", "role")) == before
    assert not User.objects.filter(username__startswith="sdu_new").exists()


def test_a_supervisors_user_export_holds_only_their_subtree(tree, people):
    dataset = MembershipResource(user=people.edu).export()
    assert [row["Username"] for row in dataset.dict] == [
        "edu",
        "edu_staff",
        "jinan_staff",
        "sdu_staff",
        "sdu_supervisor",
    ]
    assert dataset.dict[0] == {
        "Username": "edu",
        "Family name": "",
        "Given name": "",
        "E-mail": "",
        "Unit code": "SD-EDU",
        "Role": "Supervisor",
        "Administrator": "No",
    }


def test_a_due_date_outside_2000_to_2100_is_a_row_error(edu_draft, people):
    edu_draft.number = "鲁教工发〔2015〕40号"
    edu_draft.save()
    before = snapshot_of_directives()
    content = sheet_bytes(
        [
            REQUIREMENT_HEADERS,
            ["SD-EDU", "鲁教工发〔2015〕40号", 3, "学习", "远期的要求", "", "9999-12-31", ""],
            # The same day as an Excel serial number.
            ["SD-EDU", "鲁教工发〔2015〕40号", 4, "学习", "远期的要求", "", 2958465, ""],
            ["SD-EDU", "鲁教工发〔2015〕40号", 5, "学习", "太早的要求", "", "1999-12-31", ""],
        ]
    )

    outcome = run_import(RequirementResource(user=people.edu), "工作要求.xlsx", content)

    out_of_range = "Give a date from 2000-01-01 to 2100-12-31."
    assert problems(outcome) == [
        (2, "Due on", out_of_range),
        (3, "Due on", out_of_range),
        (4, "Due on", out_of_range),
    ]
    assert snapshot_of_directives() == before


def test_importing_requirements_names_catalogue_figures_and_keeps_targets(edu_draft, people):
    edu_draft.number = "鲁教工发〔2015〕40号"
    edu_draft.save()
    study = edu_draft.requirements.get(position=1)
    study.set_figures([Figure.PARTICIPANTS], targets={Figure.PARTICIPANTS: 200})
    CatalogueFigure.objects.create(code="workers_covered", name="覆盖职工人数")
    row = ["SD-EDU", "鲁教工发〔2015〕40号", 1, "学习", study.title, "", "2015-10-31"]

    outcome = run_import(
        RequirementResource(user=people.edu),
        "工作要求.csv",
        csv_bytes([REQUIREMENT_HEADERS, [*row, "参加人次、覆盖职工人数"]]),
    )

    assert problems(outcome) == []
    expected = {e.figure_id: e.target for e in study.expected_figures.all()}
    assert expected == {Figure.PARTICIPANTS: 200, "workers_covered": None}
