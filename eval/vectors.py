"""Precomputed passage vectors for the evaluation corpora, the tests and the bundled corpus.

    python -m eval.vectors

Embeds (once: vectors already in the files are kept) every passage of the bundled corpus, the
archive samples (tests/fixtures/archive_sample, eval/data/archive2) and the CMRC 2018 trial
contexts, and writes `eval/data/vectors.f16` (all of them: the harness and the tests seed their
indexes from it instead of spending minutes embedding) and `corpus/.vectors.f16` (the bundled
corpus only: a fresh clone answers by meaning at once). The questions of every evaluation set
go to `eval/data/question_vectors.f16`, keyed by the text the scorer is given (retrieval.semantic.
question_key), so the quality guard does not embed 1,100 questions at each run. Rebuild after a change to chunking or
to the embedding model; the files record the model they were made with and are ignored otherwise.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from retrieval.analyse import Analyzer
from retrieval.engine import MAX_QUESTION_CHARS, Engine
from retrieval.query import parse_question
from retrieval.semantic import SemanticScorer, model_identity, passage_text, question_key
from retrieval.vector_index import read_seed, vector_key, write_seed

from . import cmrc, news
from .memindex import stored_passages

ROOT = Path(__file__).resolve().parent.parent
ALL_VECTORS = ROOT / "eval" / "data" / "vectors.f16"
BUNDLED_VECTORS = ROOT / "corpus" / ".vectors.f16"
QUESTION_VECTORS = ROOT / "eval" / "data" / "question_vectors.f16"
QUESTION_SETS = (news.QUESTIONS, ROOT / "eval" / "news_questions_heldout.jsonl", *news.ARCHIVE2_SETS.values())
CORPORA = (
    ROOT / "corpus",
    ROOT / "tests" / "fixtures" / "archive_sample",
    ROOT / "eval" / "data" / "archive2" / "posts",
)


def corpus_texts(folder: Path) -> list[str]:
    """Every passage of a corpus as the scorer reads it."""
    with tempfile.TemporaryDirectory(prefix="newsqa-vectors-") as tmp:
        engine = Engine(folder, Path(tmp) / "index")
        try:
            return [passage_text(p.article_title, p.text) for p in stored_passages(engine.index.searcher())]
        finally:
            engine.close()


def question_texts() -> list[str]:
    """Every evaluation question as the scorer receives it (parsed: dates and filters cut out)."""
    analyzer = Analyzer()
    asked = [q.question for path in QUESTION_SETS for q in news.load_questions(path)]
    asked += [question for question, _ in cmrc.load().questions]
    return list(dict.fromkeys(parse_question(text[:MAX_QUESTION_CHARS], analyzer).text for text in asked))


def embed_questions(scorer: SemanticScorer, model: str) -> None:
    known = read_seed(QUESTION_VECTORS, model)
    texts = question_texts()
    missing = [text for text in texts if question_key(text) not in known]
    for text in missing:
        vector = scorer.question_vector(text)
        if vector is None:
            raise SystemExit("the semantic model cannot run here")
        known[question_key(text)] = vector
    live = {question_key(text) for text in texts}
    write_seed(QUESTION_VECTORS, model, {key: vector for key, vector in known.items() if key in live})
    print(f"{len(texts)} questions, {len(missing)} embedded; wrote {QUESTION_VECTORS}")


def main() -> None:
    model = model_identity()
    known = read_seed(ALL_VECTORS, model)
    texts_by_corpus = {folder: corpus_texts(folder) for folder in CORPORA}
    texts = [text for group in texts_by_corpus.values() for text in group]
    texts += [passage_text(p.article_title, p.text) for p in cmrc.load().contexts]
    missing = [text for text in dict.fromkeys(texts) if vector_key(text) not in known]
    print(f"{len(set(texts))} passages, {len(missing)} to embed")
    started = time.monotonic()
    scorer = SemanticScorer()
    vectors = scorer.vectors(missing) if missing else []
    if vectors is None:
        raise SystemExit("the semantic model cannot run here")
    known.update(zip((vector_key(text) for text in missing), vectors, strict=True))
    live = {vector_key(text) for text in texts}
    write_seed(ALL_VECTORS, model, {key: vector for key, vector in known.items() if key in live})
    bundled = {vector_key(text) for text in texts_by_corpus[ROOT / "corpus"]}
    write_seed(BUNDLED_VECTORS, model, {key: known[key] for key in bundled})
    print(f"embedded {len(missing)} in {time.monotonic() - started:.0f} s; wrote {ALL_VECTORS} and {BUNDLED_VECTORS}")
    embed_questions(scorer, model)


if __name__ == "__main__":
    main()
