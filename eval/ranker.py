"""Experiment: a learned ranker over the features the engine already computes, against the hand-set order.

`python -m eval.ranker` records, for every question of the news calibration set and the archive-2
calibration half (and, with --held-out, the held-out halves), each reranked candidate's features
and whether it holds the answer; it then fits a logistic regression (numpy, Newton's method) with
cross-validation grouped by question on the calibration questions, pointwise and listwise (a softmax
over each question's candidates), and reports top-1 and top-3
among the candidates that pass the no-answer rule: the hand-set score (BM25 / best + coverage +
20 × cosine) against the learned one, on the folds and on the held-out halves (measured once).
CMRC is left out: its 256 paragraphs would be embedded at every run.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.analyse import normalise
from retrieval.answer_type import can_hold, holds_measure
from retrieval.chunk import split_sentences
from retrieval.furniture import is_furniture
from retrieval.index import stored_text
from retrieval.query import Query
from retrieval.search import Searcher, _coverage

from . import news
from .system import NewsqaSystem

FEATURES = (
    "lexical", "coverage", "body_coverage", "best_sentence", "cosine", "cosine_gap", "cosine_gap_doc",
    "standard", "opening", "position", "answer_type", "measure", "length", "top_doc", "furniture",
    "window", "sentence_answer_type", "doc_cosine_rank",
)  # fmt: skip
WINDOW = 40  # characters: the proximity feature's span


@dataclass
class Row:
    question: str
    features: list[float]
    label: bool
    passes: bool
    hand: float  # the hand-set score


class TracingSearcher(Searcher):
    """The engine's searcher, recording the features of every reranked candidate."""

    rows: list[Row]
    current: news.NewsQuestion | None = None

    def _rerank(self, searcher, query: Query, question_vector, head, weights, text_query=None, ranges=None):  # type: ignore[no-untyped-def, override]
        result = super()._rerank(searcher, query, question_vector, head, weights, text_query, ranges)
        ranked = result[0]
        if self.current is None or not ranked:
            return result
        measured = [c.similarity for c in ranked if c.similarity is not None]
        if not measured:
            return result
        best_lexical = max(c.lexical for c in ranked) or 1.0
        best_cosine, top_doc = max(measured), ranked[0].passage.doc if ranked[0].passage else ""
        doc_best: dict[str, float] = {}
        for c in ranked:
            if c.passage is not None and c.similarity is not None:
                doc_best[c.passage.doc] = max(doc_best.get(c.passage.doc, 0.0), c.similarity)
        normal_question = normalise(query.text)
        required = query.required if self.settings.require_latin_terms else []
        doc_cosines: dict[str, list[float]] = {}
        for c in ranked:
            if c.passage is not None:
                doc_cosines.setdefault(c.passage.doc, []).append(c.similarity or min(measured))
        for c in ranked:
            passage = c.passage
            if passage is None:
                continue
            cosine = c.similarity if c.similarity is not None else min(measured)
            sentences = [normalise(s) for s in split_sentences(passage.body)] or [passage.body]
            best_sentence = max(sentences, key=lambda s: _coverage(s, *weights)[0])
            features = [
                c.lexical / best_lexical,
                passage.coverage,
                _coverage(passage.body, *weights)[0],
                max(_coverage(s, *weights)[0] for s in sentences),
                cosine,
                cosine - best_cosine,
                cosine - doc_best.get(passage.doc, cosine),
                c.standard if c.standard is not None else 0.0,
                float(passage.chunk == 0),
                min(passage.chunk, 20) / 20,
                float(can_hold(passage.body, query.expects)),
                float(holds_measure(passage.body, normal_question)),
                min(len(passage.body), 600) / 600,
                float(passage.doc == top_doc),
                float(all(is_furniture(s) for s in sentences)),
                window_coverage(passage.body, weights[0]),
                float(can_hold(best_sentence, query.expects)),
                sorted(doc_cosines[passage.doc], reverse=True).index(cosine) / 5,
            ]
            label = news.answers(self.current, passage.doc, stored_text(passage.stored, "text"))
            passes = self._may_answer(query, c, passage, required)
            self.rows.append(Row(self.current.id, features, label, passes, c.score))
        return result


def window_coverage(text: str, word_weights: dict[str, float], width: int = WINDOW) -> float:
    """Proximity: the largest share of the question's word weight found within `width` characters."""
    total = sum(word_weights.values())
    if not total:
        return 0.0
    spots = sorted((i, word) for word in word_weights for i in _occurrences(text, word))
    best = 0.0
    for start, (first, _) in enumerate(spots):
        inside = {word for i, word in spots[start:] if i - first <= width}
        best = max(best, sum(word_weights[word] for word in inside) / total)
    return best


