"""A deterministic synthetic RSSHub archive, in the real archive's format, at any size.

    python -m bench.archive --posts 15000 --out DIR [--seed 7]

Posts are Hexo markdown (YAML front matter, then an HTML body) in `<category>/<feed>/<subfeed>/
<title>.md`, like Rock-Candy-Tea/RSSHUB-PAGE. The text is real news: sentences of the 342
posts of eval/data/archive2, recombined across articles (most of a post's sentences come from
one source article, so its words go together), with numbers, dates and person names varied,
plus a share of sentences of words drawn by frequency from jieba's dictionary, so that the
vocabulary grows with the archive as a real one does. Each feed's body markup imitates its
site (cnBeta, IT 之家, 未名新闻 with its watermark and ads, Sina with its comments and QR box...).

`DIR/.bench-archive.json` (hidden: readers skip it) records the parameters, the counts and
phrases of the written text that `make_questions` turns into questions.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import random
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path

import jieba
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "eval" / "data" / "archive2"
DICT_PATH = Path(jieba.__file__).resolve().parent / "dict.txt"
META_FILE = ".bench-archive.json"
VERSION = 2  # bump whenever the generated text changes
DICT_SHARE = 0.2  # share of sentences made of dictionary words
MAIN_SHARE = 0.5  # share of real sentences taken from the post's source article
SPLICE_SHARE = 0.4  # share of real sentences made of the head of one and the tail of another
PHRASES_KEPT = 4000
FIRST_DAY = datetime(2018, 6, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2024, 1, 1, tzinfo=UTC) - FIRST_DAY).total_seconds())

BLOCK_TAGS = ["p", "div", "section", "li", "h1", "h2", "h3", "h4", "table", "tr", "figure", "figcaption", "center"]
SENTENCE = re.compile(r"[^。！？!?]+(?:[。！？!?]+[”’」』\"]?|$)")
COMMA = re.compile("，")
CLAUSE_CUT = re.compile(r"[，,；;：:、（）()《》“”「」『』\"'_。！？!?]")
NOISE = re.compile(r"责任编辑|原标题|来源[:：]|http|www\.|@|扫码|二维码|关注|微信|Mitbbs|广告|点击|\[email|版权|转载")
SLOT = re.compile(
    r"(?P<Y>(?:19|20)\d\d(?=\s?年))|(?P<M>(?<!\d)\d{1,2}(?=\s?月))|(?P<D>(?<![\d.])\d{1,2}(?=\s?[日号]))"
    r"|(?P<N>(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d]))"
)
SURNAMES = (  # for new names
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈"
    "姚卢姜崔钟谭陆汪范金廖贾夏韦方白邹孟熊秦邱江薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
NAME_SURNAMES = (  # for spotting names: the surnames that rarely begin other words
    "王李张刘陈杨黄赵吴周徐孙马胡郭何高罗郑梁宋唐许韩冯邓曹彭肖田董袁潘蒋蔡叶程魏吕丁沈"
    "姚卢姜崔钟谭陆汪廖夏邹孟熊秦邱薛段侯陶黎贺顾郝龚邵钱严"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕彬辉鹏宇浩然晨博文轩思涵欣怡佳琪雨婷建国志海波宁新春"
TRADITIONAL = ("巴哈姆特", "Animen 动漫平台")  # feeds written in Traditional Chinese
EDITORS = ("王珊珊", "李铁民", "张玉", "刘万鸣", "陈永", "杨赐", "郭明煜", "宋雅芳", "何松琳", "赵艳丽")
QUESTION_FORMS = (
    "{}是怎么回事？",
    "{}的情况怎么样？",
    "关于{}有什么消息？",
    "{}是什么时候的事？",
    "{}",
    "{}有哪些细节？",
    "{}的原因是什么？",
    "哪里提到{}？",
)
LEADING_WORDS = (
    "据报道",
    "据悉",
    "据了解",
    "值得一提的是",
    "与此同时",
    "数据显示",
    "另外",
    "此外",
    "同时",
    "但是",
    "不过",
    "而且",
    "其中",
    "因此",
    "目前",
    "但",
    "而",
)


# ---------------------------------------------------------------- the real text


@dataclass(frozen=True)
class Template:
    """A real sentence cut at what can vary: literal text, then (kind, original, literal) triples;
    kinds are Y year, M month, D day, N number, P person."""

    parts: tuple[str, ...]
    varies: bool


@dataclass(frozen=True)
class Source:
    """One real post: its feed path, site name, sentences, and its script (Traditional or not)."""

    feed: tuple[str, str, str]
    author: str
    sentences: tuple[Template, ...]
    traditional: bool


@dataclass(frozen=True)
class Material:
    """Everything the generator draws from, read once."""

    sources: tuple[Source, ...]
    pools: dict[bool, tuple[Template, ...]]  # every sentence of the sources in each script
    shapes: tuple[int, ...]  # sentences per real paragraph, as observed
    words: tuple[str, ...]  # jieba's dictionary words...
    cum_weights: tuple[float, ...]  # ...and their cumulative frequencies


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a Hexo post; ("", text) when it has none."""
    match = re.match(r"\ufeff?\s*---\s*\n(.*?)\n---\s*\n", text, re.S)  # real posts begin with a blank line
    return (match.group(1), text[match.end() :]) if match else ("", text)


