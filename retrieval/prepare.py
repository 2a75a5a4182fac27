"""One corpus file to what the index stores: read, fingerprint, ingest, chunk, analyse.

This is the costly, independent part of indexing, so `prepare_files` runs it in worker
processes, one per core, while the parent writes the results to tantivy and the manifest.
A file that changes while it is read (a copy or a `git pull` in progress) comes back
`unsettled` and is left for the next pass, never indexed half.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from .analyse import Analyzer, normalise_long
from .chunk import chunk_article
from .ingest import article_from_bytes
from .model import SkippedFile
from .semantic import passage_key

PARALLEL_MIN_FILES = 64  # fewer files are prepared in the calling process: no pool to start
TASKS_PER_BATCH = 8  # files handed to a worker at a time
FILES_IN_FLIGHT = 512  # per worker: enough that workers go on while the parent commits (~20 MB)


def passage_hash(text: str) -> int:
    """Identity of a passage regardless of white space and script variants (63 bits)."""
    return normalised_passage_hash(normalise_long(text))


def normalised_passage_hash(normal: str) -> int:
    return _compact_hash(_compact(normal))


def _compact(normal: str) -> bytes:
    """What a passage's identity is computed from: its normal form without white space."""
    return "".join(normal.split()).encode()


def _compact_hash(compact: bytes) -> int:
    return _hash_value(hashlib.blake2b(compact, digest_size=8))


def _hash_value(digest: hashlib._Hash) -> int:
    return int.from_bytes(digest.digest(), "little") >> 1  # SQLite's integers are signed 64-bit


class PreparedPassage(NamedTuple):
    """One chunk with its analysed token streams, ready to become a tantivy document. A named
    tuple: made four times faster than a frozen dataclass, and unpickled faster in the parent."""

    ordinal: int
    text: str
    heading: str
    words: str  # space-joined tokens of the `words` field
    grams: str
    title: str  # analysed article title and heading
    hash: int
    vkey: int  # the passage's key in the vector store


@dataclass
class PreparedFile:
    """What became of one file: its fingerprint and either passages, a skip reason, or nothing yet."""

    doc: str
    stat: tuple[int, int]  # size, mtime_ns as first seen
    sha1: str = ""
    unchanged: bool = False  # same bytes as the manifest already records
    unsettled: bool = False  # changed while it was read, or too recently: try again later
    skipped: str = ""  # why the file cannot be indexed
    title: str = ""
    day: int | None = None
    source: str = ""
    body_hash: int = 0
    warnings: list[str] = field(default_factory=list)
    passages: list[PreparedPassage] = field(default_factory=list)


@dataclass(frozen=True)
class FileTask:
    doc: str
    path: str
    known_sha1: str = ""  # the manifest's fingerprint, to skip files that were only touched


def _stat(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


_analyzer: Analyzer | None = None


def _shared_analyzer() -> Analyzer:
    global _analyzer
    if _analyzer is None:
        _analyzer = Analyzer()
    return _analyzer


def prepare_file(task: FileTask, settle_seconds: float = 0.0) -> PreparedFile:
    """Read and analyse one file (in a worker process or in the caller)."""
    try:
        before = _stat(task.path)
    except OSError as error:
        return PreparedFile(task.doc, (0, 0), skipped=f"unreadable: {error.strerror or error}")
    if settle_seconds and time.time_ns() - before[1] < settle_seconds * 1e9:
        return PreparedFile(task.doc, before, unsettled=True)
    try:
        raw = read_file(task.path)
        after = _stat(task.path)
    except OSError as error:
        return PreparedFile(task.doc, before, skipped=f"unreadable: {error.strerror or error}")
    if after != before or len(raw) != before[0]:
        return PreparedFile(task.doc, before, unsettled=True)
    prepared = PreparedFile(task.doc, before, sha1=hashlib.sha1(raw).hexdigest())
    if prepared.sha1 == task.known_sha1:
        prepared.unchanged = True
        return prepared
    article = article_from_bytes(raw, task.doc)
    if isinstance(article, SkippedFile):
        prepared.skipped = article.reason
        return prepared
    analyzer = _shared_analyzer()
    prepared.title, prepared.source, prepared.warnings = article.title, article.source, article.warnings
    prepared.day = article.published.toordinal() if article.published else None
    # The body's identity, fed chunk by chunk: the chunks hold the body's text in order, and white
    # space does not count, so this is passage_hash of the whole body without normalising it twice.
    body = hashlib.blake2b(digest_size=8)
    titles: dict[str, str] = {}  # heading -> analysed "title heading": once per article, not per chunk
    for chunk in chunk_article(article):
        if chunk.heading not in titles:
            titles[chunk.heading] = " ".join(analyzer.words(f"{article.title} {chunk.heading}"))
        normal = normalise_long(chunk.text)
        compact = _compact(normal)
        body.update(compact)
        words, grams = analyzer.index_fields(normal)
        prepared.passages.append(
            PreparedPassage(
                ordinal=chunk.ordinal,
                text=chunk.text,
                heading=chunk.heading,
                words=words,
                grams=grams,
                title=titles[chunk.heading],
                hash=_compact_hash(compact),
                vkey=passage_key(article.title, chunk.text),
            )
        )
    prepared.body_hash = _hash_value(body) if prepared.passages else passage_hash(article.title)
    return prepared


def _prepare_batch(tasks: list[FileTask], settle_seconds: float) -> list[PreparedFile]:
    return [prepare_file(task, settle_seconds) for task in tasks]


def _alive(pid: int) -> bool:
    """True while process `pid` runs (a killed process nobody has reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the indexing process is gone (killed, even with -9)."""

    def watch() -> None:
        while _alive(parent):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="newsqa-parent-watch", daemon=True).start()


def worker_count() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def prepare_files(tasks: Iterable[FileTask], settle_seconds: float = 0.0,
                  workers: int | None = None) -> Iterator[PreparedFile]:  # fmt: skip
    """Prepare files in order, in worker processes when there are many."""
    tasks = list(tasks)
    workers = worker_count() if workers is None else workers
    if workers <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        for task in tasks:
            yield prepare_file(task, settle_seconds)
        return
    batches = iter([tasks[start : start + TASKS_PER_BATCH] for start in range(0, len(tasks), TASKS_PER_BATCH)])
    # forkserver: workers start clean even when the caller runs threads (the bot does).
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if os.name == "posix":  # the server loads the analyser once, for every worker (retrieval.worker_start)
        context.set_forkserver_preload(["retrieval.worker_start"])
    with ProcessPoolExecutor(workers, context, initializer=_watch_parent, initargs=(os.getpid(),)) as pool:
        # A bounded window of batches in flight: memory stays flat however large the corpus.
        ahead = FILES_IN_FLIGHT // TASKS_PER_BATCH * workers
        window = deque(pool.submit(_prepare_batch, batch, settle_seconds) for batch in islice(batches, ahead))
        try:
            while window:
                done = window.popleft().result()
                if (batch := next(batches, None)) is not None:
                    window.append(pool.submit(_prepare_batch, batch, settle_seconds))
                yield from done
        finally:
            for future in window:
                future.cancel()
