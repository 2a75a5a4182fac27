"""The handler layer without Telegram: addressing, odd input, limits, the local harness."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from bot import messages
from bot.cli import main
from bot.conversation import Conversation, Incoming, Question, Reply
from bot.local_chat import ask_once, run_chat
from bot.render_text import TextRenderer
from bot.settings import Settings
from retrieval.engine import Engine

GROUP = -100777


def conversation(engine: Engine, **overrides: object) -> Conversation:
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    return Conversation(engine, settings, TextRenderer(), bot_username="NewsQABot")


def group(text: str | None, reply_to_bot: bool = False, user: int = 1) -> Incoming:
    return Incoming(GROUP, user, text, private=False, reply_to_bot=reply_to_bot)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ask 上海", Question("上海")),
        ("/ask@NewsQABot 上海", Question("上海")),
        ("/ASK@newsqabot 上海", Question("上海")),
        ("@newsqabot 上海 会议", Question("上海 会议")),
        ("上海会议 @NewsQABot", Question("上海会议")),
        ("/search@NewsQABot 核酸", Question("核酸", "search")),
        ("/latest 核酸", Question("核酸", "latest")),
        ("/ask@OtherBot 上海", None),
        ("@OtherBot 上海", None),
        ("@NewsQABotX 上海", None),
        ("大家好，上海今天怎么样", None),
    ],
)
def test_group_addressing(bundled_engine: Engine, text: str, expected: Question | None) -> None:
    assert conversation(bundled_engine).decide(group(text)) == expected


def test_group_reply_to_bot_and_non_text(bundled_engine: Engine) -> None:
    chat = conversation(bundled_engine)
    assert chat.decide(group("那月浦镇呢", reply_to_bot=True)) == Question("那月浦镇呢")
    assert chat.decide(group(None)) is None
    reply = chat.decide(group(None, reply_to_bot=True))
    assert isinstance(reply, Reply) and "文字" in reply.text


def test_private_odd_input(bundled_engine: Engine) -> None:
    chat = conversation(bundled_engine)

    def say(text: str | None) -> str:
        reply = chat.decide(Incoming(1, 1, text))
        assert isinstance(reply, Reply)
        return reply.text

    assert "例如" in say("   ")
    assert "文字" in say("🙂🙂 ？！")
    assert "太长" in say("字" * 4000)
    assert "文字" in say(None)
    assert say("/unknown") == messages.UNKNOWN_COMMAND
    assert chat.decide(Incoming(1, 1, "/ask上海")) == Question("上海")


def test_rate_limit_counts_per_user_with_one_warning(bundled_engine: Engine) -> None:
    now = [0.0]
    settings = Settings(_env_file=None, NEWSQA_QUESTIONS_PER_MINUTE=2)  # type: ignore[call-arg]
    chat = Conversation(bundled_engine, settings, TextRenderer(), clock=lambda: now[0])
    assert isinstance(chat.decide(Incoming(1, 1, "上海")), Question)
    assert isinstance(chat.decide(Incoming(1, 1, "上海")), Question)
    warning = chat.decide(Incoming(1, 1, "上海"))
    assert isinstance(warning, Reply) and "60 秒" in warning.text
    assert chat.decide(Incoming(1, 1, "上海")) is None
    assert isinstance(chat.decide(Incoming(2, 2, "上海")), Question)
    now[0] = 61.0
    assert isinstance(chat.decide(Incoming(1, 1, "上海")), Question)


def test_more_pages_and_unknown_keys(bundled_engine: Engine) -> None:
    chat = conversation(bundled_engine)
    first = chat.run(Question("上海"))
    assert first.more is not None and first.remaining > 0
    second = chat.more(first.more)
    assert second is not None and second.text != first.text
    assert chat.more(first.more + "x") is None


def test_ask_once_and_run_chat_use_the_same_words(bundled_engine: Engine) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    answer = ask_once(bundled_engine, settings, "包保责任制是怎么安排的")
    assert "市级领导包保各区" in answer and "2022-04-16" in answer
    out = io.StringIO()
    lines = io.StringIO("包保责任制是怎么安排的\n上海\n/more\n/quit\n不会读到\n")
    status = run_chat(bundled_engine, settings, lines, out)
    text = out.getvalue()
    assert status == 0 and answer in text and "第 4–6 条" in text and "问>" not in text


@pytest.mark.parametrize(("token", "word"), [(None, "not set"), ("oops", "malformed")])
def test_bot_command_waits_with_one_line_on_a_bad_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, token: str | None, word: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    if token:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    returned = threading.Event()

    def docker_stop() -> None:
        """SIGTERM after a second, then again every half second until main returns: a signal that
        arrives before main has set its handler (a slow start on a busy machine) is not the last."""
        returned.wait(1.0)
        while not returned.is_set():
            os.kill(os.getpid(), signal.SIGTERM)
            returned.wait(0.5)

    stopper = threading.Thread(target=docker_stop)
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # should main return early, SIGTERM ends nothing
    started = time.monotonic()
    stopper.start()
    try:
        status = main(["bot"])
    finally:
        returned.set()
        stopper.join()
        signal.signal(signal.SIGTERM, previous)
    assert status == 0 and 0.9 < time.monotonic() - started < 30  # waited (no exit, no restart loop) until stopped
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TELEGRAM_BOT_TOKEN" in err[0] and word in err[0] and "10 minutes" in err[0]
    if token:
        assert token not in err[0]


def test_latest_without_words_lists_the_newest_articles_first(bundled_engine: Engine) -> None:
    chat = conversation(bundled_engine)
    private = Incoming(42, 42, "/latest")
    assert chat.decide(private) == Question("", "latest")
    reply = chat.respond(private)
    assert reply is not None and messages.NEWEST_HEADER in reply.text
    dates = [line for line in reply.text.splitlines() if " · 20" in line]
    assert dates and "2022-04-16" in dates[0]  # the newest seed comes first
    assert "2022-04-11" in dates[1]


def test_inline_queries_have_their_own_wider_rate_limit(bundled_engine: Engine) -> None:
    chat = conversation(bundled_engine, NEWSQA_QUESTIONS_PER_MINUTE=2)
    allowed = [chat.inline_allowed(7) for _ in range(12)]
    assert allowed == [True] * 10 + [False] * 2
    assert chat.inline_allowed(8)  # another user is not affected


def test_page_store_and_rate_table_are_bounded() -> None:
    from bot.access import RateLimiter
    from bot.pages import Page, PageStore
    from retrieval.answer import Answer

    store = PageStore(capacity=50)
    keys = [store.put(Page(Answer("q"))) for _ in range(500)]
    assert len(store) == 50 and store.get(keys[0]) is None and store.get(keys[-1]) is not None
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    for user in range(3 * RateLimiter.MAX_USERS):
        now[0] += 0.001
        limiter.wait_seconds(user)
    assert len(limiter) <= RateLimiter.MAX_USERS
    assert limiter.wait_seconds(user) == 0 and limiter.wait_seconds(user) > 0  # the newest are still counted
