"""Hostile Telegram updates, seeded, and a player that sends them through the Bot API emulator.

`HostileUpdates(seed)` makes plain descriptions of updates: text from many Unicode planes,
combining marks, bidirectional overrides, zero-width characters, emoji ZWJ sequences, CJK
Extension B, control characters, text that looks like HTML or Markdown, 4,096-character
messages whose UTF-16 length exceeds their length, commands with odd arguments, impossible
dates and huge numbers; stickers; forged "more" callback data; inline queries; in private
chats and in groups (addressed to the bot or not). Each description says whether the bot owes
it an answer. `Player` turns descriptions into updates (resolving "a reply to one of the bot's
messages" or "a button of one of its answers" against what the bot has sent by then), and
`Answers` counts what the bot sent back to each of them. `play` does all three in waves.

Used by tests/test_fuzz.py (500 updates) and bench/fuzz_bot.py (any number).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from tests.telegram_emulator import ApiCall, SentMessage, TelegramEmulator

BOT_NAME = "NewsQABot"
OTHER_BOT = "OtherBot"
MAX_TEXT = 4096  # Telegram's limit for a message a user sends
MAX_INLINE_QUERY = 256

# Code point ranges to draw from (no surrogates: Telegram delivers valid UTF-8 only).
PLANES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1, Latin Extended
    (0x0370, 0x052F),  # Greek, Cyrillic
    (0x0590, 0x06FF),  # Hebrew, Arabic (right to left)
    (0x0900, 0x0DFF),  # Indic scripts
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2000, 0x206F),  # general punctuation: spaces, zero-width and bidirectional controls
    (0x2100, 0x27BF),  # letterlike, arrows, mathematics, dingbats
    (0x2F00, 0x2FDF),  # Kangxi radicals
    (0x3000, 0x30FF),  # CJK punctuation, kana
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xE000, 0xF8FF),  # private use
    (0xFE00, 0xFE6F),  # variation selectors, CJK compatibility forms
    (0xFF00, 0xFFFF),  # full width forms, specials (U+FFFD, noncharacters)
    (0x1D400, 0x1D7FF),  # mathematical alphanumerics
    (0x1F000, 0x1FAFF),  # emoji and symbols
    (0x20000, 0x2A6DF),  # CJK Extension B
    (0xE0000, 0xE007F),  # tag characters
    (0xF0000, 0xFFFFD),  # supplementary private use
)
CJK = (0x4E00, 0x9FFF)
EXTENSION_B = (0x20000, 0x2A6DF)
COMBINING = (0x0300, 0x036F)
BIDI = ("\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f")
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u00ad", "\u034f")
ZWJ_EMOJI = ("👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏽‍💻", "🧑‍🤝‍🧑", "❤️‍🔥", "🇨🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👁️‍🗨️", "🫱🏻‍🫲🏿", "1️⃣")
ASTRAL_EMOJI = tuple(chr(c) for c in range(0x1F600, 0x1F650))
CONTROLS = tuple(chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0x85))
MARKUP = (
    "<b><i></b>",
    "</blockquote>",
    "<blockquote expandable>",
    "&#0;",
    "&#x110000;",
    "&amp;",
    "&lt;",
    "&",
    "<",
    ">",
    "*_[",
    "```",
    "`code`",
    "[x](http://e.com)",
    "||spoiler||",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="tg://user?id=1">',
    "<tg-spoiler>",
    "<pre><code class='x'>",
    "<!-- -->",
    "]]>",
    "\\",
    "%s%n%x",
    "{0}{name}",
    "${jndi:ldap://x}",
    "'; DROP TABLE articles; --",
    "\\u0000",
    "<script>alert(1)</script>",
)
NEWS_WORDS = (
    "上海",
    "核酸",
    "包保责任制",
    "疫情防控",
    "李强",
    "物资保供",
    "月浦镇",
    "社会面清零",
    "核酸筛查",
    "医疗救助",
)
QUESTIONS = (
    "包保责任制是怎么安排的",
    "4月6日上海召开了什么会议？",
    "月浦镇全员核酸检测人口有多少？",
    "上海物资保供怎么做",
)
BAD_DATES = (
    "2022年13月45日",
    "2月30日",
    "十三月",
    "2022年2月29日",
    "4月31日",
    "0月0日",
    "9999年12月31日",
    "三十二日",
    "2022年0月",
    "十三月三十二日",
    "公元前500年1月1日",
    "-1月-1日",
    "99999999999年1月1日",
)
HUGE_NUMBERS = (
    "9" * 60,
    str(2**64),
    str(-(2**63)),
    "1e308",
    "1e-400",
    "NaN",
    "∞",
    "０１２３",
    "一千亿亿亿",
    "0x7fffffff",
)
COMMAND_NAMES = ("ask", "search", "latest", "start", "help", "ASK", "Search", "more", "unknown", "a", "x" * 64)


# ---------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class PrivateText:
    user: int
    text: str


@dataclass(frozen=True)
class Sticker:
    chat: int  # == user for a private chat
    user: int
    reply_to_bot: bool = False


@dataclass(frozen=True)
class GroupText:
    chat: int
    user: int
    text: str
    addressed: bool
    reply_to_bot: bool = False  # the player picks one of the bot's messages in the chat
    reply_to_user: bool = False  # ... or one of the users' messages
    thread: int | None = None
    forum: bool = False


@dataclass(frozen=True)
class Callback:
    user: int
    data: str | None
    source: Literal["forged", "genuine", "stolen"] = "forged"  # genuine/stolen: a real key, own or another chat's
    target: Literal["keyboard", "inaccessible", "inline"] = "keyboard"


@dataclass(frozen=True)
class Inline:
    user: int
    query: str
    chat_type: str | None


Hostile = PrivateText | Sticker | GroupText | Callback | Inline


@dataclass(frozen=True)
class Expectation:
    """What the bot owes one update: `kind` and `key` say where its answer is counted."""

    kind: Literal["message", "callback", "inline"]
    key: tuple[int, int] | str  # (chat id, message id) or a query id
    addressed: bool
    label: str


# ---------------------------------------------------------------- the generator


class HostileUpdates:
    """A seeded source of hostile update descriptions (the same seed, the same descriptions)."""

    def __init__(self, seed: int, *, users: int = 5000, groups: int = 16) -> None:
        self.rng = random.Random(seed)
        self.users = [1_000_000 + n for n in range(users)]
        self.groups = [-1_001_000_000_000 - n for n in range(groups)]
        self.forums = set(self.groups[: max(1, groups // 4)])

    # -- text
    def run(self, low: int, high: int, length: int) -> str:
        return "".join(chr(self.rng.randint(low, high)) for _ in range(length))

    def fragment(self) -> str:
        """One short piece of hostile text."""
        rng = self.rng
        pick = rng.randrange(12)
        if pick == 0:
            return self.run(*rng.choice(PLANES), rng.randint(1, 30))
        if pick == 1:  # "Zalgo": a letter under a pile of combining marks
            return rng.choice("a上ж").join(self.run(*COMBINING, rng.randint(1, 40)) for _ in range(2))
        if pick == 2:
            return rng.choice(BIDI) + self.run(*rng.choice(PLANES), rng.randint(1, 12)) + rng.choice(BIDI)
        if pick == 3:
            return rng.choice(ZERO_WIDTH).join(rng.choice(NEWS_WORDS))
        if pick == 4:
            return "".join(rng.choices(ZWJ_EMOJI, k=rng.randint(1, 8)))
        if pick == 5:
            return self.run(*EXTENSION_B, rng.randint(1, 20))
        if pick == 6:
            return "".join(rng.choices(CONTROLS, k=rng.randint(1, 6)))
        if pick == 7:
            return "".join(rng.choices(MARKUP, k=rng.randint(1, 4)))
        if pick == 8:
            return rng.choice(BAD_DATES)
        if pick == 9:
            return rng.choice(HUGE_NUMBERS)
        if pick == 10:
            return rng.choice(QUESTIONS)
        return rng.choice(NEWS_WORDS)

    def long_text(self) -> str:
        """4,096 characters of CJK, astral emoji or Extension B (UTF-16 length up to 8,192)."""
        rng = self.rng
        pick = rng.randrange(4)
        if pick == 0:
            return self.run(*CJK, MAX_TEXT)
        if pick == 1:
            return "".join(rng.choices(ASTRAL_EMOJI, k=MAX_TEXT))
        if pick == 2:
            return self.run(*EXTENSION_B, MAX_TEXT)
        return (rng.choice(QUESTIONS) + "".join(rng.choices(ZWJ_EMOJI, k=MAX_TEXT)))[:MAX_TEXT]

    def text(self) -> str:
        """A hostile message text, as Telegram would deliver it (1 to 4,096 characters, trimmed)."""
        rng = self.rng
        if rng.random() < 0.06:
            text = self.long_text()
        else:
            separators = ("", " ", "\n", "\t", "　")
            text = "".join(self.fragment() + rng.choice(separators) for _ in range(rng.randint(1, 8)))
        return deliverable(text)

    def command(self) -> str:
        """A command with odd arguments, e.g. `/latest 2022年13月45日` or `/search` and 500 words."""
        rng = self.rng
        fixed = (
            "/latest 2022年13月45日",
            "/search " + " ".join(rng.choice(NEWS_WORDS) for _ in range(500)),
            f"/ask@{OTHER_BOT} x",
            f"/ask@{BOT_NAME}",
            f"/start@{BOT_NAME} extra",
            f"/latest {rng.choice(BAD_DATES)}",
            f"/ask {rng.choice(HUGE_NUMBERS)}",
            f"/ask@{BOT_NAME.lower()} {rng.choice(QUESTIONS)}",
            f"/ask@{BOT_NAME}@{BOT_NAME} {rng.choice(NEWS_WORDS)}",
            f"/ask@{BOT_NAME}X {rng.choice(NEWS_WORDS)}",
        )
        if rng.random() < 0.5:
            return rng.choice(fixed)
        name = rng.choice(COMMAND_NAMES)
        target = rng.choice(("", "", f"@{BOT_NAME}", f"@{BOT_NAME.upper()}"))
        arguments = rng.choice(("", " " + self.text(), "\n" + self.text(), " " + rng.choice(BAD_DATES)))
        return deliverable(f"/{name}{target}{arguments}")

    def callback_data(self) -> tuple[str | None, Literal["forged", "genuine", "stolen"]]:
        """Forged "more" button data: random strings, other users' ids, huge pages, or a real key."""
        rng = self.rng
        pick = rng.randrange(11)
        forged: list[str | None] = [
            "more:" + secrets.token_urlsafe(6),
            f"more:{rng.choice(self.users)}:{rng.randint(0, 10**12)}",
            f"more:{'9' * rng.randint(1, 59)}",
            "more:",
            "",
            None,
            "more:" + self.text()[:200],
            self.text()[:64],
            rng.choice(("more:../../etc/passwd", "more:\x00", "more:%00", "MORE:abc", " more:abc", "more:-1")),
        ]
        if pick < len(forged):
            return forged[pick], "forged"
        return None, "genuine" if pick == len(forged) else "stolen"

    # -- descriptions
    def update(self) -> Hostile:
        """One hostile update description."""
        rng = self.rng
        user = rng.choice(self.users)
        roll = rng.random()
        if roll < 0.26:
            return PrivateText(user, self.text())
        if roll < 0.38:
            return PrivateText(user, self.command())
        if roll < 0.41:
            return Sticker(user, user)
        if roll < 0.72:
            return self.group_update(user)
        if roll < 0.86:
            data, source = self.callback_data()
            target = rng.choices(("keyboard", "inaccessible", "inline"), weights=(8, 1, 1))[0]
            return Callback(user, data, source, target)  # type: ignore[arg-type]
        chat_type = rng.choice(("sender", "private", "group", "supergroup", "channel", None))
        query = self.text()[:MAX_INLINE_QUERY]
        return Inline(user, rng.choice((query, query, self.command()[:MAX_INLINE_QUERY], " ", "")), chat_type)

    def group_update(self, user: int) -> Hostile:
        """A group message: a command, a mention, a reply to the bot, or chatter the bot must ignore."""
        rng = self.rng
        chat = rng.choice(self.groups)
        forum = chat in self.forums
        where = {"thread": rng.choice((None, 7, 8)) if forum else None, "forum": forum}
        roll = rng.random()
        if roll < 0.25:
            return GroupText(chat, user, self.command_for_us(), True, **where)
        if roll < 0.42:
            return GroupText(chat, user, self.mentioning(), True, **where)
        if roll < 0.55:
            return GroupText(chat, user, self.chatter(), True, reply_to_bot=True, **where)
        if roll < 0.60:
            return Sticker(chat, user, reply_to_bot=rng.random() < 0.5)
        if roll < 0.68:
            other = deliverable(f"/{rng.choice(COMMAND_NAMES)}@{OTHER_BOT} {self.text()}")
            return GroupText(chat, user, other, False, **where)
        return GroupText(chat, user, self.chatter(), False, reply_to_user=rng.random() < 0.3, **where)

    def command_for_us(self) -> str:
        """A command the bot must answer in a group (no other bot named)."""
        while True:
            command = self.command()
            target = command.split(maxsplit=1)[0].partition("@")[2]
            if command[1:2].isascii() and command[1:2].isalpha() and target.lower() in ("", BOT_NAME.lower()):
                return command

    def mentioning(self) -> str:
        """Hostile text with @NewsQABot in it, between spaces (so Telegram sees a mention)."""
        before, after = self.text()[:2000], self.text()[:2000]
        name = self.rng.choice((BOT_NAME, BOT_NAME.lower(), BOT_NAME.upper()))
        return deliverable(self.rng.choice((f"@{name} {after}", f"{before} @{name} {after}", f"{before} @{name}")))

    def chatter(self) -> str:
        """Group text meant for people: no command at its start, no mention of the bot."""
        text = self.text()
        if BOT_NAME.lower() in text.lower() or text.strip().startswith("/"):
            return deliverable("聊天 " + text.replace("/", "").replace("@", "")[: MAX_TEXT - 3])
        return text

    def updates(self, count: int) -> Iterator[Hostile]:
        for _ in range(count):
            yield self.update()


