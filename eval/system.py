"""newsqa's own ranking (retrieval.search.Searcher) over any index, with optional variants."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

from retrieval.analyse import Analyzer
from retrieval.engine import MAX_QUESTION_CHARS
from retrieval.index import CorpusIndex
from retrieval.query import Query, parse_question
from retrieval.search import Hit, Searcher, SearchSettings
from retrieval.semantic import SemanticScorer, model_identity, model_installed
from retrieval.vector_index import VectorIndex, read_seed

from .memindex import MemoryIndex

QueryHook = Callable[[Query], Query]
SEED_VECTORS = Path(__file__).resolve().parent / "data" / "vectors.f16"
QUESTION_VECTORS = SEED_VECTORS.with_name("question_vectors.f16")  # the evaluation's questions (eval.vectors)


@cache
def evaluation_scorer() -> SemanticScorer | None:
    """The scorer of every evaluated system: passage vectors from eval/data/vectors.f16 (as after
    `newsqa index --embed`) in a vector store, so the passages nearest in meaning are candidates
    too; a passage missing there is embedded when first needed (no budget)."""
    if not model_installed():
        return None
    folder = Path(tempfile.mkdtemp(prefix="newsqa-eval-vectors-"))
    atexit.register(shutil.rmtree, folder, True)
    seeded = read_seed(SEED_VECTORS, model_identity())
    if seeded:
        with VectorIndex(folder, model_identity()).writer() as writer:
            writer.append(list(seeded), [seeded[key] for key in seeded])
            writer.compact()
    return SemanticScorer(store=folder, budget=None, known_questions=read_seed(QUESTION_VECTORS, model_identity()))


class NewsqaSystem:
    """Question to hits exactly as Engine.search does, plus hooks to measure ideas."""

    def __init__(self, index: CorpusIndex | MemoryIndex, settings: SearchSettings | None = None,
                 query_hook: QueryHook | None = None, searcher_class: type[Searcher] = Searcher) -> None:  # fmt: skip
        self.index = index
        self.analyzer: Analyzer = index.analyzer
        self.searcher = searcher_class(index, settings, evaluation_scorer())  # type: ignore[arg-type]
        self.query_hook = query_hook

    def with_settings(self, settings: SearchSettings) -> NewsqaSystem:
        """The same index, other ranking knobs (no re-indexing)."""
        return NewsqaSystem(self.index, settings, self.query_hook, type(self.searcher))

    def query(self, question: str) -> Query:
        query = parse_question(question[:MAX_QUESTION_CHARS], self.analyzer)
        return self.query_hook(query) if self.query_hook else query

    def search(self, question: str, k: int) -> list[Hit]:
        return self.searcher.search(self.query(question), k=k)


def keep_dates_in_text(analyzer: Analyzer) -> QueryHook:
    """Variant: match the date words too (parse_question cuts them out of the text)."""

    def hook(query: Query) -> Query:
        analysed = analyzer.analyse(query.text)
        return replace(query, words=analysed.words, bigrams=analysed.bigrams)

    return hook
