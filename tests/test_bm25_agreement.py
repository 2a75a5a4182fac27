"""newsqa's tantivy BM25 scores agree with a textbook BM25 of the same variant and with rank-bm25.

tantivy scores like Lucene: idf = ln(1 + (N - n + 0.5) / (n + 0.5)), k1 = 1.2, b = 0.75, and the
document length stored on one byte (exact up to 40 tokens, rounded down on a log scale above).
rank-bm25's BM25Okapi uses idf = ln((N - n + 0.5) / (n + 0.5)) floored at epsilon * mean idf, so
it is compared as is (ranking only) and with Lucene's idf swapped in (scores too).
"""

from __future__ import annotations

import math
from pathlib import Path

import jieba
import numpy as np
import pytest
import tantivy
from rank_bm25 import BM25Okapi

from bench.textbook_bm25 import K1, B, textbook_bm25
from retrieval.index import build_schema

DICT = Path(jieba.__file__).resolve().parent / "dict.txt"


class LuceneIdfBM25(BM25Okapi):
    """rank-bm25 with the idf tantivy uses (its length normalisation is already the same)."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        self.idf = {word: math.log(1 + (self.corpus_size - n + 0.5) / (n + 0.5)) for word, n in nd.items()}


def synthetic_docs(count: int, shortest: int, longest: int, seed: int) -> list[list[str]]:
    """Documents of jieba dictionary words drawn with their frequencies (Zipf-like)."""
    words, freqs = [], []
    for line in DICT.read_text(encoding="utf-8").splitlines()[:60_000]:
        word, freq, *_ = line.split()
        if all("\u4e00" <= char <= "\u9fff" for char in word):
            words.append(word)
            freqs.append(float(freq))
    cdf = np.cumsum(freqs) / np.sum(freqs)
    rng = np.random.default_rng(seed)
    return [[words[i] for i in np.searchsorted(cdf, rng.random(int(n)))]
            for n in rng.integers(shortest, longest + 1, count)]  # fmt: skip


def queries_for(docs: list[list[str]], count: int, seed: int) -> list[list[str]]:
    """Queries of 1-4 words taken from the documents, so that most of them match."""
    rng = np.random.default_rng(seed)
    out = []
    for size in rng.integers(1, 5, count):
        picks = [docs[int(i)] for i in rng.integers(0, len(docs), int(size))]
        out.append([doc[int(rng.integers(len(doc)))] for doc in picks])
    return out


def tantivy_scores(docs: list[list[str]], queries: list[list[str]]) -> list[np.ndarray]:
    """Scores of every document for each query: newsqa's schema, `words` field, no boosts."""
    schema = build_schema()
    index = tantivy.Index(schema)
    writer = index.writer(50_000_000, 1)
    for ordinal, doc in enumerate(docs):
        writer.add_document(tantivy.Document.from_dict({"chunk": ordinal, "words": " ".join(doc)}, schema))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    assert searcher.num_segments == 1  # so doc addresses follow insertion order
    results = []
    for query in queries:
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "words", term, index_option="freq"))
                   for term in dict.fromkeys(query)]  # fmt: skip
        scores = np.zeros(len(docs))
        for score, address in searcher.search(tantivy.Query.boolean_query(clauses), len(docs)).hits:
            scores[address.doc] = score
        results.append(scores)
    return results


def overlap_at_10(found: np.ndarray, reference: np.ndarray) -> float:
    """Share of tantivy's top 10 that the reference ranks top 10 (ties at the cut included)."""
    top = np.argsort(-found, kind="stable")[:10]
    top = top[found[top] > 0]
    cut = np.sort(reference)[::-1][9]
    return float(np.mean(reference[top] >= cut - 1e-9)) if len(top) else 1.0


@pytest.mark.parametrize(("shortest", "longest"), [(5, 40), (20, 160)], ids=["exact-lengths", "quantised-lengths"])
def test_tantivy_matches_textbook_and_rank_bm25(shortest: int, longest: int) -> None:
    docs = synthetic_docs(400, shortest, longest, seed=11)
    queries = queries_for(docs, 60, seed=12)
    okapi, lucene = BM25Okapi(docs, k1=K1, b=B), LuceneIdfBM25(docs, k1=K1, b=B)
    overlaps: dict[str, list[float]] = {"textbook": [], "lucene-idf rank-bm25": [], "BM25Okapi": []}
    for query, found in zip(queries, tantivy_scores(docs, queries), strict=True):
        assert found.any(), query
        textbook = textbook_bm25(docs, query)
        top = np.argsort(-found)[:10]
        top = top[found[top] > 0]
        np.testing.assert_allclose(found[top], textbook[top], rtol=1e-5)
        terms = list(dict.fromkeys(query))
        overlaps["textbook"].append(overlap_at_10(found, textbook))
        overlaps["lucene-idf rank-bm25"].append(overlap_at_10(found, lucene.get_scores(terms)))
        overlaps["BM25Okapi"].append(overlap_at_10(found, okapi.get_scores(terms)))
        if longest <= 40:  # lengths are stored exactly: rank-bm25 gives the very same scores
            np.testing.assert_allclose(found[top], lucene.get_scores(terms)[top], rtol=1e-5)
    means = {name: float(np.mean(values)) for name, values in overlaps.items()}
    assert means["textbook"] >= 0.99, means
    assert means["lucene-idf rank-bm25"] >= 0.9, means
    # Okapi's idf differs for common words (floored, vs Lucene's ln(1 + ...)): same ranking mostly, not always
    assert means["BM25Okapi"] >= 0.8, means
