"""What kind of answer a question expects, and whether a passage can hold it.

A question asking when ("什么时候", "哪天") is answered only by a passage that names a time
(a date, an era, an age, or "after" another event): "Qt 6.4 版本计划为 PDF 模块整一些新功能"
is about Qt 6.4 but cannot say when it ships. A question asking how many ("多少", "几个") is
answered only by a passage with a number other than a date or a label:
"表1 2021年1—11月份规模以上工业企业主要财务指标" holds no amount.
Both sides are matched after retrieval.analyse.normalise (Simplified, half-width digits).
"""

from __future__ import annotations

import re
from enum import Enum


class Expected(Enum):
    """The kind of answer a question asks for."""

    ANYTHING = "anything"
    TIME = "time"
    QUANTITY = "quantity"


_ASKS_WHEN = re.compile(r"什么时候|什么时间|何时|哪天|哪一天|哪日|几号|哪年|哪一年|哪个月|几月份?|几点")
_ASKS_HOW_MANY = re.compile(r"多少|是几|几[个条名位家次天年只项倍种岁万千百十亿块元]|多大|多长|多高|多远|多重")
_CN_DIGITS = "〇零一二两三四五六七八九十"
_CN_NUMERAL = _CN_DIGITS + "百千万亿"
_NAMES_A_TIME = re.compile(
    r"\d{1,4}\s*(?:年|月|日|号|时|点)"
    r"|[〇零一二三四五六七八九十]{1,3}\s*(?:月|日|号)"  # 三月, 十月二十日 (never 两)
    r"|\d{1,2}:\d{2}|\d{4}-\d{1,2}-\d{1,2}"
    r"|[今昨明前后][天日年晚早]|去年|本[周月]|[上下]周|[上下]个?月|周[一二三四五六日末]|星期[一二三四五六日天]"
    r"|月[初底中末]|年[初底末]|[上中下]旬|当[天日]|次日|凌晨|[上中下]午|傍晚"
    r"|世纪|年代|年间|(?:[夏商周秦汉晋隋唐宋元明清]|王朝)时期|[夏商周秦汉晋隋唐宋元明清][初末朝代]"  # 隋唐时期, 唐末
    rf"|[\d{_CN_DIGITS}]\s*岁"  # an age: 自十八岁开始, 二十岁
    r"|之[前后]|以[前后]|此[前后]|后来|随即|起初|最初"  # relative to another event
)
_NOT_AMOUNTS = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?"  # full dates
    r"|\d{1,2}\s*[-—–~至到]\s*\d{1,2}\s*月份?"  # month ranges: 1—11月份
    r"|\d{1,4}\s*(?:年|月份?|日|号)"  # a year, month or day
    r"|\d{1,2}:\d{2}"  # a time of day
    r"|(?:附表|表|图|第)\s*\d+"  # labels: 表1, 第3
)
_CLASSIFIERS = "个名位家条项次天年只倍种岁人成批台辆所座件例块元"
_CN_DATES = re.compile(  # 十一月二十日, 二〇二一年
    r"[一二三四五六七八九十]{1,3}\s*月(?:\s*[一二三四五六七八九十]{1,3}\s*[日号])?|[〇零一二三四五六七八九]{4}\s*年"
)
_AMOUNT = re.compile(
    rf"\d|[{_CN_NUMERAL}]+\s*[{_CLASSIFIERS}]"
    rf"|[一二两三四五六七八九十][{_CN_NUMERAL}]*[十百千万亿][{_CN_NUMERAL}]*(?![月日号点时])"  # 三百尾, 两千万
    rf"|[{_CN_NUMERAL}]+\s*[余多来几]"  # 十余人, 二十多家
    r"|[一过大近逾多]半|半数|[一二三四五六七八九]成"  # 一半, 过半, 三成
)


def expected_answer(question: str) -> Expected:
    """What the (normalised) question asks for."""
    if _ASKS_WHEN.search(question):
        return Expected.TIME
    if _ASKS_HOW_MANY.search(question):
        return Expected.QUANTITY
    return Expected.ANYTHING


def names_a_time(text: str) -> bool:
    """The (normalised) text names a day, month, year or time of day."""
    return _NAMES_A_TIME.search(text) is not None


def names_an_amount(text: str) -> bool:
    """The (normalised) text holds a number (三百尾, 十余人, 一半 too) that is not a date, a time or a label."""
    return _AMOUNT.search(_CN_DATES.sub(" ", _NOT_AMOUNTS.sub(" ", text))) is not None


def can_hold(text: str, expected: Expected) -> bool:
    """The text can answer a question expecting this kind of answer."""
    if expected is Expected.TIME:
        return names_a_time(text)
    if expected is Expected.QUANTITY:
        return names_an_amount(text)
    return True


# What an amount is measured in, when the question says: a price needs a currency, a rate a
# percentage, "多少毫安时" the unit itself (or its usual short form).
_ASKS_RATE = re.compile(r"(?<![速功频辨帧码汇病效视])率|[增涨跌降]幅|占比|比例|比重|百分|份额")  # not 速率, 收视率
_ASKS_PRICE = re.compile(r"多少钱|售价|价格|价钱|定价|卖多少|报价|票价|起拍价|起售价|单价|多少[万亿]?元|多少块")
_CHANGES = re.compile(r"[涨跌降升增]")
_CURRENCY = r"元|块钱|美元|欧元|英镑|日元|韩元|港元|港币|卢布|人民币|美金|[$¥€£]|免费"
_PERCENT = r"%|‰|百分|千分|分之|[\d一二三四五六七八九十几]\s*成|倍|[一过大近逾多]半|半数|\d\s*[:比]\s*\d"  # 1:7
_UNITS = {  # a unit a question may name after 多少, and how a passage may write it
    "毫安时": r"毫安|mah",
    "mah": r"毫安|mah",
    "公里": r"公里|千米|km",
    "千米": r"公里|千米|km",
    "平方米": r"平方米|平米|m2|㎡",
    "千瓦时": r"千瓦时|kwh|度电",
    "吨": r"吨",
    "亩": r"亩",
    "公顷": r"公顷",
    "英寸": r"英寸|寸",
    "美元": r"美元|美金|\$",
    "欧元": r"欧元|€",
    "日元": r"日元",
    "小时": r"小时|天|分钟",
}
_ASKED_UNIT = re.compile(r"(?:多少|几)\s*(?:[万亿千百]\s*)?(" + "|".join(_UNITS) + ")")


def measure_asked(question: str) -> re.Pattern[str] | None:
    """What a passage must name to hold the amount a (normalised) how-many question asks for."""
    if expected_answer(question) is not Expected.QUANTITY:
        return None
    unit = _ASKED_UNIT.search(question)
    if unit:
        return re.compile(_UNITS[unit[1]])
    if _ASKS_RATE.search(question):
        return re.compile(_PERCENT)
    if _ASKS_PRICE.search(question) and not _CHANGES.search(question):
        return re.compile(_CURRENCY)
    return None


def holds_measure(text: str, question: str) -> bool:
    """The (normalised) text names what the question's amount is measured in (True when it names none)."""
    measure = measure_asked(question)
    return measure is None or measure.search(text) is not None
