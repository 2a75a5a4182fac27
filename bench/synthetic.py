"""Deterministic synthetic Chinese news chunks, with their analysed tokens precomputed.

Words are drawn from jieba's own dictionary with its frequencies (a Zipf-like law), so the
term statistics look like real text. Each chunk comes with the token streams newsqa's
Analyzer would index (`words` with dictionary sub-words, `grams` = character bigrams that
never cross punctuation, numbers or stopwords), computed per vocabulary entry once: jieba
itself (~1 MB/s) would dominate a 1M-chunk build, so it is measured separately.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

import jieba
import numpy as np

from retrieval.analyse import load_stopwords, normalise

DICT_PATH = Path(jieba.__file__).resolve().parent / "dict.txt"
PUNCTUATION = ("，", "。", "；", "、", "：", "！", "？")
SOURCES = ("新华社", "上海发布", "人民日报", "澎湃新闻", "新浪财经", "央视新闻", "解放日报")
FIRST_DAY = date(2019, 1, 1).toordinal()
LAST_DAY = date(2023, 12, 31).toordinal()
BATCH = 10_000
NUMBERS = 4_000  # size of the pool of number/date expressions


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" for char in text)


@dataclass(frozen=True)
class Vocabulary:
    """Parallel arrays over token ids: dictionary words, then punctuation, then numbers.

    text: what the reader sees; words: the analysed `words` tokens (space-joined, "" when
    none); runs: the CJK run the token adds for bigrams, "|" where a run must break.
    """

    text: np.ndarray
    words: np.ndarray
    runs: np.ndarray
    cdf: np.ndarray  # cumulative sampling probabilities of the dictionary words
    size: int  # number of dictionary words
    query_ids: np.ndarray  # content words (2+ chars, not stopwords) for questions
    query_cdf: np.ndarray

    @property
    def text_list(self) -> list[str]:
        return self._lists[0]

    @property
    def words_list(self) -> list[str]:
        return self._lists[1]

    @property
    def runs_list(self) -> list[str]:
        return self._lists[2]

    @cached_property
    def _lists(self) -> tuple[list[str], list[str], list[str]]:
        return self.text.tolist(), self.words.tolist(), self.runs.tolist()

    @property
    def punct_base(self) -> int:
        return self.size

    @property
    def number_base(self) -> int:
        return self.size + len(PUNCTUATION)


def _read_dictionary() -> tuple[list[str], np.ndarray]:
    words, freqs = [], []
    with DICT_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and _is_cjk(parts[0]) and int(parts[1]) > 0:
                words.append(parts[0])
                freqs.append(int(parts[1]))
    return words, np.asarray(freqs, dtype=np.float64)


def _sub_words(token: str, known: set[str], stopwords: frozenset[str]) -> list[str]:
    """Dictionary words of two and three characters inside a longer word, as the Analyzer adds."""
    found = []
    for size in (2, 3):
        for start in range(len(token) - size + 1 if len(token) > size else 0):
            gram = token[start : start + size]
            if gram in known and gram not in stopwords:
                found.append(gram)
    return found


def _number_pool(rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """(text, words, runs) of dates, counts, percentages and plain numbers."""
    pool = []
    for kind in rng.integers(0, 4, NUMBERS):
        if kind == 0:
            y, m, d = int(rng.integers(2015, 2024)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
            pool.append((f"{y}年{m}月{d}日", f"{y} {m} {d}", "|"))  # 年/月/日 are stopwords
        elif kind == 1:
            n = int(rng.integers(1, 1000))
            pool.append((f"{n}万", f"{n} 万", "|万|"))
        elif kind == 2:
            x = f"{rng.integers(0, 1000) / 10:.1f}%"
            pool.append((x, x, "|"))
        else:
            n = str(int(rng.integers(1, 100_000)))
            pool.append((n, n, "|"))
    return pool


@cache
def load_vocabulary(seed: int = 7) -> Vocabulary:
    """The sampling vocabulary with every token's analysed form, built once per process."""
    raw, freqs = _read_dictionary()
    stopwords = load_stopwords()
    normal = [normalise(word) for word in raw]
    known = set(normal)
    words, runs = [], []
    for word in normal:
        if word in stopwords:
            words.append("")
            runs.append("|")
        else:
            words.append(" ".join([*_sub_words(word, known, stopwords), word]))
            runs.append(word)
    pool = _number_pool(np.random.default_rng([seed, 999]))
    text = raw + list(PUNCTUATION) + [item[0] for item in pool]
    words += [""] * len(PUNCTUATION) + [item[1] for item in pool]
    runs += ["|"] * len(PUNCTUATION) + [item[2] for item in pool]
    content = np.asarray([i for i, w in enumerate(normal) if len(w) >= 2 and w not in stopwords])
    return Vocabulary(
        text=np.asarray(text, dtype=object),
        words=np.asarray(words, dtype=object),
        runs=np.asarray(runs, dtype=object),
        cdf=np.cumsum(freqs) / freqs.sum(),
        size=len(raw),
        query_ids=content,
        query_cdf=np.cumsum(freqs[content]) / freqs[content].sum(),
    )


