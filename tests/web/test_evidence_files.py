"""Evidence files are what their extension says, checked from their bytes at upload
(filetype, an OLE or zip signature, text that decodes); stored with the detected type and
served with it, never with the type the uploader's browser claimed."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from commitments.models import Evidence, ProgressUpdate
from tests.support.webutil import make_cast

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
HTML = b"<html><script>alert(document.cookie)</script></html>"


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


def _xlsx() -> bytes:
    buf = io.BytesIO()
    Workbook().save(buf)
    return buf.getvalue()


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def _post(cast, name: str, content: bytes, claimed: str = "application/octet-stream"):
    data = {
        "claimed_status": "in_progress",
        "as_of": "2017-06-30",
        "narrative": "见附件。",
        "percent": "30",
        "files": [SimpleUploadedFile(name, content, claimed)],
    }
    for t in cast.theirs.targets.filter(value__isnull=False):
        data[f"target_{t.pk}"] = ""
    return cast.client("supervisor").post(f"/c/{cast.theirs.pk}/update/", data)


@pytest.mark.parametrize(
    "name, content, detected",
    [
        ("验收单.pdf", PDF, "application/pdf"),
        ("照片.png", PNG, "image/png"),
        ("照片.JPG", JPEG, "image/jpeg"),
        ("台账.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "报告.docx",
            _zip("[Content_Types].xml", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("旧报告.doc", OLE, "application/msword"),
        ("旧台账.xls", OLE, "application/vnd.ms-excel"),
        ("公文.ofd", _zip("OFD.xml", "Doc_0/Document.xml"), "application/ofd"),
        ("材料.zip", _zip("a.txt"), "application/zip"),
        ("说明.txt", "已完成。".encode(), "text/plain; charset=utf-8"),
        ("说明.txt", "已完成。".encode("gb18030"), "text/plain; charset=gb18030"),
    ],
)
def test_a_file_whose_content_matches_is_stored_with_the_detected_type(
    cast, name, content, detected
):
    response = _post(cast, name, content, claimed="text/html")  # the browser's claim: ignored
    assert response.status_code == 302, response.content.decode()[:2000]
    ev = Evidence.objects.get()
    assert ev.content_type == detected


@pytest.mark.parametrize(
    "name, content",
    [
        ("验收单.pdf", HTML),  # HTML posing as a PDF
        ("照片.png", _zip("a.txt")),  # a zip posing as an image
        ("照片.jpg", PNG),  # a real image, but not what the name says
        ("报告.docx", _zip("a.txt")),  # a zip, not a Word document
        ("旧报告.doc", PDF),
        ("公文.ofd", PDF),
        ("材料.zip", HTML),
        ("说明.txt", b"abc\x00def"),  # NUL: binary, not text
        ("说明.txt", b"\xff\xfe\xfa\xfb\x81\x30"),  # neither UTF-8 nor GB18030
    ],
)
def test_a_file_whose_content_does_not_match_its_extension_is_refused(cast, name, content):
    response = _post(cast, name, content, claimed="application/pdf")
    assert response.status_code == 422
    body = response.content.decode()
    assert name in body and "内容与扩展名" in body
    assert ProgressUpdate.objects.count() == 0 and Evidence.objects.count() == 0


def _download(cast, name: str, content: bytes):
    assert _post(cast, name, content).status_code == 302
    ev = Evidence.objects.get()
    return cast.client("supervisor").get(f"/evidence/{ev.pk}/")


def test_a_pdf_is_shown_inline_sandboxed_with_its_detected_type(cast):
    response = _download(cast, "验收单.pdf", PDF)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_text_file_downloads_as_plain_text(cast):
    response = _download(cast, "说明.txt", b"<script>alert(1)</script>")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_old_row_with_a_browser_claimed_type_downloads_as_bytes(cast):
    _post(cast, "验收单.pdf", PDF)
    Evidence.objects.update(content_type="text/html")  # stored before the check existed
    ev = Evidence.objects.get()
    response = cast.client("supervisor").get(f"/evidence/{ev.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
