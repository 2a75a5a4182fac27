"""Telegram text formatting rules for the Bot API emulator.

``parse_html`` follows the HTML parser of TDLib (the library behind the Bot API
server): the same tags, attributes, entity decoding and error messages. In
``strict`` mode (the default) it is stricter than Telegram in one respect: the
Bot API documentation says every ``<``, ``>`` and ``&`` that is not markup must
be escaped, and Telegram silently tolerates a bare ``&`` or ``>``; strict mode
rejects them, so a bot that forgets ``html.escape`` fails in tests rather than
on the first news item containing "&lt" or "a<b".

Offsets and lengths of entities are in UTF-16 code units, like in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_MESSAGE_LENGTH = 4096

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ASCII_SPACE = " \t\n\r\v\f"
_ENTITY_RE = re.compile(r"&(?:#[xX]([0-9A-Fa-f]*)|#([0-9]*)|([A-Za-z]*))(;?)")
_URL_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite", "ftp"})


class EntityParseError(ValueError):
    """Markup that Telegram rejects; ``str(error)`` is the text after "can't parse entities: "."""


@dataclass
class _OpenTag:
    name: str
    utf16_offset: int
    text_index: int
    argument: str = ""
    in_code: bool = False


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def entity_text(text: str, entity: dict) -> str:
    """The part of ``text`` covered by a MessageEntity dict."""
    raw = text.encode("utf-16-le")
    start = 2 * entity["offset"]
    return raw[start : start + 2 * entity["length"]].decode("utf-16-le")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, pos: int, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference at ``text[pos] == '&'`` like TDLib.

    Returns (character, position after the reference) or None if it is not one.
    In strict mode the terminating ';' is required.
    """
    match = _ENTITY_RE.match(text, pos)
    assert match is not None
    hex_digits, dec_digits, name, semicolon = match.groups()
    if strict and not semicolon:
        return None
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        if char is None:
            return None
    else:
        digits = hex_digits if hex_digits is not None else dec_digits
        if not digits or len(match.group(0).rstrip(";")) >= 10:
            return None
        code = int(digits, 16 if hex_digits is not None else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    return char, match.end()


def _escape_error(text: str, pos: int) -> EntityParseError:
    char = text[pos]
    if char == "&":
        end = _ENTITY_RE.match(text, pos).end()
        return EntityParseError(
            f'Unsupported HTML entity "{text[pos:end]}" at byte offset {_byte_offset(text, pos)}; '
            'a literal "&" must be escaped as "&amp;" (emulator strict mode)'
        )
    return EntityParseError(
        f'Character ">" must be escaped as "&gt;" at byte offset {_byte_offset(text, pos)} (emulator strict mode)'
    )


def normalize_url(url: str) -> str | None:
    """Validate a link target like Telegram: add a missing scheme, reject garbage."""
    url = url.strip()
    if not url or any(c in url for c in ' \n\t<>"') or len(url) > 2048:
        return None
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _URL_SCHEMES:
        return None
    if scheme in {"http", "https", "ftp"}:
        host = parts.hostname or ""
        if not host or (("." not in host) and host != "localhost"):
            return None
        if not parts.path and not parts.query and not parts.fragment:
            url += "/"
    return url


def _tg_user_id(url: str) -> int | None:
    match = re.fullmatch(r"tg://user\?id=(\d{1,19})", url.strip())
    return int(match.group(1)) if match else None


def _parse_start_tag(html: str, begin: int, strict: bool) -> tuple[str, dict[str, str], int]:
    """Parse ``<name attr=value ...>`` starting at ``html[begin] == '<'``.

    Returns (lower-case tag name, attributes, index just after '>').
    """
    n = len(html)
    at = _byte_offset(html, begin)
    i = begin + 1
    while i < n and html[i] not in _ASCII_SPACE and html[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {at}")
    name = html[begin + 1 : i].lower()
    if name not in ALLOWED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')

    attributes: dict[str, str] = {}
    while True:
        while i < n and html[i] in _ASCII_SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {at}')
        if html[i] == ">":
            return name, attributes, i + 1
        attr_begin = i
        while i < n and html[i] not in _ASCII_SPACE and html[i] not in "=>/\"'":
            i += 1
        attr_name = html[attr_begin:i].lower()
        if not attr_name:
            raise EntityParseError(f'Empty attribute name in the tag "{name}" at byte offset {at}')
        while i < n and html[i] in _ASCII_SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {at}')
        if html[i] != "=":  # attribute without a value, e.g. <blockquote expandable>
            attributes[attr_name] = ""
            continue
        i += 1
        while i < n and html[i] in _ASCII_SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {at}')
        if html[i] not in "\"'":
            token_begin = i
            while i < n and ((html[i].isascii() and html[i].isalnum()) or html[i] in ".-"):
                i += 1
            if i < n and html[i] not in _ASCII_SPACE and html[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {_byte_offset(html, token_begin)}")
            attributes[attr_name] = html[token_begin:i].lower()
            continue
        quote = html[i]
        i += 1
        value: list[str] = []
        while i < n and html[i] != quote:
            if html[i] == "&":
                decoded = _decode_entity(html, i, strict)
                if decoded is not None:
                    value.append(decoded[0])
                    i = decoded[1]
                    continue
                if strict:
                    raise _escape_error(html, i)
            value.append(html[i])
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        i += 1
        attributes[attr_name] = "".join(value)


def _tag_argument(name: str, attributes: dict[str, str], html: str, begin: int) -> str:
    if name == "a":
        return attributes.get("href", "")
    if name == "code":
        cls = attributes.get("class", "")
        return cls[len("language-") :] if cls.startswith("language-") else ""
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(html, begin)}')
    if name == "tg-emoji":
        return attributes.get("emoji-id", "")
    if name == "blockquote":
        return "expandable" if "expandable" in attributes else ""
    return ""


def _close_entity(tag: _OpenTag, end_offset: int, result: str, entities: list[dict]) -> None:
    """Append the entity for a closed tag (TDLib rules for <a>, <pre>, <code>)."""
    offset, length = tag.utf16_offset, end_offset - tag.utf16_offset
    if tag.name in _SIMPLE_TAG_TYPES:
        entities.append({"type": _SIMPLE_TAG_TYPES[tag.name], "offset": offset, "length": length})
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": tag.argument})
    elif tag.name == "a":
        url = tag.argument or result[tag.text_index :]
        user_id = _tg_user_id(url)
        if user_id is not None:
            user = {"id": user_id, "is_bot": False, "first_name": ""}
            entities.append({"type": "text_mention", "offset": offset, "length": length, "user": user})
        elif (normalized := normalize_url(url)) is not None:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": normalized})
    elif tag.name in ("pre", "code"):
        other = "code" if tag.name == "pre" else "pre"
        last = entities[-1] if entities else None
        if last and last["type"] == other and (last["offset"], last["length"]) == (offset, length):
            language = last.pop("language", "") or tag.argument
            last["type"] = "pre"
            if language:
                last["language"] = language
        elif tag.name == "pre":
            entities.append({"type": "pre", "offset": offset, "length": length})
        else:
            entities.append({"type": "code", "offset": offset, "length": length})
            if tag.argument:  # remembered only for a following </pre>
                entities[-1]["language"] = tag.argument


def parse_html(html: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (plain text, MessageEntity dicts sorted by offset).

    Raises EntityParseError with Telegram's description on bad markup. The text is
    neither trimmed nor length-checked here (see ``finalize_text``).
    """
    out: list[str] = []
    utf16_offset = 0
    entities: list[dict] = []
    stack: list[_OpenTag] = []
    i, n = 0, len(html)
    while i < n:
        char = html[i]
        if char == "&":
            decoded = _decode_entity(html, i, strict)
            if decoded is not None:
                out.append(decoded[0])
                utf16_offset += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise _escape_error(html, i)
        if char == ">" and strict:
            raise _escape_error(html, i)
        if char != "<":
            out.append(char)
            utf16_offset += utf16_len(char)
            i += 1
            continue

        at = _byte_offset(html, i)
        if i + 1 < n and html[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {at}")
            j = i + 2
            while j < n and html[j] not in _ASCII_SPACE and html[j] != ">":
                j += 1
            end_name = html[i + 2 : j]
            while j < n and html[j] in _ASCII_SPACE:
                j += 1
            if j >= n or html[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {at}")
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", found "</{end_name}>"'
                )
            if utf16_offset > tag.utf16_offset and not tag.in_code:
                _close_entity(tag, utf16_offset, "".join(out), entities)
            i = j + 1
            continue

        begin = i
        name, attributes, i = _parse_start_tag(html, begin, strict)
        in_code = any(t.name in ("code", "pre") for t in stack)
        if in_code and name in ("code", "pre") and stack[-1].name in ("code", "pre"):
            in_code = False  # <pre><code class="language-x"> is one entity
        stack.append(
            _OpenTag(
                name=name,
                utf16_offset=utf16_offset,
                text_index=len("".join(out)),
                argument=_tag_argument(name, attributes, html, begin),
                in_code=in_code,
            )
        )
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), sort_entities(entities)


def sort_entities(entities: list[dict]) -> list[dict]:
    """Order entities like Telegram: by offset, longer (outer) first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace like Telegram, clipping the entities."""
    stripped = text.strip(_ASCII_SPACE)
    if stripped == text:
        return text, entities
    head = utf16_len(text[: len(text) - len(text.lstrip(_ASCII_SPACE))])
    size = utf16_len(stripped)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, size)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return stripped, clipped


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


_COMMAND_RE = re.compile(r"/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{2,32}")
_HASHTAG_RE = re.compile(r"#[\w\u200c]{1,256}")
_URL_RE = re.compile(r"https?://[^\s<>\"'()\[\]{}（）【】《》「」，。！？、；：]+", re.IGNORECASE)


def find_auto_entities(text: str) -> list[dict]:
    """Entities Telegram detects by itself: bot_command, mention, hashtag and url.

    Word boundaries follow TDLib (letters of any script are word characters, so
    "/ask问题" is not a command). Only URLs with an explicit http(s) scheme are found.
    """
    found: list[tuple[int, int, str]] = []

    def boundary_ok(start: int, end: int, extra: str = "") -> bool:
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        bad_before = bool(before) and (_is_word_char(before) or before in extra)
        bad_after = bool(after) and (_is_word_char(after) or after in extra)
        return not (bad_before or bad_after)

    for match in _COMMAND_RE.finditer(text):
        if boundary_ok(match.start(), match.end(), "/<>"):
            found.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION_RE.finditer(text):
        if boundary_ok(match.start(), match.end()) and not any(s <= match.start() < e for s, e, _ in found):
            found.append((match.start(), match.end(), "mention"))
    for match in _HASHTAG_RE.finditer(text):
        body = match.group(0)[1:]
        if boundary_ok(match.start(), match.end(), "#") and any(c.isalpha() for c in body):
            found.append((match.start(), match.end(), "hashtag"))
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in ".,:;!?":
            end -= 1
        found.append((match.start(), end, "url"))
    entities = [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in sorted(found)
    ]
    return _drop_overlapping(entities)


def _drop_overlapping(entities: list[dict]) -> list[dict]:
    kept: list[dict] = []
    for entity in sorted(entities, key=lambda e: (e["offset"], -e["length"])):
        if kept and entity["offset"] < kept[-1]["offset"] + kept[-1]["length"]:
            continue
        kept.append(entity)
    return kept


def merge_auto_entities(text: str, entities: list[dict]) -> list[dict]:
    """Add auto-detected entities outside code, pre and links, as Telegram does."""
    blocked = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] in ("code", "pre", "text_link", "text_mention", "custom_emoji")
    ]
    extra = [
        e
        for e in find_auto_entities(text)
        if not any(s < e["offset"] + e["length"] and e["offset"] < t for s, t in blocked)
    ]
    return sort_entities(entities + extra)
