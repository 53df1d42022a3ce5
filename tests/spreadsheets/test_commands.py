"""The library's import and export management commands drive the same resources."""

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from directives.models import Union
from tests.files import csv_bytes, sheet_bytes

HEADERS = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]


def run_export(*args):
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    call_command("export", *args, stdout=stdout)
    stdout.flush()
    return stdout.buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        ("units.xlsx", sheet_bytes, []),
        ("units.csv", lambda rows: csv_bytes(rows, encoding="utf-8-sig"), []),
        (
            "units.csv",
            lambda rows: csv_bytes(rows, encoding="gbk"),
            ["--format", "directives.spreadsheets.CSV"],
        ),
    ],
)
def test_the_import_command_adds_units(tree, tmp_path, name, content, options):
    path = tmp_path / name
    path.write_bytes(
        content([HEADERS, ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"]])
    )
    call_command("import", "directives.resources.UnionResource", str(path), "--no-input", *options)
    assert Union.objects.get_parent(Union.objects.get(code="JN-EDU-02")) == tree.jinan_edu


def test_the_import_command_writes_nothing_and_fails_when_a_row_is_bad(tree, tmp_path, capsys):
    path = tmp_path / "units.xlsx"
    path.write_bytes(
        sheet_bytes(
            [
                HEADERS,
                ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"],
                ["JN-EDU-03", "济南第三中学工会", "", "基层工会", "NOWHERE"],
            ]
        )
    )
    with translation.override("zh-hans"), pytest.raises(SystemExit) as exit:
        call_command("import", "directives.resources.UnionResource", str(path), "--no-input")
    assert exit.value.code == 1
    assert "第3行，上级单位代码：您的管辖范围内没有代码为NOWHERE的单位。" in capsys.readouterr().err
    assert not Union.objects.filter(code="JN-EDU-02").exists()


def test_the_export_command_writes_every_unit_with_chinese_headers(tree):
    with translation.override("zh-hans"):
        content = run_export("directives.spreadsheets.CSV", "directives.resources.UnionResource")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(HEADERS)
    assert len(lines) == 12
