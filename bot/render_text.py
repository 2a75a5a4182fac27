"""Terminal renderer: the same pages as the bot sends, as plain text (bold via ANSI on a tty)."""

from __future__ import annotations

import re

from .render_base import PageRenderer, Spans, utf16_len, valid_spans

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
QUOTE_BAR = "┃ "


class TextRenderer(PageRenderer):
    """Plain text: quotes behind a bar, matched terms bold when `color` is on."""

    parse_mode = None

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def emphasised(self, text: str, spans: Spans) -> str:
        if not self.color:
            return text
        pieces: list[str] = []
        position = 0
        for start, end in valid_spans(text, spans):
            pieces += [text[position:start], BOLD, text[start:end], RESET]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def quote_block(self, body: str, expandable: bool) -> str:
        return "\n".join(QUOTE_BAR + line for line in body.splitlines() or [""])

    def plain(self, text: str) -> str:
        return text

    def muted(self, text: str) -> str:
        return f"{DIM}{text}{RESET}" if self.color else text

    def measure(self, rendered: str) -> int:
        return utf16_len(_ANSI.sub("", rendered).replace(QUOTE_BAR, "").strip())
