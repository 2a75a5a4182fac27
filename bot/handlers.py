"""Thin Telegram handlers: update -> Incoming -> conversation -> engine (off the loop) -> send."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ContextTypes

from . import messages
from .conversation import Conversation, Incoming, Question, Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

CONVERSATION = "conversation"
SEARCHES = "searches"  # asyncio.Semaphore bounding concurrent engine calls
MORE_PREFIX = "more:"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY = 4.5  # Telegram shows "typing…" for about 5 seconds
TYPING_GRACE = 2.0  # how long an answer waits for a chat action still in flight
RETRIES = 3
INLINE_CACHE_SECONDS = 10


async def retrying(call: Callable[[], Awaitable[T]], idempotent: bool = True) -> T:
    """Run a Bot API call, retrying transient network errors with a short backoff.

    A timed-out send may have been delivered, so non-idempotent calls are not retried
    after a timeout. RetryAfter (flood control) is handled by the rate limiter.
    """
    for attempt in range(RETRIES):
        try:
            return await call()
        except RetryAfter:
            raise
        except TimedOut:
            if not idempotent or attempt == RETRIES - 1:
                raise
        except NetworkError:
            if attempt == RETRIES - 1:
                raise
        await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def conversation_of(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.bot_data[CONVERSATION]


async def off_loop(context: ContextTypes.DEFAULT_TYPE, work: Callable[..., T], *args: object) -> T:
    """Run engine work in a worker thread, at most `max_concurrent_searches` at a time."""
    async with context.bot_data[SEARCHES]:
        return await asyncio.to_thread(work, *args)


@contextlib.asynccontextmanager
async def typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int, thread_id: int | None) -> AsyncIterator[None]:
    """Show "typing…" in the chat while the block runs.

    A chat action still in flight when the block ends is awaited (briefly), so that it
    cannot arrive after the answer and leave "typing…" showing under it.
    """
    done = asyncio.Event()

    async def keep_typing() -> None:
        while not done.is_set():
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
            except TelegramError as error:  # cosmetic: never fail the answer for it
                log.debug("typing indicator failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        done.set()
        with contextlib.suppress(TimeoutError):  # wait_for cancels the task on timeout
            await asyncio.wait_for(task, TYPING_GRACE)


def thread_of(message: Message) -> int | None:
    """The forum topic to answer in (None outside forum topics)."""
    return message.message_thread_id if message.is_topic_message else None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if reply.more is None:
        return None
    button = InlineKeyboardButton(messages.MORE_BUTTON.format(remaining=reply.remaining),
                                  callback_data=MORE_PREFIX + reply.more)  # fmt: skip
    return InlineKeyboardMarkup([[button]])


async def send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, *,
               reply_to: int | None, thread_id: int | None) -> Message:  # fmt: skip
    """Send a reply (as a reply to `reply_to` when given), link previews off."""
    parameters = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    return await retrying(
        lambda: context.bot.send_message(
            chat_id,
            reply.text,
            parse_mode=reply.parse_mode,
            reply_parameters=parameters,
            message_thread_id=thread_id,
            link_preview_options=NO_PREVIEW,
            reply_markup=keyboard(reply),
        ),
        idempotent=False,
    )


def incoming(message: Message, bot_id: int) -> Incoming:
    replied = message.reply_to_message
    return Incoming(
        chat_id=message.chat_id,
        user_id=message.from_user.id if message.from_user else message.chat_id,
        text=message.text,
        private=message.chat.type == ChatType.PRIVATE,
        reply_to_bot=bool(replied and replied.from_user and replied.from_user.id == bot_id),
    )


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any new message: ask the conversation whether and what to answer."""
    message = update.message
    if message is None:
        return
    conversation = conversation_of(context)
    decision = conversation.decide(incoming(message, context.bot.id))
    if decision is None:
        return
    thread_id = thread_of(message)
    if isinstance(decision, Question):
        async with typing(context, message.chat_id, thread_id):
            decision = await off_loop(context, conversation.run, decision)
    await send(context, message.chat_id, decision, reply_to=message.message_id, thread_id=thread_id)


async def on_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "more" button: the next page as a new message; the old button goes away."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    reply = conversation_of(context).more(data[len(MORE_PREFIX) :]) if data.startswith(MORE_PREFIX) else None
    message = query.message
    if reply is None or message is None:
        await retrying(lambda: query.answer(messages.EXPIRED))
    else:
        await retrying(lambda: query.answer())
    if message is not None:
        with contextlib.suppress(BadRequest):  # already without keyboard, or too old to edit
            await retrying(lambda: query.edit_message_reply_markup(reply_markup=None))
    if reply is not None and message is not None:
        thread_id = message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
        await send(context, message.chat.id, reply, reply_to=message.message_id, thread_id=thread_id)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`@Bot 问题` in any chat: the top quotes, each ready to send."""
    query = update.inline_query
    if query is None:
        return
    conversation = conversation_of(context)
    hint = InlineQueryResultsButton(messages.INLINE_HINT.format(example=conversation.example()),
                                    start_parameter="inline")  # fmt: skip
    if not conversation.inline_allowed(query.from_user.id):
        await retrying(lambda: query.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True))
        return
    items = await off_loop(context, conversation.inline, query.query) if query.query.strip() else []
    results = [
        InlineQueryResultArticle(
            id=item.key,
            title=item.title,
            description=item.description,
            input_message_content=InputTextMessageContent(
                item.text, parse_mode=item.parse_mode, link_preview_options=NO_PREVIEW
            ),
        )
        for item in items
    ]
    await retrying(lambda: query.answer(results, cache_time=INLINE_CACHE_SECONDS, button=None if results else hint))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (the token is redacted by bot.logs) and tell the user."""
    error = context.error
    if isinstance(error, Forbidden):  # blocked by the user or removed from the group
        log.info("cannot write to a chat: %s", error)
        return
    log.error("failed to handle an update: %s", error, exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(messages.FAILED)
        elif update.message is not None:
            conversation = conversation_of(context)
            message = update.message
            await send(context, message.chat_id, conversation.say(messages.FAILED),
                       reply_to=message.message_id, thread_id=thread_of(message))  # fmt: skip
    except TelegramError as notify_error:
        log.warning("could not tell the user about the failure: %s", notify_error)
