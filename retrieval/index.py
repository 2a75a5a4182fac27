"""Chunks to a BM25 index on disk (tantivy), refreshed incrementally as the corpus changes.

Fields: `words` (jieba words and sub-words), `grams` (character bigrams) and `title`
(the article title and the chunk's heading) are whitespace-joined tokens that tantivy
scores with BM25 (k1=1.2, b=0.75); the passage and its article's metadata are stored.
A SQLite manifest remembers every file seen (size, mtime, hash, status) so a refresh
re-reads only new and changed files and deletes the chunks of removed ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import tantivy

from .analyse import ANALYSIS_DATA, Analyzer
from .ingest.scan import corpus_fingerprint, corpus_stats, scan_corpus
from .integrity import (
    CHECKED_FILE,
    CheckedFiles,
    DiskFull,
    IndexDamaged,
    disk_full,
    free_bytes,
    has_signature,
    indexed_passages,
    manifest_problem,
    stored_signature,
    tantivy_documents,
    tantivy_problem,
)
from .manifest import NO_DATE, Manifest, fingerprint_text
from .model import SkippedFile

if TYPE_CHECKING:
    from .prepare import PreparedFile, PreparedPassage

INDEX_FORMAT = 7  # bump when the schema or the chunking/analysis rules change
BOILERPLATE_MIN_ARTICLES = 3  # a passage printed in this many articles is site boilerplate
CHECKPOINT_PASSAGES = 20_000  # a build commits this often: a killed build loses at most this much
WRITER_HEAP = 256_000_000
# One indexing thread: a checkpoint then writes one segment, not one per thread, so the merges
# that follow rewrite half as much (a 15,000-post build: 41 -> 37 s of CPU on two cores, where
# the workers keep both cores busy anyway).
WRITER_THREADS = 1
# Shown, never searched: kept as stored bytes. A text field would also index each whole text as
# one term, which took half of tantivy's indexing time and a quarter of its disk.
STORED_TEXT = ("text", "heading", "article_title", "source")
MANIFEST_FILES = ("manifest.sqlite", "manifest.sqlite-journal", "manifest.sqlite-wal", "manifest.sqlite-shm")

log = logging.getLogger(__name__)

# Wraps the stream of prepared files (with their count) to show progress; returns the same stream.
Progress = Callable[[Iterable["PreparedFile"], int], Iterable["PreparedFile"]]


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc", stored=True, tokenizer_name="raw")
    builder.add_integer_field("chunk", stored=True, indexed=True)
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("grams", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("passage_hash", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("vkey", indexed=True, fast=True)  # the passage's key in the vector store
    for name in STORED_TEXT:
        builder.add_bytes_field(name, stored=True)
    return builder.build()


def stored_document(fields: dict[str, object]) -> dict[str, object]:
    """`fields` with the stored-only texts as UTF-8 bytes, as the schema keeps them."""
    for name in STORED_TEXT:
        if isinstance(value := fields.get(name), str):
            fields[name] = value.encode()
    return fields


def passage_term(passage_hash: int) -> str:
    """The `passage_hash` term of a passage (`prepare.passage_hash`)."""
    return f"{passage_hash:x}"


def stored_text(document: tantivy.Document, name: str) -> str:
    """A stored-only text of a passage (`STORED_TEXT`); "" when absent."""
    value = document.get_first(name)
    return value.decode() if isinstance(value, bytes) else value or ""


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
    deferred: list[str] = field(default_factory=list)  # changing while read: taken on a later pass
    warnings: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    boilerplate_passages: int = 0
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def summary(self) -> str:
        """One line: what this refresh did."""
        newly_skipped = len(set(self.added + self.updated) & {file.doc for file in self.skipped})
        line = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{newly_skipped} skipped, {self.unchanged} unchanged")  # fmt: skip
        if self.duplicates:
            line += f", {len(self.duplicates)} duplicates"
        if self.deferred:
            line += f", {len(self.deferred)} still being written (next pass)"
        return line


def passage_document(doc: str, passage: PreparedPassage, prepared: PreparedFile) -> dict[str, object]:
    """The fields tantivy stores and indexes for one passage."""
    return stored_document(
        {
            "doc": doc,
            "chunk": passage.ordinal,
            "words": passage.words,
            "grams": passage.grams,
            "title": passage.title,
            "passage_hash": passage_term(passage.hash),
            "vkey": passage.vkey,
            "day": NO_DATE if prepared.day is None else prepared.day,
            "text": passage.text,
            "heading": passage.heading,
            "article_title": prepared.title,
            "source": prepared.source,
        }
    )


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
        problem = self.damage()
        if problem:
            self._wipe(problem)
        signature = json.dumps({"sig": analysis_signature(), "corpus": str(self.corpus_dir)})
        # Another format or analysis (or another corpus): start afresh, before the manifest's
        # schema is touched (an older schema may lack what this one indexes).
        self.rebuilt = not manifest_path.exists() or stored_signature(manifest_path) != signature
        if manifest_path.exists() and self.rebuilt:
            self._delete_files()
        tantivy_dir.mkdir(exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(tantivy_dir), reuse=True)
        self.manifest = Manifest(manifest_path)
        if self.manifest.get_meta("signature") != signature:  # unchanged, the file is not written
            self.manifest.set_meta("signature", signature)
            self.manifest.commit()
        self._writer: tantivy.IndexWriter | None = None

    def damage(self) -> str | None:
        """Why the files of this index cannot be trusted (retrieval.integrity), or None when they are whole.

        Reads every segment file once (its CRC-32) and runs SQLite's quick check on the manifest;
        files found whole before and unchanged since are not read again."""
        tantivy_dir, manifest_path = self.index_dir / "tantivy", self.index_dir / "manifest.sqlite"
        checked = CheckedFiles(self.index_dir / CHECKED_FILE)
        problem = (manifest_problem(manifest_path, checked) if manifest_path.exists() else None) or tantivy_problem(
            tantivy_dir, checked
        )
        checked.save()
        if problem:
            return problem
        documents = tantivy_documents(tantivy_dir)
        if documents and not has_signature(manifest_path):
            return "manifest.sqlite is missing or empty"
        if not documents and indexed_passages(manifest_path) > 0:
            return "the tantivy index is missing"
        return None

    def _wipe(self, problem: str) -> None:
        """Delete a damaged index and manifest (the passage vectors stay: they are keyed by content)."""
        log.warning("index damaged: %s; rebuilding it from the corpus (every article is read again, "
                    "passage vectors are kept)", problem)  # fmt: skip
        self._delete_files()

    def _delete_files(self) -> None:
        """Delete the tantivy index and the manifest; the passage vectors stay."""
        shutil.rmtree(self.index_dir / "tantivy", ignore_errors=True)
        for name in MANIFEST_FILES:
            with contextlib.suppress(FileNotFoundError):
                (self.index_dir / name).unlink()

    def rebuild(self, problem: str) -> None:
        """Start afresh after damage found while running: one log line; `refresh` then reads every file.
        Searches keep the view they hold (retrieval.search) until the rebuilt index is swapped in."""
        with contextlib.suppress(Exception):
            self.manifest.close()
        self._wipe(problem)
        self._open()

    def is_stale(self) -> bool:
        """True when any corpus file is new, changed or removed since the last refresh.

        By fingerprint where the last refresh ran to its end and the C part is built (one pass
        over the folder, one row of the manifest; two different listings share one with odds of
        about 2**-64), else file by file against the manifest."""
        matches = self._fingerprint_matches()
        if matches is not None:
            return not matches
        return corpus_stats(self.corpus_dir) != self.manifest.stats()

    def _fingerprint_matches(self) -> bool | None:
        """Whether the folder's fingerprint is the one the last whole refresh recorded; None when
        there is none to compare (no C part, or a refresh that did not end)."""
        recorded = self.manifest.fingerprint()
        found = corpus_fingerprint(self.corpus_dir) if recorded else None
        return None if found is None else fingerprint_text(found) == recorded

    def refresh(self, progress: Progress | None = None, settle_seconds: float = 0.0,
                checkpoint_passages: int = CHECKPOINT_PASSAGES) -> RefreshReport:  # fmt: skip
        """Bring the index in line with the corpus folder, touching only what changed.

        Work is committed every `checkpoint_passages` passages: a build that is killed leaves
        a searchable index of what it did, and the next refresh continues from there.
        `settle_seconds`: files modified more recently than this are left for a later pass.
        When the folder's fingerprint is the one the last refresh recorded at its end, nothing is
        read or written.
        """
        try:
            if not self.rebuilt and self._fingerprint_matches():  # nothing to read, write or merge
                return RefreshReport(unchanged=self.manifest.count(), skipped=self.manifest.skipped())
            return self._refresh(progress, settle_seconds, checkpoint_passages)
        except Exception as error:
            self._abandon()
            raise self._failure(error) from error

    def _abandon(self) -> None:
        """Undo what a failed refresh left uncommitted: the manifest's transaction, the tantivy writer
        (and its lock). What earlier checkpoints committed stays, consistent (see `_commit`)."""
        with contextlib.suppress(Exception):
            self.manifest.db.rollback()
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.rollback()
            with contextlib.suppress(Exception):
                writer.wait_merging_threads()  # drops the writer and its lock, whatever still refers to it
        with contextlib.suppress(Exception):
            self.index.reload()

    def _failure(self, error: Exception) -> Exception:
        """What a failed refresh tells its caller: DiskFull, IndexDamaged, or the error itself."""
        if isinstance(error, (DiskFull, IndexDamaged)):
            return error
        if disk_full(error, self.index_dir):
            free = free_bytes(self.index_dir) // 2**20
            return DiskFull(f"the disk holding {self.index_dir} is full ({free} MB free)")
        problem = self.damage()
        return IndexDamaged(problem) if problem else error

    def _new_writer(self) -> tantivy.IndexWriter:
        self._writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
        return self._writer

    def _refresh(self, progress: Progress | None, settle_seconds: float, checkpoint_passages: int) -> RefreshReport:
        from .prepare import FileTask, prepare_file, prepare_files  # the parsers load only when files change

        report = RefreshReport(rebuilt=self.rebuilt)
        self.manifest.forget_fingerprint()  # committed with the first checkpoint, recorded again at the end
        known = self.manifest.files()
        present = scan_corpus(self.corpus_dir)
        writer = self._new_writer()
        requeue: set[str] = set()
        for doc in sorted(set(known) - set(present)):
            writer.delete_documents_by_term("doc", doc)
            requeue.update(self.manifest.duplicates_of(doc))
            self.manifest.forget(doc)
            report.removed.append(doc)
        tasks: list[FileTask] = []
        for doc, (path, stat) in present.items():
            entry = known.get(doc)
            if entry is None:
                tasks.append(FileTask(doc, path))
            elif entry[:2] != stat or doc in requeue:
                tasks.append(FileTask(doc, path, "" if doc in requeue else entry[2]))
            else:
                report.unchanged += 1
        pending = 0
        results: Iterable[PreparedFile] = prepare_files(tasks, settle_seconds)
        if progress is not None and tasks:
            results = progress(results, len(tasks))
        for prepared in results:
            pending += self._apply(writer, prepared, doc_known=prepared.doc in known, report=report, requeue=requeue)
            if pending >= checkpoint_passages:
                self._commit(writer, final=False)
                pending = 0
        done = {task.doc for task in tasks}
        for doc in sorted(requeue - done):  # copies of an article that changed or went away
            if doc in present:
                report.unchanged -= 1
                prepared = prepare_file(FileTask(doc, present[doc][0]), settle_seconds)
                self._apply(writer, prepared, doc_known=doc in known, report=report, requeue=requeue)
        self._drop_boilerplate(writer, report)
        self.manifest.record_fingerprint()
        self._commit(writer)
        report.skipped = self.manifest.skipped()
        self.rebuilt = False
        return report

    def _commit(self, writer: tantivy.IndexWriter, final: bool = True) -> None:
        """Make what the writer holds durable and searchable: tantivy first, then the manifest.

        A crash between the two leaves passages the manifest does not know; the next refresh
        sees their files as new and replaces those passages (`_apply` deletes before it adds).
        A checkpoint (`final=False`) keeps the writer: segment merges go on in the background
        while the build continues; only the end of a refresh waits for them.
        """
        writer.commit()
        if final:
            writer.wait_merging_threads()
            self._writer = None
        self.manifest.commit()
        self.index.reload()

    def _apply(self, writer: tantivy.IndexWriter, prepared: PreparedFile, doc_known: bool, report: RefreshReport,
               requeue: set[str]) -> int:  # fmt: skip
        """Write one prepared file to the index and the manifest; returns the passages added."""
        doc = prepared.doc
        if prepared.unsettled:
            report.deferred.append(doc)
            return 0
        if prepared.unchanged:
            self.manifest.touch(doc, prepared.stat)
            report.unchanged += 1
            return 0
        writer.delete_documents_by_term("doc", doc)  # also any left by an interrupted build
        if doc_known:
            requeue.update(self.manifest.duplicates_of(doc))
            self.manifest.forget(doc)
        (report.updated if doc_known else report.added).append(doc)
        if prepared.skipped:
            self.manifest.record(doc, prepared.stat, prepared.sha1, "skipped", prepared.skipped)
            return 0
        report.warnings.extend((doc, warning) for warning in prepared.warnings)
        day = NO_DATE if prepared.day is None else prepared.day
        original = self.manifest.indexed_with_body(prepared.body_hash)
        if original is not None and original != doc:
            self.manifest.record(doc, prepared.stat, prepared.sha1, "duplicate", original, prepared.body_hash, day)
            report.duplicates.append((doc, original))
            return 0
        hashes = [passage.hash for passage in prepared.passages]
        seen_elsewhere = self.manifest.passage_articles(hashes)
        kept = 0
        for passage in prepared.passages:
            if seen_elsewhere.get(passage.hash, 0) + 1 >= BOILERPLATE_MIN_ARTICLES:
                continue
            writer.add_document(tantivy.Document.from_dict(passage_document(doc, passage, prepared), self.schema))
            kept += 1
        self.manifest.record(doc, prepared.stat, prepared.sha1, "indexed", "", prepared.body_hash, day, kept, hashes)
        return kept

    def _drop_boilerplate(self, writer: tantivy.IndexWriter, report: RefreshReport) -> None:
        """Delete passages that now appear in enough articles to be site boilerplate."""
        rows = self.manifest.db.execute(
            "SELECT hash FROM passages GROUP BY hash HAVING COUNT(*) >= ?", (BOILERPLATE_MIN_ARTICLES,)
        ).fetchall()
        for (passage,) in rows:
            writer.delete_documents_by_term("passage_hash", passage_term(passage))
        report.boilerplate_passages = len(rows)

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def close(self) -> None:
        self.manifest.close()
