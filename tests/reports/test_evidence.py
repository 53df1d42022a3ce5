"""Evidence on progress entries and attachments on reports: accepted, refused, served, kept.

Files are checked by their bytes and their names; one bad file refuses the whole form,
so nothing of it is saved; names are kept for display only; a submitted version keeps its
attachments even after the unit removes one from the report.
"""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation

from reports.models import Evidence, ProgressEntry, Report, ReportAttachment, Submission
from reports.services import report_for
from tests.files import DOCX, PDF, docx_bytes, png_bytes
from tests.reports.conftest import stored_files, streamed

NARRATIVE = "组织全校教职工集中学习，签到表和现场照片附后。"
REPORT_TEXT = "山东大学工会关于学习贯彻会议精神情况的报告。"
ACCEPTED_KINDS = (
    "Accepted are PDF files, images (.jpg .jpeg .png .gif .webp), office documents from "
    "Word, Excel, PowerPoint, WPS or LibreOffice (.doc .docx .xls .xlsx .ppt .pptx .wps .et "
    ".dps .odt .ods .odp), plain text (.txt) and .zip archives."
)
NOT_A_TYPE = "This kind of file is not accepted. %(accepted)s"
NAME_REFUSED = "Files ending in .%(extension)s are not accepted. %(accepted)s"


def chinese(message, **params):
    with translation.override("zh-hans"):
        text = translation.gettext(message)
        return text % params if params else text


def refusal(message, **params):
    return chinese(message, accepted=chinese(ACCEPTED_KINDS), **params)


def entry_url(assignment):
    study = assignment.directive.requirements.get(kind="study")
    return reverse("entry_add", args=[assignment.pk, study.pk])


def add_entry(client, assignment, files, **extra):
    return client.post(
        entry_url(assignment),
        {
            "occurred_on": "2015-10-20",
            "narrative": NARRATIVE,
            "figure_participants": "320",
            "files": files,
        },
        **extra,
    )


def save_report(client, assignment, files, *, text=REPORT_TEXT, button="save"):
    """Save or submit the report form as the page the unit has open would post it."""
    version = report_for(assignment).version
    return client.post(
        reverse("report_edit", args=[assignment.pk]),
        {"text": text, "files": files, "version": version, button: "1"},
    )


def raw_multipart(url, client, fields, files):
    """Post files under names the test client would otherwise strip of their folders."""
    boundary = "gqtrack-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts += [
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
        for filename, content in files
    ]
    parts.append(f"--{boundary}--\r\n".encode())
    return client.post(
        url, b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )


# --- Evidence through the entry form ----------------------------------------------------


def test_several_files_in_one_field_are_all_kept_with_the_entry(
    login, people, sdu_assignment, media
):
    files = [
        SimpleUploadedFile("签到表.pdf", PDF),
        SimpleUploadedFile("学习现场.png", png_bytes()),
        SimpleUploadedFile("学习心得.docx", docx_bytes()),
    ]

    response = add_entry(login(people.sdu_staff), sdu_assignment, files)

    assert response.status_code == 302
    entry = ProgressEntry.objects.get(assignment=sdu_assignment)
    assert entry.narrative == NARRATIVE
    evidence = list(entry.evidence.order_by("pk"))
    assert [(e.name, e.content_type, e.size) for e in evidence] == [
        ("签到表.pdf", "application/pdf", len(PDF)),
        ("学习现场.png", "image/png", len(png_bytes())),
        ("学习心得.docx", DOCX, len(docx_bytes())),
    ]
    assert {e.uploaded_by for e in evidence} == {people.sdu_staff}
    for item in evidence:
        assert item.file.name.startswith("reports/")
        assert item.name.rsplit(".", 1)[0] not in item.file.name
    assert sorted(p.read_bytes() for p in stored_files(media)) == sorted(
        [PDF, png_bytes(), docx_bytes()]
    )


def test_an_entry_may_have_no_evidence(login, people, sdu_assignment, media):
    response = add_entry(login(people.sdu_staff), sdu_assignment, [])

    assert response.status_code == 302
    assert ProgressEntry.objects.get().evidence.count() == 0
    assert stored_files(media) == []


def oversized():
    return PDF + b"%" + b"x" * 2000 + b"\n"


