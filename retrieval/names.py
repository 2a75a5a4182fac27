"""The proper names a question is about, and articles that never name them.

"瑞幸咖啡2021年第四季度净收入是多少" is not answered by a report on chip foundries, however
many of its other words (2021年, 第四季度, 收入) that report shares; "国家统计局新闻发言人付凌晖是怎么
解读的" is not answered by an article that quotes other analysts. A name is a word the
segmenter tags as a person's or another proper name (nr, nrt, nrfg, nz) and that its dictionary
does not hold: the dictionary's own "names" are as often common words (叶子, 红旗, 英文名), while
the names a report is about (付凌晖, 瑞幸) are new to it. Places and dates are
retrieval.qualifiers' business, Latin words retrieval.query's.
Everything is matched on retrieval.analyse.normalise'd text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .segment import Segmenter

NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "nz"})
_CJK_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def names_in(question: str, segmenter: Segmenter) -> list[str]:
    """The Chinese proper names (two characters or more) of a normalised question, in order."""
    found = [
        word
        for word, tag in segmenter.tag(question)
        if tag in NAME_TAGS and _CJK_ONLY.fullmatch(word) and not segmenter.is_word(word)
    ]
    return list(dict.fromkeys(found))


def unnamed(names: list[str], passage: str, article: Callable[[], str]) -> str | None:
    """The first name that neither the passage nor its article says (None: all are said).
    `article`: the article's normalised text, read only when the passage lacks a name."""
    return next((name for name in names if name not in passage and name not in article()), None)
