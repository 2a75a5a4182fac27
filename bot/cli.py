"""The `newsqa` command line: index, ask, search --json, chat, bot (see design.md)."""

from __future__ import annotations

import argparse
import json
import os
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
    check_corpus(settings.corpus_dir)
    return Engine(settings.corpus_dir, settings.resolved_index_dir, progress=_progress,
                  embed_budget=settings.embed_budget)  # fmt: skip


def check_corpus(folder: Path) -> None:
    """Fail with one line naming NEWSQA_CORPUS_DIR when the corpus folder is missing."""
    if not folder.exists():
        raise FileNotFoundError(f"corpus folder not found: {folder} (set NEWSQA_CORPUS_DIR or pass --corpus)")
    if not folder.is_dir():
        raise NotADirectoryError(f"corpus is not a folder: {folder} (set NEWSQA_CORPUS_DIR or pass --corpus)")


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
        embed(engine)
    else:
        stats = engine.stats()
        print(f"semantic: {stats.embedded} of {stats.passages} passages embedded "
              "(newsqa index --embed embeds the rest now; the bot does it in the background)")  # fmt: skip
    return 0


def embed(engine: Engine) -> None:
    """`index --embed`: every passage without a vector, with a progress bar (rate, time left)."""
    from tqdm import tqdm

    from retrieval.embedder import Start
    from retrieval.vector_index import WriterBusy

    spinning_engine_threads()  # 12.2 passages/s against 10.9 with threads that sleep

    bar, embedded, stored = None, 0, 0
    try:
        for step in engine.embed_passages():
            if isinstance(step, Start):
                stored = step.stored
                bar = tqdm(total=step.total, unit="passage", desc="embedding", file=sys.stderr, disable=step.total < 64)
            else:
                embedded += step
                if bar is not None:
                    bar.update(step)
    except WriterBusy as error:
        raise OSError(f"{error} (the running bot embeds in the background; try again when it is done)") from None
    finally:
        if bar is not None:
            bar.close()
    print(f"semantic: {embedded} passages embedded now, {stored} were already stored")


def spinning_engine_threads() -> None:
    """In a foreground process that has the cores to itself (`index --embed`, a one-question
    `search` or `ask`), the engine's threads spin between the steps of a model call rather than
    sleep: a question costs 20 ms against 33 ms. The bot and its background embedder keep the
    passive policy (retrieval.semantic.load_model), which leaves the cores to others."""
    os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")


def is_one_shot(args: argparse.Namespace) -> bool:
    """A command that answers one question and exits (see bot.launch)."""
    return args.command == "ask" or (args.command == "search" and bool(args.query))


def command_search(args: argparse.Namespace, settings: Settings) -> int:
    if args.query:
        spinning_engine_threads()
    engine = open_engine(settings, args.corpus, args.index)
    queries: Iterable[str] = [" ".join(args.query)] if args.query else (line.rstrip("\n") for line in sys.stdin)
    try:
        for query in queries:
            if not query.strip():
                continue
            hits = engine.search(query, k=args.k)
            record = {"query": query, "hits": [hit_json(rank, hit) for rank, hit in enumerate(hits, 1)]}
            print(json.dumps(record, ensure_ascii=False), flush=True)
    finally:
        engine.close()
    return 0


def command_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .local_chat import ask_once

    spinning_engine_threads()
    engine = open_engine(settings, args.corpus, args.index)
    try:
        print(ask_once(engine, settings, " ".join(args.question), quotes=args.k, stderr=sys.stderr))
    finally:
        engine.close()
    return 0


def command_chat(args: argparse.Namespace, settings: Settings, engine: Engine | None = None) -> int:
    from .local_chat import run_chat

    engine = engine or open_engine(settings, args.corpus, args.index)
    return run_chat(engine, settings, sys.stdin, sys.stdout, sys.stderr)


def command_bot(args: argparse.Namespace, settings: Settings) -> int:
    from . import logs
    from .app import run_bot, token_problem
    from .config_wait import usable_settings
    from .examples import warm_up
    from .health import StartingHeartbeat

    if token_problem(settings):  # before the index is opened; waits rather than exits (bot.config_wait)
        found = usable_settings(load_settings)
        if found is None:
            return 0
        settings = found
    logs.configure(settings.log_level)  # the index's own lines (a rebuild after damage) look like the bot's
    with StartingHeartbeat(settings.heartbeat_file):  # a first index build is "starting", not "unhealthy"
        engine = open_engine(settings, args.corpus, args.index)
    if not settings.example_questions:
        warm_up(engine)  # /start's examples from the archive, checked in the background
    return run_bot(settings, engine)


def command_start(args: argparse.Namespace, settings: Settings) -> int:
    """The quick-start entry: the Telegram bot with a token, else the local chat."""
    if settings.telegram_bot_token is not None:
        return command_bot(args, settings)
    engine = open_engine(settings, args.corpus, args.index)  # a missing corpus fails before any greeting
    print("TELEGRAM_BOT_TOKEN is not set: starting the local chat over", engine.corpus_dir, file=sys.stderr)
    return command_chat(args, settings, engine)


