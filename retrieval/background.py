"""How close a question lies to news text in general, so a cosine can be read as unusual or not.

A cosine alone says little: multilingual-e5 puts a broad question ("上海全面解封是哪一天？")
about 0.88 from half of a Shanghai archive, while a narrow one is 0.88 only from its answer.
The background is the mean and covariance of passage vectors from a varied sample of news;
with them, a question's cosine with a passage becomes a standard score: how many standard
deviations above the question's typical cosine with a news passage it lies.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BACKGROUND_PATH = Path(__file__).with_name("semantic_background.npz")


@dataclass(frozen=True)
class Background:
    """Mean and covariance of the vectors of a varied sample of news passages, for one model."""

    model: str
    passages: int
    mean: np.ndarray
    covariance: np.ndarray

    @classmethod
    def of(cls, model: str, vectors: np.ndarray) -> Background:
        vectors = np.asarray(vectors, dtype=np.float64)
        return cls(model, len(vectors), vectors.mean(axis=0), np.cov(vectors, rowvar=False))

    def save(self, path: Path = BACKGROUND_PATH) -> None:
        np.savez_compressed(
            path, model=np.array(self.model), passages=np.array(self.passages),
            mean=self.mean.astype(np.float32), covariance=self.covariance.astype(np.float32),
        )  # fmt: skip

    @classmethod
    def load(cls, model: str, path: Path = BACKGROUND_PATH) -> Background | None:
        """The background saved for this model, or None (logged) when it is missing or for another model."""
        try:
            with np.load(path) as saved:
                background = cls(str(saved["model"]), int(saved["passages"]),
                                 saved["mean"].astype(np.float64), saved["covariance"].astype(np.float64))  # fmt: skip
        except (OSError, KeyError, ValueError) as error:
            log.warning("semantic background unreadable (%s): closeness is judged by the cosine alone", error)
            return None
        if background.model != model:
            log.warning("semantic background is for %s, not %s: closeness is judged by the cosine alone",
                        background.model, model)  # fmt: skip
            return None
        return background

    def standard_scores(self, question_vector: np.ndarray, cosines: list[float]) -> list[float]:
        """Each cosine as standard deviations above the question's mean cosine with news passages."""
        vector = np.asarray(question_vector, dtype=np.float64)
        centre = float(vector @ self.mean)
        spread = math.sqrt(max(float(vector @ self.covariance @ vector), 1e-12))
        return [(cosine - centre) / spread for cosine in cosines]
