"""Page layout shared by the renderers: lead, quotes with their sources, footer, length fitting.

Subclasses decide the markup (Telegram HTML or terminal text); this class decides what goes
in a message and keeps it within Telegram's 4,096-character limit by showing fewer quotes
(the rest go to the next page) or, for a single huge quote, shortening its text. Text is
only ever cut before markup is added, so no cut falls inside a tag.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from retrieval.answer import Answer, Quote

from . import messages
from .pages import Page, Rendered

MESSAGE_LIMIT = 4096  # Telegram's limit, counted after entity parsing
LEAD_CHARS = 300
TITLE_CHARS = 120
EXPANDABLE_CHARS = 300  # longer quotes are folded (Telegram's expandable blockquote)
ELLIPSIS = "…"
LEAD_MARK = "💡 "
Spans = tuple[tuple[int, int], ...]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, spans: Spans, chars: int) -> tuple[str, Spans]:
    """Text cut to at most `chars` characters (… marks the cut) and the spans still inside."""
    if len(text) <= chars:
        return text, spans
    keep = max(chars - 1, 0)
    cut = text[:keep].rstrip() + ELLIPSIS
    kept = tuple((start, min(end, keep)) for start, end in spans if start < keep)
    return cut, kept


def valid_spans(text: str, spans: Spans) -> list[tuple[int, int]]:
    """Spans sorted, clipped to the text, overlaps dropped: safe to wrap in markup."""
    result: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(start, 0), min(end, len(text))
        if end <= start or (result and start < result[-1][1]):
            continue
        result.append((start, end))
    return result


class PageRenderer(ABC):
    """Lays out pages of an answer; subclasses provide markup and measurement."""

    parse_mode: str | None = None

    # -- markup, provided by subclasses
    @abstractmethod
    def emphasised(self, text: str, spans: Spans) -> str:
        """Text with the spans emphasised, everything escaped as the format needs."""

    @abstractmethod
    def quote_block(self, body: str, expandable: bool) -> str:
        """Already-marked-up quote body inside a quotation block."""

    @abstractmethod
    def plain(self, text: str) -> str:
        """Text shown as is (escaped as the format needs)."""

    @abstractmethod
    def muted(self, text: str) -> str:
        """Escaped secondary text (source lines, footers)."""

    @abstractmethod
    def measure(self, rendered: str) -> int:
        """The length Telegram would count for this message."""

    # -- layout
    def source_line(self, quote: Quote, number: int | None = None) -> str:
        title, _ = clip(quote.title.strip() or "无标题", (), TITLE_CHARS)
        parts = [f"《{title}》", quote.date_label]
        if quote.source.strip():
            parts.append(quote.source.strip())
        prefix = f"{number}. " if number is not None else "— "
        return self.muted(prefix + " · ".join(parts))

    def quote(self, quote: Quote, number: int | None = None, text: str | None = None,
              spans: Spans | None = None) -> str:  # fmt: skip
        """One quote: the passage in a quotation block, then title, date and source."""
        text = quote.text if text is None else text
        spans = quote.spans if spans is None else spans
        block = self.quote_block(self.emphasised(text, spans), len(text) > EXPANDABLE_CHARS)
        if number is not None:  # numbered lists (/search) put the source first
            return self.source_line(quote, number) + "\n" + block
        return block + "\n" + self.source_line(quote)

    def notice(self, text: str) -> str:
        """A message in the bot's own words."""
        return self.plain(text)

    def quote_message(self, quote: Quote) -> str:
        """One quote as a message of its own (inline mode)."""
        return self._fit_single([], quote, None, MESSAGE_LIMIT) or self.notice(messages.NO_ANSWER)

    def page(self, page: Page, limit: int = MESSAGE_LIMIT) -> Rendered:
        """As many of the page's quotes as fit in one message, best first."""
        answer = page.answer
        head: list[str] = []
        if page.header:
            head.append(self.plain(clip(page.header, (), LEAD_CHARS)[0]))
        if page.style == "ask" and page.start == 0 and answer.lead:
            lead, spans = clip(answer.lead, answer.lead_spans, LEAD_CHARS)
            head.append(self.plain(LEAD_MARK) + self.emphasised(lead, spans))
        blocks = list(head)
        wanted = answer.quotes[page.start : page.start + page.size]
        shown = 0
        for offset, quote in enumerate(wanted):
            number = page.start + offset + 1 if page.style == "search" else None
            footer = self._footer(answer, page, shown + 1)
            candidate = [*blocks, self.quote(quote, number), *footer]
            if self.measure("\n\n".join(candidate)) <= limit:
                blocks.append(self.quote(quote, number))
                shown += 1
                continue
            if shown == 0:
                single = self._fit_single(blocks, quote, number, limit, footer)
                if single is None and head:  # a huge header: drop it rather than the quote
                    blocks = []
                    single = self._fit_single(blocks, quote, number, limit, footer)
                if single is not None:
                    blocks.append(single)
                    shown = 1
            break
        text = "\n\n".join([*blocks, *self._footer(answer, page, shown)])
        return Rendered(text=text, shown=shown)

    def _footer(self, answer: Answer, page: Page, shown: int) -> list[str]:
        total = len(answer.quotes)
        if shown == 0 or (page.start == 0 and shown >= total):
            return []
        footer = messages.PAGE_FOOTER.format(first=page.start + 1, last=page.start + shown, total=total)
        return [self.muted(footer)]

    def _fit_single(self, blocks: list[str], quote: Quote, number: int | None, limit: int,
                    footer: list[str] | None = None) -> str | None:  # fmt: skip
        """The quote alone after `blocks`, its text shortened until the message fits."""
        footer = footer or []
        text, spans = quote.text, quote.spans
        while True:
            block = self.quote(quote, number, text, spans)
            over = self.measure("\n\n".join([*blocks, block, *footer])) - limit
            if over <= 0:
                return block
            chars = len(text) - over - 1
            if chars < 20:
                return None
            text, spans = clip(quote.text, quote.spans, chars)
