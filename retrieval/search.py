"""Query to hits: BM25 candidates from tantivy, reranked by meaning, capped per article, or none at all.

Ranking: tantivy's best lexical candidates (dates and recency boosting them) are read in
order; the first `rerank_depth` are reordered by lexical score (scaled to the best one),
coverage, and the semantic similarity of question and passage (retrieval.semantic). A passage
past them that is picked is scored on the same scale (its closeness taken as the least
measured), and the hits are returned in score order.

The no-answer rule (Searcher._may_answer): a passage is shown only when it contains the
question's terms that carry at least `min_coverage` of the question's information, measured
as IDF mass (averaged over words and character bigrams), or when its meaning is surely the
question's (cosine at least `sure_similarity`, and that closeness unusual for this question:
retrieval.background); it must contain the question's numbers and Latin words (a surely
close passage may name a Latin word otherwise); and it must be able to hold the kind of
answer asked for (retrieval.answer_type: a time, an amount); the question's period, place and
ordinal (retrieval.qualifiers) and the proper names the archive knows (retrieval.names) must be
in the passage or its article. A question about something the corpus never mentions ("比特币")
fails this test everywhere, so the answer is an honest "no answer".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

import tantivy

from .analyse import normalise, normalised
from .answer_type import Expected, can_hold, holds_measure
from .index import NO_DATE, CorpusIndex, stored_text
from .names import unnamed
from .qualifiers import Qualifiers, qualifiers_of, unmet
from .query import Query
from .semantic import SemanticScorer, passage_text, shared_scorer

# News is often printed a day or more after the day it reports: dates near the asked day count too.
DAYS_BEFORE, DAYS_AFTER = 1, 3
POSITION_HORIZON = 20  # paragraphs: the rerank's position penalty grows until here
NEAR_DUPLICATE_SHARE = 0.8  # passages sharing this much of their text are quoted once


@dataclass(frozen=True)
class SearchSettings:
    """Ranking knobs; the defaults are the ones the evaluation harness chose."""

    word_boost: float = 1.0
    gram_boost: float = 0.8
    title_boost: float = 0.4
    candidates: int = 60
    min_coverage: float = 0.35
    require_latin_terms: bool = True  # an answer must contain the question's Latin words and numbers
    date_boost: float = 0.6
    recency_boost: float = 0.5
    per_article: int = 5  # quotes from one article: its answering paragraph is often its 4th or 5th best
    semantic_weight: float = 20.0  # 0 turns the semantic rerank off
    rerank_depth: int = 20  # lexical candidates reranked by meaning
    vector_candidates: int = 10  # the passages nearest in meaning (stored vectors) join the rerank
    sure_similarity: float = 0.88  # a reranked passage this close in meaning answers even with few shared words
    sure_standard_score: float = 3.0  # ...if that closeness is also this unusual for the question (background)
    require_answer_type: bool = True  # "when" needs a passage naming a time, "how many" one with an amount
    require_qualifiers: bool = True  # the question's period, place and ordinal, in the passage or its article
    require_names: bool = True  # the question's proper names the archive knows, in the passage or its article
    whole_article: bool = False  # best two from one article: rerank all its passages (measured: no change)
    position_weight: float = 0.5  # news says its facts early: a passage 20 or more paragraphs in loses this much


@dataclass
class Hit:
    """One passage that answers, with what the answer needs to quote and date it."""

    doc: str
    chunk: int
    score: float
    text: str
    title: str
    published: date | None
    source: str
    heading: str
    coverage: float
    terms: list[str] = field(default_factory=list)  # query terms found in the passage
    similarity: float | None = None  # meaning-level closeness to the question, when it was measured


def _idf(doc_freq: int, total: int) -> float:
    """BM25's IDF as tantivy and Lucene compute it."""
    return math.log(1 + (total - doc_freq + 0.5) / (doc_freq + 0.5))


