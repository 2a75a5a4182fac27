"""The answer-quality harness: `python -m eval.run [--news-only] [--set NAME=VALUE] [--misses] [--thresholds] ..."""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

from retrieval.search import SearchSettings

from . import cmrc, news
from .baselines import BASELINES
from .system import NewsqaSystem

TARGETS = {"top3": 0.90, "top1": 0.70, "declined_unanswerable": 0.90}
MAX_WRONGLY_DECLINED = 0.05
GRID = {
    "gram_boost": (0.4, 0.6, 1.0, 1.5),
    "title_boost": (0.0, 0.2, 0.4, 0.8),
    "min_coverage": (0.3, 0.35, 0.4, 0.45, 0.5, 0.55),
    "date_boost": (0.0, 0.6, 1.2),
}


def targets_met(news_figures: dict[str, float], cmrc_figures: dict[str, dict[str, float]] | None) -> int:
    """How many of the issue's five targets hold (CMRC: R@1 and MRR@10 at least the best baseline)."""
    met = sum(news_figures[name] >= floor for name, floor in TARGETS.items())
    met += news_figures["declined_answerable"] <= MAX_WRONGLY_DECLINED
    if cmrc_figures is not None:
        ours = cmrc_figures[cmrc.NEWSQA]
        others = [f for name, f in cmrc_figures.items() if name in BASELINES]
        met += all(ours[m] >= max(f[m] for f in others) for m in ("R@1", "MRR@10")) if others else 1
    return met


def objective(news_figures: dict[str, float]) -> float:
    """Higher is better: answers in the top 3 and top 1, honest declines, few wrong declines."""
    f = news_figures
    return f["top3"] + f["top1"] + f["declined_unanswerable"] - 2 * f["declined_answerable"]


def measure(settings: SearchSettings | None = None, show_misses: bool = False, news_only: bool = False,
            questions: list[news.NewsQuestion] | None = None,
            corpus_dirs: tuple[Path, ...] = news.CORPUS_DIRS) -> dict[str, object]:  # fmt: skip
    """Both sets (or the news set only), newsqa next to the baselines, with the given settings."""
    settings = settings or SearchSettings()
    started = time.monotonic()
    lexical = replace(settings, semantic_weight=0.0)
    cmrc_figures = None
    if not news_only:
        data = cmrc.load()
        cmrc_figures = _renamed(cmrc.evaluate(data, cmrc.cmrc_system(data, lexical)), LEXICAL)
        cmrc_figures.update(cmrc.evaluate(data, cmrc.cmrc_system(data, settings), baselines=False))
        print(cmrc.table(cmrc_figures), end="\n\n")
    with news.news_engine(settings, corpus_dirs) as engine:
        news_figures, _ = news.evaluate(NewsqaSystem(engine.index, lexical), questions=questions)
        semantic, outcomes = news.evaluate(NewsqaSystem(engine.index, settings), baselines=False, questions=questions)
        news_figures = {**_renamed(news_figures, LEXICAL), **semantic}
    print(news.table(news_figures, questions), end="\n\n")
    if show_misses:
        print(misses_report(outcomes))
    seconds = time.monotonic() - started
    print(f"targets met: {targets_met(news_figures[news.NEWSQA], cmrc_figures)}/{4 if news_only else 5}; "
          f"{seconds:.0f} s")  # fmt: skip
    return {"settings": asdict(settings), "cmrc": cmrc_figures, "news": news_figures}


LEXICAL = "newsqa, lexical only"


