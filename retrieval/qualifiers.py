"""What a question pins its answer to (a period, a place, an ordinal), and passages that miss it.

"2021年3月份全国城镇调查失业率是多少" is not answered by "10月份，全国城镇调查失业率为4.9%",
however many words they share; "北京2022年发放电子消费券的总规模" is not answered by an article
that never names 北京. A qualifier holds for a passage when the passage (with its title and
heading) names it; else, when the passage names a rival of the same kind (another month,
another quarter, another ordinal of the same counter), the passage is about something else;
else the article around it must name it, or, for a period, be dated within it.
Everything is matched on retrieval.analyse.normalise'd text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .query import DateSpan

DAYS_REPORTED_AFTER = 45  # a month's figures are published within about six weeks of its end

# Provinces, major cities and countries a reader names; the short forms a passage may use instead.
_PLACE_NAMES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "广州 深圳 杭州 南京 武汉 成都 西安 苏州 郑州 长沙 沈阳 青岛 宁波 厦门 济南 合肥 福州 大连 昆明 哈尔滨 长春 "
    "石家庄 太原 南昌 南宁 贵阳 兰州 海口 三亚 无锡 佛山 东莞 珠海 温州 绍兴 嘉兴 徐州 常州 烟台 泉州 惠州 "
    "浦东 雄安 "
    "美国 日本 韩国 朝鲜 俄罗斯 英国 法国 德国 意大利 西班牙 加拿大 澳大利亚 印度 巴西 越南 泰国 新加坡 马来西亚 "
    "印度尼西亚 菲律宾 乌克兰 以色列 伊朗 伊拉克 叙利亚 土耳其 沙特 埃及 南非 墨西哥 阿根廷 荷兰 瑞士 瑞典 挪威 "
    "芬兰 丹麦 波兰 新西兰 巴基斯坦 阿富汗 欧盟"
)
_PLACES = tuple(_PLACE_NAMES.split())
_PLACE_ALIASES = {  # the short forms news uses (never a single character that is common elsewhere)
    "北京": ("首都", "京津冀", "京城", "进京"),
    "上海": ("沪", "申城"),
    "天津": ("京津冀",),
    "河北": ("京津冀",),
    "广东": ("粤",),
    "香港": ("港府", "港股", "港澳", "港元", "港币", "粤港"),
    "澳门": ("港澳", "澳区"),
    "台湾": ("台海", "两岸"),
    "美国": ("美方", "美媒", "美军", "中美", "美股", "访美", "赴美", "美联储"),
    "日本": ("日方", "日媒", "中日", "日企", "日元", "访日", "赴日"),
    "俄罗斯": ("俄方", "俄媒", "俄军", "中俄", "俄乌", "俄"),
    "英国": ("英方", "英媒", "中英", "英镑"),
    "韩国": ("韩方", "韩媒", "中韩", "韩元"),
    "德国": ("德方", "中德"),
    "法国": ("法方", "中法"),
    "乌克兰": ("乌方", "俄乌", "乌军"),
}

_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "首": 1}
_NUMBER = r"\d{1,3}|[一二两三四五六七八九十]{1,3}"
_COUNTERS = "次届轮批期场"
_ORDINAL = re.compile(rf"(?:第\s*({_NUMBER})|(首))\s*([{_COUNTERS}])")
_QUARTER = re.compile(r"(?:第?\s*([一二三四1-4])\s*季度)|q([1-4])(?![0-9])")
_HALF = re.compile(r"([上下])半年")
_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*月|(?<![一二三四五六七八九十])(十[一二]?|[一二三四五六七八九])\s*月")
_SPAN_OF_MONTHS = re.compile(r"(?<![\d.])(\d{1,2})\s*[-—–~至到]\s*(\d{1,2})\s*月")
# 1-9月 is 前三季度, which reads as 3 like 三季度.
_QUARTER_MONTHS = {(1, 3): {1}, (4, 6): {2}, (7, 9): {3}, (10, 12): {4}, (1, 6): {5}, (7, 12): {6}, (1, 9): {3}}
_MONTH_RANGE = re.compile(r"(?<![\d.])(\d{1,2})\s*[-—–~至到]\s*\d{1,2}\s*月")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def _number(text: str) -> int:
    """An Arabic or Chinese number under a hundred (十二 → 12)."""
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _CN.get(text, 0)
    if text[0] == "十":
        return 10 + _CN.get(text[1], 0)
    tens = _CN.get(text[0], 0) * 10
    return tens + (_CN.get(text[2], 0) if len(text) > 2 else 0)


def months_named(text: str) -> set[int]:
    """The months of the year a (normalised) text names: 3月, 十一月, 1-5月 (1 and 5)."""
    found = {int(match[1]) for match in _MONTH_RANGE.finditer(text) if 1 <= int(match[1]) <= 12}
    for match in _MONTH.finditer(text):
        month = _number(match[1] or match[2])
        if 1 <= month <= 12:
            found.add(month)
    return found


def _ordinals(text: str) -> set[tuple[str, int]]:
    return {(m[3], _number(m[1]) if m[1] else 1) for m in _ORDINAL.finditer(text)}


def _quarters(text: str) -> set[int]:
    """The quarters a text names, 5 and 6 for the halves; as months too (1-3月 is the first quarter)."""
    quarters = {_number(m[1]) if m[1] else int(m[2]) for m in _QUARTER.finditer(text)}
    quarters |= {5 if m[1] == "上" else 6 for m in _HALF.finditer(text)}
    for match in _SPAN_OF_MONTHS.finditer(text):
        quarters |= _QUARTER_MONTHS.get((int(match[1]), int(match[2])), set())
    return quarters


@dataclass(frozen=True)
class Qualifiers:
    """What a question pins its answer to."""

    places: tuple[str, ...] = ()
    ordinals: frozenset[tuple[str, int]] = frozenset()  # (counter, number): 第二次 → ("次", 2)
    quarters: frozenset[int] = frozenset()  # 1-4, 5 and 6 for 上半年 and 下半年
    spans: tuple[DateSpan, ...] = ()  # the question's dates (retrieval.query)

    def __bool__(self) -> bool:
        return bool(self.places or self.ordinals or self.quarters or self.spans)


def qualifiers_of(question: str, spans: list[DateSpan]) -> Qualifiers:
    """The qualifiers of a normalised question whose dates are `spans`."""
    places = tuple(place for place in _PLACES if place in question and not _inside_longer(place, question))
    return Qualifiers(places, frozenset(_ordinals(question)), frozenset(_quarters(question)), tuple(spans))


def _inside_longer(place: str, text: str) -> bool:
    """A place that is only part of a longer one the list also has (印度 in 印度尼西亚)."""
    return any(place in other and other != place and other in text for other in _PLACES)


def _names_place(text: str, place: str) -> bool:
    return place in text or any(alias in text for alias in _PLACE_ALIASES.get(place, ()))


def unmet(qualifiers: Qualifiers, passage: str, article: Callable[[], str], day: date | None) -> str | None:
    """Why the passage cannot answer a question pinned this way (None: nothing against it).

    `passage`: its normalised title, heading and text; `article`: the article's normalised text,
    read only when needed; `day`: the article's date, if known."""
    for place in qualifiers.places:
        if not _names_place(passage, place) and not _names_place(article(), place):
            return f"the article never names {place}"
    for counter, number in qualifiers.ordinals:
        named = {n for c, n in _ordinals(passage) if c == counter}
        # "the first" often goes without saying; a later one is named where it is reported.
        unnamed = number > 1 and (counter, number) not in _ordinals(article())
        if number not in named and (named or unnamed):
            return f"another ordinal ({counter} {number})"
    for quarter in qualifiers.quarters:
        named = _quarters(passage)
        if quarter not in named and (named or quarter not in _quarters(article())):
            return f"another quarter ({quarter})"
    for span in qualifiers.spans:
        reason = _period_unmet(span, passage, article, day)
        if reason:
            return reason
    return None


def _period_unmet(span: DateSpan, passage: str, article: Callable[[], str], day: date | None) -> str | None:
    if span.year is not None and not _year_met(span.year, passage, article, day):
        return f"another year ({span.year})"
    if span.whole_year:
        return None
    month = span.end_month
    named = months_named(passage)
    if month in named or (span.start_month in named):
        return None
    if named:
        return f"another month ({sorted(named)}, not {month})"
    if month in months_named(article()):
        return None
    if day is None:
        return None
    years = [span.year] if span.year else [day.year, day.year - 1]
    for year in years:
        try:
            start, end = span.resolve(year)
        except ValueError:
            continue
        if start.toordinal() - 1 <= day.toordinal() <= end.toordinal() + DAYS_REPORTED_AFTER:
            return None
    return f"dated outside month {month}"


def _year_met(year: int, passage: str, article: Callable[[], str], day: date | None) -> bool:
    """The passage or the article names the year, or the article is of that year or the next."""
    if str(year) in _YEAR.findall(passage) or day is None or day.year in (year, year + 1):
        return True
    return str(year) in _YEAR.findall(article())
