"""Who may ask and how often: a per-user question rate and an optional allow-list of chats."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable


class RateLimiter:
    """At most `per_minute` requests per user in any sliding 60-second window."""

    WINDOW = 60.0
    MAX_USERS = 10_000  # users remembered at once; those quiet for a minute are forgotten first

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._times: OrderedDict[int, deque[float]] = OrderedDict()  # least recently active first
        self._warned: set[int] = set()

    def __len__(self) -> int:
        return len(self._times)

    def _forget_quiet(self, now: float) -> None:
        """Drop users with no request in the window, then, in a flood of new users, the least
        recently active: the table never holds more than MAX_USERS. The table is kept in order of
        last activity, so this looks only at the users it drops."""
        while self._times:
            user_id, times = next(iter(self._times.items()))
            if times and now - times[-1] < self.WINDOW and len(self._times) < self.MAX_USERS:
                break
            del self._times[user_id]
            self._warned.discard(user_id)

    def wait_seconds(self, user_id: int) -> int:
        """0 and the request is counted, or the whole seconds until the user may ask again."""
        now = self.clock()
        if user_id not in self._times and len(self._times) >= self.MAX_USERS:
            self._forget_quiet(now)
        times = self._times.setdefault(user_id, deque())
        self._times.move_to_end(user_id)
        while times and now - times[0] >= self.WINDOW:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._warned.discard(user_id)
            return 0
        return max(1, math.ceil(self.WINDOW - (now - times[0])))

    def first_warning(self, user_id: int) -> bool:
        """True once per run of refused requests, so a flood gets one note, not one each."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True


class AllowList:
    """Chats the bot serves; empty means every chat. Others are refused once each."""

    def __init__(self, chat_ids: Iterable[int]) -> None:
        self.chat_ids = frozenset(chat_ids)
        self._refused: set[int] = set()

    def allows(self, chat_id: int) -> bool:
        return not self.chat_ids or chat_id in self.chat_ids

    MAX_REFUSED = 10_000  # refused chats remembered; past that the table starts afresh (one more note each)

    def first_refusal(self, chat_id: int) -> bool:
        """True the first time a chat is refused, False afterwards."""
        if chat_id in self._refused:
            return False
        if len(self._refused) >= self.MAX_REFUSED:
            self._refused.clear()
        self._refused.add(chat_id)
        return True
