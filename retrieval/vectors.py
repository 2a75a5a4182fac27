"""Passage vectors kept on disk beside the index, so a restart does not embed a passage again.

Keyed by a hash of the passage text as the semantic scorer reads it, so the vectors survive
an index rebuild; cleared when the embedding model changes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def vector_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class VectorStore:
    """SQLite table of float32 vectors; callers serialise access (SemanticScorer's lock)."""

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB);
            """
        )
        row = self.db.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
        if row is None or row[0] != model:
            self.db.execute("DELETE FROM vectors")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (model,))
            self.db.commit()

    def get_many(self, texts: Sequence[str]) -> dict[str, Any]:
        """The stored vectors of those texts that have one."""
        import numpy as np

        by_key = {vector_key(text): text for text in texts}
        found: dict[str, Any] = {}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self.db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch):
                found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        rows = [(vector_key(text), vector.astype("float32").tobytes()) for text, vector in items]
        self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        self.db.commit()

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self.db.close()
