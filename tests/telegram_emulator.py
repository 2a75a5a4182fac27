"""A small, faithful Telegram Bot API emulator for end-to-end tests.

It is an aiohttp server on 127.0.0.1 that a real python-telegram-bot Application
talks to through ``ApplicationBuilder().base_url(tg.base_url)``::

    async with TelegramEmulator() as tg:
        app = (ApplicationBuilder().token(tg.token).base_url(tg.base_url)
               .base_file_url(tg.base_file_url).build())
        ...  # add handlers, initialize, start, updater.start_polling()
        sent = await tg.send_private_text(42, "/ask 今天有什么新闻？")
        [reply] = await tg.wait_for_bot_messages(42, after_message_id=sent["message_id"])
        assert reply.entity_texts("bold") == ["新闻"]

Requests are validated the way Telegram validates them (HTML markup, text length,
reply targets, inline keyboards, query ids) and answered with Telegram's error
descriptions, so PTB raises the same ``BadRequest`` it would raise in production.
``fail_requests`` makes it answer every call with an error (a 5xx outage, a rejected
token) until ``recover``; ``forge_callback_query`` sends what a modified client could.
Group chats follow privacy mode by default: the bot only receives commands,
mentions of itself and replies to its own messages. ``block_chat`` answers a chat's calls with
403, as for a user who blocked the bot. sendPhoto takes an uploaded PNG or JPEG (kept in
``SentMessage.photo``). Not emulated: other media, files,
webhook delivery, Markdown parse modes (answered with an explicit 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import aiohttp
from aiohttp import web

from .telegram_html import (
    MAX_MESSAGE_LENGTH,
    EntityParseError,
    entity_text,
    find_auto_entities,
    merge_auto_entities,
    normalize_url,
    parse_html,
    trim_text,
)

T = TypeVar("T")

MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CAPTION_LENGTH = 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_INLINE_RESULTS = 50
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types delivered when getUpdates is called without allowed_updates.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
INLINE_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "web_app",
    "login_url",
    "pay",
    "callback_game",
    "copy_text",
)
_QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

# How form/query string values (always strings on the wire) are decoded.
_JSON_PARAMS = {
    "reply_markup": "reply keyboard markup",
    "reply_parameters": "reply parameters",
    "entities": "entities",
    "caption_entities": "entities",
    "results": "inline query results",
    "commands": "bot commands",
    "scope": "bot command scope",
    "allowed_updates": "allowed updates",
    "link_preview_options": "link preview options",
    "button": "inline query results button",
    "media": "media",
}
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "user_id",
        "from_chat_id",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "show_alert",
        "is_personal",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_paid_broadcast",
    }
)


class ApiError(Exception):
    """An error answer of the Bot API (HTTP status plus description)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after  # flood control (429): the seconds Telegram asks to wait

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class WebhookDelivery:
    """One update POSTed to the bot's webhook, and the HTTP status it answered (0: no answer)."""

    update_id: int
    status: int


@dataclass
class ApiCall:
    """One request the bot made: method name and decoded parameters, then the answer."""

    method: str
    params: dict[str, Any]
    http_method: str = "POST"
    status: int | None = None  # None while the request is still being handled
    response: dict[str, Any] | None = None
    abandoned: bool = False  # the client hung up first (e.g. a cancelled long poll)

    @property
    def done(self) -> bool:
        return self.response is not None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    @property
    def description(self) -> str | None:
        return (self.response or {}).get("description")


@dataclass
class FormattedText:
    """Plain text plus MessageEntity dicts (UTF-16 offsets), as Telegram stores them."""

    text: str
    entities: list[dict]

    def entity_texts(self, entity_type: str) -> list[str]:
        """Texts covered by entities of a type, e.g. ``entity_texts("bold")``."""
        return [entity_text(self.text, e) for e in self.entities if e["type"] == entity_type]

    def has_entity(self, entity_type: str, substring: str) -> bool:
        """Whether ``substring`` lies inside some entity of ``entity_type``."""
        return any(substring in t for t in self.entity_texts(entity_type))


