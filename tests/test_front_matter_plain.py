"""The plain reading of front matter (retrieval.ingest.frontmatter) gives exactly what YAML gives,
and leaves to YAML everything it cannot be sure of."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import yaml

from retrieval.ingest.frontmatter import _SAFE_LOADER, _plain_front_matter, parse_front_matter, split_front_matter

ROOT = Path(__file__).parent.parent
VALUES = [
    "true", "Yes", "off", "~", "null", "1", "0x1f", "1.5", "3e5", ".inf", "1_000", "12:30", "2019-05-12",
    "2019-05-12 08:01:50", "'a''b'", "'x' y", "''", "'  spaced  '", "'unterminated", '"q"', "a: b", "a #c", "a#c",
    "-a", "- a", "&x", "*x", "!x", "|", ">", "%x", "@x", "`x", "[1]", "{a}", "?x", "<<", "=", "它's", "a:b",
    "Sun, 12 May 2019 08:01:50 GMT", "上海：新闻", "新\u3000闻", "IT 之家",
]  # fmt: skip
KEYS = ["title", "date", "tags", "true", "null", "on", "x-y", "_k", "1k", "k k"]


def _yaml(block: str) -> object:
    try:
        return yaml.load(block, Loader=_SAFE_LOADER) or {}
    except yaml.YAMLError:
        return "error"


def _random_block(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 5)):
        key = rng.choice(KEYS)
        if rng.random() < 0.3:
            lines.append(f"{key}:" + rng.choice(["", " "]))
            indent = rng.choice(["", " ", "  "])
            lines += [rng.choice([indent, indent, " "]) + "- " + rng.choice(VALUES) for _ in range(rng.randint(0, 3))]
        else:
            lines.append(f"{key}:" + rng.choice([" ", "  ", ""]) + rng.choice(VALUES) + rng.choice(["", " "]))
        if rng.random() < 0.1:
            lines.append(rng.choice(["", "  ", "  more", "# note", "\r", "---"]))
    return "\n".join(lines)


def test_every_real_front_matter_reads_as_yaml_reads_it() -> None:
    files = [path for folder in ("tests/fixtures", "corpus") for path in sorted((ROOT / folder).rglob("*"))]
    blocks = [
        split_front_matter(path.read_text(encoding="utf-8", errors="replace"))[0] for path in files if path.is_file()
    ]
    plain = [(block, _plain_front_matter(block)) for block in blocks if block is not None]
    read = [(block, fields) for block, fields in plain if fields is not None]
    assert len(read) >= 0.9 * len(plain) > 10  # the archive's own form is the plain one
    for block, fields in read:
        assert fields == _yaml(block)


def test_made_up_front_matter_reads_as_yaml_or_goes_to_yaml() -> None:
    rng = random.Random(11)
    read = 0
    for _ in range(20_000):
        block = _random_block(rng)
        fields = _plain_front_matter(block)
        if fields is None:
            continue
        read += 1
        expected = _yaml(block)
        assert fields == expected, block
        assert isinstance(expected, dict)
        assert [type(value) for value in fields.values()] == [type(value) for value in expected.values()], block
    assert read > 300


def test_typed_values_still_come_from_yaml() -> None:
    fields, warning = parse_front_matter("title: '上海'\ndate: 2019-05-12\ncomments: yes\nviews: 12")
    assert fields == {"title": "上海", "date": datetime.date(2019, 5, 12), "comments": True, "views": 12}
    assert warning is None
    fields, warning = parse_front_matter("title: '上海\ndate: [")
    assert warning and "malformed front matter" in warning and fields["title"] == "'上海"
