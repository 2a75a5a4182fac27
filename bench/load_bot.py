"""Load test: many simulated users ask the real bot at once, through the Bot API emulator.

Run from the repository root (not part of the test suite):

    python -m bench.load_bot [--users 50] [--corpus corpus] [--timeout 60]
    python -m bench.load_bot --corpus bench/out/archive-15000/archive --index bench/out/archive-15000/index

It starts tests/telegram_emulator.py on loopback and `newsqa bot` in its own process (as Telegram
and the bot are apart in production) on a temporary index of the corpus (or on `--index`, an
existing one: the archive bench's, say, whose questions then come from the archive's
generator), lets every user send one question at the same moment once the bot polls, and reports
how many replies arrived, reply-time percentiles, errors and peak memory. The bot runs as in
production, Telegram's flood limits included (30 requests/s overall). `--in-process` runs the
Application in the bench's own process instead, beside the emulator (the emulator's own work then
shares the bot's interpreter), where `--no-flood-limit` shows the bot's speed without them. By default
the users cycle through ten questions (as a crowd asks about the same news); `--distinct` gives
each user a question of its own (the ten, then the news set's questions about the bundled
articles), so that no reply comes from a question asked before.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.archive import load_questions
from bot.app import running
from bot.settings import REPOSITORY, Settings
from retrieval.engine import SEED_VECTORS, Engine
from tests.telegram_emulator import TelegramEmulator

TOKEN = "123456789:AAEloadTESTloadTESTloadTEST12345"
QUESTIONS = [
    "包保责任制是怎么安排的",
    "4月6日上海召开了什么会议？",
    "月浦镇全员核酸检测人口有多少？",
    "上海物资保供怎么做",
    "李强在会上强调了什么",
    "核酸筛查",
    "比特币今天价格多少",
    "社会面清零",
    "3月23日市委常委会部署了哪些工作",
    "医疗救助通道",
]


NEWS_QUESTIONS = REPOSITORY / "eval" / "news_questions.jsonl"


def distinct_questions(corpus: Path, count: int) -> list[str]:
    """`count` different questions: QUESTIONS, then the news set's about the articles of `corpus`."""
    articles = {path.name for path in corpus.iterdir()}
    asked = list(QUESTIONS)
    for line in NEWS_QUESTIONS.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        if question["file"] in articles and question["question"] not in asked:
            asked.append(question["question"])
    if len(asked) < count:
        raise SystemExit(f"only {len(asked)} different questions about {corpus}; ask for fewer users")
    return asked[:count]


class ErrorCounter(logging.Handler):
    """Counts ERROR records (the bot's error handler logs every failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def one_user(tg: TelegramEmulator, user_id: int, question: str, timeout: float) -> float | None:
    started = time.perf_counter()
    sent = await tg.send_private_text(user_id, question)
    try:
        await tg.wait_for_bot_messages(user_id, after_message_id=sent["message_id"], timeout=timeout)
    except TimeoutError:
        return None
    return time.perf_counter() - started


async def everyone_asks(tg: TelegramEmulator, users: range, questions: list[str], timeout: float) -> list[float | None]:
    """Every user sends a question at once; each one's reply time (None: no reply in time)."""
    return await asyncio.gather(
        *(one_user(tg, user, questions[n % len(questions)], timeout) for n, user in enumerate(users))
    )


@contextlib.asynccontextmanager
async def bot_process(tg: TelegramEmulator, corpus: Path, index: Path, concurrency: int,
                      log_path: Path) -> AsyncIterator[None]:  # fmt: skip
    """`newsqa bot` on the emulator, from its first long poll until SIGTERM has stopped it."""
    environment = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url,
                   "NEWSQA_CORPUS_DIR": str(corpus), "NEWSQA_INDEX_DIR": str(index),
                   "NEWSQA_MAX_CONCURRENT_SEARCHES": str(concurrency)}  # fmt: skip
    with open(log_path, "wb") as log:
        bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "bot", cwd=REPOSITORY,
                                                   env=environment, stdout=log, stderr=log)  # fmt: skip
        try:
            await tg._wait(lambda: any(call.method == "getUpdates" for call in tg.calls), timeout=300)
            yield
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(bot.wait(), 30)
                except TimeoutError:
                    bot.kill()
                    await bot.wait()


