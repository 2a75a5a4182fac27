"""The local harness: the bot's own handler layer, rendered for a terminal."""

from __future__ import annotations

from typing import TextIO

from retrieval.engine import Engine

from . import messages
from .conversation import Conversation, Incoming, Reply
from .render_text import TextRenderer
from .settings import Settings

LOCAL_CHAT_ID = 1
LOCAL_USER = "local"
PROMPT = "问> "
MORE_WORDS = ("/more", "更多", "more")
QUIT_WORDS = ("/quit", "/exit")


def _conversation(engine: Engine, settings: Settings, color: bool = False) -> Conversation:
    # The terminal user is not rate-limited or allow-listed: they run the bot themselves.
    local = settings.model_copy(update={"questions_per_minute": 10**6, "allowed_chats": []})
    return Conversation(engine, local, TextRenderer(color=color))


def _with_button(reply: Reply) -> str:
    if reply.more is None:
        return reply.text
    button = messages.MORE_BUTTON.format(remaining=reply.remaining)
    return f"{reply.text}\n[{button}] ← 输入 /more"


def ask_once(engine: Engine, settings: Settings, question: str) -> str:
    """The reply the bot would send to `question` in a private chat, as terminal text."""
    reply = _conversation(engine, settings).respond(Incoming(LOCAL_CHAT_ID, LOCAL_CHAT_ID, question))
    return _with_button(reply) if reply is not None else ""


def run_chat(engine: Engine, settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    """Read questions line by line until EOF or /quit; print what the bot would answer."""
    interactive = stdin.isatty()
    conversation = _conversation(engine, settings, color=interactive and stdout.isatty())
    if interactive:
        stats = engine.stats()
        print(f"newsqa 本地对话：{stats.articles} 篇新闻，{messages.date_range(stats)}。"
              "输入问题，/more 看更多，/quit 退出。", file=stdout)  # fmt: skip
    more: str | None = None
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text.lower() in QUIT_WORDS:
            break
        if not text:
            continue
        if text.lower() in MORE_WORDS:
            reply = conversation.more(more) if more else None
            reply = reply or conversation.say(messages.NO_MORE)
        else:
            reply = conversation.respond(Incoming(LOCAL_CHAT_ID, LOCAL_CHAT_ID, text))
        if reply is None:
            continue
        more = reply.more
        print(_with_button(reply), file=stdout, flush=True)
        print(file=stdout, flush=True)
    return 0
