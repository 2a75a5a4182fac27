"""Per-question detail for one question set: where the answer landed and what was quoted.

`python -m eval.diagnose --archive2 calibration [--set NAME=VALUE] [--all]` prints, for each
miss (or every question with --all), the top hits with their coverage and closeness, so a
failure can be read rather than guessed at. Use it on calibration halves only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path, PurePosixPath

from retrieval.answer import ELLIPSIS, build_answer
from retrieval.chunk import split_sentences

from . import news
from .run import _settings
from .system import NewsqaSystem


def _holds(lead: str, quote: str | None) -> bool:
    """The lead (or the first quote's first sentence, when there is no lead) says the quoted fact."""
    if not quote or not lead:
        return False
    lead, quote = news.squash(lead), news.squash(quote)
    return quote in lead or (len(lead) >= 10 and lead in quote)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive2", choices=sorted(news.ARCHIVE2_SETS))
    parser.add_argument("--questions", type=Path, metavar="JSONL")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--all", action="store_true", help="every question, not only the misses")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    args = parser.parse_args(argv)
    settings = _settings(args.set)
    corpus_dirs = news.ARCHIVE2_DIRS if args.archive2 else news.CORPUS_DIRS
    path = args.questions or (news.ARCHIVE2_SETS[args.archive2] if args.archive2 else news.QUESTIONS)
    questions = news.load_questions(path)
    rows = []
    with news.news_engine(settings, corpus_dirs) as engine:
        system = NewsqaSystem(engine.index, settings)
        for question in questions:
            hits = system.search(question.question, max(news.KS))
            rank = next((i for i, h in enumerate(hits, 1) if news.answers(question, h.doc, h.text)), None)
            query = system.query(question.question)
            weights = system.searcher.word_weights(query.words)
            answer = build_answer(question.question, hits[:3], query.words + query.bigrams, weights)
            opening = split_sentences(answer.quotes[0].text.strip(ELLIPSIS))[:1] if answer.quotes else []
            lead = answer.lead or "".join(opening)
            rows.append({
                "id": question.id, "question": question.question, "file": question.file, "rank": rank,
                "kind": question.kind, "lead": lead, "lead_holds": _holds(lead, question.quote),
                "hits": [{"doc": PurePosixPath(h.doc).name, "chunk": h.chunk, "coverage": round(h.coverage, 3),
                          "similarity": None if h.similarity is None else round(h.similarity, 4),
                          "text": h.text[:160]} for h in hits[:5]],
            })  # fmt: skip
    for row in rows:
        answerable = row["file"] is not None
        miss = (answerable and not (row["rank"] and row["rank"] <= 3)) or (not answerable and row["hits"])
        if not (args.all or miss):
            continue
        print(f"{row['id']} [{row['kind']}] {row['question']} -> {row['file']} rank {row['rank']}")
        for hit in row["hits"][:3]:
            print(f"    {hit['doc']}#{hit['chunk']} cov {hit['coverage']} sim {hit['similarity']}: {hit['text'][:90]}")
    outcomes = [news.Outcome(q, r["rank"], not r["hits"], []) for q, r in zip(questions, rows, strict=True)]
    figures = news.figures(outcomes)
    in_top3 = [row for row in rows if row["rank"] and row["rank"] <= 3]
    figures["lead_holds_quote"] = sum(row["lead_holds"] for row in in_top3) / max(len(in_top3), 1)
    print({name: round(value, 3) for name, value in figures.items()})
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
