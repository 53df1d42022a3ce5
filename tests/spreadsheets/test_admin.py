"""The admin's import and export buttons use the same resources, for the admin's subtree."""

import io

import openpyxl
import pytest
from django.urls import reverse

from directives.models import Membership, Union
from directives.resources import UnionResource
from tests.conftest import make_user
from tests.files import csv_bytes

from .conftest import upload

IMPORT = reverse("admin:directives_union_import")
CONFIRM = reverse("admin:directives_union_process_import")
EXPORT = reverse("admin:directives_union_export")
XLSX, CSV = "0", "1"
HEADERS = ["单位代码", "单位名称", "简称", "单位类型", "上级单位代码"]


@pytest.fixture
def edu_admin(tree):
    return make_user(
        "edu_admin", tree.edu, Membership.Role.SUPERVISOR, administrator=True, is_staff=True
    )


def export_form(format):
    fields = {f"unionresource_{name}": "on" for name in UnionResource.fields}
    return {"format": format, "resource": "0", **fields}


def test_the_union_changelist_offers_import_and_export(login, edu_admin):
    page = login(edu_admin).get(reverse("admin:directives_union_changelist")).content.decode()
    assert IMPORT in page
    assert EXPORT in page


def test_an_administrator_exports_only_their_subtree(login, edu_admin):
    response = login(edu_admin).post(EXPORT, export_form(XLSX))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "SD-EDU",
        "JN-EDU",
        "JN-EDU-01",
        "SDU",
        "SDU-WX",
    ]


def test_an_administrator_imports_after_a_preview(login, edu_admin, tree):
    client = login(edu_admin)
    content = csv_bytes(
        [HEADERS, ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"]], "gbk"
    )
    preview = client.post(
        IMPORT, {"resource": "0", "format": CSV, "import_file": upload("单位.csv", content)}
    )
    assert preview.status_code == 200
    assert not Union.objects.filter(code="JN-EDU-02").exists()
    confirm = preview.context["confirm_form"]
    response = client.post(CONFIRM, {**confirm.initial, "resource": "0"})
    assert response.status_code == 302
    assert Union.objects.get_parent(Union.objects.get(code="JN-EDU-02")) == tree.jinan_edu


def test_rows_outside_the_subtree_are_shown_and_not_offered_for_import(login, edu_admin):
    content = csv_bytes([HEADERS, ["QD-ORG", "组织部", "", "机关部门", "QD"]])
    response = login(edu_admin).post(
        IMPORT, {"resource": "0", "format": CSV, "import_file": upload("单位.csv", content)}
    )
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert "代码QD-ORG已被占用，请另选。" in response.content.decode()


def test_a_file_error_says_what_is_wrong(login, edu_admin, settings):
    settings.IMPORT_MAX_COLUMNS = 2
    content = csv_bytes([HEADERS, ["JN-EDU-02", "济南第二中学工会", "", "基层工会", "JN-EDU"]])
    response = login(edu_admin).post(
        IMPORT, {"resource": "0", "format": CSV, "import_file": upload("单位.csv", content)}
    )
    assert response.context["form"].errors == {"import_file": ["文件有5列，最多只能导入2列。"]}
