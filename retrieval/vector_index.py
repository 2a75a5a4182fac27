"""Passage vectors on disk: an HNSW index (usearch, int8) plus an append-only journal of new ones.

`vectors/main.usearch` holds the compacted vectors as int8 with their HNSW graph (about 500 bytes
a passage); it is memory-mapped, so it opens at once whatever its size. Each vector is scaled so
that its largest component is 127 before rounding (`quantize`): cosine is blind to that scale,
and the rounding then costs 0.00013 of cosine on average (0.0008 at most) against float32 on
real passages, where a fixed scale of 127 costs 0.0012 (0.006 at most) and moved the
answer-quality figures. Vectors read back are unit float32.

`vectors/journal.f16` takes each batch as it is embedded (key, then 384 float16 values, flushed
and fsynced per batch), so a run killed at any moment loses at most the batch it was computing. `compact` folds the
journal into the HNSW index (written to a new file and renamed into place) and drops the
vectors of passages that left the corpus.

Keys are 64-bit hashes of the passage as the semantic scorer reads it (`vector_key`), so
vectors survive an index rebuild. One process writes (a lock file says which); any number read.

Damage is found, logged once and survived: `main.usearch.crc` holds the size and CRC-32 of the
HNSW file as written, so a truncated, garbled or unreadable one is set aside (its passages are
embedded again by the next embedding run, found by their words meanwhile); journal records whose
vectors are not unit vectors (garbled bytes) are dropped the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .integrity import CHECKED_FILE, CheckedFiles

DIMENSIONS = 384
RECORD_BYTES = 8 + 2 * DIMENSIONS  # key, float16 vector
CONNECTIVITY = 12  # HNSW links per node: with int8 vectors, 1M passages take about 500 MB
# Candidates the HNSW search keeps while it walks the graph. Against exact search, on clustered
# synthetic vectors (python -m bench.bench_vectors --passages 200000 --expansions 64,128,256,512):
# usearch's default 64 finds 0.801 of the true 20 nearest, 256 finds 0.972 for 5.8 ms p99; at
# 1M passages 64 found 0.529 and 256 finds 0.807 for 8.7 ms p99.
EXPANSION_SEARCH = 256
UNIT_TOLERANCE = 0.02  # a stored vector's length is 1 within float16 rounding; other lengths are garbled bytes

log = logging.getLogger(__name__)


def quantize(vectors: Any) -> Any:
    """Vectors as int8, each scaled so that its largest component is ±127 (cosines keep)."""
    import numpy as np

    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    peaks = np.abs(vectors).max(axis=1, keepdims=True)
    scale = np.divide(127.0, peaks, out=np.zeros_like(peaks), where=peaks > 0)
    return np.clip(np.rint(vectors * scale), -127, 127).astype(np.int8)


def vector_key(text: str) -> int:
    """The 64-bit key of a passage text (as `semantic.passage_text` writes it)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


class WriterBusy(RuntimeError):
    """Another process is writing these vectors."""


