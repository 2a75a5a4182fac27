"""Chinese text analysis shared by articles and questions: normalise, segment, filter.

Normalisation (NFKC, Traditional to Simplified, ASCII lower case) only changes what is
matched; the text shown to users is never altered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .segment import ANALYSIS_DATA, Segmenter, default_segmenter

try:  # compiled at install where a C compiler is found (setup.py); else the same rules in Python
    from ._fields import cached_fields, map_units
    from ._fields import index_fields as compiled_fields
except ImportError:
    cached_fields = compiled_fields = map_units = None

NORMALISED_KEPT = 20_000  # passage texts whose normal form the question path keeps (about 25 MB when full)
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


_UNMAPPED = 0xFFFF  # in the table below: this character needs the general `normalise`
_HANGUL_FOLLOWERS = (range(0x1161, 0x1176), range(0x11A8, 0x11C3))  # vowels, finals: compose with what precedes


def _composes_with_previous() -> set[int]:
    """Characters that NFKC may join to the character before them, or reorder: combining marks,
    the second half of a canonical pair, Hangul vowels and finals."""
    found = {code for span in _HANGUL_FOLLOWERS for code in span}
    for code in range(0x10000):
        char = chr(code)
        if unicodedata.combining(char):
            found.add(code)
        parts = unicodedata.decomposition(char).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            found.add(int(parts[1], 16))
    return found


@cache
def _char_table() -> tuple[np.ndarray, np.ndarray]:
    """Per UTF-16 code unit: its NFKC form, and that form's simplified lower case (`normalise`
    of the character), for characters whose forms are one code unit that nothing around it can
    change; `_UNMAPPED` for the rest (surrogates, ligatures, combining marks, Σ, which lowers by
    context). Built once per process, in about 0.1 s."""
    table = _traditional_to_simplified()
    nfkc = np.arange(0x10000, dtype=np.uint32)
    final = np.arange(0x10000, dtype=np.uint32)
    for code in range(0x10000):
        char = chr(code)
        if not unicodedata.is_normalized("NFKC", char):
            form = unicodedata.normalize("NFKC", char)
            nfkc[code] = ord(form) if len(form) == 1 and ord(form) < 0x10000 else _UNMAPPED
        simple = char.translate(table).lower()
        final[code] = ord(simple) if len(simple) == 1 and ord(simple) < 0x10000 else _UNMAPPED
    unsure = [*_composes_with_previous(), *range(0xD800, 0xE000), 0x03A3, _UNMAPPED]
    final[unsure] = _UNMAPPED
    return nfkc.astype(np.uint16), final.astype(np.uint16)


@cache
def _composed_table() -> bytes:
    """`_char_table`'s two steps as one table, for retrieval/_fields.c's `map_units`."""
    nfkc, final = _char_table()
    return final.take(nfkc).tobytes()


def normalise_long(text: str) -> str:
    """`normalise` by table lookups: the same result at a fraction of the cost (1.1 µs a passage in
    C, 5.4 with numpy, against 36.8), for indexing.

    Mapping each character on its own gives NFKC of the whole text when the mapped text is in
    NFKC already, which holds when no mapped character composes with its neighbour or is a
    combining mark (the table marks those). Anything the table cannot map takes `normalise`."""
    if map_units is not None:
        mapped = map_units(text, _composed_table())
        return normalise(text) if mapped is None else mapped
    return normalise_by_numpy(text)


def normalise_by_numpy(text: str) -> str:
    """`normalise_long` without the compiled module."""
    nfkc, final = _char_table()
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    mapped = final.take(nfkc.take(units)).tobytes()
    if b"\xff\xff" in mapped:  # an unmapped unit (or, rarely, two neighbours' bytes): the general path
        return normalise(text)
    return mapped.decode("utf-16-le")


@lru_cache(maxsize=65_536)
def normalise_char(char: str) -> str:
    """Normalise one character; used to map highlight spans back onto the original text."""
    return normalise(char)


@lru_cache(maxsize=NORMALISED_KEPT)
def normalised(text: str) -> str:
    """`normalise`, remembered: the question path reads the same passages again and again."""
    return normalise(text)


@cache
def load_stopwords(path: Path = ANALYSIS_DATA / "stopwords.txt") -> frozenset[str]:
    """The stopword list kept in the repository (comments start with #)."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            words.add(normalise(word))
    return frozenset(words)


@dataclass(frozen=True)
class AnalysedText:
    """The two token streams of a text: whole words (and sub-words) and character bigrams."""

    words: list[str]
    bigrams: list[str]


TOKEN_MEMORY = 500_000  # distinct tokens whose analysis is remembered


_RUN_END = "|"  # never inside a Chinese run


class Analyzer:
    """jieba words (with dictionary sub-words of long words) and CJK character bigrams.

    Stopwords are dropped from both streams; bigrams never span a dropped stopword, so
    "开了什么会议" gives 会议 but not 了什 or 么会.
    """

    def __init__(self, sub_words: bool = True, remove_stopwords: bool = True,
                 segmenter: Segmenter | None = None) -> None:  # fmt: skip
        self.sub_words = sub_words
        self.stopwords = load_stopwords() if remove_stopwords else frozenset()
        self.segmenter = segmenter or default_segmenter()
        self._tokens: dict[str, tuple[tuple[str, ...], str, str]] = {}  # piece -> words, run part, words joined

    def _sub_words(self, token: str) -> list[str]:
        """Dictionary words of two and three characters inside a longer word."""
        found = []
        for size in (2, 3):
            if len(token) > size:
                for start in range(len(token) - size + 1):
                    gram = token[start : start + size]
                    if gram not in self.stopwords and self.segmenter.is_word(gram):
                        found.append(gram)
        return found

    def analyse(self, text: str) -> AnalysedText:
        return self.analyse_normalised(normalise(text))

    def analyse_normalised(self, text: str) -> AnalysedText:
        """`analyse` for text already passed through `normalise`."""
        entries = self._entries(text)
        words = [word for entry in entries for word in entry[0]]
        return AnalysedText(words=words, bigrams=_bigrams(entries))

    def index_fields(self, text: str) -> tuple[str, str]:
        """The `words` and `grams` fields of a normalised passage: `analyse_normalised`'s two
        streams joined by spaces, built with fewer steps (indexing does this for every passage)."""
        pieces = self.segmenter.coarse_cut(text)
        if cached_fields is not None:  # every piece already described: all in C
            fields = cached_fields(pieces, self._tokens)
            if fields is not None:
                return fields
        return joined_fields(self._entries_of(pieces))

    def _entries(self, text: str) -> list[tuple[tuple[str, ...], str, str]]:
        return self._entries_of(self.segmenter.coarse_cut(text))

    def _entries_of(self, pieces: list[str]) -> list[tuple[tuple[str, ...], str, str]]:
        entries = list(map(self._tokens.get, pieces))
        if None in entries:
            entries = [entry or self._describe(piece) for entry, piece in zip(entries, pieces, strict=True)]
        return entries  # type: ignore[return-value]

    def _describe(self, piece: str) -> tuple[tuple[str, ...], str, str]:
        """What a piece of the segmenter's coarse cut adds: its indexed words, and its part of a
        Chinese run (or a run end). Remembered: news repeats its words."""
        words = self.segmenter.refine(piece)
        if len(words) == 1:
            indexed, run = self._describe_word(words[0])
        else:
            described = [self._describe_word(word) for word in words]
            indexed = tuple(word for found, _ in described for word in found)
            run = "".join(part for _, part in described)
        entry = (indexed, run, " ".join(indexed))
        if len(self._tokens) >= TOKEN_MEMORY:
            self._tokens.clear()
        self._tokens[piece] = entry
        return entry

    def _describe_word(self, word: str) -> tuple[tuple[str, ...], str]:
        token = word.strip()
        if not token or not _MEANINGFUL.search(token) or token in self.stopwords:
            return (), _RUN_END
        indexed = (*self._sub_words(token), token) if self.sub_words else (token,)
        return indexed, token if _CJK_RUN.fullmatch(token) else _RUN_END

    def words(self, text: str) -> list[str]:
        return self.analyse(text).words

    def bigrams(self, text: str) -> list[str]:
        return self.analyse(text).bigrams


def _bigrams(entries: list[tuple[tuple[str, ...], str, str]]) -> list[str]:
    """Chinese words join into runs; anything else ends one. Bigrams never cross a run's end."""
    runs = "".join([entry[1] for entry in entries]).split(_RUN_END)
    return [run[i : i + 2] if len(run) > 1 else run for run in runs if run for i in range(max(len(run) - 1, 1))]


def joined_fields_python(entries: list[tuple[tuple[str, ...], str, str]]) -> tuple[str, str]:
    """The `words` and `grams` fields from the analyser's entries (retrieval/_fields.c does the same in C)."""
    return " ".join([entry[2] for entry in entries if entry[2]]), " ".join(_bigrams(entries))


# 12 times faster compiled: 18.5 -> 1.5 µs a passage
joined_fields = compiled_fields or joined_fields_python


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))
