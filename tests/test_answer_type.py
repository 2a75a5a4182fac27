"""Questions asking when or how many are answered only by passages that can say it."""

from __future__ import annotations

from retrieval.analyse import normalise
from retrieval.answer_type import Expected, can_hold, expected_answer, holds_measure
from retrieval.engine import Engine


def test_the_kind_of_answer_is_read_from_the_question() -> None:
    assert expected_answer(normalise("纳斯达克的绿股贴标计划是哪天推出的？")) is Expected.TIME
    assert expected_answer(normalise("《幼女戰記》劇場版什麼時候上映？")) is Expected.TIME
    assert expected_answer(normalise("房东找了几个保洁来打扫？")) is Expected.QUANTITY
    assert expected_answer(normalise("西藏现在有多少个快递网点？")) is Expected.QUANTITY
    assert expected_answer(normalise("上海的疫情防控例会多久开一次？")) is Expected.ANYTHING  # "每日": no number
    assert expected_answer(normalise("李强走访了仙霞路上的哪个小区？")) is Expected.ANYTHING


def test_a_date_or_a_label_is_not_an_amount() -> None:
    assert not can_hold(normalise("表1 2021年1—11月份规模以上工业企业主要财务指标"), Expected.QUANTITY)
    assert can_hold(normalise("请了四个保洁打扫了一下午才扫干净"), Expected.QUANTITY)
    assert can_hold(normalise("快递网点399个"), Expected.QUANTITY)
    assert can_hold(normalise("研究人员早在３月１７日就进行了上报"), Expected.TIME)
    assert not can_hold(normalise("官方透露 Qt 6.4 版本计划为 PDF 模块整一些新功能"), Expected.TIME)
    assert can_hold(normalise("他二十岁时第一次夺冠"), Expected.TIME)  # an age dates an event


def test_a_when_question_is_not_answered_by_a_passage_that_names_no_time(archive_engine: Engine) -> None:
    # The Qt 6.3 article mentions 6.4 only as a plan, with no date: nothing says when 6.4 ships.
    assert not archive_engine.answer("Qt 6.4 正式版是哪天发布的？").found
    # The same article's opening reports 6.3's release: its date answers.
    answer = archive_engine.answer("Qt 6.3 是什么时候发布的？")
    assert answer.found and "Qt 6.3 发布了" in answer.quotes[0].full_text
    assert answer.quotes[0].published is not None


def test_a_how_many_question_skips_passages_without_an_amount(archive_engine: Engine) -> None:
    answer = archive_engine.answer("2021年1到11月规模以上工业企业一共赚了多少？")
    assert answer.found
    assert all(not quote.full_text.startswith("表") for quote in answer.quotes)
    assert any("79750.1亿元" in quote.full_text for quote in answer.quotes)


def test_chinese_numerals_are_amounts() -> None:
    for text in ("共放流鱼苗三百尾", "投资两千万", "十余人受伤", "超过一半的受访者", "三成用户"):
        assert can_hold(normalise(text), Expected.QUANTITY), text
    for text in ("十一月二十日", "千万不要相信", "这十分重要"):
        assert not can_hold(normalise(text), Expected.QUANTITY), text


def test_a_price_needs_a_currency_a_rate_a_percentage_a_unit_itself() -> None:
    specs = normalise("龙芯3C5000内部集成16个处理器核，主频2.1-2.3GHz")
    assert not holds_measure(specs, normalise("龙芯3C5000服务器CPU卖多少钱？"))
    assert holds_measure(normalise("售价为2999元"), normalise("龙芯3C5000服务器CPU卖多少钱？"))
    assert not holds_measure(normalise("贷款利率有所提高"), normalise("特斯拉零首付购车方案的年利率是多少？"))
    assert holds_measure(normalise("年利率为3.99%"), normalise("特斯拉零首付购车方案的年利率是多少？"))
    assert holds_measure(normalise("以 748Mbps 的下行速率"), normalise("下行速率是多少？"))  # 速率 is no percentage
    assert holds_measure(normalise("目前学校男女生比例约为1：7"), normalise("目前学校男女生比例是多少？"))
    assert not holds_measure(normalise("支持120W有线秒充"), normalise("小米MIX 4的电池容量是多少毫安时？"))
    assert holds_measure(normalise("内置4500mAh电池"), normalise("小米MIX 4的电池容量是多少毫安时？"))
    assert holds_measure(normalise("房价上涨6.7%"), normalise("深圳二手房价格同比涨了多少？"))  # a change, not a price
