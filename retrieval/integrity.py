"""Is an index folder whole? The tantivy segments, the SQLite manifest, and whether the two agree.

Every file tantivy writes for a segment ends with a footer holding the CRC-32 of its bytes, so
a segment file that was truncated, overwritten or garbled is found by reading it once (about
1.6 GB/s: under a second for the index of a million passages). The manifest is checked by
SQLite's own `PRAGMA quick_check`. A refresh that fails is classified here too: a full disk
is said to be one, and damage found by these checks makes the index be rebuilt.

A file found whole is remembered (`CheckedFiles`: its size and ctime, which every write and
even a restored mtime change) so that it is not read again while it stays as it was: opening an
index costs one stat per file, not a read of the whole index, for every one-question process.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import struct
import zlib
from pathlib import Path

SEGMENT_COMPONENTS = ("fast", "fieldnorm", "idx", "pos", "store", "term")  # every segment has each file
FOOTER_MAGIC = 1337  # tantivy's footer marker, the last 4 bytes of every segment file
CHUNK_BYTES = 1 << 24
LOW_DISK_BYTES = 64 << 20  # a refresh that failed with less than this free ran out of disk
DISK_FULL_WORDS = ("no space left", "disk is full", "os error 28", "quota exceeded", "file too large")


CHECKED_FILE = "checked.json"  # beside the index: files found whole, by size and ctime


class CheckedFiles:
    """Files already found whole, so that a file that has not changed since is not read again."""

    def __init__(self, record: Path) -> None:
        self.record = record
        try:
            self._known: dict[str, list[int]] = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._known = {}
        if not isinstance(self._known, dict):
            self._known = {}
        self._changed = False

    @staticmethod
    def _identity(path: Path) -> list[int] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return [stat.st_size, stat.st_ctime_ns, stat.st_ino]

    def unchanged(self, path: Path) -> bool:
        """Was `path` found whole, and has it not changed since?"""
        identity = self._identity(path)
        return identity is not None and self._known.get(os.path.abspath(path)) == identity

    def mark(self, path: Path) -> None:
        """Remember `path` as found whole."""
        identity = self._identity(path)
        if identity is not None and self._known.get(os.path.abspath(path)) != identity:
            self._known[os.path.abspath(path)] = identity
            self._changed = True

    def save(self) -> None:
        """Write the record, forgetting files that are gone (merged segments); best effort: a
        read-only index is checked again next time."""
        gone = [name for name in self._known if not os.path.exists(name)]
        for name in gone:
            del self._known[name]
        if not (self._changed or gone):
            return
        temporary = self.record.with_name(f"{self.record.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(self._known), encoding="utf-8")
            os.replace(temporary, self.record)
        except OSError:
            return
        self._changed = False


class IndexDamaged(Exception):
    """The index folder's files are damaged; the message says which and how."""


class DiskFull(OSError):
    """A refresh ran out of disk space; the previous index is intact."""


def segment_file_problem(path: Path) -> str | None:
    """Why a tantivy segment file is not whole (footer or CRC-32), or None."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            if size < 8:
                return f"{path.name} is truncated"
            handle.seek(size - 8)
            length, magic = struct.unpack("<II", handle.read(8))
            if magic != FOOTER_MAGIC or length > size - 8:
                return f"{path.name} is truncated or overwritten"
            handle.seek(size - 8 - length)
            expected = json.loads(handle.read(length)).get("crc")
            handle.seek(0)
            remaining, crc = size - 8 - length, 0
            while remaining > 0:
                block = handle.read(min(CHUNK_BYTES, remaining))
                if not block:
                    return f"{path.name} is truncated"
                crc = zlib.crc32(block, crc)
                remaining -= len(block)
    except (OSError, ValueError, AttributeError) as error:
        return f"{path.name} cannot be read ({error})"
    return None if crc == expected else f"{path.name} is corrupt (checksum mismatch)"


def tantivy_problem(folder: Path, checked: CheckedFiles | None = None) -> str | None:
    """Why the tantivy index in `folder` cannot be trusted, or None (also when there is none yet).
    Files that `checked` knows unchanged are not read again."""
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    try:
        segments = json.loads(meta_path.read_text(encoding="utf-8"))["segments"]
        expected = []
        for segment in segments:
            name = segment["segment_id"].replace("-", "")
            expected += [f"{name}.{component}" for component in SEGMENT_COMPONENTS]
            if segment.get("deletes"):
                expected.append(f"{name}.{segment['deletes']['opstamp']}.del")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "tantivy/meta.json is unreadable"
    for name in expected:
        path = folder / name
        if checked is not None and checked.unchanged(path):
            continue
        problem = segment_file_problem(path) if path.exists() else f"{name} is missing"
        if problem:
            return f"tantivy segment {problem}"
        if checked is not None:
            checked.mark(path)
    import tantivy

    try:  # a missing segment file is found when the index is opened
        tantivy.Index.open(str(folder)).searcher()
    except ValueError as error:
        return f"tantivy index cannot be opened ({str(error)[:160]})"
    return None


def tantivy_documents(folder: Path) -> int:
    """Documents the index's segments hold, deletions included (0 when there is no index)."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return sum(int(segment.get("max_doc", 0)) for segment in meta["segments"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return 0


def roll_back_interrupted(path: Path) -> None:
    """Undo the transaction of a process killed while it wrote the manifest.

    Such a process leaves a hot journal once SQLite has begun writing the transaction to the
    file (a large build always has). Only a connection that may write rolls it back; a read-only
    one fails with "attempt to write a readonly database", which is not damage."""
    journal = path.with_name(f"{path.name}-journal")
    if not journal.exists() or journal.stat().st_size == 0:
        return
    try:
        db = sqlite3.connect(path)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:  # left for the check that follows to report
        return


def manifest_problem(path: Path, checked: CheckedFiles | None = None) -> str | None:
    """Why the SQLite manifest cannot be trusted, or None. Not read again while `checked` knows it unchanged."""
    roll_back_interrupted(path)
    if checked is not None and checked.unchanged(path):
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return f"manifest.sqlite is corrupt ({error})"
    if result != "ok":
        return f"manifest.sqlite is corrupt ({' '.join(result.replace('*', ' ').split())[:160]})"
    if tables and not {"meta", "files", "passages"} <= tables:
        return "manifest.sqlite lacks its tables"
    if checked is not None:
        checked.mark(path)
    return None


def _read_row(path: Path, query: str) -> tuple | None:
    """The first row of a query on the manifest, opened read-only; None when it has none or
    cannot be read."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return db.execute(query).fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return None


def stored_signature(path: Path) -> str | None:
    """The signature a manifest was written with (None: no manifest, or none readable), read
    without touching its schema: a manifest of an older format is discarded, never altered."""
    row = _read_row(path, "SELECT value FROM meta WHERE key = 'signature'")
    return row[0] if row else None


def indexed_passages(path: Path) -> int:
    """Passages the manifest says are in the index."""
    row = _read_row(path, "SELECT COALESCE(SUM(chunks), 0) FROM files WHERE status = 'indexed'")
    return int(row[0]) if row else 0


def has_signature(path: Path) -> bool:
    """Does the manifest hold what the manifest of every index holds (its signature)?"""
    return stored_signature(path) is not None


def disk_full(error: BaseException, folder: Path) -> bool:
    """Did this failure come from a full disk (the error says so, or almost nothing is left free)?"""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return True
        if any(words in str(seen).lower() for words in DISK_FULL_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return free_bytes(folder) < LOW_DISK_BYTES


def free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0
