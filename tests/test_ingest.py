"""Ingestion of the archive's formats and quirks."""

from __future__ import annotations

from pathlib import Path

from retrieval.chunk import MAX_CHARS, chunk_article
from retrieval.ingest import parse_article_text, read_article
from tests.conftest import ARCHIVE_SAMPLE, BUNDLED_CORPUS


def _article(path: Path):
    article = read_article(path, path.parent)
    assert not hasattr(article, "reason"), article
    return article


def test_front_matter_date_is_reported_in_shanghai_time() -> None:
    article = _article(BUNDLED_CORPUS / "001_b9d15ce63dd39017.txt")
    assert article.published.isoformat() == "2022-04-16"
    assert article.title.startswith("上海：采取更坚决果断行动")
    assert article.source == "解放日报"
    assert "新浪财经" in article.categories


def test_plain_text_title_kicker_date_and_page_marks() -> None:
    article = _article(BUNDLED_CORPUS / "002_e1f5ded88b7925a0.txt")
    kicker = "上海广大党员干部第一时间认真学习领会全市领导干部大会精神——"
    main_title = "勠力同心背水一战，坚决打赢疫情防控这场大仗硬仗"
    assert article.title == kicker + main_title
    assert article.published.isoformat() == "2022-03-31"
    texts = [paragraph.text for paragraph in article.paragraphs]
    assert not any("上接第一版" in text for text in texts)
    assert any("物业等各方志愿者力量" in text for text in texts)
    assert any("全面流调排查" in text for text in texts)  # "全面流" / "调排查" rejoined


def test_plain_text_without_any_date_has_none_not_the_file_time() -> None:
    article = parse_article_text("一篇没有日期的文章\n\n正文第一段，说了一件事情。\n", "nodate.txt")
    assert article.published is None and article.title == "一篇没有日期的文章"


def test_bold_lead_ins_become_headings_for_following_paragraphs() -> None:
    article = _article(BUNDLED_CORPUS / "000_c4c5a263574b2033.txt")
    by_text = {paragraph.text[:6]: paragraph for paragraph in article.paragraphs}
    assert by_text["李强指出，当"].heading.startswith("必须咬紧牙关、持续攻坚")


def test_words_split_by_markup_and_bare_text_in_divs_are_kept_whole() -> None:
    html = (
        "---\ntitle: 't'\ndate: 2022-01-01\n---\n<div>裸露在div里的文字也要保留。<br>"
        "<p>上<span>海</span>市<font><font>疫情</font>防控</font>工作&#123;不变&#125;</p>"
        "<!--article_adlist[<p>看起来像正文的广告</p>]--><script>var x = 1;</script>"
        "<style>.a&#123;color:red&#125;</style><p> </p></div>"
    )
    article = parse_article_text(html, "x.md")
    texts = [paragraph.text for paragraph in article.paragraphs]
    assert texts == ["裸露在div里的文字也要保留。", "上海市疫情防控工作{不变}"]


def test_sina_boilerplate_is_dropped() -> None:
    article = _article(ARCHIVE_SAMPLE / "016_xian-power-consumption-2021.md")
    text = "\n".join(paragraph.text for paragraph in article.paragraphs)
    assert "新浪财经APP" not in text and "责任编辑" not in text and "appendQr" not in text
    assert article.source == "华商报"
    assert article.published.isoformat() == "2021-06-18"


def test_kangxi_radicals_and_traditional_text_match_simplified_questions(tmp_path: Path) -> None:
    from retrieval.analyse import Analyzer

    analyzer = Analyzer()
    assert "大学" in analyzer.words("⼤学生进入职场")
    assert analyzer.words("幼女戰記") == analyzer.words("幼女战记")


def test_long_paragraphs_split_at_sentence_ends_and_chunks_keep_their_order() -> None:
    article = _article(BUNDLED_CORPUS / "002_e1f5ded88b7925a0.txt")
    chunks = chunk_article(article)
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    assert all(len(chunk.text) <= MAX_CHARS for chunk in chunks)
    assert all(chunk.text[-1] in "。！？!”；" for chunk in chunks[:-1])
    assert chunks[-1].text == "中共上海市委 上海市人民政府 2022年3月31日"  # the signature, kept as printed
    captions = [chunk.text for chunk in chunks if "重要路口部位加强警力驻守" in chunk.text]
    assert captions and all("摄" not in text and "制图" not in text for text in captions)
