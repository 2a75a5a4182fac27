"""Example questions for /start drawn from the archive itself, each checked to be answered.

The newest articles' titles are turned into short questions a reader would ask (the title's
key phrase + "是怎么回事？"); a candidate is kept only when the engine answers it with a quote
from that very article. The examples are computed once per state of the index (keyed on
`Engine.stats()`), so a refresh that brings new articles brings new examples.
"""

from __future__ import annotations

import re
import threading
import weakref
from datetime import date

from retrieval.engine import Engine

EXAMPLES = 2  # how many /start shows
CANDIDATES = 10  # newest articles tried, at most
MIN_PHRASE = 6  # characters (spaces aside) a key phrase needs, two of them Chinese
MAX_PHRASE = 30  # characters (spaces aside); longer pieces make no short question
MAX_HEAD = 10  # a shorter piece before "：" names a place or a speaker, not the news
TEMPLATE = "{phrase}是怎么回事？"
FALLBACK = "最近有什么新闻？"

_PIECES = re.compile(r"([，,。！!？?：:；;、|｜/（）()《》【】\[\]“”\"'‘’—…~～_]+|\s{2,}|\s+-\s+)")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def question_from_title(title: str) -> str | None:
    """A short question about an article from its title's key phrase, or None when none fits.

    The key phrase is the first piece of the title (split at punctuation) that is long enough,
    not too long, and not a short head before "：" ("上海：采取更坚决果断行动，…" gives
    "采取更坚决果断行动是怎么回事？").
    """
    parts = _PIECES.split(title)
    for number in range(0, len(parts), 2):
        phrase = parts[number].strip(" \u3000.-+")
        after = parts[number + 1] if number + 1 < len(parts) else ""
        size = len(phrase.replace(" ", ""))
        if not MIN_PHRASE <= size <= MAX_PHRASE or len(_CJK.findall(phrase)) < 2:
            continue
        if size <= MAX_HEAD and after.strip()[:1] in (":", "：") and number + 2 < len(parts):
            continue
        return TEMPLATE.format(phrase=phrase)
    return None


_Key = tuple[int, int, date | None, date | None]


class ArchiveExamples:
    """The checked example questions of one engine, recomputed lazily after each refresh."""

    def __init__(self, engine: Engine, count: int = EXAMPLES, candidates: int = CANDIDATES) -> None:
        self.engine = engine
        self.count = count
        self.candidates = candidates
        self._lock = threading.Lock()
        self._key: _Key | None = None
        self._examples: list[str] = []

    def _state(self) -> _Key:
        """What the examples depend on: the articles, not how many passages are embedded yet."""
        stats = self.engine.stats()
        return (stats.articles, stats.passages, stats.first_day, stats.last_day)

    def current(self) -> list[str] | None:
        """The examples if they were computed for the index as it is now, else None (cheap)."""
        return list(self._examples) if self._key == self._state() else None

    def last(self) -> list[str]:
        """The examples last computed, possibly for an older state of the index (cheap)."""
        return list(self._examples)

    def get(self) -> list[str]:
        """The examples for the index as it is now; blocking (engine searches) when stale."""
        with self._lock:
            state = self._state()
            if self._key != state:
                self._examples = self._compute()
                self._key = state
            return list(self._examples)

    def unchecked(self) -> str:
        """A question from the newest titles without asking the engine (cheap), for usage hints."""
        for quote in self.engine.newest(self.candidates).quotes:
            question = question_from_title(quote.title)
            if question:
                return question
        return FALLBACK

    def _compute(self) -> list[str]:
        found: list[str] = []
        for quote in self.engine.newest(self.candidates).quotes:
            question = question_from_title(quote.title)
            if question is None or question in found:
                continue
            answer = self.engine.answer(question)
            if answer.found and any(hit.doc == quote.doc for hit in answer.quotes):
                found.append(question)
                if len(found) == self.count:
                    break
        return found


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, ArchiveExamples] = weakref.WeakKeyDictionary()
_BY_ENGINE_LOCK = threading.Lock()


def archive_examples(engine: Engine) -> ArchiveExamples:
    """The one ArchiveExamples of an engine, so that a warm-up at start-up serves every chat."""
    with _BY_ENGINE_LOCK:
        examples = _BY_ENGINE.get(engine)
        if examples is None:
            examples = _BY_ENGINE[engine] = ArchiveExamples(engine)
        return examples


def warm_up(engine: Engine) -> threading.Thread:
    """Compute the engine's examples in a background thread (at start-up, before any /start)."""
    thread = threading.Thread(target=archive_examples(engine).get, name="newsqa-examples", daemon=True)
    thread.start()
    return thread