def _settings(assignments: list[str]) -> SearchSettings:
    """SearchSettings with NAME=VALUE overrides, each value of its field's type."""
    defaults = SearchSettings()
    changes: dict[str, object] = {}
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        if not hasattr(defaults, name):
            raise SystemExit(f"--set: SearchSettings has no field {name!r}")
        kind = type(getattr(defaults, name))
        changes[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return replace(defaults, **changes)


def _renamed(figures: dict[str, dict[str, float]], name: str) -> dict[str, dict[str, float]]:
    """The newsqa row under another name (for the run without the semantic rerank)."""
    return {(name if key == cmrc.NEWSQA else key): value for key, value in figures.items()}


def misses_report(outcomes: list[news.Outcome]) -> str:
    lines = ["News questions missing the top 3 (or answered when they should be declined):"]
    for outcome in news.misses(outcomes):
        q = outcome.question
        got = "declined" if outcome.declined else f"rank {outcome.rank or '>5'}; top: {outcome.hits[0][0]}"
        lines.append(f"- {q.id} [{q.kind}] {q.question} -> {q.file or 'unanswerable'}: {got}")
    return "\n".join(lines)


def sweep(base: SearchSettings | None = None) -> dict[str, object]:
    """Grid over the ranking knobs; news for every point, CMRC once per distinct gram_boost."""
    base = base or SearchSettings()
    data = cmrc.load()
    cmrc_system = cmrc.cmrc_system(data, base)
    cmrc_baselines = cmrc.evaluate(data, cmrc_system)
    cmrc_by_gram: dict[float, dict[str, dict[str, float]]] = {}
    rows: list[dict[str, object]] = []
    with news.news_engine(base) as engine:
        system = NewsqaSystem(engine.index, base)
        questions = news.load_questions()
        for values in itertools.product(*GRID.values()):
            settings = replace(base, **dict(zip(GRID, values, strict=True)))
            figures = news.figures(news.run_questions(questions, news.newsqa_search(system.with_settings(settings))))
            rows.append({"settings": dict(zip(GRID, values, strict=True)), "news": figures})
    rows.sort(key=lambda row: objective(row["news"]), reverse=True)  # type: ignore[arg-type]
    for row in rows[:10]:
        gram = row["settings"]["gram_boost"]  # type: ignore[index]
        if gram not in cmrc_by_gram:
            variant = cmrc_system.with_settings(replace(cmrc_system.searcher.settings, gram_boost=gram))
            ours = cmrc.newsqa_ranks(data, variant)
            cmrc_by_gram[gram] = {**cmrc_baselines, cmrc.NEWSQA: cmrc.figures(ours)}
        row["cmrc"] = cmrc_by_gram[gram][cmrc.NEWSQA]
        row["targets_met"] = targets_met(row["news"], cmrc_by_gram[gram])  # type: ignore[arg-type]
    rows[:10] = sorted(rows[:10], key=lambda r: (r["targets_met"], objective(r["news"])), reverse=True)  # type: ignore[arg-type]
    print(f"Sweep over {len(rows)} settings; best 10 by targets met, then objective:")
    for row in rows[:10]:
        f, c = row["news"], row["cmrc"]
        print(f"  {row['settings']}: targets {row['targets_met']}/5, news top1 {f['top1']:.3f} top3 {f['top3']:.3f} "  # type: ignore[index]
              f"declined {f['declined_unanswerable']:.3f} wrongly {f['declined_answerable']:.3f}; "  # type: ignore[index]
              f"CMRC R@1 {c['R@1']:.3f} MRR {c['MRR@10']:.3f}")  # type: ignore[index]  # fmt: skip
    return {"best": rows[0], "top": rows[:10]}


THRESHOLDS = (0.3, 0.35, 0.4)
SIMILARITIES = (0.86, 0.88, 0.9, 1.01)  # 1.01: similarity never suffices
STANDARD_SCORES = (float("-inf"), 2.5, 3.0, 3.5)  # -inf: the cosine alone decides


def threshold_table(base: SearchSettings | None = None) -> list[dict[str, object]]:
    """The no-answer trade-off: news figures over min_coverage x sure_similarity x sure_standard_score."""
    base = base or SearchSettings()
    rows: list[dict[str, object]] = []
    print("| min_coverage | sure_similarity | sure_standard_score | top-1 | top-3 | unanswerable declined "
          "| answerable wrongly declined |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    with news.news_engine(base) as engine:
        system = NewsqaSystem(engine.index, base)
        questions = news.load_questions()
        for threshold, similarity, standard in itertools.product(THRESHOLDS, SIMILARITIES, STANDARD_SCORES):
            if similarity > 1 and standard != STANDARD_SCORES[0]:
                continue  # the standard score matters only where similarity can suffice
            knobs = {"min_coverage": threshold, "sure_similarity": similarity, "sure_standard_score": standard}
            variant = system.with_settings(replace(base, **knobs))
            f = news.figures(news.run_questions(questions, news.newsqa_search(variant)))
            rows.append({**knobs, "news": f})
            shown = "never" if similarity > 1 else f"{similarity:.2f}"
            shown_standard = "any" if standard == float("-inf") else f"{standard:.1f}"
            print(f"| {threshold:.2f} | {shown} | {shown_standard} | {f['top1']:.1%} | {f['top3']:.1%} | "
                  f"{f['declined_unanswerable']:.1%} | {f['declined_answerable']:.1%} |")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--sweep", action="store_true", help="grid over SearchSettings, report the best")
    parser.add_argument("--variants", action="store_true", help="measure the experimental variants in eval/variants.py")
    parser.add_argument("--misses", action="store_true", help="list the news questions that miss the top 3")
    parser.add_argument("--thresholds", action="store_true", help="news figures for several no-answer thresholds")
    parser.add_argument("--news-only", action="store_true", help="skip CMRC (seconds instead of minutes)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a SearchSettings field for this run, e.g. --set per_article=2 (repeatable)")  # fmt: skip
    parser.add_argument("--questions", type=Path, metavar="JSONL",
                        help="another news question set, e.g. eval/news_questions_heldout.jsonl")  # fmt: skip
    parser.add_argument("--archive2", choices=sorted(news.ARCHIVE2_SETS),
                        help="an archive-2 question set, over its 342 posts (eval/data/archive2)")  # fmt: skip
    args = parser.parse_args(argv)
    settings = _settings(args.set)
    corpus_dirs = news.CORPUS_DIRS
    questions_path = args.questions
    if args.archive2:
        corpus_dirs, questions_path = news.ARCHIVE2_DIRS, questions_path or news.ARCHIVE2_SETS[args.archive2]
    questions = news.load_questions(questions_path) if questions_path else None
    report: dict[str, object] = {"current": measure(settings, args.misses, args.news_only or bool(args.archive2),
                                                    questions, corpus_dirs)}  # fmt: skip
    if args.thresholds:
        report["thresholds"] = threshold_table()
    if args.sweep:
        report["sweep"] = sweep()
    if args.variants:
        from .variants import run_variants

        report["variants"] = run_variants()
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
