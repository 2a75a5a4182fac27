"""One file to one Article: detect the format by content and put the pieces together."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Article, Paragraph, SkippedFile
from .dates import find_text_date, parse_meta_date
from .decode import UndecodableFile, decode_article_bytes
from .frontmatter import parse_front_matter, split_front_matter
from .html_text import clean_text, html_to_paragraphs
from .plain_text import plain_text_to_article_parts

_HTML_HINT = re.compile(r"<(p|div|br|span|font|strong|b|h[1-6]|img|a|table|ul|li)[\s>/]", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^(?:文章)?来源[:：]\s*(.{1,40}?)\s*$")
_ORIGINAL_TITLE = re.compile(r"^原标题[:：]\s*(.+)$")


def _flatten(value: object) -> list[str]:
    """Categories may nest (broken YAML lists): flatten them to strings."""
    if isinstance(value, list):
        return [item for element in value for item in _flatten(element)]
    if value is None:
        return []
    text = str(value).strip()
    return [text] if text else []


def _take_metadata_lines(paragraphs: list[Paragraph]) -> tuple[list[Paragraph], str, str]:
    """Remove the '来源：' and '原标题：' lines; return (paragraphs, source, original title)."""
    kept: list[Paragraph] = []
    source = original_title = ""
    for paragraph in paragraphs:
        if match := _SOURCE_LINE.match(paragraph.text):
            source = source or match[1]
            continue
        if match := _ORIGINAL_TITLE.match(paragraph.text):
            original_title = original_title or match[1]
            continue
        kept.append(paragraph)
    return kept, source, original_title


def parse_article_text(text: str, doc: str) -> Article:
    """Parse decoded text: front matter + HTML, HTML alone, or plain text."""
    warnings: list[str] = []
    block, body = split_front_matter(text)
    fields: dict[str, object] = {}
    if block is not None:
        fields, warning = parse_front_matter(block)
        if warning:
            warnings.append(warning)
    if _HTML_HINT.search(body):
        title = clean_text(str(fields.get("title") or ""))
        paragraphs = html_to_paragraphs(body)
    elif block is not None:
        title = clean_text(str(fields.get("title") or ""))
        paragraphs = [Paragraph(text=clean_text(line)) for line in body.splitlines() if line.strip()]
    else:
        title, paragraphs = plain_text_to_article_parts(body)
    paragraphs, source, original_title = _take_metadata_lines(paragraphs)
    published = parse_meta_date(fields.get("date"))
    if published is None and fields.get("date"):
        warnings.append(f"unreadable date {fields.get('date')!r}")
    if published is None:
        published = find_text_date(body if block is None else "\n".join(p.text for p in paragraphs))
    if not title:
        title = original_title or (paragraphs[0].text[:60] if paragraphs else Path(doc).stem)
    author = clean_text(str(fields.get("author") or ""))
    return Article(
        doc=doc,
        title=title,
        paragraphs=paragraphs,
        published=published,
        source=source or author,
        author=author,
        categories=_flatten(fields.get("categories")),
        warnings=warnings,
    )


def read_article(path: Path, corpus_root: Path) -> Article | SkippedFile:
    """Read one corpus file; a file that cannot be used comes back as SkippedFile."""
    doc = path.relative_to(corpus_root).as_posix()
    try:
        raw = path.read_bytes()
    except OSError as error:
        return SkippedFile(doc, f"unreadable: {error.strerror or error}")
    return article_from_bytes(raw, doc)


def article_from_bytes(raw: bytes, doc: str) -> Article | SkippedFile:
    """Decode and parse a file's bytes; a file that cannot be used comes back as SkippedFile."""
    try:
        text = decode_article_bytes(raw)
    except UndecodableFile as error:
        return SkippedFile(doc, str(error))
    try:
        article = parse_article_text(text, doc)
    except Exception as error:
        return SkippedFile(doc, f"unparsable: {type(error).__name__}: {error}")
    if not article.paragraphs and not article.title:
        return SkippedFile(doc, "no article text found")
    return article


def iter_corpus_files(corpus_root: Path) -> list[Path]:
    """Every regular file below the corpus folder, sorted, hidden files and folders left out."""
    files = []
    for path in corpus_root.rglob("*"):
        relative = path.relative_to(corpus_root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            files.append(path)
    return sorted(files)
