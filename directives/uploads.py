"""Checking and serving uploaded files: directive attachments and evidence.

A file's type is read from its bytes, never from its name or the browser's word, and
files are only ever served through a view that has checked who is asking.
"""

import zipfile

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ALLOWED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    # Older Word, Excel and WPS files share this container; we cannot tell them apart
    # from the bytes alone and do not need to, since they are only ever downloaded.
    "application/x-ole-storage",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    *OOXML_TYPES.values(),
}
# Shown in the browser; everything else is downloaded, so no uploaded file can run
# script in the application's origin.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
ACCEPT_ATTRIBUTE = (
    ".jpg,.jpeg,.png,.gif,.webp,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.wps,.et,.odt,.ods"
)


def detect_content_type(uploaded):
    """The MIME type the file's bytes show, or None when it is not one we accept."""
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    if head.startswith(OLE_SIGNATURE):
        kind = filetype.guess(head)
        return kind.mime if kind else "application/x-ole-storage"
    kind = filetype.guess(head)
    if kind is None:
        return None
    if kind.mime == "application/zip" or kind.mime in OOXML_TYPES.values():
        return _ooxml_type(uploaded)
    return kind.mime if kind.mime in ALLOWED_TYPES else None


def _ooxml_type(uploaded):
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    finally:
        uploaded.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for prefix, mime in OOXML_TYPES.items():
        if any(name.startswith(prefix) for name in names):
            return mime
    return None


def validate_upload(uploaded):
    """Return the checked content type of an uploaded file, or raise ValidationError."""
    limit = settings.UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files may be at most %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
        )
    content_type = detect_content_type(uploaded)
    if content_type is None:
        raise ValidationError(
            _(
                "This kind of file is not accepted. Upload an image, a PDF, or a Word, "
                "Excel or WPS document."
            ),
            code="type",
        )
    return content_type


def display_name(name):
    """The uploaded name without any folder part, short enough to store, extension kept."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    if len(name) <= 255:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        return name[:255]
    return f"{stem[: 254 - len(ext)]}.{ext}"


def file_response(field_file, *, name, content_type):
    """Serve a stored file: images and PDF in the browser, anything else as a download."""
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        field_file.open("rb"),
        as_attachment=not inline,
        filename=name,
        content_type=content_type if inline else "application/octet-stream",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
