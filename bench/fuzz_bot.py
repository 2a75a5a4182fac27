"""Fuzzing at volume: hostile updates through the real bot and the Bot API emulator.

Run from the repository root (not part of the test suite):

    python -m bench.fuzz_bot --messages 10000 [--seed N] [--wave 200] [--flood-limit]

It runs tests/fuzz_messages.py's generator (the one tests/test_fuzz.py runs 500 of) against
the real Application (bot.app) on a temporary index of the corpus and prints: messages sent,
addressed, replies, crashes (ERROR records, which the bot's error handler writes for every
failed update), calls the emulator rejected as Telegram would, addressed updates left
unanswered (or answered twice, or answered though not addressed), wall time, replies per
second and the process's peak RSS. Exit status 0 when nothing went wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.app import running
from bot.settings import REPOSITORY, Settings
from retrieval.engine import Engine
from tests.fuzz_messages import BOT_NAME, HostileUpdates, Tally, play
from tests.telegram_emulator import ApiCall, TelegramEmulator

TOKEN = "123456789:AAEfuzzBENCHfuzzBENCHfuzzBENCH123"


class ErrorCounter(logging.Handler):
    """Keeps every ERROR record (a crash of a handler, or anything worse)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fuzz(args: argparse.Namespace, engine: Engine) -> tuple[Tally, list[ApiCall], float]:
    """Run the fuzzer; the tally, the rejected calls and the wall time."""
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME, privacy_mode=False) as tg:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=tg.base_url,
            NEWSQA_QUESTIONS_PER_MINUTE=10**6,
        )
        async with running(settings, engine, poll_timeout=1, flood_limit=args.flood_limit):
            started = time.perf_counter()
            expectations, answers = await play(tg, HostileUpdates(args.seed), args.messages, wave=args.wave,
                                               timeout=args.timeout, progress=args.verbose)  # fmt: skip
            wall = time.perf_counter() - started
        return Tally.of(answers, expectations), tg.failed_calls(), wall


def report(args: argparse.Namespace, tally: Tally, rejected: list[ApiCall], crashes: list[logging.LogRecord],
           wall: float) -> list[tuple[str, str]]:  # fmt: skip
    """The printed table's rows."""
    command = f"python -m bench.fuzz_bot --messages {args.messages} --seed {args.seed} --wave {args.wave}"
    return [
        ("command", command + (" --flood-limit" if args.flood_limit else "")),
        ("messages sent (updates)", str(tally.sent)),
        ("addressed to the bot", str(tally.addressed)),
        ("replies and query answers", str(tally.replies)),
        ("crashes (handler errors)", str(len(crashes))),
        ("emulator rejections", str(len(rejected))),
        ("unanswered addressed", str(len(tally.unanswered))),
        ("answered twice", str(len(tally.answered_twice))),
        ("answered though not addressed", str(len(tally.answered_unaddressed))),
        ("wall time", f"{wall:.1f} s"),
        ("replies/s", f"{tally.replies / wall:.1f}"),
        ("peak RSS", f"{peak_rss_mb():.0f} MB"),
    ]


def details(tally: Tally, rejected: list[ApiCall], crashes: list[logging.LogRecord]) -> list[str]:
    """A few examples of each kind of failure, to start debugging from."""
    lines = [f"crash: {r.name}: {r.getMessage()}" for r in crashes[:5]]
    reasons = Counter(f"{c.method}: {c.description}" for c in rejected)
    lines += [f"rejected {n}x {reason}" for reason, n in reasons.most_common(5)]
    for name, found in (("unanswered", tally.unanswered), ("twice", tally.answered_twice),
                        ("unaddressed", tally.answered_unaddressed)):  # fmt: skip
        lines += [f"{name}: {e.kind} {e.key} {e.label}" for e in found[:5]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="hostile updates to send")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wave", type=int, default=200, help="updates sent before waiting for their answers")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a wave may take to be answered")
    parser.add_argument("--corpus", type=Path, default=REPOSITORY / "corpus")
    parser.add_argument("--flood-limit", action="store_true", help="keep AIORateLimiter (30 requests/s)")
    parser.add_argument("--no-embed", action="store_true", help="do not embed the passages beforehand")
    parser.add_argument("--verbose", action="store_true", help="print each wave's progress")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    crashes = ErrorCounter()
    logging.getLogger().addHandler(crashes)
    with tempfile.TemporaryDirectory(prefix="newsqa-fuzz-") as scratch:
        corpus = Path(scratch) / "corpus"
        shutil.copytree(args.corpus, corpus, ignore=shutil.ignore_patterns(".*"))
        engine = Engine(corpus, Path(scratch) / "index")
        if not args.no_embed:  # as after `newsqa index --embed`: no passage is embedded while users wait
            for _ in engine.embed_passages():
                pass
        tally, rejected, wall = asyncio.run(fuzz(args, engine))
        engine.close()
    rows = report(args, tally, rejected, crashes.records, wall)
    width = max(len(name) for name, _ in rows)
    print("\n".join(f"{name:<{width}}  {value}" for name, value in rows))
    for line in details(tally, rejected, crashes.records):
        print(line, file=sys.stderr)
    failed = crashes.records or rejected or tally.unanswered or tally.answered_twice or tally.answered_unaddressed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
