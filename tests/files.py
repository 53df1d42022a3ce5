"""Real files of every kind the app meets, built in memory for the tests."""

import csv
import io
import struct
import zipfile
import zlib

import openpyxl

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def png_bytes():
    """A valid 1x1 red PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# A 1x1 GIF.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# The start of a JPEG (JFIF) and of a WebP picture, which is what the checks read; neither
# is a picture a viewer could draw.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00" + bytes(10)
# A Windows program's first bytes (MZ, then the PE header it points to) and a Linux one's.
EXE = b"MZ\x90\x00\x03" + bytes(55) + b"\x40\x00\x00\x00" + b"PE\x00\x00\x4c\x01" + bytes(64)
ELF = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(48)


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            # A fixed date, so that building the same file twice gives the same bytes.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2015, 9, 24, 0, 0, 0)), content)
    return buffer.getvalue()


def docx_bytes():
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/word/document.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                "</Types>"
            ),
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                '2006/main"><w:body><w:p><w:r><w:t>学习贯彻</w:t></w:r></w:p></w:body>'
                "</w:document>"
            ),
        }
    )


def pptx_bytes():
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Override PartName="/ppt/presentation.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>'
                "</Types>"
            ),
            "_rels/.rels": "<Relationships/>",
            "ppt/presentation.xml": "<p:presentation/>",
        }
    )


def odf_bytes(mimetype):
    """An OpenDocument file: its mimetype first and stored, as the format requires."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        stamp = (2015, 9, 24, 0, 0, 0)
        archive.writestr(zipfile.ZipInfo("mimetype", stamp), mimetype, zipfile.ZIP_STORED)
        archive.writestr(
            zipfile.ZipInfo("META-INF/manifest.xml", stamp),
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            f'manifest:1.0"><manifest:file-entry manifest:media-type="{mimetype}" '
            'manifest:full-path="/"/></manifest:manifest>',
        )
        archive.writestr(zipfile.ZipInfo("content.xml", stamp), "<office:document-content/>")
    return buffer.getvalue()


def xlsx_bytes():
    workbook = openpyxl.Workbook()
    workbook.active.append(["单位", "学习次数"])
    workbook.active.append(["山东大学工会", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ole_bytes(stream="WordDocument", content=b""):
    """A compound file, the container of .doc .xls .ppt .wps .et .dps, holding one stream.

    Version 3, 512-byte sectors: the header, one sector of allocation table, one of
    directory (the root and the stream), then the stream, padded to the 4096 bytes from
    which a stream lies in whole sectors rather than in the root's mini stream.
    """
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    content = content.ljust(4096, b"\x00")
    sectors = -(-len(content) // 512)
    header = (
        OLE_SIGNATURE
        + bytes(16)
        + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *[free] * 108)
    )
    fat = [fat_sector, end, *range(3, 2 + sectors), end]
    fat += [free] * (128 - len(fat))

    def entry(name="", kind=0, child=free, start=0, size=0):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB3I", len(encoded), kind, 1, free, free, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, child=1, start=end)
        + entry(stream, 2, start=2, size=len(content))
        + entry()
        + entry()
    )
    return header + struct.pack("<128I", *fat) + directory + content.ljust(sectors * 512, b"\x00")


def sheet_bytes(rows):
    """An xlsx workbook whose first sheet holds the rows (the first one the headers)."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8"):
    """A CSV file as Excel writes it: "utf-8-sig" with a BOM, "gbk" on Chinese Windows."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def zip_bomb_xlsx_bytes(declared_size=2**40):
    """A small xlsx whose archive says one entry unpacks to a terabyte."""
    buffer = io.BytesIO(sheet_bytes([["单位代码"], ["SD"]]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("xl/media/padding.bin", (2015, 9, 24, 0, 0, 0)), b"0")
        archive.getinfo("xl/media/padding.bin").file_size = declared_size
    return buffer.getvalue()


def xml_bomb_xlsx_bytes():
    """A small xlsx whose sheet defines entities that would expand to gigabytes."""
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    source = zipfile.ZipFile(io.BytesIO(sheet_bytes([["单位代码"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet.encode()
            archive.writestr(info, content)
    return buffer.getvalue()
