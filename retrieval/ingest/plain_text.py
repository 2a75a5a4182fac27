"""Plain-text articles: title from the first lines, hard-wrapped lines rejoined."""

from __future__ import annotations

import re

from ..model import Paragraph

_TERMINAL = (*"。！？!?；;…”」』）)】", "——")
_PAGE_NUMBER = r"第?\s*[一二三四五六七八九十\d]+\s*版"
# "(上接第一版)" opening a continued paragraph, "(下转第二版)" closing one.
_PAGE_MARK = re.compile(rf"^[(（]\s*[上下]接{_PAGE_NUMBER}\s*[)）]\s*|\s*[(（]\s*[上下]转{_PAGE_NUMBER}\s*[)）]$")
# Photo captions and credits printed between paragraphs: "①……本报记者 张三摄", "制图：……".
_CAPTION = re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]|^(制图|摄影|图片|图)[:：]|摄$")
_MAX_HEADING_CHARS = 40


def _is_heading(line: str) -> bool:
    """A short line with no sentence inside it: a section title, not a wrapped sentence."""
    return (
        len(line) <= _MAX_HEADING_CHARS
        and "。" not in line
        and line.count("，") <= 1
        and not line.endswith(("，", "、", "：", ":", "；"))
    )


def _ends_sentence(line: str) -> bool:
    return line.endswith(_TERMINAL)


def plain_text_to_article_parts(text: str) -> tuple[str, list[Paragraph]]:
    """Return (title, paragraphs) of a plain-text article.

    The title is the first non-empty line, prefixed by a kicker line ending in '——'.
    A line that neither ends a sentence nor looks like a heading continues on the next
    non-empty line (hard wrapping), across blank lines; page marks are dropped.
    """
    lines = [_PAGE_MARK.sub("", line.strip().replace("\u3000", " ")).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    title = ""
    if lines:
        title = lines.pop(0)
        if title.endswith("——") and lines:
            title += lines.pop(0)
    paragraphs: list[Paragraph] = []
    heading = ""
    pending = ""
    for line in lines:
        if not pending and _CAPTION.search(line):
            continue
        pending += line
        if _ends_sentence(pending):
            paragraphs.append(Paragraph(text=pending, heading=heading))
            pending = ""
        elif _is_heading(pending):
            heading = pending
            pending = ""
    if pending:
        paragraphs.append(Paragraph(text=pending, heading=heading))
    return title, paragraphs
