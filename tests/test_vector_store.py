"""The vector store keeps cosines within a hair of float32 in half the disk, and reads older stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from usearch.index import Index

from retrieval.vector_index import CONNECTIVITY, DIMENSIONS, VectorIndex, quantize

MODEL = "test model"


def unit_vectors(count: int, seed: int = 7) -> np.ndarray:
    """Vectors shaped like e5's: unit length, a few larger components."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, DIMENSIONS)).astype(np.float32)
    vectors[:, :4] *= 3
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def store_with(folder: Path, vectors: np.ndarray) -> VectorIndex:
    store = VectorIndex(folder, MODEL)
    with store.writer() as writer:
        writer.append(range(len(vectors)), vectors)
        writer.compact()
    store.reload()
    return store


def test_compacted_vectors_give_the_cosines_float32_gives(tmp_path: Path) -> None:
    passages, questions = unit_vectors(400), unit_vectors(20, seed=8)
    store = store_with(tmp_path / "vectors", passages)
    read = store.get(list(range(len(passages))))
    stored = np.stack([read[key] for key in range(len(passages))])
    error = np.abs(questions @ stored.T - questions @ passages.T)
    assert error.mean() < 0.0005 and error.max() < 0.003
    # A fixed scale (every component times 127) would lose far more: the scale is per vector.
    fixed = np.clip(np.rint(passages * 127), -127, 127)
    fixed /= np.linalg.norm(fixed, axis=1, keepdims=True)
    assert np.abs(questions @ fixed.T - questions @ passages.T).mean() > 2 * error.mean()


def test_the_nearest_passages_are_found_with_their_cosines(tmp_path: Path) -> None:
    passages = unit_vectors(400)
    store = store_with(tmp_path / "vectors", passages)
    question = passages[123] + 0.05 * unit_vectors(1, seed=9)[0]
    question /= np.linalg.norm(question)
    exact = np.argsort(-(passages @ question))[:5]
    found = store.nearest(question, 5)
    assert [key for key, _ in found][:3] == [int(key) for key in exact[:3]]
    assert abs(found[0][1] - float(passages[123] @ question)) < 0.003


def test_a_store_is_half_the_size_of_float16(tmp_path: Path) -> None:
    passages = unit_vectors(2000)
    store = store_with(tmp_path / "vectors", passages)
    assert store.main_path.stat().st_size < 0.6 * len(passages) * (2 * DIMENSIONS + 8 + 8 * CONNECTIVITY)


def test_a_float16_store_written_before_int8_is_read_and_converted(tmp_path: Path) -> None:
    passages = unit_vectors(300)
    folder = tmp_path / "vectors"
    store = VectorIndex(folder, MODEL)  # stamps the model
    old = Index(ndim=DIMENSIONS, metric="cos", dtype="f16", connectivity=CONNECTIVITY)
    old.add(np.arange(200, dtype=np.uint64), passages[:200])
    old.save(str(store.main_path))
    store.reload()
    assert len(store) == 200 and store.nearest(passages[5], 1)[0][0] == 5
    with store.writer() as writer:  # the next embedding run appends, then compacts
        writer.append(range(200, 300), passages[200:])
        writer.compact()
    store.reload()
    assert str(Index.restore(str(store.main_path)).dtype).endswith("I8")
    assert store.keys() == set(range(300))
    assert store.nearest(passages[5], 1)[0][0] == 5 and store.nearest(passages[250], 1)[0][0] == 250


def test_quantize_uses_the_whole_int8_range_of_each_vector() -> None:
    vectors = unit_vectors(10)
    assert (np.abs(quantize(vectors)).max(axis=1) == 127).all()
    assert (quantize(np.zeros((1, DIMENSIONS))) == 0).all()
