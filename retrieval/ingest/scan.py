"""The corpus folder's files and their fingerprints (size, mtime): what a refresh compares."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

try:  # built by setup.py where a C compiler is found (retrieval/ingest/_scan.c)
    from ._scan import corpus_fingerprint as _corpus_fingerprint
    from ._scan import rows_fingerprint as _rows_fingerprint
except ImportError:  # pragma: no cover - exercised on machines without a compiler
    _corpus_fingerprint = _rows_fingerprint = None

Fingerprint = tuple[int, int]  # (files, digest): see retrieval/ingest/_scan.c


def _walk(corpus_root: Path) -> Iterator[tuple[str, str, tuple[int, int]]]:
    """(doc, path, (size, mtime_ns)) of every regular file below the folder; hidden files and
    folders left out.

    One directory read and one stat per file, and plain strings (a Path object costs more
    than the stat)."""
    pending = [(str(corpus_root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file():
                    stat = entry.stat()
                    yield f"{prefix}{entry.name}", entry.path, (stat.st_size, stat.st_mtime_ns)
            except OSError:  # vanished while we looked
                continue


def scan_corpus(corpus_root: Path) -> dict[str, tuple[str, tuple[int, int]]]:
    """Every regular file below the corpus folder, in order: doc -> (path, (size, mtime_ns))."""
    return dict(sorted((doc, (path, stat)) for doc, path, stat in _walk(corpus_root)))


def corpus_stats(corpus_root: Path) -> dict[str, tuple[int, int]]:
    """doc -> (size, mtime_ns) of every file, unordered: the staleness check of every start,
    one stat per file and no paths kept."""
    return {doc: stat for doc, _, stat in _walk(corpus_root)}


def corpus_fingerprint(corpus_root: Path) -> Fingerprint | None:
    """The folder's fingerprint (the files `_walk` finds, their sizes and mtimes) in one C pass,
    about a third of the cost of `corpus_stats` alone; None where the C part is not built."""
    return None if _corpus_fingerprint is None else _corpus_fingerprint(str(corpus_root))


def rows_fingerprint(rows: Iterable[tuple[str, int, int]]) -> Fingerprint | None:
    """The same fingerprint from (doc, size, mtime_ns) rows; None where the C part is not built."""
    return None if _rows_fingerprint is None else _rows_fingerprint(rows)
