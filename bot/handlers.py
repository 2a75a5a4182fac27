"""Thin Telegram handlers: update -> Incoming -> conversation -> engine (off the loop) -> send."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

from telegram import (
    Bot,
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
IN_HAND = "in_hand"  # asyncio.Task -> the message whose answer it is searching for
KEYBOARDS_REMOVED = "keyboards_removed"  # (chat id, message id) of messages whose button is gone
REMEMBERED_KEYBOARDS = 10_000
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


async def send(bot: Bot, chat_id: int, reply: Reply, *, reply_to: int | None, thread_id: int | None) -> Message:
    """Send a reply (as a reply to `reply_to` when given), link previews off."""
    parameters = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    if reply.photo is not None:  # a chart (/trend), the text as its caption
        photo = reply.photo
        return await retrying(lambda: bot.send_photo(chat_id, photo, caption=reply.text, parse_mode=reply.parse_mode,
                                                     reply_parameters=parameters, message_thread_id=thread_id),
                              idempotent=False)  # fmt: skip
    return await retrying(
        lambda: bot.send_message(
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
        with in_hand(context, message):
            async with typing(context, message.chat_id, thread_id):
                decision = await off_loop(context, conversation.run, decision)
    sent = await send(context.bot, message.chat_id, decision, reply_to=message.message_id, thread_id=thread_id)
    bind_pages(context, decision, sent)


@contextlib.contextmanager
def in_hand(context: ContextTypes.DEFAULT_TYPE, message: Message) -> Iterator[None]:
    """Mark the running task as searching for `message`'s answer (see answer_unfinished)."""
    tasks: dict[asyncio.Task[object], Message] = context.bot_data.setdefault(IN_HAND, {})
    task = asyncio.current_task()
    if task is None:
        yield
        return
    tasks[task] = message
    try:
        yield
    finally:
        tasks.pop(task, None)


async def answer_unfinished(bot: Bot, bot_data: dict) -> int:
    """At a stop: cancel the searches still running and ask each asker to ask again; how many."""
    tasks: dict[asyncio.Task[object], Message] = bot_data.get(IN_HAND, {})
    unfinished = list(tasks.items())
    tasks.clear()
    for task, _ in unfinished:
        task.cancel()
    conversation: Conversation = bot_data[CONVERSATION]
    for _, message in unfinished:
        try:
            await send(bot, message.chat_id, conversation.say(messages.RESTARTING),
                       reply_to=message.message_id, thread_id=thread_of(message))  # fmt: skip
        except TelegramError as error:
            log.warning("could not tell an asker that the bot is restarting: %s", error)
    return len(unfinished)


async def on_more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "more" button: the next page as a new message; the old button goes away.

    Any data may arrive (a modified client sends what it likes): unknown keys are answered
    "expired". The button's message may be None (a message sent in inline mode) or
    inaccessible (deleted, or too old for the bot to see), and then it is not edited.
    """
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    message = query.message
    key = data[len(MORE_PREFIX) :] if data.startswith(MORE_PREFIX) and message is not None else None
    owner = (message.chat.id, message.message_id) if message is not None else None
    reply = conversation_of(context).more(key, owner) if key else None  # another chat's key: "expired"
    await retrying(lambda: query.answer(messages.EXPIRED if reply is None else None))
    if isinstance(message, Message) and message.reply_markup and first_removal(context, message):
        with contextlib.suppress(BadRequest):  # too old to edit
            await retrying(lambda: query.edit_message_reply_markup(reply_markup=None))
    if reply is not None and message is not None:
        thread_id = thread_of(message) if isinstance(message, Message) else None
        sent = await send(context.bot, message.chat.id, reply, reply_to=message.message_id, thread_id=thread_id)
        bind_pages(context, reply, sent)


def bind_pages(context: ContextTypes.DEFAULT_TYPE, reply: Reply, sent: Message) -> None:
    """The next page of `reply` is shown by the button of `sent` only (bot.pages)."""
    if reply.more is not None:
        conversation_of(context).store.bind(reply.more, sent.chat.id, sent.message_id)


def first_removal(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """True the first time the bot removes this message's keyboard.

    A button pressed twice (or forged for a message whose keyboard is already gone) arrives
    with the message as it was; editing it again would be refused ("message is not modified").
    """
    removed: OrderedDict[tuple[int, int], None] = context.bot_data.setdefault(KEYBOARDS_REMOVED, OrderedDict())
    key = (message.chat.id, message.message_id)
    if key in removed:
        return False
    removed[key] = None
    if len(removed) > REMEMBERED_KEYBOARDS:
        removed.popitem(last=False)
    return True


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
            await send(context.bot, message.chat_id, conversation.say(messages.FAILED),
                       reply_to=message.message_id, thread_id=thread_of(message))  # fmt: skip
    except TelegramError as notify_error:
        log.warning("could not tell the user about the failure: %s", notify_error)
