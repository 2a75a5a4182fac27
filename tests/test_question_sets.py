"""The news question sets stay measurable: every quote is still a passage's text after ingestion."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from eval.memindex import stored_passages
from eval.news import QUESTIONS, load_questions, news_engine

HELD_OUT = QUESTIONS.with_name("news_questions_heldout.jsonl")


@pytest.fixture(scope="module")
def passages_by_file() -> dict[str, list[str]]:
    with news_engine() as engine:
        passages = stored_passages(engine.index.searcher())
    by_file: dict[str, list[str]] = {}
    for passage in passages:
        by_file.setdefault(PurePosixPath(passage.doc).name, []).append("".join(passage.text.split()))
    return by_file


@pytest.mark.parametrize("path", [QUESTIONS, HELD_OUT], ids=["calibration", "held-out"])
def test_every_quote_is_found_in_one_passage_of_its_article(path: Path, passages_by_file: dict[str, list[str]]) -> None:
    questions = load_questions(path)
    lost = [q.id for q in questions if q.answerable and not _quoted(q.quote or "", passages_by_file.get(q.file or ""))]
    assert lost == []
    assert len({q.id for q in questions}) == len(questions)
    assert sum(not q.answerable for q in questions) >= 10


def _quoted(quote: str, passages: list[str] | None) -> bool:
    squashed = "".join(quote.split())
    return any(squashed in text for text in passages or [])
