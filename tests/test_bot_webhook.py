"""End to end in webhook mode: the emulator POSTs updates to the bot's own webhook server on loopback."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import running
from bot.settings import Settings
from retrieval.engine import Engine
from tests.telegram_emulator import TelegramEmulator

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

TOKEN = "123456789:AAEtestTOKENtestTOKENtestTOKEN12345"
USER = 4242
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def webhook_session(engine: Engine) -> AsyncIterator[tuple[TelegramEmulator, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with TelegramEmulator(token=TOKEN) as tg:
        settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=tg.base_url,
                            NEWSQA_WEBHOOK_URL=url, NEWSQA_WEBHOOK_LISTEN="127.0.0.1",
                            NEWSQA_WEBHOOK_PORT=port)  # type: ignore[call-arg]  # fmt: skip
        async with running(settings, engine):
            yield tg, url
        assert not tg.failed_calls(), tg.describe()


async def test_question_delivered_to_the_webhook_gets_its_answer(bundled_engine: Engine) -> None:
    async with webhook_session(bundled_engine) as (tg, url):
        assert tg.webhook is not None and tg.webhook["url"] == url
        secret = tg.webhook["secret_token"]
        assert secret and TOKEN not in secret and TOKEN.split(":")[1] not in secret
        assert not tg.calls_to("getUpdates")  # no polling next to the webhook
        sent = await tg.send_private_text(USER, "包保责任制是怎么安排的")
        [reply] = await tg.wait_for_bot_messages(USER, after_message_id=sent["message_id"], timeout=WAIT)
        assert "市级领导包保各区" in reply.text and reply.reply_to_message_id == sent["message_id"]
        assert [d.status for d in tg.webhook_deliveries] == [200]


async def test_a_call_to_the_webhook_without_the_secret_is_refused(bundled_engine: Engine) -> None:
    async with webhook_session(bundled_engine) as (tg, url):
        forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": USER, "type": "private"},
                                              "from": {"id": USER, "is_bot": False, "first_name": "M"},
                                              "text": "包保责任制是怎么安排的"}}  # fmt: skip
        async with aiohttp.ClientSession() as client:
            for secret in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guessed"}):
                headers = {"Content-Type": "application/json", **secret}
                async with client.post(url, data=json.dumps(forged), headers=headers) as response:
                    assert response.status == 403
        await tg.send_private_text(USER, "比特币今天价格多少？")  # a real update still gets through
        [reply] = await tg.wait_for_bot_messages(USER, timeout=WAIT)
        assert "没有" in reply.text
        assert not [c for c in tg.calls_to("sendMessage") if "市级领导包保各区" in str(c.params.get("text"))]
