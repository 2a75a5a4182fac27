"""The compiled loops (retrieval/_fields.c) give exactly what the Python rules give, so an index built
with or without a C compiler holds the same terms."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from retrieval.analyse import Analyzer, joined_fields_python, normalise, normalise_by_numpy, normalise_long

compiled = pytest.importorskip("retrieval._fields", reason="built only where a C compiler is found")

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parent.parent / "corpus"


def test_real_passages_give_the_same_fields() -> None:
    analyzer = Analyzer()
    paths = [path for folder in (FIXTURES, CORPUS) for path in sorted(folder.rglob("*")) if path.is_file()]
    lines = [line for path in paths for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    assert len(lines) > 200
    for line in lines:
        entries = analyzer._entries(normalise_long(line))
        assert compiled.index_fields(entries) == joined_fields_python(entries), line


def test_made_up_entries_give_the_same_fields() -> None:
    """Runs of one character, empty words, run ends in a row, Latin, and characters beyond the BMP."""
    rng = random.Random(5)
    parts = ["|", "上海", "疫", "情防控", "a", "é", "𠀀字", "", "|"]
    words = ["", "上海", "covid 19", "𠀀", "é"]
    for _ in range(5_000):
        entries = [((), rng.choice(parts), rng.choice(words)) for _ in range(rng.randint(0, 8))]
        words_field, grams_field = compiled.index_fields(entries)
        assert (words_field, grams_field) == joined_fields_python(entries), entries
        assert words_field.isascii() == all(char.isascii() for char in words_field)  # canonical strings


def test_a_wrong_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        compiled.index_fields("上海")
    with pytest.raises(TypeError):
        compiled.index_fields([("上海",)])


def test_both_table_normalisations_agree_with_the_general_one() -> None:
    """The compiled table lookup and numpy's give `normalise`'s result, including the texts the
    table cannot map (beyond the BMP, combining marks), which both hand to `normalise`."""
    rng = random.Random(3)
    pool = ["上", "海", "確", "診", "Ａ", "１", "ﬁ", "e\u0301", "Σ", "𠀀", "\u3000", "한", "\u1161", " ", "a"]
    lines = [line for path in sorted(FIXTURES.rglob("*")) if path.is_file() for line in path.read_text(
        encoding="utf-8", errors="replace").splitlines()]  # fmt: skip
    texts = lines + ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(5_000)]
    for text in texts:
        assert normalise_long(text) == normalise_by_numpy(text) == normalise(text), repr(text)


def test_fields_through_the_token_cache_are_the_same_and_a_new_piece_is_described() -> None:
    analyzer = Analyzer()
    text = normalise_long("上海市新增本土确诊病例，全力以赴攻坚社会面清零")
    pieces = analyzer.segmenter.coarse_cut(text)
    assert compiled.cached_fields(pieces, analyzer._tokens) is None  # nothing described yet
    first = analyzer.index_fields(text)
    assert compiled.cached_fields(pieces, analyzer._tokens) == first == joined_fields_python(analyzer._entries(text))
    assert compiled.cached_fields([*pieces, "从未见过的片段"], analyzer._tokens) is None
