"""Staying up: Bot API calls retried through outages, long polling, and a stop that finishes work.

Every failed attempt is one log line and a wait: exponential backoff from 1 s, capped at
60 s, for an unreachable Bot API, timeouts and 5xx answers; the wait Telegram asks for
after flood control; ten minutes after Telegram rejects the token (it may have been revoked
by mistake, or the bot logged out of the cloud Bot API, which refuses it for ten minutes),
so a wrong token never turns into a restart loop. Nothing here ever gives up: only a stop
request (SIGTERM, SIGINT) ends the loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from .logs import one_line

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY = 1.0  # seconds before the first retry
MAX_DELAY = 60.0  # the backoff's cap
TOKEN_RETRY = 600.0  # a rejected token is tried again every ten minutes
TOKEN_REJECTED = "configuration error: TELEGRAM_BOT_TOKEN: rejected by Telegram"
CONFIRM_TIMEOUT = 3.0  # seconds for the last getUpdates that marks fetched updates as read


class Stopped(BaseException):
    """A stop was requested while waiting or calling (like CancelledError, not an Exception,
    so that no `except Exception` swallows it)."""


class Backoff:
    """Exponential delays: 1, 2, 4 … seconds, capped; reset after a success."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self.first, self.cap = first, cap
        self.delay = first
        self.failures = 0

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.cap, self.delay * 2)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.delay, self.failures = self.first, 0


def seconds_of(value: float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def pause_after(error: TelegramError, backoff: Backoff, doing: str) -> tuple[float, str]:
    """How long to wait after a failed Bot API call, and the one line that says so."""
    if isinstance(error, InvalidToken):
        return TOKEN_RETRY, f"{TOKEN_REJECTED} ({error}); trying again in {TOKEN_RETRY / 60:.0f} minutes"
    if isinstance(error, RetryAfter):
        seconds = seconds_of(error.retry_after) + 0.5
        return seconds, f"{doing}: Telegram asks to wait {seconds:.0f} s (flood control)"
    delay = backoff.next()
    if isinstance(error, Conflict):
        reason = f"another process is using this bot token ({error})"
    else:
        reason = f"Telegram Bot API unreachable ({one_line(error)})"
    return delay, f"{doing}: {reason}; retrying in {delay:.0f} s"


def level_of(error: TelegramError) -> int:
    """A rejected token is an error of configuration; the rest are the network's weather."""
    return logging.ERROR if isinstance(error, InvalidToken) else logging.WARNING


async def until_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `work`, cancelling it and raising Stopped as soon as `stop` is set."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise Stopped
    return task.result()


async def sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, or raise Stopped as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    if stop.is_set():
        raise Stopped


async def persist(call: Callable[[], Awaitable[T]], stop: asyncio.Event, doing: str) -> T:
    """Call until it succeeds, one log line and a pause after each failure; Stopped on stop."""
    backoff = Backoff()
    while True:
        try:
            result = await until_stopped(call(), stop)
        except TelegramError as error:
            delay, line = pause_after(error, backoff, doing)
            log.log(level_of(error), line)
            await sleep_unless_stopped(delay, stop)
            continue
        if backoff.failures:
            log.info("%s: Telegram Bot API reachable again", doing)
        return result


async def poll(application: Application, stop: asyncio.Event, allowed_updates: Sequence[str], *,
               timeout: float = 10.0, interval: float = 0.0) -> None:  # fmt: skip
    """Long polling into the application's update queue until `stop`; then confirm what was fetched.

    Never dies: Bot API failures are retried (see the module), anything else is logged and
    retried after the same backoff.
    """
    bot, backoff, offset = application.bot, Backoff(), 0
    with contextlib.suppress(Stopped):
        while True:
            try:
                updates, offset = await fetch(bot, offset, allowed_updates, timeout, stop)
            except TelegramError as error:
                delay, line = pause_after(error, backoff, "fetching updates")
                log.log(level_of(error), line)
                await sleep_unless_stopped(delay, stop)
                continue
            except Exception:
                delay = backoff.next()
                log.exception("fetching updates failed unexpectedly; retrying in %.0f s", delay)
                await sleep_unless_stopped(delay, stop)
                continue
            if backoff.failures:
                log.info("fetching updates: Telegram Bot API reachable again")
                backoff.reset()
            for update in updates:
                await application.update_queue.put(update)
            if interval:
                await sleep_unless_stopped(interval, stop)
    if offset:
        await confirm(bot, offset, allowed_updates)


async def fetch(bot: Bot, offset: int, allowed_updates: Sequence[str], timeout: float,
                stop: asyncio.Event) -> tuple[list[Update], int]:  # fmt: skip
    """One long poll: the updates and the next offset. An update the library cannot read
    (any error but a TelegramError) makes the pending updates be read one by one."""
    call = bot.get_updates(offset=offset, timeout=int(timeout), allowed_updates=list(allowed_updates))
    try:
        updates = await until_stopped(call, stop)
    except TelegramError:
        raise
    except Exception as error:
        log.error("fetching updates: could not read them (%s); reading them one by one", one_line(error))
        return await until_stopped(read_leniently(bot, offset, allowed_updates), stop)
    return updates, max(offset, updates[-1].update_id + 1) if updates else offset


async def read_leniently(bot: Bot, offset: int, allowed_updates: Sequence[str]) -> tuple[list[Update], int]:
    """The pending updates read one at a time, those that cannot be read skipped; the new offset.

    Without this, one update the library cannot parse would be fetched again, forever.
    """
    kwargs = {"offset": offset, "timeout": 0, "allowed_updates": list(allowed_updates)}
    try:
        with warnings.catch_warnings():  # do_api_request warns that getUpdates has its own method
            warnings.simplefilter("ignore")
            raw = await bot.do_api_request("getUpdates", api_kwargs=kwargs)
    except TelegramError as error:
        log.warning("fetching updates: %s", one_line(error))
        return [], offset
    updates = []
    for item in raw if isinstance(raw, list) else []:
        try:
            offset = max(offset, int(item["update_id"]) + 1)
            updates.append(Update.de_json(item, bot))
        except Exception as error:
            log.error("skipped update %s, which could not be read: %s", item.get("update_id"), one_line(error))
    return updates, offset


async def confirm(bot: Bot, offset: int, allowed_updates: Sequence[str]) -> None:
    """Mark the fetched updates as read, so that the next start does not fetch them again."""
    try:
        await asyncio.wait_for(bot.get_updates(offset=offset, timeout=0, allowed_updates=list(allowed_updates)),
                               CONFIRM_TIMEOUT)  # fmt: skip
    except (TelegramError, TimeoutError) as error:
        log.info("could not mark the last updates as read (%s); they may be fetched again", one_line(error))