def text_blocks(body: str) -> list[str]:
    """Visible text of an HTML body, one string per block element or <br>-separated line."""
    soup = BeautifulSoup(body, "lxml")
    for tag in soup(["script", "style", "ins", "iframe"]):
        tag.decompose()
    for tag in soup.find_all("font", color=re.compile("F8F8F8", re.I)):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (re.sub(r"\s+", " ", line).strip() for line in soup.get_text().split("\n"))
    return [line for line in lines if line]


def _cjk_share(text: str) -> float:
    return sum("\u4e00" <= char <= "\u9fff" for char in text) / max(len(text), 1)


def _good_sentence(sentence: str) -> bool:
    return 10 <= len(sentence) <= 160 and _cjk_share(sentence) >= 0.5 and not NOISE.search(sentence)


def _template(sentence: str, words: list[str], names: set[str]) -> Template:
    """Cut a sentence (and its jieba words) at its numbers, dates and person names."""
    segments: list[tuple[str, str]] = []  # (kind, text); kind "" for literal text
    literal = ""
    for word in words:
        if word in names:
            segments += [("", literal), ("P", word)]
            literal = ""
        else:
            literal += word
    segments.append(("", literal))
    parts: list[str] = [""]
    for kind, text in segments:
        if kind:
            parts += [kind, text, ""]
            continue
        last = 0
        for match in SLOT.finditer(text):
            parts[-1] += text[last : match.start()]
            parts += [match.lastgroup or "N", match.group(), ""]
            last = match.end()
        parts[-1] += text[last:]
    return Template(tuple(parts), len(parts) > 1)


@cache
def _dictionary() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """jieba's CJK dictionary words and their cumulative frequencies."""
    words, weights = [], []
    with DICT_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and int(parts[1]) > 0 and all("\u4e00" <= c <= "\u9fff" for c in parts[0]):
                words.append(parts[0])
                weights.append(int(parts[1]))
    return tuple(words), tuple(itertools.accumulate(weights))


def _person_names(tokens: dict[str, list[str]], known: frozenset[str]) -> set[str]:
    """Words that look like Chinese person names: a surname and one or two characters, found by
    jieba's HMM (not in its dictionary, whose "nr" tags are too loose to use)."""
    found = set()
    for words in tokens.values():
        for word in words:
            if 2 <= len(word) <= 3 and word[0] in NAME_SURNAMES and _cjk_share(word) == 1 and word not in known:
                found.add(word)
    return found


