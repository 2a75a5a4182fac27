"""An in-memory tantivy index with the real schema, searchable by retrieval.search.Searcher.

Used for CMRC contexts and for analyser variants on the news chunks: it holds passages as
the stored fields of the real index and analyses them exactly as chunk_document does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import tantivy

from retrieval.analyse import Analyzer
from retrieval.index import NO_DATE, build_schema, passage_term, stored_document, stored_text
from retrieval.prepare import passage_hash
from retrieval.semantic import passage_key

STORED = ("doc", "chunk", "day", "text", "heading", "article_title", "source")


@dataclass(frozen=True)
class Passage:
    """The stored fields of one indexed chunk."""

    doc: str
    chunk: int
    text: str
    day: int = NO_DATE
    heading: str = ""
    article_title: str = ""
    source: str = ""


class _Days:
    """The part of the SQLite manifest the Searcher reads."""

    def __init__(self, days: list[int]) -> None:
        self.days = days

    def article_days(self) -> list[int]:
        return self.days


class MemoryIndex:
    """Duck-types CorpusIndex for Searcher: schema, analyzer, searcher(), manifest."""

    def __init__(self, passages: Iterable[Passage], analyzer: Analyzer | None = None,
                 days: list[int] | None = None) -> None:  # fmt: skip
        """`days`: the article days the real manifest knows (title-only articles have no passage)."""
        self.analyzer = analyzer or Analyzer()
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema)
        self.passages = list(passages)
        writer = self.index.writer(heap_size=64_000_000, num_threads=1)
        for passage in self.passages:
            writer.add_document(tantivy.Document.from_dict(self._fields(passage), self.schema))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        if days is None:
            days = list({p.doc: p.day for p in self.passages if p.day != NO_DATE}.values())
        self.manifest = _Days(days)

    def _fields(self, passage: Passage) -> dict[str, object]:
        """Same fields as retrieval.index.passage_document."""
        analysed = self.analyzer.analyse(passage.text)
        return stored_document(
            {
                "doc": passage.doc,
                "chunk": passage.chunk,
                "words": " ".join(analysed.words),
                "grams": " ".join(analysed.bigrams),
                "title": " ".join(self.analyzer.words(f"{passage.article_title} {passage.heading}")),
                "passage_hash": passage_term(passage_hash(passage.text)),
                "vkey": passage_key(passage.article_title, passage.text),
                "day": passage.day,
                "text": passage.text,
                "heading": passage.heading,
                "article_title": passage.article_title,
                "source": passage.source,
            }
        )

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()


def stored_passages(searcher: tantivy.Searcher) -> list[Passage]:
    """Every passage of a real index, from its stored fields, in (doc, chunk) order."""
    found = searcher.search(tantivy.Query.all_query(), max(searcher.num_docs, 1), count=False).hits
    passages = []
    for _, address in found:
        stored = searcher.doc(address)
        day = stored.get_first("day")
        passages.append(
            Passage(
                doc=stored.get_first("doc") or "",
                chunk=int(stored.get_first("chunk") or 0),
                text=stored_text(stored, "text"),
                day=NO_DATE if day is None else int(day),
                heading=stored_text(stored, "heading"),
                article_title=stored_text(stored, "article_title"),
                source=stored_text(stored, "source"),
            )
        )
    return sorted(passages, key=lambda p: (p.doc, p.chunk))
