"""CMRC 2018 trial as open-domain paragraph retrieval: every context one document."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from retrieval.analyse import Analyzer
from retrieval.search import SearchSettings

from .baselines import BASELINES, Bm25Ranker
from .memindex import MemoryIndex, Passage
from .metrics import markdown_table, mrr_at, recall_at
from .system import NewsqaSystem, QueryHook

DATA = Path(__file__).resolve().parent / "data" / "cmrc2018_trial.json"
KS = (1, 5, 20)
NEWSQA = "newsqa"


@dataclass(frozen=True)
class CmrcSet:
    contexts: list[Passage]
    questions: list[tuple[str, int]]  # (question, index of its context)


def load(path: Path = DATA) -> CmrcSet:
    data = json.loads(path.read_text(encoding="utf-8"))
    contexts: list[Passage] = []
    questions: list[tuple[str, int]] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            position = len(contexts)
            contexts.append(Passage(doc=str(paragraph["id"]), chunk=0, text=paragraph["context"]))
            questions.extend((qa["question"], position) for qa in paragraph["qas"])
    return CmrcSet(contexts, questions)


def figures(ranks: list[int | None]) -> dict[str, float]:
    result = {f"R@{k}": recall_at(ranks, k) for k in KS}
    result["MRR@10"] = mrr_at(ranks, 10)
    return result


def baseline_ranks(data: CmrcSet, name: str) -> list[int | None]:
    ranker = Bm25Ranker([c.text for c in data.contexts], BASELINES[name])
    ranks: list[int | None] = []
    for question, gold in data.questions:
        order = ranker.rank(question, max(KS))
        ranks.append(order.index(gold) + 1 if gold in order else None)
    return ranks


def cmrc_system(data: CmrcSet, settings: SearchSettings | None = None, analyzer: Analyzer | None = None,
                query_hook: QueryHook | None = None) -> NewsqaSystem:  # fmt: skip
    """newsqa over the contexts; no no-answer rule, since every question has an answer."""
    settings = replace(settings or SearchSettings(), min_coverage=0.0, require_latin_terms=False)
    return NewsqaSystem(MemoryIndex(data.contexts, analyzer), settings, query_hook)


def newsqa_ranks(data: CmrcSet, system: NewsqaSystem) -> list[int | None]:
    ranks: list[int | None] = []
    for question, gold in data.questions:
        docs = [hit.doc for hit in system.search(question, max(KS))]
        gold_doc = data.contexts[gold].doc
        ranks.append(docs.index(gold_doc) + 1 if gold_doc in docs else None)
    return ranks


def evaluate(data: CmrcSet | None = None, system: NewsqaSystem | None = None,
             baselines: bool = True) -> dict[str, dict[str, float]]:  # fmt: skip
    """Figures per system name."""
    data = data or load()
    results = {name: figures(baseline_ranks(data, name)) for name in BASELINES} if baselines else {}
    results[NEWSQA] = figures(newsqa_ranks(data, system or cmrc_system(data)))
    return results


def table(results: dict[str, dict[str, float]]) -> str:
    header = ["CMRC 2018 trial", *(f"R@{k}" for k in KS), "MRR@10"]
    rows = [[name, *(f"{100 * f[f'R@{k}']:.1f}" for k in KS), f"{f['MRR@10']:.3f}"] for name, f in results.items()]
    return markdown_table(header, rows)
