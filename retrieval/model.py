"""Plain data passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Paragraph:
    """A block of text as the reader saw it, with the heading it sits under."""

    text: str
    heading: str = ""


@dataclass
class Article:
    """One news article after ingestion: metadata and clean paragraphs."""

    doc: str  # path relative to the corpus folder, with forward slashes
    title: str
    paragraphs: list[Paragraph]
    published: date | None = None  # publication day in Asia/Shanghai
    source: str = ""  # original source named in the text, else the feed/author
    author: str = ""
    categories: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # recoverable problems


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: the unit that is indexed and quoted."""

    doc: str
    ordinal: int
    text: str
    heading: str = ""


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be indexed, and why."""

    doc: str
    reason: str
