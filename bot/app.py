"""The python-telegram-bot Application: wiring, start-up checks, polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from retrieval.engine import Engine

from . import handlers, logs, messages
from .conversation import Conversation
from .pages import PageStore
from .render_html import HtmlRenderer
from .settings import TOKEN_SHAPE, Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONCURRENT_UPDATES = 64
FLOOD_RETRIES = 3  # RetryAfter answers retried by the rate limiter
HEARTBEAT = "heartbeat"
HEARTBEAT_EVERY = 20.0  # seconds; `newsqa health` allows 90


def token_problem(settings: Settings) -> str | None:
    """One clear line when the token is missing or malformed, else None."""
    if settings.telegram_bot_token is None:
        return "configuration error: TELEGRAM_BOT_TOKEN: not set (create a bot with @BotFather)"
    if not re.fullmatch(TOKEN_SHAPE, settings.telegram_bot_token.get_secret_value().strip()):
        return "configuration error: TELEGRAM_BOT_TOKEN: malformed (expected digits:secret from @BotFather)"
    return None


def file_base_url(api_base_url: str) -> str:
    """https://host/bot -> https://host/file/bot (where Telegram serves files)."""
    head, _, _ = api_base_url.rstrip("/").rpartition("/")
    return f"{head}/file/bot"


def build_application(settings: Settings, engine: Engine, flood_limit: bool = True) -> Application:
    """The Application with its handlers; nothing touches the network until it starts.

    `flood_limit=False` drops AIORateLimiter (Telegram's flood limits): for measurements only.
    """
    token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
    logs.protect_token(token)
    builder = ApplicationBuilder()
    if flood_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
    application = (
        builder.token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .defaults(Defaults(link_preview_options=handlers.NO_PREVIEW, allow_sending_without_reply=True))
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    store = PageStore()
    application.bot_data[handlers.CONVERSATION] = Conversation(engine, settings, HtmlRenderer(), store)
    application.bot_data[handlers.SEARCHES] = asyncio.Semaphore(settings.max_concurrent_searches)
    application.bot_data["pages"] = store
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, handlers.on_message))
    application.add_handler(CallbackQueryHandler(handlers.on_more))
    application.add_handler(InlineQueryHandler(handlers.on_inline))
    application.add_error_handler(handlers.on_error)
    return application


async def _post_init(application: Application) -> None:
    """Learn the bot's username (for mentions and /ask@Name) and publish the command list."""
    conversation: Conversation = application.bot_data[handlers.CONVERSATION]
    conversation.bot_username = application.bot.username
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in messages.COMMANDS])
    except TelegramError as error:
        log.warning("could not publish the command list: %s", error)
    log.info("signed in as @%s", application.bot.username)
    if conversation.settings.heartbeat_file is not None:
        beat = asyncio.create_task(_heartbeat(application, conversation.settings.heartbeat_file))
        application.bot_data[HEARTBEAT] = beat
    # New, changed and removed articles are picked up while the bot serves (NEWSQA_REFRESH_SECONDS).
    conversation.engine.follow(conversation.settings.refresh_seconds)


async def _post_shutdown(application: Application) -> None:
    beat = application.bot_data.pop(HEARTBEAT, None)
    if beat is not None:
        beat.cancel()
    conversation: Conversation = application.bot_data[handlers.CONVERSATION]
    await asyncio.to_thread(conversation.engine.stop_following)


async def _heartbeat(application: Application, path: Path) -> None:
    """Touch `path` while the bot runs, for the container health check (`newsqa health`)."""
    while True:
        if application.running:
            try:
                path.touch()
            except OSError as error:
                log.warning("cannot write the heartbeat file: %s", error)
        await asyncio.sleep(HEARTBEAT_EVERY)


@contextlib.asynccontextmanager
async def running(settings: Settings, engine: Engine, poll_interval: float = 0.0, poll_timeout: float = 10.0,
                  flood_limit: bool = True) -> AsyncIterator[Application]:  # fmt: skip
    """Start the bot inside an existing event loop (tests, the load bench): long polling, or the
    webhook server when NEWSQA_WEBHOOK_URL is set, exactly as `newsqa bot` would."""
    application = build_application(settings, engine, flood_limit)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    if settings.webhook_url:
        await application.updater.start_webhook(**webhook_options(settings))  # type: ignore[arg-type]
    else:
        await application.updater.start_polling(poll_interval=poll_interval, timeout=int(poll_timeout),
                                                allowed_updates=ALLOWED_UPDATES)  # fmt: skip
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def webhook_secret(token: str) -> str:
    """A stable secret Telegram sends back with every webhook call (derived, not the token)."""
    return hashlib.sha256(b"newsqa-webhook:" + token.encode()).hexdigest()[:48]


def webhook_options(settings: Settings) -> dict[str, object]:
    """Where the webhook server listens and what it registers with Telegram (NEWSQA_WEBHOOK_*)."""
    token = settings.telegram_bot_token.get_secret_value().strip()  # type: ignore[union-attr]
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": webhook_secret(token),
        "allowed_updates": ALLOWED_UPDATES,
    }


def run_bot(settings: Settings, engine: Engine) -> int:
    """`newsqa bot`: long polling, or a webhook when NEWSQA_WEBHOOK_URL is set."""
    problem = token_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    application = build_application(settings, engine)
    stats = engine.stats()
    log.info("serving %d articles (%s)", stats.articles, messages.date_range(stats))
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))  # type: ignore[arg-type]
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES)
    except InvalidToken:
        print("configuration error: TELEGRAM_BOT_TOKEN: rejected by Telegram", file=sys.stderr)
        return 2
    return 0