class Searcher:
    """Runs queries against one CorpusIndex."""

    def __init__(self, index: CorpusIndex, settings: SearchSettings | None = None,
                 scorer: SemanticScorer | None = None) -> None:  # fmt: skip
        """`scorer`: the semantic reranker; the process-wide one unless given."""
        self.index = index
        self.settings = settings or SearchSettings()
        self.scorer = scorer or shared_scorer()
        self.reload()

    def reload(self) -> None:
        """Pick up a refreshed index and its date range: one swap, so a search under way keeps its view."""
        self.view = _View.of(self.index.searcher(), self.index.manifest.article_days())

    @property
    def searcher(self) -> tantivy.Searcher:
        return self.view.searcher

    @property
    def first_day(self) -> int | None:
        return self.view.first_day

    @property
    def last_day(self) -> int | None:
        return self.view.last_day

    def _term_query(self, field_name: str, terms: list[str], boost: float) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        clauses = []
        for term in dict.fromkeys(terms):
            query = tantivy.Query.term_query(self.index.schema, field_name, term, index_option="freq")
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, boost)))
        return clauses

    def _text_query(self, query: Query) -> tantivy.Query | None:
        s = self.settings
        clauses = (
            self._term_query("words", query.words, s.word_boost)
            + self._term_query("grams", query.bigrams, s.gram_boost)
            + self._term_query("title", query.words, s.title_boost)
        )
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def date_ranges(self, query: Query, view: _View | None = None) -> list[tuple[int, int]]:
        """The question's dates as day-number ranges; a missing year comes from the corpus."""
        corpus_years = (view or self.view).years
        ranges = []
        for span in query.dates:
            years = [span.year] if span.year else (list(corpus_years) or [date.today().year])
            for year in years:
                try:
                    start, end = span.resolve(year)
                except ValueError:
                    continue
                ranges.append((start.toordinal(), end.toordinal()))
        return ranges

    def _candidates(self, searcher: tantivy.Searcher, text_query: tantivy.Query, ranges: list[tuple[int, int]],
                    within: tantivy.Query | None = None) -> dict[tuple[int, int], float]:  # fmt: skip
        found: dict[tuple[str, int], float] = {}
        if within is not None:  # only passages of the given articles
            text_query = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query), (tantivy.Occur.Must, within)])
        queries = [(text_query, self.settings.candidates)]
        for start, end in ranges:
            in_range = tantivy.Query.range_query(
                self.index.schema, "day", tantivy.FieldType.Integer, start - DAYS_BEFORE, end + DAYS_AFTER
            )
            both = [(tantivy.Occur.Must, text_query), (tantivy.Occur.Must, in_range)]
            queries.append((tantivy.Query.boolean_query(both), 20))
        for tantivy_query, limit in queries:
            for score, address in searcher.search(tantivy_query, limit, count=False).hits:
                found[(address.segment_ord, address.doc)] = score  # type: ignore[index]
        return found

    def word_weights(self, words: list[str]) -> dict[str, float]:
        """The IDF of each word in the archive as it is now (what a word tells about a passage)."""
        return self._weights(self.view.searcher, "words", words)

    def _weights(self, searcher: tantivy.Searcher, field_name: str, terms: list[str]) -> dict[str, float]:
        total = max(searcher.num_docs, 1)
        return {term: _idf(searcher.doc_freq(field_name, term), total) for term in dict.fromkeys(terms)}

    def _date_factor(self, day: int, ranges: list[tuple[int, int]]) -> float:
        if not ranges or day == NO_DATE:
            return 1.0
        if any(start <= day <= end for start, end in ranges):
            return 1 + self.settings.date_boost
        if any(start - DAYS_BEFORE <= day <= end + DAYS_AFTER for start, end in ranges):
            return 1 + self.settings.date_boost / 2
        return 1.0

    def _recency_factor(self, day: int, view: _View) -> float:
        first, last = view.first_day, view.last_day
        if day == NO_DATE or first is None or last is None or last == first:
            return 1.0
        return 1 + self.settings.recency_boost * (day - first) / (last - first)

    def newest(self, k: int) -> list[Hit]:
        """The opening passage of the k most recent articles, newest first."""
        searcher = self.view.searcher
        openings = tantivy.Query.range_query(self.index.schema, "chunk", tantivy.FieldType.Integer, 0, 0)
        found = searcher.search(openings, k, count=False, order_by_field="day").hits
        return [_hit(searcher.doc(address), score=0.0) for _, address in found]

    def search(self, query: Query, k: int = 5, per_article: int | None = None, latest: bool = False,
               docs: Collection[str] | None = None) -> list[Hit]:  # fmt: skip
        """Best passages for the query, at most `per_article` from one article; [] means no answer.
        `docs`: only passages of these articles (paths relative to the corpus), e.g. the ones a refresh added."""
        view = self.view  # this search's snapshot of the index, whatever a refresh swaps in meanwhile
        searcher = view.searcher
        text_query = self._text_query(query)
        if text_query is None or searcher.num_docs == 0 or (docs is not None and not docs):
            return []
        within = None  # a filter scoring 0, so that scores are the text query's alone
        if docs is not None:
            articles = tantivy.Query.term_set_query(self.index.schema, "doc", list(docs))
            within = tantivy.Query.const_score_query(articles, 0.0)
        s = self.settings
        ranges = self.date_ranges(query, view)
        weights = (self._weights(searcher, "words", query.topic_words),
                   self._weights(searcher, "grams", query.topic_bigrams))  # fmt: skip
        candidates = self._candidates(searcher, text_query, ranges, within)
        question_vector = None
        if not latest and self.scorer is not None and s.semantic_weight > 0:
            question_vector = self.scorer.question_vector(query.text)
        by_meaning = self._nearest(searcher, question_vector, text_query, candidates, within)
        addresses = [tantivy.DocAddress(*key) for key in candidates]
        days = [NO_DATE if day is None else int(day) for day in searcher.fast_field_values("day", addresses)]
        ranked = []
        for address, score, day in zip(addresses, candidates.values(), days, strict=True):
            factor = self._date_factor(day, ranges)
            if latest or query.wants_latest:
                factor *= self._recency_factor(day, view)
            ranked.append(_Candidate(address, score * factor, day))
        scale = None  # the rerank's (best lexical score, least closeness), to score the rest on its scale
        seen: set[tuple[int, int]] = set()  # the candidates the rerank scored
        if latest:
            ranked.sort(key=lambda c: (c.day, c.score), reverse=True)
        else:
            ranked.sort(key=lambda c: c.score, reverse=True)
            if question_vector is not None:
                # The best lexical candidates and the passages nearest in meaning, ordered by both.
                head = ranked[: s.rerank_depth] + [c for c in ranked[s.rerank_depth :] if c.address_key in by_meaning]
                rest = [c for c in ranked[s.rerank_depth :] if c.address_key not in by_meaning]
                reranked, scale = self._rerank(searcher, query, question_vector, head, weights, text_query, ranges)
                seen = {c.address_key for c in reranked}
                ranked = reranked + [c for c in rest if c.address_key not in seen]
        # Walk down the ranking and stop at k answers: past the reranked head only those passages' text is read.
        picker = _Picker(k, per_article or s.per_article)
        required = query.required if s.require_latin_terms else []
        pinned = qualifiers_of(normalise(query.text), query.dates) if s.require_qualifiers else Qualifiers()
        articles = _Articles(self.index.schema, searcher)
        names = [name for name in query.names if searcher.doc_freq("words", name) > 0] if s.require_names else []
        for candidate in ranked:
            if candidate.passage is None:
                candidate.passage = self._read(searcher, candidate.address, weights)
            passage = candidate.passage
            if not picker.has_room(passage.doc):
                continue
            if not self._may_answer(query, candidate, passage, required):
                continue
            whole = articles.reader(passage.doc)
            if pinned and unmet(pinned, passage.haystack, whole, _day(candidate.day)):
                continue
            if names and unnamed(names, passage.haystack, whole):
                continue
            if scale is not None and candidate.address_key not in seen:
                candidate.lexical = candidate.score
                candidate.score = self._combined(candidate, *scale)
            hit = _hit(passage.stored, candidate.score, passage.coverage, passage.terms, candidate.similarity)
            if picker.offer(hit):
                break
        if scale is not None:  # one scale for all: a passage past the reranked head may outscore one in it
            picker.chosen.sort(key=lambda hit: hit.score, reverse=True)
        return picker.chosen

    def _may_answer(self, query: Query, candidate: _Candidate, passage: _Passage, required: list[str]) -> bool:
        """The no-answer rule for one passage: enough of the question's words, or sure closeness in
        meaning; the question's Latin words and numbers; the kind of answer the question asks for."""
        s = self.settings
        close = (
            candidate.similarity is not None
            and candidate.similarity >= s.sure_similarity
            and (candidate.standard is None or candidate.standard >= s.sure_standard_score)
        )
        if passage.coverage < s.min_coverage and not close:
            return False
        # A passage sure to mean the same may name a thing in other words ("CPU": 处理器); never a number.
        if not _has_all(passage.haystack, [term for term in required if not close or _has_digit(term)]):
            return False
        if not s.require_answer_type:
            return True
        if not holds_measure(passage.body, normalised(query.text)):  # once per question, not per candidate
            return False
        if can_hold(passage.body, query.expects):
            return True
        # The opening of a dated report tells what happened by the date it is quoted with.
        return query.expects is Expected.TIME and candidate.day != NO_DATE and passage.chunk == 0

    def _read(self, searcher: tantivy.Searcher, address: tantivy.DocAddress,
              weights: tuple[dict[str, float], dict[str, float]]) -> _Passage:  # fmt: skip
        stored = searcher.doc(address)
        title = stored_text(stored, "article_title")
        text = stored_text(stored, "text")
        body = normalised(f"{stored_text(stored, 'heading')} {text}")
        haystack = f"{normalised(title)} {body}"
        coverage, terms = _coverage(haystack, *weights)
        chunk = int(stored.get_first("chunk") or 0)
        return _Passage(stored, stored.get_first("doc") or "", _shown(stored), haystack, body, chunk, coverage, terms)

    def _nearest(self, searcher: tantivy.Searcher, question_vector: object | None, text_query: tantivy.Query,
                 candidates: dict[tuple[int, int], float], within: tantivy.Query | None = None,
                 ) -> set[tuple[int, int]]:  # fmt: skip
        """Add the passages nearest in meaning to the candidates; their addresses."""
        count = self.settings.vector_candidates
        if question_vector is None or self.scorer is None or count <= 0:
            return set()
        keys = [key for key, _ in self.scorer.nearest(question_vector, count)]
        if not keys:
            return set()
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(self.index.schema, "vkey", key)) for key in keys]
        found = set()
        nearest = tantivy.Query.boolean_query(clauses)
        if within is not None:
            nearest = tantivy.Query.boolean_query([(tantivy.Occur.Must, nearest), (tantivy.Occur.Must, within)])
        # Their own BM25 score for the question's words (0 when they share none), so that they are
        # ranked on the same terms as the lexical candidates.
        among = tantivy.Query.const_score_query(nearest, 0.0)
        scored = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query), (tantivy.Occur.Must, among)])
        lexical = {(a.segment_ord, a.doc): score for score, a in searcher.search(scored, 2 * count, count=False).hits}
        for _, address in searcher.search(nearest, 2 * count, count=False).hits:
            spot = (address.segment_ord, address.doc)
            candidates.setdefault(spot, lexical.get(spot, 0.0))
            found.add(spot)
        return found

    def _rerank(self, searcher: tantivy.Searcher, query: Query, question_vector: object, head: list[_Candidate],
                weights: tuple[dict[str, float], dict[str, float]], text_query: tantivy.Query | None = None,
                ranges: list[tuple[int, int]] | None = None,
                ) -> tuple[list[_Candidate], tuple[float, float] | None]:  # fmt: skip
        """Order the head of the candidates by lexical score, coverage and meaning together; with
        the scale it used (the best lexical score, the least closeness), or None if it could not.

        A passage with no vector yet (beyond the question's embedding budget) is given the least
        closeness measured in the head: its words still count, its meaning cannot make it sure.
        When the best two are from one article, its other passages are scored the same way, so
        that the paragraph holding the answer can win over the neighbours that share its words.
        """
        if not head or self.scorer is None:
            return head, None
        self._score(searcher, question_vector, head, weights)
        if not any(c.similarity is not None for c in head):
            return head, None
        best = max(c.lexical for c in head) or 1.0
        floor = min(c.similarity for c in head if c.similarity is not None)
        ranked = sorted(head, key=lambda c: self._combined(c, best, floor), reverse=True)
        if self.settings.whole_article and text_query is not None and len(ranked) > 1:
            top = ranked[0].passage
            if top is not None and ranked[1].passage is not None and ranked[1].passage.doc == top.doc:
                known = {c.address_key for c in head}
                extra = self._article(searcher, top.doc, text_query, ranges or [])
                extra = [c for c in extra if c.address_key not in known]
                self._score(searcher, question_vector, extra, weights)
                ranked = sorted(ranked + extra, key=lambda c: self._combined(c, best, floor), reverse=True)
        for candidate in ranked:
            candidate.score = self._combined(candidate, best, floor)
        return ranked, (best, floor)

    def _score(self, searcher: tantivy.Searcher, question_vector: object, candidates: list[_Candidate],
               weights: tuple[dict[str, float], dict[str, float]]) -> None:  # fmt: skip
        """Read the candidates' passages and measure their closeness to the question."""
        if not candidates or self.scorer is None:
            return
        for candidate in candidates:
            candidate.lexical = candidate.score
            if candidate.passage is None:
                candidate.passage = self._read(searcher, candidate.address, weights)
        closeness = self.scorer.closeness(question_vector, [c.passage.shown for c in candidates])  # type: ignore[union-attr]
        for candidate, close in zip(candidates, closeness or [], strict=True):
            if close is not None:
                candidate.similarity, candidate.standard = close.cosine, close.standard

    def _combined(self, candidate: _Candidate, best: float, floor: float) -> float:
        cosine = candidate.similarity if candidate.similarity is not None else floor
        passage = candidate.passage
        coverage = passage.coverage if passage is not None else 0.0
        late = min(passage.chunk, POSITION_HORIZON) / POSITION_HORIZON if passage is not None else 0.0
        s = self.settings
        return candidate.lexical / best + coverage + s.semantic_weight * cosine - s.position_weight * late

    def _article(self, searcher: tantivy.Searcher, doc: str, text_query: tantivy.Query,
                 ranges: list[tuple[int, int]]) -> list[_Candidate]:  # fmt: skip
        """Every passage of one article as a candidate, scored on the question's words (0 if none)."""
        article = tantivy.Query.term_query(self.index.schema, "doc", doc)
        within = tantivy.Query.const_score_query(article, 0.0)
        scored = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query), (tantivy.Occur.Must, within)])
        lexical = {(a.segment_ord, a.doc): score for score, a in searcher.search(scored, 500, count=False).hits}
        found = []
        for _, address in searcher.search(article, 500, count=False).hits:
            key = (address.segment_ord, address.doc)
            day = searcher.fast_field_values("day", [address])[0]
            day = NO_DATE if day is None else int(day)
            found.append(_Candidate(address, lexical.get(key, 0.0) * self._date_factor(day, ranges), day))
        return found


