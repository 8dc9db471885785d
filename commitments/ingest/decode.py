"""Bytes to text: pick the encoding, refuse what is not text, normalise line endings.

Government offices publish reports as UTF-8 (often with a BOM, from Windows tools) or as
GBK / GB18030 (older systems, Notepad's "ANSI" on a Chinese Windows). GB18030 is a
superset of GBK and GB2312, so one codec reads all three. UTF-16 is accepted only with a
BOM, which is how Windows writes it ("Unicode" in Notepad).
"""

from __future__ import annotations

import codecs
import unicodedata

from .types import ReportFormatError

__all__ = ["decode_report", "normalise_text", "refuse_binary"]

# Above this share of control characters (other than tab/newline/carriage return/form
# feed) a decoded "text" is really a binary file that happened to decode.
MAX_CONTROL_SHARE = 0.02
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")


def decode_report(raw: bytes) -> tuple[str, str]:
    """Decode a report file; return ``(text, encoding)`` with line endings normalised to ``\\n``.

    Raises ReportFormatError for empty, binary or undecodable input.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ReportFormatError(
            f"输入必须是字节串 / input must be bytes, got {type(raw).__name__}."
        )
    raw = bytes(raw)
    if not raw.strip():
        raise ReportFormatError("文件为空 / empty input: the file holds no text.")

    text, encoding = _decode(raw)
    refuse_binary(text)
    text = normalise_text(text)
    if not text.strip():
        raise ReportFormatError("文件为空 / empty input: the file holds no text.")
    return text, encoding


def normalise_text(text: str) -> str:
    """CRLF / CR to LF, and drop a leading byte-order mark."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removeprefix("\ufeff")


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        bom = len(codecs.BOM_UTF8)  # offsets in messages count from the start of the file
        return _strict(raw[bom:], "utf-8", "UTF-8 (BOM)", skipped=bom), "utf-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16", "UTF-16 (BOM)"), "utf-16"
    if b"\x00" in raw:
        # NUL never occurs in UTF-8 or GB18030 text; UTF-16 without a BOM is not accepted.
        raise ReportFormatError(
            "文件含有空字节（NUL），是二进制文件而不是文本 / binary input: the file contains "
            "NUL bytes; expected a UTF-8 or GBK/GB18030 text file."
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_at = exc.start
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReportFormatError(
            "无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030 / undecodable input: not valid "
            f"UTF-8 (bad byte at offset {utf8_at} of the file) or GBK/GB18030 (bad byte at "
            f"offset {exc.start})."
        ) from None


def _strict(raw: bytes, codec: str, label: str, skipped: int = 0) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ReportFormatError(
            f"文件声明为 {label} 但内容无法按此解码 / undecodable input: the file starts with a "
            f"{label} byte-order mark but is not valid {codec} (bad byte at offset "
            f"{skipped + exc.start} of the file)."
        ) from None


def refuse_binary(text: str) -> None:
    """Raise ReportFormatError when decoded text is mostly control characters."""
    controls = sum(
        1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    if controls and controls > MAX_CONTROL_SHARE * len(text):
        raise ReportFormatError(
            f"文件含有大量控制字符（{controls} 个），是二进制文件而不是文本 / binary input: "
            f"{controls} control characters in {len(text)}; expected a text file."
        )
