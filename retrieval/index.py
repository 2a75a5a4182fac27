"""Chunks to a BM25 index on disk (tantivy), refreshed incrementally as the corpus changes.

Fields: `words` (jieba words and sub-words), `grams` (character bigrams) and `title`
(the article title and the chunk's heading) are whitespace-joined tokens that tantivy
scores with BM25 (k1=1.2, b=0.75); the passage and its article's metadata are stored.
A SQLite manifest remembers every file seen (size, mtime, hash, status) so a refresh
re-reads only new and changed files and deletes the chunks of removed ones.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import tantivy

from .analyse import ANALYSIS_DATA, Analyzer, normalise
from .chunk import chunk_article
from .ingest import article_from_bytes, iter_corpus_files
from .manifest import NO_DATE, Manifest
from .model import Article, Chunk, SkippedFile

INDEX_FORMAT = 5  # bump when the schema or the chunking/analysis rules change
BOILERPLATE_MIN_ARTICLES = 3  # a passage printed in this many articles is site boilerplate


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc", stored=True, tokenizer_name="raw")
    builder.add_integer_field("chunk", stored=True, indexed=True)
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("grams", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("passage_hash", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("heading", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("article_title", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("source", stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


def day_number(day: date | None) -> int:
    return day.toordinal() if day else NO_DATE


def passage_hash(text: str) -> str:
    """Identity of a passage regardless of white space and script variants."""
    return hashlib.blake2b("".join(normalise(text).split()).encode(), digest_size=12).hexdigest()


def analysis_signature() -> str:
    """Changes whenever the analyser's data or the index format changes: then rebuild."""
    digest = hashlib.blake2b(str(INDEX_FORMAT).encode(), digest_size=8)
    for name in ("userdict.txt", "stopwords.txt"):
        path = ANALYSIS_DATA / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