@dataclass
class SentMessage(FormattedText):
    """A message the bot sent; ``text``/``entities``/``message`` follow later edits."""

    chat_id: int
    message_id: int
    message: dict  # the Message object as returned to the bot (latest version)
    raw_text: str  # text as the bot sent it, e.g. with HTML tags
    parse_mode: str | None
    deleted: bool = False
    history: list[dict] = field(default_factory=list)  # earlier versions, before edits
    photo: bytes | None = None  # sendPhoto's uploaded file (``text`` is then the caption)

    @property
    def reply_markup(self) -> dict | None:
        return self.message.get("reply_markup")

    @property
    def reply_to_message_id(self) -> int | None:
        return (self.message.get("reply_to_message") or {}).get("message_id")

    def buttons(self) -> list[dict]:
        """The inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass
class InlineAnswer:
    """An answerInlineQuery call: its results and the parsed text of each result."""

    inline_query_id: str
    params: dict[str, Any]
    results: list[dict]
    contents: list[FormattedText | None]  # parsed input_message_content per result


@dataclass
class _ChatState:
    chat: dict
    messages: dict[int, dict] = field(default_factory=dict)  # current, not deleted
    last_message_id: int = 0
    topics: set[int] = field(default_factory=set)


def _coerce_param(name: str, value: Any) -> Any:
    """Decode one request parameter; form and query values arrive as strings."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {_JSON_PARAMS[name]} JSON object") from None
    if name in _INT_PARAMS and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if name in _BOOL_PARAMS:
        return value.strip().lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge query string and body (JSON, form-urlencoded or multipart) into parameters."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            raw.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    value = {"file_name": value.filename, "content": value.file.read()}
                raw[key] = value
    return {key: _coerce_param(key, value) for key, value in raw.items()}


def check_reply_markup(markup: Any) -> dict | None:
    """Validate reply_markup like Telegram; return what a Message echoes (inline keyboards)."""
    if markup is None:
        return None
    if not isinstance(markup, dict) or not any(
        key in markup for key in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
    ):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    buttons = [button for row in rows for button in row]
    if len(buttons) > 100:
        raise bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not any(action in button for action in _BUTTON_ACTIONS):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if "callback_data" in button and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
            raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and normalize_url(str(button["url"])) is None:
            raise bad_request("BUTTON_URL_INVALID")
    return {"inline_keyboard": rows}


def _update_type(update: dict) -> str:
    return next(key for key in update if key != "update_id")


