"""Issue 13 end to end, through the Bot API emulator: /follow, alerts pushed from a running bot's
refreshes (once, capped, not to a chat that blocked the bot), /unfollow, a restart, /trend's chart."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from bot.app import running
from bot.subscriptions import store_for
from retrieval.engine import Engine
from tests.conftest import BUNDLED_CORPUS, copy_corpus, embedded_engine
from tests.telegram_emulator import SentMessage, TelegramEmulator
from tests.test_bot_e2e import BOT_NAME, GROUP, TOKEN, USER, bot_settings, session

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(150)]

OTHER_GROUP = -1009876543210
BLOCKED_USER = 6464
ALERT_WAIT = 60.0
PNG = b"\x89PNG\r\n\x1a\n"


# Stories about Chinese sturgeons (中华鲟), each its own words: near-duplicate passages are quoted once.
STORIES = [
    "中华鲟是长江中的古老物种，科研人员今年在宜昌江段开展了产卵场调查。",
    "上海市水生野生动物保护站救护了一尾误入渔网的中华鲟，体长约一米二。",
    "长江口中华鲟自然保护区的志愿者向市民讲解了禁渔期的相关规定。",
    "水产研究所人工繁育的中华鲟子二代在池塘里生长良好，平均体重增加三成。",
    "一场关于中华鲟洄游路线的学术研讨会在武汉举行，百余名专家参加。",
    "崇明区的小学生参观中华鲟展馆，了解这种鱼类从海洋回到江河的生活史。",
    "渔政部门在长江口加强巡查，发现并制止了三起可能伤害中华鲟的非法捕捞。",
    "中华鲟放流活动在长江口举行，一千尾幼鱼被送入江中，将游向大海。",
]


def post(title: str, story: str, extra: str = "") -> str:
    """An archive post, dated 2022-04-06 in Shanghai."""
    return f"---\ntitle: '{title}'\ndate: Wed, 06 Apr 2022 07:07:32 GMT\n---\n<p>{story}{extra}</p>\n"


def publish(folder: Path, name: str, content: str) -> None:
    """Write an article as a finished copy would leave it (its modification time in the past)."""
    path = folder / name
    path.write_text(content, encoding="utf-8")
    old = time.time() - 30
    os.utime(path, (old, old))


async def say(tg: TelegramEmulator, chat: int, text: str, user: int = USER) -> SentMessage:
    sent = await (tg.send_private_text(chat, text) if chat > 0 else tg.send_group_text(chat, user, text))
    [reply] = await tg.wait_for_bot_messages(chat, after_message_id=sent["message_id"], timeout=20)
    return reply


async def alerts_in(tg: TelegramEmulator, chat: int, count: int, after: int) -> list[SentMessage]:
    return await tg.wait_for_bot_messages(chat, count=count, after_message_id=after, timeout=ALERT_WAIT)


def unexpected_failures(tg: TelegramEmulator) -> list[object]:
    return [call for call in tg.failed_calls() if call.params.get("chat_id") != BLOCKED_USER]


async def test_alerts_are_pushed_once_stop_on_unfollow_and_survive_a_restart(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = embedded_engine(corpus, tmp_path / "index")
    settings_for = lambda tg: bot_settings(tg, NEWSQA_REFRESH_SECONDS="5")  # noqa: E731
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME, privacy_mode=False) as tg:
        tg.add_group(GROUP)
        tg.add_group(OTHER_GROUP)
        async with running(settings_for(tg), engine, poll_timeout=1):
            confirmed = await say(tg, USER, "/follow 中华鲟")
            assert "已关注“中华鲟”" in confirmed.text
            in_group = await say(tg, GROUP, f"/follow@{BOT_NAME} 中华鲟")
            assert "已关注“中华鲟”" in in_group.text
            await tg.send_group_text(OTHER_GROUP, USER, "/follow@OtherBot 中华鲟")  # another bot's command
            await say(tg, BLOCKED_USER, "/follow 中华鲟")
            tg.block_chat(BLOCKED_USER)

            publish(corpus, "sturgeon-1.md", post("长江口发现中华鲟幼鱼群", STORIES[0]))
            [alert] = await alerts_in(tg, USER, 1, confirmed.message_id)
            assert "长江口发现中华鲟幼鱼群" in alert.text and "2022-04-06" in alert.text
            assert alert.has_entity("blockquote", "产卵场调查") and "中华鲟" in alert.entity_texts("bold")
            assert alert.reply_to_message_id is None  # unprompted
            [group_alert] = await alerts_in(tg, GROUP, 1, in_group.message_id)
            assert "长江口发现中华鲟幼鱼群" in group_alert.text
            store = store_for(engine.index_dir)
            await tg.wait_until(lambda: not store.keywords(BLOCKED_USER), 10, description="the blocked chat dropped")

            # A changed article is not sent again; after /unfollow nothing more comes.
            updated: list[str] = []
            engine.on_refresh(lambda report: updated.extend(report.updated))
            publish(corpus, "sturgeon-1.md", post("长江口发现中华鲟幼鱼群", STORIES[0], "团队还记录了水温。"))
            await tg.wait_until(lambda: "sturgeon-1.md" in updated, ALERT_WAIT, description="the changed article")
            unfollowed = await say(tg, USER, "/unfollow 中华鲟")
            assert "已取消关注“中华鲟”" in unfollowed.text
            publish(corpus, "sturgeon-2.md", post("崇明东滩再现中华鲟", STORIES[1]))
            second = await alerts_in(tg, GROUP, 2, in_group.message_id)
            assert "崇明东滩再现中华鲟" in second[1].text
            assert len(tg.bot_messages(USER)) == 3  # the confirmation, one alert, the unfollow reply
        engine.close()

        # A restart (a new engine over the same index, as a new process): the group still follows.
        engine = Engine(corpus, tmp_path / "index")
        async with running(settings_for(tg), engine, poll_timeout=1):
            listing = await say(tg, GROUP, f"/following@{BOT_NAME}")
            assert "• 中华鲟" in listing.text
            assert "还没有关注" in (await say(tg, USER, "/following")).text
            publish(corpus, "sturgeon-3.md", post("中华鲟幼鱼顺利入海", STORIES[2]))
            third = await alerts_in(tg, GROUP, 1, listing.message_id)
            assert "中华鲟幼鱼顺利入海" in third[0].text
        engine.close()
        assert tg.bot_messages(OTHER_GROUP) == []  # /follow@OtherBot was not ours
        assert len(tg.bot_messages(BLOCKED_USER)) == 1  # its confirmation, before it blocked the bot
        assert not unexpected_failures(tg), tg.describe()


async def test_a_burst_of_articles_is_capped_with_one_digest(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus", BUNDLED_CORPUS)
    engine = embedded_engine(corpus, tmp_path / "index")
    titles = [f"中华鲟观察第{number}期" for number in range(1, 8)]
    staging = tmp_path / "staging"
    staging.mkdir()
    for number, title in enumerate(titles):
        publish(staging, f"sturgeon-{number}.md", post(title, STORIES[number]))
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME) as tg:
        async with running(bot_settings(tg, NEWSQA_REFRESH_SECONDS="5"), engine, poll_timeout=1):
            confirmed = await say(tg, USER, "/follow 中华鲟")
            staging.rename(corpus / "pulled")  # seven new articles at once
            alerts = await alerts_in(tg, USER, 5, confirmed.message_id)
            digests = [alert for alert in alerts if "篇新文章" in alert.text]
            assert len(digests) == 1 and alerts[-1] is digests[0]
            shown = "\n".join(alert.text for alert in alerts)
            assert all(shown.count(f"《{title}》") == 1 for title in titles)
            store = store_for(engine.index_dir)
            publish(corpus / "pulled", "sturgeon-late.md", post("中华鲟又来了", STORIES[7]))  # the hour is full
            await tg.wait_until(lambda: store.pending(USER), ALERT_WAIT, description="the eighth alert held back")
            assert len(tg.bot_messages(USER)) == 6
        assert not tg.failed_calls(), tg.describe()
    engine.close()


async def test_trend_sends_a_chart_of_the_keyword(bundled_engine: Engine) -> None:
    async with session(bundled_engine) as tg:
        sent = await tg.send_private_text(USER, "/trend 核酸")
        [chart] = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=20)
        assert chart.photo is not None and chart.photo.startswith(PNG) and len(chart.photo) > 5000
        assert "“核酸”" in chart.text and "篇文章提到" in chart.text and "最多" in chart.text
        assert chart.reply_to_message_id == sent["message_id"]
        nothing = await say(tg, USER, "/trend 比特币")
        assert nothing.photo is None and "没有文章提到“比特币”" in nothing.text
        in_group = await say(tg, GROUP, f"/trend@{BOT_NAME} 核酸")
        assert in_group.photo is not None


async def test_the_emulator_takes_photos_and_answers_a_blocked_chat_with_403() -> None:
    async with TelegramEmulator(token=TOKEN, bot_username=BOT_NAME) as tg:
        bot = Bot(TOKEN, base_url=tg.base_url)
        async with bot:
            await tg.send_private_text(USER, "/start")
            with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
                await bot.send_photo(USER, b"not an image")
            sent = await bot.send_photo(USER, PNG + bytes(16), caption="<b>图</b>", parse_mode="HTML")
            assert sent.caption == "图" and sent.photo and tg.bot_messages(USER)[-1].entity_texts("bold") == ["图"]
            tg.block_chat(USER)
            with pytest.raises(Forbidden, match="blocked"):
                await bot.send_message(USER, "还在吗")
