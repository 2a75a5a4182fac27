"""Give every passage of a newsqa index a stored vector, synthetic, so that the question path can be
timed as it runs on a fully embedded archive (real embeddings of 194,000 passages take 7 hours on
2 cores: `newsqa index --embed`).

    python -m bench.fill_vectors INDEX_DIR

The vectors (bench.bench_vectors.synthetic: shaped like real passage embeddings, in topics) go
through the product's own store (retrieval.vector_index) under the real model's identity, so the
bot and `newsqa search` read them as if `--embed` had made them. What the nearest passages are is
meaningless; how long finding them takes is not. Only for benchmark indexes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.bench_vectors import APPEND_BATCH, synthetic
from retrieval.embedder import VECTORS_DIR, plan
from retrieval.semantic import model_identity
from retrieval.vector_index import VectorIndex


def fill(index_dir: Path) -> tuple[int, float]:
    """Store a vector for every passage that has none; (passages filled, seconds)."""
    started = time.perf_counter()
    store = VectorIndex(index_dir / VECTORS_DIR, model_identity())
    with store.writer() as writer:
        todo = plan(index_dir, store, read_texts=False)
        keys = [key for key, _ in todo.missing]
        vectors = synthetic(len(keys), 11) if keys else []
        for start in range(0, len(keys), APPEND_BATCH):
            writer.append(keys[start : start + APPEND_BATCH], vectors[start : start + APPEND_BATCH])
        writer.compact(todo.live)
    return len(keys), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir", type=Path)
    filled, seconds = fill(parser.parse_args().index_dir)
    print(f"filled {filled} passages with synthetic vectors in {seconds:.1f} s")


if __name__ == "__main__":
    main()
