"""Question to Query: the words to match, the dates it names, whether it wants the latest."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from .analyse import Analyzer, normalise
from .answer_type import Expected, expected_answer
from .names import names_in

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"(\d{1,4}|[一二三四五六七八九十]{1,3})"
_FULL_DATE = re.compile(rf"(?:(\d{{4}})\s*年\s*)?{_NUM}\s*月\s*{_NUM}\s*[日号]")
_MONTH_PART = re.compile(rf"(?:(\d{{4}})\s*年\s*)?{_NUM}\s*月\s*(上旬|中旬|下旬|初|底|末)?")
_YEAR_ONLY = re.compile(r"(?<!\d)(\d{4})\s*年(?!\s*\d{1,2}\s*月)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MARKUP = re.compile(r"</?[a-z][^<>]*>|&(?:[a-z]+|#\d+);")  # pasted tags and entities are not words
_MONTH_PARTS = {"上旬": (1, 10), "初": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "底": (21, 31), "末": (21, 31)}
_LATEST = re.compile(r"最新|最近|近期|近来|这几天|latest|recent", re.IGNORECASE)


@dataclass(frozen=True)
class DateSpan:
    """A closed range of days the question asks about; year None when the question gave none."""

    start_month: int
    start_day: int
    end_month: int
    end_day: int
    year: int | None = None
    whole_year: bool = False

    def resolve(self, year: int) -> tuple[date, date]:
        last = calendar.monthrange(year, self.end_month)[1]
        return date(year, self.start_month, self.start_day), date(year, self.end_month, min(self.end_day, last))


@dataclass
class Query:
    """What search needs from a question.

    `words` and `bigrams` (the whole question, dates included) are scored by BM25; the
    `topic_*` lists leave the dates out and decide whether a passage answers at all;
    `required` are the question's Latin words and numbers (model names, versions), which
    an answering passage must contain; `expects`: the kind of answer asked for (a time, an
    amount), which an answering passage must hold; `names` the people and other proper names
    it asks about, which an answering passage or its article must say.
    """

    text: str
    words: list[str]
    bigrams: list[str]
    dates: list[DateSpan] = field(default_factory=list)
    wants_latest: bool = False
    topic_words: list[str] = field(default_factory=list)
    topic_bigrams: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    expects: Expected = Expected.ANYTHING
    names: list[str] = field(default_factory=list)  # proper names (people, companies): retrieval.names


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN_DIGITS[token[1]]
    if token.endswith("十"):
        return _CN_DIGITS[token[0]] * 10
    if len(token) == 3 and token[1] == "十":
        return _CN_DIGITS[token[0]] * 10 + _CN_DIGITS[token[2]]
    return _CN_DIGITS.get(token, 0)


def _valid(month: int, day: int = 1) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def extract_dates(text: str) -> tuple[list[DateSpan], str]:
    """Find dates in a question; return them and the question with the dates cut out."""
    spans: list[DateSpan] = []

    def full(match: re.Match[str]) -> str:
        year = int(match[1]) if match[1] else None
        month, day = _number(match[2]), _number(match[3])
        if _valid(month, day):
            spans.append(DateSpan(month, day, month, day, year))
        return " "

    def iso(match: re.Match[str]) -> str:
        month, day = int(match[2]), int(match[3])
        if _valid(month, day):
            spans.append(DateSpan(month, day, month, day, int(match[1])))
        return " "

    def month_part(match: re.Match[str]) -> str:
        year = int(match[1]) if match[1] else None
        month = _number(match[2])
        if not _valid(month):
            return match[0]
        part = match[3] or ""
        first, last = _MONTH_PARTS.get(part, (1, 31))
        spans.append(DateSpan(month, first, month, last, year))
        return " "

    def year_only(match: re.Match[str]) -> str:
        spans.append(DateSpan(1, 1, 12, 31, int(match[1]), whole_year=True))
        return " "

    rest = _ISO_DATE.sub(iso, text)
    rest = _FULL_DATE.sub(full, rest)
    rest = _MONTH_PART.sub(month_part, rest)
    rest = _YEAR_ONLY.sub(year_only, rest)
    return spans, rest


_VERSION = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}")  # 1.8.5: the analyser cuts it into 1.8 and 5


def _required_terms(words: list[str], text: str) -> list[str]:
    """The question's Latin words and numbers, a dotted version as one term."""
    versions = _VERSION.findall(text)
    pieces = {piece for version in versions for piece in _version_pieces(version)}
    latin = [word for word in words if word.isascii() and word not in pieces]
    return list(dict.fromkeys([*latin, *versions]))


def _version_pieces(version: str) -> set[str]:
    """Every run of the version's parts, as the analyser may have cut it (1.8.5: 1, 8, 5, 1.8, 8.5)."""
    parts = version.split(".")
    return {".".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}


def parse_question(question: str, analyzer: Analyzer) -> Query:
    """Analyse a question with the same analyser as the articles."""
    normal = _MARKUP.sub(" ", normalise(question))
    dates, rest = extract_dates(normal)
    whole = analyzer.analyse(normal)
    topic = analyzer.analyse(rest) if dates else whole
    return Query(
        text=question,
        words=whole.words,
        bigrams=whole.bigrams,
        dates=dates,
        wants_latest=bool(_LATEST.search(normal)),
        topic_words=topic.words,
        topic_bigrams=topic.bigrams,
        required=_required_terms(topic.words, rest if dates else normal),
        expects=expected_answer(normal),
        names=names_in(normal, analyzer.segmenter),
    )
