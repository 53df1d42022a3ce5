"""Directive attachments: what is accepted, what is refused, how files are stored and served.

A file's type comes from its bytes, its name is kept only for display, and nobody
outside the directive's readers may download it.
"""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation

from directives.models import DirectiveAttachment
from tests.files import DOCX, PDF, XLSX, docx_bytes, ole_bytes, png_bytes, xlsx_bytes, zip_bytes


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
    ("旧版通知.wps", ole_bytes(), "application/x-ole-storage"),
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


def test_a_type_other_than_the_extension_says_is_detected_from_the_bytes(
    login, people, edu_draft, media
):
    upload(login(people.edu), edu_draft, "照片.pdf", png_bytes())

    attachment = edu_draft.attachments.get()
    assert attachment.name == "照片.pdf"
    assert attachment.content_type == "image/png"


NOT_A_TYPE = (
    "This kind of file is not accepted. Upload an image, a PDF, or a Word, Excel or WPS document."
)

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
    pytest.param(
        "archive.docx",
        zip_bytes({"readme.txt": "not an office document", "word/notes.txt": "x"}),
        id="zip-not-office",
    ),
    pytest.param("notes.txt", "学习贯彻会议精神的情况说明。\n".encode(), id="plain-text"),
    pytest.param("notes.doc", "学习贯彻会议精神".encode("gbk"), id="gbk-text-named-doc"),
]


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_it_refuses_files_of_a_type_it_does_not_accept(
    login, people, edu_draft, media, name, content
):
    response = upload(login(people.edu), edu_draft, name, content)

    assert response.status_code == 200
    assert shown_messages(response) == [chinese(NOT_A_TYPE)]
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


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


@pytest.mark.parametrize(
    ("persona", "status"),
    [("edu", 200), ("sdu_staff", 200), ("jinan_staff", 200), ("qd_staff", 404), ("qingdao", 404)],
)
def test_only_readers_of_the_directive_may_download(login, people, attachments, persona, status):
    response, _body = download(login(getattr(people, persona)), attachments["pdf"])

    assert response.status_code == status


def test_anonymous_downloads_are_sent_to_log_in(client, attachments):
    response, _body = download(client, attachments["pdf"])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_attachment_is_only_found_through_its_own_directive(
    login, people, attachments, edu_draft
):
    url = reverse("attachment_download", args=[edu_draft.pk, attachments["pdf"].pk])

    response = login(people.edu).get(url)

    assert response.status_code == 404


def test_draft_attachments_are_hidden_from_the_recipients_to_be(login, people, edu_draft, media):
    upload(login(people.edu), edu_draft, "草稿附件.pdf", PDF)
    attachment = edu_draft.attachments.get()

    response, _body = download(login(people.sdu_staff), attachment)

    assert response.status_code == 404


# --- Who may add and remove ------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [("sdu_staff", 403), ("edu_staff", 403)])
def test_readers_who_do_not_manage_the_directive_may_not_add(
    login, people, edu_directive, media, persona, status
):
    response = login(getattr(people, persona)).post(
        reverse("attachment_add", args=[edu_directive.pk]),
        {"file": SimpleUploadedFile("通知.pdf", PDF)},
    )

    assert response.status_code == status
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("fixture", ["edu_directive", "edu_draft"])
def test_outsiders_may_not_add_and_learn_nothing(login, people, media, request, fixture):
    directive = request.getfixturevalue(fixture)

    response = login(people.qingdao).post(
        reverse("attachment_add", args=[directive.pk]),
        {"file": SimpleUploadedFile("通知.pdf", PDF)},
    )

    assert response.status_code == 404
    assert not DirectiveAttachment.objects.exists()
    assert stored_files(media) == []


def test_adding_takes_a_post(login, people, edu_draft, media):
    response = login(people.edu).get(reverse("attachment_add", args=[edu_draft.pk]))

    assert response.status_code == 405


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


def test_attachments_of_an_issued_directive_stay(login, people, attachments, media):
    attachment = attachments["pdf"]

    response = login(people.edu).post(
        reverse("attachment_delete", args=[attachment.directive_id, attachment.pk])
    )

    assert response.status_code == 403
    assert DirectiveAttachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored_files(media)) == 3


@pytest.mark.parametrize(("persona", "status"), [("sdu_staff", 403), ("qingdao", 404)])
def test_others_may_not_remove_attachments(login, people, attachments, media, persona, status):
    attachment = attachments["pdf"]

    response = login(getattr(people, persona)).post(
        reverse("attachment_delete", args=[attachment.directive_id, attachment.pk])
    )

    assert response.status_code == status
    assert DirectiveAttachment.objects.count() == 3
    assert len(stored_files(media)) == 3
