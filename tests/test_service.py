"""`newsqa bot` against a Bot API that is down, refuses the token, or fails and recovers.

The bot runs as a real process (`python -m bot.cli bot`) pointed at a closed port on
loopback or at the emulator switched to answer errors; the tests read its log lines and
stop it with SIGTERM, as Docker and systemd do. Then, in process: a clean stop with a
question still being searched, the backoff, and the one-line log format.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot import app, logs, messages
from bot.config_wait import usable_settings
from bot.service import MAX_DELAY, TOKEN_REJECTED, Backoff
from bot.settings import Settings
from retrieval.engine import Engine
from tests.conftest import BUNDLED_CORPUS, REPOSITORY, copy_corpus
from tests.telegram_emulator import TelegramEmulator

pytestmark = pytest.mark.timeout(60)

TOKEN = "123456789:AAEserviceTOKENserviceTOKENserv12"
USER = 4242
STOP_WITHIN = 10.0  # seconds from SIGTERM to exit
STARTUP = 30.0  # seconds for the process to open its index and try Telegram


class BotProcess:
    """`newsqa bot` in a subprocess, its standard error collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, predicate: Callable[[str], bool], timeout: float = STARTUP) -> str:
        """The first line (old or new) for which `predicate` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if predicate(line)), None)
            if found is not None:
                return found
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"no such line within {timeout} s; the bot wrote:\n{self.text}")

    async def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit status and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(self.process.wait(), STOP_WITHIN + 5)
        await self._reader
        return status, time.monotonic() - started


@contextlib.asynccontextmanager
async def bot_process(tmp_path: Path, api_base_url: str, token: str = TOKEN) -> AsyncIterator[BotProcess]:
    """The bot over a copy of the bundled corpus, everything it writes in `tmp_path`."""
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("NEWSQA_", "TELEGRAM_"))},
        "PYTHONPATH": str(REPOSITORY),
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": api_base_url,
        "NEWSQA_CORPUS_DIR": str(corpus),
        "NEWSQA_INDEX_DIR": str(tmp_path / "index"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "NEWSQA_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "bot", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = BotProcess(process)
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_short_lines(bot: BotProcess) -> None:
    assert "Traceback" not in bot.text, bot.text
    assert all(len(line) < 300 for line in bot.lines), bot.text


@pytest.mark.timeout(45)
async def test_unreachable_api_is_retried_quietly_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    async with bot_process(tmp_path, f"http://127.0.0.1:{closed_port()}/bot") as bot:
        await bot.wait_for_line(lambda line: "unreachable" in line)
        await asyncio.sleep(5)
        assert bot.process.returncode is None, bot.text  # still running, still trying
        attempts = [line for line in bot.lines if "unreachable" in line]
        assert len(attempts) >= 3 and "retrying in 4 s" in bot.text  # backoff 1, 2, 4 s
        status, took = await bot.terminate()
    assert status == 0 and took < STOP_WITHIN, bot.text
    assert_short_lines(bot)


@pytest.mark.timeout(45)
async def test_rejected_token_is_one_line_and_the_process_waits(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TOKEN) as tg:
        tg.fail_requests(401, "Unauthorized")
        async with bot_process(tmp_path, tg.base_url) as bot:
            line = await bot.wait_for_line(lambda line: "TELEGRAM_BOT_TOKEN" in line)
            await asyncio.sleep(3)
            assert bot.process.returncode is None, bot.text  # no exit, so no restart loop
            status, took = await bot.terminate()
    assert TOKEN_REJECTED in line and "10 minutes" in line
    assert [x for x in bot.lines if "TELEGRAM_BOT_TOKEN" in x] == [line]  # one attempt, one line
    assert TOKEN not in bot.text and TOKEN.partition(":")[2] not in bot.text
    assert status == 0 and took < STOP_WITHIN, bot.text
    assert_short_lines(bot)


@pytest.mark.timeout(60)
async def test_server_errors_at_start_and_later_then_the_bot_answers(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TOKEN) as tg:
        tg.fail_requests(500, "Internal Server Error")
        async with bot_process(tmp_path, tg.base_url) as bot:
            await bot.wait_for_line(lambda line: "signing in" in line and "Internal Server Error" in line)
            tg.recover()
            await bot.wait_for_line(lambda line: "signed in as @" in line)
            await ask_and_wait(tg, "包保责任制是怎么安排的")
            # An outage while serving: the long poll under way still delivers; the next ones fail.
            tg.fail_requests(502, "Bad Gateway", methods={"getUpdates"})
            during = await tg.send_private_text(USER, "上海物资保供怎么做")
            await bot.wait_for_line(lambda line: "fetching updates" in line and "Bad Gateway" in line)
            tg.recover()
            await tg.wait_for_bot_messages(USER, after_message_id=during["message_id"], timeout=30)
            await ask_and_wait(tg, "月浦镇全员核酸检测人口有多少")
            status, took = await bot.terminate()
    assert "reachable again" in bot.text
    assert status == 0 and took < STOP_WITHIN, bot.text
    assert_short_lines(bot)


async def ask_and_wait(tg: TelegramEmulator, question: str) -> None:
    sent = await tg.send_private_text(USER, question)
    [reply] = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=30)
    assert "2022-" in reply.text


# ------------------------------------------------------------------ in process


async def test_a_question_still_searched_at_stop_gets_a_polite_answer(
    bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "STOP_GRACE", 0.5)
    searching = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_answer(*args: object, **kwargs: object) -> None:
        loop.call_soon_threadsafe(searching.set)
        time.sleep(2)
        raise AssertionError("the search outlived the stop: its result must be dropped")

    async with TelegramEmulator(token=TOKEN) as tg:
        settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=tg.base_url)  # type: ignore[call-arg]
        async with app.running(settings, bundled_engine, poll_timeout=1):
            monkeypatch.setattr(bundled_engine, "answer", slow_answer)
            sent = await tg.send_private_text(USER, "上海")
            await asyncio.wait_for(searching.wait(), 10)
        [reply] = tg.bot_messages(USER)
        assert reply.text == messages.RESTARTING and reply.reply_to_message_id == sent["message_id"]
        assert not tg.failed_calls(), tg.describe()


async def test_stop_before_sign_in_ends_the_retries(bundled_engine: Engine) -> None:
    stop = asyncio.Event()
    settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN,  # type: ignore[call-arg]
                        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed_port()}/bot")  # fmt: skip
    asyncio.get_running_loop().call_later(1.5, stop.set)
    started = time.monotonic()
    with pytest.raises(app.service.Stopped):
        async with app.running(settings, bundled_engine, stop=stop):
            raise AssertionError("signed in to a closed port")
    assert time.monotonic() - started < 5


def test_backoff_doubles_to_its_cap_and_resets() -> None:
    backoff = Backoff()
    delays = [backoff.next() for _ in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, MAX_DELAY, MAX_DELAY, MAX_DELAY]
    backoff.reset()
    assert backoff.next() == 1


def test_expected_failures_are_logged_on_one_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.OneLineFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.one_line")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for error in (NetworkError("httpx.ConnectError: All connection attempts failed"), ConnectionRefusedError()):
            try:
                raise error
            except Exception:
                logger.exception("Exception happened while polling for updates.")
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            logger.exception("failed to handle an update")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == (
        "ERROR Exception happened while polling for updates. "
        "(NetworkError: httpx.ConnectError: All connection attempts failed)"
    )
    assert lines[1] == "ERROR Exception happened while polling for updates. (ConnectionRefusedError)"
    assert lines[2] == "ERROR failed to handle an update" and lines[3].startswith("Traceback")  # bugs keep theirs


@pytest.mark.timeout(45)
async def test_malformed_token_is_one_line_and_the_process_waits(tmp_path: Path) -> None:
    async with bot_process(tmp_path, f"http://127.0.0.1:{closed_port()}/bot", token="123:oops") as bot:
        line = await bot.wait_for_line(lambda line: "TELEGRAM_BOT_TOKEN" in line)
        await asyncio.sleep(3)
        assert bot.process.returncode is None, bot.text  # no exit, so no restart loop
        status, took = await bot.terminate()
    assert "malformed" in line and "reading the configuration again in 10 minutes" in line
    assert bot.lines == [line] and "oops" not in bot.text  # one line, the token never shown
    assert status == 0 and took < STOP_WITHIN, bot.text


def test_a_configuration_that_becomes_usable_is_picked_up() -> None:
    good = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN)  # type: ignore[call-arg]
    looks = iter([Settings(_env_file=None, TELEGRAM_BOT_TOKEN="123:oops"), good])  # type: ignore[call-arg]
    err = io.StringIO()
    assert usable_settings(lambda: next(looks), pause=0.05, err=err) is good
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN: malformed" in lines[0] and "oops" not in lines[0]
