"""The one small API that the bot and the command line call."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .answer import Answer, build_answer
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
        self.index = CorpusIndex(corpus_dir, index_dir)
        self.last_report: RefreshReport | None = None
        self._lock = threading.Lock()
        if self.index.rebuilt or self.index.is_stale():
            self.last_report = self.index.refresh(progress)
        # Vectors of passages already embedded are kept beside the index: restarts stay fast.
        self.scorer = SemanticScorer(store_path=index_dir / VECTORS_FILE) if model_installed() else None
        self.searcher = Searcher(self.index, settings, self.scorer)

    def refresh(self, progress: Progress | None = None) -> RefreshReport:
        """Re-read new, changed and removed files; searches see the result at once."""
        with self._lock:
            report = self.index.refresh(progress)
            self.searcher.reload()
            self.last_report = report
            return report

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
        with self._lock:
            return self._stats()

    def _stats(self) -> CorpusStats:
        manifest = self.index.manifest
        searcher = self.searcher
        return CorpusStats(
            articles=manifest.count("indexed"),
            passages=searcher.searcher.num_docs,
            first_day=date.fromordinal(searcher.first_day) if searcher.first_day else None,
            last_day=date.fromordinal(searcher.last_day) if searcher.last_day else None,
            skipped=manifest.count("skipped"),
        )

    def embed_passages(self) -> Iterator[int]:
        """Embed every passage for the semantic rerank now rather than at first use; yields counts."""
        return self.searcher.embed_all()

    def close(self) -> None:
        if self.scorer is not None:
            self.scorer.close()
        self.index.close()
