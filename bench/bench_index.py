"""Index benchmark: newsqa's tantivy BM25 index against rank-bm25 on a synthetic corpus.

    python -m bench.bench_index [--chunks 1000000] [--queries 1000] [--baseline-sample 100000]

Each phase runs in its own subprocess so that its peak memory (ru_maxrss) is its own:
jieba throughput, BM25 agreement check, tantivy build, tantivy open + queries, rank-bm25.
Results are printed as a table and written to bench/out/results-<chunks>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from bench.synthetic import SyntheticChunk, iter_chunks, load_vocabulary, make_questions
from bench.textbook_bm25 import K1, B, textbook_bm25

OUT_DIR = Path(__file__).resolve().parent / "out"
TOP_K = 60  # candidates the product asks tantivy for (SearchSettings.candidates)
SHOWN = 5  # stored documents fetched per query

TARGETS = {"p50_ms": 5.0, "p99_ms": 50.0, "open_s": 1.0}
Result = dict[str, Any]


# ---------------------------------------------------------------- measuring helpers


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "max_ms": float(values.max()),
        "n": len(values),
    }


def timed(run: Callable[[], object], repeat: Iterable[object]) -> list[float]:
    """Wall time of run() once per item of repeat."""
    times = []
    for _ in repeat:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# ---------------------------------------------------------------- queries


def analyse_questions(count: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Questions through the product's parse_question (jieba), and the time that takes."""
    from retrieval.analyse import Analyzer
    from retrieval.query import parse_question

    analyzer = Analyzer()
    out, times = [], []
    for text in make_questions(count, seed):
        start = time.perf_counter()
        query = parse_question(text, analyzer)
        times.append(time.perf_counter() - start)
        out.append({"text": text, "words": query.words, "bigrams": query.bigrams})
    return out, percentiles_ms(times)


def load_queries(workdir: Path) -> list[Any]:
    from retrieval.query import Query

    raw = json.loads((workdir / "queries.json").read_text(encoding="utf-8"))
    return [Query(text=q["text"], words=q["words"], bigrams=q["bigrams"]) for q in raw]


# ---------------------------------------------------------------- tantivy documents


def document_fields(chunk: SyntheticChunk, ordinal: int | None = None) -> dict[str, object]:
    """The same fields as retrieval.index.chunk_document, from pre-analysed tokens."""
    from retrieval.index import passage_term, stored_document
    from retrieval.prepare import passage_hash

    return stored_document(
        {
            "doc": chunk.doc,
            "chunk": chunk.chunk if ordinal is None else ordinal,
            "words": chunk.words,
            "grams": chunk.grams,
            "title": chunk.title_words,
            "passage_hash": passage_term(passage_hash(chunk.text)),
            "day": chunk.day,
            "text": chunk.text,
            "heading": "",
            "article_title": chunk.title,
            "source": chunk.source,
        }
    )


# ---------------------------------------------------------------- phases (run in subprocesses)


def phase_jieba(args: argparse.Namespace, workdir: Path) -> Result:
    """jieba analysis throughput with the product's Analyzer on a sample of chunk texts."""
    from retrieval.analyse import Analyzer

    texts = [chunk.text for chunk in iter_chunks(args.jieba_sample, args.seed)]
    analyzer = Analyzer()
    analyzer.analyse("预热")
    start = time.perf_counter()
    tokens = sum(len(analyzer.analyse(text).words) for text in texts)
    seconds = time.perf_counter() - start
    megabytes = sum(len(text.encode()) for text in texts) / 1e6
    return {"chunks": len(texts), "mb": megabytes, "seconds": seconds, "mb_per_s": megabytes / seconds,
            "chunks_per_s": len(texts) / seconds, "words_per_chunk": tokens / len(texts)}  # fmt: skip


