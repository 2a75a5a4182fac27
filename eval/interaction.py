"""Experiment: learned weights on the embedding's dimensions (question vector times passage vector).

`python -m eval.interaction` records, for every reranked candidate of the news calibration set and
the archive-2 calibration half, the ranker's features (eval.ranker) and the elementwise product of
the question's and the passage's vectors, whose sum is the cosine. It compares, by 5-fold
cross-validation grouped by question, top-1 and top-3 among the candidates that pass the no-answer
rule for:

- the hand-set order;
- a listwise model on the ranker's features and the hand-set score (as in eval.ranker);
- the same plus the 384 products, so that dimensions may count more or less than the cosine says;
- the hand-set score plus a "reader" direction learned on CMRC 2018's trial split alone: which
  sentence of its paragraph holds the answer (question times sentence vector; hard negatives,
  the paragraph's other sentences), applied to the candidates' passage vectors;
- the hand-set score plus the best sentence's score less the passage's, for the five best
  passing candidates of each question (their sentences embedded with the article's title), by the
  cosine and by the CMRC reader.

Nothing here is fitted on a held-out set. Recordings, CMRC's and the candidates' sentence vectors
are kept in /tmp/newsqa-interaction (a first run takes some five minutes, then seconds).
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import numpy as np

from retrieval.chunk import split_sentences
from retrieval.index import stored_text
from retrieval.semantic import SemanticScorer, passage_text

from . import cmrc, news
from .ranker import Row, TracingSearcher, fit_listwise, fit_softmax, folds_of, listwise_scores, tops
from .system import NewsqaSystem

CACHE = Path("/tmp/newsqa-interaction")


class VectorTracingSearcher(TracingSearcher):
    """TracingSearcher that also keeps each recorded candidate's question-times-passage vector."""

    products: list[np.ndarray]
    passages: list[tuple[str, str]]  # (article title, text) of each recorded candidate
    asked: list[np.ndarray]  # the question's vector, per recorded candidate

    def _rerank(self, searcher, query, question_vector, head, weights, text_query=None, ranges=None):  # type: ignore[no-untyped-def, override]
        before = len(self.rows)
        result = super()._rerank(searcher, query, question_vector, head, weights, text_query, ranges)
        if len(self.rows) == before:
            return result
        ranked = [c for c in result[0] if c.passage is not None]
        assert self.scorer is not None and len(ranked) == len(self.rows) - before
        vectors = self.scorer._recall([c.passage.shown for c in ranked])  # type: ignore[union-attr]
        asked = np.asarray(question_vector, dtype=np.float32)
        for candidate, vector in zip(ranked, vectors, strict=True):
            self.products.append(asked * vector if vector is not None else np.zeros_like(asked))
            stored = candidate.passage.stored  # type: ignore[union-attr]
            self.passages.append((stored_text(stored, "article_title"), stored_text(stored, "text")))
            self.asked.append(asked)
        return result


Recorded = tuple[list[Row], np.ndarray, list[tuple[str, str]], np.ndarray]


def collect(questions: list[news.NewsQuestion], corpus_dirs: tuple[Path, ...]) -> Recorded:
    with news.news_engine(None, corpus_dirs) as engine:
        system = NewsqaSystem(engine.index, None, searcher_class=VectorTracingSearcher)
        searcher = system.searcher
        assert isinstance(searcher, VectorTracingSearcher)
        searcher.rows, searcher.products, searcher.passages, searcher.asked = [], [], [], []
        for question in questions:
            if question.answerable:
                searcher.current = question
                system.search(question.question, 5)
        return searcher.rows, np.array(searcher.products), searcher.passages, np.array(searcher.asked)


def recorded(name: str, questions: list[news.NewsQuestion], dirs: tuple[Path, ...]) -> Recorded:
    """The rows and products of one set, from the cache when there."""
    path = CACHE / f"{name.replace(' ', '_')}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=True)
        return [Row(**r) for r in data["rows"]], data["products"], [tuple(p) for p in data["passages"]], data["asked"]
    rows, products, passages, asked = collect(questions, dirs)
    rows = [Row(f"{name}/{r.question}", r.features, r.label, r.passes, r.hand) for r in rows]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, rows=np.array([r.__dict__ for r in rows], dtype=object), products=products,
             passages=np.array(passages, dtype=object), asked=asked)  # fmt: skip
    return rows, products, passages, asked


