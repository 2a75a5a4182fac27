"""Tests of the Bot API emulator, driven by a real python-telegram-bot Bot/Application."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.telegram_emulator import TelegramEmulator
from tests.telegram_html import parse_html

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]

TOKEN = "123456:TEST-token"
USER = 4242
GROUP = -1001234567890


@pytest_asyncio.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(tg: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as ptb_bot:
        yield ptb_bot


@contextlib.asynccontextmanager
async def running_app(tg: TelegramEmulator, *handlers: BaseHandler) -> AsyncIterator[Application]:
    """A real PTB Application polling the emulator with the given handlers."""
    app = ApplicationBuilder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=10)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


# ------------------------------------------------------------- Application


async def test_echo_handler_replies_to_private_message(tg: TelegramEmulator) -> None:
    async with running_app(tg, MessageHandler(filters.TEXT & ~filters.COMMAND, echo)):
        sent = await tg.send_private_text(USER, "今天有什么新闻？")
        [reply] = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=5)

    assert reply.text == "今天有什么新闻？"
    assert reply.message["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": f"User{USER}",
        "username": f"user{USER}",
    }
    assert reply.message["from"]["username"] == "NewsQABot"
    assert reply.message_id == sent["message_id"] + 1
    assert isinstance(reply.message["date"], int) and abs(reply.message["date"] - time.time()) < 60
    assert [c.method for c in tg.calls[:2]] == ["getMe", "deleteWebhook"]
    assert not tg.failed_calls()


async def test_long_poll_waits_instead_of_busy_looping(tg: TelegramEmulator) -> None:
    async with running_app(tg, MessageHandler(filters.TEXT, echo)):
        await tg.wait_until(lambda: tg.calls_to("getUpdates"), timeout=5)
        before = len(tg.calls_to("getUpdates"))
        await asyncio.sleep(2)
        idle_polls = len(tg.calls_to("getUpdates")) - before
        assert idle_polls <= 1, f"{idle_polls} getUpdates calls while idle"
        assert tg.calls_to("getUpdates")[-1].params["timeout"] == 10

        # An update arriving during the long poll is delivered at once.
        started = time.monotonic()
        await tg.send_private_text(USER, "hello")
        await tg.wait_for_bot_messages(USER, timeout=3)
        assert time.monotonic() - started < 1.5


async def test_get_updates_offset_limit_and_timeout(tg: TelegramEmulator, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3

    for text in ("一", "二", "三"):
        await tg.send_private_text(USER, text)
    first_two = await bot.get_updates(limit=2, timeout=5)
    assert [u.message.text for u in first_two] == ["一", "二"]
    assert first_two[0].message.date.timestamp() == pytest.approx(time.time(), abs=60)
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1, timeout=5)
    assert [u.message.text for u in rest] == ["三"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()


# ------------------------------------------------------------- validation


async def test_invalid_html_is_rejected_like_telegram(tg: TelegramEmulator, bot: Bot) -> None:
    await tg.send_private_text(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end tag corresponding to start tag \"b\""):
        await bot.send_message(USER, "<b>x", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unsupported start tag \"\" at byte offset 2"):
        await bot.send_message(USER, "a < b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag \"br\""):
        await bot.send_message(USER, "一<br>二", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Unmatched end tag"):
        await bot.send_message(USER, "<b><i>x</b></i>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "AT&T", parse_mode=ParseMode.HTML)
    assert len(tg.bot_messages(USER)) == 0
    # The same texts are fine without a parse mode.
    await bot.send_message(USER, "a < b & <b>")


async def test_html_entities_are_stored_for_assertions(tg: TelegramEmulator, bot: Bot) -> None:
    await tg.send_private_text(USER, "hi")
    html = (
        "<b>国务院</b>发布&lt;通知&gt; &amp; 😀<i>解读</i>\n"
        '<blockquote expandable>原文：<a href="https://www.gov.cn/">链接</a></blockquote>\n'
        '<pre><code class="language-python">print(1)</code></pre>'
    )
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    [record] = tg.bot_messages(USER)
    assert record.text == "国务院发布<通知> & 😀解读\n原文：链接\nprint(1)"
    assert record.entity_texts("bold") == ["国务院"]
    assert record.entity_texts("italic") == ["解读"]  # offsets count the emoji as 2 UTF-16 units
    assert record.has_entity("expandable_blockquote", "原文")
    assert record.entity_texts("text_link") == ["链接"]
    assert [e["language"] for e in record.entities if e["type"] == "pre"] == ["python"]
    assert record.raw_text == html and record.parse_mode == "HTML"
    assert message.text == record.text and message.entities[0].type == "bold"
    assert parse_html("<b>a</b>") == ("a", [{"type": "bold", "offset": 0, "length": 1}])


async def test_text_length_limits(tg: TelegramEmulator, bot: Bot) -> None:
    await tg.send_private_text(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "新" * 5000)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "  \n ")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    # Tags do not count toward the 4096 limit; surrounding whitespace is trimmed.
    await bot.send_message(USER, "<b>" + "闻" * 4096 + "</b>\n", parse_mode=ParseMode.HTML)
    assert tg.bot_messages(USER)[0].entities == [{"type": "bold", "offset": 0, "length": 4096}]


async def test_replies_need_an_existing_message(tg: TelegramEmulator, bot: Bot) -> None:
    sent = await tg.send_private_text(USER, "问题")
    reply = await bot.send_message(USER, "回答", reply_parameters=ReplyParameters(sent["message_id"]))
    assert reply.reply_to_message.text == "问题"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(999))
    alone = await bot.send_message(USER, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True))
    assert alone.reply_to_message is None
    assert await bot.delete_message(USER, reply.message_id)
    assert tg.bot_messages(USER)[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=reply.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, reply.message_id)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "x")


async def test_keyboards_edits_and_callback_answers(tg: TelegramEmulator, bot: Bot) -> None:
    await tg.send_private_text(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="长" * 22)]])
        )
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("更多", callback_data="more:1")]])
    message = await bot.send_message(USER, "摘要", reply_markup=keyboard)
    assert message.reply_markup == keyboard
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("摘要", USER, message.message_id, reply_markup=keyboard)

    query_id = await tg.press_button(message.to_dict(), "more:1", USER)
    with pytest.raises(ValueError, match=r"(?i)no button"):
        await tg.press_button(message.to_dict(), "other", USER)
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="长" * 201)
    assert await bot.answer_callback_query(query_id, text="好的")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)

    edited = await bot.edit_message_text("<b>全文</b>", USER, message.message_id, parse_mode="HTML")
    assert edited.reply_markup is None and edited.edit_date is not None
    [record] = tg.bot_messages(USER)
    assert record.entity_texts("bold") == ["全文"] and len(record.history) == 1


async def test_chat_actions_commands_chat_and_webhook(tg: TelegramEmulator, bot: Bot) -> None:
    await tg.send_private_text(USER, "hi")
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")

    commands = [BotCommand("ask", "提问"), BotCommand("help", "帮助")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Ask-Me", "x")])
    assert await bot.delete_my_commands()
    assert tg.my_commands() == []

    chat = await bot.get_chat(USER)
    assert chat.type == "private" and chat.id == USER

    assert await bot.set_webhook("https://example.com/hook")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()
    assert await bot.close() and await bot.log_out()


async def test_wrong_token_unknown_method_and_body_encodings(tg: TelegramEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456:wrong", base_url=tg.base_url):
            pass
    await tg.send_private_text(USER, "hi")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{tg.base_url}999:nope/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with session.post(f"{tg.base_url}{TOKEN}/sendSticker") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
        async with session.get(f"{tg.base_url}{TOKEN}/getme") as response:
            assert (await response.json())["result"]["supports_inline_queries"] is True
        payloads = [
            {"json": {"chat_id": USER, "text": "<i>json</i>", "parse_mode": "HTML"}},
            {"data": {"chat_id": str(USER), "text": "<i>form</i>", "parse_mode": "HTML"}},
            {
                "data": aiohttp.FormData(
                    {"chat_id": str(USER), "text": "<i>multipart</i>", "parse_mode": "HTML"}, default_to_multipart=True
                )
            },
        ]
        for payload in payloads:
            async with session.post(f"{tg.base_url}{TOKEN}/sendMessage", **payload) as response:
                assert response.status == 200, await response.text()
    assert [m.entity_texts("italic")[0] for m in tg.bot_messages(USER)] == ["json", "form", "multipart"]


# ---------------------------------------------------------------- groups


async def test_group_entities_privacy_mode_and_topics(tg: TelegramEmulator) -> None:
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"收到：{' '.join(context.args)}")

    async with running_app(tg, CommandHandler("ask", ask)):
        command = await tg.send_group_text(GROUP, USER, "/ask@NewsQABot 油价", message_thread_id=7, is_forum=True)
        assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 14}]
        assert command["chat"]["type"] == "supergroup" and command["is_topic_message"]
        [reply] = await tg.wait_for_bot_messages(GROUP, timeout=5)

    assert reply.text == "收到：油价"
    assert reply.message["message_thread_id"] == 7
    assert reply.reply_to_message_id == command["message_id"]

    chatter = await tg.send_group_text(GROUP, USER, "大家好")
    mention = await tg.send_group_text(GROUP, USER, "😀 @NewsQABot 你好")
    assert not tg.was_delivered(chatter) and tg.was_delivered(mention)
    assert mention["entities"] == [{"type": "mention", "offset": 3, "length": 10}]
    other_bot = await tg.send_group_text(GROUP, USER, "/ask@OtherBot x")
    assert not tg.was_delivered(other_bot)
    reply_to_bot = await tg.send_group_text(GROUP, USER, "继续", reply_to_message_id=reply.message_id)
    assert tg.was_delivered(reply_to_bot)
    assert "entities" not in await tg.send_group_text(GROUP, USER, "/ask问题")


# ----------------------------------------------------------- inline mode


async def test_inline_and_callback_answers_are_recorded(tg: TelegramEmulator) -> None:
    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query.query
        content = InputTextMessageContent(f"<b>{query}</b>：答案", parse_mode=ParseMode.HTML)
        await update.inline_query.answer([InlineQueryResultArticle("r1", "答案", content)])

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("详情", callback_data="detail:42")]])
        await update.message.reply_text("新闻摘要", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("正在加载")
        await update.callback_query.edit_message_text("新闻详情")

    handlers = (InlineQueryHandler(inline), CommandHandler("start", start), CallbackQueryHandler(button))
    async with running_app(tg, *handlers):
        query_id = await tg.send_inline_query(USER, "油价")
        call = await tg.wait_for_call("answerInlineQuery", timeout=5)
        assert call.ok and call.params["inline_query_id"] == query_id
        answer = tg.inline_answers[query_id]
        assert answer.results[0]["title"] == "答案"
        assert answer.contents[0].entity_texts("bold") == ["油价"]

        await tg.send_private_text(USER, "/start")
        [menu] = await tg.wait_for_bot_messages(USER, timeout=5)
        callback_id = await tg.press_button(menu, "detail:42", USER)
        await tg.wait_for_call("answerCallbackQuery", lambda c: c.ok, timeout=5)
        assert tg.callback_answers[callback_id]["text"] == "正在加载"
        await tg.wait_until(lambda: menu.text == "新闻详情", timeout=5, description="the edit")
    assert menu.reply_markup is None
    assert not tg.failed_calls()
