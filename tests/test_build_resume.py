"""A build killed midway (kill -9) leaves a searchable index, and the next run finishes it exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.archive import write_archive
from retrieval.engine import Engine
from tests.conftest import REPOSITORY

# Index with many small checkpoints and SIGKILL itself when `kill_at` files are written. The
# manifest's page cache is one page, so that (as in any large build) SQLite has begun writing
# the open transaction to the file, and the kill leaves a hot journal to roll back.
KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from retrieval.index import CorpusIndex

corpus, index, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

def progress(results, total):
    for number, prepared in enumerate(results):
        if number == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        yield prepared

building = CorpusIndex(corpus, index)
building.manifest.db.execute("PRAGMA cache_size = 1")
building.refresh(progress, checkpoint_passages=400)
"""


def passages(engine: Engine) -> set[tuple[str, int, str]]:
    searcher = engine.index.searcher()
    found = engine.searcher.searcher.search(__import__("tantivy").Query.all_query(), searcher.num_docs).hits
    return {
        (doc["doc"][0], doc["chunk"][0], doc["text"][0])
        for doc in (searcher.doc(address).to_dict() for _, address in found)
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("archive") / "posts"
    write_archive(folder, 120, seed=11)
    return folder


def test_a_killed_build_resumes_and_ends_with_the_uninterrupted_index(archive: Path, tmp_path: Path) -> None:
    whole = Engine(archive, tmp_path / "whole")
    expected = passages(whole)
    assert len(expected) > 1000

    killed = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(archive), str(tmp_path / "resumed"), "70"],
                            cwd=REPOSITORY, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "resumed" / "manifest.sqlite-journal").stat().st_size > 0  # a transaction was open

    # What was committed before the kill is searchable at once, through the real CLI.
    found = subprocess.run([sys.executable, "-m", "bot.cli", "search", "--json", "--corpus", str(archive),
                            "--index", str(tmp_path / "resumed"), "上海"],
                           cwd=REPOSITORY, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "NEWSQA_LOG_LEVEL": "WARNING"})  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[0])["query"] == "上海"
    assert "damaged" not in found.stderr  # the index was taken up where it stopped, not rebuilt

    # The next run (here: the CLI's search above, which refreshes a stale index) took up from there.
    resumed = Engine(archive, tmp_path / "resumed")
    assert passages(resumed) == expected
    assert resumed.stats() == whole.stats()


def test_a_build_interrupted_before_its_first_checkpoint_starts_over_cleanly(archive: Path, tmp_path: Path) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(archive), str(tmp_path / "index"), "3"],
                            cwd=REPOSITORY, capture_output=True, timeout=120)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    engine = Engine(archive, tmp_path / "index")
    assert engine.stats().articles == 120
    assert len(passages(engine)) == engine.stats().passages
