"""Article to chunks: a paragraph as the reader saw it, long ones cut at sentence ends."""

from __future__ import annotations

import re

from .model import Article, Chunk

TARGET_CHARS = 220  # a passage a phone screen shows whole
MAX_CHARS = 360  # longer paragraphs are split at sentence ends
MIN_CHARS = 24  # shorter fragments join the next paragraph

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”」』’\"）)])|(?<=[。！？!?][”」』’\"）)])")


def split_sentences(text: str) -> list[str]:
    """Cut text after sentence-final punctuation, keeping closing quotes with their sentence."""
    parts = [part for part in _SENTENCE_END.split(text) if part and part.strip()]
    return parts or [text]


def _split_long(text: str) -> list[str]:
    """Group the sentences of a long paragraph into passages of about TARGET_CHARS."""
    if len(text) <= MAX_CHARS:
        return [text]
    passages: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        if current and len(current) + len(sentence) > TARGET_CHARS:
            passages.append(current)
            current = ""
        current += sentence
    if current:
        if passages and len(current) < MIN_CHARS:
            passages[-1] += current
        else:
            passages.append(current)
    return [passage.strip() for passage in passages]


def chunk_article(article: Article) -> list[Chunk]:
    """Chunks of an article in reading order, numbered from 0."""
    texts: list[tuple[str, str]] = []
    carry = ""
    carry_heading = ""
    for paragraph in article.paragraphs:
        if carry:
            text = f"{carry} {paragraph.text}" if _needs_space(carry, paragraph.text) else carry + paragraph.text
            heading = carry_heading
        else:
            text, heading = paragraph.text, paragraph.heading
        if len(text) < MIN_CHARS:
            carry, carry_heading = text, heading
            continue
        carry = ""
        texts.extend((piece, heading) for piece in _split_long(text))
    if carry:
        if texts and len(texts[-1][0]) + len(carry) <= MAX_CHARS:
            last_text, last_heading = texts[-1]
            texts[-1] = (last_text + " " + carry if _needs_space(last_text, carry) else last_text + carry, last_heading)
        else:
            texts.append((carry, carry_heading))
    return [
        Chunk(doc=article.doc, ordinal=ordinal, text=text, heading=heading)
        for ordinal, (text, heading) in enumerate(texts)
    ]


def _needs_space(left: str, right: str) -> bool:
    """Join two fragments with a space unless punctuation already separates them."""
    return not left.endswith(tuple("。！？；：，、”」）…!?;:,"))