def _occurrences(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def collect(questions: list[news.NewsQuestion], corpus_dirs: tuple[Path, ...]) -> list[Row]:
    with news.news_engine(None, corpus_dirs) as engine:
        system = NewsqaSystem(engine.index, None, searcher_class=TracingSearcher)
        searcher = system.searcher
        assert isinstance(searcher, TracingSearcher)
        searcher.rows = []
        for question in questions:
            if not question.answerable:
                continue
            searcher.current = question
            system.search(question.question, 5)
        return searcher.rows


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> np.ndarray:
    """Logistic regression weights (last one the intercept) by Newton's method with an L2 penalty."""
    x = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        w -= np.linalg.solve(hessian, gradient)
    return w


def fit_listwise(rows: list[Row], l2: float = 0.1, steps: int = 300, rate: float = 0.5) -> tuple[np.ndarray, ...]:
    """Weights of a softmax over each question's passing candidates (the answer's share of it
    maximised), on standardised features plus the hand-set score; returns weights, mean, scale."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.passes:
            groups.setdefault(row.question, []).append(row)
    data = [(_listwise_x(g), np.array([float(r.label) for r in g])) for g in groups.values() if any(r.label for r in g)]
    every = np.concatenate([x for x, _ in data])
    mean, scale = every.mean(0), every.std(0) + 1e-9
    data = [((x - mean) / scale, y) for x, y in data]
    return fit_softmax(data, l2, steps, rate), mean, scale


def fit_softmax(groups: list[tuple[np.ndarray, np.ndarray]], l2: float, steps: int, rate: float,
                start: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Weights of a softmax over each group's rows that maximise the share of its positives, by
    gradient descent from `start` (zeros by default) with an L2 penalty towards it."""
    origin = np.zeros(groups[0][0].shape[1]) if start is None else start
    w = origin.copy()
    for _ in range(steps):
        gradient = l2 * (w - origin)
        for x, y in groups:
            s = x @ w
            p = np.exp(s - s.max())
            gradient += x.T @ (p / p.sum() - y / y.sum())
        w -= rate * gradient / len(groups)
    return w


def _listwise_x(rows: list[Row]) -> np.ndarray:
    return np.array([[*r.features, r.hand] for r in rows])


def listwise_scores(rows: list[Row], model: tuple[np.ndarray, ...]) -> np.ndarray:
    w, mean, scale = model
    return ((_listwise_x(rows) - mean) / scale) @ w if rows else np.zeros(0)


def folds_of(rows: list[Row], folds: int = 5) -> np.ndarray:
    """Each row's fold: the questions in sorted order dealt round the folds, so that all the
    candidates of one question share a fold."""
    questions = sorted({r.question for r in rows})
    fold_of = {q: i % folds for i, q in enumerate(questions)}
    return np.array([fold_of[r.question] for r in rows])


def cross_validate_listwise(rows: list[Row], folds: int = 5) -> np.ndarray:
    fold_of = folds_of(rows, folds)
    scores = np.zeros(len(rows))
    for fold in range(folds):
        model = fit_listwise([r for r, f in zip(rows, fold_of, strict=True) if f != fold])
        test = [i for i, f in enumerate(fold_of) if f == fold]
        scores[test] = listwise_scores([rows[i] for i in test], model)
    return scores


def cross_validate_lambdamart(rows: list[Row], folds: int = 5) -> np.ndarray:
    """LambdaMART (LightGBM, small trees) over the features and the hand-set score, on the passing
    candidates, grouped by question. LightGBM is not a dependency: `pip install lightgbm` to run it."""
    import lightgbm

    fold_of = folds_of(rows, folds)
    x = np.array([[*r.features, r.hand] for r in rows])
    scores = np.zeros(len(rows))
    params = {"objective": "lambdarank", "num_leaves": 4, "min_data_in_leaf": 10, "learning_rate": 0.05,
              "lambda_l2": 1.0, "verbosity": -1, "seed": 0}  # fmt: skip
    for fold in range(folds):
        train = [i for i, r in enumerate(rows) if fold_of[i] != fold and r.passes]
        groups: dict[str, int] = {}
        for i in train:
            groups[rows[i].question] = groups.get(rows[i].question, 0) + 1
        train.sort(key=lambda i: list(groups).index(rows[i].question))
        labels = np.array([float(rows[i].label) for i in train])
        data = lightgbm.Dataset(x[train], labels, group=list(groups.values()), feature_name=[*FEATURES, "hand"])
        model = lightgbm.train(params, data, 100)
        test = [i for i, f in enumerate(fold_of) if f == fold]
        scores[test] = model.predict(x[test])
    return scores


def _ranks(rows: list[Row], scores: np.ndarray) -> dict[str, int | None]:
    """Per question, the rank of the first answering candidate among those that pass the rule."""
    by_question: dict[str, list[tuple[float, bool]]] = {}
    for row, score in zip(rows, scores, strict=True):
        if row.passes:
            by_question.setdefault(row.question, []).append((float(score), row.label))
    ranks: dict[str, int | None] = {}
    for question, scored in by_question.items():
        scored.sort(key=lambda pair: -pair[0])
        ranks[question] = next((i for i, (_, label) in enumerate(scored, 1) if label), None)
    return ranks


def tops(rows: list[Row], scores: np.ndarray, total: int) -> tuple[float, float]:
    """Top-1 and top-3: the share of the `total` questions whose first answering candidate, among
    those that pass the no-answer rule, is first (within the first three) by `scores`."""
    ranks = _ranks(rows, scores)
    top1 = sum(1 for r in ranks.values() if r == 1) / total
    top3 = sum(1 for r in ranks.values() if r and r <= 3) / total
    return top1, top3


def report(name: str, rows: list[Row], scores: np.ndarray, total: int) -> str:
    top1, top3 = tops(rows, scores, total)
    return f"{name}: top-1 {top1:.1%}, top-3 {top3:.1%} (passage ranks within the reranked candidates)"


def matrix(rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([r.features for r in rows]), np.array([float(r.label) for r in rows])


def cross_validate(rows: list[Row], folds: int = 5) -> np.ndarray:
    """Learned scores for every row, each from a model fitted without its question."""
    fold_of = folds_of(rows, folds)
    scores = np.zeros(len(rows))
    x, y = matrix(rows)
    for fold in range(folds):
        train = fold_of != fold
        w = fit(x[train], y[train])
        test = ~train
        scores[test] = np.hstack([x[test], np.ones((test.sum(), 1))]) @ w
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--held-out", action="store_true", help="also score the held-out halves (once)")
    parser.add_argument("--lambdamart", action="store_true", help="also cross-validate LambdaMART (needs lightgbm)")
    parser.add_argument("--cache", type=Path, help="keep the recorded features in this JSON file")
    args = parser.parse_args(argv)
    sets = {
        "news": (news.load_questions(), news.CORPUS_DIRS),
        "archive2 calibration": (news.load_questions(news.ARCHIVE2_SETS["calibration"]), news.ARCHIVE2_DIRS),
    }
    if args.held_out:
        sets["news held-out"] = (news.load_questions(news.ROOT / "eval" / "news_questions_heldout.jsonl"),
                                 news.CORPUS_DIRS)  # fmt: skip
        sets["archive2 held-out"] = (news.load_questions(news.ARCHIVE2_SETS["held-out"]), news.ARCHIVE2_DIRS)
    recorded: dict[str, list[Row]] = {}
    if args.cache and args.cache.exists():
        cached = json.loads(args.cache.read_text(encoding="utf-8"))
        recorded = {name: [Row(**row) for row in rows] for name, rows in cached.items()}
    for name, (questions, dirs) in sets.items():
        if name not in recorded:
            recorded[name] = [Row(f"{name}/{r.question}", r.features, r.label, r.passes, r.hand)
                              for r in collect(questions, dirs)]  # fmt: skip
    if args.cache:
        args.cache.write_text(json.dumps({n: [r.__dict__ for r in rows] for n, rows in recorded.items()}), "utf-8")
    totals = {name: sum(q.answerable for q in sets[name][0]) for name in sets}
    calibration = recorded["news"] + recorded["archive2 calibration"]
    learned = cross_validate(calibration)
    listwise = cross_validate_listwise(calibration)
    lambdamart = cross_validate_lambdamart(calibration) if args.lambdamart else None
    offset = 0
    for name in ("news", "archive2 calibration"):
        rows, part = recorded[name], slice(offset, offset + len(recorded[name]))
        print(report(f"{name}, hand-set", rows, np.array([r.hand for r in rows]), totals[name]))
        print(report(f"{name}, pointwise (5-fold)", rows, learned[part], totals[name]))
        print(report(f"{name}, listwise (5-fold)", rows, listwise[part], totals[name]))
        if lambdamart is not None:
            print(report(f"{name}, LambdaMART (5-fold)", rows, lambdamart[part], totals[name]))
        offset += len(rows)
    x, y = matrix(calibration)
    w = fit(x, y)
    model = fit_listwise(calibration)
    print("listwise weights:", {n: round(float(v), 2) for n, v in zip((*FEATURES, "hand"), model[0], strict=True)})
    for name in sets:
        if "held-out" in name:
            rows = recorded[name]
            xs = np.hstack([matrix(rows)[0], np.ones((len(rows), 1))])
            print(report(f"{name}, hand-set", rows, np.array([r.hand for r in rows]), totals[name]))
            print(report(f"{name}, pointwise", rows, xs @ w, totals[name]))
            print(report(f"{name}, listwise", rows, listwise_scores(rows, model), totals[name]))


if __name__ == "__main__":
    main()
