"""Briefing-grade charts of a run: trade by partner, patron costs, dependence.

Every chart has a title that states the question, axes with units, a source
and provenance line, and a palette (Okabe-Ito) that is safe for colour-blind
readers, paired with distinct line styles and markers so it also reads in
greyscale. Figures are 16:9 and legible on a slide at 1920 px wide.
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
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from model.world import unit_of  # noqa: E402

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
FIGSIZE = (12.8, 7.2)
DPI = 150
TITLE_WIDTH = 74  # characters per title line at 19 pt on a 12.8 in figure
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
    a = abs(x)
    if a >= 1e9:
        return f"${x / 1e9:.1f} bn"
    if a >= 1e6:
        return f"${x / 1e6:.0f} m"
    return f"${x:,.0f}"


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
    shown = textwrap.fill(re.sub(r"(\d) (m|bn|Mt|kt)\b", "\\1\u00a0\\2", title), TITLE_WIDTH)  # keep "$427 m" whole
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


def suggest(word: str, options) -> str:
    """' (did you mean X?)' for the closest option, or ''."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


LABELS = {
    "trade_china_usd": "DPRK-China trade", "trade_russia_usd": "DPRK-Russia trade",
    "trade_korea_usd": "Inter-Korean trade", "trade_others_usd": "DPRK trade with third countries",
    "trade_total_usd": "DPRK total trade", "china_share": "China's share of DPRK trade",
    "china_share_excl_korea": "China's share of DPRK trade (inter-Korean left out)",
    "china_export_share_excl_korea": "China's share of DPRK exports (inter-Korean left out)",
    "china_russia_ratio": "China/Russia trade ratio",
    "support_china_usd": "Cost to China (aid + subsidy + credit)",
    "support_russia_usd": "Cost to Russia (aid + subsidy + credit)",
    "coal_exports_china_tonnes": "DPRK coal shipped to China",
    "coal_exports_china_usd": "DPRK coal revenue from China",
    "dependence_hhi": "Dependence index (HHI)", "dprk_payoff": "DPRK payoff",
}


def param_label(name: str) -> str:
    """A swept registry parameter as an axis label: its name, unit and kind (lever or uncertainty)."""
    from model.params import REGISTRY

    p = REGISTRY.get(name)
    return f"{name} ({p.unit}; {p.kind})" if p else name


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_usd", "").replace("_", " ").capitalize())




