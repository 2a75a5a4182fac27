"""A textbook BM25 of tantivy's (Lucene's) variant, in numpy: the reference for agreement checks.

idf = ln(1 + (N - n + 0.5) / (n + 0.5)), k1 = 1.2, b = 0.75, and document lengths stored on
one byte (exact below 40 tokens, rounded down on a log scale above), as tantivy stores them.
"""

from __future__ import annotations

import math

import numpy as np

K1, B = 1.2, 0.75


FIELDNORM_IDENTITY = 24


def _fieldnorm_decode(code: int) -> int:
    """Lucene's/tantivy's one-byte field length: exact below 40 tokens, log-scale above."""
    if code < FIELDNORM_IDENTITY:
        return code
    code -= FIELDNORM_IDENTITY
    bits, shift = code & 7, code >> 3
    return FIELDNORM_IDENTITY + (bits if shift == 0 else (bits | 8) << (shift - 1))


FIELDNORMS = np.array([_fieldnorm_decode(code) for code in range(256)], dtype=np.int64)


def quantise_lengths(lengths: np.ndarray) -> np.ndarray:
    """Document lengths as tantivy stores them (rounded down onto the one-byte scale)."""
    return FIELDNORMS[np.searchsorted(FIELDNORMS, lengths, side="right") - 1]


def textbook_bm25(docs: list[list[str]], query: list[str], quantise: bool = True) -> np.ndarray:
    """BM25 as tantivy/Lucene define it: idf = ln(1 + (N - n + 0.5) / (n + 0.5)), k1=1.2, b=0.75."""
    lengths = np.array([len(doc) for doc in docs], dtype=np.float64)
    norms = quantise_lengths(lengths.astype(np.int64)) if quantise else lengths
    scores = np.zeros(len(docs))
    for term in dict.fromkeys(query):
        tf = np.array([doc.count(term) for doc in docs], dtype=np.float64)
        n = np.count_nonzero(tf)
        if n:
            idf = math.log(1 + (len(docs) - n + 0.5) / (n + 0.5))
            scores += idf * (K1 + 1) * tf / (tf + K1 * (1 - B + B * norms / lengths.mean()))
    return scores