@dataclass(frozen=True)
class _View:
    """A consistent snapshot: one tantivy searcher and the date range of the articles it holds."""

    searcher: tantivy.Searcher
    first_day: int | None
    last_day: int | None
    years: tuple[int, ...]

    @classmethod
    def of(cls, searcher: tantivy.Searcher, days: list[int]) -> _View:
        years = tuple(sorted({date.fromordinal(day).year for day in days}))
        return cls(searcher, min(days) if days else None, max(days) if days else None, years)


@dataclass
class _Passage:
    """A candidate's stored fields and how much of the question it covers."""

    stored: tantivy.Document
    doc: str
    shown: str  # title and text, as the semantic scorer reads them
    haystack: str  # normalised title, heading and text, as coverage reads them
    body: str  # normalised heading and text: what the passage itself says
    chunk: int  # its place in the article (0: the opening)
    coverage: float
    terms: list[str]


@dataclass
class _Candidate:
    """One passage on its way through the ranking; its text is read only when needed."""

    address: tantivy.DocAddress
    score: float
    day: int
    passage: _Passage | None = None
    similarity: float | None = None  # known for the reranked head only
    standard: float | None = None  # the similarity's standard score against news in general
    lexical: float = 0.0  # the lexical score (with date boosts) before the rerank combined it with meaning

    @property
    def address_key(self) -> tuple[int, int]:
        return (self.address.segment_ord, self.address.doc)