REFUSED = [
    pytest.param(
        "大文件.pdf",
        oversized(),
        lambda: chinese(
            "The file is %(size)s; files may be at most %(limit)s.",
            size=filesizeformat(len(oversized())),
            limit=filesizeformat(1000),
        ),
        id="oversized",
    ),
    pytest.param(
        "现场照片.jpg",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        lambda: refusal(NOT_A_TYPE),
        id="html-named-jpg",
    ),
    pytest.param(
        "标志.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<rect width="10" height="10"/></svg>',
        lambda: refusal(NOT_A_TYPE),
        id="svg-named-png",
    ),
    pytest.param(
        "学习现场.html",
        png_bytes(),
        lambda: refusal(NAME_REFUSED, extension="html"),
        id="png-named-html",
    ),
    pytest.param(
        "学习现场.pdf",
        png_bytes(),
        lambda: chinese(
            "The content of the file does not match its name ending in .%(extension)s; "
            "for this content the name must end in %(expected)s.",
            extension="pdf",
            expected=".png",
        ),
        id="png-named-pdf",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_a_refused_file_refuses_the_whole_entry(
    login, people, sdu_assignment, media, settings, name, content, message
):
    settings.UPLOAD_MAX_BYTES = 1000
    files = [SimpleUploadedFile("签到表.pdf", PDF), SimpleUploadedFile(name, content)]

    response = add_entry(login(people.sdu_staff), sdu_assignment, files)

    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = f"{name}: {message()}"
    assert response.context["form"].errors["files"] == [expected]
    assert expected in response.content.decode()
    assert not ProgressEntry.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/学习心得.pdf", "..\\..\\windows\\system32\\学习心得.pdf"]
)
def test_folders_in_an_evidence_name_are_dropped(login, people, sdu_assignment, media, name):
    response = raw_multipart(
        entry_url(sdu_assignment),
        login(people.sdu_staff),
        {"occurred_on": "2015-10-20", "narrative": NARRATIVE},
        [(name, PDF)],
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.name == "学习心得.pdf"
    assert ".." not in evidence.file.name
    [stored] = stored_files(media)
    assert stored.resolve().is_relative_to((Path(media) / "reports").resolve())


def test_a_very_long_evidence_name_is_shortened_keeping_its_extension(
    login, people, sdu_assignment, media
):
    name = "关于学习贯彻会议精神的情况" * 30 + ".docx"

    add_entry(login(people.sdu_staff), sdu_assignment, [SimpleUploadedFile(name, docx_bytes())])

    evidence = Evidence.objects.get()
    assert len(evidence.name) == 255
    assert evidence.name.startswith("关于学习贯彻会议精神的情况关于")
    assert evidence.name.endswith(".docx")
    assert len(evidence.file.name) <= 200


# --- Serving --------------------------------------------------------------------------


@pytest.fixture
def evidence(login, people, sdu_assignment, media):
    files = [
        SimpleUploadedFile("签到表.pdf", PDF),
        SimpleUploadedFile("学习心得.docx", docx_bytes()),
    ]
    client = login(people.sdu_staff)
    add_entry(client, sdu_assignment, files)
    client.logout()
    return {e.content_type: e for e in Evidence.objects.all()}


def assert_served_inline(response, *, name, content_type, content):
    assert response.status_code == 200
    assert streamed(response) == content
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]


def assert_served_as_download(response, *, name, content):
    assert response.status_code == 200
    assert streamed(response) == content
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["sdu_staff", "edu"])
def test_pdf_evidence_is_shown_inline(login, people, evidence, persona):
    response = login(getattr(people, persona)).get(
        reverse("evidence_download", args=[evidence["application/pdf"].pk])
    )

    assert_served_inline(response, name="签到表.pdf", content_type="application/pdf", content=PDF)


def test_word_evidence_is_downloaded(login, people, evidence):
    response = login(people.edu).get(reverse("evidence_download", args=[evidence[DOCX].pk]))

    assert_served_as_download(response, name="学习心得.docx", content=docx_bytes())


# --- Report attachments ---------------------------------------------------------------


def test_report_attachments_are_saved_with_the_text(login, people, sdu_assignment, media):
    files = [
        SimpleUploadedFile("情况报告.pdf", PDF),
        SimpleUploadedFile("统计表.docx", docx_bytes()),
    ]

    response = save_report(login(people.sdu_staff), sdu_assignment, files)

    assert response.status_code == 302
    assert response["Location"] == reverse("report_edit", args=[sdu_assignment.pk])
    report = Report.objects.get(assignment=sdu_assignment)
    assert report.text == REPORT_TEXT
    assert [(a.name, a.content_type, a.size) for a in report.attachments.order_by("pk")] == [
        ("情况报告.pdf", "application/pdf", len(PDF)),
        ("统计表.docx", DOCX, len(docx_bytes())),
    ]
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_a_refused_report_attachment_saves_nothing(
    login, people, sdu_assignment, media, settings, name, content, message
):
    settings.UPLOAD_MAX_BYTES = 1000
    client = login(people.sdu_staff)
    save_report(client, sdu_assignment, [], text="初稿")
    files = [SimpleUploadedFile("情况报告.pdf", PDF), SimpleUploadedFile(name, content)]

    response = save_report(client, sdu_assignment, files, text="改写后的报告", button="submit")

    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = f"{name}: {message()}"
    assert response.context["form"].errors["files"] == [expected]
    report = Report.objects.get(assignment=sdu_assignment)
    assert report.text == "初稿"
    assert report.state == Report.State.DRAFT
    assert not ReportAttachment.objects.exists()
    assert not Submission.objects.exists()
    assert stored_files(media) == []


