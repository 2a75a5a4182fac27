"""The one small API that the bot and the command line call."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .answer import Answer, build_answer
from .follow import CorpusFollower
from .index import CorpusIndex, Progress, RefreshReport
from .query import Query, parse_question
from .search import Hit, Searcher, SearchSettings
from .semantic import SemanticScorer, model_installed

MAX_QUESTION_CHARS = 500  # longer input is cut before analysis
VECTORS_FILE = "vectors.sqlite"


@dataclass(frozen=True)
class CorpusStats:
    """What the corpus holds, for /start and the index summary."""

    articles: int
    passages: int
    first_day: date | None
    last_day: date | None
    skipped: int


class Engine:
    """Opens (building or refreshing as needed) the index of a corpus and answers questions."""

    def __init__(self, corpus_dir: Path, index_dir: Path, settings: SearchSettings | None = None,
                 progress: Progress | None = None) -> None:  # fmt: skip
        if not corpus_dir.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
        self.corpus_dir = corpus_dir
        self.index = CorpusIndex(corpus_dir, index_dir)
        self.last_report: RefreshReport | None = None
        self._lock = threading.Lock()  # one refresh at a time; searches never take it
        self._follower: CorpusFollower | None = None
        if self.index.rebuilt or self.index.is_stale():
            self.last_report = self.index.refresh(progress)
        # Vectors of passages already embedded are kept beside the index: restarts stay fast.
        self.scorer = SemanticScorer(store_path=index_dir / VECTORS_FILE) if model_installed() else None
        self.searcher = Searcher(self.index, settings, self.scorer)
        self._stats = self._count()

    def refresh(self, progress: Progress | None = None, settle_seconds: float = 0.0) -> RefreshReport:
        """Re-read new, changed and removed files; searches see the result once it is complete.

        Searches running meanwhile answer from the index as it was. `settle_seconds`: files
        modified more recently are left for a later refresh (they may still be being written).
        """
        with self._lock:
            report = self.index.refresh(progress, settle_seconds=settle_seconds)
            self.searcher.reload()
            self._stats = self._count()
            self.last_report = report
            return report

    def follow(self, interval: float, on_refresh: Callable[[RefreshReport], None] | None = None) -> None:
        """Keep the index in step with the corpus folder from a background thread (see retrieval.follow):
        on file-system events, and by a rescan every `interval` seconds."""
        if self._follower is None and interval > 0:
            self._follower = CorpusFollower(self.corpus_dir, lambda settle: self.refresh(settle_seconds=settle),
                                            interval, on_refresh)  # fmt: skip
            self._follower.start()

    def stop_following(self) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None

    def _query(self, question: str) -> Query:
        return parse_question(question[:MAX_QUESTION_CHARS], self.index.analyzer)

    def search(self, question: str, k: int = 5, per_article: int | None = None, latest: bool = False) -> list[Hit]:
        return self.searcher.search(self._query(question), k=k, per_article=per_article, latest=latest)

    def answer(self, question: str, k: int = 3, per_article: int | None = None, latest: bool = False) -> Answer:
        """Quotes for a question, best first; Answer.found is False for an honest no-answer."""
        query = self._query(question)
        hits = self.searcher.search(query, k=k, per_article=per_article, latest=latest)
        return build_answer(question, hits, query.words + query.bigrams)

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
        )

    def embed_passages(self) -> Iterator[int]:
        """Embed every passage for the semantic rerank now rather than at first use; yields counts."""
        return self.searcher.embed_all()

    def close(self) -> None:
        self.stop_following()
        if self.scorer is not None:
            self.scorer.close()
        self.index.close()
