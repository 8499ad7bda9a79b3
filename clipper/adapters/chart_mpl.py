"""Charts drawn with matplotlib (the Agg backend: no display, no window), as PNG bytes.

matplotlib is imported on the first chart, never with this module: ``clipper --help`` and every
command that draws nothing start without it. Does not decide what a chart shows
(``logic.coverage_report.chart_data`` does).
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from ..logic.coverage_report import Chart, ChartData

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: the PNG text chunk holding the plotted numbers (JSON), read back by tests and tools
NUMBERS_KEY = "clipper:plotted"
#: more reps than this and the names are slanted
CROWDED = 8
_BAR = "#2f6fb3"
_TARGET = "#1b1f24"
_DARK = "#b42318"
_OK = "#5b8fc7"
#: legends sit above each panel, under its title (``pad``): never over a bar
_PAD = 28
_LEGEND: dict[str, Any] = {
    "loc": "lower left",
    "bbox_to_anchor": (0.0, 1.0),
    "ncol": 2,
    "fontsize": 11,
    "frameon": False,
}


def _plain(text: str) -> str:
    """Text matplotlib shows as written: ``$`` would start mathtext (and fail on a name)."""
    return text.replace("$", r"\$")


def _rep_panel(ax: Axes, data: ChartData) -> tuple[list[int], list[int]]:
    """Bars of touches per rep with a target mark over each; return what was drawn."""
    from matplotlib.ticker import MaxNLocator

    ax.set_title("Touches this quarter per rep, against target", fontsize=13, loc="left", pad=_PAD)
    if not data.reps:
        ax.text(0.5, 0.5, "no rep owns an account", ha="center", va="center")
        ax.set_axis_off()
        return [], []
    positions = list(range(len(data.reps)))
    bars = ax.bar(positions, data.touches, width=0.6, color=_BAR, label="touches")
    ticks = ax.hlines(
        data.targets,
        [p - 0.4 for p in positions],
        [p + 0.4 for p in positions],
        colors=_TARGET,
        linewidths=2.5,
        label="target",
    )
    # a big team: slanted names, smaller type, no second line under each name
    crowded = len(data.reps) > CROWDED
    notes = data.notes if data.notes and not crowded else ("",) * len(data.reps)
    labels = [
        f"{_plain(rep)}\n{note}" if note else _plain(rep)
        for rep, note in zip(data.reps, notes, strict=True)
    ]
    if crowded:
        ax.set_xticks(positions, labels, fontsize=9, rotation=40, ha="right")
    else:
        ax.set_xticks(positions, labels, fontsize=11)
    ax.bar_label(
        bars,
        [
            f"{t}/{g}" if crowded else f"{t} of {g}"
            for t, g in zip(data.touches, data.targets, strict=True)
        ],
        padding=3,
        fontsize=8 if crowded else 11,
    )
    ax.set_ylabel("touches", fontsize=11)
    ax.set_ylim(0, max([*data.touches, *data.targets, 1]) * 1.2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(**_LEGEND)
    ax.spines[["top", "right"]].set_visible(False)
    drawn = [round(float(b.get_height())) for b in bars.patches]
    targets = [round(float(segment[0][1])) for segment in ticks.get_segments()]
    return drawn, targets


def _days_panel(ax: Axes, data: ChartData) -> list[int]:
    """Horizontal bars of accounts per days-since bucket, going dark in red; return them."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    ax.set_title("Accounts by days since their last touch", fontsize=13, loc="left", pad=_PAD)
    colors = [_DARK if dark else _OK for dark in data.bucket_dark]
    positions = list(range(len(data.buckets)))
    bars = ax.barh(positions, data.bucket_accounts, color=colors, height=0.6)
    ax.set_yticks(positions, list(data.buckets), fontsize=11)
    ax.invert_yaxis()
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.set_xlabel("accounts", fontsize=11)
    ax.set_xlim(0, max([*data.bucket_accounts, 1]) * 1.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=[
            Patch(color=_OK, label="touched recently"),
            Patch(color=_DARK, label="going dark"),
        ],
        **_LEGEND,
    )
    return [round(float(b.get_width())) for b in bars.patches]


class MatplotlibCharts:
    """Draws the touch-coverage chart with matplotlib. Does not decide its numbers."""

    def coverage_chart(self, data: ChartData) -> Chart:
        """Return the chart as a 1600x800 PNG (a slide's 2:1), with the numbers read back from
        the drawn bars, also stored as JSON in the PNG's ``clipper:plotted`` text chunk."""
        # lazily: it takes a while, and only this command needs it
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(16, 8), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)  # Agg: no display, no window, no pyplot state
        left, right = figure.subplots(1, 2, width_ratios=(3, 2))
        touches, targets = _rep_panel(left, data)
        accounts = _days_panel(right, data)
        figure.suptitle(_plain(data.title), fontsize=16, fontweight="bold")
        plotted = ChartData(
            title=data.title,
            reps=tuple(data.reps) if touches else (),
            touches=tuple(touches),
            targets=tuple(targets),
            buckets=tuple(t.get_text() for t in right.get_yticklabels()),
            bucket_accounts=tuple(accounts),
            bucket_dark=data.bucket_dark,
            notes=data.notes,
        )
        buffer = io.BytesIO()
        figure.savefig(
            buffer,
            format="png",
            metadata={
                "Title": data.title,
                "Software": "clipper",
                NUMBERS_KEY: json.dumps(plotted.numbers()),
            },
        )
        return Chart(buffer.getvalue(), plotted)


__all__ = ["NUMBERS_KEY", "MatplotlibCharts"]
