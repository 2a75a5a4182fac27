"""Ingestion: corpus files to Articles (decode, front matter, HTML or plain text, dates).

The parsers (lxml, PyYAML) load on first use: a process that only answers
questions from an existing index never imports them.
"""

from __future__ import annotations

from typing import Any

from .scan import scan_corpus

__all__ = ["article_from_bytes", "iter_corpus_files", "parse_article_text", "read_article", "scan_corpus"]


def __getattr__(name: str) -> Any:
    if name in {"article_from_bytes", "iter_corpus_files", "parse_article_text", "read_article"}:
        from . import reader

        return getattr(reader, name)
    raise AttributeError(name)
