"""Checking and serving uploaded files: directive attachments, evidence and report files.

A file is accepted only when its bytes show one of a few kinds of document and its name
ends in an extension of that kind: a PNG must be named .png, an older Word, Excel,
PowerPoint or WPS file .doc, .xls, .ppt, .wps, .et or .dps. Programs and scripts are
refused by their name (also inside a .zip) and by their content. Files are only ever
served through a view that has checked who is asking, and only images and PDF are shown
in the browser; everything else is downloaded.
"""

import re
import zipfile

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
# Older Word, Excel, PowerPoint and WPS files share one container. WPS writes the same
# formats under its own names and people rename files between the two, so any of them
# may carry any of these names; none is ever shown in the browser.
OLE_EXTENSIONS = ("doc", "xls", "ppt", "wps", "et", "dps")
# Every accepted kind, as the content type stored with the file, and the extensions its
# name may end in.
KINDS = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    DOC: OLE_EXTENSIONS,
    XLS: OLE_EXTENSIONS,
    PPT: OLE_EXTENSIONS,
    OOXML_TYPES["word/"]: ("docx",),
    OOXML_TYPES["xl/"]: ("xlsx",),
    OOXML_TYPES["ppt/"]: ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
    "text/plain": ("txt",),
    "application/zip": ("zip",),
}
EXTENSIONS = tuple(dict.fromkeys(ext for exts in KINDS.values() for ext in exts))
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in EXTENSIONS)
# Shown in the browser; everything else is downloaded, so no uploaded file can run
# script in the application's origin.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
# Refused inside a .zip (a name outside EXTENSIONS is refused anyway): programs, scripts
# and pages that Windows or a browser would run.
PROGRAM_EXTENSIONS = {
    *("exe", "bat", "cmd", "com", "scr", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf"),
    *("wsh", "jar", "hta", "html", "htm", "xhtml", "mht", "svg", "msi", "msp", "sh"),
    *("dll", "cpl", "lnk", "pif", "reg", "apk"),
}
# The stream each older office document keeps its content in (WPS writes the same ones).
OLE_STREAMS = {"WordDocument": DOC, "Workbook": XLS, "Book": XLS, "PowerPoint Document": PPT}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Text that begins as a page, an SVG picture or a script (after any blank space).
MARKUP_OR_SCRIPT = re.compile(r"\s*(<[!?/a-z]|#!)", re.IGNORECASE)

ACCEPTED = _(
    "Accepted are PDF files, images (.jpg .jpeg .png .gif .webp), office documents from "
    "Word, Excel, PowerPoint, WPS or LibreOffice (.doc .docx .xls .xlsx .ppt .pptx .wps .et "
    ".dps .odt .ods .odp), plain text (.txt) and .zip archives."
)


def extension(name):
    """The last extension of a file name, lower-case, as Windows reads it."""
    name = name.rsplit("/", 1)[-1].rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def detect_content_type(uploaded):
    """The content type of the accepted kind the file's bytes show, or None."""
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    if head.startswith(OLE_SIGNATURE):
        return _ole_type(_read_all(uploaded))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(uploaded)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else None
    if content_type == "image/apng":  # an animated PNG is a PNG
        content_type = "image/png"
    if content_type in INLINE_TYPES:  # images and PDF, the kinds known by their first bytes
        return content_type
    return "text/plain" if _is_text(_read_all(uploaded)) else None


def _read_all(uploaded):
    data = uploaded.read()
    uploaded.seek(0)
    return data


def _ole_type(data):
    """Which older office document an OLE file holds, from its directory, or None.

    A directory entry is 128 bytes: the stream's name in UTF-16, the name's length at 64
    and its type (2, a stream) at 66. The directory lies in whole sectors, so its entries
    start at multiples of 128; finding one named like an office stream there is enough to
    tell a document from another file (an installer, or a script behind the header).
    Names compare regardless of case, as in the format itself.
    """
    if data[28:30] != b"\xfe\xff" or data[30:32] not in (b"\x09\x00", b"\x0c\x00"):
        return None
    data = data.lower()  # ASCII letters only: lengths and types are below "A"
    for stream, content_type in OLE_STREAMS.items():
        name = (stream.lower() + "\0").encode("utf-16-le")
        at = data.find(name, 512)
        while at != -1:
            if at % 128 == 0 and data[at + 64 : at + 67] == bytes([len(name), 0, 2]):
                return content_type
            at = data.find(name, at + 1)
    return None


def _zip_type(uploaded):
    """An OpenDocument or Office Open XML type, else a plain zip, from the names it holds."""
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
            declared = _odf_mimetype(archive) if "mimetype" in names else None
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
        return None
    finally:
        uploaded.seek(0)
    if declared is not None:
        return declared if declared in ODF_TYPES else None
    if "[Content_Types].xml" in names:
        for prefix, content_type in OOXML_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return content_type
        return None
    programs = sorted({extension(name) for name in names} & PROGRAM_EXTENSIONS)
    if programs:
        raise ValidationError(
            _("The archive contains programs or scripts (%(extensions)s), which are not accepted."),
            code="type",
            params={"extensions": " ".join(f".{ext}" for ext in programs)},
        )
    return "application/zip"


def _odf_mimetype(archive):
    """What an OpenDocument file's first member says it is (a line of ASCII, never more)."""
    info = archive.getinfo("mimetype")
    return archive.read(info).decode("ascii", "replace") if info.file_size < 100 else ""


def _is_text(data):
    """Plain text in UTF-8 or GBK, with no binary, that is neither markup nor a script."""
    if b"\0" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 reads GBK, as Chinese Windows saves it
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not CONTROL_CHARACTERS.search(text) and not MARKUP_OR_SCRIPT.match(text)
    return False


def validate_upload(uploaded):
    """Return the checked content type of an uploaded file, or raise ValidationError."""
    limit = settings.UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files may be at most %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
        )
    ext = extension(display_name(uploaded.name))
    if not ext:
        raise ValidationError(
            _("The file name must end in the extension of its kind, such as .pdf. %(accepted)s"),
            code="name",
            params={"accepted": ACCEPTED},
        )
    if ext not in EXTENSIONS:
        raise ValidationError(
            _("Files ending in .%(extension)s are not accepted. %(accepted)s"),
            code="name",
            params={"extension": ext, "accepted": ACCEPTED},
        )
    content_type = detect_content_type(uploaded)
    if content_type is None:
        raise ValidationError(
            _("This kind of file is not accepted. %(accepted)s"),
            code="type",
            params={"accepted": ACCEPTED},
        )
    if ext not in KINDS[content_type]:
        raise ValidationError(
            _(
                "The content of the file does not match its name ending in .%(extension)s; "
                "for this content the name must end in %(expected)s."
            ),
            code="name",
            params={"extension": ext, "expected": "/".join(f".{e}" for e in KINDS[content_type])},
        )
    return content_type


def display_name(name):
    """The uploaded name without any folder part, short enough to store, extension kept.

    Trailing dots and spaces go, as Windows drops them when it saves the file.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(". ") or "file"
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
