"""The semantic rerank: questions worded unlike the article still find the passage that answers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.background import Background
from retrieval.engine import Engine
from retrieval.search import Searcher, SearchSettings
from retrieval.semantic import SemanticScorer, model_identity
from tests.conftest import BUNDLED_CORPUS, SEED_VECTORS, copy_corpus


def test_question_sharing_few_words_with_the_answer_is_answered(bundled_engine: Engine) -> None:
    question = "李强凭什么相信上海能赢？"  # the article: "……定能迎来曙光、赢得胜利"
    answer = bundled_engine.answer(question)
    assert answer.found
    assert "定能迎来曙光" in answer.quotes[0].full_text
    lexical_only = Searcher(bundled_engine.index, replace(bundled_engine.searcher.settings, semantic_weight=0.0))
    assert lexical_only.search(bundled_engine._query(question), k=3) == []


def test_question_about_something_absent_is_still_declined(bundled_engine: Engine) -> None:
    for question in ("比特币今天价格多少？", "明天北京天气怎么样？", "世界杯冠军是谁？"):
        assert not bundled_engine.answer(question).found, question


def test_a_paraphrase_is_closer_than_unrelated_text() -> None:
    scorer = SemanticScorer()
    passages = ["群众的就医配药一刻也不能耽误，建立完善双绿色通道。", "谷歌宣布推出数据湖存储引擎预览版。"]
    related, unrelated = scorer.closeness("看病买药难的问题怎么解决？", passages) or []
    assert related.cosine > unrelated.cosine
    assert related.standard is not None and unrelated.standard is not None
    assert related.standard > unrelated.standard


def test_passage_vectors_are_kept_in_a_bounded_cache() -> None:
    scorer = SemanticScorer(cache_size=2)
    passages = ["上海发布通告。", "西安工业用电增长。", "美国释放转基因蚊子。"]
    first = scorer.closeness("转基因蚊子", passages)
    assert len(scorer._vectors) == 2
    assert first is not None and scorer.closeness("转基因蚊子", passages[1:]) == first[1:]


def test_search_stays_lexical_when_the_model_cannot_run(bundled_engine: Engine) -> None:
    broken = SemanticScorer()
    broken.broken = True  # as after a failed load
    searcher = Searcher(bundled_engine.index, bundled_engine.searcher.settings, broken)
    hits = searcher.search(bundled_engine._query("包保责任制是怎么安排的？"), k=3)
    assert hits and "包保" in hits[0].text
    assert all(hit.similarity is None for hit in hits)


def test_the_shipped_background_is_for_the_installed_model() -> None:
    background = Background.load(model_identity())
    assert background is not None, "rebuild it: python -m eval.background"
    assert background.passages >= 400


def test_closeness_a_broad_question_has_to_half_the_archive_does_not_answer(archive_engine: Engine) -> None:
    question = "腾讯2021年全年净利润是多少？"  # the archive has Tencent's market value, never its profit
    assert not archive_engine.answer(question).found
    by_cosine_alone = Searcher(archive_engine.index, replace(archive_engine.searcher.settings,
                                                             sure_standard_score=float("-inf")))  # fmt: skip
    assert by_cosine_alone.search(archive_engine._query(question), k=3) != []


def test_questions_asked_at_once_share_model_calls_and_get_their_own_vectors() -> None:
    places = ("上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "武汉")
    questions = [f"{place}今天新增多少例确诊病例" for place in places]
    alone = SemanticScorer()
    expected = {question: alone.question_vector(question) for question in questions}
    together = SemanticScorer()
    together.question_vector("预热")  # the model is loaded before the crowd arrives
    calls_before = together.question_calls
    start = threading.Barrier(len(questions))

    def ask(question: str) -> Any:
        start.wait()
        return together.question_vector(question)

    with ThreadPoolExecutor(len(questions)) as pool:
        got = dict(zip(questions, pool.map(ask, questions), strict=True))
    for question in questions:
        assert np.abs(got[question] - expected[question]).max() < 1e-3
    assert together.question_calls - calls_before < len(questions)
    calls = together.question_calls
    assert np.array_equal(together.question_vector(questions[0]), got[questions[0]])
    assert together.question_calls == calls  # asked again: no model call


def test_scores_descend_with_rank_past_the_reranked_head(tmp_path: Path) -> None:
    """A passage past the few reranked by meaning is scored on the rerank's scale, so that
    `search --json` never shows a lower-ranked hit with a higher score."""
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = Engine(corpus, tmp_path / "index", SearchSettings(rerank_depth=3, vector_candidates=0))
    engine.seed_vectors(SEED_VECTORS)
    try:
        hits = engine.search("上海市委市政府召开全市疫情防控工作会议部署社区封控管理和核酸检测", k=8)
        assert len(hits) > 3, "the question should reach past the reranked head"
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True), scores
    finally:
        engine.close()
