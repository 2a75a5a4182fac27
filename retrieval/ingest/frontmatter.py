"""YAML front matter: split it from the body and read it, tolerating broken YAML."""

from __future__ import annotations

import re

import yaml

_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_LIST_ITEM = re.compile(r"^\s*(?:-\s*)+(.*)$")

# libyaml's parser where PyYAML was built with it: 20x faster than the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse_front_matter(block: str) -> tuple[dict[str, object], str | None]:
    """Parse front matter; return (fields, warning). Broken YAML falls back to a lenient read."""
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
