"""Followed keywords, kept in SQLite beside the index: who follows what, what was sent, what waits.

Tables: `subscriptions` (chat, keyword), `sent` (chat, article: never the same article twice to
one chat), `pushes` (when each alert message went out, for the hourly cap) and `pending`
(alerts waiting for the cap to allow them). One connection shared by the event loop and the
refresh thread, behind a lock; every method is one short transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SUBSCRIPTIONS_FILE = "subscriptions.sqlite"
MAX_PER_CHAT = 20
MAX_KEYWORD_CHARS = 50
PUSHES_KEPT_SECONDS = 86_400  # older push times are of no use to the hourly cap

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (chat_id INTEGER, key TEXT, keyword TEXT, created REAL,
                                          PRIMARY KEY (chat_id, key));
CREATE TABLE IF NOT EXISTS sent (chat_id INTEGER, doc TEXT, at REAL, PRIMARY KEY (chat_id, doc));
CREATE TABLE IF NOT EXISTS pushes (chat_id INTEGER, at REAL);
CREATE INDEX IF NOT EXISTS pushes_by_chat ON pushes (chat_id, at);
CREATE TABLE IF NOT EXISTS pending (chat_id INTEGER, doc TEXT, keyword TEXT, title TEXT, day TEXT,
                                    message TEXT, queued REAL, PRIMARY KEY (chat_id, doc));
"""

Added = Literal["added", "exists", "full"]


def keyword_key(keyword: str) -> str:
    """What makes two keywords the same subscription: NFKC, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", keyword).casefold().split())


@dataclass(frozen=True)
class Alert:
    """One article for one chat: the rendered message, and its title and date for a digest."""

    chat_id: int
    doc: str
    keyword: str
    title: str
    day: str
    message: str


class SubscriptionStore:
    """The subscriptions database of one index folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def _run(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ subscriptions
    def add(self, chat_id: int, keyword: str) -> Added:
        """Follow `keyword` in the chat, unless it is followed already or the chat follows MAX_PER_CHAT."""
        key = keyword_key(keyword)
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM subscriptions WHERE chat_id=? AND key=?", (chat_id, key)).fetchone():
                return "exists"
            (count,) = self._db.execute("SELECT COUNT(*) FROM subscriptions WHERE chat_id=?", (chat_id,)).fetchone()
            if count >= MAX_PER_CHAT:
                return "full"
            self._db.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?)", (chat_id, key, keyword, time.time()))
            return "added"

    def remove(self, chat_id: int, keyword: str) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute("DELETE FROM subscriptions WHERE chat_id=? AND key=?",
                                      (chat_id, keyword_key(keyword)))  # fmt: skip
            return cursor.rowcount > 0

    def keywords(self, chat_id: int) -> list[str]:
        """The chat's keywords, oldest first."""
        rows = self._run("SELECT keyword FROM subscriptions WHERE chat_id=? ORDER BY created", (chat_id,))
        return [keyword for (keyword,) in rows]

    def followers(self) -> dict[str, tuple[str, list[int]]]:
        """Every followed keyword once (by key): its wording and the chats following it."""
        found: dict[str, tuple[str, list[int]]] = {}
        for key, keyword, chat_id in self._run("SELECT key, keyword, chat_id FROM subscriptions ORDER BY created"):
            found.setdefault(key, (keyword, []))[1].append(chat_id)
        return found

    def drop_chat(self, chat_id: int) -> None:
        """Forget a chat that blocked the bot or removed it: its subscriptions and waiting alerts."""
        with self._lock, self._db:
            for table in ("subscriptions", "pending", "pushes"):
                self._db.execute(f"DELETE FROM {table} WHERE chat_id=?", (chat_id,))

    def move_chat(self, old: int, new: int) -> None:
        """A group became a supergroup (a new chat id): everything follows it."""
        with self._lock, self._db:
            for table in ("subscriptions", "sent", "pending", "pushes"):
                self._db.execute(f"UPDATE OR IGNORE {table} SET chat_id=? WHERE chat_id=?", (new, old))

    # ------------------------------------------------------------------ alerts
    def queue(self, alerts: list[Alert]) -> set[int]:
        """Keep the alerts whose article was never sent to (nor is waiting for) the chat; the chats concerned."""
        chats = set()
        now = time.time()
        with self._lock, self._db:
            for alert in alerts:
                if self._sent(alert.chat_id, alert.doc):
                    continue
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO pending VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (alert.chat_id, alert.doc, alert.keyword, alert.title, alert.day, alert.message, now),
                )
                if cursor.rowcount:
                    chats.add(alert.chat_id)
        return chats

    def pending(self, chat_id: int) -> list[Alert]:
        rows = self._run("SELECT chat_id, doc, keyword, title, day, message FROM pending WHERE chat_id=? "
                         "ORDER BY queued, rowid", (chat_id,))  # fmt: skip
        return [Alert(*row) for row in rows]

    def chats_waiting(self) -> list[int]:
        return [chat_id for (chat_id,) in self._run("SELECT DISTINCT chat_id FROM pending")]

    def delivered(self, chat_id: int, docs: list[str], at: float | None = None) -> None:
        """One message went out (at `at`, else now) with these articles: they are sent, no longer waiting,
        and it counts against the hourly cap."""
        now = time.time() if at is None else at
        with self._lock, self._db:
            for doc in docs:
                self._db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?)", (chat_id, doc, now))
                self._db.execute("DELETE FROM pending WHERE chat_id=? AND doc=?", (chat_id, doc))
            self._db.execute("INSERT INTO pushes VALUES (?, ?)", (chat_id, now))
            self._db.execute("DELETE FROM pushes WHERE chat_id=? AND at<?", (chat_id, now - PUSHES_KEPT_SECONDS))

    def discard(self, chat_id: int, docs: list[str]) -> None:
        """Alerts that cannot be sent (Telegram refused them): no longer waiting."""
        with self._lock, self._db:
            for doc in docs:
                self._db.execute("DELETE FROM pending WHERE chat_id=? AND doc=?", (chat_id, doc))

    def pushes_since(self, chat_id: int, since: float) -> list[float]:
        """When the chat's alert messages since `since` went out, oldest first."""
        return [at for (at,) in self._run("SELECT at FROM pushes WHERE chat_id=? AND at>=? ORDER BY at",
                                          (chat_id, since))]  # fmt: skip

    def was_sent(self, chat_id: int, doc: str) -> bool:
        with self._lock:
            return self._sent(chat_id, doc)

    def _sent(self, chat_id: int, doc: str) -> bool:
        return self._db.execute("SELECT 1 FROM sent WHERE chat_id=? AND doc=?", (chat_id, doc)).fetchone() is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()


_STORES: dict[Path, SubscriptionStore] = {}
_STORES_LOCK = threading.Lock()


def store_for(index_dir: Path) -> SubscriptionStore:
    """The one store of an index folder (`subscriptions.sqlite` in it), opened on first use."""
    path = (index_dir / SUBSCRIPTIONS_FILE).resolve()
    with _STORES_LOCK:
        if path not in _STORES:
            _STORES[path] = SubscriptionStore(path)
        return _STORES[path]