def deliverable(text: str) -> str:
    """Text as Telegram delivers it: at most 4,096 characters, trimmed, never empty."""
    text = text[:MAX_TEXT].strip(" \t\n\r\v\f")
    return text or "\u200b"


# ---------------------------------------------------------------- the player


class Player:
    """Sends descriptions through the emulator as users would, and records what each is owed."""

    def __init__(self, tg: TelegramEmulator, seed: int) -> None:
        self.tg = tg
        self.rng = random.Random(seed)
        self.inline_messages = 0

    def bot_message(self, chat: int | None = None, *, keyboard: bool = False) -> SentMessage | None:
        """One of the bot's current messages (in `chat`; with a "more" button), at random."""
        sent = self.tg.bot_messages(chat) if chat is not None else self.tg.bot_messages()
        candidates = [m for m in sent[-200:] if not m.deleted and (not keyboard or self.more_data(m))]
        return self.rng.choice(candidates) if candidates else None

    def more_data(self, message: SentMessage) -> str | None:
        current = self.tg.get_message(message.chat_id, message.message_id) or {}
        rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
        data = [button.get("callback_data") for row in rows for button in row if button.get("callback_data")]
        return data[0] if data else None

    async def play(self, hostile: Hostile) -> Expectation | None:
        """Send one update; None when it could not be made (e.g. no button to press yet)."""
        if isinstance(hostile, PrivateText):
            sent = await self.tg.send_private_text(hostile.user, hostile.text)
            return message_expectation(sent, True, "private text")
        if isinstance(hostile, Sticker):
            return await self.play_sticker(hostile)
        if isinstance(hostile, GroupText):
            return await self.play_group(hostile)
        if isinstance(hostile, Callback):
            return await self.play_callback(hostile)
        query_id = await self.tg.send_inline_query(hostile.user, hostile.query, chat_type=hostile.chat_type)
        return Expectation("inline", query_id, True, f"inline query {hostile.query[:40]!r}")

    async def play_sticker(self, hostile: Sticker) -> Expectation:
        private = hostile.chat == hostile.user
        target = self.bot_message(hostile.chat) if hostile.reply_to_bot and not private else None
        reply_to = target.message_id if target else None
        sent = await self.tg.send_sticker(hostile.chat, hostile.user, reply_to_message_id=reply_to)
        return message_expectation(sent, private or target is not None, "sticker")

    async def play_group(self, hostile: GroupText) -> Expectation:
        text, addressed, reply_to = hostile.text, hostile.addressed, None
        if hostile.reply_to_bot:
            target = self.bot_message(hostile.chat)
            if target is None:  # nothing to reply to yet: mention the bot instead
                text = deliverable(f"@{BOT_NAME} {text}")
            else:
                reply_to = target.message_id
        elif hostile.reply_to_user:
            people = [m for m in self.tg.chat_messages(hostile.chat) if not m["from"]["is_bot"]]
            reply_to = self.rng.choice(people[-50:])["message_id"] if people else None
        thread = hostile.thread if reply_to is None else None
        sent = await self.tg.send_group_text(hostile.chat, hostile.user, text, reply_to_message_id=reply_to,
                                             message_thread_id=thread, is_forum=hostile.forum)  # fmt: skip
        label = "group " + ("reply to the bot" if reply_to and hostile.reply_to_bot else "message")
        return message_expectation(sent, addressed, label)

    async def play_callback(self, hostile: Callback) -> Expectation | None:
        tg, data = self.tg, hostile.data
        if hostile.target == "inline":
            self.inline_messages += 1
            query_id = await tg.forge_callback_query(hostile.user, data, inline_message_id=f"inl{self.inline_messages}")
            return Expectation("callback", query_id, True, f"callback on an inline message {data!r}")
        message = self.bot_message(keyboard=hostile.source != "forged" or self.rng.random() < 0.8)
        message = message or self.bot_message()
        if message is None:
            return None
        if hostile.source == "genuine":
            data = self.more_data(message)
        elif hostile.source == "stolen":
            other = self.bot_message(keyboard=True)
            data = self.more_data(other) if other and other.chat_id != message.chat_id else "more:stolen"
        query_id = await tg.forge_callback_query(hostile.user, data, message,
                                                 inaccessible=hostile.target == "inaccessible")  # fmt: skip
        return Expectation("callback", query_id, True, f"{hostile.source} callback {data!r}")


