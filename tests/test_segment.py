"""The fast segmenter (jieba-rs) gives jieba's own words on real archive text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from retrieval.analyse import Analyzer, normalise
from retrieval.chunk import chunk_article
from retrieval.ingest import article_from_bytes
from retrieval.model import Article
from retrieval.segment import FastSegmenter, ReferenceSegmenter, user_words

ROOT = Path(__file__).resolve().parent.parent
ARCHIVES = (ROOT / "tests" / "fixtures" / "archive_sample", ROOT / "eval" / "data" / "archive2" / "posts")


@pytest.fixture(scope="module")
def archive_texts() -> list[str]:
    texts = []
    for folder in ARCHIVES:
        for path in sorted(folder.iterdir())[:120]:
            article = article_from_bytes(path.read_bytes(), path.name)
            if isinstance(article, Article):
                texts.append(article.title)
                texts.extend(chunk.text for chunk in chunk_article(article))
    return texts


@pytest.fixture(scope="module")
def segmenters() -> tuple[FastSegmenter, ReferenceSegmenter]:
    words = user_words()
    return FastSegmenter(words), ReferenceSegmenter(words)


def test_fast_segmenter_cuts_archive_text_as_jieba_does(archive_texts, segmenters) -> None:
    fast, reference = segmenters
    texts = [normalise(text) for text in archive_texts]
    assert sum(map(len, texts)) > 100_000  # a real sample: titles and passages of 145 posts
    differing = [text for text in texts if fast.cut(text) != reference.cut(text)]
    assert len(differing) <= len(texts) // 200, differing[:3]  # at least 99.5% of passages cut identically


def test_the_analyser_indexes_the_same_tokens_with_either_segmenter(archive_texts, segmenters) -> None:
    fast, reference = (Analyzer(segmenter=segmenter) for segmenter in segmenters)
    agree = total = 0
    for text in archive_texts:
        ours, theirs = fast.analyse(text), reference.analyse(text)
        for mine, other in ((ours.words, theirs.words), (ours.bigrams, theirs.bigrams)):
            agree += sum((Counter(mine) & Counter(other)).values())
            total += max(len(mine), len(other))
    assert agree / total >= 0.999


def test_latin_runs_are_cut_as_jieba_cuts_them(segmenters) -> None:
    fast, reference = segmenters
    for text in ("crypto.com交易所", "ddr4-3200内存", "下载速度56.78mbps", "售价4999元起", "t恤和b超"):
        assert fast.cut(text) == reference.cut(text), text


def test_user_dictionary_words_stay_whole(segmenters) -> None:
    fast, _ = segmenters
    assert "包保责任制" in fast.cut("要扭住包保责任制这个牛鼻子")
    assert fast.is_word("方舱医院") and not fast.is_word("舱医")


def test_index_fields_are_the_analysed_streams_joined(archive_texts: list[str]) -> None:
    """What indexing stores for a passage is what a question's analysis of it would give."""
    analyzer = Analyzer()
    for text in archive_texts:
        normal = normalise(text)
        analysed = analyzer.analyse_normalised(normal)
        assert analyzer.index_fields(normal) == (" ".join(analysed.words), " ".join(analysed.bigrams))
