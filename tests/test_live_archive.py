"""A growing archive: a running bot follows it; half-written files wait; read-only corpora work."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.archive import write_archive
from bot.app import running
from retrieval.engine import Engine
from tests.conftest import BUNDLED_CORPUS, copy_corpus
from tests.telegram_emulator import TelegramEmulator
from tests.test_bot_e2e import BOT_NAME, QUESTION, TOKEN, USER, bot_settings

NEW_POST = (
    "---\ntitle: '长江口发现中华鲟幼鱼群'\ndate: Wed, 06 Apr 2022 07:07:32 GMT\n---\n"
    "<p>科研人员在长江口崇明东滩水域监测到一群中华鲟幼鱼，数量约300尾，这是近年来首次在该水域观测到成群活动。</p>\n"
    "<p>监测团队表示，幼鱼体长在十到十五厘米之间，状态良好，将继续跟踪它们的洄游路线。</p>\n"
)
NEW_QUESTION = "长江口监测到多少尾中华鲟幼鱼"


def test_a_half_written_file_waits_until_it_is_whole(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = Engine(corpus, tmp_path / "index")
    post = corpus / "new.md"
    post.write_text(NEW_POST[: len(NEW_POST) // 2], encoding="utf-8")  # a copy in progress
    report = engine.refresh(settle_seconds=2.0)
    assert report.deferred == ["new.md"] and report.added == []
    assert engine.search(NEW_QUESTION) == []

    post.write_text(NEW_POST, encoding="utf-8")
    old = time.time() - 10
    os.utime(post, (old, old))  # the writer is done
    report = engine.refresh(settle_seconds=2.0)
    assert report.added == ["new.md"] and not report.deferred
    [hit, *_] = engine.search(NEW_QUESTION)
    assert hit.doc == "new.md" and "300尾" in hit.text
    assert engine.stats().articles == 6


def test_a_read_only_corpus_works_with_the_default_index_location(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "archive" / "corpus", BUNDLED_CORPUS)
    before = sorted(path.relative_to(tmp_path) for path in (tmp_path / "archive").rglob("*"))
    corpus.chmod(0o555)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEWSQA_", "TELEGRAM_"))}
    env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), "NEWSQA_CORPUS_DIR": str(corpus)}
    try:
        result = subprocess.run([sys.executable, "-m", "bot.cli", "search", "--json", QUESTION], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    finally:
        corpus.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hits"][0]["date"] == "2022-04-16"
    # Nothing was written in or beside the corpus; the index went to the user's cache.
    assert sorted(path.relative_to(tmp_path) for path in (tmp_path / "archive").rglob("*")) == before
    [index] = (tmp_path / "cache" / "newsqa").iterdir()
    assert index.name.startswith("corpus-") and (index / "manifest.sqlite").exists()


@pytest.mark.asyncio
@pytest.mark.timeout(150)
async def test_a_running_bot_follows_new_and_removed_articles(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = Engine(corpus, tmp_path / "index")
    batch = tmp_path / "batch"
    write_archive(batch, 60, seed=5)  # a `git pull` worth of posts, so questions arrive mid-refresh
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME) as tg:
        async with running(bot_settings(tg, NEWSQA_REFRESH_SECONDS="5"), engine, poll_timeout=1):
            assert "没有" in (await ask(tg, NEW_QUESTION)).text  # not in the archive yet

            shutil.copytree(batch, corpus / "pulled", ignore=shutil.ignore_patterns(".*"))
            (corpus / "pulled" / "chinese-sturgeon.md").write_text(NEW_POST, encoding="utf-8")
            started, answered, replies = time.monotonic(), False, 0
            while not answered:
                assert time.monotonic() - started < 60, "the new article was not answered within 60 s"
                reply = await ask(tg, NEW_QUESTION)
                replies += 1
                answered = "300尾" in reply.text
                if not answered:  # the old index still answers everything else meanwhile
                    assert "市级领导包保各区" in (await ask(tg, QUESTION)).text
                    await asyncio.sleep(0.5)
            assert replies > 1  # some questions were asked while the refresh ran

            (corpus / "pulled" / "chinese-sturgeon.md").unlink()
            started = time.monotonic()
            while "300尾" in (await ask(tg, NEW_QUESTION)).text:
                assert time.monotonic() - started < 60, "the removed article was still quoted after 60 s"
                await asyncio.sleep(1)
        assert not tg.failed_calls(), tg.describe()
    engine.close()


async def ask(tg: TelegramEmulator, text: str) -> object:
    sent = await tg.send_private_text(USER, text)
    [reply] = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=20)
    return reply