def message_expectation(message: dict, addressed: bool, label: str) -> Expectation:
    key = (message["chat"]["id"], message["message_id"])
    return Expectation("message", key, addressed, f"{label} {message.get('text', '<sticker>')[:60]!r}")


# ---------------------------------------------------------------- counting answers


class Answers:
    """Counts, incrementally, the bot's answers to each update: replies and query answers."""

    def __init__(self, tg: TelegramEmulator) -> None:
        self.tg = tg
        self.counts: Counter[tuple[str, object]] = Counter()
        self._seen = 0
        self._in_flight: list[ApiCall] = []

    def refresh(self) -> None:
        calls = self.tg.calls
        self._in_flight.extend(calls[self._seen :])
        self._seen = len(calls)
        still = []
        for call in self._in_flight:
            if not call.done:
                still.append(call)
            else:
                self._count(call)
        self._in_flight = still

    def _count(self, call: ApiCall) -> None:
        if call.method == "sendMessage" and call.ok:
            replied = call.result.get("reply_to_message")
            if replied:
                self.counts["message", (call.result["chat"]["id"], replied["message_id"])] += 1
        elif call.method == "answerCallbackQuery":
            self.counts["callback", str(call.params.get("callback_query_id"))] += 1
        elif call.method == "answerInlineQuery":
            self.counts["inline", str(call.params.get("inline_query_id"))] += 1

    def of(self, expectation: Expectation) -> int:
        return self.counts[expectation.kind, expectation.key]

    def settled(self, expectations: list[Expectation]) -> bool:
        """Every addressed update answered at least once."""
        self.refresh()
        return all(self.of(e) for e in expectations if e.addressed)


