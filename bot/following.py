"""The /follow, /following, /unfollow and /trend commands: the words to say, the chart to send.

`bot.conversation` routes these commands here; pushing the alerts themselves is `bot.alerts`.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import following_messages as text
from .subscriptions import MAX_KEYWORD_CHARS, MAX_PER_CHAT, store_for
from .trend_chart import render_png, sparkline

if TYPE_CHECKING:
    from retrieval.engine import Engine, Trend

COMMANDS = frozenset({"follow", "following", "unfollow", "trend"})
ALERTS_PER_HOUR = 5  # single alerts one chat gets per hour; the rest go into one digest
TREND_FOLDER = "trends"  # in the user's cache folder (the local chat's charts)


def keyword_problem(command: str, words: str) -> str | None:
    """Why `words` cannot be a keyword (empty, too long, no letters), or None."""
    if not words:
        return {"follow": text.FOLLOW_USAGE, "unfollow": text.UNFOLLOW_USAGE}.get(command, text.TREND_USAGE)
    if len(words) > MAX_KEYWORD_CHARS:
        return text.KEYWORD_TOO_LONG.format(length=len(words), limit=MAX_KEYWORD_CHARS)
    if not any(char.isalnum() for char in words):
        return text.KEYWORD_NO_WORDS.format(command=command)
    return None


def alert_command(index_dir: Path, chat_id: int, command: str, words: str, terminal: bool = False) -> str:
    """What /follow, /following or /unfollow does to the chat's subscriptions, and says about it."""
    if terminal:
        return text.TERMINAL_NO_ALERTS
    store = store_for(index_dir)
    if command == "following":
        keywords = store.keywords(chat_id)
        if not keywords:
            return text.FOLLOWING_NONE
        items = "\n".join(f"• {keyword}" for keyword in keywords)
        return text.FOLLOWING_LIST.format(count=len(keywords), limit=MAX_PER_CHAT, items=items)
    problem = keyword_problem(command, words)
    if problem:
        return problem
    if command == "unfollow":
        return (text.UNFOLLOWED if store.remove(chat_id, words) else text.NOT_FOLLOWED).format(keyword=words)
    outcome = store.add(chat_id, words)
    if outcome == "full":
        return text.TOO_MANY.format(limit=MAX_PER_CHAT)
    wording = text.FOLLOWED if outcome == "added" else text.ALREADY_FOLLOWED
    return wording.format(keyword=words, cap=ALERTS_PER_HOUR)


def trend(engine: Engine, keyword: str, terminal: bool = False) -> tuple[str, bytes | None]:
    """Blocking: the caption and the chart (PNG) of the keyword's trend; no chart when nothing matches.
    In the terminal the caption ends with a sparkline."""
    found = engine.trend(keyword)
    if not found.total:
        return text.TREND_NONE.format(keyword=keyword), None
    caption = trend_caption(found)
    if terminal:
        line = sparkline([count for _, count in found.periods])
        caption += "\n" + text.TREND_SPARKLINE.format(line=line, unit=text.UNITS[found.unit])
    return caption, render_png(found)


def trend_caption(found: Trend) -> str:
    """Names the keyword, the span, the total and the peak period."""
    unit = text.UNITS[found.unit]
    peak_start, peak_count = found.peak or (found.periods[0][0], 0)
    caption = text.TREND_CAPTION.format(keyword=found.keyword, first=found.periods[0][0].isoformat(),
                                        last=_iso(found.last_day), total=found.total, unit=unit,
                                        peak=period_label(peak_start, found.unit), count=peak_count)  # fmt: skip
    if found.undated:
        caption += "\n" + text.TREND_UNDATED.format(count=found.undated)
    return caption


def period_label(start: date, unit: str) -> str:
    return f"{start.isoformat()} 起的一周" if unit == "week" else f"{start.year}年{start.month}月"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def save_chart(png: bytes, keyword: str, folder: Path) -> str:
    """The local chat's chart: saved in `folder` (one file per keyword); says where, or why not."""
    path = folder / ("trend-" + hashlib.sha256(keyword.encode()).hexdigest()[:12] + ".png")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    except OSError as error:
        return text.CHART_NOT_SAVED.format(error=error)
    return text.CHART_SAVED.format(path=path)
