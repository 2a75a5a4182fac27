"""The SQLite manifest beside the index: every file seen, its fingerprint and what became of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .ingest.scan import rows_fingerprint
from .model import SkippedFile

NO_DATE = -1  # the day number of an article whose date is unknown
FINGERPRINT = "corpus_fingerprint"  # meta key: the files table's fingerprint, as the last whole refresh left it


class Manifest:
    """SQLite record of the files behind the index."""

    def __init__(self, path: Path) -> None:
        # The engine serialises access (Engine._lock); the bot calls it from worker threads.
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS files (
                id INTEGER PRIMARY KEY, doc TEXT UNIQUE, size INTEGER, mtime_ns INTEGER, sha1 TEXT,
                status TEXT, reason TEXT, body_hash INTEGER, day INTEGER, chunks INTEGER);
            CREATE INDEX IF NOT EXISTS files_body ON files(body_hash);
            CREATE TABLE IF NOT EXISTS passages (
                hash INTEGER, article INTEGER, PRIMARY KEY (hash, article)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS passages_article ON passages(article);
            """
        )

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def files(self) -> dict[str, tuple[int, int, str, str]]:
        rows = self.db.execute("SELECT doc, size, mtime_ns, sha1, status FROM files")
        return {doc: (size, mtime, sha1, status) for doc, size, mtime, sha1, status in rows}

    def stats(self) -> dict[str, tuple[int, int]]:
        """doc -> (size, mtime_ns) of every file recorded."""
        return {doc: (size, mtime) for doc, size, mtime in self._file_stats()}

    def _file_stats(self) -> sqlite3.Cursor:
        """(doc, size, mtime_ns) of every file recorded."""
        return self.db.execute("SELECT doc, size, mtime_ns FROM files")

    def fingerprint(self) -> str | None:
        """The fingerprint the last refresh that ran to its end recorded, or None."""
        return self.get_meta(FINGERPRINT)

    def record_fingerprint(self) -> None:
        """Record the files table's fingerprint (retrieval.ingest.scan): the corpus as this refresh
        leaves it indexed. Nothing is recorded where the C part is not built."""
        found = rows_fingerprint(self._file_stats())
        if found is not None:
            self.set_meta(FINGERPRINT, fingerprint_text(found))

    def forget_fingerprint(self) -> None:
        """A refresh begins: until it ends, the recorded fingerprint no longer says what is indexed."""
        self.db.execute("DELETE FROM meta WHERE key = ?", (FINGERPRINT,))

    def touch(self, doc: str, stat: tuple[int, int]) -> None:
        """The file's bytes are unchanged: remember its new size and mtime only."""
        self.db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE doc = ?", (*stat, doc))

    def forget(self, doc: str) -> None:
        self._drop_passages(doc)
        self.db.execute("DELETE FROM files WHERE doc = ?", (doc,))

    def _drop_passages(self, doc: str) -> None:
        self.db.execute("DELETE FROM passages WHERE article = (SELECT id FROM files WHERE doc = ?)", (doc,))

    def duplicates_of(self, doc: str) -> list[str]:
        rows = self.db.execute("SELECT doc FROM files WHERE status = 'duplicate' AND reason = ?", (doc,))
        return [row[0] for row in rows]

    def indexed_with_body(self, body_hash: int) -> str | None:
        row = self.db.execute(
            "SELECT doc FROM files WHERE body_hash = ? AND status = 'indexed' ORDER BY doc LIMIT 1", (body_hash,)
        ).fetchone()
        return row[0] if row else None

    def passage_articles(self, hashes: Iterable[int]) -> dict[int, int]:
        """How many articles already hold each passage (absent: none)."""
        unique = list(set(hashes))
        counts: dict[int, int] = {}
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            marks = ",".join("?" * len(batch))
            query = f"SELECT hash, COUNT(*) FROM passages WHERE hash IN ({marks}) GROUP BY hash"
            counts.update(self.db.execute(query, batch))
        return counts

    def record(self, doc: str, stat: tuple[int, int], sha1: str, status: str, reason: str = "", body_hash: int = 0,
               day: int = NO_DATE, chunks: int = 0, passages: Iterable[int] = ()) -> None:  # fmt: skip
        """Remember what became of a file, and the passages (their hashes) it holds now."""
        self._drop_passages(doc)
        cursor = self.db.execute(
            "INSERT OR REPLACE INTO files (doc, size, mtime_ns, sha1, status, reason, body_hash, day, chunks) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc, stat[0], stat[1], sha1, status, reason, body_hash, day, chunks),
        )
        article = cursor.lastrowid
        self.db.executemany("INSERT OR IGNORE INTO passages VALUES (?, ?)", [(h, article) for h in set(passages)])

    def skipped(self) -> list[SkippedFile]:
        rows = self.db.execute("SELECT doc, reason FROM files WHERE status = 'skipped' ORDER BY doc")
        return [SkippedFile(doc, reason) for doc, reason in rows]

    def article_days(self) -> list[int]:
        rows = self.db.execute("SELECT day FROM files WHERE status = 'indexed' AND day != ?", (NO_DATE,))
        return [row[0] for row in rows]

    def count(self, status: str | None = None) -> int:
        """Files recorded with this status, or all of them."""
        if status is None:
            return self.db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM files WHERE status = ?", (status,)).fetchone()[0]

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def fingerprint_text(found: tuple[int, int]) -> str:
    """A fingerprint as the meta table keeps it."""
    return f"{found[0]}:{found[1]}"
