"""Dates and 'latest' in questions."""

from __future__ import annotations

from retrieval.analyse import Analyzer
from retrieval.engine import Engine
from retrieval.query import extract_dates, parse_question


def test_month_day_dates_are_found_and_cut_from_the_words() -> None:
    query = parse_question("4月6日上海召开了什么会议", Analyzer())
    assert [(d.start_month, d.start_day, d.end_day, d.year) for d in query.dates] == [(4, 6, 6, None)]
    assert query.topic_words == ["上海", "召开", "会议"]
    assert "4" in query.words and "6" in query.words  # still scored: passages often print the date


def test_latin_words_and_numbers_are_required_but_pasted_markup_is_not() -> None:
    query = parse_question("<b>Qt 6.4</b> &amp; 正式版什么时候发布", Analyzer())
    assert query.required == ["qt", "6.4"]


def test_a_dotted_version_is_required_whole() -> None:
    query = parse_question("Sentinel 1.8.5 有什么新特性？", Analyzer())
    assert query.required == ["sentinel", "1.8.5"]
    from retrieval.search import _has_all

    assert not _has_all("sentinel 1.8.4 发布 spring boot 升级至 2.5.12", query.required)
    assert _has_all("sentinel 1.8.5 发布", query.required)


def test_month_parts_years_and_chinese_numerals() -> None:
    spans, _ = extract_dates("3月下旬的新闻")
    assert (spans[0].start_month, spans[0].start_day, spans[0].end_day) == (3, 21, 31)
    spans, _ = extract_dates("2022年4月发生了什么")
    assert (spans[0].year, spans[0].start_day, spans[0].end_day) == (2022, 1, 31)
    spans, _ = extract_dates("十月二十日起")
    assert (spans[0].start_month, spans[0].start_day) == (10, 20)
    spans, _ = extract_dates("2021年的RCEP")
    assert spans[0].whole_year and spans[0].year == 2021


def test_missing_year_comes_from_the_corpus(bundled_engine: Engine) -> None:
    query = parse_question("3月23日市委常委会部署了什么", bundled_engine.index.analyzer)
    (start, end), *_ = bundled_engine.searcher.date_ranges(query)
    from datetime import date

    assert date.fromordinal(start) == date(2022, 3, 23) == date.fromordinal(end)
    hits = bundled_engine.search("3月23日市委常委会部署了什么", k=1)
    assert hits[0].published.isoformat() == "2022-03-23"


def test_latest_prefers_recent_articles(bundled_engine: Engine) -> None:
    plain = bundled_engine.search("李强", k=5, per_article=1)
    latest = bundled_engine.search("李强", k=5, per_article=1, latest=True)
    assert latest and [hit.published for hit in latest] == sorted((hit.published for hit in latest), reverse=True)
    assert latest[0].published >= max(hit.published for hit in plain)


def test_required_latin_terms_match_whole_tokens_and_hyphenated_spellings() -> None:
    from retrieval.search import _has_all

    assert _has_all("iphone 断开 wi-fi 连接", ["iphone", "wifi"])
    assert _has_all("qt 6.4 将加入 pdf 支持", ["qt", "6.4"])
    assert not _has_all("qt 6.3 正式发布", ["qt", "6.4"])
    assert not _has_all("iphone 14 pro", ["iphone", "4"])


def test_a_whole_number_asked_matches_the_same_number_written_with_zero_decimals() -> None:
    from retrieval.search import _has_all

    assert _has_all("山东能源集团16202万吨，同比下降14.0%", ["14%"])
    assert not _has_all("同比下降14.5%", ["14%"])
    assert not _has_all("同比下降140%", ["14%"])
    assert not _has_all("龙芯3a5000 处理器", ["3a5"])