def _read_sources() -> list[tuple[tuple[str, str, str], str, list[list[str]]]]:
    """(feed, author, paragraphs as sentence lists) of every real post."""
    feeds = {}
    for line in (SOURCE_DIR / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        feeds[cells[0]] = tuple(cells[5].split("/"))
    out = []
    for path in sorted((SOURCE_DIR / "posts").glob("*.md")):
        front, body = split_front_matter(path.read_text(encoding="utf-8"))
        author = re.search(r"^author:\s*(.+)$", front, re.M)
        feed = feeds.get(path.name, ("新媒体", "综合", "最新"))
        paragraphs = [[s.strip() for s in SENTENCE.findall(block)] for block in text_blocks(body)]
        paragraphs = [[s for s in sentences if _good_sentence(s)] for sentences in paragraphs]
        out.append((feed, author.group(1).strip() if author else feed[1], [p for p in paragraphs if p]))
    return out


@cache
def load_material() -> Material:
    """Read the real posts and jieba's dictionary once per process."""
    jieba.setLogLevel(60)
    words, cum_weights = _dictionary()
    raw = _read_sources()
    every = sorted({s for _, _, paragraphs in raw for p in paragraphs for s in p})
    tokens = {sentence: jieba.lcut(sentence) for sentence in every}
    names = _person_names(tokens, frozenset(words))
    templates = {s: _template(s, tokens[s], names) for s in every}
    sources = tuple(
        Source(feed, author, tuple(templates[s] for p in paragraphs for s in p), author in TRADITIONAL)
        for feed, author, paragraphs in raw
        if paragraphs and len(feed) == 3
    )
    pools = {}
    for script in (False, True):
        found = {t for source in sources if source.traditional == script for t in source.sentences}
        pools[script] = tuple(sorted(found, key=lambda t: t.parts))
    shapes = tuple(len(p) for _, _, paragraphs in raw for p in paragraphs)
    return Material(sources, pools, shapes, words, cum_weights)


# ---------------------------------------------------------------- filling the text


class Writer:
    """Text for one post: varied real sentences and dictionary sentences, names kept consistent."""

    def __init__(self, material: Material, rng: random.Random, source: Source) -> None:
        self.material, self.rng, self.source = material, rng, source
        self.names: dict[str, str] = {}
        self.year_shift = rng.randint(-3, 2)

    def _name(self, original: str) -> str:
        if original not in self.names:
            rng = self.rng
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            self.names[original] = rng.choice(SURNAMES) + given
        return self.names[original]

    def _number(self, original: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            return original
        whole, _, decimals = original.partition(".")
        digits = len(whole)
        value = str(rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))
        return value + ("." + "".join(rng.choice("0123456789") for _ in decimals) if decimals else "")

    def _slot(self, kind: str, original: str) -> str:
        if kind == "P":
            return self._name(original) if self.rng.random() < 0.7 else original
        if kind == "Y":
            return str(min(max(int(original) + self.year_shift, 2010), 2024))
        if kind == "M":
            return str(self.rng.randint(1, 12))
        if kind == "D":
            return str(self.rng.randint(1, 28))
        return self._number(original)

    def fill(self, template: Template) -> str:
        parts = template.parts
        if not template.varies:
            return parts[0]
        out = [parts[0]]
        for at in range(1, len(parts) - 1, 3):
            out.append(self._slot(parts[at], parts[at + 1]))
            out.append(parts[at + 2])
        return "".join(out)

    def dictionary_sentence(self) -> str:
        rng, material = self.rng, self.material
        size = rng.randint(8, 22)
        words = rng.choices(material.words, cum_weights=material.cum_weights, k=size)
        if rng.random() < 0.3:
            words[rng.randrange(size)] = str(rng.randint(2, 9999))
        cut = rng.randint(3, size - 3)
        return "".join(words[:cut]) + "，" + "".join(words[cut:]) + rng.choice("。。。。！？")

    def real_template(self) -> Template:
        own = self.source.sentences
        if own and self.rng.random() < MAIN_SHARE:
            return self.rng.choice(own)
        return self.rng.choice(self.material.pools[self.source.traditional])

    def spliced(self) -> str:
        """The head of one real sentence and the tail of another, cut at commas ("" if none)."""
        rng = self.rng
        head, tail = self.fill(self.real_template()), self.fill(self.real_template())
        head_cuts = [m.end() for m in COMMA.finditer(head)]
        tail_cuts = [m.end() for m in COMMA.finditer(tail)]
        if not head_cuts or not tail_cuts:
            return ""
        return head[: rng.choice(head_cuts)] + tail[rng.choice(tail_cuts) :]

    def real_sentence(self) -> tuple[str, bool]:
        """A real sentence, varied, and whether the same text can come out elsewhere."""
        if self.rng.random() < SPLICE_SHARE:
            text = self.spliced()
            if text:
                return text, False
        template = self.real_template()
        return self.fill(template), not template.varies

    def paragraph(self) -> tuple[str, str]:
        """A paragraph, and one real sentence of it ("" when none) for the question phrases."""
        rng = self.rng
        sentences, real, fixed = [], "", True
        for _ in range(rng.choice(self.material.shapes)):
            if rng.random() < DICT_SHARE:
                sentences.append(self.dictionary_sentence())
                fixed = False
                continue
            text, repeats = self.real_sentence()
            sentences.append(text)
            real = real or text
            fixed = fixed and repeats
        if fixed:  # the same paragraph in several posts would be dropped as site boilerplate
            extra = self.spliced() or self.spliced() or self.dictionary_sentence()
            sentences.append(extra)
        return "".join(sentences), real


# ---------------------------------------------------------------- markup


@dataclass
class Post:
    """One generated post before rendering."""

    title: str
    feed: tuple[str, str, str]
    author: str
    date: str
    image: str
    paragraphs: list[str]
    style: str
    editor: str


STYLE_OF_AUTHOR = {
    "cnBeta": "cnbeta",
    "快科技（原驱动之家）": "cnbeta",
    "IT 之家": "ithome",
    "未名新闻": "mitbbs",
    "3DMGame": "indent",
    "巴哈姆特": "indent",
    "Dockone": "breaks",
    "开源中国": "breaks",
    "证券时报网": "sina",
    "观察者网": "sina",
}
HOSTS = {"cnbeta": "static.cnbetacdn.com", "ithome": "img.ithome.com", "mitbbs": "www.mitbbs.com"}


def _image_url(rng: random.Random, style: str, day: datetime) -> str:
    host = HOSTS.get(style, "img.newsarchive.cn")
    return f"https://{host}/article/{day:%Y/%m}/{rng.getrandbits(48):012x}.jpeg"


def _img(url: str) -> str:
    return f'<a href="{url}" target="_blank"><img src="{url}" referrerpolicy="no-referrer"></a>'


def _ithome_paragraph(rng: random.Random, text: str) -> str:
    mark = f"{rng.getrandbits(16):04x}"
    pieces = CLAUSE_CUT.split(text)
    accent = max(pieces, key=len) if rng.random() < 0.25 else ""
    if len(accent) >= 6:
        text = text.replace(accent, f'<span class="accentTextColor">{accent}</span>', 1)
    return f'<p data-vmark="{mark}">{text}</p>'


SINA_TAIL = """<!-- news_keyword_pub,stock, -->

<!-- 正文下iframe -->

<!-- 总声明-->
            <style>
            .appendQr_wrap&#123;border:1px solid #E6E6E6;padding:8px;&#125;
            .appendQr_normal img&#123;width:74px;&#125;
            </style>
            <div class="clearfix appendQr_wrap">
                <div class="appendQr_normal"><img src="{image}" referrerpolicy="no-referrer"></div>
                <div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div>
            </div>
"""
MITBBS_AD = """
                <!--广告画开始-->
</p><div><table height="280" cellspacing="0" cellpadding="0" width="336" align="left" border="0">
            <tbody><tr><td align="center">
<!-- news_page_336_280 -->
<ins class="adsbygoogle" style="display:inline-block;width:336px;height:280px"
 data-ad-client="ca-pub-9374326915974877" data-ad-slot="1145044815"></ins>
<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>
</td></tr>
        </tbody></table></div>
<!--广告画结束-->
            <p></p>"""
SCRIPT = (
    '<script type="text/javascript">var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script");'
    ' hm.src = "https://hm.baidu.com/hm.js?{0:032x}"; }})();</script>'
)


def _paragraph_markup(rng: random.Random, style: str, text: str, first: bool) -> str:
    """One paragraph in its site's markup."""
    if style == "cnbeta" and first:
        cut = text.find("。") + 1 or len(text)
        return f"<strong>{text[:cut]}</strong>{text[cut:]}<br>\n "
    if style == "ithome":
        return _ithome_paragraph(rng, text)
    if style == "mitbbs":
        return f'<p style="text-indent:2em">{text}<font color="#F8F8F8">Mitbbs.com</font><br></p><br>'
    if style == "indent":
        return f'<p style="text-indent:2em;">\n{text}\n</p>\n'
    if style == "breaks":
        return f"<br>{text}<br>\n"
    if style == "sina":
        return f"<p>\u3000\u3000{text}</p>\n"
    return f"<p>{text}</p>\n"


def _image_markup(rng: random.Random, style: str, url: str, caption: str) -> str:
    if style == "mitbbs":
        return f'</span><img src="{url}" referrerpolicy="no-referrer"><span class="black_14p">'
    if style == "plain" and caption:
        image = f'<img src="{url}" referrerpolicy="no-referrer">'
        return f'<figure class="wp-caption aligncenter">{image}<figcaption>{caption}</figcaption></figure>\n'
    if style == "indent":
        return f'<p align="center">\n<img src="{url}" alt referrerpolicy="no-referrer">\n</p>\n'
    return f'<p style="text-align:center">{_img(url)}</p>'


def render_body(rng: random.Random, post: Post) -> tuple[str, int]:
    """The HTML body, and how many text blocks other than paragraphs it shows (captions, editor)."""
    style = post.style
    out = ["<div>   \n"]
    if style == "mitbbs":
        out.append('\n                \n        <span class="black_14p">')
    images = {rng.randrange(len(post.paragraphs)) for _ in range(rng.choice((0, 1, 1, 2, 3)))}
    extra = 0
    for at, text in enumerate(post.paragraphs):
        out.append(_paragraph_markup(rng, style, html.escape(text, quote=False), at == 0))
        if at in images:
            url = post.image if at == min(images) else _image_url(rng, style, FIRST_DAY)
            caption = html.escape(text[:20], quote=False) if rng.random() < 0.5 else ""
            extra += bool(style == "plain" and caption)
            out.append(_image_markup(rng, style, url, caption))
        if style == "mitbbs" and at == 2:
            out.append(MITBBS_AD)
        elif rng.random() < 0.02:
            out.append(f"<!-- {rng.choice(('adv', '正文页画中画', 'end content', 'related'))} -->\n")
    if style == "mitbbs":
        out.append("</span>")
    if rng.random() < 0.1:
        out.append(SCRIPT.format(rng.getrandbits(128)))
    if style == "sina":
        out.append(SINA_TAIL.replace("{image}", post.image))
    if post.editor:
        cls = ' class="article-editor"' if style == "sina" else ""
        out.append(f"\n<p{cls}>责任编辑：{post.editor} </p>\n")
        extra += 1
    out.append("\n  \n</div>\n")
    return "".join(out), extra


def render_post(rng: random.Random, post: Post) -> tuple[str, int]:
    """The whole file: YAML front matter, then the body."""
    title = post.title.replace("'", "''")
    categories = "".join(f"\n - {name}" for name in post.feed)
    front = (
        f"\n---\ntitle: '{title}'\ncategories: {categories}\nheadimg: '{post.image}'\nauthor: {post.author}\n"
        f"comments: false\ndate: {post.date}\nthumbnail: '{post.image}'\n---\n\n"
    )
    body, extra = render_body(rng, post)
    return front + body, extra


# ---------------------------------------------------------------- posts


def _title(lead: str, rng: random.Random) -> str:
    """A headline from the lead sentence: its first clauses up to 30 characters."""
    text = lead.rstrip('。！？!?”」"')
    for prefix in LEADING_WORDS:
        if text.startswith(prefix) and len(text) > len(prefix) + 8:
            text = text[len(prefix) :].lstrip("，, ")
    title = ""
    for clause in re.split(r"[，,；;]", text):
        if len(title) >= 8 or len(title) + len(clause) > 30:
            break
        title = f"{title} {clause}" if title else clause
    return (title or text[: rng.randint(16, 24)]).strip() or "无题"


def _file_name(title: str) -> str:
    """What the archive repository makes of a title: path separators and dots dropped."""
    name = re.sub(r'[\\/:*?"<>|.\n\r\t]', "", title).strip() or "post"
    return name[:60]


def make_post(material: Material, seed: int, number: int) -> tuple[Post, list[str]]:
    """Post `number` of the archive for `seed`, and the real sentences it used."""
    rng = random.Random(seed * 1_000_003 + number)
    source = rng.choice(material.sources)
    writer = Writer(material, rng, source)
    paragraphs, reals = [], []
    for _ in range(rng.randint(4, 24)):
        text, real = writer.paragraph()
        paragraphs.append(text)
        if real:
            reals.append(real)
    day = FIRST_DAY + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    style = STYLE_OF_AUTHOR.get(source.author, "plain")
    invalid = style == "mitbbs" and rng.random() < 0.3
    post = Post(
        title=_title(reals[0] if reals else paragraphs[0], rng),
        feed=source.feed,
        author=source.author,
        date="Invalid Date" if invalid else format_datetime(day, usegmt=True),
        image=_image_url(rng, style, day),
        paragraphs=paragraphs,
        style=style,
        editor=rng.choice(EDITORS) if style == "sina" or rng.random() < 0.15 else "",
    )
    return post, reals


def _phrase(sentence: str, rng: random.Random) -> str:
    """A clause of 6-18 characters of a sentence, for questions ("" when it has none)."""
    clauses = [c.strip() for c in CLAUSE_CUT.split(sentence.rstrip("。！？!?")) if 6 <= len(c.strip()) <= 18]
    clauses = [c for c in clauses if _cjk_share(c) >= 0.6]
    if not clauses:
        return ""
    clause = rng.choice(clauses)
    for prefix in LEADING_WORDS:
        if clause.startswith(prefix) and len(clause) - len(prefix) >= 5:
            return clause[len(prefix) :]
    return clause


@dataclass
class Summary:
    """What was written."""

    posts: int = 0
    paragraphs: int = 0
    other_blocks: int = 0
    bytes: int = 0
    seconds: float = 0.0


def _unique_path(post: Post, reals: list[str], used: set[Path], rng: random.Random) -> tuple[Path, str]:
    """A file path and title not used yet: the lead's headline, another sentence's, or a numbered copy."""
    folder = Path(*post.feed)
    titles = [post.title] + [_title(sentence, rng) for sentence in reals[1:4]]
    for title in titles:
        path = folder / f"{_file_name(title)}.md"
        if path not in used:
            return path, title
    for copy in itertools.count(2):
        path = folder / f"{_file_name(post.title)} {copy}.md"
        if path not in used:
            return path, post.title
    raise AssertionError("unreachable")


def iter_posts(count: int, seed: int) -> Iterator[tuple[Path, str, int, int, str]]:
    """(relative path, file text, paragraphs, other text blocks, phrase) of each post."""
    material = load_material()
    used: set[Path] = set()
    for number in range(count):
        post, reals = make_post(material, seed, number)
        rng = random.Random(f"{seed}/{number}/markup")
        path, post.title = _unique_path(post, reals, used, rng)
        used.add(path)
        text, extra = render_post(rng, post)
        phrase = _phrase(rng.choice(reals), rng) if reals else ""
        yield path, text, len(post.paragraphs), extra, phrase


def write_archive(out: Path, count: int, seed: int = 7) -> Summary:
    """Write the archive to `out` (replacing an archive written here before) and its metadata."""
    meta_path = out / META_FILE
    if out.exists() and any(out.iterdir()):
        if not meta_path.exists():
            raise SystemExit(f"{out} is not empty and holds no {META_FILE}: not overwriting it")
        shutil.rmtree(out)
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    meta = {"version": VERSION, "posts": count, "seed": seed, "complete": False}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")  # marks a partial archive as ours
    summary = Summary()
    phrases: list[str] = []
    made: set[Path] = set()
    for path, text, paragraphs, extra, phrase in iter_posts(count, seed):
        target = out / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        data = text.encode("utf-8")
        target.write_bytes(data)
        summary.posts += 1
        summary.paragraphs += paragraphs
        summary.other_blocks += extra
        summary.bytes += len(data)
        if phrase:
            phrases.append(phrase)
    summary.seconds = time.perf_counter() - start
    kept = random.Random(seed).sample(phrases, min(PHRASES_KEPT, len(phrases)))
    meta = {**meta, "complete": True, **vars(summary), "phrases": kept}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


def read_meta(archive: Path) -> dict | None:
    """The metadata of an archive written by write_archive, or None."""
    try:
        return json.loads((archive / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(archive: Path, count: int, seed: int) -> bool:
    """True when `archive` was written by this generator version with these parameters."""
    meta = read_meta(archive)
    wanted = (VERSION, count, seed, True)
    return bool(meta) and (meta["version"], meta["posts"], meta["seed"], meta.get("complete")) == wanted


def make_questions(phrases: list[str], count: int, seed: int = 7) -> list[str]:
    """`count` short questions, each a phrase of the archive in a question form; deterministic."""
    rng = random.Random(f"questions/{seed}")
    if not phrases:
        return []
    pool = sorted(set(phrases))
    rng.shuffle(pool)
    picks = [pool[i % len(pool)] for i in range(count)]
    return [rng.choice(QUESTION_FORMS).format(phrase) for phrase in picks]


def load_questions(archive: Path, count: int) -> list[str]:
    """Questions for an archive written by write_archive (empty when it has no metadata)."""
    meta = read_meta(archive)
    return make_questions(meta["phrases"], count, meta["seed"]) if meta else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    summary = write_archive(args.out, args.posts, args.seed)
    print(
        f"wrote {summary.posts} posts, {summary.paragraphs} paragraphs (+{summary.other_blocks} captions and "
        f"editor lines), {summary.bytes / 2**20:.1f} MB to {args.out} in {summary.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
