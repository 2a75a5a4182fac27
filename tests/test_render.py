"""Renderers: valid Telegram HTML for hostile text, never over 4,096, bold where the spans say."""

from __future__ import annotations

from datetime import date

import pytest

from bot.pages import Page
from bot.render_base import MESSAGE_LIMIT
from bot.render_html import HtmlRenderer, visible_length
from bot.render_text import TextRenderer
from retrieval.answer import Answer, Quote
from tests.telegram_html import parse_html, utf16_len

HOSTILE = "<b>&amp; & </b> \"quoted\" 'single' <script>x</script> a<b c>d &lt; 😀👍🏽 𠀀"


def make_quote(text: str, spans: tuple[tuple[int, int], ...] = (), title: str = "标题", source: str = "来源") -> Quote:
    return Quote(text=text, title=title, published=date(2022, 4, 16), source=source, doc="a.md", chunk=0,
                 spans=spans, full_text=text)  # fmt: skip


def make_answer(*quotes: Quote, lead: str = "", lead_spans: tuple[tuple[int, int], ...] = ()) -> Answer:
    return Answer(question="问题", quotes=quotes, lead=lead, lead_spans=lead_spans, terms=("包保",))


def parsed(html: str) -> tuple[str, list[dict]]:
    text, entities = parse_html(html, strict=True)
    return text, entities


def bold_texts(html: str) -> list[str]:
    text, entities = parsed(html)
    raw = text.encode("utf-16-le")
    return [
        raw[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == "bold"
    ]


def test_spans_are_bold_at_the_right_places() -> None:
    text = "市级领导包保各区，区级领导包保街镇"
    quote = make_quote(text, spans=((4, 6), (13, 15)))
    rendered = HtmlRenderer().page(Page(make_answer(quote), size=3))
    assert bold_texts(rendered.text) == ["包保", "包保"]
    assert rendered.shown == 1
    plain, entities = parsed(rendered.text)
    assert text in plain
    assert "2022-04-16" in plain and "标题" in plain and "来源" in plain
    assert any(e["type"] == "blockquote" for e in entities)


def test_lead_spans_bold_and_marked() -> None:
    quote = make_quote("包保责任制")
    html = HtmlRenderer().page(Page(make_answer(quote, lead="要扭住包保责任制", lead_spans=((3, 5),)))).text
    assert bold_texts(html)[0] == "包保"


def test_hostile_text_is_escaped_everywhere() -> None:
    quote = make_quote(HOSTILE, spans=((0, 3), (10, 12), (40, 45)), title=HOSTILE, source=HOSTILE)
    answer = make_answer(quote, lead=HOSTILE, lead_spans=((2, 8),))
    html = HtmlRenderer().page(Page(answer, header=HOSTILE)).text
    plain, _ = parsed(html)
    assert plain.count(HOSTILE) >= 3  # header, lead, quote (title and source too)
    assert "<script>" not in html


def test_overlapping_and_out_of_range_spans_are_safe() -> None:
    quote = make_quote("abcdef", spans=((-3, 2), (1, 4), (5, 99), (3, 3)))
    html = HtmlRenderer().page(Page(make_answer(quote))).text
    assert bold_texts(html) == ["ab", "f"]


def test_empty_source_is_skipped() -> None:
    html = HtmlRenderer().page(Page(make_answer(make_quote("正文", source="")))).text
    plain, _ = parsed(html)
    assert plain.rstrip().endswith("2022-04-16")


@pytest.mark.parametrize("char", ["字", "😀", "&", "<"])
def test_never_over_the_limit_and_pages_continue(char: str) -> None:
    quotes = tuple(make_quote(char * 1500, spans=((0, 10), (20, 30)), title=char * 500) for _ in range(10))
    answer = make_answer(*quotes, lead=char * 1000)
    renderer = HtmlRenderer()
    page: Page | None = Page(answer, size=10)
    seen = 0
    while page is not None:
        rendered = renderer.page(page)
        plain, _ = parsed(rendered.text)
        assert utf16_len(plain.strip()) <= MESSAGE_LIMIT
        assert visible_length(rendered.text) == utf16_len(plain.strip())
        assert rendered.shown >= 1
        seen += rendered.shown
        page = page.following(rendered.shown)
    assert seen == 10


def test_single_huge_quote_is_shortened_not_cut_in_a_tag() -> None:
    text = ("包保责任制😀" * 3000) + "结尾"
    spans = tuple((i, i + 2) for i in range(0, len(text) - 2, 6))
    html = HtmlRenderer().page(Page(make_answer(make_quote(text, spans=spans)))).text
    plain, entities = parsed(html)
    assert utf16_len(plain.strip()) <= MESSAGE_LIMIT
    assert "…" in plain and "结尾" not in plain
    assert any(e["type"] == "expandable_blockquote" for e in entities)


def test_short_quote_is_not_expandable_long_one_is() -> None:
    short = HtmlRenderer().page(Page(make_answer(make_quote("短")))).text
    long = HtmlRenderer().page(Page(make_answer(make_quote("长" * 400)))).text
    assert "<blockquote>" in short and "<blockquote expandable>" in long


def test_search_style_numbers_quotes_and_footer_counts() -> None:
    quotes = tuple(make_quote(f"第{i}段") for i in range(5))
    rendered = HtmlRenderer().page(Page(make_answer(*quotes), style="search", start=2, size=2, header="🔎 搜索"))
    plain, _ = parsed(rendered.text)
    assert "3. 《标题》" in plain and "4. 《标题》" in plain and "第 3–4 条，共 5 条" in plain


def test_quote_message_and_notice_are_valid_html() -> None:
    renderer = HtmlRenderer()
    parsed(renderer.quote_message(make_quote(HOSTILE, spans=((1, 4),))))
    assert parsed(renderer.notice(HOSTILE))[0] == HOSTILE


def test_text_renderer_has_no_markup_and_marks_terms_only_in_color() -> None:
    quote = make_quote("市级领导包保各区", spans=((4, 6),))
    plain = TextRenderer().page(Page(make_answer(quote))).text
    assert "┃ 市级领导包保各区" in plain and "\x1b" not in plain and "<" not in plain
    colored = TextRenderer(color=True).page(Page(make_answer(quote))).text
    assert "\x1b[1m包保\x1b[0m" in colored
