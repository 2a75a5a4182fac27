"""Shared fixtures: corpora copied into temporary folders, engines over them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval.engine import Engine

REPOSITORY = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPOSITORY / "corpus"
ARCHIVE_SAMPLE = Path(__file__).resolve().parent / "fixtures" / "archive_sample"
# Precomputed passage vectors (python -m eval.vectors): engines start out embedded, as after `index --embed`.
SEED_VECTORS = REPOSITORY / "eval" / "data" / "vectors.f16"


def embedded_engine(corpus: Path, index: Path) -> Engine:
    """An engine whose passages all have their vectors, as after `newsqa index --embed`."""
    engine = Engine(corpus, index)
    engine.seed_vectors(SEED_VECTORS)
    return engine


def copy_corpus(target: Path, *sources: Path) -> Path:
    """Copy the article files (not hidden files) of sources into target."""
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        for path in source.iterdir():
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def bundled_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine over a copy of the bundled corpus, built once per test session."""
    root = tmp_path_factory.mktemp("bundled")
    corpus = copy_corpus(root / "corpus", BUNDLED_CORPUS)
    return embedded_engine(corpus, root / "index")


@pytest.fixture(scope="session")
def archive_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine over the bundled corpus plus the 25 archive sample posts."""
    root = tmp_path_factory.mktemp("archive")
    corpus = copy_corpus(root / "corpus", BUNDLED_CORPUS, ARCHIVE_SAMPLE)
    return embedded_engine(corpus, root / "index")
