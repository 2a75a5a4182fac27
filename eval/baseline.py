"""eval/baseline.json: the figures the quality guard holds the system to."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.search import SearchSettings

from . import cmrc, news
from .system import NewsqaSystem

BASELINE = Path(__file__).resolve().parent / "baseline.json"
MARGINS = {"rate": 0.02, "MRR@10": 0.02}  # noise: 2 points for rates, 0.02 for MRR
LOWER_IS_BETTER = {"declined_answerable"}


def newsqa_figures(settings: SearchSettings | None = None) -> dict[str, dict[str, float]]:
    """newsqa alone (no baselines) on both sets: what the guard recomputes."""
    data = cmrc.load()
    cmrc_figures = cmrc.evaluate(data, cmrc.cmrc_system(data, settings), baselines=False)[cmrc.NEWSQA]
    with news.news_engine(settings) as engine:
        system = NewsqaSystem(engine.index, engine.searcher.settings)
        news_figures = news.evaluate(system, baselines=False)[0][news.NEWSQA]
    return {"cmrc": cmrc_figures, "news": news_figures}


def regressions(current: dict[str, dict[str, float]], kept: dict[str, dict[str, float]]) -> list[str]:
    """Figures that fell (or, for wrong declines, rose) by more than the noise margin."""
    found = []
    for task, figures in kept.items():
        for metric, old in figures.items():
            new = current[task][metric]
            margin = MARGINS.get(metric, MARGINS["rate"])
            worse = new - old if metric in LOWER_IS_BETTER else old - new
            if worse > margin + 1e-9:
                found.append(f"{task} {metric}: {old:.3f} -> {new:.3f}")
    return found


def write(path: Path = BASELINE) -> None:
    """Record the current system's figures (run after an improvement is accepted)."""
    figures = newsqa_figures()
    path.write_text(json.dumps({"newsqa": figures, "margins": MARGINS}, indent=2) + "\n", encoding="utf-8")


def load(path: Path = BASELINE) -> dict[str, dict[str, float]]:
    return json.loads(path.read_text(encoding="utf-8"))["newsqa"]


if __name__ == "__main__":
    write()
    print(BASELINE.read_text(encoding="utf-8"))
