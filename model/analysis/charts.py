"""Briefing-grade charts of a run: trade by partner, patron costs, dependence.

Every chart has a title that states the question, axes with units, a source
and provenance line, and a palette (Okabe-Ito) that is safe for colour-blind
readers, paired with distinct line styles and markers so it also reads in
greyscale. Figures are 16:9 and legible on a slide at 1920 px wide.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from model.common import did_you_mean, format_value
from model.figures import (  # noqa: F401 - the house style, used through this module too
    DPI,
    FIGSIZE,
    MARKERS,
    OKABE_ITO,
    SOURCE_NOTE,
    STYLES,
    TITLE_WIDTH,
    band,
    finish_legend,
    new_figure,
    plt,
    save,
    series_style,
    style,
    tonnes,
    usd,
)
from model.outputs import label, unit_of  # noqa: F401 - label re-exported for the analyses


def suggest(word: str, options) -> str:
    """' (did you mean 'x'?)' for the closest option, or '': the analysis commands' phrasing
    of :func:`model.common.did_you_mean`, a little more forgiving than the scenario files'."""
    return did_you_mean(str(word), options, cutoff=0.5, template=" (did you mean '{}'?)")


def param_label(name: str) -> str:
    """A swept registry parameter as an axis label: its name, unit and kind (lever or uncertainty)."""
    from model.params import REGISTRY

    p = REGISTRY.get(name)
    return f"{name} ({p.unit}; {p.kind})" if p else name


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


def _matrix(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Years and a (replications x years) array of ``column``, as
    ``df.pivot_table(index="replication", columns="year", values=column)`` gives them (sorted,
    all-NaN years and replications left out). A run's frame holds each replication's years in
    order, so it is a reshape there: a pivot_table costs about 10 ms and a chart makes up to
    eight, which the explorer pays on every slider move. Anything else is pivoted."""
    reps = df["replication"].to_numpy()
    years = df["year"].to_numpy()
    ys, rs = np.unique(years), np.unique(reps)
    if (len(ys) * len(rs) != len(df) or not np.array_equal(years, np.tile(ys, len(rs)))
            or not np.array_equal(reps, np.repeat(rs, len(ys)))):
        wide = df.pivot_table(index="replication", columns="year", values=column)
        return wide.columns.to_numpy(), wide.to_numpy()
    m = df[column].to_numpy(dtype=np.float64).reshape(len(rs), len(ys))
    gone = np.isnan(m)
    if gone.any():  # pivot_table leaves out what holds no number at all
        m = m[~gone.all(axis=1)][:, ~gone.all(axis=0)]
        ys = ys[~gone.all(axis=0)]
    return ys, m


_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5}
"""Behind a marker's label: a line or band running under it stays readable, not the label."""


def policy_marker(ax, year: int) -> None:
    """A dotted line where the scenario's settings start, labelled at the top (see
    :func:`_place_labels`)."""
    ax.axvline(year, color="#555555", linewidth=1.2, linestyle=":", gid="hs-policy")
    ax.text(year + 0.3, 0.99, "scenario settings start", fontsize=11, va="top",
            color="#555555", transform=ax.get_xaxis_transform(), gid="hs-policy-label",
            bbox=_LABEL_BOX, zorder=5)
    _place_labels(ax)


def last_median(df: pd.DataFrame, column: str, year: int | None = None) -> tuple[int, float]:
    """``year`` (default the last) and the median of ``column`` across replications in it."""
    year = int(df["year"].max()) if year is None else int(year)
    return year, float(np.nanmedian(df.loc[df["year"] == year, column].to_numpy(dtype=float)))


def year_marker(ax, year: int | None) -> None:
    """A thin vertical line at the year a question asks about."""
    if year is None:
        return
    ax.axvline(year, color="#000000", linewidth=1.0, linestyle=(0, (4, 2)), alpha=0.7,
               gid="hs-year")
    ax.text(year + 0.3, 0.02, f"{year}", fontsize=11, va="bottom", color="#000000",
            transform=ax.get_xaxis_transform(), gid="hs-year-label", bbox=_LABEL_BOX, zorder=5)
    _place_labels(ax)


def _place_labels(ax) -> None:
    """Put each marker's label beside its line where it fits: to the right, or to the left when
    on the right it would run past the axes (the year asked at the horizon, whose label would sit
    beside the last tick label) or, for "scenario settings start", across the year asked's line
    (in a narrow panel it ran over 2035's). Called by both markers, in either order."""
    found = {a.get_gid(): a for a in (*ax.lines, *ax.texts) if a.get_gid()}
    if not any(k.endswith("-label") for k in found):
        return
    ax.get_xlim()  # settle the autoscaled limits before measuring in data coordinates
    renderer = ax.figure.canvas.get_renderer()
    right = ax.get_window_extent(renderer).x1
    left = ax.get_window_extent(renderer).x0
    pad = 4.0  # pixels between a label and a line it must not cross
    for kind in ("year", "policy"):
        label, line = found.get(f"hs-{kind}-label"), found.get(f"hs-{kind}")
        if label is None or line is None:
            continue
        x = float(line.get_xdata()[0])
        stop = right
        asked = found.get("hs-year")
        if kind == "policy" and asked is not None and float(asked.get_xdata()[0]) > x:
            stop = min(stop, ax.transData.transform((float(asked.get_xdata()[0]), 0))[0] - pad)
        label.set_x(x + 0.3)
        label.set_horizontalalignment("left")
        if label.get_window_extent(renderer).x1 > stop:
            label.set_x(x - 0.3)
            label.set_horizontalalignment("right")
            if label.get_window_extent(renderer).x0 < left:  # fits on neither side: the right
                label.set_x(x + 0.3)
                label.set_horizontalalignment("left")


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
TARGET_COLUMNS = {"trade_by_partner": tuple(c for c, _ in PARTNERS),
                  "patron_costs": ("support_china_usd", "support_russia_usd"),
                  "dependence": ("china_share", "dependence_hhi")}
"""The columns whose target each standard chart draws (in its title or as a line); a target on
any other column leaves the chart as it is, so the explorer need not draw it again."""


def standard_charts(df: pd.DataFrame, provenance: str, policy_start: int, folder: Path,
                    fmt: str = "png", year: int | None = None, target=None) -> list[Path]:
    return [fn(df, provenance, policy_start, folder / f"{name}.{fmt}", year=year, target=target)
            for name, fn in STANDARD.items()]


def fmt_value(value: float, column: str) -> str:
    """A number in the column's unit, for titles and tables: $1.20 bn, 45%, 1.2 Mt."""
    return format_value(value, unit_of(column))
