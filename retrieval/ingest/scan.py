"""The corpus folder's files and their fingerprints (size, mtime): what a refresh compares."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


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