def command_health(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when the bot's heartbeat file is fresh, running or starting (the container health check)."""
    from .health import check

    healthy, line = check(settings.heartbeat_file, args.max_age)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def package_version() -> str:
    """newsqa's version, from the installed package's metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsqa")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


DESCRIPTION = """Ask an archive of Chinese news questions in plain Chinese. Answers quote the articles
word for word, with title, date and source; when nothing answers, newsqa says so."""
EPILOG = """Settings come from the environment and .env (see .env.example): NEWSQA_CORPUS_DIR, TELEGRAM_BOT_TOKEN, ...
`newsqa COMMAND --help` describes a command."""
COMMANDS = {
    "index": ("build or refresh the index; report skipped files",
              "Build the index of the corpus folder, or bring it up to date with added, changed and removed "
              "files. Prints what was indexed and every file skipped, with the reason."),
    "ask": ("print the answer to one question, as the bot would word it",
            "Print the answer to QUESTION as terminal text, exactly as the bot words it, followed by the "
            "further quotes the bot would show behind its \"more\" button."),
    "search": ("print hits as JSON Lines, one line per query",
               "Search the index and print one JSON object per query on one line: "
               '{"query": ..., "hits": [{"rank", "score", "doc", "title", "date", "source", "chunk", "text"}]}; '
               "an empty hits list means no answer. With no QUERY, reads queries from standard input, one a "
               "line, loading the index once."),
    "chat": ("the interactive local chat, through the bot's handlers",
             "Chat with the archive in the terminal, through the bot's own handler layer: type a question, or "
             "/help, /more, /search, /latest, /start; /quit or Ctrl-D ends. Reads one question a line when "
             "standard input is not a terminal."),
    "bot": ("run the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
            "Run the Telegram bot: long polling, or a webhook when NEWSQA_WEBHOOK_URL is set."),
    "start": ("the bot if TELEGRAM_BOT_TOKEN is set, else the local chat",
              "The quick-start entry (./scripts/run): the Telegram bot when TELEGRAM_BOT_TOKEN is set in the "
              "environment or .env, else the local chat."),
    "health": ("exit 0 while the bot's heartbeat is fresh (the container health check)",
               "Exit 0 while the heartbeat file (NEWSQA_HEARTBEAT_FILE) is fresh: the bot is running, or still "
               "starting (building the index); else print why and exit 1."),
}  # fmt: skip
CORPUS_HELP = "the folder of articles (default: NEWSQA_CORPUS_DIR, else the bundled corpus/)"
INDEX_HELP = "the index folder (default: NEWSQA_INDEX_DIR, else one per corpus in the user's cache folder)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsqa", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"newsqa {package_version()}", help="print the version")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    def add(name: str, corpus: bool = True) -> argparse.ArgumentParser:
        summary, description = COMMANDS[name]
        sub = commands.add_parser(name, help=summary, description=description)
        if corpus:
            sub.add_argument("--corpus", type=Path, metavar="DIR", help=CORPUS_HELP)
            sub.add_argument("--index", type=Path, metavar="DIR", help=INDEX_HELP)
        return sub

    index = add("index")
    embed_help = "also embed every passage that has no vector yet (resumable; about 11 passages/s on 2 cores)"
    index.add_argument("--embed", action="store_true", help=embed_help)
    index.set_defaults(run=command_index)
    ask = add("ask")
    ask.add_argument("question", nargs="+", metavar="QUESTION",
                     help="the question, in Chinese (several words are joined with spaces)")  # fmt: skip
    ask.add_argument("-k", type=_positive, metavar="N",
                     help="print only the first N quotes (default: all the bot would show, up to 9)")  # fmt: skip
    ask.set_defaults(run=command_ask)
    search = add("search")
    search.add_argument("--json", action="store_true", default=True,
                        help="print JSON Lines (optional: the default and only format)")  # fmt: skip
    search.add_argument("-k", type=_positive, default=5, metavar="N", help="hits per query (default 5)")
    search.add_argument("query", nargs="*", metavar="QUERY",
                        help="the query (several words are joined with spaces); without one, queries are read "
                             "from standard input, one a line")  # fmt: skip
    search.set_defaults(run=command_search)
    add("chat").set_defaults(run=command_chat)
    add("bot").set_defaults(run=command_bot)
    add("start").set_defaults(run=command_start)
    health = add("health", corpus=False)
    health.add_argument("--max-age", type=float, default=90.0, metavar="SECONDS",
                        help="the oldest heartbeat that counts as fresh (default 90)")  # fmt: skip
    health.set_defaults(run=command_health)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        if args.command != "bot":
            print(settings_error_line(error), file=sys.stderr)
            return 2
        from .config_wait import usable_settings

        found = usable_settings(load_settings)  # the bot waits: an exit would loop under Docker
        if found is None:
            return 0
        settings = found
    try:
        return args.run(args, settings)
    except (OSError, ValueError) as error:
        print(f"newsqa: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # one line, no traceback (NEWSQA_LOG_LEVEL=DEBUG shows it)
        if settings.log_level == "DEBUG":
            raise
        print(f"newsqa: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