def axis_units(ax, column: str, values: np.ndarray | None = None, axis: str = "y") -> None:
    """Label and format an axis for ``column``'s unit (log scale for wide US$ spreads)."""
    unit = unit_of(column)
    target = ax.yaxis if axis == "y" else ax.xaxis
    setter = ax.set_ylabel if axis == "y" else ax.set_xlabel
    if unit == "usd":
        v = np.asarray(values if values is not None else [], dtype=float)
        v = v[np.isfinite(v)]
        # a log axis only when nothing is zero or negative: zeros would fall off it
        log = v.size > 0 and v.min() > 0 and v.max() / max(v.min(), 1.0) > 30
        if log:
            (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
        target.set_major_formatter(FuncFormatter(usd))
        setter("US$ per year" + (" (log scale)" if log else ""))
    elif unit == "share":
        target.set_major_formatter(PercentFormatter(1.0))
        setter("Share (%)")
    elif unit == "tonnes":
        target.set_major_formatter(FuncFormatter(tonnes))
        setter("Tonnes per year")
    elif unit == "ratio":
        setter("Ratio (times)")
    else:
        setter("Index (model units)")


def tonnes(x: float, _pos=None) -> str:
    return f"{x / 1e6:.1f} Mt" if abs(x) >= 1e6 else f"{x / 1e3:.0f} kt"


def band(ax, years, values: np.ndarray, i: int, label: str) -> None:
    """Median line with a shaded 90% interval across replications (rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # years where every run is NaN (gaps)
        lo, med, hi = np.nanpercentile(values, [5, 50, 95], axis=0)
    st = series_style(i)
    ax.fill_between(years, lo, hi, color=st["color"], alpha=0.15, linewidth=0,
                    hatch=("//", "\\\\", "..", "xx")[i % 4] if i else None)
    ax.plot(years, med, label=label, **st)


def _matrix(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    wide = df.pivot_table(index="replication", columns="year", values=column)
    return wide.columns.to_numpy(), wide.to_numpy()


def policy_marker(ax, year: int) -> None:
    ax.axvline(year, color="#555555", linewidth=1.2, linestyle=":")
    ax.text(year + 0.3, 0.99, "scenario settings start", fontsize=11, va="top",
            color="#555555", transform=ax.get_xaxis_transform())


def last_median(df: pd.DataFrame, column: str, year: int | None = None) -> tuple[int, float]:
    """``year`` (default the last) and the median of ``column`` across replications in it."""
    year = int(df["year"].max()) if year is None else int(year)
    return year, float(np.nanmedian(df.loc[df["year"] == year, column].to_numpy(dtype=float)))


def year_marker(ax, year: int | None) -> None:
    """A thin vertical line at the year a question asks about."""
    if year is None:
        return
    ax.axvline(year, color="#000000", linewidth=1.0, linestyle=(0, (4, 2)), alpha=0.7)
    ax.text(year + 0.3, 0.02, f"{year}", fontsize=11, va="bottom", color="#000000",
            transform=ax.get_xaxis_transform())


def target_line(ax, target, column: str) -> None:
    """The target of ``--target`` as a horizontal line, labelled, if it is on ``column``."""
    if target is None or target.column != column:
        return
    ax.axhline(target.threshold, color="#000000", linewidth=1.6, linestyle="--",
               label=f"Target: {target.op} {fmt_value(target.threshold, column)} in {target.year}")


def reached_phrase(df: pd.DataFrame, target) -> str:
    """'reached in 7 of 10 runs' for a target over one run folder's replications."""
    rows = df.loc[df["year"] == target.year, target.column].to_numpy(dtype=float)
    hit = int(np.sum(_OPS[target.op](rows, target.threshold) & np.isfinite(rows)))
    return f"reached in {hit} of {rows.size} runs"


_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
PARTNERS = (("trade_china_usd", "China"), ("trade_russia_usd", "Russia"),
            ("trade_korea_usd", "South Korea (inter-Korean)"),
            ("trade_others_usd", "Third countries"))


def trade_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path,
                year: int | None = None, target=None) -> Path:
    """China on its own panel (billions), the smaller partners on a second (millions): two
    linear US$ axes, so no partner with zero trade falls off a log axis and no percentage
    shares an axis with dollars. China's share is the dependence chart's (``china_share``)."""
    year, share = last_median(df, "china_share", year)
    _, china = last_median(df, "trade_china_usd", year)
    _, russia = last_median(df, "trade_russia_usd", year)
    title = (f"Who does Pyongyang trade with? In {year} China {fmt_value(china, 'x_usd')} "
             f"({share:.0%} of DPRK trade), Russia {fmt_value(russia, 'x_usd')} (medians)")
    if target is not None and target.column in dict(PARTNERS):
        title += (f"; {label(target.column)} {target.op} {fmt_value(target.threshold, 'x_usd')} "
                  f"in {target.year} {reached_phrase(df, target)}")
    fig, axes = new_figure(title, provenance, ncols=2, gridspec_kw={"width_ratios": [1, 1.4]})
    fig.subplots_adjust(wspace=0.28)
    for ax, partners, first in ((axes[0], PARTNERS[:1], 0), (axes[1], PARTNERS[1:], 1)):
        for i, (col, name) in enumerate(partners, start=first):
            years, m = _matrix(df, col)
            band(ax, years, m, i, name)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(usd))
        ax.set_xlabel("Year")
        policy_marker(ax, policy_start)
        year_marker(ax, year)
        for col, _ in partners:
            target_line(ax, target, col)
    axes[0].set_title("China", loc="left", fontsize=16)
    axes[1].set_title("Russia, South Korea, third countries", loc="left", fontsize=16)
    axes[0].set_ylabel("Exports + imports (US$ per year)")
    h = [hh for ax in axes for hh in ax.get_legend_handles_labels()[0]]
    lab = [ll for ax in axes for ll in ax.get_legend_handles_labels()[1]]
    axes[0].legend(h, lab, loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False, ncols=3)
    return save(fig, path)


SUPPORT_CHANNELS = (("aid", "Aid"), ("subsidy", "Trade subsidies"), ("credit", "Credit"),
                    ("project_spend", "Project spend"))


