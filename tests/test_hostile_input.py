"""Regression tests for what the fuzzer (tests/test_fuzz.py, bench/fuzz_bot.py) found.

Each test is one bug found by sending hostile updates through the real bot and the emulator.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from bot import messages
from bot.app import running
from bot.conversation import Conversation, Incoming, Question, searchable
from bot.render_text import TextRenderer
from bot.settings import Settings
from retrieval.engine import Engine
from tests.telegram_emulator import SentMessage, TelegramEmulator

TOKEN = "123456789:AAEhostileTOKENhostileTOKENhost12"
BOT_NAME = "NewsQABot"
USER = 4242
OTHER_USER = 5353
WAIT = 30.0  # the first question may wait for the passages to be embedded


def bot_settings(tg: TelegramEmulator) -> Settings:
    return Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=tg.base_url)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def session(engine: Engine, caplog: pytest.LogCaptureFixture) -> AsyncIterator[TelegramEmulator]:
    """The bot over the emulator; afterwards, no call was rejected and no handler failed."""
    caplog.set_level(logging.WARNING)
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME) as tg:
        async with running(bot_settings(tg), engine, poll_timeout=1):
            yield tg
        assert not tg.failed_calls(), tg.describe()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def ask(tg: TelegramEmulator, text: str, user: int = USER) -> SentMessage:
    sent = await tg.send_private_text(user, text)
    [reply] = await tg.wait_for_bot_messages(user, after_message_id=sent["message_id"], timeout=WAIT)
    return reply


async def answered(tg: TelegramEmulator, query_id: str) -> dict:
    return await tg.wait_until(lambda: tg.callback_answers.get(query_id), WAIT, description="callback answer")


# ------------------------------------------------------------------ the handler layer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("包\u200b保\u200b责\u200b任\u200b制", "包保责任制"),  # zero-width spaces join again
        ("\u202e上海\u202c 核酸", "上海 核酸"),  # bidirectional overrides go
        ("上海" + "\u0301" * 200, "上海"),  # a pile of combining marks
        ("李强👨‍👩‍👧‍👦🏳️‍🌈讲话", "李强讲话"),  # emoji and their joiners
        ("\x00上海\x1b[31m\t\n核酸", "上海[31m 核酸"),  # control characters; whitespace runs are one space
        ("\ue000\U000f0000上海", "上海"),  # private use
        ("e\u0301 café", "é café"),  # composed by NFC first, so accents stay
        ("2022年13月45日", "2022年13月45日"),
    ],
)
def test_questions_are_searched_without_invisible_characters(text: str, expected: str) -> None:
    assert searchable(text) == expected


def test_a_command_for_another_bot_in_private_gets_an_answer(bundled_engine: Engine) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    talk = Conversation(bundled_engine, settings, TextRenderer(), bot_username=BOT_NAME)
    reply = talk.decide(Incoming(USER, USER, "/ask@OtherBot x"))
    assert reply is not None and not isinstance(reply, Question) and "/help" in reply.text
    assert talk.decide(Incoming(-100, USER, "/ask@OtherBot x", private=False)) is None  # groups: not ours


def test_emoji_only_and_invisible_only_questions_are_told_to_use_words(bundled_engine: Engine) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    talk = Conversation(bundled_engine, settings, TextRenderer(), bot_username=BOT_NAME)
    for text in ("😀" * 4096, "\u200b\u200c", "/search 🏳️‍🌈", "\u0301" * 50):
        reply = talk.decide(Incoming(USER, USER, text))
        assert reply is not None and not isinstance(reply, Question), text


# ------------------------------------------------------------------ through Telegram


async def test_private_command_for_another_bot_is_answered(bundled_engine: Engine, caplog) -> None:
    async with session(bundled_engine, caplog) as tg:
        reply = await ask(tg, "/ask@OtherBot x")
        assert reply.text == messages.UNKNOWN_COMMAND


async def test_zero_width_question_finds_its_passage_and_header_has_no_override(bundled_engine, caplog) -> None:
    async with session(bundled_engine, caplog) as tg:
        answer = await ask(tg, "包\u200b保\u200b责\u200b任\u200b制是怎么安排的")
        assert "市级领导包保各区" in answer.text
        search = await ask(tg, "/search \u202e包保责任制")
        assert "\u202e" not in search.text and "包保责任制" in search.text


async def test_more_pressed_twice_edits_the_keyboard_once(bundled_engine: Engine, caplog) -> None:
    async with session(bundled_engine, caplog) as tg:
        first = await ask(tg, "上海")
        [button] = first.buttons()
        # Both presses carry the message as it was, with its keyboard (a double tap, or two users).
        presses = [await tg.press_button(first, button["callback_data"], user) for user in (USER, OTHER_USER)]
        for query_id in presses:
            await answered(tg, query_id)
        await tg.wait_for_bot_messages(USER, count=3, after_message_id=first.message_id - 1)
        assert len(tg.calls_to("editMessageReplyMarkup")) == 1  # a second edit would be refused


async def test_forged_callbacks_are_answered_and_nothing_is_refused(bundled_engine: Engine, caplog) -> None:
    async with session(bundled_engine, caplog) as tg:
        plain = await ask(tg, "/help")  # a message without a keyboard
        with_button = await ask(tg, "上海")
        forged = [
            await tg.forge_callback_query(USER, "more:nonsense", plain),
            await tg.forge_callback_query(USER, "more:" + "9" * 59, with_button),
            await tg.forge_callback_query(USER, None, with_button),
            await tg.forge_callback_query(
                USER, with_button.buttons()[0]["callback_data"], with_button, inaccessible=True
            ),
            await tg.forge_callback_query(USER, "more:abc", inline_message_id="AgAAAB"),
        ]
        answers = [await answered(tg, query_id) for query_id in forged]
        assert [a.get("text") for a in answers[:3]] == [messages.EXPIRED] * 3
        assert answers[3].get("text") is None  # a real key: its page is sent, though the message is gone
        assert answers[4].get("text") == messages.EXPIRED
        replies = await tg.wait_for_bot_messages(USER, count=2, after_message_id=with_button.message_id - 1)
        assert "第 4–" in replies[-1].text
        # The expired button is removed once; the message without a keyboard is left alone.
        assert [c.params["message_id"] for c in tg.calls_to("editMessageReplyMarkup")] == [with_button.message_id]


async def test_an_update_the_library_cannot_read_is_skipped(bundled_engine: Engine, caplog) -> None:
    with pytest.raises(AssertionError, match="could not be read"):  # the skip is logged as an error
        async with session(bundled_engine, caplog) as tg:
            await tg.inject_update({"message": {"message_id": 1, "text": "no chat, no date"}})
            reply = await ask(tg, "包保责任制是怎么安排的")
            assert "市级领导包保各区" in reply.text
    assert "skipped update" in caplog.text
