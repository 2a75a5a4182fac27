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


Owner = tuple[int, int]  # (chat id, message id) of the message whose button shows the page


class PageStore:
    """Next pages under short random keys (for ≤ 64-byte callback data), oldest dropped first.

    Once the message carrying a page's button is sent, the page is bound to that chat and message
    (`bind`): a button pressed anywhere else (a forwarded copy, a forged key) gets nothing, and the
    page stays for its own button. At most `capacity` pages are kept. The store lives in memory
    only: after a restart every key is unknown, and the bot answers an old "more" button with a
    polite "expired" note.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._pages: OrderedDict[str, tuple[Page, Owner | None]] = OrderedDict()
        self._lock = threading.Lock()  # searches finish in worker threads

    def put(self, page: Page, key: str | None = None) -> str:
        key = key or secrets.token_urlsafe(6)
        with self._lock:
            self._pages[key] = (page, None)
            self._pages.move_to_end(key)
            while len(self._pages) > self.capacity:
                self._pages.popitem(last=False)
        return key

    def bind(self, key: str, chat_id: int, message_id: int) -> None:
        """The page under `key` is shown by this message's button only."""
        with self._lock:
            entry = self._pages.get(key)
            if entry is not None:
                self._pages[key] = (entry[0], (chat_id, message_id))

    def get(self, key: str) -> Page | None:
        with self._lock:
            entry = self._pages.get(key)
            return entry[0] if entry is not None else None

    def pop(self, key: str, owner: Owner | None = None) -> Page | None:
        """The page under `key`, removed; with `owner`, only if bound to that chat and message."""
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or (owner is not None and entry[1] is not None and entry[1] != owner):
                return None
            del self._pages[key]
            return entry[0]

    def __len__(self) -> int:
        return len(self._pages)