class _Articles:
    """The normalised text of whole articles, read once per search when a rule needs it."""

    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher) -> None:
        self.schema = schema
        self.searcher = searcher
        self.read: dict[str, str] = {}

    def reader(self, doc: str) -> Callable[[], str]:
        """The article's text, read when first called."""
        return lambda: self.text(doc)

    def text(self, doc: str) -> str:
        if doc not in self.read:
            query = tantivy.Query.term_query(self.schema, "doc", doc)
            found = self.searcher.search(query, 2000, count=False).hits
            stored = [self.searcher.doc(address) for _, address in found]
            stored.sort(key=lambda d: int(d.get_first("chunk") or 0))
            head = stored_text(stored[0], "article_title") if stored else ""
            parts = [head] + [f"{stored_text(d, 'heading')} {stored_text(d, 'text')}" for d in stored]
            self.read[doc] = normalise(" ".join(parts))
        return self.read[doc]


def _day(day: int) -> date | None:
    return None if day == NO_DATE else date.fromordinal(day)


def _shown(stored: tantivy.Document) -> str:
    """A passage as the semantic scorer reads it."""
    return passage_text(stored_text(stored, "article_title"), stored_text(stored, "text"))


def _hit(stored: tantivy.Document, score: float, coverage: float = 0.0, terms: list[str] | None = None,
         similarity: float | None = None) -> Hit:  # fmt: skip
    """A Hit from the fields the index stores for a passage."""
    day = stored.get_first("day")
    return Hit(
        doc=stored.get_first("doc") or "",
        chunk=int(stored.get_first("chunk") or 0),
        score=score,
        text=stored_text(stored, "text"),
        title=stored_text(stored, "article_title"),
        published=None if day is None or day == NO_DATE else date.fromordinal(int(day)),
        source=stored_text(stored, "source"),
        heading=stored_text(stored, "heading"),
        coverage=coverage,
        terms=terms or [],
        similarity=similarity,
    )


