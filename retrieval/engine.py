"""The one small API that the bot and the command line call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .answer import Answer, build_answer
from .background_embedder import BackgroundEmbedder
from .embedder import VECTORS_DIR, Start, run, seed
from .follow import CorpusFollower
from .index import CorpusIndex, Progress, RefreshReport
from .integrity import DiskFull, IndexDamaged
from .query import Query, parse_question
from .search import Hit, Searcher, SearchSettings
from .semantic import SemanticScorer, model_installed
from .trends import Trend, count_trend
from .vector_index import WriterBusy

MAX_QUESTION_CHARS = 500  # longer input is cut before analysis
SEED_VECTORS = ".vectors.f16"  # precomputed vectors a corpus may ship (the bundled one does)
EMBED_BUDGET = 2  # passages without a stored vector that one question may embed itself

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusStats:
    """What the corpus holds, for /start and the index summary."""

    articles: int
    passages: int
    first_day: date | None
    last_day: date | None
    skipped: int
    embedded: int = 0  # passages with a stored vector (semantic search over the whole archive)


class Engine:
    """Opens (building or refreshing as needed) the index of a corpus and answers questions."""

    def __init__(self, corpus_dir: Path, index_dir: Path, settings: SearchSettings | None = None,
                 progress: Progress | None = None, embed_budget: int = EMBED_BUDGET) -> None:  # fmt: skip
        if not corpus_dir.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.index = CorpusIndex(corpus_dir, index_dir)
        self.last_report: RefreshReport | None = None
        self._lock = threading.Lock()  # one refresh at a time; searches never take it
        self._follower: CorpusFollower | None = None
        self._listeners: list[Callable[[RefreshReport], None]] = []
        if self.index.rebuilt or self.index.is_stale():
            try:
                self.last_report = self._refresh_index(progress, 0.0)
            except DiskFull as error:  # answer from what is indexed; the next refresh tries again
                log.error("index not brought up to date: %s; answering from the index as it is", error)
        # Passage vectors are computed at index time (newsqa index --embed, or the bot's background
        # embedder) and kept beside the index; a question embeds itself and at most `embed_budget` more.
        self.scorer = None
        if model_installed():
            self.scorer = SemanticScorer(store=index_dir / VECTORS_DIR, budget=embed_budget)
        self.searcher = Searcher(self.index, settings, self.scorer)
        self._background: BackgroundEmbedder | None = None
        self._stats = self._count()
        if self._stats.embedded < self._stats.passages and (corpus_dir / SEED_VECTORS).exists():
            self.seed_vectors(corpus_dir / SEED_VECTORS)

    def seed_vectors(self, seed_file: Path) -> int:
        """Store the vectors a seed file (retrieval.vector_index.write_seed) has for this index's
        passages; a corpus may ship one as `.vectors.f16` so that it starts out embedded."""
        if self.scorer is None:
            return 0
        try:
            seeded = seed(self.index_dir, seed_file)
        except WriterBusy:
            return 0
        self._embedded_changed()
        return seeded

    def refresh(self, progress: Progress | None = None, settle_seconds: float = 0.0) -> RefreshReport:
        """Re-read new, changed and removed files; searches see the result once it is complete.

        Searches running meanwhile answer from the index as it was. `settle_seconds`: files
        modified more recently are left for a later refresh (they may still be being written).
        """
        with self._lock:
            report = self._refresh_index(progress, settle_seconds)
            self.searcher.reload()
            self._stats = self._count()
            self.last_report = report
        if report.changed and self._background is not None:
            self._background.wake()
        return report

    def _refresh_index(self, progress: Progress | None, settle_seconds: float) -> RefreshReport:
        """A refresh that finds the index damaged rebuilds it (one log line) while searches keep the
        view they hold; a full disk raises DiskFull with the previous index intact."""
        try:
            return self.index.refresh(progress, settle_seconds=settle_seconds)
        except IndexDamaged as damage:
            self.index.rebuild(str(damage))
            return self.index.refresh(progress, settle_seconds=settle_seconds)

    def follow(self, interval: float) -> None:
        """Keep the index in step with the corpus folder from a background thread (see retrieval.follow):
        on file-system events, and by a rescan every `interval` seconds. Listeners added with
        `on_refresh` hear of every refresh that changed something."""
        if self._follower is None and interval > 0:
            self._follower = CorpusFollower(self.corpus_dir, lambda settle: self.refresh(settle_seconds=settle),
                                            interval, self._tell_listeners)  # fmt: skip
            self._follower.start()

    def on_refresh(self, listener: Callable[[RefreshReport], None]) -> None:
        """Call `listener(report)` (in the refreshing thread) after each refresh that changed the index;
        `report.added` and `report.updated` name the articles that are new or changed."""
        self._listeners.append(listener)

    def off_refresh(self, listener: Callable[[RefreshReport], None]) -> None:
        """Stop calling a listener added with `on_refresh`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _tell_listeners(self, report: RefreshReport) -> None:
        for listener in list(self._listeners):
            listener(report)

    def stop_following(self) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        if self._background is not None:
            self._background.stop()
            self._background = None

    def embed_in_background(self) -> None:
        """Embed passages that have no vector in a low-priority child process, newest first, while
        questions are answered (retrieval.background_embedder); again after each refresh that changed something."""
        if self._background is None and self.scorer is not None:
            self._background = BackgroundEmbedder(self.index_dir, self._embedded_changed)
            self._background.start()

    def _embedded_changed(self) -> None:
        """New vectors were stored: only the embedded count changes (called every few seconds from the
        background embedder's thread, so it leaves the manifest, which a refresh may be writing, alone)."""
        store = self.scorer.vector_store() if self.scorer is not None else None
        if store is not None:
            store.reload()
        self._stats = replace(self._stats, embedded=self._embedded())

    def _query(self, question: str) -> Query:
        return parse_question(question[:MAX_QUESTION_CHARS], self.index.analyzer)

    def search(self, question: str, k: int = 5, per_article: int | None = None, latest: bool = False,
               docs: Collection[str] | None = None) -> list[Hit]:  # fmt: skip
        """`docs`: only passages of these articles (paths relative to the corpus)."""
        return self.searcher.search(self._query(question), k=k, per_article=per_article, latest=latest, docs=docs)

    def answer(self, question: str, k: int = 3, per_article: int | None = None, latest: bool = False,
               docs: Collection[str] | None = None) -> Answer:  # fmt: skip
        """Quotes for a question, best first; Answer.found is False for an honest no-answer.
        `docs`: only from these articles (paths relative to the corpus), e.g. a refresh's new ones."""
        query = self._query(question)
        hits = self.searcher.search(query, k=k, per_article=per_article, latest=latest, docs=docs)
        return build_answer(question, hits, query.words + query.bigrams, self.searcher.word_weights(query.words))

    def trend(self, keyword: str) -> Trend:
        """Articles matching the keyword (every term of it, analysed as a question) per week or per
        month over the archive's dates (retrieval.trends)."""
        view = self.searcher.view
        return count_trend(view.searcher, self.index.schema, self._query(keyword), view.first_day, view.last_day)

    def newest(self, k: int = 5) -> Answer:
        """The opening passages of the most recent articles, for "/latest" with no words."""
        return build_answer("", self.searcher.newest(k), [])

    def stats(self) -> CorpusStats:
        """What the index holds, as of the last refresh (never waits for one under way)."""
        return self._stats

    def _count(self) -> CorpusStats:
        manifest = self.index.manifest
        view = self.searcher.view
        return CorpusStats(
            articles=manifest.count("indexed"),
            passages=view.searcher.num_docs,
            first_day=date.fromordinal(view.first_day) if view.first_day else None,
            last_day=date.fromordinal(view.last_day) if view.last_day else None,
            skipped=manifest.count("skipped"),
            embedded=self._embedded(),
        )

    def _embedded(self) -> int:
        store = self.scorer.vector_store() if self.scorer is not None else None
        return len(store) if store is not None else 0

    def embed_passages(self) -> Iterator[Start | int]:
        """Embed every passage that has no stored vector, now (retrieval.embedder.run): yields a Start,
        then the size of each batch stored. Raises WriterBusy while another process embeds."""
        yield from run(self.index_dir)
        self._embedded_changed()

    def close(self) -> None:
        self.stop_following()
        if self.scorer is not None:
            self.scorer.close()
        self.index.close()
