"""A question about a named person or company is not answered by an article that never names them."""

from __future__ import annotations

from retrieval.analyse import normalise
from retrieval.engine import Engine
from retrieval.names import names_in, unnamed
from retrieval.segment import default_segmenter


def _names(question: str) -> list[str]:
    return names_in(normalise(question), default_segmenter())


def test_people_and_companies_are_the_names_places_and_latin_words_are_not() -> None:
    assert _names("2021年10月CPI数据，国家统计局新闻发言人付凌晖是怎么解读的？") == ["付凌晖"]
    assert _names("瑞幸咖啡2021年第四季度净收入是多少？") == ["瑞幸"]
    assert _names("上海2021年GDP是多少？") == []


def test_a_name_is_said_by_the_passage_or_else_by_its_article() -> None:
    foundries = normalise("2021年第四季度前十大晶圆代工厂商总产值再创新高，达227.5亿美元")
    assert unnamed(["瑞幸"], foundries, lambda: foundries) == "瑞幸"
    figures = normalise("第四季度净收入为27.09亿元，同比增长97.5%")
    assert unnamed(["瑞幸"], figures, lambda: "瑞幸咖啡公布2021年第四季度财报 " + figures) is None


def test_a_name_the_answering_article_never_says_declines(archive_engine: Engine) -> None:
    assert archive_engine.answer("西安规模以上工业电力消费同比增长多少？").found
    # 胡文容 is in the archive (the Shanghai reports), never in the report on Xi'an's power use.
    assert not archive_engine.answer("胡文容说西安规模以上工业电力消费同比增长多少？").found


def test_common_words_the_dictionary_tags_as_names_are_not_names() -> None:
    assert _names("蓍的叶子有什么特点？") == []
    assert _names("西贡商业信用银行的英文名是什么？") == []


def test_jieba_finds_the_same_names_where_rjieba_is_missing() -> None:
    from retrieval.segment import ReferenceSegmenter

    reference = ReferenceSegmenter()
    questions = (
        "国家统计局新闻发言人付凌晖是怎么解读的？",
        "瑞幸咖啡2021年第四季度净收入是多少？",
        "蓍的叶子有什么特点？",
    )
    for question in questions:
        assert names_in(normalise(question), reference) == _names(question)
