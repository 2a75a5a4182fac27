"""CPU a passage costs to prepare (read, parse, chunk, analyse), one process, no index writing.

    python -m bench.bench_prepare [--archive bench/out/archive-15000/archive] [--posts 2000]

The per-file work `newsqa index` hands to its worker processes (retrieval.prepare.prepare_file),
timed as process CPU time so that other work on the machine changes it little. Run
`python -m bench.bench_archive` first: it generates the archive.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from retrieval.ingest.scan import scan_corpus
from retrieval.prepare import FileTask, prepare_file

ARCHIVE = Path(__file__).resolve().parent / "out" / "archive-15000" / "archive"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    files = list(scan_corpus(args.archive).items())[: args.posts]
    if not files:
        raise SystemExit(f"no posts in {args.archive}: run python -m bench.bench_archive first")
    prepare_file(FileTask(*files[0][:1], files[0][1][0]))  # dictionary and parsers loaded outside the timing
    for _, (path, _) in files:
        Path(path).read_bytes()  # the page cache warm, as for the workers of a build
    started, passages = time.process_time(), 0
    for doc, (path, _) in files:
        passages += len(prepare_file(FileTask(doc, path)).passages)
    seconds = time.process_time() - started
    print(f"{len(files)} posts, {passages} passages: {seconds:.2f} s CPU, {seconds / passages * 1000:.3f} ms a passage")


if __name__ == "__main__":
    main()