_LATIN_JOINER = re.compile(r"(?<=[a-z])[-_]+(?=[a-z])")


def _has_digit(term: str) -> bool:
    return any(char.isdigit() for char in term)


def _has_all(haystack: str, required: list[str]) -> bool:
    """Every Latin word and number of the question is in the passage ("wifi" matches "Wi-Fi")."""
    if not required:
        return True
    joined = _LATIN_JOINER.sub("", haystack)
    return all(
        any(re.search(rf"(?<![0-9a-z]){_term_pattern(term)}(?![0-9a-z])", text) for text in (haystack, joined))
        for term in required
    )


_WHOLE_NUMBER = re.compile(r"(?<![\d.a-z])\d+(?![\d.a-z])")  # not part of a model name (3a5000)


def _term_pattern(term: str) -> str:
    """A required term as a pattern in which a whole number may be written with zero decimals (14% is 14.0%)."""
    pieces, last = [], 0
    for number in _WHOLE_NUMBER.finditer(term):
        pieces += [re.escape(term[last : number.start()]), number[0], r"(?:\.0+)?"]
        last = number.end()
    return "".join(pieces) + re.escape(term[last:])


def weight_share(text: str, weights: Mapping[str, float]) -> float:
    """The share of the terms' total weight (IDF) held by the terms that occur in a normalised text."""
    total = sum(weights.values())
    return sum(weight for term, weight in weights.items() if term in text) / total if total else 0.0


