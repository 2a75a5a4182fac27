"""Damaged index files and a full disk: found, said in one log line, survived, no article lost.

Each test damages the real files of an index built from the bundled corpus and the archive
sample (30 articles), then opens or refreshes it as the bot does and checks what a user sees:
answers still come, the log says what happened on one line without a traceback, and the
rebuilt index holds every article again.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.embedder import VECTORS_DIR, plan
from retrieval.engine import Engine
from retrieval.follow import CorpusFollower
from retrieval.index import RefreshReport
from retrieval.integrity import DiskFull
from retrieval.manifest import Manifest
from retrieval.semantic import model_identity
from retrieval.vector_index import VectorIndex
from tests.conftest import ARCHIVE_SAMPLE, BUNDLED_CORPUS, REPOSITORY, SEED_VECTORS, copy_corpus, embedded_engine
from tests.test_semantic_index import BODY, OTHER, write_corpus

QUESTION = "包保责任制是怎么安排的"
NEW_POST = "---\ntitle: '浦东机场航班恢复'\ndate: Wed, 06 Apr 2022 07:07:32 GMT\n---\n<p>{body}</p>\n"
NEW_BODY = "浦东机场今天恢复了三十个国际航班，旅客需提前预约并出示健康码。"
NEW_QUESTION = "浦东机场恢复了多少国际航班"


class Built:
    """A pristine index of 30 articles, built once; each test damages a copy of it."""

    def __init__(self, root: Path) -> None:
        self.corpus = copy_corpus(root / "corpus", BUNDLED_CORPUS, ARCHIVE_SAMPLE)
        self.index = root / "index"
        engine = embedded_engine(self.corpus, self.index)
        self.articles, self.passages = engine.stats().articles, engine.stats().passages
        self.embedded = engine.stats().embedded
        engine.close()

    def copy(self, target: Path) -> Path:
        shutil.copytree(self.index, target)
        return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("pristine"))


def flip_bytes(path: Path, keep_mtime: bool = True) -> None:
    """Garble 64 bytes in the middle of a file, its size (and, by default, its mtime) unchanged."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(byte ^ 0x5A for byte in data[middle : middle + 64])
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def largest(index: Path, suffix: str) -> Path:
    return max((index / "tantivy").glob(f"*{suffix}"), key=lambda path: path.stat().st_size)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated segment store": lambda index: truncate(largest(index, ".store")),
    "garbled segment terms": lambda index: flip_bytes(largest(index, ".term")),
    "garbled segment postings": lambda index: flip_bytes(largest(index, ".idx")),
    "deleted segment positions": lambda index: largest(index, ".pos").unlink(),
    "deleted tantivy meta.json": lambda index: (index / "tantivy" / "meta.json").unlink(),
    "deleted manifest": lambda index: (index / "manifest.sqlite").unlink(),
    "truncated manifest": lambda index: truncate(index / "manifest.sqlite"),
    "garbled manifest": lambda index: flip_bytes(index / "manifest.sqlite"),
    "manifest overwritten": lambda index: (index / "manifest.sqlite").write_bytes(b"not a database " * 100),
}


def damage_lines(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if words in record.getMessage()]


