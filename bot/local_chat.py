"""The local harness: the bot's own handler layer, rendered for a terminal.

On a terminal the chat reads with prompt_toolkit (line editing, ↑/↓ history kept in the user's
cache folder, pastes of several lines taken as one question) and shows "正在检索…" on standard
error while the engine searches; through pipes it reads one question per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TextIO

from retrieval.engine import MAX_QUESTION_CHARS, Engine

from . import messages
from .conversation import Conversation, Incoming, Question, Reply
from .following import TREND_FOLDER, save_chart
from .render_text import TextRenderer
from .settings import Settings, cache_dir

LOCAL_CHAT_ID = 1
LOCAL_USER = "local"
PROMPT = "问> "
MORE_WORDS = ("/more", "更多", "more")
QUIT_WORDS = ("/quit", "/exit")
SEARCHING = "正在检索…"
CLEAR_LINE = "\r\x1b[K"
HISTORY_FILE = "chat-history"


def _conversation(engine: Engine, settings: Settings, color: bool = False) -> Conversation:
    # The terminal user is not rate-limited or allow-listed: they run the bot themselves.
    local = settings.model_copy(update={"questions_per_minute": 10**6, "allowed_chats": []})
    return Conversation(engine, local, TextRenderer(color=color), terminal=True)


def cut_question(text: str) -> tuple[str, str | None]:
    """The question the engine reads (at most MAX_QUESTION_CHARS) and a note on what was cut, if any."""
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(text) <= MAX_QUESTION_CHARS:
        return text, None
    kept = text[:MAX_QUESTION_CHARS]
    return kept, messages.cut_text(len(text), MAX_QUESTION_CHARS, text[MAX_QUESTION_CHARS:])


def _answer(conversation: Conversation, text: str, stderr: TextIO | None) -> Reply | None:
    """The conversation's reply; "正在检索…" on a terminal's standard error while it searches."""
    decision = conversation.decide(Incoming(LOCAL_CHAT_ID, LOCAL_CHAT_ID, text))
    if not isinstance(decision, Question):
        return decision
    show = stderr is not None and stderr.isatty()
    if show:
        print(SEARCHING, end="", file=stderr, flush=True)
    try:
        reply = conversation.run(decision)
    finally:
        if show:
            print(CLEAR_LINE, end="", file=stderr, flush=True)
    if reply.photo is not None:  # a /trend chart: saved in the cache folder, its path printed
        note = save_chart(reply.photo, decision.text, cache_dir() / TREND_FOLDER)
        reply = replace(reply, text=f"{reply.text}\n{note}", photo=None)
    return reply


def ask_once(engine: Engine, settings: Settings, question: str, quotes: int | None = None,
             stderr: TextIO | None = None) -> str:  # fmt: skip
    """The bot's reply to `question` in a private chat, as terminal text, with every further quote
    the bot would page to behind its "more" button (or only the first `quotes` quotes)."""
    if quotes is not None:
        settings = settings.model_copy(update={"quotes_per_page": quotes})
    conversation = _conversation(engine, settings)
    text, note = cut_question(question)
    if note and stderr is not None:
        print(note, file=stderr)
    reply = _answer(conversation, text, stderr)
    pieces = []
    while reply is not None:
        pieces.append(reply.text)
        reply = conversation.more(reply.more) if reply.more and quotes is None else None
    return "\n\n".join(pieces)


def _piped_lines(stdin: TextIO) -> Iterator[str]:
    yield from (line.rstrip("\n") for line in stdin)


def _terminal_lines() -> Iterator[str]:
    """Lines typed at a terminal, with line editing and history (prompt_toolkit); Ctrl-C clears
    the line, Ctrl-D ends. History goes to the cache folder, or stays in memory when it cannot."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    history: History
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / HISTORY_FILE
        path.touch(mode=0o600, exist_ok=True)
        history = FileHistory(str(path))
    except OSError:
        history = InMemoryHistory()
    session: PromptSession[str] = PromptSession(history=history)
    while True:
        try:
            yield session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


def run_chat(engine: Engine, settings: Settings, stdin: TextIO, stdout: TextIO, stderr: TextIO | None = None) -> int:
    """Read questions until EOF or /quit; print what the bot would answer.

    On a terminal (stdin and stdout both) the lines come from prompt_toolkit; through pipes,
    one question a line, with no prompt.
    """
    interactive = stdin.isatty() and stdout.isatty()
    conversation = _conversation(engine, settings, color=interactive)
    if interactive:
        stats = engine.stats()
        print(f"newsqa 本地对话：{stats.articles} 篇新闻，{messages.date_range(stats)}。"
              "输入问题并回车；/help 看用法，/more 看更多引文，/quit 或 Ctrl-D 退出。", file=stdout)  # fmt: skip
    more: str | None = None
    for line in _terminal_lines() if interactive else _piped_lines(stdin):
        text, note = cut_question(line)
        if text.lower() in QUIT_WORDS:
            break
        if not text:
            continue
        if note:
            print(note, file=stdout, flush=True)
        try:
            if text.lower() in MORE_WORDS:
                reply = (conversation.more(more) if more else None) or conversation.say(messages.NO_MORE)
            else:
                reply = _answer(conversation, text, stderr if interactive else None)
        except KeyboardInterrupt:
            if not interactive:
                raise
            print("（已取消）", file=stdout, flush=True)
            continue
        if reply is None:
            continue
        more = reply.more
        print(_with_button(reply), file=stdout, flush=True)
        print(file=stdout, flush=True)
    return 0


def _with_button(reply: Reply) -> str:
    """A reply with the terminal's equivalent of the bot's "more" button under it."""
    if reply.more is None:
        return reply.text
    return f"{reply.text}\n（还有 {reply.remaining} 条引文：输入 /more 查看）"
