"""The archive word miner behind `python -m eval.newwords`."""

from __future__ import annotations

from eval.newwords import mine_words
from retrieval.segment import ReferenceSegmenter, user_words


def test_a_recurring_unknown_term_is_mined_and_known_words_are_not() -> None:
    places = ("虹口", "闵行", "浦东", "徐汇")
    texts = [f"{place}今天开展消杀，街镇干部上门。社区消杀工作由{place}负责。" for place in places]
    known = ReferenceSegmenter(user_words()).frequencies
    words = mine_words(texts, known, min_count=4, min_cohesion=1.0, min_freedom=0.5)
    assert "消杀" in words
    assert "社区" not in words and "干部" not in words  # in jieba's dictionary already