def assert_whole(engine: Engine, built: Built) -> None:
    stats = engine.stats()
    assert (stats.articles, stats.passages) == (built.articles, built.passages)  # no article lost
    assert engine.answer(QUESTION).found
    assert engine.index.damage() is None


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_index_is_found_and_rebuilt_with_one_line(kind: str, built: Built, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    index = built.copy(tmp_path / "index")
    DAMAGE[kind](index)
    caplog.set_level(logging.INFO)
    engine = Engine(built.corpus, index)
    lines = damage_lines(caplog, "index damaged")
    assert len(lines) == 1 and lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    assert "rebuilding it from the corpus" in lines[0].getMessage()
    assert engine.last_report is not None and len(engine.last_report.added) == built.articles
    assert_whole(engine, built)
    assert engine.stats().embedded == built.embedded  # vectors are keyed by content: none is re-embedded
    engine.close()
    caplog.clear()
    again = Engine(built.corpus, index)  # the next start finds a whole index: no loop of rebuilds
    assert again.last_report is None and not damage_lines(caplog, "damaged")
    again.close()


def test_an_undamaged_index_opens_without_a_rebuild(built: Built, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    index = built.copy(tmp_path / "index")
    engine = Engine(built.corpus, index)
    assert engine.last_report is None and not damage_lines(caplog, "damaged")
    assert_whole(engine, built)


def test_an_index_of_an_older_format_is_rebuilt_not_opened(built: Built, tmp_path: Path) -> None:
    """Upgrading newsqa: a manifest of an earlier schema (format 6 keyed passages by path) is
    replaced by a fresh build instead of failing on its missing columns."""
    index = built.copy(tmp_path / "index")
    manifest = index / "manifest.sqlite"
    manifest.unlink()
    db = sqlite3.connect(manifest)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE files (doc TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha1 TEXT,
            status TEXT, reason TEXT, body_hash TEXT, day INTEGER, chunks INTEGER);
        CREATE TABLE passages (hash TEXT, doc TEXT, PRIMARY KEY (hash, doc));
        INSERT INTO meta VALUES ('signature', '{"sig": "format 6"}');
        """
    )
    db.commit()
    db.close()
    engine = Engine(built.corpus, index)
    assert engine.last_report is not None and engine.last_report.rebuilt
    assert_whole(engine, built)


def test_a_manifest_damaged_while_serving_is_rebuilt_and_answers_go_on(
    built: Built, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = built.copy(tmp_path / "index")
    corpus = tmp_path / "corpus"
    shutil.copytree(built.corpus, corpus)
    engine = Engine(corpus, index)  # another corpus path: rebuilt once, silently (not damage)
    assert not damage_lines(caplog, "damaged")
    truncate(index / "manifest.sqlite")
    assert engine.answer(QUESTION).found  # searches never read the manifest
    (corpus / "new.md").write_text(NEW_POST.format(body=NEW_BODY), encoding="utf-8")
    report = engine.refresh()
    assert len(damage_lines(caplog, "index damaged")) == 1
    assert report.rebuilt and len(report.added) == built.articles + 1
    assert engine.answer(NEW_QUESTION).found and engine.stats().articles == built.articles + 1
    assert engine.index.damage() is None
    engine.close()


@pytest.mark.parametrize("kind", ["deleted", "truncated", "garbled", "overwritten", "journal garbled"])
def test_a_damaged_vector_store_is_dropped_and_lexical_search_goes_on(
    kind: str, built: Built, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = built.copy(tmp_path / "index")
    main, journal = index / VECTORS_DIR / "main.usearch", index / VECTORS_DIR / "journal.f16"
    if kind == "journal garbled":  # the vectors only in the journal, as while an embedder runs; then garbled
        store = VectorIndex(index / VECTORS_DIR, model_identity())
        keys = sorted(store.keys())[:3]
        main.unlink()
        with store.writer() as writer:
            writer.append(keys, [store.get([key])[key] for key in keys])
        flip_bytes(journal)  # the middle of the second record's vector
    else:
        {"deleted": main.unlink, "truncated": lambda: truncate(main), "garbled": lambda: flip_bytes(main),
         "overwritten": lambda: main.write_bytes(b"\0" * 4096)}[kind]()  # fmt: skip
    engine = Engine(built.corpus, index)
    assert engine.answer(QUESTION).found  # by its words
    lines = damage_lines(caplog, "vector store damaged")
    assert len(lines) == (0 if kind == "deleted" else 1) and all(line.exc_info is None for line in lines)
    kept = 2 if kind == "journal garbled" else 0  # the garbled record alone is dropped
    assert engine.stats().embedded == kept
    vectors = VectorIndex(index / VECTORS_DIR, model_identity())
    assert len(plan(index, vectors, read_texts=False).missing) == built.embedded - kept  # the next run embeds them
    engine.seed_vectors(SEED_VECTORS)  # the writer path of an embedding run, without the model's minutes
    assert engine.stats().embedded == built.embedded
    caplog.clear()
    reopened = Engine(built.corpus, index)
    assert reopened.stats().embedded == built.embedded and not damage_lines(caplog, "damaged")


def test_the_background_embedder_embeds_a_damaged_store_again(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    small_corpus = write_corpus(tmp_path / "corpus", {"clinic.md": ("发热门诊开设绿色通道", BODY),
                                                      "trees.md": ("浦东植树", OTHER)})  # fmt: skip
    engine = Engine(small_corpus, tmp_path / "index")
    passages = engine.stats().passages
    for _ in engine.embed_passages():
        pass
    engine.close()
    flip_bytes(tmp_path / "index" / VECTORS_DIR / "main.usearch")
    engine = Engine(small_corpus, tmp_path / "index")
    assert engine.stats().embedded == 0 and len(damage_lines(caplog, "vector store damaged")) == 1
    assert engine.answer("居民就医配药和送药上门是怎么安排的").found  # meanwhile, by words
    engine.embed_in_background()
    deadline = time.monotonic() + 120
    while engine.stats().embedded < passages and time.monotonic() < deadline:
        time.sleep(0.5)
    assert engine.stats().embedded == passages
    engine.close()


class FullDisk:
    """Manifest commits fail as SQLite fails on a full disk, until `space_returns()`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = True
        self.failures = 0
        original = Manifest.commit

        def commit(manifest: Manifest) -> None:
            if self.full:
                self.failures += 1
                raise sqlite3.OperationalError("database or disk is full")
            original(manifest)

        monkeypatch.setattr(Manifest, "commit", commit)

    def space_returns(self) -> None:
        self.full = False


def test_a_full_disk_during_a_refresh_keeps_the_previous_index(built: Built, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    index = built.copy(tmp_path / "index")
    corpus = tmp_path / "corpus"
    shutil.copytree(built.corpus, corpus)
    engine = Engine(corpus, index)
    passages = engine.stats().passages
    disk = FullDisk(monkeypatch)
    new = corpus / "new.md"
    new.write_text(NEW_POST.format(body=NEW_BODY), encoding="utf-8")
    os.utime(new, (time.time() - 60, time.time() - 60))  # settled: the follower takes it at once
    caplog.set_level(logging.INFO)
    engine.follow(interval=0.2)
    try:
        deadline = time.monotonic() + 30
        while disk.failures < 3 and time.monotonic() < deadline:  # several passes fail meanwhile
            time.sleep(0.1)
        failures = damage_lines(caplog, "refresh failed")
        assert len(failures) == 1 and failures[0].exc_info is None  # said once, however many passes fail
        assert "is full" in failures[0].getMessage() and "still serving the previous index" in failures[0].getMessage()
        assert engine.answer(QUESTION).found and not engine.answer(NEW_QUESTION).found
        assert engine.stats().passages == passages
        disk.space_returns()
        while not engine.answer(NEW_QUESTION).found and time.monotonic() < deadline:
            time.sleep(0.1)
        assert engine.answer(NEW_QUESTION).found and engine.stats().articles == built.articles + 1
        assert damage_lines(caplog, "refresh works again")
    finally:
        engine.close()
    assert not damage_lines(caplog, "damaged")  # the half-done refresh left nothing inconsistent
    reopened = Engine(corpus, index)
    assert reopened.last_report is None and reopened.stats().articles == built.articles + 1


def test_a_failure_that_repeats_with_other_figures_is_said_once(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    errors = [DiskFull(f"the disk holding {tmp_path} is full ({free} MB free)") for free in (3, 2, 3, 4)]
    errors.append(PermissionError(f"permission denied: {tmp_path}"))

    def refresh(_: float) -> RefreshReport:
        if errors:
            raise errors.pop(0)
        return RefreshReport()

    follower = CorpusFollower(tmp_path, refresh, interval=60)
    caplog.set_level(logging.INFO)
    for _ in range(6):
        follower._pass()
    said = [record.getMessage() for record in damage_lines(caplog, "refresh failed")]
    assert len(said) == 2 and "(3 MB free)" in said[0] and "permission denied" in said[1]
    assert damage_lines(caplog, "refresh works again")


# In a user namespace (no root needed), the index on a 2 MB tmpfs that a filler file fills up.
REAL_FULL_DISK = """
import json, logging, os, shutil, sys
from pathlib import Path
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
from retrieval.engine import Engine
from retrieval.integrity import DiskFull
small, pristine, corpus = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
os.system(f"mount -t tmpfs -o size=2m tmpfs {small}")
shutil.copytree(pristine, small / "index")
engine = Engine(corpus, small / "index")
result = {"before": engine.stats().articles}
fd = os.open(small / "filler", os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    os.close(fd)
(corpus / "new.md").write_text(sys.argv[4], encoding="utf-8")
try:
    engine.refresh()
    result["full"] = "no error"
except DiskFull as error:
    result["full"] = str(error)
result["old answers"] = engine.answer(sys.argv[5]).found
result["new answered"] = engine.answer(sys.argv[6]).found
(small / "filler").unlink()
engine.refresh()
result["after"] = engine.stats().articles
result["new answered after"] = engine.answer(sys.argv[6]).found
print(json.dumps(result))
"""


def test_a_really_full_disk_during_a_refresh(built: Built, tmp_path: Path) -> None:
    namespace = ["unshare", "--user", "--map-root-user", "--mount"]
    if shutil.which("unshare") is None or subprocess.run([*namespace, "true"], capture_output=True).returncode:
        pytest.skip("user namespaces are not available for a small tmpfs")
    corpus = tmp_path / "corpus"
    shutil.copytree(built.corpus, corpus)
    Engine(corpus, built.copy(tmp_path / "pristine")).close()  # the copy, for this corpus path
    (tmp_path / "small").mkdir()
    arguments = [str(tmp_path / "small"), str(tmp_path / "pristine"), str(corpus),
                 NEW_POST.format(body=NEW_BODY * 40), QUESTION, NEW_QUESTION]  # fmt: skip
    done = subprocess.run([*namespace, sys.executable, "-c", REAL_FULL_DISK, *arguments], cwd=REPOSITORY,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert "is full" in result["full"]
    assert result["old answers"] and not result["new answered"]
    assert result["after"] == built.articles + 1 and result["new answered after"]
    assert "Traceback" not in done.stderr


def test_a_disk_full_error_is_recognised(tmp_path: Path) -> None:
    from retrieval.integrity import disk_full

    assert disk_full(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert disk_full(sqlite3.OperationalError("database or disk is full"), tmp_path)
    assert not disk_full(ValueError("a bug"), tmp_path)
