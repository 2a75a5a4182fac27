"""The plain rank-bm25 baselines: raw jieba, cleaned jieba, character bigrams."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import cache

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.analyse import load_stopwords, normalise

Tokenizer = Callable[[str], list[str]]

_MEANINGFUL = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@cache
def _jieba() -> jieba.Tokenizer:
    """jieba's stock dictionary, as a plain script would use it (no user dictionary)."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def raw_jieba(text: str) -> list[str]:
    """(a) jieba.lcut as is: punctuation, spaces and function words included."""
    return _jieba().lcut(text)


def clean_jieba(text: str) -> list[str]:
    """(b) normalised jieba words without punctuation, white space or stopwords."""
    stopwords = load_stopwords()
    tokens = (token.strip() for token in _jieba().lcut(normalise(text)))
    return [token for token in tokens if token and _MEANINGFUL.search(token) and token not in stopwords]


def char_bigrams(text: str) -> list[str]:
    """(c) character bigrams of CJK runs, runs broken at stopwords and punctuation."""
    stopwords = load_stopwords()
    grams: list[str] = []
    run = ""
    for piece in _jieba().lcut(normalise(text)):
        token = piece.strip()
        if token and _CJK_RUN.fullmatch(token) and token not in stopwords:
            run += token
            continue
        grams.extend(_bigrams(run))
        run = ""
        if token and _MEANINGFUL.search(token) and token not in stopwords:
            grams.append(token)
    grams.extend(_bigrams(run))
    return grams


def _bigrams(run: str) -> list[str]:
    if len(run) <= 1:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


BASELINES: dict[str, Tokenizer] = {
    "bm25 raw jieba": raw_jieba,
    "bm25 clean jieba": clean_jieba,
    "bm25 bigrams": char_bigrams,
}


class Bm25Ranker:
    """rank-bm25 BM25Okapi over passages tokenised one way."""

    def __init__(self, passages: Sequence[str], tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.bm25 = BM25Okapi([tokenizer(text) or [""] for text in passages])

    def rank(self, question: str, k: int) -> list[int]:
        """Indices of the k best passages, best first."""
        scores = self.bm25.get_scores(self.tokenizer(question))
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in order[:k]]
