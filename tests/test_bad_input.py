"""A corpus with broken files: every readable article is indexed, every bad file is named."""

from __future__ import annotations

from pathlib import Path

from retrieval import prepare
from retrieval.engine import Engine
from tests.conftest import ARCHIVE_SAMPLE, BUNDLED_CORPUS, copy_corpus

GB_POST = """
---
title: '国内首条磁浮快线开通试运营'
categories:
 - 金融
author: 新浪财经
date: 2021-09-13 15:08:25
---

<div><p>　　长沙磁浮快线今日开通试运营，全程约十八公里，票价二十元。</p></div>
"""


def make_messy_corpus(root: Path) -> Path:
    corpus = copy_corpus(root / "corpus", BUNDLED_CORPUS)
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "blank.md").write_text("\n\n   \n", encoding="utf-8")
    (corpus / "picture.md").write_bytes(bytes(range(256)) * 40)
    (corpus / "gbk-post.md").write_bytes(GB_POST.encode("gb18030"))
    broken = (ARCHIVE_SAMPLE / "124_animen-youjo-senki-movie-broken-yaml.md").read_text(encoding="utf-8")
    broken = broken.replace("author:", "tags: [unclosed, list\nauthor:")
    (corpus / "broken-yaml.md").write_text(broken, encoding="utf-8")
    bom_text = "\ufeff月浦镇的居民今天领到了蔬菜包。\n\n第二段内容写在这里，句子结束。\n"
    (corpus / "bom.txt").write_bytes(bom_text.encode())
    return corpus


def test_bad_files_are_named_and_everything_readable_is_indexed(tmp_path: Path) -> None:
    engine = Engine(make_messy_corpus(tmp_path), tmp_path / "index")
    report = engine.last_report
    assert report is not None
    skipped = {item.doc: item.reason for item in report.skipped}
    assert set(skipped) == {"empty.md", "blank.md", "picture.md"}
    assert "empty" in skipped["empty.md"]
    assert "binary" in skipped["picture.md"] or "decod" in skipped["picture.md"]
    assert engine.stats().articles == 5 + 3  # seeds, GB18030 post, broken YAML post, BOM text
    gb_hits = engine.search("长沙磁浮快线票价多少")
    assert gb_hits and "票价二十元" in gb_hits[0].text
    # a date with no zone is UTC: 15:08 UTC on the 13th is 23:08 on the 13th in Shanghai
    assert gb_hits[0].published.isoformat() == "2021-09-13"
    broken_hits = engine.search("幼女战记剧场版")
    assert broken_hits and broken_hits[0].doc == "broken-yaml.md"
    assert broken_hits[0].title.startswith("《劇場版 幼女戦記》")  # fields kept despite the bad YAML
    assert broken_hits[0].published.isoformat() == "2018-12-15"
    assert any(doc == "broken-yaml.md" and "front matter" in warning for doc, warning in report.warnings)


def test_index_command_prints_each_skipped_file_with_its_reason(tmp_path: Path, capsys) -> None:
    from bot.cli import main

    corpus = make_messy_corpus(tmp_path)
    assert main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "indexed 8 articles" in out
    assert "skipped: empty.md: empty file" in out
    assert "skipped: picture.md:" in out
    assert "skipped: blank.md:" in out


def test_same_article_under_two_paths_is_indexed_once(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    (corpus / "mirror").mkdir()
    (corpus / "mirror" / "copy.txt").write_bytes((corpus / "001_b9d15ce63dd39017.txt").read_bytes())
    engine = Engine(corpus, tmp_path / "index")
    assert engine.stats().articles == 5
    assert engine.last_report.duplicates == [("mirror/copy.txt", "001_b9d15ce63dd39017.txt")]
    hits = engine.search("包保责任制是怎么安排的", k=5)
    assert all(hit.doc != "mirror/copy.txt" for hit in hits)


def test_paragraph_repeated_across_many_articles_is_not_a_chunk(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    footer = "<p>本网站所有内容均为转载，版权归原作者所有，如有侵权请联系删除处理。</p>"
    for number, topic in enumerate(["港口吞吐量创新高", "新能源汽车销量增长", "粮食产量保持稳定"]):
        (corpus / f"post{number}.md").write_text(
            f"---\ntitle: '{topic}'\ndate: 2022-01-0{number + 1}\n---\n"
            f"<div><p>{topic}，相关部门今天发布了详细数据说明。</p>{footer}</div>",
            encoding="utf-8",
        )
    engine = Engine(corpus, tmp_path / "index")
    assert engine.search("版权归原作者所有侵权联系删除") == []
    assert engine.search("新能源汽车销量")[0].doc == "post1.md"


def test_a_copy_takes_over_when_its_original_is_removed(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    (corpus / "zz-copy.txt").write_bytes((corpus / "001_b9d15ce63dd39017.txt").read_bytes())
    engine = Engine(corpus, tmp_path / "index")
    assert engine.search("包保责任制是怎么安排的")[0].doc == "001_b9d15ce63dd39017.txt"
    (corpus / "001_b9d15ce63dd39017.txt").unlink()
    report = engine.refresh()
    assert report.removed == ["001_b9d15ce63dd39017.txt"] and report.updated == ["zz-copy.txt"]
    assert engine.search("包保责任制是怎么安排的")[0].doc == "zz-copy.txt"
    assert engine.stats().articles == 5


def test_a_copy_is_indexed_on_its_own_when_its_original_changes(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    (corpus / "zz-copy.txt").write_bytes((corpus / "001_b9d15ce63dd39017.txt").read_bytes())
    engine = Engine(corpus, tmp_path / "index")
    original = corpus / "001_b9d15ce63dd39017.txt"
    original.write_text(original.read_text(encoding="utf-8").replace("包保责任制", "属地责任制"), encoding="utf-8")
    report = engine.refresh()
    assert sorted(report.updated) == ["001_b9d15ce63dd39017.txt", "zz-copy.txt"]
    assert engine.search("包保责任制是怎么安排的")[0].doc == "zz-copy.txt"
    assert engine.stats().articles == 6


def test_a_file_that_cannot_be_read_is_named_and_the_rest_indexed(tmp_path: Path, monkeypatch) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    locked = corpus / "locked.md"
    locked.write_text("---\ntitle: 'x'\n---\n<p>内容</p>", encoding="utf-8")
    real_read_file = prepare.read_file

    def read_file(path: str) -> bytes:  # tests run as root, where chmod cannot lock a file
        if Path(path).name == "locked.md":
            raise PermissionError(13, "Permission denied")
        return real_read_file(path)

    monkeypatch.setattr(prepare, "read_file", read_file)
    engine = Engine(corpus, tmp_path / "index")
    skipped = {item.doc: item.reason for item in engine.last_report.skipped}
    assert skipped == {"locked.md": "unreadable: Permission denied"}
    assert engine.stats().articles == 5
