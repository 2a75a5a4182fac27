"""The corpus folder's files and their fingerprints (size, mtime): what a refresh compares."""

from __future__ import annotations

import os
from pathlib import Path


def scan_corpus(corpus_root: Path) -> dict[str, tuple[str, tuple[int, int]]]:
    """Every regular file below the corpus folder (hidden ones left out): doc -> (path, (size, mtime_ns)).

    One directory read and one stat per file, and plain strings (a Path object costs more than
    the stat): cheap enough to run often on 100,000 files.
    """
    found: dict[str, tuple[str, tuple[int, int]]] = {}
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
                    found[f"{prefix}{entry.name}"] = (entry.path, (stat.st_size, stat.st_mtime_ns))
            except OSError:  # vanished while we looked
                continue
    return dict(sorted(found.items()))
