"""The handler layer shared by Telegram and the local chat: message in, what to answer out.

It knows chats (private or group, mentions, replies, commands), access rules and wording,
and nothing of the transport: `bot.app` turns Telegram updates into `Incoming` and sends
the `Reply`; `bot.local_chat` does the same for a terminal. `decide` is cheap and runs on
the event loop; `run` calls the engine (CPU work) and belongs in a worker thread.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from retrieval.answer import Answer, highlight_spans, shorten
from retrieval.engine import MAX_QUESTION_CHARS, CorpusStats, Engine

from . import following, messages
from .access import AllowList, RateLimiter
from .examples import archive_examples
from .pages import Page, PageStore, Style
from .render_base import PageRenderer
from .settings import Settings

SEARCH_HITS = 16
SEARCH_PAGE = 8
SEARCH_QUOTE_CHARS = 120
INLINE_RESULTS = 5
INLINE_DESCRIPTION_CHARS = 100
INLINE_RATE_FACTOR = 5  # inline queries per minute = questions per minute x this
PAGES_PER_ANSWER = 3  # an answer holds up to this many pages of quotes

_NOT_SEARCHABLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Mn", "Me", "So", "Sk"})
_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,63})(?:@([A-Za-z0-9_]{3,32}))?(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Incoming:
    """A message as the handler layer sees it; `text` is None for stickers, photos and such."""

    chat_id: int
    user_id: int
    text: str | None
    private: bool = True
    reply_to_bot: bool = False


@dataclass(frozen=True)
class _Addressed:
    command: str | None  # None for a plain question
    rest: str  # the words after the command, mention removed
    not_text: bool = False


@dataclass(frozen=True)
class Question:
    """A search to run: the words and how to present the result."""

    text: str
    style: Style | Literal["start", "trend"] = "ask"  # "start": /start while the archive's examples are computed


@dataclass(frozen=True)
class Reply:
    """A message to send; `more` is the PageStore key of the next page, if any."""

    text: str
    parse_mode: str | None = None
    more: str | None = None
    remaining: int = 0
    photo: bytes | None = None  # a PNG to send with `text` as its caption (/trend)


@dataclass(frozen=True)
class InlineItem:
    """One inline-mode result: a quote offered for sending."""

    key: str
    title: str
    description: str
    text: str
    parse_mode: str | None


class Conversation:
    """Decides, for each incoming message, whether and what to answer."""

    def __init__(self, engine: Engine, settings: Settings, renderer: PageRenderer,
                 store: PageStore | None = None, bot_username: str = "newsqa_bot",
                 clock: Callable[[], float] = time.monotonic, terminal: bool = False) -> None:  # fmt: skip
        self.engine = engine
        self.terminal = terminal  # the local chat: /help speaks of the terminal, not of Telegram
        self.settings = settings
        self.renderer = renderer
        self.store = store if store is not None else PageStore()
        self.bot_username = bot_username
        self.rate = RateLimiter(settings.questions_per_minute, clock)
        # Inline queries arrive as the user types, so they get a wider budget of their own.
        self.inline_rate = RateLimiter(settings.questions_per_minute * INLINE_RATE_FACTOR, clock)
        self.allow = AllowList(settings.allowed_chats)

    @property
    def stats(self) -> CorpusStats:
        """The corpus figures as of the engine's last refresh (cached there: never waits)."""
        return self.engine.stats()

    # ------------------------------------------------------------------ decisions
    def decide(self, msg: Incoming) -> Reply | Question | None:
        """Cheap: ignore, answer in the bot's own words, or ask for a search."""
        addressed = self._addressed(msg)
        if addressed is None:
            return None
        if not self.allow.allows(msg.chat_id):
            return self.say(messages.REFUSED) if self.allow.first_refusal(msg.chat_id) else None
        wait = self.rate.wait_seconds(msg.user_id)
        if wait:
            if not self.rate.first_warning(msg.user_id):
                return None
            return self.say(messages.RATE_LIMITED.format(seconds=wait))
        if addressed.command in following.COMMANDS:
            return self._following(addressed.command, searchable(addressed.rest), msg.chat_id)
        return self._command(addressed)

    def _following(self, command: str, words: str, chat_id: int) -> Reply | Question:
        """/trend (a chart to draw), /follow, /following, /unfollow (bot.following)."""
        if command == "trend":
            problem = following.keyword_problem(command, words)
            return self.say(problem) if problem else Question(words, "trend")
        return self.say(following.alert_command(self.engine.index_dir, chat_id, command, words, self.terminal))

    def _addressed(self, msg: Incoming) -> _Addressed | None:
        """The command and its words when the message is meant for the bot, else None."""
        if msg.text is None:
            return _Addressed(None, "", not_text=True) if msg.private or msg.reply_to_bot else None
        text = msg.text.strip()
        command = _COMMAND.match(text)
        if command:
            name, target, rest = command.groups()
            if target and target.lower() != self.bot_username.lower():
                # /ask@OtherBot: another bot's, but in a private chat everything is said to us
                return _Addressed(f"{name}@{target}".lower(), "") if msg.private else None
            return _Addressed(name.lower(), rest.strip())
        if msg.private or msg.reply_to_bot or self._mention().search(text):
            return _Addressed(None, self._without_mention(text))
        return None

    def _mention(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![A-Za-z0-9_])@{re.escape(self.bot_username)}(?![A-Za-z0-9_])", re.IGNORECASE)

    def _without_mention(self, text: str) -> str:
        return self._mention().sub(" ", text).strip()

    def _command(self, addressed: _Addressed) -> Reply | Question | None:
        command, rest = addressed.command, addressed.rest
        if addressed.not_text:
            return self.say(messages.NOT_TEXT.format(example=self.example()))
        if command == "start":
            examples = self.examples(wait=False)
            return Question("", "start") if examples is None else self.say(self._start_text(examples))
        if command == "help":
            if self.terminal:
                return self.say(messages.terminal_help_text([self.example()], MAX_QUESTION_CHARS))
            return self.say(messages.help_text(self.bot_username, [self.example()]))
        styles: dict[str | None, Style] = {None: "ask", "ask": "ask", "search": "search", "latest": "latest"}
        if command not in styles:
            return self.say(messages.UNKNOWN_COMMAND)
        style = styles[command]
        if not rest and style == "latest":
            return Question("", style)  # the newest articles of the whole archive
        if not rest:
            usage = {"ask": messages.ASK_USAGE, "search": messages.SEARCH_USAGE}
            return self.say((messages.EMPTY if command is None else usage[style]).format(example=self.example()))
        words = searchable(rest)
        if len(words) > messages.MAX_QUESTION_CHARS:
            return self.say(messages.TOO_LONG.format(length=len(words), limit=messages.MAX_QUESTION_CHARS))
        if not any(char.isalnum() for char in words):
            return self.say(messages.NO_WORDS.format(example=self.example()))
        return Question(words, style)

    def examples(self, wait: bool = True) -> list[str] | None:
        """NEWSQA_EXAMPLE_QUESTIONS, else questions from the newest articles that the engine answers.

        The archive's examples are computed once per state of the index: blocking (searches)
        when `wait`, else None until they are ready.
        """
        if self.settings.example_questions:
            return list(self.settings.example_questions)
        archive = archive_examples(self.engine)
        return archive.get() if wait else archive.current()

    def example(self) -> str:
        """One example for usage hints; cheap (never waits for the archive's examples)."""
        if self.settings.example_questions:
            return self.settings.example_questions[0]
        archive = archive_examples(self.engine)
        return next(iter(archive.last()), None) or archive.unchecked()

    def _start_text(self, examples: list[str]) -> str:
        return messages.start_text(self.stats, examples)

    def say(self, text: str) -> Reply:
        """A reply in the bot's own words."""
        return Reply(self.renderer.notice(text), self.renderer.parse_mode)

    # ------------------------------------------------------------------ searching
    def run(self, question: Question) -> Reply:
        """Blocking: search, then render the first page (and keep the rest for "more")."""
        if question.style == "trend":
            caption, png = following.trend(self.engine, question.text, self.terminal)
            return Reply(self.renderer.notice(caption), self.renderer.parse_mode, photo=png)
        if question.style == "start":
            return self.say(self._start_text(self.examples() or []))
        page_size = SEARCH_PAGE if question.style == "search" else self.settings.quotes_per_page
        if question.style == "search":
            answer = _shortened(self.engine.answer(question.text, k=SEARCH_HITS), SEARCH_QUOTE_CHARS)
            header = messages.SEARCH_HEADER.format(words=question.text)
        elif question.style == "latest" and not question.text:
            answer = self.engine.newest(k=page_size * PAGES_PER_ANSWER)
            header = messages.NEWEST_HEADER
        else:
            latest = question.style == "latest"
            answer = self.engine.answer(question.text, k=page_size * PAGES_PER_ANSWER, latest=latest)
            header = messages.LATEST_HEADER.format(words=question.text) if latest else ""
        if not answer.found:
            return self.say(messages.no_answer_text(self.stats))
        return self.show(Page(answer, question.style, 0, page_size, header))

    def respond(self, msg: Incoming) -> Reply | None:
        """decide + run, for callers without an event loop (the local chat)."""
        decision = self.decide(msg)
        return self.run(decision) if isinstance(decision, Question) else decision

    def show(self, page: Page, key: str | None = None) -> Reply:
        """Render a page; remember the next one under `key` (or a new key)."""
        rendered = self.renderer.page(page)
        following = page.following(max(rendered.shown, 1))
        if following is None:
            return Reply(rendered.text, self.renderer.parse_mode)
        key = self.store.put(following, key)
        remaining = len(page.answer.quotes) - following.start
        return Reply(rendered.text, self.renderer.parse_mode, more=key, remaining=remaining)

    def more(self, key: str, owner: tuple[int, int] | None = None) -> Reply | None:
        """The next page for a "more" button, or None when the key is unknown (expired) or, given the
        button's (chat id, message id), belongs to another message."""
        page = self.store.pop(key, owner)
        return None if page is None else self.show(page, key)

    # ------------------------------------------------------------------ inline mode
    def inline_allowed(self, user_id: int) -> bool:
        """Allowed users (inline queries come from users: the allowed private chats) within their rate."""
        return self.allow.allows(user_id) and self.inline_rate.wait_seconds(user_id) == 0

    def inline(self, query: str) -> list[InlineItem]:
        """Blocking: the top quotes for an inline query, each a ready-to-send message."""
        query = searchable(query)[: messages.MAX_QUESTION_CHARS]
        if not any(char.isalnum() for char in query):
            return []
        answer = self.engine.answer(query, k=INLINE_RESULTS)
        items = []
        for number, quote in enumerate(answer.quotes):
            description = (
                quote.text
                if len(quote.text) <= INLINE_DESCRIPTION_CHARS
                else (quote.text[: INLINE_DESCRIPTION_CHARS - 1] + "…")
            )
            items.append(
                InlineItem(
                    key=str(number),
                    title=f"{quote.title[:80]} · {quote.date_label}",
                    description=description,
                    text=self.renderer.quote_message(quote),
                    parse_mode=self.renderer.parse_mode,
                )
            )
        return items


def searchable(text: str) -> str:
    """The question as searched (and echoed): runs of whitespace become one space; control and
    format characters (zero-width, bidirectional overrides), private-use, unassigned and
    surrogate code points, combining marks left after NFC, and symbols (emoji) are dropped.

    None of these can match the archive's words, and each costs the semantic model a token:
    a question under a pile of combining marks or emoji took seconds to embed. Dropping
    zero-width characters also joins words that pasted text splits ("包\u200b保" is 包保).
    """
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            if kept and kept[-1] != " ":
                kept.append(" ")
        elif unicodedata.category(char) not in _NOT_SEARCHABLE:
            kept.append(char)
    return "".join(kept).strip()


def _shortened(answer: Answer, chars: int) -> Answer:
    """The answer with each quote re-cut to about `chars` characters around the matched terms."""
    terms = list(answer.terms)
    quotes = []
    for quote in answer.quotes:
        text = shorten(quote.full_text or quote.text, terms, chars)
        quotes.append(replace(quote, text=text, spans=highlight_spans(text, terms)))
    return replace(answer, quotes=tuple(quotes))
