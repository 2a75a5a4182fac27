"""Meaning as an index: vectors embedded at index time (resumable, incremental), a question that
embeds only itself and its budget, and candidates found by meaning alone."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.embedder import VECTORS_DIR, embed_index
from retrieval.engine import Engine
from retrieval.search import Searcher
from retrieval.semantic import model_identity
from retrieval.vector_index import VectorIndex
from tests.conftest import REPOSITORY, embedded_engine

ARTICLE = "---\ntitle: '{title}'\ndate: Wed, 0{day} Apr 2022 07:07:32 GMT\n---\n{body}\n"
BODY = "".join(f"<p>{text}</p>" for text in (
    "全市各区今天起为居民开设发热门诊绿色通道，慢性病患者就医配药不再排长队，社区医生上门登记需求。",
    "区里统一调度药店和社区卫生服务中心，保障老人和孕产妇的医疗需求，做到应收尽收、应治尽治。",
    "街道干部介绍，志愿者分组负责送药上门，每天汇总一次，确保需求在二十四小时内得到回应。",
    "对独居老人，居委会每天电话联系一次，了解身体状况和生活物资需求，必要时安排上门探访。",
    "定点医院开通线上问诊服务，复诊患者可以在手机上预约，医生开具处方后由药房配送到家。",
    "市卫健委提醒，出现发热等症状的居民应先联系社区，由专车转运到发热门诊，避免自行前往。",
))  # fmt: skip
OTHER = "<p>浦东新区今天举行植树活动，数百名市民在滨江绿地种下樱花和香樟树苗。</p><p>活动持续到下午四点。</p>"

# Embed with batches of 2 and SIGKILL itself after the third batch is stored.
KILLED_EMBEDDING = """
import os, signal, sys
from pathlib import Path
from retrieval.embedder import run
for number, step in enumerate(run(Path(sys.argv[1]), batch=2)):
    if number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
"""


def write_corpus(folder: Path, articles: dict[str, tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for day, (name, (title, body)) in enumerate(articles.items(), 1):
        (folder / name).write_text(ARTICLE.format(title=title, day=day, body=body), encoding="utf-8")
    return folder


def stored(index: Path) -> int:
    return len(VectorIndex(index / VECTORS_DIR, model_identity()))


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", {"clinic.md": ("发热门诊开设绿色通道", BODY),
                                              "trees.md": ("浦东植树", OTHER)})  # fmt: skip


def test_a_killed_embedding_run_resumes_and_loses_at_most_one_batch(small_corpus: Path, tmp_path: Path) -> None:
    engine = Engine(small_corpus, tmp_path / "index")
    passages = engine.stats().passages
    assert passages >= 7  # four batches of two
    killed = subprocess.run([sys.executable, "-c", KILLED_EMBEDDING, str(tmp_path / "index")], cwd=REPOSITORY,
                            capture_output=True, timeout=120)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    kept = stored(tmp_path / "index")
    assert 4 <= kept < passages  # the batches stored before the kill (3 of 2 passages; one may be lost)
    embedded, already = embed_index(tmp_path / "index")
    assert (embedded, already) == (passages - kept, kept)
    assert stored(tmp_path / "index") == passages


def test_adding_or_removing_an_article_embeds_or_drops_only_its_passages(small_corpus: Path, tmp_path: Path) -> None:
    engine = Engine(small_corpus, tmp_path / "index")
    assert embed_index(tmp_path / "index")[0] == engine.stats().passages
    write_corpus(
        small_corpus,
        {"zoo.md": ("动物园重新开放", "<p>上海动物园今天恢复开放，每日限流五千人，游客需提前一天预约。</p>")},
    )
    engine.refresh()
    assert embed_index(tmp_path / "index") == (1, engine.stats().passages - 1)
    (small_corpus / "clinic.md").unlink()
    engine.refresh()
    assert embed_index(tmp_path / "index") == (0, engine.stats().passages)
    assert stored(tmp_path / "index") == engine.stats().passages  # the removed article's vectors are gone
    engine.close()


def test_a_question_on_an_index_without_vectors_embeds_only_its_budget(small_corpus: Path, tmp_path: Path) -> None:
    engine = Engine(small_corpus, tmp_path / "index", embed_budget=2)
    assert engine.stats().embedded == 0 and engine.stats().passages >= 4
    assert engine.scorer is not None
    engine.search("居民就医配药和送药上门是怎么安排的")
    assert engine.scorer.passages_embedded == 2  # of the passages it would have liked to compare
    engine.search("志愿者送药上门多久回应")
    assert engine.scorer.passages_embedded <= 4
    engine.close()


def test_meaning_alone_finds_a_passage_that_shares_no_word_with_the_question(small_corpus: Path,
                                                                              tmp_path: Path) -> None:  # fmt: skip
    engine = embedded_engine(small_corpus, tmp_path / "index")
    embed_index(tmp_path / "index")
    engine.scorer.vector_store().reload()  # type: ignore[union-attr]
    question = "看病买药难的问题怎么解决？"  # the passage says 就医配药, 绿色通道
    query = engine._query(question)
    analysed = engine.index.analyzer.analyse(BODY.replace("<p>", " ").replace("</p>", " "))
    passage_words = set(analysed.words) | set(analysed.bigrams)
    assert not passage_words & set(query.words + query.bigrams)
    hits = engine.search(question)
    assert hits and hits[0].doc == "clinic.md" and hits[0].coverage == 0.0  # found by meaning alone
    assert hits[0].similarity is not None and hits[0].similarity >= engine.searcher.settings.sure_similarity
    lexical = Searcher(engine.index, replace(engine.searcher.settings, semantic_weight=0.0), engine.scorer)
    assert lexical.search(query) == []
    engine.close()
