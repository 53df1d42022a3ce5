"""The union tree as a spreadsheet: code, name, short name, kind, parent code."""

from directives.models import Union
from directives.resources import UnionResource
from tests.files import csv_bytes, sheet_bytes

from .conftest import export_file, problems, run_import

HEADERS_ZH = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]
HEADERS_EN = ["Unit code", "Unit name", "Short name", "Kind of unit", "Parent unit code"]


def tree_state():
    return sorted(
        (u.code, u.name, u.short_name, u.kind, u.depth, u.path) for u in Union.objects.all()
    )


def parent_of(union):
    return Union.objects.get_parent(union)


def history_count():
    return Union.history.count()


def test_it_adds_units_beneath_a_parent_from_a_gbk_csv(tree, people):
    content = csv_bytes(
        [
            HEADERS_ZH,
            ["JN-EDU-02", "济南第二中学工会", "济南二中", "基层工会", "JN-EDU"],
            ["JN-EDU-02-A", "济南第二中学工会教工小组", "", "grassroots", "JN-EDU-02"],
        ],
        encoding="gbk",
    )
    outcome = run_import(UnionResource(user=people.edu), "单位.csv", content)
    assert problems(outcome) == []
    assert (outcome.new, outcome.updated, outcome.unchanged, outcome.written) == (2, 0, 0, True)
    school = Union.objects.get(code="JN-EDU-02")
    assert parent_of(school) == tree.jinan_edu
    assert school.short_name == "济南二中"
    assert school.kind == Union.Kind.GRASSROOTS
    assert parent_of(Union.objects.get(code="JN-EDU-02-A")) == school


def test_it_reads_english_headers_and_a_bom(tree, people):
    content = csv_bytes(
        [HEADERS_EN, ["JN-EDU-02", "济南第二中学工会", "", "Grassroots union", "JN-EDU"]],
        encoding="utf-8-sig",
    )
    outcome = run_import(UnionResource(user=people.edu), "units.csv", content)
    assert problems(outcome) == []
    assert parent_of(Union.objects.get(code="JN-EDU-02")) == tree.jinan_edu


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tree, people):
    content = sheet_bytes(
        [
            HEADERS_ZH,
            ["SDU-WX", "文学院工会", "文学院", "基层工会", "SDU"],
            ["SDU-LX", "理学院分工会", "", "基层工会", "SDU"],
        ]
    )
    first = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert (first.new, first.updated, first.unchanged) == (1, 1, 0)
    state, history = tree_state(), history_count()

    second = run_import(UnionResource(user=people.edu), "单位.xlsx", content)

    assert problems(second) == []
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)
    assert tree_state() == state
    assert history_count() == history


def test_export_then_import_gives_the_same_tree(tree, people):
    for extension in ("xlsx", "csv"):
        content = export_file(UnionResource(user=people.edu), extension)
        state, history = tree_state(), history_count()
        outcome = run_import(UnionResource(user=people.edu), f"单位.{extension}", content)
        assert problems(outcome) == []
        assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 0, 5)
        assert tree_state() == state
        assert history_count() == history


def test_a_supervisors_export_holds_only_their_subtree(tree, people):
    dataset = UnionResource(user=people.edu).export()
    assert dataset.headers == HEADERS_EN
    assert [row[0] for row in dataset] == ["SD-EDU", "JN-EDU", "JN-EDU-01", "SDU", "SDU-WX"]
    assert dataset[0][4] == "SD"  # its parent, shown though outside the subtree
    assert dataset[1] == ("JN-EDU", "济南市教育工会", "", "Sector or education union", "SD-EDU")


def test_it_moves_a_unit_within_the_scope(tree, people):
    content = sheet_bytes([HEADERS_ZH, ["SDU-WX", "文学院分工会", "", "基层工会", "JN-EDU"]])
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert problems(outcome) == []
    assert parent_of(Union.objects.get(code="SDU-WX")) == tree.jinan_edu


def test_a_cycle_is_a_row_error_and_nothing_is_written(tree, people):
    state, history = tree_state(), history_count()
    content = sheet_bytes(
        [
            HEADERS_ZH,
            ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"],
            ["JN-EDU", "济南市教育工会", "", "Sector or education union", "JN-EDU-01"],
            ["SDU", "山东大学工会", "", "University union", "SDU"],
        ]
    )
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    cycle = "A union cannot be placed beneath itself or one of its own unions."
    assert problems(outcome) == [
        (3, "Parent unit code", cycle),
        (4, "Parent unit code", cycle),
    ]
    assert not outcome.written
    assert tree_state() == state
    assert history_count() == history


def test_a_cycle_across_rows_is_refused(tree, people):
    content = sheet_bytes(
        [
            HEADERS_ZH,
            ["SDU", "山东大学工会", "", "University union", "JN-EDU"],
            ["JN-EDU", "济南市教育工会", "", "Sector or education union", "SDU"],
        ]
    )
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert problems(outcome) == [
        (3, "Parent unit code", "A union cannot be placed beneath itself or one of its own unions.")
    ]
    assert parent_of(Union.objects.get(code="SDU")) == tree.edu


def test_codes_and_parents_outside_the_scope_are_row_errors(tree, people):
    state, history = tree_state(), history_count()
    content = sheet_bytes(
        [
            HEADERS_ZH,
            ["QD-ORG", "组织部（改名）", "", "Department of a union", "QD"],
            ["JN-EDU-03", "济南第三中学工会", "", "Grassroots union", "QD-EDU"],
            ["SDU-WX", "文学院分工会", "", "Grassroots union", "QD"],
            ["SD-EDU", "山东省教育工会", "", "Sector or education union", ""],
            ["JN-EDU-04", "济南第四中学工会", "", "Grassroots union", "NOWHERE"],
            ["JN-EDU-05", "济南第五中学工会", "", "Grassroots union", "JN-EDU"],
        ]
    )
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert problems(outcome) == [
        (2, "Unit code", "The code QD-ORG is taken: choose another."),
        (3, "Parent unit code", "There is no union with the code QD-EDU within your scope."),
        (4, "Parent unit code", "There is no union with the code QD within your scope."),
        (5, "Parent unit code", "Name the union this one belongs to."),
        (6, "Parent unit code", "There is no union with the code NOWHERE within your scope."),
    ]
    assert tree_state() == state
    assert history_count() == history
    assert not Union.objects.filter(code="JN-EDU-05").exists()


def test_duplicate_codes_are_row_errors(tree, people):
    content = sheet_bytes(
        [
            HEADERS_ZH,
            ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"],
            ["JN-EDU-02", "济南二中工会", "", "基层工会", "JN-EDU"],
        ]
    )
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content)
    assert problems(outcome) == [(3, "", "Row 2 already has the same Unit code.")]
    assert not Union.objects.filter(code="JN-EDU-02").exists()


def test_a_dry_run_writes_nothing(tree, people):
    content = sheet_bytes([HEADERS_ZH, ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"]])
    outcome = run_import(UnionResource(user=people.edu), "单位.xlsx", content, dry_run=True)
    assert problems(outcome) == []
    assert (outcome.new, outcome.written) == (1, False)
    assert not Union.objects.filter(code="JN-EDU-02").exists()


def test_without_a_user_it_may_add_a_root(db):
    content = sheet_bytes([HEADERS_ZH, ["SD", "山东省总工会", "", "总工会", ""]])
    outcome = run_import(UnionResource(), "单位.xlsx", content)
    assert problems(outcome) == []
    assert Union.objects.get(code="SD").is_root()
