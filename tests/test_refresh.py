"""The index on disk is reused, and refreshed for new, changed and removed files."""

from __future__ import annotations

import os
from pathlib import Path

from retrieval.engine import Engine
from tests.conftest import BUNDLED_CORPUS, copy_corpus

NEW_POST = "---\ntitle: '{title}'\ndate: Wed, 06 Apr 2022 07:07:32 GMT\n---\n<p>{body}</p>\n"


def test_second_open_reuses_the_index_without_reading_files(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    first = Engine(corpus, tmp_path / "index")
    assert first.last_report is not None and len(first.last_report.added) == 5
    first.close()
    second = Engine(corpus, tmp_path / "index")
    assert second.last_report is None  # nothing was stale, nothing was re-read
    assert second.search("包保责任制是怎么安排的")


def test_new_changed_and_removed_files_are_picked_up(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = Engine(corpus, tmp_path / "index")
    passages_before = engine.stats().passages

    (corpus / "new.md").write_text(NEW_POST.format(title="浦东机场航班恢复", body="浦东机场今天恢复了三十个国际航班。"))
    report = engine.refresh()
    assert report.added == ["new.md"] and report.unchanged == 5
    assert engine.search("浦东机场恢复了多少航班")[0].doc == "new.md"

    (corpus / "new.md").write_text(NEW_POST.format(title="虹桥火车站客流", body="虹桥火车站今天发送旅客两万人次。"))
    os.utime(corpus / "new.md", ns=(1, 1))
    report = engine.refresh()
    assert report.updated == ["new.md"]
    assert engine.search("浦东机场恢复了多少航班") == []
    assert engine.search("虹桥火车站发送旅客")[0].doc == "new.md"

    (corpus / "new.md").unlink()
    (corpus / "002_e1f5ded88b7925a0.txt").unlink()
    report = engine.refresh()
    assert sorted(report.removed) == ["002_e1f5ded88b7925a0.txt", "new.md"]
    assert engine.search("月浦镇全员核酸检测人口有多少") == [] or all(
        hit.doc != "002_e1f5ded88b7925a0.txt" for hit in engine.search("月浦镇全员核酸检测人口有多少")
    )
    assert engine.stats().articles == 4
    assert engine.stats().passages < passages_before


def test_engine_notices_a_stale_index_when_opened(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    Engine(corpus, tmp_path / "index").close()
    (corpus / "late.md").write_text(NEW_POST.format(title="外滩灯光秀", body="外滩灯光秀周末恢复开放。"))
    reopened = Engine(corpus, tmp_path / "index")
    assert reopened.last_report is not None and reopened.last_report.added == ["late.md"]
    assert reopened.search("外滩灯光秀什么时候恢复")[0].doc == "late.md"


def test_touching_a_file_without_changing_it_reindexes_nothing(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = Engine(corpus, tmp_path / "index")
    os.utime(corpus / "000_c4c5a263574b2033.txt", ns=(5, 5))
    report = engine.refresh()
    assert not report.updated and report.unchanged == 5
    assert engine.stats().passages == engine.searcher.searcher.num_docs


def test_engine_can_be_used_from_worker_threads(bundled_engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        stats = list(pool.map(lambda _: bundled_engine.stats(), range(3)))
        answers = list(pool.map(bundled_engine.answer, ["包保责任制是怎么安排的"] * 3))
        report = pool.submit(bundled_engine.refresh).result()
    assert {s.articles for s in stats} == {5}
    assert all(answer.found for answer in answers)
    assert report.unchanged == 5
