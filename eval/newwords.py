"""Grow the user dictionary from the archive, and measure whether it helps: `python -m eval.newwords`.

Candidate words are runs of 2-4 Chinese characters that jieba's dictionary lacks, seen at
least `min_count` times, whose characters stick together (the weakest split of the run has
pointwise mutual information ≥ `min_cohesion`) and which stand free in the text (the entropy
of the characters on each side ≥ `min_freedom`). The news set is then run with and without
them, on the same passages.
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from retrieval.analyse import Analyzer, normalise
from retrieval.ingest.reader import iter_corpus_files, read_article
from retrieval.model import Article
from retrieval.segment import ReferenceSegmenter, make_segmenter, user_words

from . import news
from .memindex import MemoryIndex, stored_passages
from .system import NewsqaSystem

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def _entropy(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return -sum(n / total * math.log(n / total) for n in counts.values())


def mine_words(texts: Iterable[str], known: dict[str, int], min_count: int = 4, min_cohesion: float = 4.5,
               min_freedom: float = 1.0) -> list[str]:  # fmt: skip
    """New words in the texts, most frequent first (see the module docstring)."""
    runs = [run for text in texts for run in _CJK_RUN.findall(normalise(text))]
    counts: Counter[str] = Counter()
    left: defaultdict[str, Counter[str]] = defaultdict(Counter)
    right: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        for size in (1, 2, 3, 4):
            for start in range(len(run) - size + 1):
                gram = run[start : start + size]
                counts[gram] += 1
                if size > 1:
                    left[gram][run[start - 1] if start else "^"] += 1
                    right[gram][run[start + size] if start + size < len(run) else "$"] += 1
    chars = sum(n for gram, n in counts.items() if len(gram) == 1)
    found = []
    for gram, n in counts.items():
        if len(gram) < 2 or n < min_count or known.get(gram):
            continue
        cohesion = min(math.log(n * chars / (counts[gram[:cut]] * counts[gram[cut:]])) for cut in range(1, len(gram)))
        if cohesion >= min_cohesion and min(_entropy(left[gram]), _entropy(right[gram])) >= min_freedom:
            found.append((n, gram))
    return [gram for _, gram in sorted(found, reverse=True)]


class MinedWordsAnalyzer(Analyzer):
    """The product's analyser, its segmenter also knowing the mined words."""

    def __init__(self, words: list[str]) -> None:
        segmenter = make_segmenter(user_words())
        for word in words:
            segmenter.add_word(word, 20)
        super().__init__(segmenter=segmenter)


def corpus_texts() -> list[str]:
    texts = []
    for folder in news.CORPUS_DIRS:
        for path in iter_corpus_files(folder):
            article = read_article(path, folder)
            if isinstance(article, Article):
                texts.append("\n".join([article.title, *(p.text for p in article.paragraphs)]))
    return texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-count", type=int, default=4)
    parser.add_argument("--min-cohesion", type=float, default=4.5)
    args = parser.parse_args(argv)
    words = mine_words(corpus_texts(), ReferenceSegmenter(user_words()).frequencies, args.min_count, args.min_cohesion)
    print(f"{len(words)} mined words: {' '.join(words)}\n")
    print(news.table({}).splitlines()[0].replace("News set", "analyser"))
    print("|---|---|---|---|---|---|")
    with news.news_engine() as engine:
        passages = stored_passages(engine.index.searcher())
        days = engine.index.manifest.article_days()
        for name, analyzer in (("user dictionary", Analyzer()), ("+ mined words", MinedWordsAnalyzer(words))):
            system = NewsqaSystem(MemoryIndex(passages, analyzer, days))
            f = news.evaluate(system, baselines=False)[0][news.NEWSQA]
            print(f"| {name} | {f['top1']:.1%} | {f['top3']:.1%} | {f['top5']:.1%} | "
                  f"{f['declined_unanswerable']:.1%} | {f['declined_answerable']:.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