def cmrc_sentences() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per CMRC question: the products of its vector with its paragraph's sentence vectors, and
    which sentences hold the answer (questions whose answer no single sentence holds are left out)."""
    path = CACHE / "cmrc_sentences.npz"
    if path.exists():
        data = np.load(path, allow_pickle=True)
        return list(data["x"]), list(data["y"])
    raw = json.loads(cmrc.DATA.read_text(encoding="utf-8"))
    scorer = SemanticScorer(budget=None)
    xs, ys = [], []
    for article in raw["data"]:
        for paragraph in article["paragraphs"]:
            sentences = [s for s in split_sentences(paragraph["context"]) if s.strip()]
            if len(sentences) < 2:
                continue
            vectors = scorer.vectors([passage_text("", s) for s in sentences])
            assert vectors is not None, "the semantic model cannot run here"
            matrix = np.array(vectors, dtype=np.float32)
            for qa in paragraph["qas"]:
                answer_texts = [a["text"].strip() for a in qa["answers"] if a["text"].strip()]
                labels = np.array([any(a in s for a in answer_texts) for s in sentences], dtype=float)
                if not labels.any() or labels.all():
                    continue
                asked = np.asarray(scorer.question_vector(qa["question"]), dtype=np.float32)
                xs.append(matrix * asked)
                ys.append(labels)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=np.array(xs, dtype=object), y=np.array(ys, dtype=object))
    return xs, ys


READERS = ((0.01, 5.0), (0.001, 20.0))  # (L2 penalty towards the cosine, step size) of the CMRC reader


def _cmrc_groups() -> list[tuple[np.ndarray, np.ndarray]]:
    # Products are about 1/384 each: times 20, the cosine's own weights (all ones) give the
    # hand-set order's 20 x cosine.
    return [(x.astype(float) * 20, y) for x, y in zip(*cmrc_sentences(), strict=True)]


def reader_direction(l2: float, rate: float, groups: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """The CMRC reader: per-dimension weights, started from and held towards the cosine's."""
    groups = groups if groups is not None else _cmrc_groups()
    return fit_softmax(groups, l2, steps=300, rate=rate, start=np.ones(groups[0][0].shape[1]))


def cmrc_reader_accuracy(l2: float, rate: float, folds: int = 5) -> tuple[float, float]:
    """Sentence top-1 on CMRC, cosine against the learned direction, by cross-validation."""
    groups = _cmrc_groups()
    cosine = np.mean([y[np.argmax(x.sum(1))] for x, y in groups])
    hits = []
    for fold in range(folds):
        w = reader_direction(l2, rate, [g for i, g in enumerate(groups) if i % folds != fold])
        hits += [y[np.argmax(x @ w)] for i, (x, y) in enumerate(groups) if i % folds == fold]
    return float(cosine), float(np.mean(hits))


def sentence_gains(recorded_set: Recorded, direction: np.ndarray, depth: int = 5) -> np.ndarray:
    """Per row: its best sentence's score (question times sentence vector, weighted by `direction`)
    less its passage's, for the `depth` best passing candidates of each question by the hand-set
    score (0 for the rest). Sentences are embedded with the article's title, as passages are."""
    rows, products, passages, asked = recorded_set
    by_question: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row.passes:
            by_question.setdefault(row.question, []).append(i)
    chosen = [i for found in by_question.values() for i in sorted(found, key=lambda i: -rows[i].hand)[:depth]]
    texts = {i: [passage_text(passages[i][0], s) for s in split_sentences(passages[i][1])] for i in chosen}
    vectors = _sentence_vectors([t for group in texts.values() for t in group])
    gains = np.zeros(len(rows))
    for i in chosen:
        sentences = np.array([vectors[t] for t in texts[i]], dtype=float)
        gains[i] = ((sentences * asked[i]) @ direction).max() - products[i] @ direction
    return gains


