"""Bytes to text: UTF-8 (with or without BOM) or GB18030, and refusal of binary files."""

from __future__ import annotations

import re
import unicodedata

# Characters that are surely printable text: skipped before the per-character check.
_COMMON_TEXT = re.compile(r"[\x20-\x7e\t\n\r\f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


class UndecodableFile(ValueError):
    """The file is not text this product can read; the message says why."""


def _looks_like_text(text: str) -> bool:
    """True when almost every character is printable text (not mojibake or control bytes)."""
    sample = text[:20000]
    if not sample:
        return True
    rest = _COMMON_TEXT.sub("", sample)
    bad = sum(
        1
        for ch in rest
        if (unicodedata.category(ch) in {"Cc", "Co", "Cs", "Cn"} and ch not in "\t\n\r\f") or ch == "\ufffd"
    )
    return bad / len(sample) < 0.01


def decode_article_bytes(raw: bytes) -> str:
    """Decode a file's bytes, trying UTF-8 then GB18030; raise UndecodableFile otherwise."""
    if not raw.strip():
        raise UndecodableFile("empty file")
    if b"\x00" in raw[:8192]:
        raise UndecodableFile("binary file (contains NUL bytes)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise UndecodableFile("not decodable as UTF-8 or GB18030 text")
