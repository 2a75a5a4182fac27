"""A trend as a PNG bar chart (matplotlib, Agg, no GUI) and as a one-line text sparkline.

The image holds dates and counts only: the keyword goes in the caption, so no Chinese glyph
is drawn with a font that lacks it.
"""

from __future__ import annotations

import io
import math
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.engine import Trend

SPARKS = "▁▂▃▄▅▆▇█"
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 4.0, 120
BAR_COLOR, PEAK_COLOR = "#4C78A8", "#E45756"
MAX_TICKS = 12
_LOCK = threading.Lock()  # matplotlib's font cache and settings are shared by all threads


def sparkline(counts: list[int]) -> str:
    """One character a period: ▁ for none, ▂ to █ in proportion to the largest count."""
    top = max(counts, default=0)
    if top <= 0:
        return SPARKS[0] * len(counts)
    return "".join(SPARKS[0] if count <= 0 else SPARKS[math.ceil(count / top * (len(SPARKS) - 1))] for count in counts)


def render_png(trend: Trend) -> bytes:
    """Articles per period as bars, the peak highlighted and labelled with its count."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    starts = [start for start, _ in trend.periods]
    counts = [count for _, count in trend.periods]
    peak = trend.peak
    width = 6 if trend.unit == "week" else 27
    with _LOCK:
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        colors = [PEAK_COLOR if peak and start == peak[0] else BAR_COLOR for start in starts]
        axes.bar(starts, counts, width=width, align="edge", color=colors)  # type: ignore[arg-type]
        if peak:
            axes.annotate(str(peak[1]), (peak[0] + timedelta(days=width / 2), peak[1]), xytext=(0, 3),
                          textcoords="offset points", ha="center", va="bottom", color=PEAK_COLOR)  # fmt: skip
        if len(starts) <= MAX_TICKS:  # a tick at each period's first day
            axes.set_xticks(starts)  # type: ignore[arg-type]
        else:
            axes.xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=MAX_TICKS))
        axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d" if trend.unit == "week" else "%Y-%m"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(counts, default=0) * 1.15 + 1)
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
