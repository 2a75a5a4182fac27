"""HTML body to clean paragraphs: site boilerplate out, words kept whole, headings found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ..model import Paragraph

# Elements whose content is never article text.
_DROPPED_TAGS = {
    "script", "style", "noscript", "iframe", "svg", "video", "audio", "img", "picture",
    "source", "object", "embed", "template", "head", "button", "input", "form", "canvas",
}  # fmt: skip
# Elements that start and end a paragraph.
_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "aside", "main", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table",
    "thead", "tbody", "tr", "pre", "figure", "figcaption", "center", "address", "hr",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BOLD_TAGS = {"b", "strong"}
# Classes of Sina's wrappers: images, QR-code box, editor line.
_DROPPED_CLASSES = re.compile(r"img_wrapper|img_descr|appendQr|article-editor|show_statement")
_BOILERPLATE_LINES = re.compile(
    r"^(责任编辑[:：]|海量资讯、精准解读|新浪声明|点击进入专题|特别声明[:：]|本文来源[:：]?\s*$)"
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


@dataclass
class _Block:
    """Text gathered for one paragraph, and how much of it was bold."""

    text: str = ""
    bold_chars: int = 0
    is_heading_tag: bool = False


def clean_text(raw: str) -> str:
    """Collapse white space as a browser would, trimming indentation."""
    text = _SPACES.sub(" ", raw).strip()
    return text


def _is_bold(tag: Tag) -> bool:
    if tag.name in _BOLD_TAGS:
        return True
    style = " ".join(str(tag.get(attr, "")) for attr in ("cms-style", "style", "class"))
    return "strong-Bold" in style or "font-weight:bold" in style.replace(" ", "")


def _is_dropped(tag: Tag) -> bool:
    if tag.name in _DROPPED_TAGS:
        return True
    classes = tag.get("class") or []
    class_text = " ".join(classes) if isinstance(classes, list) else str(classes)
    return bool(_DROPPED_CLASSES.search(class_text))


class _Collector:
    """Walks the tree once, cutting paragraphs at block elements and <br>."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []
        self.current = _Block()

    def flush(self) -> None:
        if self.current.text.strip():
            self.blocks.append(self.current)
        self.current = _Block()

    def walk(self, node: Tag, bold: bool = False) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is not NavigableString:  # CDATA, doctype, processing instructions
                    continue
                text = str(child)
                self.current.text += text
                if bold:
                    self.current.bold_chars += len(text.strip())
                continue
            if not isinstance(child, Tag) or _is_dropped(child):
                continue
            name = child.name
            if name == "br":
                self.flush()
            elif name in _BLOCK_TAGS:
                self.flush()
                self.current.is_heading_tag = name in _HEADING_TAGS
                self.walk(child, bold or _is_bold(child))
                self.flush()
            elif name in _CELL_TAGS:
                self.current.text += " "
                self.walk(child, bold or _is_bold(child))
                self.current.text += " "
            else:
                self.walk(child, bold or _is_bold(child))


def html_to_paragraphs(html: str) -> list[Paragraph]:
    """Extract paragraphs from an article body; bold or <h*> lead-ins become headings."""
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    collector = _Collector()
    collector.walk(root)
    collector.flush()
    paragraphs: list[Paragraph] = []
    heading = ""
    for block in collector.blocks:
        text = _SPACE_BETWEEN_CJK.sub("", clean_text(block.text)) if "\n" in block.text else clean_text(block.text)
        if not text or _BOILERPLATE_LINES.search(text):
            continue
        paragraphs.append(Paragraph(text=text, heading=heading))
        compact = len(text.replace(" ", ""))
        if block.is_heading_tag or (block.bold_chars >= 0.9 * compact and compact <= 80):
            heading = text
    return paragraphs
