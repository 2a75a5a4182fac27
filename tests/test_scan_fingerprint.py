"""The corpus fingerprint: one pass over the folder tells whether anything changed since the last refresh."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.index import CorpusIndex
from retrieval.ingest import scan
from retrieval.ingest.scan import corpus_fingerprint, corpus_stats, rows_fingerprint
from tests.conftest import BUNDLED_CORPUS, copy_corpus

needs_c = pytest.mark.skipif(corpus_fingerprint(Path(".")) is None, reason="retrieval.ingest._scan is not built")
MASK = 2**64 - 1


def reference_fingerprint(stats: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """retrieval/ingest/_scan.c's rule, written again in Python."""
    digest = 0
    for doc, (size, mtime_ns) in stats.items():
        value = 0xCBF29CE484222325
        for byte in os.fsencode(doc) + (size & MASK).to_bytes(8, "little") + (mtime_ns & MASK).to_bytes(8, "little"):
            value = ((value ^ byte) * 0x100000001B3) & MASK
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
        digest = (digest + (value ^ (value >> 31))) & MASK
    return len(stats), digest


def awkward_tree(root: Path) -> Path:
    """Nested folders, hidden files and folders, Chinese and undecodable names, links to a file and a folder."""
    (root / "新闻" / "上海").mkdir(parents=True)
    (root / "新闻" / "上海" / "疫情通报.md").write_text("---\ntitle: 通报\n---\n<p>新增</p>\n", encoding="utf-8")
    (root / "top.txt").write_text("plain text", encoding="utf-8")
    (root / ".hidden.md").write_text("left out", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("left out", encoding="utf-8")
    (root / "empty.md").write_bytes(b"")
    os.close(os.open(os.path.join(os.fsencode(root), b"latin-\xe9.md"), os.O_CREAT | os.O_WRONLY))
    outside = root.parent / f"{root.name}-outside"
    (outside / "linked").mkdir(parents=True)
    (outside / "linked" / "far.md").write_text("far away", encoding="utf-8")
    (root / "link-to-file.md").symlink_to(root / "top.txt")
    (root / "link-to-folder").symlink_to(outside / "linked")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    return root


@needs_c
def test_the_fingerprint_covers_what_the_folder_walk_finds(tmp_path: Path) -> None:
    root = awkward_tree(tmp_path / "corpus")
    stats = corpus_stats(root)
    assert "新闻/上海/疫情通报.md" in stats and "link-to-folder/far.md" in stats and "link-to-file.md" in stats
    assert not any(doc.startswith(".") or "/." in doc for doc in stats) and "dangling.md" not in stats
    expected = reference_fingerprint(stats)
    assert corpus_fingerprint(root) == expected
    assert rows_fingerprint((doc, size, mtime) for doc, (size, mtime) in stats.items()) == expected


@needs_c
def test_every_kind_of_change_changes_the_fingerprint(tmp_path: Path) -> None:
    root = awkward_tree(tmp_path / "corpus")
    seen = {corpus_fingerprint(root)}
    article = root / "新闻" / "上海" / "疫情通报.md"
    changes = [
        lambda: article.write_text(article.read_text(encoding="utf-8") + "<p>更正</p>", encoding="utf-8"),
        lambda: os.utime(article, ns=(1, 1_000_000_001)),
        lambda: (root / "new.md").write_text("new", encoding="utf-8"),
        lambda: (root / "new.md").rename(root / "renamed.md"),
        lambda: (root / "empty.md").unlink(),
        lambda: (tmp_path / "corpus-outside" / "linked" / "far.md").write_text("changed far away", encoding="utf-8"),
    ]
    for change in changes:
        change()
        found = corpus_fingerprint(root)
        assert found not in seen
        seen.add(found)
    (root / ".new-hidden.md").write_text("left out", encoding="utf-8")
    assert corpus_fingerprint(root) in seen


@needs_c
def test_a_whole_refresh_records_the_fingerprint_and_a_change_makes_the_index_stale(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    index = CorpusIndex(corpus, tmp_path / "index")
    index.refresh()
    assert index.manifest.fingerprint() is not None and not index.is_stale()
    (corpus / "late.md").write_text("---\ntitle: 外滩\n---\n<p>外滩灯光秀周末恢复开放。</p>\n", encoding="utf-8")
    assert index.is_stale()
    report = index.refresh()
    assert report.added == ["late.md"] and not index.is_stale()
    index.close()


def test_a_refresh_that_does_not_end_is_finished_by_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    index = CorpusIndex(corpus, tmp_path / "index")
    index.refresh()
    plain = sorted(corpus.glob("*.txt"))[0]
    plain.write_text(plain.read_text(encoding="utf-8") + "\n\n外滩灯光秀周末恢复开放。\n", encoding="utf-8")
    finishing: list[int] = []

    def fail(*_: object) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(index, "_drop_boilerplate", fail)  # after every file was handled and checkpointed
    with pytest.raises(OSError, match="interrupted"):
        index.refresh(checkpoint_passages=1)
    monkeypatch.undo()
    assert index.manifest.fingerprint() is None  # what is indexed is not what a whole refresh leaves
    drop = index._drop_boilerplate
    monkeypatch.setattr(index, "_drop_boilerplate", lambda *a: (finishing.append(1), drop(*a)))
    report = index.refresh()  # not the quick way: it finishes the work
    assert finishing == [1] and not report.changed
    assert index.manifest.fingerprint() is not None or corpus_fingerprint(corpus) is None
    assert not index.is_stale()
    index.close()


@needs_c
def test_an_unchanged_corpus_is_refreshed_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    (corpus / "empty.md").write_bytes(b"")
    index = CorpusIndex(corpus, tmp_path / "index")
    index.refresh()
    index.manifest.forget_fingerprint()
    read_through = index.refresh()  # compares file by file, reads nothing new, records the fingerprint
    assert read_through.unchanged == 6 and not read_through.changed

    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("an unchanged corpus was read")

    monkeypatch.setattr(index, "_refresh", no_reading)
    quick = index.refresh()
    assert (quick.unchanged, quick.skipped, quick.changed) == (6, read_through.skipped, False)
    assert [item.doc for item in quick.skipped] == ["empty.md"]
    index.close()


def test_without_the_compiled_part_staleness_is_checked_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "_corpus_fingerprint", None)
    monkeypatch.setattr(scan, "_rows_fingerprint", None)
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    index = CorpusIndex(corpus, tmp_path / "index")
    index.refresh()
    assert index.manifest.fingerprint() is None and not index.is_stale()
    (corpus / "late.md").write_text("---\ntitle: 外滩\n---\n<p>外滩灯光秀周末恢复开放。</p>\n", encoding="utf-8")
    assert index.is_stale()
    assert index.refresh().added == ["late.md"] and not index.is_stale()
    index.close()
