"""Rank metrics and a markdown table printer."""

from __future__ import annotations

from collections.abc import Sequence


def first_rank(ranked: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant item, or None."""
    for position, relevant in enumerate(ranked, start=1):
        if relevant:
            return position
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for rank in ranks if rank is not None and rank <= k) / max(len(ranks), 1)


def mrr_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 / rank for rank in ranks if rank is not None and rank <= k) / max(len(ranks), 1)


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
