"""Load test: many simulated users ask the real bot at once, through the Bot API emulator.

Run from the repository root (not part of the test suite):

    python -m bench.load_bot [--users 50] [--corpus corpus] [--timeout 60]
    python -m bench.load_bot --corpus bench/out/archive-15000/archive --index bench/out/archive-15000/index

It starts tests/telegram_emulator.py on loopback and the real Application (bot.app) on a
temporary index of the corpus (or on `--index`, an existing one: the archive bench's, say, whose
questions then come from the archive's generator), lets every user send one question at the same
moment, and reports how many replies arrived, reply-time percentiles, errors and the process's
peak memory (bot and emulator together). The Application runs
as in production, AIORateLimiter included (30 requests/s overall), so the figures include
Telegram's flood limits; `--no-flood-limit` shows the bot's own speed without them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import resource
import shutil
import sys
import tempfile
import time
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


async def run(args: argparse.Namespace) -> dict[str, object]:
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    questions = (load_questions(args.corpus, args.users) if args.index else []) or QUESTIONS
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
        async with TelegramEmulator(token=TOKEN) as tg:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE_URL=tg.base_url,
                NEWSQA_MAX_CONCURRENT_SEARCHES=args.concurrency,
            )
            async with running(settings, engine, poll_timeout=1, flood_limit=not args.no_flood_limit):
                started = time.perf_counter()
                users = range(1_000_001, 1_000_001 + args.users)
                times = await asyncio.gather(
                    *(one_user(tg, user, questions[n % len(questions)], args.timeout) for n, user in enumerate(users))
                )
                wall = time.perf_counter() - started
            failed = tg.failed_calls()
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
        "max_concurrent_searches": args.concurrency,
        "passages": engine.stats().passages,
        "embedded": engine.stats().embedded,
        "peak_rss_mb_before_users": round(rss_before_users),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--corpus", type=Path, default=REPOSITORY / "corpus")
    parser.add_argument("--index", type=Path, help="an existing index of --corpus, used in place (not copied)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each reply")
    parser.add_argument("--concurrency", type=int, default=4, help="NEWSQA_MAX_CONCURRENT_SEARCHES")
    parser.add_argument("--no-flood-limit", action="store_true", help="build the bot without AIORateLimiter")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--embed", action="store_true", help="embed every passage before the users arrive")
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
            f"flood limit {'on' if report['flood_limit'] else 'off'}; passages embedded beforehand: {args.embed}; "
            f"{report['embedded']} of {report['passages']} passages with a stored vector; peak RSS "
            f"{report['peak_rss_mb']} MB ({report['peak_rss_mb_before_users']} MB before the users came)"
        )
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
