"""The indexing path's table normalisation gives exactly what `normalise` gives."""

from __future__ import annotations

import random
from pathlib import Path

from retrieval.analyse import normalise, normalise_long

FIXTURES = Path(__file__).parent / "fixtures"

TRICKY = [
    "e\u0301t\u00e9",  # a combining accent joins the letter before it
    "a\u0308\u0301",  # two marks, reordered and composed
    "\u1100\u1161\u11a8 한국",  # Hangul jamo compose into one syllable
    "ΣΑΣ ΟΔΟΣ",  # capital sigma lowers by its place in the word
    "İstanbul",  # lower case of İ is two characters
    "㈱公司 ﬁne ①②",  # one character, several in NFKC
    "😀中國臺灣",  # outside the BMP, Traditional characters
    "Ａｂｃ１２３，。！？",  # full-width forms
    "⼀⼆⺟",  # Kangxi radicals
    "\ud800 lone surrogate",
    "\uffff\ufffe",
    "",
    "ＫＭ² ℃ №",
]


def test_tricky_texts_normalise_alike() -> None:
    for text in TRICKY:
        assert normalise_long(text) == normalise(text), repr(text)


def test_random_mixtures_normalise_alike() -> None:
    """Characters that compose, reorder or change, next to each other in any order."""
    pool = [chr(c) for c in (*range(0x300, 0x370), *range(0x1100, 0x11C3), *range(0xFF00, 0xFF70),
                             *range(0xF900, 0xF930), *range(0x2F00, 0x2F20), 0x3A3, 0x130, 0x41, 0x4E2D)]  # fmt: skip
    pool += list("國語學習體驗們發這說話ΣΑΒΓabcXYZ123，。")
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        assert normalise_long(text) == normalise(text), repr(text)


def test_real_articles_normalise_alike() -> None:
    paths = [path for path in sorted(FIXTURES.rglob("*")) if path.is_file()]
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in paths]
    assert len(texts) > 10
    for text in texts:
        for line in text.splitlines():
            assert normalise_long(line) == normalise(line)
