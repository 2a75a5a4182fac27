"""YAML front matter: split it from the body and read it, tolerating broken YAML."""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_LIST_ITEM = re.compile(r"^\s*(?:-\s*)+(.*)$")

# libyaml's parser where PyYAML was built with it: 20x faster than the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The plain form of RSSHub's front matter, read without YAML's machinery (`_plain_front_matter`).
_PLAIN_KEY_LINE = re.compile(r"([A-Za-z_][\w-]*):(?: +(.*))?")
_PLAIN_ITEM_LINE = re.compile(r"( *)- +(.*)")
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'")
# A plain scalar that YAML reads as written: no indicator first, no ": " or " #" inside.
_PLAIN_SCALAR = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#]|:(?=\S)|(?<=\S)#)*")
_UNUSUAL = ("\t", "\x85", "\u2028", "\u2029", "\ufeff", "\n---", "\n...")  # or a lone \r: left to YAML
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_NOT_PLAIN = object()
# YAML's implicit types of a plain scalar, by its first character (as yaml.resolver.Resolver.resolve).
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_ANY_START = _IMPLICIT.get(None, [])
_BY_START = {start: [*found, *_ANY_START] for start, found in _IMPLICIT.items() if start is not None}


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Return (front matter or None, body). The fence may follow leading blank lines."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("---"):
        return None, text
    first = _FENCE.match(stripped)
    if not first:
        return None, text
    closing = _FENCE.search(stripped, first.end())
    if not closing:
        return None, text
    return stripped[first.end() : closing.start()], stripped[closing.end() :]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner
    return value


def _lenient_parse(block: str) -> dict[str, object]:
    """Line-by-line reading of `key: value` and `- item` lists, for YAML that does not parse."""
    fields: dict[str, object] = {}
    current_list: list[str] | None = None
    for line in block.splitlines():
        if not line.strip():
            continue
        key_match = _KEY_LINE.match(line)
        if key_match and not line[0].isspace():
            key, value = key_match[1], key_match[2]
            if value.strip():
                fields[key] = _unquote(value)
                current_list = None
            else:
                current_list = []
                fields[key] = current_list
            continue
        item = _LIST_ITEM.match(line)
        if item and current_list is not None and item[1].strip():
            current_list.append(_unquote(item[1]))
    return fields


def _scalar(text: str) -> object:
    """What YAML makes of a one-line scalar: a string, a bool or None; `_NOT_PLAIN` for anything
    else (numbers, dates, escapes, anchors…), which only YAML itself may read."""
    quoted = _SINGLE_QUOTED.fullmatch(text)
    if quoted:
        return quoted[1].replace("''", "'")
    if not _PLAIN_SCALAR.fullmatch(text):
        return _NOT_PLAIN
    for tag, pattern in _BY_START.get(text[0], _ANY_START):
        if pattern.match(text):
            if tag == _BOOL:
                return yaml.constructor.SafeConstructor.bool_values[text.lower()]
            return None if tag == _NULL else _NOT_PLAIN
    return text


@lru_cache(maxsize=4096)  # bounded: keys come from whatever files the archive holds
def _is_plain_key(key: str) -> bool:
    """YAML reads this key as the string it is (not `true`, `null`…)."""
    return _scalar(key) == key


def _plain_front_matter(block: str) -> dict[str, object] | None:
    """Front matter made only of `key: scalar` lines and `- scalar` lists, read as YAML reads it
    (26 µs a file against PyYAML's 60); None for anything else, which YAML then parses."""
    if any(mark in block for mark in _UNUSUAL) or block.count("\r") != block.count("\r\n"):
        return None
    if block.startswith(("---", "...")) or yaml.reader.Reader.NON_PRINTABLE.search(block):
        return None
    fields: dict[str, object] = {}
    items: list[object] | None = None  # the list the last key opened, while its items follow
    indent: str | None = None
    key = ""
    for raw_line in block.split("\n"):
        line = raw_line.rstrip(" \r")
        if not line:
            continue
        if items is not None and (item := _PLAIN_ITEM_LINE.fullmatch(line)):
            if indent is not None and item[1] != indent:
                return None
            value = _scalar(item[2])
            if value is _NOT_PLAIN:
                return None
            indent = item[1]
            items.append(value)
            fields[key] = items
            continue
        pair = _PLAIN_KEY_LINE.fullmatch(line)
        if pair is None or not _is_plain_key(pair[1]):
            return None
        key, items, indent = pair[1], None, None
        if pair[2] is None:
            fields[key], items = None, []
            continue
        value = _scalar(pair[2])
        if value is _NOT_PLAIN:
            return None
        fields[key] = value
    return fields


def parse_front_matter(block: str) -> tuple[dict[str, object], str | None]:
    """Parse front matter; return (fields, warning). Broken YAML falls back to a lenient read."""
    plain = _plain_front_matter(block)
    if plain is not None:
        return plain, None
    try:
        loaded = yaml.load(block, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return _lenient_parse(block), f"malformed front matter{where}; read leniently"
    if loaded is None:
        return {}, None
    if not isinstance(loaded, dict):
        return _lenient_parse(block), "front matter is not a mapping; read leniently"
    return loaded, None
