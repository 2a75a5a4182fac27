"""End to end: the real Application (bot.app) over real HTTP against the Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import messages
from bot.app import running
from bot.examples import archive_examples
from bot.settings import Settings
from retrieval.engine import Engine
from tests.telegram_emulator import SentMessage, TelegramEmulator
from tests.telegram_html import utf16_len

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

TOKEN = "123456789:AAEtestTOKENtestTOKENtestTOKEN12345"
BOT_NAME = "NewsQABot"
USER = 4242
OTHER_USER = 5353
GROUP = -1001234567890
QUESTION = "包保责任制是怎么安排的"
WAIT = 10.0


def bot_settings(tg: TelegramEmulator, **overrides: object) -> Settings:
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def session(engine: Engine, privacy_mode: bool = True, **overrides: object
                  ) -> AsyncIterator[TelegramEmulator]:  # fmt: skip
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME, privacy_mode=privacy_mode) as tg:
        async with running(bot_settings(tg, **overrides), engine, poll_timeout=1):
            yield tg
        assert not tg.failed_calls(), tg.describe()


async def ask_private(tg: TelegramEmulator, text: str, user: int = USER) -> SentMessage:
    sent = await tg.send_private_text(user, text)
    [reply] = await tg.wait_for_bot_messages(user, after_message_id=sent["message_id"], timeout=WAIT)
    assert reply.reply_to_message_id == sent["message_id"]
    return reply


async def test_private_question_gets_quoted_dated_passage(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        reply = await ask_private(tg, QUESTION)
        assert "市级领导包保各区" in reply.text and "2022-04-16" in reply.text
        assert reply.parse_mode == "HTML"
        assert reply.has_entity("blockquote", "市级领导包保各区")
        assert "包保" in reply.entity_texts("bold")
        [call] = [c for c in tg.calls_to("sendMessage") if c.result["message_id"] == reply.message_id]
        assert call.params["link_preview_options"]["is_disabled"] is True
        assert any(c.params["action"] == "typing" for c in tg.calls_to("sendChatAction"))
        assert [c["command"] for c in tg.my_commands()] == [name for name, _ in messages.COMMANDS]


async def test_group_ask_with_bot_name_replies_to_that_message(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        sent = await tg.send_group_text(GROUP, USER, f"/ask@{BOT_NAME} {QUESTION}")
        [reply] = await tg.wait_for_bot_messages(GROUP, timeout=WAIT)
        assert reply.reply_to_message_id == sent["message_id"]
        assert "市级领导包保各区" in reply.text


@pytest.mark.parametrize("privacy_mode", [True, False])
async def test_group_chatter_and_other_bots_commands_get_nothing(bundled_engine: Engine, privacy_mode: bool) -> None:
    async with session(bundled_engine, privacy_mode=privacy_mode) as tg:
        await tg.send_group_text(GROUP, USER, f"大家看看{QUESTION}")
        await tg.send_group_text(GROUP, USER, f"/ask@OtherBot {QUESTION}")
        await tg.send_group_text(GROUP, OTHER_USER, "@OtherBot 上海")
        sentinel = await tg.send_group_text(GROUP, USER, "/ask 上海")
        [reply] = await tg.wait_for_bot_messages(GROUP, timeout=WAIT)
        assert reply.reply_to_message_id == sentinel["message_id"]
        assert len(tg.bot_messages(GROUP)) == 1
        if not privacy_mode:
            assert len(tg.updates) == 4  # all delivered, three ignored by the bot itself


async def test_mention_and_reply_to_the_bot_get_answers(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        mention = await tg.send_group_text(GROUP, USER, f"@{BOT_NAME} {QUESTION}")
        [first] = await tg.wait_for_bot_messages(GROUP, timeout=WAIT)
        assert first.reply_to_message_id == mention["message_id"]
        assert "市级领导包保各区" in first.text
        follow_up = await tg.send_group_text(GROUP, OTHER_USER, "月浦镇全员核酸检测人口有多少",
                                             reply_to_message_id=first.message_id)  # fmt: skip
        replies = await tg.wait_for_bot_messages(GROUP, count=2, timeout=WAIT)
        assert replies[1].reply_to_message_id == follow_up["message_id"]
        assert "2022-" in replies[1].text


async def test_forum_topic_answer_stays_in_its_topic(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        sent = await tg.send_group_text(GROUP, USER, f"/ask {QUESTION}", message_thread_id=77, is_forum=True)
        [reply] = await tg.wait_for_bot_messages(GROUP, timeout=WAIT)
        assert reply.reply_to_message_id == sent["message_id"]
        assert reply.message.get("message_thread_id") == 77


async def test_hostile_question_gets_valid_html(bundled_engine: Engine) -> None:
    hostile = "<b>&</b> \"包保责任制\" '怎么' 安排 😀 &amp; <i>"
    async with session(bundled_engine) as tg:
        answer = await ask_private(tg, hostile)
        assert "市级领导包保各区" in answer.text
        search = await ask_private(tg, "/search " + hostile)
        # echoed in the header as searched (the emoji dropped: bot.conversation.searchable), escaped
        assert hostile.replace(" 😀", "") in search.text


async def test_odd_input_gets_polite_answers(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        too_long = await ask_private(tg, "上海" * 2000)
        assert "太长" in too_long.text
        assert "文字" in (await ask_private(tg, "😀😀！？")).text
        assert "/search" in (await ask_private(tg, "/search")).text
        assert "/help" in (await ask_private(tg, "/nonsense")).text
        sticker = {
            "message_id": 9001, "date": int(time.time()),
            "chat": {"id": USER, "type": "private", "first_name": "U"},
            "from": {"id": USER, "is_bot": False, "first_name": "U"},
            "sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
                        "height": 512, "is_animated": False, "is_video": False},
        }  # fmt: skip
        before = len(tg.bot_messages(USER))
        await tg.inject_update({"message": sticker})
        replies = await tg.wait_for_bot_messages(USER, count=before + 1, timeout=WAIT)
        assert "文字" in replies[-1].text


async def test_unanswerable_question_gets_honest_no_answer(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        reply = await ask_private(tg, "比特币今天价格多少")
        assert messages.NO_ANSWER in reply.text
        assert not reply.buttons()


async def test_more_button_pages_then_expires_after_restart(bundled_engine: Engine) -> None:
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME) as tg:
        async with running(bot_settings(tg), bundled_engine, poll_timeout=1):
            first = await ask_private(tg, "上海")
            [button] = first.buttons()
            assert button["callback_data"].startswith("more:")
            assert len(button["callback_data"].encode()) <= 64
            query_id = await tg.press_button(first, button["callback_data"], USER)
            replies = await tg.wait_for_bot_messages(USER, count=2, after_message_id=first.message_id - 1)
            second = replies[-1]
            assert "第 4–6 条" in second.text
            assert not any(q in second.text for q in first.entity_texts("blockquote"))
            await tg.wait_until(lambda: query_id in tg.callback_answers, WAIT, description="callback answer")
            await tg.wait_until(lambda: not tg.get_message(USER, first.message_id).get("reply_markup"), WAIT)
            [stale] = second.buttons()
        # A restart forgets the pages: the old button is answered politely and removed.
        async with running(bot_settings(tg), bundled_engine, poll_timeout=1):
            query_id = await tg.press_button(second, stale["callback_data"], USER)
            answer = await tg.wait_until(lambda: tg.callback_answers.get(query_id), WAIT)
            assert answer.get("text") == messages.EXPIRED
            await tg.wait_until(lambda: not tg.get_message(USER, second.message_id).get("reply_markup"), WAIT)
        assert not tg.failed_calls(), tg.describe()


async def test_inline_query_offers_quotes(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        query_id = await tg.send_inline_query(USER, QUESTION)
        answer = await tg.wait_until(lambda: tg.inline_answers.get(query_id), WAIT)
        assert answer.results and answer.results[0]["type"] == "article"
        assert "2022-04-16" in answer.results[0]["title"]
        assert any(c is not None and "市级领导包保各区" in c.text for c in answer.contents)
        empty_id = await tg.send_inline_query(USER, "  ")
        empty = await tg.wait_until(lambda: tg.inline_answers.get(empty_id), WAIT)
        assert empty.results == []


async def test_start_says_what_the_bot_knows(bundled_engine: Engine, tmp_path: Path) -> None:
    stats = bundled_engine.stats()
    heartbeat = tmp_path / "heartbeat"
    async with session(bundled_engine, NEWSQA_HEARTBEAT_FILE=str(heartbeat)) as tg:
        reply = await ask_private(tg, "/start")
        assert f"{stats.articles} 篇新闻" in reply.text and str(stats.last_day) in reply.text
        examples = archive_examples(bundled_engine).get()  # drawn from the archive, each one answered
        assert examples and all(f"• {example}" in reply.text for example in examples)
        assert "/ask" in (await ask_private(tg, "/help")).text
        assert heartbeat.exists()  # what the container health check (`newsqa health`) reads


async def test_rate_limit_is_polite_then_quiet(bundled_engine: Engine) -> None:
    async with session(bundled_engine, NEWSQA_QUESTIONS_PER_MINUTE=2) as tg:
        await ask_private(tg, QUESTION)
        await ask_private(tg, "上海")
        limited = await ask_private(tg, "核酸")
        assert "太频繁" in limited.text
        await tg.send_private_text(USER, "还是想问")
        await ask_private(tg, "/ask 核酸", user=OTHER_USER)  # others are unaffected
        assert len(tg.bot_messages(USER)) == 3


async def test_allow_list_refuses_other_chats_once(bundled_engine: Engine) -> None:
    async with session(bundled_engine, NEWSQA_ALLOWED_CHATS=str(USER)) as tg:
        refusal = await ask_private(tg, QUESTION, user=OTHER_USER)
        assert refusal.text == messages.REFUSED
        await tg.send_private_text(OTHER_USER, "再问一次")
        await ask_private(tg, QUESTION)  # the allowed chat is served
        assert len(tg.bot_messages(OTHER_USER)) == 1
        query_id = await tg.send_inline_query(OTHER_USER, QUESTION)
        assert (await tg.wait_until(lambda: tg.inline_answers.get(query_id), WAIT)).results == []


async def test_failures_are_reported_and_the_token_is_never_logged(
    bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"engine broke while using {TOKEN}")

    async with session(bundled_engine) as tg:
        await ask_private(tg, QUESTION)
        monkeypatch.setattr(bundled_engine, "answer", broken)
        failed = await ask_private(tg, "上海")
        monkeypatch.undo()
        assert failed.text == messages.FAILED
    assert "engine broke" in caplog.text  # the failure is logged ...
    secret = TOKEN.partition(":")[2]
    assert TOKEN not in caplog.text and secret not in caplog.text  # ... without the token
    for record in caplog.records:
        assert secret not in record.getMessage()
    assert any("getUpdates" in record.getMessage() for record in caplog.records)  # DEBUG was on


async def test_replies_never_exceed_the_limit(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        for question in ("/search 上海", "/latest 上海", "上海 核酸 李强 疫情"):
            reply = await ask_private(tg, question)
            assert utf16_len(reply.text) <= 4096


async def test_more_button_pages_only_for_the_chat_and_message_that_asked(bundled_engine: Engine) -> None:
    other = USER + 1
    async with session(bundled_engine) as tg:
        mine = await ask_private(tg, "上海")
        theirs = await ask_private(tg, "核酸检测", user=other)
        [button] = mine.buttons()
        # Another user forges my key on the button of their own answer: a polite "expired", no page.
        forged = await tg.forge_callback_query(other, button["callback_data"], theirs)
        answer = await tg.wait_until(lambda: tg.callback_answers.get(forged), WAIT)
        assert answer.get("text") == messages.EXPIRED
        assert len(tg.bot_messages(other)) == 1  # nothing of my answer reached their chat
        # My own button still pages my answer.
        query_id = await tg.press_button(mine, button["callback_data"], USER)
        replies = await tg.wait_for_bot_messages(USER, count=2, after_message_id=mine.message_id - 1)
        assert "第 4–6 条" in replies[-1].text and replies[-1].reply_to_message_id == mine.message_id
        await tg.wait_until(lambda: query_id in tg.callback_answers, WAIT)
        assert tg.callback_answers[query_id].get("text") is None
        assert not tg.failed_calls(), tg.describe()


async def test_flood_control_is_waited_out_and_no_reply_is_lost(bundled_engine: Engine) -> None:
    tg = TelegramEmulator(token=TOKEN, bot_username=BOT_NAME)
    async with tg, running(bot_settings(tg), bundled_engine, poll_timeout=1):
        tg.fail_requests(429, "Too Many Requests: retry after 1", methods={"sendMessage"}, retry_after=1)
        sent = await tg.send_private_text(USER, QUESTION)
        await asyncio.sleep(1.5)  # every sendMessage meanwhile is told to wait
        tg.recover()
        replies = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=WAIT)
        await asyncio.sleep(1.0)  # a second copy of the answer would come now
        assert len(tg.bot_messages(USER)) == 1
    assert len(replies) == 1 and "2022-" in replies[0].text


async def test_a_crowd_gets_every_answer_and_typing_never_takes_an_answers_place(bundled_engine: Engine) -> None:
    users = range(7_000_001, 7_000_041)
    async with session(bundled_engine) as tg:
        sent = await asyncio.gather(*(tg.send_private_text(user, QUESTION) for user in users))
        replies = await asyncio.gather(
            *(tg.wait_for_bot_messages(user, after_message_id=message["message_id"], timeout=30)
              for user, message in zip(users, sent, strict=True))
        )  # fmt: skip
        assert all(len(reply) == 1 and "市级领导包保各区" in reply[0].text for reply in replies)
        actions = [call for call in tg.calls if call.method == "sendChatAction"]
        assert len(actions) < len(users)  # "typing…" is dropped while answers wait their turn
