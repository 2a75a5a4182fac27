"""Telegram HTML renderer: every corpus and user text escaped, quotes in <blockquote>."""

from __future__ import annotations

import html
import re

from .render_base import PageRenderer, Spans, utf16_len, valid_spans

_TAG = re.compile(r"<[^>]*>")
_ASCII_SPACE = " \t\n\r\v\f"


def escape(text: str) -> str:
    """Text content: <, > and & escaped (Telegram needs no more outside attributes)."""
    return html.escape(text, quote=False)


def escape_attribute(value: str) -> str:
    """An attribute value for use inside double quotes."""
    return html.escape(value, quote=True)


def visible_length(markup: str) -> int:
    """What Telegram counts against the 4,096 limit: tags removed, entities decoded, trimmed.

    Exact for the markup this module produces, where every literal <, > and & is escaped.
    """
    return utf16_len(html.unescape(_TAG.sub("", markup)).strip(_ASCII_SPACE))


class HtmlRenderer(PageRenderer):
    """Pages, quotes and notices as Telegram HTML (parse_mode="HTML")."""

    parse_mode = "HTML"

    def emphasised(self, text: str, spans: Spans) -> str:
        pieces: list[str] = []
        position = 0
        for start, end in valid_spans(text, spans):
            pieces.append(escape(text[position:start]))
            pieces.append(f"<b>{escape(text[start:end])}</b>")
            position = end
        pieces.append(escape(text[position:]))
        return "".join(pieces)

    def quote_block(self, body: str, expandable: bool) -> str:
        opening = "<blockquote expandable>" if expandable else "<blockquote>"
        return f"{opening}{body}</blockquote>"

    def plain(self, text: str) -> str:
        return escape(text)

    def muted(self, text: str) -> str:
        return f"<i>{escape(text)}</i>"

    def measure(self, rendered: str) -> int:
        return visible_length(rendered)
