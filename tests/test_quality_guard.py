"""Quality guard: newsqa's figures on CMRC and the news set must not fall below eval/baseline.json."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest

from eval import baseline


@pytest.mark.timeout(1200)  # the semantic rerank embeds all 256 CMRC contexts: a few minutes on 2 cores
def test_figures_hold_against_baseline() -> None:
    current = baseline.newsqa_figures()
    assert baseline.regressions(current, baseline.load()) == []


def test_regressions_beyond_noise_are_caught() -> None:
    kept = {"news": {"top3": 0.80, "declined_answerable": 0.05}, "cmrc": {"MRR@10": 0.90}}
    within = {"news": {"top3": 0.785, "declined_answerable": 0.065}, "cmrc": {"MRR@10": 0.885}}
    beyond = {"news": {"top3": 0.77, "declined_answerable": 0.08}, "cmrc": {"MRR@10": 0.87}}
    assert baseline.regressions(within, kept) == []
    assert len(baseline.regressions(beyond, kept)) == 3