class TelegramEmulator:
    """Bot API server for one bot; test code drives the users' side.

    Use as ``async with TelegramEmulator(token=...) as tg:``; give PTB
    ``tg.base_url`` and ``tg.base_file_url``.
    """

    _METHODS: ClassVar[dict[str, str]] = {
        "getMe": "_get_me",
        "logOut": "_ok",
        "close": "_ok",
        "getUpdates": "_get_updates",
        "setWebhook": "_set_webhook",
        "deleteWebhook": "_delete_webhook",
        "getWebhookInfo": "_get_webhook_info",
        "sendMessage": "_send_message",
        "editMessageText": "_edit_message_text",
        "editMessageReplyMarkup": "_edit_message_reply_markup",
        "deleteMessage": "_delete_message",
        "sendChatAction": "_send_chat_action",
        "answerCallbackQuery": "_answer_callback_query",
        "answerInlineQuery": "_answer_inline_query",
        "setMyCommands": "_set_my_commands",
        "getMyCommands": "_get_my_commands",
        "deleteMyCommands": "_delete_my_commands",
        "getChat": "_get_chat",
        "sendPhoto": "_send_photo",
    }

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        bot_username: str = "NewsQABot",
        bot_first_name: str = "NewsQA",
        privacy_mode: bool = True,
        strict_html: bool = True,
    ) -> None:
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.base_url = ""
        self.base_file_url = ""
        self.calls: list[ApiCall] = []
        self.updates: list[dict] = []  # every update delivered to the bot's queue
        self.webhook: dict[str, Any] | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._delivery: asyncio.Task[None] | None = None
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.inline_answers: dict[str, InlineAnswer] = {}
        self.users: dict[int, dict] = {}
        self._chats: dict[int, _ChatState] = {}
        self._sent: list[SentMessage] = []
        self._pending: list[dict] = []
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._open_queries: dict[str, str] = {}  # query id -> "callback" | "inline"
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._update_ids = itertools.count(100_000_001)
        self._poll_generation = 0
        self._closing = False
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._fault: ApiError | None = None
        self._fault_methods: frozenset[str] | None = None
        self._blocked: dict[int, str] = {}  # chat id -> the 403 description its sends get

    # ------------------------------------------------------------------ server

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port and set ``base_url``/``base_file_url``."""
        self._closing = False
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """End pending long polls and webhook deliveries, and shut the server down."""
        self._closing = True
        self._notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        canonical = next((m for m in self._METHODS if m.lower() == name.lower()), name)
        call = ApiCall(method=canonical, params={}, http_method=request.method)
        self.calls.append(call)
        try:
            if self._fault is not None and (self._fault_methods is None or canonical in self._fault_methods):
                raise self._fault
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = await _read_params(request)
            if canonical not in self._METHODS:
                raise ApiError(404, "Not Found: method not found")
            result = await getattr(self, self._METHODS[canonical])(call.params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.body()
        except ConnectionResetError:  # the client hung up while sending its request (it was cancelled)
            status, body = 499, {"ok": False, "error_code": 499, "description": "client closed the request"}
        call.status, call.response = status, body
        call.abandoned = request.transport is None or request.transport.is_closing() or status == 499
        self._notify()
        return web.json_response(body, status=status)

    def fail_requests(
        self,
        status: int = 500,
        description: str = "Internal Server Error",
        methods: Iterable[str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer every call (or every call of ``methods``) with this error until ``recover()``.

        ``fail_requests(401, "Unauthorized")`` is a token Telegram rejects; 500 or 502, an outage;
        ``fail_requests(429, "Too Many Requests: retry after 1", retry_after=1)``, flood control.
        """
        self._fault = ApiError(status, description, retry_after)
        self._fault_methods = frozenset(methods) if methods is not None else None

    def recover(self) -> None:
        """Answer calls normally again (after ``fail_requests``)."""
        self._fault = None
        self._fault_methods = None

    def _notify(self) -> None:
        """Wake everything waiting for a state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, predicate: Callable[[], Any], timeout: float) -> Any:
        """Wait until ``predicate()`` is truthy (returned) or ``timeout`` passes (None)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # ------------------------------------------------------------ chats, users

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        """Register or update a user (defaults: "User<id>", "user<id>", "zh-hans")."""
        user = self.users.setdefault(
            user_id,
            {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User{user_id}",
                "username": f"user{user_id}",
                "language_code": "zh-hans",
            },
        )
        updates = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
        user.update({key: value for key, value in updates.items() if value is not None})
        return user

    def add_group(
        self,
        chat_id: int,
        *,
        title: str | None = None,
        chat_type: str = "supergroup",
        is_forum: bool = False,
    ) -> dict:
        """Register a group chat (ids are negative, e.g. -1001234567890) and return it."""
        if chat_id >= 0 or chat_type not in ("group", "supergroup"):
            raise ValueError("groups need a negative id and type 'group' or 'supergroup'")
        state = self._chats.get(chat_id)
        if state is None:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"Group {chat_id}"}
            state = self._chats[chat_id] = _ChatState(chat)
        if is_forum:
            state.chat["is_forum"] = True
        return state.chat

    def _private_chat(self, user: dict) -> _ChatState:
        state = self._chats.get(user["id"])
        if state is None:
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            state = self._chats[user["id"]] = _ChatState(chat)
        return state

    def block_chat(self, chat_id: int, description: str = "Forbidden: bot was blocked by the user") -> None:
        """Answer every call about this chat with 403 (the user blocked the bot, or the group removed it)."""
        self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.pop(chat_id, None)

    def _require_chat(self, chat_id: Any) -> _ChatState:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, int) and chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])
        state = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if state is None:
            if chat_id in self.users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return state

    # --------------------------------------------------------------- messages

    def _new_message(
        self,
        state: _ChatState,
        sender: dict,
        content: FormattedText,
        *,
        reply_to: dict | None,
        thread_id: int | None,
        reply_markup: dict | None = None,
    ) -> dict:
        state.last_message_id += 1
        message: dict[str, Any] = {
            "message_id": state.last_message_id,
            "from": sender,
            "chat": state.chat,
            "date": int(time.time()),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if state.chat.get("is_forum"):
                message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        message["text"] = content.text
        if content.entities:
            message["entities"] = content.entities
        if reply_markup is not None:
            message["reply_markup"] = reply_markup
        state.messages[message["message_id"]] = message
        return message

    @staticmethod
    def _thread_id(state: _ChatState, explicit: int | None, reply_to: dict | None) -> int | None:
        """message_thread_id: explicit, else inherited from the replied message (supergroups)."""
        if explicit is not None:
            return explicit
        if reply_to is None or state.chat["type"] != "supergroup":
            return None
        if "message_thread_id" in reply_to or state.chat.get("is_forum"):
            return reply_to.get("message_thread_id")
        return reply_to["message_id"]

    def _format(self, text: Any, parse_mode: Any, entities: Any) -> FormattedText:
        """Parse, trim and length-check a text like sendMessage does."""
        if not isinstance(text, str) or not text:
            raise bad_request("message text is empty")
        mode = (parse_mode or "").strip() if isinstance(parse_mode, str) else ""
        if entities is not None:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict) and isinstance(e.get("offset"), int) and isinstance(e.get("length"), int)
                for e in entities
            ):
                raise bad_request("can't parse entities JSON object")
            plain, parsed = text, [dict(e) for e in entities]
        elif mode.lower() == "html":
            try:
                plain, parsed = parse_html(text, strict=self.strict_html)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif not mode:
            plain, parsed = text, []
        elif mode.lower() in ("markdown", "markdownv2"):
            raise bad_request(f"parse_mode {mode} is not emulated (tests/telegram_emulator.py supports HTML only)")
        else:
            raise bad_request("unsupported parse_mode")
        plain, parsed = trim_text(plain, parsed)
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        return FormattedText(plain, merge_auto_entities(plain, parsed))

    def _reply_target(self, state: _ChatState, params: dict[str, Any]) -> dict | None:
        """The message replied to, from reply_parameters or legacy reply_to_message_id."""
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", state.chat["id"])
        target_state = state if target_chat == state.chat["id"] else self._require_chat(target_chat)
        target = target_state.messages.get(reply["message_id"])
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        quote = reply.get("quote")
        if quote is not None and quote not in target.get("text", ""):
            raise bad_request("QUOTE_TEXT_INVALID")
        return target

    def _bot_sender(self) -> dict:
        return {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def _record(self, chat_id: int, message_id: int) -> SentMessage | None:
        return next((r for r in self._sent if r.chat_id == chat_id and r.message_id == message_id), None)

    def _editable(self, params: dict[str, Any], action: str) -> tuple[_ChatState, dict, SentMessage]:
        state = self._require_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = state.messages.get(message_id)
        if message is None:
            raise bad_request(f"message to {action} not found")
        record = self._record(state.chat["id"], message_id)
        if record is None:
            raise bad_request("message can't be edited")
        return state, message, record

    # ------------------------------------------------------------ API methods

    async def _ok(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll answers 409, like Telegram
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._pending = self._pending[offset:]
        elif isinstance(offset, int) and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout") or 0
        timeout = float(timeout) if isinstance(timeout, (int, float, str)) else 0.0

        def deliverable() -> list[dict]:
            return [u for u in self._pending if _update_type(u) in self._allowed_updates]

        await self._wait(
            lambda: self._closing or generation != self._poll_generation or deliverable(),
            max(timeout, 0.0),
        )
        if generation != self._poll_generation and not self._closing:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
        return copy.deepcopy(deliverable()[:limit])

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        url = params.get("url") or ""
        keys = ("url", "max_connections", "allowed_updates", "ip_address", "secret_token")
        self.webhook = {key: params[key] for key in keys if key in params} if url else None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self._deliver_soon()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        info.update({k: v for k, v in (self.webhook or {}).items() if k != "secret_token"})
        return info

    async def _send_message(self, params: dict[str, Any]) -> dict:
        state = self._require_chat(params.get("chat_id"))
        content = self._format(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = check_reply_markup(params.get("reply_markup"))
        thread_id = params.get("message_thread_id")
        if thread_id is not None and state.chat.get("is_forum") and thread_id not in state.topics:
            raise bad_request("message thread not found")
        reply_to = self._reply_target(state, params)
        message = self._new_message(
            state,
            self._bot_sender(),
            content,
            reply_to=reply_to,
            thread_id=self._thread_id(state, thread_id, reply_to),
            reply_markup=markup,
        )
        if isinstance(params.get("link_preview_options"), dict):
            message["link_preview_options"] = params["link_preview_options"]
        if params.get("protect_content"):
            message["has_protected_content"] = True
        self._sent.append(
            SentMessage(
                text=content.text,
                entities=content.entities,
                chat_id=state.chat["id"],
                message_id=message["message_id"],
                message=message,
                raw_text=params["text"],
                parse_mode=params.get("parse_mode"),
            )
        )
        return message

    def _apply_edit(self, state: _ChatState, record: SentMessage, changes: dict[str, Any]) -> dict:
        old = state.messages[record.message_id]
        new = {**old, **changes, "edit_date": int(time.time())}
        new = {key: value for key, value in new.items() if value is not None}
        state.messages[record.message_id] = new
        record.history.append(old)
        record.message = new
        return new

    async def _edit_message_text(self, params: dict[str, Any]) -> dict | bool:
        content = self._format(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = check_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True  # messages sent via inline mode are not tracked
        state, message, record = self._editable(params, "edit")
        if (message.get("text"), message.get("entities", []), message.get("reply_markup")) == (
            content.text,
            content.entities,
            markup,
        ):
            raise bad_request(_NOT_MODIFIED)
        new = self._apply_edit(
            state,
            record,
            {"text": content.text, "entities": content.entities or None, "reply_markup": markup},
        )
        record.text, record.entities = content.text, content.entities
        record.raw_text, record.parse_mode = params["text"], params.get("parse_mode")
        return new

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict | bool:
        markup = check_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        state, message, record = self._editable(params, "edit")
        if message.get("reply_markup") == markup:
            raise bad_request(_NOT_MODIFIED)
        return self._apply_edit(state, record, {"reply_markup": markup})

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        state = self._require_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if state.messages.pop(message_id, None) is None:  # type: ignore[arg-type]
            raise bad_request("message to delete not found")
        record = self._record(state.chat["id"], message_id)  # type: ignore[arg-type]
        if record is not None:
            record.deleted = True
        return True

    async def _send_photo(self, params: dict[str, Any]) -> dict:
        """sendPhoto: an uploaded PNG or JPEG (multipart), or a file_id/URL; the caption parsed like text."""
        state = self._require_chat(params.get("chat_id"))
        photo = params.get("photo")
        if isinstance(photo, dict):
            upload: bytes | None = photo["content"]
            if upload[:8] == PNG_SIGNATURE and len(upload) >= 24:
                width, height = int.from_bytes(upload[16:20], "big"), int.from_bytes(upload[20:24], "big")
            elif upload[:2] == b"\xff\xd8":
                width, height = 800, 600
            else:
                raise bad_request("IMAGE_PROCESS_FAILED")
        elif isinstance(photo, str) and photo:
            upload, width, height = None, 800, 600
        else:
            raise bad_request("there is no photo in the request")
        caption = params.get("caption")
        content = self._format(caption, params.get("parse_mode"), params.get("caption_entities")) if caption else None
        if content is not None and len(content.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        reply_to = self._reply_target(state, params)
        message = self._new_message(
            state,
            self._bot_sender(),
            content or FormattedText("", []),
            reply_to=reply_to,
            thread_id=self._thread_id(state, params.get("message_thread_id"), reply_to),
            reply_markup=check_reply_markup(params.get("reply_markup")),
        )
        message.pop("text", None)
        entities = message.pop("entities", None)
        if content is not None:
            message["caption"] = content.text
            if entities:
                message["caption_entities"] = entities
        unique = f"photo{state.chat['id']}_{message['message_id']}"
        size = {"file_id": unique, "file_unique_id": unique, "width": width, "height": height}
        message["photo"] = [{**size, "file_size": len(upload)} if upload is not None else size]
        self._sent.append(
            SentMessage(
                text=content.text if content else "",
                entities=content.entities if content else [],
                chat_id=state.chat["id"],
                message_id=message["message_id"],
                message=message,
                raw_text=caption or "",
                parse_mode=params.get("parse_mode"),
                photo=upload,
            )
        )
        return message

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat(params.get("chat_id"))
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._open_queries.get(query_id) != "callback":
            raise bad_request(_QUERY_EXPIRED)
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        del self._open_queries[query_id]
        self.callback_answers[query_id] = params
        return True

    async def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if self._open_queries.get(query_id) != "inline":
            raise bad_request(_QUERY_EXPIRED)
        results = params.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        contents: list[FormattedText | None] = []
        for result in results:
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result.get("type") not in INLINE_RESULT_TYPES:
                raise bad_request("RESULT_TYPE_INVALID")
            check_reply_markup(result.get("reply_markup"))
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                contents.append(
                    self._format(content["message_text"], content.get("parse_mode"), content.get("entities"))
                )
            else:
                contents.append(None)
        del self._open_queries[query_id]
        self.inline_answers[query_id] = InlineAnswer(query_id, params, results, contents)
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse bot commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict]:
        return self.my_commands(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict:
        chat = self._require_chat(params.get("chat_id")).chat
        gifts = dict.fromkeys(
            ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
            False,
        )
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    # ------------------------------------------------------- test-side: input

    def _push_update(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._pending.append(update)
        self._deliver_soon()
        self._notify()
        return update

    # ------------------------------------------------------- webhook delivery

    def _deliver_soon(self) -> None:
        """With a webhook set, POST the pending updates to it, like Telegram (one at a time, in order)."""
        if self.webhook is not None and (self._delivery is None or self._delivery.done()):
            self._delivery = asyncio.get_running_loop().create_task(self._deliver_pending())

    async def _deliver_pending(self) -> None:
        while self.webhook is not None and self._pending and not self._closing:
            update = self._pending[0]
            if _update_type(update) not in self._allowed_updates:
                self._pending.pop(0)
                continue
            status = await self._post_to_webhook(self.webhook, update)
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status))
            self._notify()
            if not 200 <= status < 300:
                return  # Telegram would retry later; a test sees the failed delivery
            self._pending.pop(0)

    @staticmethod
    async def _post_to_webhook(webhook: dict[str, Any], update: dict) -> int:
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client,
                client.post(webhook["url"], data=json.dumps(update), headers=headers) as response,
            ):
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def inject_update(self, update: dict) -> dict:
        """Queue a raw update (without update_id) for the bot; returns it with its id."""
        return self._push_update(update)

    def _user_message(
        self,
        state: _ChatState,
        user_id: int,
        text: str,
        reply_to_message_id: int | None,
        message_thread_id: int | None,
        entities: list[dict] | None,
    ) -> dict:
        if not text or len(text) > MAX_MESSAGE_LENGTH:
            raise ValueError("a user message text must have 1..4096 characters")
        reply_to = None
        if reply_to_message_id is not None:
            reply_to = state.messages.get(reply_to_message_id)
            if reply_to is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {state.chat['id']}")
        if message_thread_id is not None and state.chat.get("is_forum"):
            state.topics.add(message_thread_id)
        content = FormattedText(text, find_auto_entities(text) if entities is None else entities)
        return self._new_message(
            state,
            dict(self.set_user(user_id)),
            content,
            reply_to=reply_to,
            thread_id=self._thread_id(state, message_thread_id, reply_to),
        )

    def _meant_for_bot(self, message: dict) -> bool:
        """Privacy mode: commands, mentions of the bot and replies to it reach the bot."""
        if message["chat"]["type"] == "private" or not self.privacy_mode:
            return True
        mention = "@" + self.bot_user["username"].lower()
        for entity in message.get("entities", []):
            covered = entity_text(message["text"], entity).lower()
            if entity["type"] == "bot_command" and ("@" not in covered or covered.endswith(mention)):
                return True
            if entity["type"] == "mention" and covered == mention:
                return True
        replied = message.get("reply_to_message")
        return bool(replied and replied["from"]["id"] == self.bot_user["id"])

    async def send_private_text(
        self,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        entities: list[dict] | None = None,
    ) -> dict:
        """A user writes to the bot in private (chat id == user id); returns the Message."""
        state = self._private_chat(self.set_user(user_id))
        message = self._user_message(state, user_id, text, reply_to_message_id, None, entities)
        self._push_update({"message": message})
        return message

    async def send_group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
        is_forum: bool = False,
        *,
        chat_type: str = "supergroup",
        title: str | None = None,
        entities: list[dict] | None = None,
    ) -> dict:
        """A user writes in a group; delivered to the bot only if privacy mode lets it through.

        The message is always recorded in the chat (so the bot may reply to it).
        """
        self.add_group(chat_id, title=title, chat_type=chat_type, is_forum=is_forum)
        state = self._chats[chat_id]
        message = self._user_message(state, user_id, text, reply_to_message_id, message_thread_id, entities)
        if self._meant_for_bot(message):
            self._push_update({"message": message})
        return message

    async def send_sticker(self, chat_id: int, user_id: int, *, reply_to_message_id: int | None = None) -> dict:
        """A user sends a sticker (a message without text) to a private chat (chat_id == user_id) or a group.

        In groups it reaches the bot under privacy mode only as a reply to the bot.
        """
        user = self.set_user(user_id)
        if chat_id != user_id:
            self.add_group(chat_id)
        state = self._private_chat(user) if chat_id == user_id else self._chats[chat_id]
        reply_to = state.messages.get(reply_to_message_id) if reply_to_message_id is not None else None
        if reply_to_message_id is not None and reply_to is None:
            raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
        state.last_message_id += 1
        message: dict[str, Any] = {
            "message_id": state.last_message_id,
            "from": dict(user),
            "chat": state.chat,
            "date": int(time.time()),
            "sticker": {
                "file_id": f"sticker{state.last_message_id}",
                "file_unique_id": f"u{state.last_message_id}",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        }
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        state.messages[message["message_id"]] = message
        if self._meant_for_bot({**message, "text": ""}):
            self._push_update({"message": message})
        return message

    async def forge_callback_query(
        self,
        user_id: int,
        data: str | None,
        message: dict | SentMessage | None = None,
        *,
        inaccessible: bool = False,
        inline_message_id: str | None = None,
    ) -> str:
        """A callback query with any ``data`` (a modified client sends what it likes); returns its id.

        ``message`` is the bot's message the button was on (sent as it is now), or, with
        ``inaccessible``, only its chat and id with date 0 (Telegram's InaccessibleMessage,
        for messages the bot can no longer see); ``inline_message_id`` instead of a message
        is a button on a message sent in inline mode.
        """
        callback_query: dict[str, Any] = {
            "id": self._new_query_id("callback"),
            "from": self.set_user(user_id),
            "chat_instance": str(user_id * 7919 % 10**18),
        }
        if data is not None:
            callback_query["data"] = data
        if inline_message_id is not None:
            callback_query["inline_message_id"] = inline_message_id
        if message is not None:
            chat_id = message.chat_id if isinstance(message, SentMessage) else message["chat"]["id"]
            message_id = message.message_id if isinstance(message, SentMessage) else message["message_id"]
            state = self._chats[chat_id]
            current = state.messages.get(message_id)
            if inaccessible or current is None:
                callback_query["message"] = {"chat": state.chat, "message_id": message_id, "date": 0}
            else:
                callback_query["message"] = current
        self._push_update({"callback_query": callback_query})
        return callback_query["id"]

    def was_delivered(self, message: dict) -> bool:
        """Whether an injected user message was given to the bot (privacy mode)."""
        return any(
            u.get("message", {}).get("message_id") == message["message_id"]
            and u["message"]["chat"]["id"] == message["chat"]["id"]
            for u in self.updates
        )

    def _new_query_id(self, kind: str) -> str:
        query_id = str(next(self._query_ids))
        self._open_queries[query_id] = kind
        return query_id

    async def send_inline_query(self, user_id: int, query: str, *, offset: str = "", chat_type: str = "private") -> str:
        """A user types ``@bot query``; returns the inline_query_id."""
        query_id = self._new_query_id("inline")
        inline_query = {
            "id": query_id,
            "from": self.set_user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._push_update({"inline_query": inline_query})
        return query_id

    async def press_button(self, message: dict | SentMessage, callback_data: str, user_id: int) -> str:
        """A user presses an inline button of a current message; returns the callback_query_id."""
        if isinstance(message, SentMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        state = self._chats.get(chat_id)
        current = state.messages.get(message_id) if state else None
        if current is None:
            raise ValueError(f"message {message_id} in chat {chat_id} does not exist (deleted?)")
        rows = (current.get("reply_markup") or {}).get("inline_keyboard", [])
        data = [button.get("callback_data") for row in rows for button in row]
        if callback_data not in data:
            raise ValueError(f"no button with callback_data {callback_data!r}; buttons have {data}")
        query_id = self._new_query_id("callback")
        callback_query = {
            "id": query_id,
            "from": self.set_user(user_id),
            "message": current,
            "chat_instance": str(abs(chat_id) * 7919 % 10**18),
            "data": callback_data,
        }
        self._push_update({"callback_query": callback_query})
        return query_id

    # ------------------------------------------------------ test-side: output

    def bot_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent to a chat (or to any chat), oldest first (deleted ones have ``deleted``)."""
        return [record for record in self._sent if chat_id is None or record.chat_id == chat_id]

    def chat_messages(self, chat_id: int) -> list[dict]:
        """Current (not deleted) messages of a chat from users and the bot, oldest first."""
        state = self._chats.get(chat_id)
        return [state.messages[k] for k in sorted(state.messages)] if state else []

    def get_message(self, chat_id: int, message_id: int) -> dict | None:
        state = self._chats.get(chat_id)
        return state.messages.get(message_id) if state else None

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def failed_calls(self) -> list[ApiCall]:
        """Finished requests Telegram would have rejected (handy: ``assert not tg.failed_calls()``)."""
        return [call for call in self.calls if call.done and not call.ok and not call.abandoned]

    def my_commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        return list(self.commands.get(self._commands_key(scope, language_code), []))

    def describe(self, last: int = 15) -> str:
        """Recent non-polling calls and their outcome, for failure messages."""
        lines = []
        for call in [c for c in self.calls if c.method != "getUpdates"][-last:]:
            outcome = "pending" if not call.done else ("ok" if call.ok else call.description)
            params = {k: v for k, v in call.params.items() if k in ("chat_id", "text", "message_id")}
            lines.append(f"  {call.method} {params} -> {outcome}")
        return "recent Bot API calls:\n" + ("\n".join(lines) or "  (none)")

    async def wait_until(
        self, predicate: Callable[[], T], timeout: float = 10.0, *, description: str = "condition"
    ) -> T:
        """Wait until ``predicate()`` returns something truthy and return it."""
        result = await self._wait(predicate, timeout)
        if not result:
            raise TimeoutError(f"timed out after {timeout}s waiting for {description}\n{self.describe()}")
        return result

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,
        *,
        after_message_id: int | None = None,
    ) -> list[SentMessage]:
        """Wait until the bot has sent ``count`` messages to the chat and return all of them.

        With ``after_message_id`` (e.g. the id of the user's message just injected)
        only messages sent after it count.
        """

        def ready() -> list[SentMessage] | None:
            records = [
                r for r in self.bot_messages(chat_id) if after_message_id is None or r.message_id > after_message_id
            ]
            return records if len(records) >= count else None

        return await self.wait_until(ready, timeout, description=f"{count} bot message(s) in {chat_id}")

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> ApiCall:
        """Wait for a finished call of ``method`` (from ``calls[since:]``) matching ``predicate``."""

        def find() -> ApiCall | None:
            return next(
                (
                    call
                    for call in self.calls[since:]
                    if call.method == method and call.done and (predicate is None or predicate(call))
                ),
                None,
            )

        return await self.wait_until(find, timeout, description=f"a {method} call")
