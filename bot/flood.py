"""Telegram's flood limits, with the replies first: "typing…" never makes an answer wait.

PTB's AIORateLimiter queues every call that names a chat behind one overall limit (30 a
second), chat actions included. When fifty people ask at once, fifty "typing…" actions would
take the places of fifty answers in that queue (measured: p99 2.7 s with them, see
bench/load_bot.py). A chat action is cosmetic, so here it is dropped, not queued, while the
limiter is busy; the next one (every few seconds while a search runs) goes out once it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

BUSY = 8  # calls waiting or in flight through the limiter beyond which a chat action is dropped


class RepliesFirst(AIORateLimiter):
    """AIORateLimiter that drops chat actions while other calls wait their turn."""

    def __init__(self, max_retries: int = 0, busy: int = BUSY) -> None:
        super().__init__(max_retries=max_retries)
        self.busy = busy
        self.in_flight = 0

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint == "sendChatAction" and self.in_flight >= self.busy:
            return True  # what Telegram answers to a chat action
        self.in_flight += 1
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        finally:
            self.in_flight -= 1
