"""The house style of every figure hedgesim draws: a 16:9 slide, a title that states the
finding or question, an Okabe-Ito palette paired with line styles, markers and hatches so it
reads in greyscale, and a source and provenance line at the bottom.

Charts of results (model.analysis) and the calibration report (model.calibration.report)
both draw with it, so it sits low in the layers: it knows matplotlib and number formats,
nothing of runs or folders.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model.common import format_value  # noqa: E402

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
FIGSIZE = (12.8, 7.2)
DPI = 150
TITLE_WIDTH = 74  # characters per title line at 19 pt on a 12.8 in figure
TITLE_LINES = 4  # most title lines: the axes keep room below them (a longer title is cut, "...")
SOURCE_NOTE = ("Sources: seeds 000-004 (Asia News Network 2015, Al Jazeera 2014, Carnegie 2015, "
               "JoongAng 2014, Lowy/NBR 2015); public record (China customs, AidData, Brent).")


def style() -> None:
    plt.rcParams.update({
        "font.size": 15, "axes.titlesize": 19, "axes.titleweight": "bold",
        "axes.labelsize": 15, "legend.fontsize": 13, "xtick.labelsize": 13,
        "ytick.labelsize": 13, "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": DPI, "savefig.dpi": DPI,
        "text.parse_math": False,  # "$1 bn to $2 bn" is money, not mathtext
    })


def usd(x: float, _pos=None) -> str:
    """A US$ axis tick: $1.2 bn, $45 m, $12,345."""
    return format_value(x, "usd", "axis")


def series_style(i: int) -> dict:
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "linestyle": STYLES[i % len(STYLES)],
            "marker": MARKERS[i % len(MARKERS)], "markevery": 5, "markersize": 6, "linewidth": 2.4}


def new_figure(title: str, provenance: str, source: str = SOURCE_NOTE, nrows: int = 1,
               ncols: int = 1, **subplots):
    """A 16:9 slide figure: title top left, source and provenance lines at the bottom.

    With ``nrows``/``ncols`` > 1 returns the array of axes and puts the title on
    the figure; otherwise one axes with the title on it.
    """
    style()
    fig, ax = plt.subplots(nrows, ncols, figsize=FIGSIZE, **subplots)
    shown = textwrap.fill(re.sub(r"(\d) (m|bn|Mt|kt)\b", "\\1\u00a0\\2", title), TITLE_WIDTH,
                          max_lines=TITLE_LINES, placeholder=" ...")  # keep "$427 m" whole
    fig.suptitle(shown, x=0.01, y=0.985, ha="left", va="top", fontsize=19, fontweight="bold")
    fig.text(0.01, 0.01, f"{textwrap.fill(source, 165)}\n{textwrap.fill(provenance, 155)}", fontsize=10.5, color="#333333",
             ha="left", va="bottom")
    lines = shown.count("\n") + 1
    fig.subplots_adjust(left=0.12, right=0.9, top=0.93 - 0.05 * lines - (0.03 if nrows * ncols > 1 else 0),
                        bottom=0.27)
    fig._hedgesim_title = title
    return fig, ax


def save(fig, path) -> Path:
    """Save by suffix (png, svg, pdf) with the title in the file's metadata; close the figure.

    ``path`` may be a list of paths (e.g. the PNG and the SVG of one chart): the
    figure is drawn once and written to each. Returns the first path.
    """
    targets = list(path) if isinstance(path, (list, tuple)) else [path]
    pages = [p for p in targets if hasattr(p, "savefig")]  # a PdfPages collecting a document
    paths = [Path(p) for p in targets if not hasattr(p, "savefig")]
    title = getattr(fig, "_hedgesim_title", "")
    plt.rcParams["svg.hashsalt"] = "hedgesim"
    try:
        for pdf in pages:
            pdf.savefig(fig)
        for p in paths:
            fmt = p.suffix.lstrip(".").lower()
            fig.savefig(p, format=fmt, metadata={"Title": title} if fmt in ("png", "svg", "pdf") else None)
    finally:
        plt.close(fig)
    return paths[0]


def tonnes(x: float, _pos=None) -> str:
    """A tonnes axis tick: 1.2 Mt, 650 kt."""
    return format_value(x, "tonnes", "axis")


def percentiles(values: np.ndarray, q) -> np.ndarray:
    """``np.nanpercentile(values, q, axis=0)``, to the same bits: NumPy takes its one-column-at-
    a-time path for any array with an axis, which costs a chart tens of milliseconds (the
    explorer redraws on every slider move), so the columns with no NaN go through
    ``np.percentile`` at once and only those with a NaN one at a time."""
    values = np.asarray(values, dtype=float)
    nan = np.isnan(values).any(axis=0)
    if not nan.any():
        return np.percentile(values, q, axis=0)
    out = np.empty((len(q), values.shape[1]))
    out[:, ~nan] = np.percentile(values[:, ~nan], q, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # years where every run is NaN (gaps)
        out[:, nan] = np.nanpercentile(values[:, nan], q, axis=0)
    return out


def band(ax, years, values: np.ndarray, i: int, label: str) -> None:
    """Median line with a shaded 90% interval across replications (rows)."""
    lo, med, hi = percentiles(values, [5, 50, 95])
    st = series_style(i)
    ax.fill_between(years, lo, hi, color=st["color"], alpha=0.15, linewidth=0,
                    hatch=("//", "\\\\", "..", "xx")[i % 4] if i else None)
    ax.plot(years, med, label=label, **st)


def finish_legend(ax, ncols: int = 3, **kw) -> None:
    """Legend below the axes, above the source line, where it never covers data."""
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False, ncols=ncols, **kw)
