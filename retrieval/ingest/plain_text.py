"""Plain-text articles: title from the first lines, hard-wrapped lines rejoined."""

from __future__ import annotations

import re

from ..model import Paragraph

_TERMINAL = (*"。！？!?；;…”」』）)】", "——")
_PAGE_NUMBER = r"第?\s*[一二三四五六七八九十\d]+\s*版"
# "(上接第一版)" opening a continued paragraph, "(下转第二版)" closing one.
_PAGE_MARK = re.compile(rf"^[(（]\s*[上下]接{_PAGE_NUMBER}\s*[)）]\s*|\s*[(（]\s*[上下]转{_PAGE_NUMBER}\s*[)）]$")
# Credits printed between paragraphs: "本报记者 张三摄", "制图：……"; photo captions "①……".
_CREDIT_LINE = re.compile(r"^(制图|摄影|图片|图)[:：]")
_CREDIT_TAIL = re.compile(r"\s*均?(本报|新华社)?(记者|通讯员)\s*\S{2,4}\s*摄\s*$")
_CAPTION_MARK = re.compile(r"\s*(?=[①②③④⑤⑥⑦⑧⑨⑩])")
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
    trailing: list[str] = []  # short lines after the last sentence: a signature and date
    for line in _split_captions(lines):
        if _CREDIT_LINE.search(line):
            continue
        line = _CREDIT_TAIL.sub("", line)
        pending += line
        if _ends_sentence(pending):
            paragraphs.append(Paragraph(text=pending, heading=heading))
            pending = ""
            trailing = []
        elif _is_heading(pending):
            heading = pending
            trailing.append(pending)
            pending = ""
    if pending:
        paragraphs.append(Paragraph(text=pending, heading=heading))
    elif len(trailing) > 1:
        paragraphs.append(Paragraph(text=" ".join(trailing), heading=""))
    return title, paragraphs


def _split_captions(lines: list[str]) -> list[str]:
    """One line per numbered photo caption ("①…②…" printed on one line), credits cut off."""
    split: list[str] = []
    for line in lines:
        if line.startswith(("①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩")):
            split.extend(part.strip() for part in _CAPTION_MARK.split(line) if part.strip())
        else:
            split.append(line)
    return [_CREDIT_TAIL.sub("", line) for line in split]
