"""Pages of an answer: which quotes one message shows, and where the next page is kept."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

from retrieval.answer import Answer

Style = Literal["ask", "search", "latest"]


@dataclass(frozen=True)
class Page:
    """Quotes answer.quotes[start:start + size] of an answer, shown in one message."""

    answer: Answer
    style: Style = "ask"
    start: int = 0
    size: int = 3
    header: str = ""  # plain text shown above the quotes, e.g. "搜索：核酸"

    def following(self, shown: int) -> Page | None:
        """The next page after `shown` quotes of this one, or None when nothing is left."""
        start = self.start + shown
        return replace(self, start=start) if start < len(self.answer.quotes) else None


@dataclass(frozen=True)
class Rendered:
    """A rendered page: the message text and how many quotes it holds."""

    text: str
    shown: int = 0


class PageStore:
    """Next pages under short random keys (for ≤ 64-byte callback data), oldest dropped first.

    The store lives in memory only: after a restart every key is unknown, and the bot
    answers an old "more" button with a polite "expired" note.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._lock = threading.Lock()  # searches finish in worker threads

    def put(self, page: Page, key: str | None = None) -> str:
        key = key or secrets.token_urlsafe(6)
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.capacity:
                self._pages.popitem(last=False)
        return key

    def get(self, key: str) -> Page | None:
        with self._lock:
            return self._pages.get(key)

    def pop(self, key: str) -> Page | None:
        with self._lock:
            return self._pages.pop(key, None)

    def __len__(self) -> int:
        return len(self._pages)
