"""Issue 13 without Telegram: subscriptions and their limits, the docs filter, trend counts, the
chart and sparkline, the hourly cap of alerts, /trend in the local chat."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import tantivy

from bot import following
from bot import following_messages as text
from bot.alerts import HOUR, Alerts
from bot.conversation import Conversation, Incoming
from bot.local_chat import run_chat
from bot.render_html import HtmlRenderer
from bot.settings import Settings
from bot.subscriptions import MAX_KEYWORD_CHARS, MAX_PER_CHAT, Alert, SubscriptionStore, store_for
from bot.trend_chart import render_png, sparkline
from retrieval.engine import Engine, Trend
from retrieval.index import stored_text

PNG = b"\x89PNG\r\n\x1a\n"
WEEK = timedelta(days=7)


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


# ---------------------------------------------------------------------- subscriptions
def test_follow_following_unfollow_and_their_limits(tmp_path: Path) -> None:
    def say(command: str, words: str = "", chat: int = 7) -> str:
        return following.alert_command(tmp_path, chat, command, words)

    assert say("following") == text.FOLLOWING_NONE
    assert "已关注“核酸检测”" in say("follow", "核酸检测")
    assert "已经在关注" in say("follow", "核酸检测")
    assert "已经在关注" in say("follow", "核酸检测".replace("核酸", "核酸"))  # the same keyword, NFKC
    assert "• 核酸检测" in say("following") and "（1/20）" in say("following")
    assert say("following", chat=8) == text.FOLLOWING_NONE  # per chat
    assert "太长" in say("follow", "长" * (MAX_KEYWORD_CHARS + 1))
    assert "/follow" in say("follow") and "/unfollow" in say("unfollow")
    assert "文字" in say("follow", "!!!")
    for number in range(MAX_PER_CHAT - 1):
        assert "已关注" in say("follow", f"关键词{number}")
    assert "最多关注 20 个" in say("follow", "再来一个")
    assert say("unfollow", "没关注过") == text.NOT_FOLLOWED.format(keyword="没关注过")
    assert say("unfollow", "核酸检测") == text.UNFOLLOWED.format(keyword="核酸检测")
    assert "已关注" in say("follow", "再来一个")  # room again
    # Kept on disk: a new store over the same file (a restart) sees the same subscriptions.
    assert len(SubscriptionStore(tmp_path / "subscriptions.sqlite").keywords(7)) == MAX_PER_CHAT


def test_the_store_sends_an_article_once_and_forgets_a_blocked_chat(tmp_path: Path) -> None:
    store = store_for(tmp_path)
    assert store is store_for(tmp_path)  # one store per index folder
    store.add(1, "核酸")
    alert = Alert(1, "a.md", "核酸", "标题", "2022-04-06", "<b>x</b>")
    assert store.queue([alert, alert]) == {1}
    assert [a.doc for a in store.pending(1)] == ["a.md"]
    store.delivered(1, ["a.md"])
    assert store.pending(1) == [] and store.was_sent(1, "a.md")
    assert store.queue([alert]) == set()  # never twice
    store.drop_chat(1)
    assert store.keywords(1) == []


def test_local_chat_refuses_alerts_politely(bundled_engine: Engine) -> None:
    chat = Conversation(bundled_engine, settings(), HtmlRenderer(), terminal=True)
    reply = chat.respond(Incoming(1, 1, "/follow 核酸"))
    assert reply is not None and "Telegram" in reply.text


# ---------------------------------------------------------------------- search among given articles
def test_search_can_be_limited_to_given_articles(bundled_engine: Engine) -> None:
    everywhere = {hit.doc for hit in bundled_engine.search("核酸", k=10, per_article=1)}
    assert len(everywhere) >= 2
    one = sorted(everywhere)[0]
    assert {hit.doc for hit in bundled_engine.search("核酸", k=10, per_article=1, docs=[one])} == {one}
    assert not bundled_engine.answer("核酸", docs=[]).found
    assert not bundled_engine.answer("比特币", docs=[one]).found  # the no-answer rule still holds


# ---------------------------------------------------------------------- trends
def test_trend_counts_each_matching_article_once_per_week(bundled_engine: Engine) -> None:
    found = bundled_engine.trend("核酸")
    stats = bundled_engine.stats()
    assert found.unit == "week" and found.periods[0][0] <= stats.first_day <= found.periods[0][0] + WEEK  # type: ignore[operator]
    assert found.periods[-1][0] <= stats.last_day < found.periods[-1][0] + WEEK  # type: ignore[operator]
    # The same count by brute force over every passage: the articles with 核酸 in their text, by week.
    searcher = bundled_engine.searcher.searcher
    expected: dict[date, set[str]] = defaultdict(set)
    for _, address in searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits:
        passage = searcher.doc(address)
        if "核酸" in stored_text(passage, "text"):
            day = date.fromordinal(passage.get_first("day"))
            expected[day - timedelta(days=day.weekday())].add(passage.get_first("doc"))
    assert {start: count for start, count in found.periods if count} == {k: len(v) for k, v in expected.items()}
    assert found.total == len({doc for docs in expected.values() for doc in docs}) >= 3
    assert bundled_engine.trend("比特币").total == 0


def test_caption_chart_and_sparkline() -> None:
    found = Trend("核酸", "week", ((date(2022, 3, 21), 1), (date(2022, 3, 28), 0), (date(2022, 4, 4), 3)))
    caption = following.trend_caption(found)
    assert "“核酸”" in caption and "共 4 篇" in caption and "2022-04-04 起的一周，3 篇" in caption
    assert "2022-03-21 至 2022-04-10" in caption
    png = render_png(found)
    assert png.startswith(PNG) and len(png) > 5000
    assert sparkline([1, 0, 3]) == "▄▁█" and sparkline([0, 0]) == "▁▁"
    monthly = Trend("x", "month", ((date(2021, 1, 1), 2), (date(2021, 2, 1), 5)))
    assert "2021年2月，5 篇" in following.trend_caption(monthly) and "2021-02-28" in following.trend_caption(monthly)


def test_local_chat_trend_saves_the_chart_and_prints_a_sparkline(
    bundled_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    out = io.StringIO()
    run_chat(bundled_engine, settings(), io.StringIO("/trend 核酸\n/trend\n"), out)
    printed = out.getvalue()
    [path] = (tmp_path / "newsqa" / following.TREND_FOLDER).iterdir()
    assert str(path) in printed and path.read_bytes().startswith(PNG)
    assert "“核酸”" in printed and any(spark in printed for spark in "▁▂▃▄▅▆▇█")
    assert text.TREND_USAGE in printed


# ---------------------------------------------------------------------- the hourly cap
class _Bot:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_message(self, chat_id: int, message: str, **_: object) -> None:
        self.sent.append(message)


async def test_beyond_the_hourly_cap_alerts_wait_then_come_as_one_digest(tmp_path: Path) -> None:
    now = [1_000_000.0]
    bot = _Bot()
    conversation = SimpleNamespace(engine=None, renderer=HtmlRenderer(), allow=SimpleNamespace(allows=lambda _: True))
    store = SubscriptionStore(tmp_path / "subscriptions.sqlite")
    alerts = Alerts(SimpleNamespace(bot=bot), conversation, store, clock=lambda: now[0])  # type: ignore[arg-type]

    def arrive(*names: str) -> None:
        store.queue([Alert(5, f"{name}.md", "核酸", f"标题{name}", "2022-04-06", f"<b>{name}</b>") for name in names])

    arrive("a", "b", "c")
    await alerts.flush(5)
    assert bot.sent == ["<b>a</b>", "<b>b</b>", "<b>c</b>"]  # within the cap: one message each
    arrive("d", "e", "f", "g")
    await alerts.flush(5)  # room for two more: one alert, then one digest of the rest
    assert bot.sent[3] == "<b>d</b>" and "3 篇新文章" in bot.sent[4]
    assert all(f"标题{name}" in bot.sent[4] for name in "efg")
    arrive("h")
    await alerts.flush(5)  # the hour is full: it waits
    assert len(bot.sent) == 5 and [a.doc for a in store.pending(5)] == ["h.md"]
    now[0] += HOUR + 1
    await alerts.flush(5)
    assert bot.sent[5] == "<b>h</b>" and store.pending(5) == []
