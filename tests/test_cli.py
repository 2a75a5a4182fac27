"""The command-line contracts of design.md, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import BUNDLED_CORPUS, copy_corpus


def run_newsqa(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.launch", *args],  # what the `newsqa` command runs
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_search_json_reads_queries_from_stdin_one_line_each(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    result = run_newsqa(
        "search", "--json", "-k", "2", "--corpus", str(corpus), "--index", str(tmp_path / "index"),
        stdin="包保责任制是怎么安排的\n比特币今天价格多少\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["包保责任制是怎么安排的", "比特币今天价格多少"]
    first = lines[0]["hits"][0]
    assert set(first) == {"rank", "score", "doc", "title", "date", "source", "chunk", "text"}
    assert first["rank"] == 1 and first["doc"] == "001_b9d15ce63dd39017.txt" and first["date"] == "2022-04-16"
    assert "市级领导包保各区" in first["text"] and len(lines[0]["hits"]) <= 2
    assert lines[1]["hits"] == []


def test_search_with_env_configured_corpus_and_a_query_argument(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    env = {"NEWSQA_CORPUS_DIR": str(corpus), "NEWSQA_INDEX_DIR": str(tmp_path / "index")}
    result = run_newsqa("search", "--json", "月浦镇全员核酸检测人口有多少", env=env)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert "近17万人" in record["hits"][0]["text"] and record["hits"][0]["date"] == "2022-03-31"


def test_a_one_question_process_leaves_its_index_whole_for_the_next(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    # The first process builds the index, answers, and leaves at once (bot.launch).
    first = run_newsqa("search", "--json", *where, "月浦镇全员核酸检测人口有多少")
    assert first.returncode == 0 and "近17万人" in json.loads(first.stdout)["hits"][0]["text"]
    again = run_newsqa("index", *where)
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in again.stdout


def test_missing_corpus_is_one_line_on_stderr_and_non_zero(tmp_path: Path) -> None:
    result = run_newsqa("search", "--json", "--corpus", str(tmp_path / "nowhere"), "x")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "nowhere" in result.stderr


def test_malformed_setting_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = run_newsqa("search", "x", env={"NEWSQA_WEBHOOK_PORT": "not-a-port"})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "NEWSQA_WEBHOOK_PORT" in lines[0]


def test_index_embed_stores_passage_vectors_once(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    first = run_newsqa("index", "--embed", *where)
    assert first.returncode == 0, first.stderr
    assert "88 passages embedded now, 0 were already stored" in first.stdout
    again = run_newsqa("index", "--embed", *where)  # a restart: the vectors are on disk
    assert "0 passages embedded now, 88 were already stored" in again.stdout
    (corpus / "001_b9d15ce63dd39017.txt").unlink()
    body = "上海：快递员可以出门派件\n\n快递员等专业力量要在严格防疫要求前提下应出尽出，保障生活物资送到居民手中。\n"
    (corpus / "new.txt").write_text(body, encoding="utf-8")
    changed = run_newsqa("index", "--embed", *where)
    assert changed.returncode == 0, changed.stderr
    assert " 1 passages embedded now" in changed.stdout  # only the new article's passage