def _coverage(haystack: str, word_weights: dict[str, float], gram_weights: dict[str, float]) -> tuple[float, list[str]]:
    """Share of the question's IDF mass found in the passage, and the words found."""
    shares = []
    found_words = [term for term in word_weights if term in haystack]
    if word_weights:
        shares.append(sum(word_weights[t] for t in found_words) / sum(word_weights.values()))
    if gram_weights:
        shares.append(weight_share(haystack, gram_weights))
    return (sum(shares) / len(shares) if shares else 0.0), found_words


def _shingles(text: str) -> frozenset[str]:
    compact = "".join(normalised(text).split())
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def _near_duplicate(candidate: frozenset[str], kept: list[frozenset[str]]) -> bool:
    """True when most of the candidate's character pairs already appear in a kept passage."""
    return any(
        len(candidate & other) >= NEAR_DUPLICATE_SHARE * min(len(candidate), len(other)) for other in kept if candidate
    )


class _Picker:
    """Collects the best hits: at most per_article per article, near-duplicate passages once."""

    def __init__(self, k: int, per_article: int) -> None:
        self.k = k
        self.per_article = per_article
        self.chosen: list[Hit] = []
        self.per_doc: dict[str, int] = {}
        self.kept_shingles: list[frozenset[str]] = []

    def has_room(self, doc: str) -> bool:
        return self.per_doc.get(doc, 0) < self.per_article

    def offer(self, hit: Hit) -> bool:
        """Keep the hit unless it repeats a kept passage; True once k hits are kept."""
        shingles = _shingles(hit.text)
        if not _near_duplicate(shingles, self.kept_shingles):
            self.kept_shingles.append(shingles)
            self.per_doc[hit.doc] = self.per_doc.get(hit.doc, 0) + 1
            self.chosen.append(hit)
        return len(self.chosen) >= self.k
