"""The vector store at archive scale: build, disk, open and nearest-neighbour search at N passages.

    python -m bench.bench_vectors [--passages 1000000] [--queries 1000]

Synthetic unit vectors stand in for embeddings (the model makes about 8 a second on 2 cores: a
million real ones take a day and a half, see `newsqa index --embed`). They are clustered like
real ones (a few thousand topics, each vector a topic plus noise), so the HNSW graph faces
neighbourhoods as a news archive makes them. Measured through retrieval.vector_index, the code
the product runs: journal appends, compaction into the int8 HNSW index, open (memory-mapped),
`nearest` (20 results, as a question asks), and its recall against exact search. Beside it, in
the same run, the exact search a plain script would do: numpy over float32 vectors in memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from retrieval.vector_index import DIMENSIONS, VectorIndex

MODEL = "synthetic"
BACKGROUND = Path(__file__).resolve().parent.parent / "retrieval" / "semantic_background.npz"
TOPICS = 4_000
APPEND_BATCH = 10_000


def synthetic(count: int, seed: int) -> np.ndarray:
    """Unit vectors shaped like real passage embeddings, as float32: drawn around the mean and
    covariance of 411 real news passages (retrieval/semantic_background.npz), in topics."""
    with np.load(BACKGROUND) as saved:
        mean, covariance = saved["mean"].astype(np.float64), saved["covariance"].astype(np.float64)
    values, axes = np.linalg.eigh(covariance)
    shape = (axes * np.sqrt(np.clip(values, 0, None))).T.astype(np.float32)  # z @ shape ~ N(0, covariance)
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((TOPICS, DIMENSIONS)).astype(np.float32) @ shape * 0.8
    out = np.empty((count, DIMENSIONS), dtype=np.float32)
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        noise = rng.standard_normal((size, DIMENSIONS)).astype(np.float32) @ shape * 0.6
        block = mean.astype(np.float32) + topics[rng.integers(0, TOPICS, size)] + noise
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.array(values), share * 100))


def run(passages: int, queries: int, count: int = 20, expansions: tuple[int, ...] = ()) -> dict[str, float]:
    vectors = synthetic(passages, 7)
    keys = np.arange(1, passages + 1, dtype=np.uint64) * 2654435761 % (1 << 62)
    asked = synthetic(queries, 8)
    folder = Path(tempfile.mkdtemp(prefix="newsqa-bench-vectors-"))
    figures: dict[str, float] = {"passages": passages, "queries": queries}
    try:
        store = VectorIndex(folder, MODEL)
        started = time.perf_counter()
        with store.writer() as writer:
            for start in range(0, passages, APPEND_BATCH):
                writer.append(keys[start : start + APPEND_BATCH].tolist(), vectors[start : start + APPEND_BATCH])
            figures["journal_append_s"] = time.perf_counter() - started
            compact_started = time.perf_counter()
            writer.compact()
            figures["compact_s"] = time.perf_counter() - compact_started
        figures["disk_mb"] = sum(path.stat().st_size for path in folder.iterdir()) / 1e6
        started = time.perf_counter()
        opened = VectorIndex(folder, MODEL)
        figures["open_s"] = time.perf_counter() - started
        times, recalls = [], []
        for query in asked:
            started = time.perf_counter()
            found = opened.nearest(query, count)
            times.append((time.perf_counter() - started) * 1000)
            exact = set(np.argpartition(-(vectors @ query), count)[:count].tolist())
            recalls.append(len({int(key) for key, _ in found} & {int(keys[i]) for i in exact}) / count)
        figures["search_p50_ms"], figures["search_p99_ms"] = percentile(times, 0.5), percentile(times, 0.99)
        figures["recall_at_20"] = float(np.mean(recalls))
        exact_times = []
        for query in asked[: min(queries, 100)]:
            started = time.perf_counter()
            np.argpartition(-(vectors @ query), count)[:count]
            exact_times.append((time.perf_counter() - started) * 1000)
        figures["exact_p50_ms"], figures["exact_p99_ms"] = percentile(exact_times, 0.5), percentile(exact_times, 0.99)
        exact_sets = [set(np.argpartition(-(vectors @ query), count)[:count].tolist()) for query in asked[:200]]
        for expansion in expansions:  # the same graph searched with other expansions (recall against latency)
            opened._main.expansion_search = expansion
            times, recalls = [], []
            for query, exact in zip(asked[:200], exact_sets, strict=False):
                started = time.perf_counter()
                found = opened.nearest(query, count)
                times.append((time.perf_counter() - started) * 1000)
                recalls.append(len({int(key) for key, _ in found} & {int(keys[i]) for i in exact}) / count)
            recall, p50, p99 = float(np.mean(recalls)), percentile(times, 0.5), percentile(times, 0.99)
            figures[f"expansion_{expansion}"] = [recall, p50, p99]
        figures["float32_in_memory_mb"] = vectors.nbytes / 1e6
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--expansions", default="", help="also search with these HNSW expansions, e.g. 64,128,256,512")
    args = parser.parse_args(argv)
    expansions = tuple(int(value) for value in args.expansions.split(",") if value)
    f = run(args.passages, args.queries, expansions=expansions)
    rows = [
        ("passages", f"{f['passages']:,.0f}", ""),
        ("store: journal appends, s", f"{f['journal_append_s']:.1f}", ""),
        ("store: compaction into int8 HNSW, s", f"{f['compact_s']:.1f}", ""),
        ("disk, MB", f"{f['disk_mb']:.0f}", f"{f['float32_in_memory_mb']:.0f} (float32 in memory)"),
        ("open, s", f"{f['open_s']:.3f}", "n/a"),
        ("nearest 20 p50 / p99, ms", f"{f['search_p50_ms']:.2f} / {f['search_p99_ms']:.2f}",
         f"{f['exact_p50_ms']:.1f} / {f['exact_p99_ms']:.1f} (numpy exact)"),
        ("recall@20 against exact search", f"{f['recall_at_20']:.3f}", "1.000"),
        ("peak RSS, MB", f"{f['peak_rss_mb']:.0f}", ""),
        *((f"  expansion {e}: recall@20, p50 / p99 ms", "{:.3f}, {:.2f} / {:.2f}".format(*f[f"expansion_{e}"]), "")
          for e in expansions),
    ]  # fmt: skip
    print(f"{'metric':40} | {'newsqa (usearch i8 HNSW)':28} | numpy exact search (baseline)")
    print("-" * 41 + "+" + "-" * 30 + "+" + "-" * 32)
    for name, ours, theirs in rows:
        print(f"{name:40} | {ours:28} | {theirs}")
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"vectors-{args.passages}.json").write_text(json.dumps(f, indent=2))


if __name__ == "__main__":
    main()
