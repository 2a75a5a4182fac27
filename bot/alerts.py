"""Alerts: when a refresh brings new or changed articles, push them to the chats following a keyword.

The engine calls `Alerts.on_refresh` in its refresh thread. Each followed keyword is searched
(the search and no-answer rule of questions) among the refresh's articles only; each article
found becomes an alert for every chat following the keyword, queued in the SubscriptionStore
unless that chat already had it. The event loop then sends what each chat's cap allows:
ALERTS_PER_HOUR single alerts an hour (the best passage, its title and date, rendered like an
answer), and beyond that one digest of titles; what the cap holds back waits (on disk) for the
hour to pass. Telegram's flood limits are the application's AIORateLimiter; a chat that blocked
or removed the bot (403) loses its subscriptions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from retrieval.engine import Answer, RefreshReport

from . import following_messages as text
from .conversation import Conversation
from .following import ALERTS_PER_HOUR
from .handlers import CONVERSATION, NO_PREVIEW, retrying
from .pages import Page
from .render_base import TITLE_CHARS, clip
from .subscriptions import Alert, SubscriptionStore, store_for

log = logging.getLogger(__name__)

ALERTS = "alerts"  # bot_data key
HOUR = 3600.0
MATCHES_PER_KEYWORD = 50  # articles of one refresh one keyword may bring
DIGEST_ITEMS = 20  # titles listed in a digest; the rest are counted
DIGEST_TITLE_CHARS = 60
RETRY_SECONDS = 60.0  # after a network failure


class Alerts:
    """Matches refreshed articles against followed keywords and sends the alerts of each chat."""

    def __init__(self, application: Application, conversation: Conversation, store: SubscriptionStore,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.application = application
        self.conversation = conversation
        self.engine = conversation.engine
        self.store = store
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._futures: set[concurrent.futures.Future[None]] = set()  # handed over by the refresh thread
        self._tasks: set[asyncio.Task[None]] = set()  # started by timers

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """On the event loop: listen to the engine's refreshes; send what waited over a restart."""
        self._loop = asyncio.get_running_loop()
        self.engine.on_refresh(self.on_refresh)
        for chat_id in self.store.chats_waiting():
            self._later(chat_id, 1.0)

    async def stop(self) -> None:
        self.engine.off_refresh(self.on_refresh)
        self._loop = None
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for future in list(self._futures):
            future.cancel()
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ matching (refresh thread)
    def on_refresh(self, report: RefreshReport) -> None:
        """Queue the alerts that the refresh's new and changed articles make, and have the loop send them."""
        docs = sorted(set(report.added) | set(report.updated))
        loop = self._loop
        if not docs or loop is None or report.rebuilt:  # a rebuilt index brings nothing new
            return
        chats = self.store.queue(self.match(docs))
        if chats:
            try:
                future = asyncio.run_coroutine_threadsafe(self._flush_all(sorted(chats)), loop)
            except RuntimeError:  # the loop closed meanwhile: the alerts wait on disk for the next start
                return
            self._futures.add(future)
            future.add_done_callback(self._futures.discard)

    def match(self, docs: list[str]) -> list[Alert]:
        """Every followed keyword searched among `docs`: an alert per article found, per following chat."""
        alerts: list[Alert] = []
        for keyword, chats in self.store.followers().values():
            answer = self.engine.answer(keyword, k=min(len(docs), MATCHES_PER_KEYWORD), per_article=1, docs=docs)
            for quote in answer.quotes:
                message = self.render(answer, quote.doc, keyword)
                alerts += [Alert(chat, quote.doc, keyword, quote.title, quote.date_label, message) for chat in chats]
        return alerts

    def render(self, answer: Answer, doc: str, keyword: str) -> str:
        """One article's best quote under a bell, laid out as answers are."""
        quotes = tuple(quote for quote in answer.quotes if quote.doc == doc)
        page = Page(replace(answer, quotes=quotes), "latest", 0, 1, text.ALERT_HEADER.format(keyword=keyword))
        return self.conversation.renderer.page(page).text

    def digest(self, alerts: list[Alert]) -> str:
        lines = [text.DIGEST_HEADER.format(count=len(alerts))]
        for alert in alerts[:DIGEST_ITEMS]:
            title = clip(alert.title.strip() or "无标题", (), min(DIGEST_TITLE_CHARS, TITLE_CHARS))[0]
            lines.append(text.DIGEST_ITEM.format(title=title, day=alert.day, keyword=alert.keyword))
        if len(alerts) > DIGEST_ITEMS:
            lines.append(text.DIGEST_MORE.format(count=len(alerts) - DIGEST_ITEMS))
        lines += ["", text.DIGEST_FOOTER.format(cap=ALERTS_PER_HOUR)]
        return self.conversation.renderer.notice("\n".join(lines))

    # ------------------------------------------------------------------ sending (event loop)
    async def _flush_all(self, chats: list[int]) -> None:
        results = await asyncio.gather(*(self.flush(chat_id) for chat_id in chats), return_exceptions=True)
        for chat_id, result in zip(chats, results, strict=True):
            if isinstance(result, Exception):
                log.error("alerts for chat %s failed: %s", chat_id, result, exc_info=result)

    async def flush(self, chat_id: int) -> None:
        """Send the chat's waiting alerts that the hourly cap allows; the rest wait for the hour to pass."""
        async with self._locks.setdefault(chat_id, asyncio.Lock()):
            waiting = self.store.pending(chat_id)
            if not waiting:
                return
            if not self.conversation.allow.allows(chat_id):  # no longer an allowed chat
                self.store.discard(chat_id, [alert.doc for alert in waiting])
                return
            now = self.clock()
            recent = self.store.pushes_since(chat_id, now - HOUR)
            room = ALERTS_PER_HOUR - len(recent)
            if room <= 0:
                self._later(chat_id, recent[0] + HOUR - now + 1.0)
                return
            singles, rest = (waiting, []) if len(waiting) <= room else (waiting[: room - 1], waiting[room - 1 :])
            for alert in singles:
                if not await self._send(chat_id, alert.message, [alert.doc]):
                    return
            if rest:
                await self._send(chat_id, self.digest(rest), [alert.doc for alert in rest])

    async def _send(self, chat_id: int, message: str, docs: list[str]) -> bool:
        """One alert message; False when the chat's other alerts must not follow now."""
        bot = self.application.bot
        try:
            await retrying(lambda: bot.send_message(chat_id, message, parse_mode=ParseMode.HTML,
                                                    link_preview_options=NO_PREVIEW), idempotent=False)  # fmt: skip
        except Forbidden as error:  # blocked by the user, or removed from the group
            log.info("chat %s cannot be written to (%s): its subscriptions are dropped", chat_id, error)
            self.store.drop_chat(chat_id)
            return False
        except ChatMigrated as moved:  # the group became a supergroup
            self.store.move_chat(chat_id, moved.new_chat_id)
            self._later(moved.new_chat_id, 0.0)
            return False
        except RetryAfter as error:  # flood control beyond the rate limiter's retries
            wait = error.retry_after
            self._later(chat_id, wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
            return False
        except TimedOut:  # it may have been delivered: never risk sending it twice
            log.warning("an alert to chat %s timed out; taken as sent", chat_id)
        except BadRequest as error:
            log.warning("Telegram refused an alert to chat %s: %s", chat_id, error)
            self.store.discard(chat_id, docs)
            return True
        except NetworkError as error:
            log.warning("could not send an alert to chat %s (%s); retrying in %.0f s", chat_id, error, RETRY_SECONDS)
            self._later(chat_id, RETRY_SECONDS)
            return False
        except TelegramError as error:
            log.warning("could not send an alert to chat %s: %s", chat_id, error)
            self.store.discard(chat_id, docs)
            return True
        self.store.delivered(chat_id, docs, self.clock())
        return True

    def _later(self, chat_id: int, delay: float) -> None:
        """Flush the chat after `delay` seconds (an earlier timer already set wins)."""
        loop = self._loop
        if loop is None:
            return
        due = loop.time() + max(delay, 0.0)
        timer = self._timers.get(chat_id)
        if timer is not None and not timer.cancelled() and timer.when() <= due:
            return
        if timer is not None:
            timer.cancel()
        self._timers[chat_id] = loop.call_at(due, self._due, chat_id)

    def _due(self, chat_id: int) -> None:
        self._timers.pop(chat_id, None)
        if self._loop is not None:
            task = asyncio.ensure_future(self._flush_all([chat_id]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def start(application: Application) -> Alerts:
    """Alerts for the application's chats, subscriptions in `subscriptions.sqlite` beside the index."""
    conversation: Conversation = application.bot_data[CONVERSATION]
    alerts = Alerts(application, conversation, store_for(conversation.engine.index_dir))
    application.bot_data[ALERTS] = alerts
    alerts.start()
    return alerts


async def stop(application: Application) -> None:
    alerts: Alerts | None = application.bot_data.pop(ALERTS, None)
    if alerts is not None:
        await alerts.stop()
