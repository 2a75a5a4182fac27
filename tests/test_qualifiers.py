"""A question pinned to a period, a place or an ordinal is not answered by a passage about another."""

from __future__ import annotations

from datetime import date

from retrieval.analyse import normalise
from retrieval.engine import Engine
from retrieval.qualifiers import months_named, qualifiers_of, unmet
from retrieval.query import extract_dates


def _pinned(question: str):  # type: ignore[no-untyped-def]
    normal = normalise(question)
    return qualifiers_of(normal, extract_dates(normal)[0])


def test_another_month_in_the_passage_is_not_the_asked_one() -> None:
    pinned = _pinned("2021年3月份全国城镇调查失业率是多少？")
    october = normalise("10月份，全国城镇调查失业率为4.9%，与上月持平")
    assert unmet(pinned, october, lambda: october, date(2021, 11, 16))
    march = normalise("3月份，全国城镇调查失业率为5.3%")
    assert unmet(pinned, march, lambda: march, date(2021, 4, 16)) is None


def test_a_passage_naming_no_month_is_judged_by_its_article_and_date() -> None:
    pinned = _pinned("2022年6月我国动力电池装车量是多少？")
    passage = normalise("数据显示，国内动力电池企业装车量排名前三甲分别为宁德时代、比亚迪、中创新航")
    assert unmet(pinned, passage, lambda: passage, date(2022, 7, 11)) is None  # June's figures, reported in July
    assert unmet(pinned, passage, lambda: passage, date(2022, 9, 9))


def test_a_place_the_article_never_names_is_not_answered() -> None:
    pinned = _pinned("北京2022年发放电子消费券的总规模是多少？")
    passage = normalise("上海将首次发放电子消费券，总规模达到 10 亿元")
    assert unmet(pinned, passage, lambda: passage, date(2022, 8, 17))
    assert unmet(pinned, passage, lambda: passage + "北京此前也发放过", date(2022, 8, 17)) is None
    assert _pinned("印度尼西亚的首都在哪").places == ("印度尼西亚",)  # not 印度


def test_a_later_ordinal_must_be_named_the_first_may_go_without_saying() -> None:
    first_walk = normalise("这是神舟十三号航天员乘组首次出舱活动，历时约6.5小时")
    assert unmet(_pinned("神舟十三号乘组第二次出舱活动持续了多久？"), first_walk, lambda: first_walk, None)
    auction = normalise("重庆众泰破产重整无人接盘，起拍卖价为13.65亿元，却遭到流拍")
    assert unmet(_pinned("重庆众泰资产第一次拍卖的起拍价是多少？"), auction, lambda: auction, None) is None
    q3 = normalise("瑞幸咖啡公布2021年第三季度财务报告，净收入增长105.6%至23.50亿元")
    assert unmet(_pinned("瑞幸咖啡2021年第四季度净收入是多少？"), q3, lambda: q3, date(2022, 1, 7))


def test_months_are_read_in_both_scripts() -> None:
    assert months_named(normalise("1-5月，十一月，12 月")) == {1, 5, 11, 12}


def test_a_question_about_another_year_is_declined_over_a_real_article(archive_engine: Engine) -> None:
    assert archive_engine.answer("西安规模以上工业电力消费同比增长多少？").found
    # The article reports 2021's first four months; nothing in it is about 2019.
    assert not archive_engine.answer("2019年西安规模以上工业电力消费同比增长多少？").found
