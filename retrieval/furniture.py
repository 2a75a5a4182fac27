"""Lines of an article that are not what it says: bylines, signatures, photo credits, the title again.

"中共上海市委 上海市人民政府 2022年3月31日" closes a letter; "（记者 张三）" or "图片来源：网络"
credit someone; none of them answers a question, so none leads an answer.
Everything is matched on retrieval.analyse.normalise'd text.
"""

from __future__ import annotations

import re

_CREDIT = re.compile(
    r"^[(\[【]?\s*(?:记者|通讯员|编辑|责任编辑|责编|作者|撰文|摄影|摄像|图片来源|图源|图片|图|文|来源|本报讯|供图|校对|审核)"
    r"\s*[:：/|]"
    r"|^[(\[【]\s*(?:记者|通讯员)[^)\]】]{0,20}[)\]】]$"
    r"|(?:图片来源|图源|供图|摄影)\s*[:：]|记者\s*\S{2,4}\s*摄$"
)
_ENDS_WITH_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_CLAUSE = re.compile(r"[,，;；:：]")
_PUNCTUATION = re.compile(r"[\s\W_]+")


def is_furniture(sentence: str, title: str = "") -> bool:
    """The (normalised) sentence is a byline, a signature, a photo credit or the (normalised) title."""
    line = sentence.strip()
    if _CREDIT.search(line):
        return True
    if _ENDS_WITH_DATE.search(line) and not _CLAUSE.search(line) and len(line) < 60:
        return True  # a signature: names and a date, no clause
    bare, bare_title = _PUNCTUATION.sub("", line), _PUNCTUATION.sub("", title)
    return bool(bare_title) and bare == bare_title
