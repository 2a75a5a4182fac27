"""Chinese text analysis shared by articles and questions: normalise, segment, filter.

Normalisation (NFKC, Traditional to Simplified, ASCII lower case) only changes what is
matched; the text shown to users is never altered.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import jieba

ANALYSIS_DATA = Path(__file__).resolve().parent / "analysis"  # user dictionary and stopwords

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MEANINGFUL = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@cache
def _traditional_to_simplified() -> dict[int, str]:
    """Character table from OpenCC's TSCharacters (first candidate), for str.translate."""
    table: dict[int, str] = {}
    data = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in data.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source != target:
            table[ord(source)] = target
    return table


def normalise(text: str) -> str:
    """NFKC (Kangxi radicals, full-width forms), Traditional to Simplified, lower case."""
    return unicodedata.normalize("NFKC", text).translate(_traditional_to_simplified()).lower()


def normalise_char(char: str) -> str:
    """Normalise one character; used to map highlight spans back onto the original text."""
    return normalise(char)


@cache
def load_stopwords(path: Path = ANALYSIS_DATA / "stopwords.txt") -> frozenset[str]:
    """The stopword list kept in the repository (comments start with #)."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.add(normalise(word))
    return frozenset(words)


@cache
def _segmenter(userdict: Path = ANALYSIS_DATA / "userdict.txt") -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    if userdict.exists():
        tokenizer.load_userdict(str(userdict))
    return tokenizer


@dataclass(frozen=True)
class AnalysedText:
    """The two token streams of a text: whole words (and sub-words) and character bigrams."""

    words: list[str]
    bigrams: list[str]


class Analyzer:
    """jieba words (with dictionary sub-words of long words) and CJK character bigrams.

    Stopwords are dropped from both streams; bigrams never span a dropped stopword, so
    "开了什么会议" gives 会议 but not 了什 or 么会.
    """

    def __init__(self, sub_words: bool = True, remove_stopwords: bool = True) -> None:
        self.sub_words = sub_words
        self.stopwords = load_stopwords() if remove_stopwords else frozenset()
        self.segmenter = _segmenter()

    def _sub_words(self, token: str) -> list[str]:
        """Dictionary words of two and three characters inside a longer word."""
        found = []
        for size in (2, 3):
            if len(token) > size:
                for start in range(len(token) - size + 1):
                    gram = token[start : start + size]
                    if self.segmenter.FREQ.get(gram) and gram not in self.stopwords:
                        found.append(gram)
        return found

    def analyse(self, text: str) -> AnalysedText:
        words: list[str] = []
        bigrams: list[str] = []
        run = ""
        for piece in self.segmenter.cut(normalise(text)):
            token = piece.strip()
            if not token or not _MEANINGFUL.search(token) or token in self.stopwords:
                bigrams.extend(_run_bigrams(run))
                run = ""
                continue
            if self.sub_words:
                words.extend(self._sub_words(token))
            words.append(token)
            if _CJK_RUN.fullmatch(token):
                run += token
            else:
                bigrams.extend(_run_bigrams(run))
                run = ""
        bigrams.extend(_run_bigrams(run))
        return AnalysedText(words=words, bigrams=bigrams)

    def words(self, text: str) -> list[str]:
        return self.analyse(text).words

    def bigrams(self, text: str) -> list[str]:
        return self.analyse(text).bigrams


def _run_bigrams(run: str) -> list[str]:
    """Overlapping character bigrams of a CJK run; a lone character stands for itself."""
    if len(run) <= 1:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))
