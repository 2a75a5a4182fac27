"""How often the archive mentions a keyword: matching articles per week or per month.

A passage matches when it holds every term of the keyword as the question analyser reads
it (each character bigram of its Chinese words, each Latin word and number); an article
matches when one of its passages does, and counts once in the period of its date. Matching
passages come from tantivy, their dates from the `day` fast field; only the `doc` field of
the matches is read, to count each article once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import tantivy

from .analyse import has_cjk
from .index import NO_DATE
from .query import Query

Unit = Literal["week", "month"]
WEEKLY_SPAN_DAYS = 26 * 7  # archives spanning up to half a year are counted per week, longer ones per month
MAX_MATCHES = 500_000  # matching passages read at most (a keyword in every passage of a huge archive)


@dataclass(frozen=True)
class Trend:
    """Matching articles per period, oldest first, every period of the archive's span included."""

    keyword: str
    unit: Unit
    periods: tuple[tuple[date, int], ...]  # (first day of the period, articles)
    undated: int = 0  # matching articles with no date, in no period

    @property
    def total(self) -> int:
        return sum(count for _, count in self.periods)

    @property
    def peak(self) -> tuple[date, int] | None:
        """The period with the most articles (the earliest of equals), None when nothing matched."""
        if not self.total:
            return None
        return max(self.periods, key=lambda period: (period[1], -period[0].toordinal()))

    @property
    def last_day(self) -> date | None:
        """The last day of the last period."""
        return period_end(self.periods[-1][0], self.unit) if self.periods else None


def period_start(day: date, unit: Unit) -> date:
    """The Monday of the day's week, or the first of its month."""
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)


def period_end(start: date, unit: Unit) -> date:
    if unit == "week":
        return start + timedelta(days=6)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _next(start: date, unit: Unit) -> date:
    return period_end(start, unit) + timedelta(days=1)


def match_query(schema: tantivy.Schema, query: Query) -> tantivy.Query | None:
    """All of the keyword's terms: its bigrams in `grams`, its other words in `words`; None if it has none."""
    clauses = [
        (tantivy.Occur.Must, tantivy.Query.term_query(schema, "grams", gram))
        for gram in dict.fromkeys(query.topic_bigrams)
    ]
    clauses += [
        (tantivy.Occur.Must, tantivy.Query.term_query(schema, "words", word))
        for word in dict.fromkeys(query.topic_words)
        if not has_cjk(word)
    ]
    return tantivy.Query.boolean_query(clauses) if clauses else None


def count_trend(searcher: tantivy.Searcher, schema: tantivy.Schema, query: Query,
                first_day: int | None, last_day: int | None) -> Trend:  # fmt: skip
    """Matching articles per period over the archive's days `first_day`..`last_day` (ordinals)."""
    if first_day is None or last_day is None:
        return Trend(query.text, "week", ())
    unit: Unit = "week" if last_day - first_day <= WEEKLY_SPAN_DAYS else "month"
    articles: dict[date, set[str]] = {}
    undated: set[str] = set()
    matcher = match_query(schema, query)
    if matcher is not None:
        matches = min(searcher.search(matcher, 1).count or 0, MAX_MATCHES)
        hits = searcher.search(matcher, matches, count=False).hits if matches else []
        addresses = [address for _, address in hits]
        days = searcher.fast_field_values("day", addresses) if addresses else []
        for address, day in zip(addresses, days, strict=True):
            doc = searcher.doc(address).get_first("doc") or ""
            if day is None or day == NO_DATE:
                undated.add(doc)
            else:
                articles.setdefault(period_start(date.fromordinal(int(day)), unit), set()).add(doc)
    periods = []
    start, end = period_start(date.fromordinal(first_day), unit), date.fromordinal(last_day)
    while start <= end:
        periods.append((start, len(articles.get(start, ()))))
        start = _next(start, unit)
    return Trend(query.text, unit, tuple(periods), len(undated))
