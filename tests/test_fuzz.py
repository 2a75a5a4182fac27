"""500 hostile updates through the real bot and the Bot API emulator (see tests/fuzz_messages.py).

Every addressed message gets exactly one reply, every callback and inline query exactly one
answer, group chatter none; Telegram would have rejected no call; no handler error is logged.
NEWSQA_FUZZ_SEED picks another seed (the default is fixed, so a failure can be replayed).
"""

from __future__ import annotations

import logging
import os

import pytest

from bot.app import running
from bot.settings import Settings
from retrieval.engine import Engine
from tests.fuzz_messages import BOT_NAME, HostileUpdates, Tally, play
from tests.telegram_emulator import TelegramEmulator

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(240)]  # about 40 s on 2 idle cores

TOKEN = "123456789:AAEfuzzTOKENfuzzTOKENfuzzTOKEN123"
UPDATES = 500
SEED = int(os.environ.get("NEWSQA_FUZZ_SEED", "11"))


def fuzz_settings(tg: TelegramEmulator) -> Settings:
    """The bot as deployed, but no user is rate-limited (the fuzzer is many fast users)."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=tg.base_url,
        NEWSQA_QUESTIONS_PER_MINUTE=100_000,
    )


def describe(tally: Tally) -> str:
    problems = [("unanswered", tally.unanswered), ("answered twice", tally.answered_twice),
                ("answered though not addressed", tally.answered_unaddressed)]  # fmt: skip
    lines = [f"{name}: {e.kind} {e.key} {e.label}" for name, found in problems for e in found[:10]]
    return "\n".join(lines)


async def test_hostile_updates_each_get_exactly_their_answer(
    bundled_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in bundled_engine.embed_passages():  # as `newsqa index --embed`: no user waits for it
        pass
    # Privacy mode off: the bot receives all group chatter and must itself stay silent.
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME, privacy_mode=False) as tg:
        async with running(fuzz_settings(tg), bundled_engine, poll_timeout=1, flood_limit=False):
            expectations, answers = await play(tg, HostileUpdates(SEED), UPDATES, wave=50, timeout=60)
        tally = Tally.of(answers, expectations)
        rejected = tg.failed_calls()
    assert tally.sent == UPDATES
    assert tally.addressed > UPDATES // 2 and tally.addressed < UPDATES  # both kinds were sent
    assert not (tally.unanswered or tally.answered_twice or tally.answered_unaddressed), describe(tally)
    assert not rejected, "\n".join(f"{c.method} {c.params} -> {c.description}" for c in rejected[:10])
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "\n".join(f"{r.name}: {r.getMessage()}" for r in errors[:10])