def _sentence_vectors(texts: list[str]) -> dict[str, np.ndarray]:
    """Vectors of the texts, embedded once and kept in the cache folder."""
    path = CACHE / "sentences.pkl"
    known: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        vectors = SemanticScorer(budget=None).vectors(missing)
        assert vectors is not None, "the semantic model cannot run here"
        known.update(zip(missing, vectors, strict=True))
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(known))
    return known


def listwise_with_products(rows: list[Row], products: np.ndarray, train: np.ndarray, l2: float) -> np.ndarray:
    """Scores for every row from a softmax model fitted on the train rows: features, hand-set
    score and the products (standardised)."""
    x = np.hstack([np.array([[*r.features, r.hand] for r in rows]), products * 384])
    mean, scale = x[train].mean(0), x[train].std(0) + 1e-9
    x = (x - mean) / scale
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if train[i] and r.passes:
            groups.setdefault(r.question, []).append(i)
    data = [(x[g], np.array([float(rows[i].label) for i in g])) for g in groups.values()]
    data = [(a, b) for a, b in data if b.any()]
    w = fit_softmax(data, l2, steps=300, rate=0.5)
    return x @ w


def top(rows: list[Row], scores: np.ndarray, total: int) -> str:
    return "{:.1%} / {:.1%}".format(*tops(rows, scores, total))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--l2", type=float, action="append", help="penalties of the product model (repeatable)")
    args = parser.parse_args(argv)
    penalties = args.l2 or [0.1, 1.0, 10.0]
    sets = {
        "news": (news.load_questions(), news.CORPUS_DIRS),
        "archive2 calibration": (news.load_questions(news.ARCHIVE2_SETS["calibration"]), news.ARCHIVE2_DIRS),
    }
    data = {name: recorded(name, *spec) for name, spec in sets.items()}
    totals = {name: sum(q.answerable for q in spec[0]) for name, spec in sets.items()}
    for l2, rate in READERS:
        cosine, learned = cmrc_reader_accuracy(l2, rate)
        print(f"CMRC: the sentence holding the answer first, cosine {cosine:.1%}, "
              f"reader l2 {l2:g} (5-fold) {learned:.1%}")  # fmt: skip
    rows = [row for name in sets for row in data[name][0]]
    products = np.vstack([data[name][1] for name in sets])
    fold = folds_of(rows)
    hand = np.array([r.hand for r in rows])
    results: dict[str, np.ndarray] = {"hand-set": hand}
    listwise = np.zeros(len(rows))
    for f in range(5):
        model = fit_listwise([r for r, k in zip(rows, fold, strict=True) if k != f])
        listwise[fold == f] = listwise_scores([r for r, k in zip(rows, fold, strict=True) if k == f], model)
    results["listwise, features"] = listwise
    for l2 in penalties:
        scores = np.zeros(len(rows))
        for f in range(5):
            scores[fold == f] = listwise_with_products(rows, products, fold != f, l2)[fold == f]
        results[f"listwise, features + products, l2 {l2:g}"] = scores
    directions = {"cosine": np.ones(products.shape[1])}
    for l2, rate in READERS:
        direction = directions[f"CMRC reader l2 {l2:g}"] = reader_direction(l2, rate)
        for weight in (2.0, 5.0, 10.0, 20.0):
            results[f"hand-set + {weight:g} x (passage by CMRC reader l2 {l2:g} - cosine)"] = hand + weight * (
                products @ direction - products.sum(1)
            )
    for label, direction in directions.items():
        gains = np.concatenate([sentence_gains(data[name], direction) for name in sets])
        for weight in (2.0, 5.0, 10.0, 20.0):
            results[f"hand-set + {weight:g} x (best sentence - passage), {label}"] = hand + weight * gains
    parts, offset = {}, 0
    for name in sets:
        parts[name] = slice(offset, offset + len(data[name][0]))
        offset += len(data[name][0])
    print("| order | news top-1 / top-3 | archive 2 calibration top-1 / top-3 |")
    print("|---|---|---|")
    for label, scores in results.items():
        cells = [top(data[name][0], scores[parts[name]], totals[name]) for name in sets]
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
