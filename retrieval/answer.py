"""Hits to an Answer: plain data (lead sentence, verbatim quotes, highlight spans).

Renderers (Telegram HTML, terminal text) turn an Answer into what the user sees; this
module decides what is said, never how it looks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .analyse import normalise, normalise_char
from .answer_type import can_hold, expected_answer, holds_measure
from .chunk import split_sentences
from .furniture import is_furniture
from .search import Hit, weight_share

MAX_QUOTE_CHARS = 200  # longer passages are shortened around their best sentences
ELLIPSIS = "…"
# The lead comes from the first hit unless a lower one matches the question much better: a
# sentence of the second hit counts half (measured: docs/quality.md, session 9).
LEAD_RANK_DISCOUNT = 0.5


@dataclass(frozen=True)
class Quote:
    """A passage quoted verbatim (possibly shortened with …) with where it comes from."""

    text: str
    title: str
    published: date | None
    source: str
    doc: str
    chunk: int
    spans: tuple[tuple[int, int], ...] = ()  # [start, end) of matched terms in `text`
    full_text: str = ""  # the whole passage, for an expandable view

    @property
    def date_label(self) -> str:
        return self.published.isoformat() if self.published else "日期不详"


@dataclass(frozen=True)
class Answer:
    """What the product says to a question: a lead sentence and quotes, or no answer."""

    question: str
    quotes: tuple[Quote, ...] = ()
    lead: str = ""
    lead_spans: tuple[tuple[int, int], ...] = ()
    terms: tuple[str, ...] = field(default=())

    @property
    def found(self) -> bool:
        return bool(self.quotes)


def highlight_spans(text: str, terms: list[str]) -> tuple[tuple[int, int], ...]:
    """Where the terms occur in text, matched on normalised characters, merged and sorted."""
    wanted = [term for term in terms if len(term) >= 2 or not term.isascii()]
    if not text or not wanted:
        return ()
    normal_chars = [normalise_char(char) for char in text]
    normal = "".join(normal_chars)
    owner: list[int] = []
    for index, piece in enumerate(normal_chars):
        owner.extend([index] * len(piece))
    spans: list[tuple[int, int]] = []
    for term in sorted(set(wanted), key=len, reverse=True):
        start = normal.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((owner[start], owner[end - 1] + 1))
            start = normal.find(term, end)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _sentence_score(sentence: str, terms: list[str]) -> float:
    normal = normalise(sentence)
    return sum(len(term) for term in set(terms) if term in normal)


def shorten(text: str, terms: list[str], limit: int = MAX_QUOTE_CHARS) -> str:
    """Keep the best-scoring run of whole sentences within limit, marking cuts with …."""
    if len(text) <= limit:
        return text
    sentences = split_sentences(text)
    best_start, best_end, best_score = 0, 1, -1.0
    for start in range(len(sentences)):
        length, score = 0, 0.0
        for end in range(start, len(sentences)):
            length += len(sentences[end])
            if length > limit and end > start:
                break
            score += _sentence_score(sentences[end], terms)
            if score > best_score:
                best_start, best_end, best_score = start, end + 1, score
    kept = "".join(sentences[best_start:best_end]).strip()
    if len(kept) > limit:
        kept = kept[: limit - 1].rstrip()
        return (ELLIPSIS if best_start > 0 else "") + kept + ELLIPSIS
    prefix = ELLIPSIS if best_start > 0 else ""
    suffix = ELLIPSIS if best_end < len(sentences) else ""
    return prefix + kept + suffix


def build_answer(question: str, hits: list[Hit], query_terms: list[str],
                 word_weights: Mapping[str, float] | None = None) -> Answer:  # fmt: skip
    """Quote every hit; lead with the single best sentence of the best passages.
    `word_weights`: the question's words with their IDF in the archive, so that the lead is the
    sentence holding its rarest words (瑞幸, 私营), not its commonest (企业, 利润)."""
    if not hits:
        return Answer(question=question, terms=tuple(query_terms))
    quotes = []
    for hit in hits:
        shown = shorten(hit.text, query_terms)
        quotes.append(
            Quote(
                text=shown,
                title=hit.title,
                published=hit.published,
                source=hit.source,
                doc=hit.doc,
                chunk=hit.chunk,
                spans=highlight_spans(shown, query_terms),
                full_text=hit.text,
            )
        )
    lead = _best_sentence(hits[:3], query_terms, question, word_weights)
    if quotes[0].text.lstrip(ELLIPSIS).startswith(lead):
        lead = ""  # the first quote opens with it: never print the same sentence twice
    return Answer(
        question=question,
        quotes=tuple(quotes),
        lead=lead,
        lead_spans=highlight_spans(lead, query_terms),
        terms=tuple(query_terms),
    )


def _best_sentence(hits: list[Hit], terms: list[str], question: str = "",
                   word_weights: Mapping[str, float] | None = None) -> str:  # fmt: skip
    """The sentence that matches the most of the question (by the words' weights when known, else
    by the matched terms' length), preferring better-ranked hits and, when the question asks for
    an amount or a time, sentences that hold one; never a byline, a signature, a photo credit or
    the title repeated."""
    normal_question = normalise(question)
    expected = expected_answer(normal_question)
    best, best_score = "", (False, -1.0)
    for rank, hit in enumerate(hits):
        for sentence in split_sentences(hit.text):
            normal = normalise(sentence)
            if not normal.strip() or is_furniture(normal, normalise(hit.title)):
                continue
            holds = can_hold(normal, expected) and holds_measure(normal, normal_question)
            matched = weight_share(normal, word_weights) if word_weights else _sentence_score(sentence, terms)
            score = (holds, matched * (1.0 - LEAD_RANK_DISCOUNT * rank))
            if score > best_score:
                best, best_score = sentence.strip(), score
    return best
