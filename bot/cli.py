"""The `newsqa` command line: index, ask, search --json, chat, bot (see design.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from retrieval.engine import Engine
from retrieval.index import RefreshReport
from retrieval.search import Hit

from .settings import Settings, load_settings, settings_error_line

T = TypeVar("T")


def _progress(items: Iterable[T], total: int) -> Iterable[T]:
    """A progress bar (rate and time left) on standard error while many files are read."""
    from tqdm import tqdm

    return tqdm(items, total=total, desc="indexing", unit="file", file=sys.stderr, disable=total < 50)


def open_engine(settings: Settings, corpus: Path | None = None, index: Path | None = None) -> Engine:
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if index is not None:
        settings = settings.model_copy(update={"index_dir": index})
    return Engine(settings.corpus_dir, settings.resolved_index_dir, progress=_progress)


def print_report(report: RefreshReport, engine: Engine, out=None) -> None:
    out = out or sys.stdout  # looked up at call time, so redirections and capture work
    stats = engine.stats()
    span = f"{stats.first_day} to {stats.last_day}" if stats.first_day else "no dates"
    print(
        f"indexed {stats.articles} articles, {stats.passages} passages ({span}); "
        f"this run: {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged",
        file=out,
    )
    for doc, original in report.duplicates:
        print(f"duplicate: {doc}: same article as {original}", file=out)
    for doc, warning in report.warnings:
        print(f"warning: {doc}: {warning}", file=out)
    for skipped in report.skipped:
        print(f"skipped: {skipped.doc}: {skipped.reason}", file=out)


def hit_json(rank: int, hit: Hit) -> dict[str, object]:
    return {
        "rank": rank,
        "score": round(hit.score, 4),
        "doc": hit.doc,
        "title": hit.title,
        "date": hit.published.isoformat() if hit.published else None,
        "source": hit.source,
        "chunk": hit.chunk,
        "text": hit.text,
    }


def command_index(args: argparse.Namespace, settings: Settings) -> int:
    engine = open_engine(settings, args.corpus, args.index)
    report = engine.last_report or engine.refresh(_progress)
    print_report(report, engine)
    if args.embed:
        from tqdm import tqdm

        from retrieval.semantic import EMBED_BATCH

        total = engine.stats().passages
        with tqdm(total=total, unit="passage", desc="embedding", disable=total < 1000, file=sys.stderr) as bar:
            new = 0
            for count in engine.embed_passages():
                new += count
                bar.update(min(EMBED_BATCH, total - bar.n))
        print(f"semantic rerank: {new} passages embedded now, {total - new} were already stored")
    return 0


def command_search(args: argparse.Namespace, settings: Settings) -> int:
    engine = open_engine(settings, args.corpus, args.index)
    queries: Iterable[str] = [" ".join(args.query)] if args.query else (line.rstrip("\n") for line in sys.stdin)
    for query in queries:
        if not query.strip():
            continue
        hits = engine.search(query, k=args.k)
        record = {"query": query, "hits": [hit_json(rank, hit) for rank, hit in enumerate(hits, 1)]}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


def command_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .local_chat import ask_once

    engine = open_engine(settings, args.corpus, args.index)
    print(ask_once(engine, settings, " ".join(args.question)))
    return 0


def command_chat(args: argparse.Namespace, settings: Settings) -> int:
    from .local_chat import run_chat

    engine = open_engine(settings, args.corpus, args.index)
    return run_chat(engine, settings, sys.stdin, sys.stdout)


def command_bot(args: argparse.Namespace, settings: Settings) -> int:
    from .app import run_bot, token_problem

    problem = token_problem(settings)
    if problem:  # before the index is opened: a bad token should fail fast
        print(problem, file=sys.stderr)
        return 2
    return run_bot(settings, open_engine(settings, args.corpus, args.index))


def command_start(args: argparse.Namespace, settings: Settings) -> int:
    """The quick-start entry: the Telegram bot with a token, else the local chat."""
    if settings.telegram_bot_token is not None:
        return command_bot(args, settings)
    print("TELEGRAM_BOT_TOKEN is not set: starting the local chat over", settings.corpus_dir, file=sys.stderr)
    return command_chat(args, settings)


def command_health(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the running bot's heartbeat file is fresh (the container health check)."""
    import time

    path = settings.heartbeat_file
    if path is None:
        print("unhealthy: NEWSQA_HEARTBEAT_FILE is not set", file=sys.stderr)
        return 1
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        print(f"unhealthy: no heartbeat at {path} (is the bot running?)", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"unhealthy: last heartbeat {age:.0f}s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age:.0f}s ago")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsqa", description="Ask an archive of Chinese news.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--corpus", type=Path, help="corpus folder (default: NEWSQA_CORPUS_DIR or corpus/)")
        sub.add_argument("--index", type=Path, help="index folder (default: NEWSQA_INDEX_DIR)")
        return sub

    index = add("index", "build or refresh the index and report skipped files")
    embed_help = "also embed every passage for the semantic rerank now (about 0.1 s each on 2 cores)"
    index.add_argument("--embed", action="store_true", help=embed_help)
    index.set_defaults(run=command_index)
    ask = add("ask", "print the answer as the bot would word it")
    ask.add_argument("question", nargs="+")
    ask.set_defaults(run=command_ask)
    search = add("search", "print hits as JSON, one line per query")
    search.add_argument("--json", action="store_true", default=True, help="JSON output (the only format)")
    search.add_argument("-k", type=int, default=5, help="hits per query (default 5)")
    search.add_argument("query", nargs="*")
    search.set_defaults(run=command_search)
    add("chat", "interactive local chat through the bot's handlers").set_defaults(run=command_chat)
    add("bot", "run the Telegram bot").set_defaults(run=command_bot)
    add("start", "the bot if TELEGRAM_BOT_TOKEN is set, else the local chat").set_defaults(run=command_start)
    health = commands.add_parser("health", help="exit 0 if the running bot's heartbeat is fresh")
    health.add_argument("--max-age", type=float, default=90.0, help="seconds (default 90)")
    health.set_defaults(run=command_health)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(settings_error_line(error), file=sys.stderr)
        return 2
    try:
        return args.run(args, settings)
    except (FileNotFoundError, NotADirectoryError, PermissionError, OSError, ValueError) as error:
        print(f"newsqa: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
