"""The python-telegram-bot Application: wiring, start-up checks, polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from retrieval.engine import Engine

from . import alerts, handlers, logs, messages, service
from .conversation import Conversation
from .flood import RepliesFirst
from .pages import PageStore
from .render_html import HtmlRenderer
from .settings import TOKEN_SHAPE, Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONCURRENT_UPDATES = 64
FLOOD_RETRIES = 3  # RetryAfter answers retried by the rate limiter
HEARTBEAT = "heartbeat"
HEARTBEAT_EVERY = 20.0  # seconds; `newsqa health` allows 90
STARTED = "started"  # set in bot_data once _post_init ran (so _post_shutdown must)
STOP_GRACE = 8.0  # seconds questions in hand may take after a stop request


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
        builder = builder.rate_limiter(RepliesFirst(max_retries=FLOOD_RETRIES))
    application = (
        builder.token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .defaults(Defaults(link_preview_options=handlers.NO_PREVIEW, allow_sending_without_reply=True))
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONCURRENT_UPDATES)
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
    alerts.start(application)  # new articles matching followed keywords are pushed (/follow)
    # New, changed and removed articles are picked up while the bot serves (NEWSQA_REFRESH_SECONDS).
    conversation.engine.follow(conversation.settings.refresh_seconds)
    conversation.engine.embed_in_background()  # passages without vectors, newest first, at low priority


async def _post_shutdown(application: Application) -> None:
    beat = application.bot_data.pop(HEARTBEAT, None)
    if beat is not None:
        beat.cancel()
    await alerts.stop(application)
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
                  flood_limit: bool = True, stop: asyncio.Event | None = None,
                  ) -> AsyncIterator[Application]:  # fmt: skip
    """The bot serving inside an existing event loop, exactly as `newsqa bot` runs it (which
    uses this too): signed in (retrying until Telegram answers), then long polling, or the
    webhook server when NEWSQA_WEBHOOK_URL is set; on exit, or once `stop` is set, a clean stop.

    Raises service.Stopped when `stop` is set before the bot could sign in.
    """
    stop = stop if stop is not None else asyncio.Event()
    application = build_application(settings, engine, flood_limit)
    poller: asyncio.Task[None] | None = None
    try:
        await service.persist(application.initialize, stop, "signing in")
        await _post_init(application)
        application.bot_data[STARTED] = True
        await application.start()
        if settings.webhook_url:
            await _start_webhook(application, settings, stop)
        else:
            poller = asyncio.create_task(service.poll(application, stop, ALLOWED_UPDATES, timeout=poll_timeout,
                                                      interval=poll_interval))  # fmt: skip
        yield application
    finally:
        stop.set()
        await _stop(application, poller)


async def _start_webhook(application: Application, settings: Settings, stop: asyncio.Event) -> None:
    """Register the webhook (retrying through outages), then serve it."""
    options = webhook_options(settings)
    register = {key: options[key] for key in ("allowed_updates", "secret_token")}
    await service.persist(lambda: application.bot.set_webhook(settings.webhook_url, **register),  # type: ignore[arg-type]
                          stop, "registering the webhook")  # fmt: skip
    await application.updater.start_webhook(**options, bootstrap_retries=-1)  # type: ignore[arg-type]


async def _stop(application: Application, poller: asyncio.Task[None] | None) -> None:
    """Stop taking updates, let the questions in hand finish (or tell their askers), shut down."""
    if poller is not None:
        await poller  # returns once `stop` is set, after marking the fetched updates as read
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        stopping = asyncio.ensure_future(application.stop())
        done, _ = await asyncio.wait({stopping}, timeout=STOP_GRACE)
        if not done:
            unfinished = await handlers.answer_unfinished(application.bot, application.bot_data)
            log.warning("stopping: %d questions unfinished after %.0f s; their askers were asked to ask again",
                        unfinished, STOP_GRACE)  # fmt: skip
            await stopping
    await application.shutdown()
    if application.bot_data.pop(STARTED, False):
        await _post_shutdown(application)


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
    """`newsqa bot`: serves until SIGTERM or SIGINT, then stops cleanly (exit status 0).

    An unreachable Bot API, timeouts and 5xx answers are retried with backoff, a rejected
    token every ten minutes (see bot.service): each attempt is one log line, never a
    traceback, and the process never exits for them.
    """
    problem = token_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    stats = engine.stats()
    log.info("serving %d articles (%s)", stats.articles, messages.date_range(stats))
    return asyncio.run(_serve(settings, engine))


async def _serve(settings: Settings, engine: Engine) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, _request_stop, stop, signal.Signals(signal_number).name)
    with contextlib.suppress(service.Stopped):
        async with running(settings, engine, stop=stop):
            await stop.wait()
    log.info("stopped")
    return 0


def _request_stop(stop: asyncio.Event, name: str) -> None:
    log.info("%s: stopping (questions in hand get up to %.0f s)", name, STOP_GRACE)
    stop.set()