def phase_build(args: argparse.Namespace, workdir: Path) -> Result:
    """Build the newsqa tantivy index from pre-analysed synthetic chunks."""
    import tantivy

    from retrieval.index import build_schema

    load_vocabulary(args.seed)
    gc.freeze()
    start_rss = rss_mb()
    schema = build_schema()
    path = workdir / "tantivy"
    path.mkdir()
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(args.heap_mb * 1_000_000, args.threads)
    generating = 0.0
    stats = np.zeros(4)  # text bytes, chars, words, grams
    articles: set[str] = set()
    chunks = iter_chunks(args.chunks, args.seed)
    start = time.perf_counter()
    while True:
        tick = time.perf_counter()
        chunk = next(chunks, None)
        fields = None if chunk is None else document_fields(chunk)
        generating += time.perf_counter() - tick
        if chunk is None or fields is None:
            break
        writer.add_document(tantivy.Document.from_dict(fields, schema))
        stats += (len(chunk.text.encode()), len(chunk.text), chunk.words.count(" ") + 1, chunk.grams.count(" ") + 1)
        if chunk.chunk == 0:
            articles.add(chunk.doc)
    added = time.perf_counter() - start
    writer.commit()
    writer.wait_merging_threads()
    total = time.perf_counter() - start
    index.reload()
    n = args.chunks
    return {
        "chunks": n, "articles": len(articles), "text_mb": stats[0] / 1e6,
        "mean_chars": stats[1] / n, "mean_words": stats[2] / n, "mean_grams": stats[3] / n,
        "wall_s": total, "generation_s": generating, "build_s": total - generating,
        "add_s": added, "commit_merge_s": total - added,
        "peak_rss_mb": peak_rss_mb(), "start_rss_mb": start_rss,
        "index_mb": dir_size_mb(path), "segments": index.searcher().num_segments,
        "num_docs": index.searcher().num_docs,
    }  # fmt: skip


class _BenchIndex:
    """The part of CorpusIndex that retrieval.search.Searcher uses, over a bare tantivy index."""

    class _NoManifest:
        @staticmethod
        def article_days() -> list[int]:
            return []

    def __init__(self, index: Any, schema: Any) -> None:
        self.index = index
        self.schema = schema
        self.manifest = self._NoManifest()

    def searcher(self) -> Any:
        return self.index.searcher()


def _words_only(schema: Any, words: list[str]) -> Any:
    """An unboosted boolean of term queries on `words`: what rank-bm25 scores."""
    import tantivy

    clauses = [
        (tantivy.Occur.Should, tantivy.Query.term_query(schema, "words", word, index_option="freq"))
        for word in dict.fromkeys(words)
    ]
    return tantivy.Query.boolean_query(clauses)


