"""What a reader asking the bundled corpus gets back."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from retrieval.answer import build_answer
from retrieval.engine import Engine
from retrieval.index import stored_text
from retrieval.search import Hit
from tests.conftest import REPOSITORY, embedded_engine

ARCHIVE2_POSTS = REPOSITORY / "eval" / "data" / "archive2" / "posts"


def test_meeting_on_april_6_is_quoted_with_its_date(bundled_engine: Engine) -> None:
    hits = bundled_engine.search("4月6日上海召开了什么会议", k=3)
    assert hits, "expected an answer"
    meeting = [hit for hit in hits if "今天上午（4月6日），市委、市政府召开" in hit.text]
    assert meeting, [hit.text[:40] for hit in hits]
    assert meeting[0].published is not None and meeting[0].published.isoformat() == "2022-04-06"
    assert hits[0].published.isoformat() == "2022-04-06"


def test_responsibility_system_passage_is_top_and_dated_in_shanghai_time(bundled_engine: Engine) -> None:
    hits = bundled_engine.search("包保责任制是怎么安排的", k=3)
    assert "市级领导包保各区" in hits[0].text
    # published Fri, 15 Apr 2022 23:22:12 GMT, which is the 16th in Shanghai
    assert hits[0].published.isoformat() == "2022-04-16"


def test_plain_text_article_answers_with_rejoined_lines(bundled_engine: Engine) -> None:
    hits = bundled_engine.search("月浦镇全员核酸检测人口有多少", k=3)
    assert "近17万人" in hits[0].text
    assert hits[0].doc.startswith("002_")
    assert hits[0].published.isoformat() == "2022-03-31"
    # "物业等" / blank line / "各方志愿者力量" is one sentence in one passage
    joined = bundled_engine.search("紫荆居民区志愿者力量", k=1)
    assert "物业等各方志愿者力量" in joined[0].text


def test_unrelated_question_gets_no_answer(bundled_engine: Engine) -> None:
    for question in ["比特币今天价格多少", "世界杯冠军是谁", "明天北京天气怎么样", "iPhone 14 什么时候发布"]:
        assert bundled_engine.search(question) == [], question
        assert not bundled_engine.answer(question).found


def test_answer_quotes_verbatim_with_title_date_source_and_highlights(bundled_engine: Engine) -> None:
    answer = bundled_engine.answer("包保责任制是怎么安排的")
    assert answer.found
    assert answer.lead == "" or not answer.quotes[0].text.startswith(answer.lead)  # never the same sentence twice
    first = answer.quotes[0]
    assert first.date_label == "2022-04-16"
    assert first.source == "解放日报"
    assert first.title.startswith("上海：采取更坚决果断行动")
    assert first.text.replace("…", "") in first.full_text or first.text in first.full_text
    highlighted = [first.text[start:end] for start, end in first.spans]
    assert "包保责任制" in highlighted


def test_long_passages_are_shortened_around_the_matching_sentences(bundled_engine: Engine) -> None:
    answer = bundled_engine.answer("方舱医院建设和集中隔离房源筹措")
    assert answer.found
    for quote in answer.quotes:
        assert len(quote.text) <= 202
        for piece in quote.text.split("…"):
            assert piece in quote.full_text


def test_one_article_cannot_fill_a_long_answer(bundled_engine: Engine) -> None:
    cap = bundled_engine.searcher.settings.per_article
    hits = bundled_engine.search("李强强调疫情防控", k=10)
    per_doc: dict[str, int] = {}
    for hit in hits:
        per_doc[hit.doc] = per_doc.get(hit.doc, 0) + 1
    assert len(hits) > cap and max(per_doc.values()) <= cap < len(hits)


def test_no_chunk_contains_boilerplate_markup_or_entities(archive_engine: Engine) -> None:
    searcher = archive_engine.searcher.searcher
    import tantivy

    everything = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
    texts = [stored_text(searcher.doc(address), "text") for _, address in everything]
    assert len(texts) > 100
    for text in texts:
        assert "新浪财经APP" not in text
        assert "责任编辑" not in text
        assert "&#123;" not in text and "appendQr" not in text and "{border" not in text
        assert not re.search(r"</?[a-zA-Z][^>]*>", text), text[:80]
        assert text == text.strip() and not text.startswith("\u3000")


def test_traditional_question_matches_simplified_text_and_back(archive_engine: Engine) -> None:
    hits = archive_engine.search("幼女战记剧场版什么时候推出", k=3)
    assert hits and hits[0].doc.startswith("124_")
    assert "2019年2月9日" in hits[0].text
    hits = archive_engine.search("包保責任制是怎麼安排的", k=1)
    assert "市级领导包保各区" in hits[0].text


def test_a_summary_line_and_the_paragraph_repeating_it_are_quoted_once(bundled_engine: Engine) -> None:
    hits = bundled_engine.search("包保责任制是怎么安排的", k=5)
    with_phrase = [hit for hit in hits if "市级领导包保各区，区级领导包保街镇" in hit.text]
    assert len(with_phrase) == 1


def _hit(text: str, title: str = "渔业增殖放流活动举行") -> Hit:
    return Hit(doc="a.md", chunk=1, score=1.0, text=text, title=title, published=None, source="", heading="",
               coverage=1.0)  # fmt: skip


def test_the_lead_holds_the_asked_amount_never_a_signature_or_the_title() -> None:
    passage = "渔业增殖放流活动举行。本次活动放流了多种鱼苗，增殖放流受到群众欢迎。共放流中华鲟三百尾。"
    answer = build_answer("这次增殖放流活动放流了多少中华鲟？", [_hit(passage)], ["增殖", "放流", "活动", "中华鲟"])
    assert "三百尾" in (answer.lead or answer.quotes[0].text.split("。")[0])
    letter = _hit("全市人民要坚定信心、同心抗疫。中共上海市委 上海市人民政府 2022年3月31日", "致全市人民的一封信")
    answer = build_answer("上海市委的信里说了什么", [letter], ["上海", "市委", "市人民政府", "全市"])
    assert "2022年3月31日" not in answer.lead


def test_the_lead_is_the_sentence_with_the_rarest_asked_words(tmp_path: Path) -> None:
    """Asked what China spent on education, the lead is the 教育支出 sentence, not the revenue one
    that shares more of the question's common words (2021年, 全国, 财政)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("014_china-fiscal-revenue-2021.md", "069_unemployment-insurance-refunds-2022.md"):
        shutil.copy2(ARCHIVE2_POSTS / name, corpus / name)
    engine = embedded_engine(corpus, tmp_path / "index")
    try:
        answer = engine.answer("2021年全国财政在教育上花了多少钱？")
        assert answer.found and answer.quotes[0].doc.startswith("014_")
        assert "全国教育支出3.76万亿元" in (answer.lead or answer.quotes[0].text), answer.lead
        answer = engine.answer("2022年1到5月有多少企业拿到了失业保险稳岗返还？")
        assert "273万户企业获得稳岗资金" in (answer.lead or answer.quotes[0].text), answer.lead
    finally:
        engine.close()


def test_a_rare_word_outweighs_common_ones_in_the_lead() -> None:
    passage = "规模以上工业企业实现利润总额79750.1亿元，同比增长38.0%。私营企业实现利润总额24984.3亿元，增长27.9%。"
    hit = _hit(passage, "1—11月份全国规模以上工业企业利润")
    weights = {"私营": 6.0, "工业企业": 1.0, "利润": 0.5, "涨": 2.0}
    answer = build_answer("私营工业企业利润涨了多少？", [hit], list(weights), weights)
    assert "私营企业" in (answer.lead or answer.quotes[0].text.split("。")[0])