class VectorIndex:
    """Read (and, with `writer()`, write) the passage vectors of one index folder."""

    def __init__(self, folder: Path, model: str) -> None:
        self.folder = folder
        self.model = model
        self.main_path = folder / "main.usearch"
        self.journal_path = folder / "journal.f16"
        self._main: Any = None
        self._main_id: tuple[int, int] | None = None
        self._journal_size = -1
        self._journal_rows: dict[int, int] = {}
        self._journal_vectors: Any = None
        self._journal_damaged = 0  # records of the journal dropped as garbled (logged when it grows)
        folder.mkdir(parents=True, exist_ok=True)
        self._check_model()
        self.reload()

    def _check_model(self) -> None:
        """Vectors of another model mean nothing: start afresh when the model changed."""
        stamp = self.folder / "model.txt"
        if stamp.exists() and stamp.read_text(encoding="utf-8") == self.model:
            return
        with self._lock(), contextlib.suppress(FileNotFoundError):
            self.main_path.unlink()
            self.journal_path.unlink()
        stamp.write_text(self.model, encoding="utf-8")

    # ------------------------------------------------------------------ reading
    def reload(self) -> bool:
        """Pick up what a writer added since; cheap when nothing changed. True if anything did."""
        changed = False
        main_id = _file_id(self.main_path)
        if main_id != self._main_id:
            self._main = _open_main(self.main_path, view=True) if main_id else None
            self._main_id = main_id
            changed = True
        size = self.journal_path.stat().st_size if self.journal_path.exists() else 0
        if size != self._journal_size:
            self._read_journal(size)
            changed = True
        return changed

    def _read_journal(self, size: int) -> None:
        import numpy as np

        rows = size // RECORD_BYTES  # a torn last record (a killed writer) is ignored
        if rows == 0:
            self._journal_rows, self._journal_vectors = {}, np.zeros((0, DIMENSIONS), dtype=np.float32)
            self._journal_damaged = 0
        else:
            raw = np.fromfile(self.journal_path, dtype=np.uint8, count=rows * RECORD_BYTES).reshape(rows, RECORD_BYTES)
            keys = raw[:, :8].copy().view("<u8").ravel()
            vectors = raw[:, 8:].copy().view("<f2").astype(np.float32)
            with np.errstate(all="ignore"):
                whole = np.isfinite(vectors).all(axis=1)
                whole &= np.abs(np.linalg.norm(np.where(whole[:, None], vectors, 0), axis=1) - 1) < UNIT_TOLERANCE
            damaged = int(rows - whole.sum())
            if damaged > self._journal_damaged:
                log.warning("vector store damaged (%s: %d garbled records dropped): those passages are embedded "
                            "again by the next embedding run", self.journal_path.name, damaged)  # fmt: skip
            self._journal_damaged = damaged
            self._journal_rows = {int(key): row for row, key in enumerate(keys) if whole[row]}
            self._journal_vectors = vectors
        self._journal_size = size

    def __len__(self) -> int:
        main = len(self._main) if self._main is not None else 0
        return main + sum(1 for key in self._journal_rows if not self._in_main(key))

    def _in_main(self, key: int) -> bool:
        return self._main is not None and key in self._main

    def keys(self) -> set[int]:
        """Every key that has a vector."""
        found = set(self._journal_rows)
        if self._main is not None and len(self._main):
            found.update(int(key) for key in self._main.keys)
        return found

    def get(self, keys: list[int]) -> dict[int, Any]:
        """Unit float32 vectors of those keys that have one."""
        import numpy as np

        found: dict[int, Any] = {}
        for key in keys:
            row = self._journal_rows.get(key)
            if row is not None:
                found[key] = self._journal_vectors[row]
        rest = [key for key in keys if key not in found and self._in_main(key)]
        if rest:
            vectors = np.asarray(self._main.get(np.array(rest, dtype=np.uint64), dtype=np.float32), dtype=np.float32)
            for key, vector in zip(rest, vectors.reshape(len(rest), DIMENSIONS), strict=True):
                norm = float(np.linalg.norm(vector))
                if norm > 0:
                    found[key] = vector / norm
        return found

    def nearest(self, query: Any, count: int) -> list[tuple[int, float]]:
        """The `count` passages closest in meaning to a unit query vector: (key, cosine), best first."""
        import numpy as np

        best: dict[int, float] = {}
        if self._main is not None and len(self._main):
            matches = self._main.search(_query_for(self._main, query), count)
            for key, distance in zip(matches.keys, matches.distances, strict=True):
                best[int(key)] = 1.0 - float(distance)
        if self._journal_rows:
            keys = list(self._journal_rows)
            cosines = self._journal_vectors[list(self._journal_rows.values())] @ np.asarray(query, dtype=np.float32)
            for row in np.argsort(-cosines)[:count]:
                best[keys[int(row)]] = float(cosines[row])
        return sorted(best.items(), key=lambda item: item[1], reverse=True)[:count]

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def writer(self) -> Iterator[VectorWriter]:
        """The one writer of this folder, or WriterBusy when another process holds it."""
        with self._lock(blocking=False):
            writer = VectorWriter(self)
            try:
                yield writer
            finally:
                writer.close()

    @contextlib.contextmanager
    def _lock(self, blocking: bool = True) -> Iterator[None]:
        with open(self.folder / "writer.lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError as error:
                raise WriterBusy(f"another process is embedding into {self.folder}") from error
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class VectorWriter:
    """Appends batches to the journal and compacts it into the HNSW index."""

    def __init__(self, vectors: VectorIndex) -> None:
        self.vectors = vectors
        path = vectors.journal_path
        if path.exists() and path.stat().st_size % RECORD_BYTES:  # a record torn by a kill
            os.truncate(path, path.stat().st_size // RECORD_BYTES * RECORD_BYTES)
        self._journal = open(path, "ab")  # noqa: SIM115 (closed in close())

    def append(self, keys: Iterable[int], vectors: Any) -> None:
        """Store one batch durably (flushed and fsynced before this returns)."""
        import numpy as np

        keys = np.asarray(list(keys), dtype="<u8")
        halves = np.asarray(vectors, dtype="<f2").reshape(len(keys), DIMENSIONS)
        records = np.empty((len(keys), RECORD_BYTES), dtype=np.uint8)
        records[:, :8] = keys.view(np.uint8).reshape(len(keys), 8)
        records[:, 8:] = halves.view(np.uint8).reshape(len(keys), 2 * DIMENSIONS)
        self._journal.write(records.tobytes())
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def compact(self, live: set[int] | None = None) -> None:
        """Fold the journal into the HNSW index; with `live`, drop every vector whose key is not in it."""
        import numpy as np

        vectors = self.vectors
        vectors.reload()
        main = _open_main(vectors.main_path, view=False) if vectors.main_path.exists() else None
        if main is None:  # none yet, or a damaged one: its passages are in the journal again by now
            main = _new_main()
        elif not _is_int8(main):  # float16, as written before int8
            main = _as_int8(main)
        if live is not None and len(main):
            gone = np.array([key for key in main.keys if int(key) not in live], dtype=np.uint64)
            if len(gone):
                main.remove(gone)
        fresh = [(key, row) for key, row in vectors._journal_rows.items()
                 if (live is None or key in live) and key not in main]  # fmt: skip
        if fresh:
            keys = np.array([key for key, _ in fresh], dtype=np.uint64)
            main.add(keys, quantize(vectors._journal_vectors[[row for _, row in fresh]]), threads=os.cpu_count() or 1)
        temporary = vectors.main_path.with_suffix(".tmp")
        try:
            main.save(str(temporary))
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            fresh_sum = _checksum(temporary)
            # Both sums while the file is replaced, so that a crash in between leaves a file that checks.
            _write_sums(vectors.main_path, [fresh_sum, *_read_sums(vectors.main_path)[:1]])
            os.replace(temporary, vectors.main_path)
            _write_sums(vectors.main_path, [fresh_sum])
        except BaseException:  # a full disk: the journal still holds every vector; leave no half file
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        self._journal.truncate(0)
        self._journal.flush()
        os.fsync(self._journal.fileno())
        vectors.reload()

    def close(self) -> None:
        self._journal.close()


def _new_main() -> Any:
    from usearch.index import Index

    return Index(ndim=DIMENSIONS, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=64)


def _as_int8(old: Any) -> Any:
    """An int8 HNSW index with the vectors of an older (float16) one."""
    import numpy as np

    main = _new_main()
    keys = np.asarray(list(old.keys), dtype=np.uint64)
    for start in range(0, len(keys), 50_000):
        part = keys[start : start + 50_000]
        vectors = np.asarray(old.get(part, dtype=np.float32), dtype=np.float32).reshape(len(part), DIMENSIONS)
        main.add(part, quantize(vectors), threads=os.cpu_count() or 1)
    return main


def _is_int8(main: Any) -> bool:
    from usearch.index import ScalarKind

    return str(main.dtype) == str(ScalarKind.I8)


def _query_for(main: Any, query: Any) -> Any:
    """The query in the index's own scalar kind (int8 scaled like the stored vectors)."""
    import numpy as np

    return quantize(query)[0] if _is_int8(main) else np.asarray(query, dtype=np.float32)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _open_main(path: Path, view: bool) -> Any:
    """The HNSW index in `path`, or None (logged) when the file is damaged."""
    from usearch.index import Index

    problem = _main_problem(path)
    if problem is None:
        try:
            main = Index.restore(str(path), view=view)
        except (ValueError, RuntimeError, OSError) as error:
            problem = str(error)
        else:
            if main is not None:
                main.expansion_search = EXPANSION_SEARCH
                return main
            problem = "not a usearch index"
    log.warning("vector store damaged (%s: %s): its passages are embedded again by the next embedding run, "
                "found by their words meanwhile", path.name, problem)  # fmt: skip
    return None


def _sums_path(main_path: Path) -> Path:
    return main_path.with_name(main_path.name + ".crc")


def _checksum(path: Path) -> tuple[int, int]:
    """(size, CRC-32) of a file."""
    crc, size = 0, 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 24):
            crc = zlib.crc32(block, crc)
            size += len(block)
    return size, crc


def _read_sums(main_path: Path) -> list[tuple[int, int]]:
    try:
        return [(int(size), int(crc)) for size, crc in json.loads(_sums_path(main_path).read_text())["sums"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_sums(main_path: Path, sums: list[tuple[int, int]]) -> None:
    temporary = _sums_path(main_path).with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"sums": sums}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, _sums_path(main_path))


def _main_problem(path: Path) -> str | None:
    """Why the HNSW file is not as written (its size and CRC-32 against the sums), or None; a file
    written before sums were kept cannot be checked and is taken as it is. A file found whole
    before and unchanged since (retrieval.integrity.CheckedFiles) is not read again."""
    sums = _read_sums(path)
    if not sums:
        return None
    checked = CheckedFiles(path.with_name(CHECKED_FILE))
    if checked.unchanged(path):
        return None
    try:
        actual = _checksum(path)
    except OSError as error:
        return str(error)
    if actual in sums:
        checked.mark(path)
        checked.save()
        return None
    return "truncated or overwritten" if actual[0] not in {size for size, _ in sums} else "checksum mismatch"


def write_seed(path: Path, model: str, vectors: dict[int, Any]) -> None:
    """A portable file of passage vectors (a JSON header line, then key + float16 records), to ship
    with a corpus so that its index starts out embedded (see retrieval.embedder.seed)."""
    import json

    import numpy as np

    keys = np.array(sorted(vectors), dtype="<u8")
    records = np.empty((len(keys), RECORD_BYTES), dtype=np.uint8)
    records[:, :8] = keys.view(np.uint8).reshape(len(keys), 8)
    halves = np.stack([np.asarray(vectors[int(key)], dtype="<f2") for key in keys]) if len(keys) else None
    if halves is not None:
        records[:, 8:] = halves.view(np.uint8).reshape(len(keys), 2 * DIMENSIONS)
    header = json.dumps({"model": model, "dimensions": DIMENSIONS, "passages": len(keys)}).encode() + b"\n"
    path.write_bytes(header + records.tobytes())


def read_seed(path: Path, model: str) -> dict[int, Any]:
    """The vectors of a seed file, or {} when it is missing, unreadable or made by another model."""
    import json

    import numpy as np

    try:
        data = path.read_bytes()
        header, _, body = data.partition(b"\n")
        meta = json.loads(header)
    except (OSError, ValueError):
        return {}
    if meta.get("model") != model or meta.get("dimensions") != DIMENSIONS:
        return {}
    rows = len(body) // RECORD_BYTES
    raw = np.frombuffer(body, dtype=np.uint8, count=rows * RECORD_BYTES).reshape(rows, RECORD_BYTES)
    keys = raw[:, :8].copy().view("<u8").ravel()
    vectors = raw[:, 8:].copy().view("<f2").astype(np.float32)
    return {int(key): vector for key, vector in zip(keys, vectors, strict=True)}