def support_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path,
                  year: int | None = None, target=None) -> Path:
    """One panel per patron, each with its own y-axis (Russia's costs are a tenth of China's),
    aid, subsidies, credit and project spend as separate lines."""
    year, china = last_median(df, "support_china_usd", year)
    _, russia = last_median(df, "support_russia_usd", year)
    _, pc = last_median(df, "project_spend_china_usd", year)
    _, pr = last_median(df, "project_spend_russia_usd", year)
    def projects(v: float) -> str:
        return f" + {fmt_value(v, 'x_usd')} in projects" if v >= 1e6 else ""

    fig, axes = new_figure(f"What does Pyongyang cost its patrons? In {year} China pays "
                           f"{fmt_value(china, 'x_usd')} a year in aid, subsidies and credit"
                           f"{projects(pc)}, Russia {fmt_value(russia, 'x_usd')}{projects(pr)} "
                           "(medians)", provenance, ncols=2)
    fig.subplots_adjust(wspace=0.3)
    for ax, (patron, name) in zip(axes, (("china", "China"), ("russia", "Russia")), strict=True):
        for i, (channel, what) in enumerate(SUPPORT_CHANNELS):
            years, m = _matrix(df, f"{channel}_{patron}_usd")
            band(ax, years, m, i, what)
        ax.set_title(f"Cost to {name} (own scale)", loc="left", fontsize=16)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(usd))
        ax.set_xlabel("Year")
        ax.set_ylabel("US$ per year")
        policy_marker(ax, policy_start)
        year_marker(ax, year)
        target_line(ax, target, f"support_{patron}_usd")
    axes[0].legend(loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False, ncols=4)
    return save(fig, path)


def dependence_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path,
                     year: int | None = None, target=None) -> Path:
    """China's share (percent axis) and the Herfindahl index (its own 0-1 axis) side by side."""
    year, hhi = last_median(df, "dependence_hhi", year)
    _, share = last_median(df, "china_share", year)
    fig, (left, right) = new_figure(
        f"How dependent does Pyongyang stay? In {year} China takes {share:.0%} of DPRK trade; "
        f"dependence index {hhi:.2f} of a possible 1 (medians)", provenance, ncols=2)
    fig.subplots_adjust(wspace=0.3)
    years, m = _matrix(df, "china_share")
    band(left, years, m, 0, "China's share of DPRK trade (all partners)")
    years, m = _matrix(df, "china_share_excl_korea")
    band(left, years, m, 1, "China's share, inter-Korean trade left out")
    left.set_ylim(0, 1)
    left.yaxis.set_major_formatter(PercentFormatter(1.0))
    left.set_ylabel("Share of DPRK trade (%)")
    left.set_title("China's share", loc="left", fontsize=16)
    years, m = _matrix(df, "dependence_hhi")
    band(right, years, m, 2, "Herfindahl index of partner shares")
    right.set_ylim(0, 1)
    right.set_ylabel("Herfindahl index (0-1; 1 = one partner)")
    right.set_title("Dependence index", loc="left", fontsize=16)
    for ax in (left, right):
        ax.set_xlabel("Year")
        policy_marker(ax, policy_start)
        year_marker(ax, year)
        target_line(ax, target, "china_share" if ax is left else "dependence_hhi")
    h = [hh for ax in (left, right) for hh in ax.get_legend_handles_labels()[0]]
    lab = [ll for ax in (left, right) for ll in ax.get_legend_handles_labels()[1]]
    left.legend(h, lab, loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False, ncols=2)
    return save(fig, path)


STANDARD = {"trade_by_partner": trade_chart, "patron_costs": support_chart,
            "dependence": dependence_chart}


def standard_charts(df: pd.DataFrame, provenance: str, policy_start: int, folder: Path,
                    fmt: str = "png", year: int | None = None, target=None) -> list[Path]:
    return [fn(df, provenance, policy_start, folder / f"{name}.{fmt}", year=year, target=target)
            for name, fn in STANDARD.items()]


def fmt_value(value: float, column: str) -> str:
    """A number in the column's unit, for titles and tables: $1.20 bn, 45%, 1.2 Mt."""
    unit = unit_of(column)
    if not np.isfinite(value):
        return "n/a"
    if unit == "usd":
        return f"${value / 1e9:.2f} bn" if abs(value) >= 1e9 else f"${value / 1e6:.0f} m"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "tonnes":
        return tonnes(value)
    if unit == "ratio":
        return f"{value:.0f}x"
    return f"{value:.2f}"


def finish_legend(ax, ncols: int = 3, **kw) -> None:
    """Legend below the axes, above the source line, where it never covers data."""
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False, ncols=ncols, **kw)