def phase_query(args: argparse.Namespace, workdir: Path) -> Result:
    """Open the index and time the product's query path."""
    import tantivy

    from retrieval.search import Searcher, SearchSettings

    queries = [q for q in load_queries(workdir) if q.words or q.bigrams]
    start = time.perf_counter()
    index = tantivy.Index.open(str(workdir / "tantivy"))
    searcher = index.searcher()
    opened = time.perf_counter() - start
    bench_index = _BenchIndex(index, index.schema)
    product = Searcher(bench_index, SearchSettings(semantic_weight=0.0))  # type: ignore[arg-type]
    semantic = Searcher(bench_index)  # type: ignore[arg-type]
    first = timed(lambda: product.search(queries[0], k=SHOWN), [0])[0]

    def product_query(query: Any) -> None:
        hits = searcher.search(product._text_query(query), TOP_K, count=False).hits
        for _, address in hits[:SHOWN]:
            searcher.doc(address)

    def words_query(query: Any) -> None:
        searcher.search(_words_only(index.schema, query.words), TOP_K, count=False)

    result: Result = {"open_s": opened, "first_query_ms": first * 1000, "queries": len(queries)}
    for name, run in (("boosted", product_query), ("words_only", words_query),
                      ("searcher_search", lambda q: product.search(q, k=SHOWN))):  # fmt: skip
        each = iter(queries)
        result[name] = percentiles_ms(timed(lambda run=run, each=each: run(next(each)), queries))
    if semantic.scorer is not None:
        # Each query embeds up to 20 passages it has not seen: the cold cost a new question pays.
        sample = queries[: args.semantic_queries]
        each = iter(sample)
        result["semantic_search"] = percentiles_ms(timed(lambda: semantic.search(next(each), k=SHOWN), sample))
        each = iter(sample)
        result["semantic_warm"] = percentiles_ms(timed(lambda: semantic.search(next(each), k=SHOWN), sample))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def phase_baseline(args: argparse.Namespace, workdir: Path) -> Result:
    """rank-bm25 BM25Okapi on the word tokens of the first `sample` chunks."""
    from rank_bm25 import BM25Okapi

    sample = args.baseline_sample or args.chunks
    load_vocabulary(args.seed)
    gc.freeze()
    start_rss = rss_mb()
    tick = time.perf_counter()
    corpus = [chunk.words.split() for chunk in iter_chunks(sample, args.seed)]
    generating = time.perf_counter() - tick
    corpus_rss = rss_mb()
    tick = time.perf_counter()
    bm25 = BM25Okapi(corpus, k1=K1, b=B)
    built = time.perf_counter() - tick
    del corpus
    gc.collect()
    model_mb = rss_mb() - start_rss
    queries = [q for q in load_queries(workdir) if q.words][: args.baseline_queries]

    def run(query: Any) -> None:
        scores = bm25.get_scores(list(dict.fromkeys(query.words)))
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        top[np.argsort(-scores[top])]

    each = iter(queries)
    latency = percentiles_ms(timed(lambda: run(next(each)), queries))
    scale = args.chunks / sample
    return {
        "sample": sample, "full": sample >= args.chunks, "generation_s": generating, "build_s": built,
        "peak_rss_mb": peak_rss_mb(), "start_rss_mb": start_rss, "corpus_rss_mb": corpus_rss - start_rss,
        "model_rss_mb": model_mb, "latency": latency, "scale": scale,
        "extrapolated": {"build_s": built * scale, "p50_ms": latency["p50_ms"] * scale,
                         "p99_ms": latency["p99_ms"] * scale,
                         "peak_rss_mb": start_rss + (peak_rss_mb() - start_rss) * scale},
    }  # fmt: skip


# ---------------------------------------------------------------- BM25 agreement


