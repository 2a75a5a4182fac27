"""The newsqa question set over the bundled corpus and the archive sample."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from retrieval.engine import Engine
from retrieval.search import Hit, SearchSettings

from .baselines import BASELINES, Bm25Ranker
from .memindex import Passage, stored_passages
from .metrics import markdown_table
from .system import NewsqaSystem

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "news_questions.jsonl"
CORPUS_DIRS = (ROOT / "corpus", ROOT / "tests" / "fixtures" / "archive_sample")
ARCHIVE2_DIRS = (ROOT / "eval" / "data" / "archive2" / "posts",)  # 342 posts of 17 feeds, for the archive-2 sets
ARCHIVE2_SETS = {
    "calibration": ROOT / "eval" / "archive2_questions_calibration.jsonl",
    "held-out": ROOT / "eval" / "archive2_questions_heldout.jsonl",
}
KS = (1, 3, 5, 20)  # top-20: the reach, whether the answer is among the candidates at all
NEWSQA = "newsqa"


@dataclass(frozen=True)
class NewsQuestion:
    id: str
    question: str
    file: str | None
    quote: str | None
    kind: str

    @property
    def answerable(self) -> bool:
        return self.file is not None


def load_questions(path: Path = QUESTIONS) -> list[NewsQuestion]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [NewsQuestion(r["id"], r["question"], r.get("file"), r.get("quote"), r["kind"]) for r in rows]


def squash(text: str) -> str:
    """The text without whitespace, as quotes are compared."""
    return "".join(text.split())


def answers(question: NewsQuestion, doc: str, text: str) -> bool:
    """The passage is from the question's article and holds its quote."""
    return (
        question.quote is not None
        and PurePosixPath(doc).name == question.file
        and squash(question.quote) in squash(text)
    )


@contextmanager
def news_engine(settings: SearchSettings | None = None,
                corpus_dirs: tuple[Path, ...] = CORPUS_DIRS) -> Iterator[Engine]:  # fmt: skip
    """An Engine over a temporary copy of the corpus folders (default: the bundled corpus plus the
    archive sample)."""
    with tempfile.TemporaryDirectory(prefix="newsqa-eval-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for folder in corpus_dirs:
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    shutil.copy2(path, corpus / path.name)
        engine = Engine(corpus, Path(tmp) / "index", settings)
        try:
            yield engine
        finally:
            engine.close()


@dataclass
class Outcome:
    """Where one question's answer landed (rank None: not in the top 5) and whether it was declined."""

    question: NewsQuestion
    rank: int | None
    declined: bool
    hits: list[tuple[str, str]]  # (doc, text) of the top hits


def run_questions(questions: list[NewsQuestion], search: Callable[[str, int], list[tuple[str, str]]]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        hits = search(question.question, max(KS))
        rank = next((i for i, (doc, text) in enumerate(hits, 1) if answers(question, doc, text)), None)
        outcomes.append(Outcome(question, rank, not hits, hits))
    return outcomes


def figures(outcomes: list[Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    result = {f"top{k}": sum(1 for o in answerable if o.rank and o.rank <= k) / len(answerable) for k in KS}
    result["declined_unanswerable"] = sum(o.declined for o in unanswerable) / max(len(unanswerable), 1)
    result["declined_answerable"] = sum(o.declined for o in answerable) / len(answerable)
    return result


def newsqa_search(system: NewsqaSystem) -> Callable[[str, int], list[tuple[str, str]]]:
    def search(question: str, k: int) -> list[tuple[str, str]]:
        return [_pair(hit) for hit in system.search(question, k)]

    return search


def _pair(hit: Hit) -> tuple[str, str]:
    return hit.doc, hit.text


def baseline_search(passages: list[Passage], name: str) -> Callable[[str, int], list[tuple[str, str]]]:
    """rank-bm25 over the same chunks as the index (passage text only; baselines never decline)."""
    ranker = Bm25Ranker([p.text for p in passages], BASELINES[name])

    def search(question: str, k: int) -> list[tuple[str, str]]:
        return [(passages[i].doc, passages[i].text) for i in ranker.rank(question, k)]

    return search


Figures = dict[str, dict[str, float]]


def evaluate(system: NewsqaSystem, baselines: bool = True,
             questions: list[NewsQuestion] | None = None) -> tuple[Figures, list[Outcome]]:  # fmt: skip
    """Figures per system name, and newsqa's outcome per question."""
    questions = questions or load_questions()
    results: dict[str, dict[str, float]] = {}
    if baselines:
        passages = stored_passages(system.index.searcher())
        for name in BASELINES:
            results[name] = figures(run_questions(questions, baseline_search(passages, name)))
    outcomes = run_questions(questions, newsqa_search(system))
    results[NEWSQA] = figures(outcomes)
    return results, outcomes


def table(results: dict[str, dict[str, float]], questions: list[NewsQuestion] | None = None) -> str:
    questions = questions or load_questions()
    answerable = sum(q.answerable for q in questions)
    header = ["News set", *(f"top-{k}" for k in KS), f"declined, {len(questions) - answerable} unanswerable",
              f"wrongly declined, {answerable} answerable"]  # fmt: skip
    names = [*(f"top{k}" for k in KS), "declined_unanswerable", "declined_answerable"]
    rows = [[name, *(f"{100 * f[n]:.1f}%" for n in names)] for name, f in results.items()]
    return markdown_table(header, rows)


def misses(outcomes: list[Outcome], k: int = 3) -> list[Outcome]:
    """Answerable questions whose quote is not in the top k, and unanswerable ones answered."""
    return [o for o in outcomes if (o.question.answerable and not (o.rank and o.rank <= k))
            or (not o.question.answerable and not o.declined)]  # fmt: skip
