"""Briefing-grade charts of a run: trade by partner, patron costs, dependence.

Every chart has a title that states the question, axes with units, a source
and provenance line, and a palette (Okabe-Ito) that is safe for colour-blind
readers, paired with distinct line styles and markers so it also reads in
greyscale. Figures are 16:9 and legible on a slide at 1920 px wide.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
FIGSIZE = (12.8, 7.2)
DPI = 150
SOURCE_NOTE = ("Sources for history and calibration: seeds 000-004 (Asia News Network 2015, "
               "Al Jazeera 2014, Carnegie Moscow 2015, JoongAng Daily 2014, Lowy/NBR 2015).")


def style() -> None:
    plt.rcParams.update({
        "font.size": 15, "axes.titlesize": 19, "axes.titleweight": "bold",
        "axes.labelsize": 15, "legend.fontsize": 13, "xtick.labelsize": 13,
        "ytick.labelsize": 13, "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": DPI, "savefig.dpi": DPI,
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


def new_figure(title: str, provenance: str, source: str = SOURCE_NOTE):
    style()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.set_title(title, loc="left", pad=14)
    fig.text(0.01, 0.01, f"{source}\n{provenance}", fontsize=10.5, color="#333333",
             ha="left", va="bottom")
    fig.subplots_adjust(left=0.11, right=0.9, top=0.9, bottom=0.27)
    return fig, ax


def band(ax, years, values: np.ndarray, i: int, label: str) -> None:
    """Median line with a shaded 90% interval across replications (rows)."""
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
    ax.text(year + 0.3, ax.get_ylim()[1], "scenario settings start", fontsize=11, va="top",
            color="#555555")


def trade_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path) -> Path:
    fig, ax = new_figure("Who does Pyongyang trade with? DPRK trade by partner", provenance)
    for i, (col, label) in enumerate((("trade_china_usd", "China"), ("trade_russia_usd", "Russia"),
                                      ("trade_korea_usd", "South Korea (inter-Korean)"),
                                      ("trade_others_usd", "Third countries"))):
        years, m = _matrix(df, col)
        band(ax, years, m, i, label)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(usd))
    ax.set_ylabel("Trade, exports + imports (US$ per year, log scale)")
    ax.set_xlabel("Year")
    ax2 = ax.twinx()
    years, share = _matrix(df, "china_share")
    ax2.plot(years, np.nanmedian(share, 0), color="#000000", linewidth=1.6,
             linestyle=(0, (1, 1)), label="China's share of DPRK trade (right axis)")
    ax2.set_ylim(0, 1)
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax2.set_ylabel("China's share of DPRK trade (%)")
    ax2.grid(False)
    ax2.spines["right"].set_visible(True)
    policy_marker(ax, policy_start)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.set_ylim(bottom=1e6)
    ax.legend(h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(0, -0.1), frameon=False,
              ncols=3)
    fig.savefig(path)
    plt.close(fig)
    return path


def support_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path) -> Path:
    fig, ax = new_figure("What does Pyongyang cost its patrons? Aid, subsidies and credit",
                         provenance)
    for i, (col, label) in enumerate((("aid_china_usd", "China: aid"),
                                      ("subsidy_china_usd", "China: trade subsidies"),
                                      ("aid_russia_usd", "Russia: aid"),
                                      ("subsidy_russia_usd", "Russia: trade subsidies"),
                                      ("credit_china_usd", "China: credit"),
                                      ("credit_russia_usd", "Russia: credit"))):
        years, m = _matrix(df, col)
        band(ax, years, m, i, label)
    ax.yaxis.set_major_formatter(FuncFormatter(usd))
    ax.set_ylabel("Cost to the patron (US$ per year)")
    ax.set_xlabel("Year")
    policy_marker(ax, policy_start)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.1), frameon=False, ncols=3)
    fig.savefig(path)
    plt.close(fig)
    return path


def dependence_chart(df: pd.DataFrame, provenance: str, policy_start: int, path: Path) -> Path:
    fig, ax = new_figure("How dependent does Pyongyang stay? Concentration of its trade",
                         provenance)
    years, m = _matrix(df, "dependence_hhi")
    band(ax, years, m, 0, "Dependence index (Herfindahl of partner shares)")
    years, m = _matrix(df, "china_share_excl_korea")
    band(ax, years, m, 1, "China's share, inter-Korean trade left out")
    ax.set_ylim(0, 1)
    ax.set_ylabel("Index / share (0 = spread evenly, 1 = one partner)")
    ax.set_xlabel("Year")
    policy_marker(ax, policy_start)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.1), frameon=False, ncols=2)
    fig.savefig(path)
    plt.close(fig)
    return path


STANDARD = {"trade_by_partner": trade_chart, "patron_costs": support_chart,
            "dependence": dependence_chart}


def standard_charts(df: pd.DataFrame, provenance: str, policy_start: int, folder: Path,
                    fmt: str = "png") -> list[Path]:
    return [fn(df, provenance, policy_start, folder / f"{name}.{fmt}")
            for name, fn in STANDARD.items()]
