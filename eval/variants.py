"""Experimental variants of the analyser, the query and the no-answer rule, measured side by side.

Nothing here changes retrieval/: each variant subclasses or parametrises it, and the
report says which ideas move the figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from retrieval.analyse import Analyzer, normalise
from retrieval.query import Query
from retrieval.search import Hit, Searcher, SearchSettings, _Picker

from . import cmrc, news
from .memindex import MemoryIndex, stored_passages
from .system import NewsqaSystem

# Question-only words: demonstratives, vague verbs and counters a reader puts in a question.
_QUESTION_WORDS = (
    "那场 那次 那天 那封 那套 那位 这轮 这块 这场 这家 开了个 哪位 哪家 哪一年 哪一天 哪些地方 什么样 哪种 几条 几年 "
    "一共 具体 说 说的 讲 讲了 里 上 能 搞 叫 做 用 干 活 来 找 成 出 去 发 加 看 多 大 一般 会 会上 句 报道 样 新 "
    "下 起 时间 日期 名字 一次 三个 两个 四个 几个 一年 一天 天 条 人"
)
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())
_ASCII_TERM = re.compile(r"^[0-9a-z][0-9a-z.\-]*$")


class QuestionAnalyzer(Analyzer):
    """The real analyser plus question-only stopwords, for the query side."""

    def __init__(self, extra: frozenset[str] = QUESTION_WORDS, sub_words: bool = True) -> None:
        super().__init__(sub_words=sub_words)
        self.stopwords = self.stopwords | {normalise(word) for word in extra}


class GatedSearcher(Searcher):
    """Searcher with another no-answer rule, applied to the ranked candidates.

    gate="any": a candidate is shown when its coverage passes (the current rule);
    gate="top": no answer unless the best-scored candidate's coverage passes.
    require_ascii: a passage must contain every Latin word and number of the question
    (model numbers, versions, product names: "Qt 6.4", "iPhone 14", "GDP").
    """

    def __init__(self, index: object, settings: SearchSettings | None = None, gate: str = "any",
                 require_ascii: bool = False) -> None:  # fmt: skip
        super().__init__(index, settings)  # type: ignore[arg-type]
        self.gate = gate
        self.require_ascii = require_ascii

    def search(self, query: Query, k: int = 5, per_article: int | None = None, latest: bool = False) -> list[Hit]:
        threshold = self.settings.min_coverage
        self.settings = replace(self.settings, min_coverage=0.0)
        try:
            wide = self.settings.candidates
            every = super().search(query, k=wide, per_article=wide, latest=latest)
        finally:
            self.settings = replace(self.settings, min_coverage=threshold)
        if self.require_ascii:
            required = [w for w in query.words if _ASCII_TERM.match(w)]
            every = [h for h in every if all(w in normalise(f"{h.title} {h.heading} {h.text}") for w in required)]
        if self.gate == "top" and (not every or every[0].coverage < threshold):
            return []
        kept = [hit for hit in every if hit.coverage >= threshold]
        picker = _Picker(k, per_article or self.settings.per_article)
        for hit in kept:
            if picker.has_room(hit.doc) and picker.offer(hit):
                break
        return picker.chosen


@dataclass(frozen=True)
class Variant:
    name: str
    sub_words: bool = True
    question_words: bool = False
    gate: str = "any"
    require_ascii: bool = False
    settings: SearchSettings = field(default_factory=SearchSettings)


VARIANTS = [
    Variant("current"),
    Variant("no threshold (min_coverage 0)", settings=SearchSettings(min_coverage=0.0)),
    Variant("question stopwords, no threshold", question_words=True, settings=SearchSettings(min_coverage=0.0)),
    Variant("question stopwords", question_words=True),
    Variant("sub-words off", sub_words=False),
    Variant("gate on top hit", gate="top"),
    Variant("require Latin/number terms", require_ascii=True),
    *(
        Variant(
            f"qwords + Latin/number, min_coverage {c}",
            question_words=True,
            require_ascii=True,
            settings=SearchSettings(min_coverage=c),
        )
        for c in (0.3, 0.35, 0.4)
    ),
    *(
        Variant(
            f"qwords + Latin/number + top gate, min_coverage {c}",
            question_words=True,
            gate="top",
            require_ascii=True,
            settings=SearchSettings(min_coverage=c),
        )
        for c in (0.3, 0.35, 0.4)
    ),
    Variant(
        "all four (+ sub-words off), min_coverage 0.4",
        sub_words=False,
        question_words=True,
        gate="top",
        require_ascii=True,
        settings=SearchSettings(min_coverage=0.4),
    ),
]


def _system(index: MemoryIndex, variant: Variant, settings: SearchSettings) -> NewsqaSystem:
    def searcher(idx: object, s: SearchSettings | None) -> Searcher:
        return GatedSearcher(idx, s, variant.gate, variant.require_ascii)

    system = NewsqaSystem(index, settings, searcher_class=searcher)  # type: ignore[arg-type]
    if variant.question_words:
        system.analyzer = QuestionAnalyzer(sub_words=variant.sub_words)
    return system


def run_variants(variants: list[Variant] | None = None, show: Callable[[str], None] = print) -> list[dict[str, object]]:
    """news and CMRC figures of newsqa under each variant (indexes built once per analyser)."""
    variants = variants or VARIANTS
    data = cmrc.load()
    rows: list[dict[str, object]] = []
    with news.news_engine() as engine:
        passages = stored_passages(engine.index.searcher())
        days = engine.index.manifest.article_days()
        indexes: dict[bool, tuple[MemoryIndex, MemoryIndex]] = {}
        for variant in variants:
            if variant.sub_words not in indexes:
                analyzer = Analyzer(sub_words=variant.sub_words)
                pair = (MemoryIndex(passages, analyzer, days), MemoryIndex(data.contexts, analyzer))
                indexes[variant.sub_words] = pair
            news_index, cmrc_index = indexes[variant.sub_words]
            news_figures, outcomes = news.evaluate(_system(news_index, variant, variant.settings), baselines=False)
            cmrc_settings = replace(variant.settings, min_coverage=0.0)
            cmrc_figures = cmrc.figures(cmrc.newsqa_ranks(data, _system(cmrc_index, variant, cmrc_settings)))
            f = news_figures[news.NEWSQA]
            row = {"variant": variant.name, "news": f, "cmrc": cmrc_figures,
                   "misses": [o.question.id for o in news.misses(outcomes)]}  # fmt: skip
            rows.append(row)
            show(f"| {variant.name} | {100 * f['top1']:.1f}% | {100 * f['top3']:.1f}% | {100 * f['top5']:.1f}% | "
                 f"{100 * f['declined_unanswerable']:.1f}% | {100 * f['declined_answerable']:.1f}% | "
                 f"{100 * cmrc_figures['R@1']:.1f} | {cmrc_figures['MRR@10']:.3f} |")  # fmt: skip
    return rows
