"""The reference: the plain rank-bm25 + jieba script a user would write over the archive.

    python -m bench.baseline_bm25 DIR [--queries 50] [--json OUT]

Walks DIR for posts, strips the front matter, cuts each HTML body into paragraphs with
BeautifulSoup (lxml) at block elements and <br>, `jieba.lcut`s every paragraph (default
jieba, HMM on) and builds `rank_bm25.BM25Okapi` over them, in one process. Then, per
question (from the archive's metadata when bench.archive wrote it), `jieba.lcut` the
question, `get_scores`, and take the top 5. Reports phase times, the paragraph count, peak
RSS and query p50/p99.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from bs4 import BeautifulSoup
from rank_bm25 import BM25Okapi

from bench.archive import load_questions

BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "blockquote",
    "figure",
    "figcaption",
    "center",
]
FRONT_MATTER = re.compile(r"\A\ufeff?\s*---\s*\n.*?\n---\s*\n", re.S)
TOP = 5


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def iter_posts(root: Path) -> Iterator[Path]:
    """Every .md file below root, sorted, hidden files and folders left out."""
    for path in sorted(root.rglob("*.md")):
        if not any(part.startswith(".") for part in path.relative_to(root).parts):
            yield path


def paragraphs(html: str) -> list[str]:
    """The text of an HTML body, one string per block element or <br>-separated line."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (line.strip() for line in soup.get_text().split("\n"))
    return [line for line in lines if line]


def read_archive(root: Path) -> tuple[list[str], int]:
    """Every paragraph of every post, and the number of posts."""
    texts: list[str] = []
    posts = 0
    for path in iter_posts(root):
        body = FRONT_MATTER.sub("", path.read_text(encoding="utf-8", errors="replace"), count=1)
        texts.extend(paragraphs(body))
        posts += 1
    return texts, posts


def fallback_questions(texts: list[str], count: int) -> list[str]:
    """Questions from the paragraphs themselves, for an archive bench.archive did not write."""
    step = max(len(texts) // max(count, 1), 1)
    return [texts[i][:14] + "是怎么回事？" for i in range(0, len(texts), step)][:count]


def run_queries(bm25: BM25Okapi, questions: list[str]) -> list[float]:
    """Seconds per question: jieba.lcut, get_scores, top 5."""
    times = []
    for question in questions:
        start = time.perf_counter()
        scores = bm25.get_scores(jieba.lcut(question))
        top = np.argpartition(-scores, min(TOP, len(scores) - 1))[:TOP]
        top[np.argsort(-scores[top])]
        times.append(time.perf_counter() - start)
    return times


def measure(root: Path, queries: int) -> dict[str, Any]:
    """The whole reference run, as a dict of figures."""
    start = time.perf_counter()
    jieba.setLogLevel(60)
    jieba.initialize()
    load_s = time.perf_counter() - start
    texts, posts = read_archive(root)
    read_s = time.perf_counter() - start - load_s
    mark = time.perf_counter()
    tokenized = [jieba.lcut(text) for text in texts]
    tokenize_s = time.perf_counter() - mark
    mark = time.perf_counter()
    bm25 = BM25Okapi(tokenized)
    build_s = time.perf_counter() - mark
    total_s = time.perf_counter() - start
    rss_after_build = peak_rss_mb()
    questions = load_questions(root, queries) or fallback_questions(texts, queries)
    times_ms = np.asarray(run_queries(bm25, questions)) * 1000
    return {
        "posts": posts,
        "paragraphs": len(texts),
        "characters": sum(map(len, texts)),
        "tokens": sum(map(len, tokenized)),
        "jieba_load_s": load_s,
        "read_parse_s": read_s,
        "tokenize_s": tokenize_s,
        "build_s": build_s,
        "total_s": total_s,
        "peak_rss_mb_build": rss_after_build,
        "peak_rss_mb": peak_rss_mb(),
        "queries": len(questions),
        "query_p50_ms": float(np.percentile(times_ms, 50)) if len(times_ms) else None,
        "query_p99_ms": float(np.percentile(times_ms, 99)) if len(times_ms) else None,
        "query_max_ms": float(times_ms.max()) if len(times_ms) else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.archive.is_dir():
        print(f"not a folder: {args.archive}", file=sys.stderr)
        return 1
    result = measure(args.archive, args.queries)
    print(
        f"{result['posts']} posts, {result['paragraphs']} paragraphs: read+parse {result['read_parse_s']:.1f} s, "
        f"jieba {result['tokenize_s']:.1f} s, BM25Okapi {result['build_s']:.1f} s, total {result['total_s']:.1f} s, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    if result["queries"]:
        print(
            f"{result['queries']} questions: p50 {result['query_p50_ms']:.1f} ms, p99 {result['query_p99_ms']:.1f} ms"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