def test_report_attachments_are_served_like_evidence(login, people, sdu_assignment, media):
    client = login(people.sdu_staff)
    files = [
        SimpleUploadedFile("情况报告.pdf", PDF),
        SimpleUploadedFile("统计表.docx", docx_bytes()),
    ]
    save_report(client, sdu_assignment, files, button="submit")
    pdf, docx = ReportAttachment.objects.order_by("pk")

    client = login(people.edu)
    shown = client.get(reverse("report_attachment_download", args=[pdf.pk]))
    downloaded = client.get(reverse("report_attachment_download", args=[docx.pk]))

    assert_served_inline(shown, name="情况报告.pdf", content_type="application/pdf", content=PDF)
    assert_served_as_download(downloaded, name="统计表.docx", content=docx_bytes())


def test_a_removed_attachment_stays_in_the_version_that_was_submitted(
    login, people, sdu_assignment, media
):
    staff = login(people.sdu_staff)
    files = [
        SimpleUploadedFile("情况报告.pdf", PDF),
        SimpleUploadedFile("统计表.docx", docx_bytes()),
    ]
    save_report(staff, sdu_assignment, files, button="submit")
    report = Report.objects.get(assignment=sdu_assignment)
    assert report.state == Report.State.SUBMITTED
    pdf, docx = report.attachments.order_by("pk")
    login(people.edu).post(
        reverse("report_review", args=[report.pk]),
        {"decision": "returned", "comment": "统计表口径有误，请删去后重报。"},
    )
    staff = login(people.sdu_staff)

    removed = staff.post(reverse("report_attachment_remove", args=[sdu_assignment.pk, docx.pk]))

    assert removed.status_code == 302
    page = staff.get(reverse("report_edit", args=[sdu_assignment.pk]))
    assert list(page.context["attachments"]) == [pdf]
    form = page.content.decode().split('data-testid="report-form"')[1].split("</form>")[0]
    assert "情况报告.pdf" in form
    assert "统计表.docx" not in form
    first = Submission.objects.get(report=report, number=1)
    assert set(first.attachments.all()) == {pdf, docx}
    for persona in ("sdu_staff", "edu"):
        response = login(getattr(people, persona)).get(
            reverse("report_attachment_download", args=[docx.pk])
        )
        assert_served_as_download(response, name="统计表.docx", content=docx_bytes())
    assert len(stored_files(media)) == 2

    report.refresh_from_db()
    save_report(login(people.sdu_staff), sdu_assignment, [], button="submit")

    second = Submission.objects.get(report=report, number=2)
    assert list(second.attachments.all()) == [pdf]
    assert set(first.attachments.all()) == {pdf, docx}
    review = login(people.edu).get(reverse("report_review", args=[report.pk])).content.decode()
    version = review.split('data-testid="submission-text"')[1].split("</section>")[0]
    assert "情况报告.pdf" in version
    assert "统计表.docx" not in version
    # What changed since the returned version names the file taken out.
    assert "<del>📎 统计表.docx</del>" in review


def test_attachments_of_a_submitted_report_are_neither_removed_nor_added(
    login, people, sdu_assignment, media
):
    staff = login(people.sdu_staff)
    save_report(staff, sdu_assignment, [SimpleUploadedFile("情况报告.pdf", PDF)], button="submit")
    attachment = ReportAttachment.objects.get()

    removed = staff.post(
        reverse("report_attachment_remove", args=[sdu_assignment.pk, attachment.pk])
    )
    added = save_report(staff, sdu_assignment, [SimpleUploadedFile("补充.pdf", PDF)])

    assert removed.status_code == 403
    assert added.status_code == 403
    attachment.refresh_from_db()
    assert attachment.removed_at is None
    assert list(ReportAttachment.objects.all()) == [attachment]
    assert len(stored_files(media)) == 1