def overlap_at(found: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Share of `found`'s top-k that the reference also ranks top-k (ties at the cut count)."""
    top = np.argsort(-found, kind="stable")[:k]
    top = top[found[top] > 0]
    if len(top) == 0:
        return 1.0
    cut = np.sort(reference)[::-1][min(k, len(reference)) - 1]
    return float(np.mean(reference[top] >= cut - 1e-6 * abs(cut)))


def spearman_top(found: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Spearman correlation of the two score lists over the union of their top-k."""
    union = np.union1d(np.argsort(-found)[:k], np.argsort(-reference)[:k])
    if len(union) < 3:
        return 1.0
    ranks = [np.argsort(np.argsort(-values[union])) for values in (found, reference)]
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


def _tantivy_scores(searcher: Any, schema: Any, words: list[str], total: int) -> np.ndarray:
    scores = np.zeros(total)
    for score, address in searcher.search(_words_only(schema, words), total, count=False).hits:
        scores[address.doc] = score
    return scores


def phase_agreement(args: argparse.Namespace, workdir: Path) -> Result:
    """Top-10 agreement of tantivy (words field, no boosts) with textbook BM25 and rank-bm25."""
    import tantivy
    from rank_bm25 import BM25Okapi

    from retrieval.index import build_schema

    chunks = list(iter_chunks(args.agreement_chunks, args.seed + 1))
    docs = [chunk.words.split() for chunk in chunks]
    schema = build_schema()
    index = tantivy.Index(schema)
    writer = index.writer(50_000_000, 1)
    for ordinal, chunk in enumerate(chunks):
        writer.add_document(tantivy.Document.from_dict(document_fields(chunk, ordinal), schema))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    assert searcher.num_segments == 1, "doc addresses must be insertion order"
    okapi = BM25Okapi(docs, k1=K1, b=B)
    queries = [q for q in load_queries(workdir) if q.words][: args.agreement_queries]
    rows: dict[str, list[float]] = {name: [] for name in
                                    ("overlap", "spearman", "max_rel_err", "overlap_exact_len", "overlap_okapi",
                                     "spearman_okapi")}  # fmt: skip
    for query in queries:
        found = _tantivy_scores(searcher, schema, query.words, len(docs))
        if not found.any():
            continue
        textbook = textbook_bm25(docs, query.words)
        okapi_scores = okapi.get_scores(list(dict.fromkeys(query.words)))
        top = np.argsort(-found)[:10]
        top = top[found[top] > 0]
        rows["overlap"].append(overlap_at(found, textbook))
        rows["spearman"].append(spearman_top(found, textbook))
        rows["max_rel_err"].append(float(np.max(np.abs(found[top] / textbook[top] - 1))))
        rows["overlap_exact_len"].append(overlap_at(found, textbook_bm25(docs, query.words, quantise=False)))
        rows["overlap_okapi"].append(overlap_at(found, okapi_scores))
        rows["spearman_okapi"].append(spearman_top(found, okapi_scores))
    result: Result = {name: float(np.mean(values)) for name, values in rows.items()}
    result["max_rel_err"] = float(np.max(rows["max_rel_err"]))
    result.update(chunks=len(docs), queries=len(rows["overlap"]),
                  min_overlap=float(np.min(rows["overlap"])))  # fmt: skip
    return result


PHASES: dict[str, Callable[[argparse.Namespace, Path], Result]] = {
    "jieba": phase_jieba,
    "agreement": phase_agreement,
    "build": phase_build,
    "query": phase_query,
    "baseline": phase_baseline,
}


# ---------------------------------------------------------------- driver and report


def machine() -> Result:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")  # fmt: skip
    import tantivy

    return {
        "cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
        "platform": platform.platform(), "tantivy": getattr(tantivy, "__version__", "?"),
        "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "loadavg_at_start": os.getloadavg(),
    }  # fmt: skip


def run_phase(name: str, argv: list[str], workdir: Path) -> Result:
    """Run one phase in a fresh interpreter; its result comes back as JSON."""
    print(f"[bench] phase {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    command = [sys.executable, "-m", "bench.bench_index", *argv, "--phase", name, "--workdir", str(workdir)]
    subprocess.run(command, check=True, cwd=Path(__file__).resolve().parent.parent)
    result = json.loads((workdir / f"{name}.json").read_text())
    result["loadavg_after"] = os.getloadavg()  # the machine may be shared: say how busy it was
    print(f"[bench] phase {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return result


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _ms(stats: Result) -> str:
    return f"{stats['p50_ms']:.2f} / {stats['p99_ms']:.2f}"


def report_rows(r: Result) -> list[tuple[str, str, str, str]]:
    """(metric, newsqa, rank-bm25, target) rows of the printed table."""
    build, query, base, jieba = r["build"], r["query"], r["baseline"], r["jieba"]
    ext = base["extrapolated"]
    where = "full corpus" if base["full"] else f"{base['sample']:,} sample"
    lat = base["latency"]
    jieba_full = build["text_mb"] / jieba["mb_per_s"]
    return [
        ("chunks indexed", f"{build['num_docs']:,} ({build['articles']:,} articles)", f"{base['sample']:,}", ""),
        ("build s (excl. generation)", f"{build['build_s']:.1f}",
         f"{base['build_s']:.1f} on {where}" + ("" if base["full"] else f"; ~{ext['build_s']:.0f} at full size"), ""),
        ("build wall s (incl. generation)", f"{build['wall_s']:.1f} (gen {build['generation_s']:.1f})",
         f"gen {base['generation_s']:.1f}", ""),
        ("peak RSS MB (build phase)", f"{build['peak_rss_mb']:.0f} (generator alone {build['start_rss_mb']:.0f})",
         f"{base['peak_rss_mb']:.0f}" + ("" if base["full"] else f"; ~{ext['peak_rss_mb']:.0f} at full size"), ""),
        ("index size on disk MB", f"{build['index_mb']:.0f} ({build['segments']} segments)",
         f"in RAM (RSS +{base['model_rss_mb']:.0f} after build)", ""),
        ("open s (Index.open + searcher)", f"{query['open_s']:.3f}", "n/a (in memory)", "<= 1 s"),
        ("query p50 / p99 ms (product query)", _ms(query["boosted"]), "", "<= 5 / <= 50"),
        ("query p50 / p99 ms (words only)", _ms(query["words_only"]),
         f"{_ms(lat)} on {where} (n={lat['n']})", ""),
        ("  extrapolated to full corpus", "", "" if base["full"] else f"{ext['p50_ms']:.0f} / {ext['p99_ms']:.0f}", ""),
        ("Searcher.search p50 / p99 ms, lexical", _ms(query["searcher_search"]), "", ""),
        ("  with the semantic rerank, new passages", _ms(query["semantic_search"]) if "semantic_search" in query
         else "n/a", "", ""),
        ("  with the semantic rerank, passages seen", _ms(query["semantic_warm"]) if "semantic_warm" in query
         else "n/a", "", ""),
        ("first query ms (after open)", f"{query['first_query_ms']:.1f}", "", ""),
        ("peak RSS MB (open + queries)", f"{query['peak_rss_mb']:.0f}", "", ""),
        ("jieba analysis MB/s", f"{jieba['mb_per_s']:.2f} (~{_duration(jieba_full)} for the corpus)", "", ""),
    ]  # fmt: skip


def print_report(r: Result) -> None:
    rows = [("metric", "newsqa (tantivy)", "rank-bm25 (baseline)", "target"), *report_rows(r)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for number, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            print("-+-".join("-" * width for width in widths))
    m, b, a = r["machine"], r["build"], r["agreement"]
    print(
        f"\nmachine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']:.0f} GB, Python {m['python']}, "
        f"{m['tantivy']}, load average at start {m['loadavg_at_start'][0]:.2f}"
    )
    print(
        f"corpus: {b['chunks']:,} synthetic chunks, {b['text_mb']:.0f} MB text, {b['mean_chars']:.0f} chars, "
        f"{b['mean_words']:.0f} words, {b['mean_grams']:.0f} bigrams per chunk on average (jieba re-analysing "
        f"the text finds {r['jieba']['words_per_chunk']:.0f} words); load average after the build "
        f"{r['build']['loadavg_after'][0]:.2f}, after the queries {r['query']['loadavg_after'][0]:.2f}"
    )
    print(
        f"queries: {r['query']['queries']} questions of 2-5 words; analysis (jieba, parse_question) "
        f"p50 {r['analysis']['p50_ms']:.2f} ms, not included above. Product query = boosted words+grams+title "
        f"boolean, top {TOP_K}, {SHOWN} stored docs fetched."
    )
    print(f"agreement ({a['chunks']} chunks, {a['queries']} queries, words field, no boosts): tantivy vs textbook "
          f"BM25 (Lucene idf, quantised norms): overlap@10 {a['overlap']:.3f} (min {a['min_overlap']:.2f}), "
          f"Spearman {a['spearman']:.3f}, max score error {a['max_rel_err']:.1e}; vs unquantised lengths "
          f"overlap@10 {a['overlap_exact_len']:.3f}; vs BM25Okapi overlap@10 {a['overlap_okapi']:.3f}, "
          f"Spearman {a['spearman_okapi']:.3f}")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=100_000, help="0: the full corpus")
    parser.add_argument("--baseline-queries", type=int, default=200)
    parser.add_argument("--semantic-queries", type=int, default=50, help="queries timed with the semantic rerank")
    parser.add_argument("--jieba-sample", type=int, default=2000)
    parser.add_argument("--agreement-chunks", type=int, default=2000)
    parser.add_argument("--agreement-queries", type=int, default=200)
    parser.add_argument("--heap-mb", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temporary index directory")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.phase:
        result = PHASES[args.phase](args, args.workdir)
        (args.workdir / f"{args.phase}.json").write_text(json.dumps(result))
        return
    raw = sys.argv[1:] if argv is None else argv
    workdir = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    try:
        results: Result = {"command": "python -m bench.bench_index " + " ".join(raw), "machine": machine()}
        queries, results["analysis"] = analyse_questions(args.queries, args.seed)
        (workdir / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        for name in ("jieba", "agreement", "build", "query", "baseline"):
            results[name] = run_phase(name, raw, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results["targets"] = TARGETS
    print_report(results)
    OUT_DIR.mkdir(exist_ok=True)
    out = OUT_DIR / f"results-{args.chunks}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