async def run(args: argparse.Namespace) -> dict[str, object]:
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    questions = (load_questions(args.corpus, args.users) if args.index else []) or (
        distinct_questions(args.corpus, args.users) if args.distinct else QUESTIONS
    )
    with tempfile.TemporaryDirectory(prefix="newsqa-load-") as scratch:
        if args.index:
            engine = Engine(args.corpus, args.index)
        else:
            corpus = Path(scratch) / "corpus"
            # Hidden files stay out, but the corpus's precomputed vectors come along, as for a user.
            shutil.copytree(
                args.corpus,
                corpus,
                ignore=lambda _, names: [n for n in names if n.startswith(".") and n != SEED_VECTORS],
            )
            engine = Engine(corpus, Path(scratch) / "index")
        rss_before_users = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.embed:  # as after `newsqa index --embed`: no passage is embedded while users wait
            for _ in engine.embed_passages():
                pass
        corpus_dir = args.corpus if args.index else corpus
        index_dir = args.index or Path(scratch) / "index"
        users = range(1_000_001, 1_000_001 + args.users)
        async with TelegramEmulator(token=TOKEN) as tg:
            if args.in_process:
                settings = Settings(  # type: ignore[call-arg]
                    _env_file=None,
                    TELEGRAM_BOT_TOKEN=TOKEN,
                    TELEGRAM_API_BASE_URL=tg.base_url,
                    NEWSQA_MAX_CONCURRENT_SEARCHES=args.concurrency,
                )
                async with running(settings, engine, poll_timeout=1, flood_limit=not args.no_flood_limit):
                    started = time.perf_counter()
                    times = await everyone_asks(tg, users, questions, args.timeout)
                    wall = time.perf_counter() - started
                engine.close()
            else:
                engine.close()  # the bot process opens the index itself
                log_path = Path(scratch) / "bot.log"
                async with bot_process(tg, corpus_dir, index_dir, args.concurrency, log_path):
                    started = time.perf_counter()
                    times = await everyone_asks(tg, users, questions, args.timeout)
                    wall = time.perf_counter() - started
                logged = log_path.read_text(errors="replace").splitlines()
                errors.messages += [line for line in logged if " ERROR " in line]
            failed = tg.failed_calls()
        engine = Engine(corpus_dir, index_dir)
        stats = engine.stats()
        engine.close()
    received = [t for t in times if t is not None]
    return {
        "users": args.users,
        "replies": len(received),
        "p50_s": round(percentile(received, 0.50), 3) if received else None,
        "p99_s": round(percentile(received, 0.99), 3) if received else None,
        "max_s": round(max(received), 3) if received else None,
        "wall_s": round(wall, 3),
        "errors": len(errors.messages) + len(failed) + (args.users - len(received)),
        "error_log_lines": len(errors.messages),
        "rejected_api_calls": len(failed),
        "missing_replies": args.users - len(received),
        "flood_limit": not args.no_flood_limit,
        "questions": len(set(questions[n % len(questions)] for n in range(args.users))),
        "max_concurrent_searches": args.concurrency,
        "passages": stats.passages,
        "embedded": stats.embedded,
        "bot": "in the bench's process" if args.in_process else "`newsqa bot`, its own process",
        "peak_rss_mb_before_users": round(rss_before_users),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "bot_peak_rss_mb": None
        if args.in_process
        else round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--corpus", type=Path, default=REPOSITORY / "corpus")
    parser.add_argument("--index", type=Path, help="an existing index of --corpus, used in place (not copied)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each reply")
    parser.add_argument("--concurrency", type=int, default=8, help="NEWSQA_MAX_CONCURRENT_SEARCHES")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the bot in this process, next to the emulator (default: `newsqa bot` apart)",
    )
    parser.add_argument(
        "--no-flood-limit", action="store_true", help="with --in-process: build the bot without Telegram's flood limits"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--embed", action="store_true", help="embed every passage before the users arrive")
    parser.add_argument("--distinct", action="store_true", help="a different question for every user")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    report = asyncio.run(run(args))
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{report['replies']}/{report['users']} replies; reply time p50 {report['p50_s']} s, "
            f"p99 {report['p99_s']} s, max {report['max_s']} s; all answered in {report['wall_s']} s; "
            f"errors {report['errors']} (error log lines {report['error_log_lines']}, "
            f"rejected API calls {report['rejected_api_calls']}, missing replies {report['missing_replies']}); "
            f"flood limit {'on' if report['flood_limit'] else 'off'}; {report['questions']} different questions; "
            f"bot: {report['bot']}; passages embedded beforehand: {args.embed}; "
            f"{report['embedded']} of {report['passages']} passages with a stored vector; peak RSS "
            f"{report['peak_rss_mb']} MB ({report['peak_rss_mb_before_users']} MB before the users came), "
            f"the bot process's {report['bot_peak_rss_mb']} MB"
        )
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