@dataclass(frozen=True)
class SyntheticChunk:
    """One passage with the fields newsqa indexes (see retrieval.index.chunk_document)."""

    doc: str
    chunk: int
    text: str
    words: str
    grams: str
    title: str
    title_words: str
    day: int
    source: str


def bigrams(runs: str) -> list[str]:
    """Character bigrams of each run between "|" marks; a lone character stands for itself."""
    out: list[str] = []
    for run in runs.split("|"):
        if len(run) > 1:
            out.extend(map(operator.add, run[:-1], run[1:]))
        elif run:
            out.append(run)
    return out


def _article_ids(vocab: Vocabulary, rng: np.random.Generator, chunks: int) -> list[list[int]]:
    """Token ids of an article's chunks: 2-6 sentences of 8-25 words, with clause commas,
    a number in about a third of the sentences, and a closing mark; sampled in one go."""
    sentences = rng.integers(2, 7, chunks)
    lengths = rng.integers(8, 26, int(sentences.sum()))
    ids = np.searchsorted(vocab.cdf, rng.random(int(lengths.sum()))).tolist()
    has_number = (rng.random(len(lengths)) < 0.35).tolist()
    number_at = (rng.random(len(lengths)) * lengths).astype(np.int64).tolist()
    number_id = (vocab.number_base + rng.integers(0, NUMBERS, len(lengths))).tolist()
    comma_at = (4 + rng.random(len(lengths)) * np.maximum(lengths - 8, 1)).astype(np.int64).tolist()
    ends = np.where(rng.random(len(lengths)) < 0.85, 1, rng.integers(2, len(PUNCTUATION), len(lengths)))
    end_id = (vocab.punct_base + ends).tolist()
    out: list[list[int]] = []
    start = sentence = 0
    for count in sentences.tolist():
        seq: list[int] = []
        for _ in range(count):
            length = int(lengths[sentence])
            words = ids[start : start + length]
            start += length
            if has_number[sentence]:
                words[number_at[sentence]] = number_id[sentence]
            if length > 10:
                cut = comma_at[sentence]
                words = [*words[:cut], vocab.punct_base, *words[cut:]]
            seq.extend(words)
            seq.append(end_id[sentence])
            sentence += 1
        out.append(seq)
    return out


def _batch(vocab: Vocabulary, seed: int, batch: int, size: int) -> Iterator[SyntheticChunk]:
    rng = np.random.default_rng([seed, batch])
    text, words, runs = vocab.text_list, vocab.words_list, vocab.runs_list
    made = article = 0
    while made < size:
        count = int(rng.integers(4, 13))  # ~8 chunks per article
        doc = f"synthetic/{batch:05d}-{article:04d}.md"
        title_ids = np.searchsorted(vocab.cdf, rng.random(int(rng.integers(6, 15)))).tolist()
        title = "".join([text[i] for i in title_ids])
        title_words = " ".join([words[i] for i in title_ids if words[i]])
        day = int(rng.integers(FIRST_DAY, LAST_DAY + 1))
        source = SOURCES[int(rng.integers(0, len(SOURCES)))]
        for ordinal, seq in enumerate(_article_ids(vocab, rng, count)[: size - made]):
            pick = operator.itemgetter(*seq)  # every sequence has 2+ ids
            yield SyntheticChunk(
                doc=doc,
                chunk=ordinal,
                text="".join(pick(text)),
                words=" ".join(filter(None, pick(words))),
                grams=" ".join(bigrams("".join(pick(runs)))),
                title=title,
                title_words=title_words,
                day=day,
                source=source,
            )
        made += count
        article += 1


def iter_chunks(count: int, seed: int = 7) -> Iterator[SyntheticChunk]:
    """The first `count` chunks of the corpus for `seed`; any prefix is the same corpus."""
    vocab = load_vocabulary(seed)
    for batch, start in enumerate(range(0, count, BATCH)):
        yield from _batch(vocab, seed, batch, min(BATCH, count - start))


def make_questions(count: int, seed: int = 7) -> list[str]:
    """Questions of 2-5 content words drawn with their corpus frequency."""
    vocab = load_vocabulary(seed)
    rng = np.random.default_rng([seed, 4242])
    questions = []
    for size in rng.integers(2, 6, count):
        picks = vocab.query_ids[np.searchsorted(vocab.query_cdf, rng.random(int(size)))]
        questions.append("".join(vocab.text[picks]))
    return questions