@dataclass
class Tally:
    """The outcome of a fuzzing run."""

    sent: int = 0
    addressed: int = 0
    replies: int = 0
    unanswered: list[Expectation] = field(default_factory=list)
    answered_twice: list[Expectation] = field(default_factory=list)
    answered_unaddressed: list[Expectation] = field(default_factory=list)

    @classmethod
    def of(cls, answers: Answers, expectations: list[Expectation]) -> Tally:
        answers.refresh()
        tally = cls(sent=len(expectations))
        for expectation in expectations:
            count = answers.of(expectation)
            tally.replies += count
            if expectation.addressed:
                tally.addressed += 1
                if count == 0:
                    tally.unanswered.append(expectation)
                elif count > 1:
                    tally.answered_twice.append(expectation)
            elif count:
                tally.answered_unaddressed.append(expectation)
        return tally


async def wait_settled(answers: Answers, expectations: list[Expectation], timeout: float) -> bool:
    """Poll until every addressed update is answered, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not answers.settled(expectations):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def play(tg: TelegramEmulator, updates: HostileUpdates, count: int, *, wave: int = 50, timeout: float = 30.0,
               settle: float = 0.3, progress: bool = False) -> tuple[list[Expectation], Answers]:  # fmt: skip
    """Send `count` hostile updates in waves, each wave answered before the next is sent.

    Waves let later updates reply to, and press buttons of, what the bot sent earlier.
    After the last wave, `settle` seconds more catch answers sent twice.
    """
    player, answers = Player(tg, updates.rng.randrange(2**32)), Answers(tg)
    expectations: list[Expectation] = []
    sent = 0
    while sent < count:
        batch = min(wave, count - sent)
        for hostile in updates.updates(batch):
            expectation = await player.play(hostile)
            if expectation is None:  # e.g. no button to press yet: send a private question instead
                expectation = await player.play(PrivateText(updates.rng.choice(updates.users), updates.text()))
            expectations.append(expectation)
        sent += batch
        started = time.monotonic()
        settled = await wait_settled(answers, expectations, timeout)
        if progress:
            missing = [e for e in expectations if e.addressed and not answers.of(e)]
            print(f"{sent} sent, wave answered in {time.monotonic() - started:.1f} s"
                  + ("" if settled else f", {len(missing)} unanswered: {missing[:3]}"), flush=True)  # fmt: skip
    await wait_settled(answers, expectations, timeout)  # the last waves, if they were slow
    await asyncio.sleep(settle)
    return expectations, answers