@dataclass
class RefreshReport:
    """What a build or refresh did, for the `index` command and the logs."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (doc, same as doc)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    boilerplate_passages: int = 0
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


def chunk_document(chunk: Chunk, article: Article, analyzer: Analyzer) -> dict[str, object]:
    """The fields tantivy stores and indexes for one chunk."""
    analysed = analyzer.analyse(chunk.text)
    title_tokens = analyzer.words(f"{article.title} {chunk.heading}")
    return {
        "doc": chunk.doc,
        "chunk": chunk.ordinal,
        "words": " ".join(analysed.words),
        "grams": " ".join(analysed.bigrams),
        "title": " ".join(title_tokens),
        "passage_hash": passage_hash(chunk.text),
        "day": day_number(article.published),
        "text": chunk.text,
        "heading": chunk.heading,
        "article_title": article.title,
        "source": article.source,
    }


def _body_hash(article: Article) -> str:
    return passage_hash("\n".join(paragraph.text for paragraph in article.paragraphs) or article.title)


def _file_stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


class CorpusIndex:
    """The on-disk index of one corpus folder: open, refresh, search through tantivy."""

    def __init__(self, corpus_dir: Path, index_dir: Path) -> None:
        self.corpus_dir = corpus_dir.resolve()
        self.index_dir = index_dir
        self.analyzer = Analyzer()
        self.schema = build_schema()
        self._open()

    def _open(self) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        tantivy_dir = self.index_dir / "tantivy"
        manifest_path = self.index_dir / "manifest.sqlite"
        signature = json.dumps({"sig": analysis_signature(), "corpus": str(self.corpus_dir)})
        existing = Manifest(manifest_path) if manifest_path.exists() else None
        if existing is not None and existing.get_meta("signature") != signature:
            existing.close()
            existing = None
            shutil.rmtree(tantivy_dir, ignore_errors=True)
            manifest_path.unlink()
            self.rebuilt = True
        else:
            self.rebuilt = existing is None
        tantivy_dir.mkdir(exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(tantivy_dir), reuse=True)
        self.manifest = existing or Manifest(manifest_path)
        self.manifest.set_meta("signature", signature)
        self.manifest.commit()

    def is_stale(self) -> bool:
        """True when any corpus file is new, changed or removed since the last refresh."""
        known = self.manifest.files()
        paths = iter_corpus_files(self.corpus_dir)
        if len(paths) != len(known):
            return True
        for path in paths:
            doc = path.relative_to(self.corpus_dir).as_posix()
            entry = known.get(doc)
            if entry is None or entry[:2] != _file_stat(path):
                return True
        return False

    def refresh(self, progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None) -> RefreshReport:
        """Bring the index in line with the corpus folder, touching only what changed."""
        report = RefreshReport(rebuilt=self.rebuilt)
        self.rebuilt = False
        known = self.manifest.files()
        paths = iter_corpus_files(self.corpus_dir)
        present = {path.relative_to(self.corpus_dir).as_posix(): path for path in paths}
        writer = self.index.writer(heap_size=256_000_000)
        requeue: set[str] = set()
        for doc in sorted(set(known) - set(present)):
            writer.delete_documents_by_term("doc", doc)
            requeue.update(self.manifest.duplicates_of(doc))
            self.manifest.forget(doc)
            report.removed.append(doc)
        todo: list[tuple[str, Path, bool]] = []
        for doc, path in present.items():
            entry = known.get(doc)
            if entry is None:
                todo.append((doc, path, False))
            elif entry[:2] != _file_stat(path) or doc in requeue:
                todo.append((doc, path, True))
            else:
                report.unchanged += 1
        iterable: Iterable[tuple[str, Path, bool]] = todo
        if progress is not None and todo:
            iterable = progress(todo)  # type: ignore[arg-type]
        for doc, path, existed in iterable:
            self._index_file(writer, doc, path, known.get(doc) if existed else None, report, requeue)
        done = {doc for doc, _, _ in todo}
        for doc in sorted(requeue - done):  # copies of an article that changed or went away
            if doc in present:
                report.unchanged -= 1
                self._index_file(writer, doc, present[doc], known.get(doc), report, requeue)
        self._drop_boilerplate(writer, report)
        writer.commit()
        writer.wait_merging_threads()
        self.manifest.commit()
        self.index.reload()
        report.skipped = self.manifest.skipped()
        return report

    def _index_file(self, writer: tantivy.IndexWriter, doc: str, path: Path, known: tuple[int, int, str, str] | None,
                    report: RefreshReport, requeue: set[str]) -> None:  # fmt: skip
        stat = _file_stat(path)
        try:
            raw: bytes | None = path.read_bytes()
        except OSError as error:
            raw, unreadable = None, f"unreadable: {error.strerror or error}"
        raw_hash = hashlib.sha1(raw).hexdigest() if raw is not None else ""
        existed = known is not None
        if known is not None and known[2] == raw_hash and doc not in requeue:
            self.manifest.db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE doc = ?", (*stat, doc))
            report.unchanged += 1
            return
        if existed:
            writer.delete_documents_by_term("doc", doc)
            requeue.update(self.manifest.duplicates_of(doc))
            self.manifest.forget(doc)
        (report.updated if existed else report.added).append(doc)
        article = article_from_bytes(raw, doc) if raw is not None else SkippedFile(doc, unreadable)
        if isinstance(article, SkippedFile):
            self.manifest.record(doc, stat, raw_hash, "skipped", article.reason)
            return
        report.warnings.extend((doc, warning) for warning in article.warnings)
        body = _body_hash(article)
        original = self.manifest.indexed_with_body(body)
        if original is not None and original != doc:
            self.manifest.record(doc, stat, raw_hash, "duplicate", original, body, day_number(article.published))
            report.duplicates.append((doc, original))
            return
        chunks = chunk_article(article)
        hashes = [passage_hash(chunk.text) for chunk in chunks]
        seen_elsewhere = self.manifest.passage_articles(hashes)
        kept = 0
        for chunk, passage in zip(chunks, hashes, strict=True):
            if seen_elsewhere.get(passage, 0) + 1 >= BOILERPLATE_MIN_ARTICLES:
                continue
            writer.add_document(tantivy.Document.from_dict(chunk_document(chunk, article, self.analyzer), self.schema))
            kept += 1
        self.manifest.add_passages(doc, hashes)
        self.manifest.record(doc, stat, raw_hash, "indexed", "", body, day_number(article.published), kept)

    def _drop_boilerplate(self, writer: tantivy.IndexWriter, report: RefreshReport) -> None:
        """Delete passages that now appear in enough articles to be site boilerplate."""
        rows = self.manifest.db.execute(
            "SELECT hash FROM passages GROUP BY hash HAVING COUNT(*) >= ?", (BOILERPLATE_MIN_ARTICLES,)
        ).fetchall()
        for (passage,) in rows:
            writer.delete_documents_by_term("passage_hash", passage)
        report.boilerplate_passages = len(rows)

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def close(self) -> None:
        self.manifest.close()
