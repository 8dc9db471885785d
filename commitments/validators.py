"""Checks shared by the forms (for inline errors) and the services (so that no caller
skips them): evidence files, an update's as-of day, a target reading."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from commitments import clock
from commitments.models import COUNT_UNITS, Commitment, Membership, ProgressUpdate, Target

# The largest id any of our databases holds (a signed 64-bit integer): SQLite raises
# OverflowError for a larger one, PostgreSQL a DataError.
MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """A database id from request data, or None. Only ASCII digits count: ``str.isdigit()``
    is also true for "²" or "٣", which int() refuses or reads, and 20 digits overflow."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def evidence_file_check(file: UploadedFile) -> str:
    """Type and size limits for an evidence file (settings.EVIDENCE_*), and its content
    must be what its extension says. Returns the content type detected from the bytes,
    which is what the file is stored and served with (never the uploader's claim). The
    form runs the same check for inline errors; the service runs it again so no other
    caller skips it."""
    name = file.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [e.lower() for e in settings.EVIDENCE_ALLOWED_EXTENSIONS]
    if ext not in allowed:
        raise ValidationError(
            _("文件“%(name)s”的类型不允许；允许的类型：%(allowed)s。"),
            code="evidence_type",
            params={"name": name, "allowed": "、".join(allowed)},
        )
    if file.size is not None and file.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("文件“%(name)s”过大（%(size)s），单个文件上限为 %(limit)s。"),
            code="evidence_size",
            params={
                "name": name,
                "size": _megabytes(file.size),
                "limit": _megabytes(settings.EVIDENCE_MAX_BYTES),
            },
        )
    detected = evidence_content_type(file, ext)
    if detected is None:
        raise ValidationError(
            _("文件“%(name)s”的内容与扩展名（.%(ext)s）不符，未保存。请上传真实的%(ext)s文件。"),
            code="evidence_content",
            params={"name": name, "ext": ext},
        )
    return detected


# What each evidence extension must hold, by content:
# - pdf, jpg/jpeg, png: the signature the filetype library detects;
# - docx, xlsx: a zip holding word/document.xml or xl/workbook.xml (filetype's own OOXML
#   check reads only the first entries, so the zip's listing decides);
# - doc, xls: the OLE compound-file signature D0 CF 11 E0 A1 B1 1A E1 (filetype cannot tell
#   old Word from old Excel reliably; the extension picks the served type);
# - ofd (the Chinese fixed-layout format, GB/T 33190): a zip holding OFD.xml;
# - zip: a zip;
# - txt: UTF-8 or GB18030 text without NUL, served as text/plain with its charset.
# Any other extension a deployment allows must be one filetype detects as that extension.
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC, XLS, ZIP, OFD = (
    "application/msword",
    "application/vnd.ms-excel",
    "application/zip",
    "application/ofd",
)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Shown in the browser (with a sandboxing Content-Security-Policy); everything else downloads.
INLINE_CONTENT_TYPES = frozenset({PDF, JPEG, PNG})
SERVED_CONTENT_TYPES = frozenset({PDF, JPEG, PNG, DOCX, XLSX, DOC, XLS, ZIP, OFD, "text/plain"})
_SIGNED = {"pdf": PDF, "jpg": JPEG, "jpeg": JPEG, "png": PNG}
_ZIPPED = {
    "docx": (DOCX, "word/document.xml"),
    "xlsx": (XLSX, "xl/workbook.xml"),
    "ofd": (OFD, "ofd.xml"),
}


def evidence_content_type(file, ext: str) -> str | None:
    """The content type of ``file`` when its bytes are what ``ext`` says, else None."""
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    if ext in _SIGNED:
        kind = filetype.guess(head)
        return _SIGNED[ext] if kind is not None and kind.mime == _SIGNED[ext] else None
    if ext in ("doc", "xls"):
        return (DOC if ext == "doc" else XLS) if head.startswith(OLE_SIGNATURE) else None
    if ext == "zip":
        ok = zipfile.is_zipfile(file)
        file.seek(0)
        return ZIP if ok else None
    if ext in _ZIPPED:
        mime, member = _ZIPPED[ext]
        return mime if member in _zip_names(file) else None
    if ext == "txt":
        return _text_content_type(file)
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.extension == ext else None


def _zip_names(file) -> set[str]:
    try:
        with zipfile.ZipFile(file) as z:
            return {n.lower() for n in z.namelist()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return set()
    finally:
        file.seek(0)


def _text_content_type(file) -> str | None:
    raw = file.read()
    file.seek(0)
    if b"\x00" in raw:
        return None
    for codec in ("utf-8", "gb18030"):
        try:
            raw.decode(codec)
        except UnicodeDecodeError:
            continue
        return f"text/plain; charset={codec}"
    return None


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def update_as_of_check(*, as_of: dt.date, report_year: int) -> None:
    """An update describes a day between the start of the report's year and today."""
    if as_of > clock.today():
        raise ValidationError(_("截至日期不能晚于今天。"), code="as_of_future")
    if as_of < dt.date(report_year, 1, 1):
        raise ValidationError(
            _("截至日期不能早于报告年度（%(year)s年）。"),
            code="as_of_before_report",
            params={"year": report_year},
        )


def reading_check(*, target: Target, value: Decimal) -> None:
    if value < 0 and target.unit in COUNT_UNITS:
        raise ValidationError(
            _("“%(metric)s”以%(unit)s计，不能为负数。"),
            code="reading_negative",
            params={"metric": target.metric, "unit": target.unit},
        )


def correction_check(*, corrects: ProgressUpdate, commitment: Commitment, author) -> None:
    """A correction replaces an update the supervision office RETURNED, of the same
    commitment, and comes from the same department as the returned one's author (its
    author, or a colleague of the author's unit). Anything else is not a correction."""
    if corrects.commitment_id != commitment.pk:
        raise ValidationError(_("只能更正同一任务的进展。"), code="correct_other_commitment")
    if corrects.review_state != ProgressUpdate.Review.RETURNED:
        raise ValidationError(_("只能更正被退回的进展。"), code="correct_not_returned")
    author_id = getattr(author, "pk", None)
    if corrects.author_id == author_id:
        return
    units = Membership.objects.filter(user_id=corrects.author_id).values("department_id")
    if (
        author_id is None
        or not Membership.objects.filter(user_id=author_id, department_id__in=units).exists()
    ):
        raise ValidationError(_("只能更正本单位提交的进展。"), code="correct_other_department")
