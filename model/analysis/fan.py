"""Fan chart: one outcome over time across replications, with the cited figures.

The median with 50% and 90% bands across every run in the results (for a
sweep: across design points and replications, i.e. parameter uncertainty and
chance together), and the historical figures from
``model/calibration/targets.yaml`` drawn over it: each source's reading,
labelled by seed number, and the calibration band that spans the sources'
disagreement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import (
    OKABE_ITO,
    axis_units,
    fmt_value,
    label,
    new_figure,
    policy_marker,
    save,
)
from model.analysis.results import Results
from model.calibration.targets import Mean, Value, load_targets
from model.errors import HedgesimError

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def fan_table(results: Results, column: str) -> pd.DataFrame:
    """Per year: the 5, 25, 50, 75 and 95th percentiles of ``column`` across runs."""
    check_column(results, column)
    runs = results.select([column])
    q = runs.groupby("year")[column].quantile(list(QUANTILES)).unstack()
    q.columns = [f"p{int(c * 100):02d}" for c in q.columns]
    q["runs"] = runs.groupby("year")[column].count()
    return q.reset_index()


def check_column(results: Results, column: str) -> None:
    from model.analysis.charts import suggest
    from model.outputs import OUTPUTS

    if column not in OUTPUTS or column not in results.columns:
        raise HedgesimError(str(results.folder), "--column",
                            f"expected an output column, not {column!r}{suggest(column, OUTPUTS)}")


def cited(column: str) -> list[dict]:
    """The calibration targets on ``column``: year span, band and each reading."""
    out = []
    for t in load_targets():
        m = t.metric
        if getattr(m, "column", None) != column or not isinstance(m, (Value, Mean)):
            continue
        start, end = (m.year, m.year) if isinstance(m, Value) else (m.start, m.end)
        out.append({"id": t.id, "start": start, "end": end, "band": t.band,
                    "readings": [(f"{r.seed[:3]} {r.outlet} {r.published}", r.value, r.range)
                                 for r in t.readings],
                    "sources": t.sources})
    return out


def _fan(ax, table: pd.DataFrame, column: str, legend: bool) -> float | None:
    """Draw the bands and median; on a log axis return the floor the caller sets as bottom."""
    years = table["year"].to_numpy()
    col = table
    floor = None
    if ax.get_yscale() == "log":  # runs with no trade at all: draw the band to the floor
        floor = float(np.nanmin(table["p50"].where(table["p50"] > 0))) / 10
        col = table.assign(**{q: table[q].clip(lower=floor) for q in ("p05", "p25", "p50", "p75", "p95")})
    colour = OKABE_ITO[0]
    ax.fill_between(years, col["p05"], col["p95"], color=colour, alpha=0.18, linewidth=0,
                    label="90% of runs" if legend else None)
    ax.fill_between(years, col["p25"], col["p75"], color=colour, alpha=0.38, linewidth=0,
                    hatch="//", edgecolor="white", label="50% of runs" if legend else None)
    ax.plot(years, col["p50"], color=colour, linewidth=2.6, label="Median" if legend else None)
    return floor


def _floor(ax, floor: float | None) -> None:
    """After everything is drawn: keep the autoscaled top, put the bottom at the floor."""
    if floor is not None:
        ax.set_ylim(floor, max(ax.get_ylim()[1], floor * 10))


SEED_MARKERS = ("o", "s", "^", "v", "D", "P", "X")


def _cited(ax, targets: list[dict]) -> None:
    """Bands as hatched boxes; each source's reading with its own marker, side by side."""
    seeds = sorted({r[0] for t in targets for r in t["readings"]})
    shown: set[str] = set()
    for n, target in enumerate(targets):
        lo, hi = target["band"]
        x0, x1 = target["start"] - 0.4, target["end"] + 0.4
        ax.fill_between([x0, x1], [lo, lo], [hi, hi], facecolor="none", edgecolor=OKABE_ITO[1],
                        hatch="xx", linewidth=1.2,
                        label="Calibration band (sources' spread + margin)" if n == 0 else None)
        readings = [r for r in target["readings"] if r[1] is not None or r[2] is not None]
        xm = (target["start"] + target["end"]) / 2
        for k, (seed, value, rng) in enumerate(readings):
            x = xm + (k - (len(readings) - 1) / 2) * 0.2
            marker = SEED_MARKERS[seeds.index(seed) % len(SEED_MARKERS)]
            name = None if seed in shown else f"Cited: {seed}"
            shown.add(seed)
            if value is None:
                ax.plot([x, x], rng, color=OKABE_ITO[1], linewidth=3)
                value = sum(rng) / 2
            ax.plot(x, value, marker=marker, color=OKABE_ITO[1], markersize=10,
                    markeredgecolor="black", linestyle="none", label=name)


def fan_chart(results: Results, column: str, path: Path, year: int | None = None,
              target=None) -> Path:
    """Full history on the left; if sources cite the column, a close-up of those years right.

    The title reports ``year`` (default the last). A sweep's fan pools its design points and
    says so in the title: the spread is then partly the policy choices, not uncertainty."""
    from model.analysis.charts import target_line, year_marker

    table = fan_table(results, column)
    at = table.iloc[-1] if year is None else table.set_index("year").loc[[year]].reset_index().iloc[0]
    pooled = results.kind == "sweep" and len(results.design) > 1
    title = (f"{label(column)}: {fmt_value(at['p50'], column)} median in {int(at['year'])}; "
             f"90% of runs {fmt_value(at['p05'], column)} to {fmt_value(at['p95'], column)}"
             + (f" (all {len(results.design)} design points pooled)" if pooled else ""))
    prov = results.provenance() + " | median, 50% and 90% bands" + (
        " over every design point and replication pooled" if pooled else "")
    targets = cited(column)
    if targets:
        fig, (ax, zoom) = new_figure(title, prov, ncols=2, gridspec_kw={"width_ratios": [2, 1]})
        fig.subplots_adjust(wspace=0.3)
    else:
        fig, ax = new_figure(title, prov)
    axis_units(ax, column, table[["p05", "p95"]].to_numpy().ravel())
    floor = _fan(ax, table, column, legend=True)
    _cited(ax, targets)
    _floor(ax, floor)
    target_line(ax, target, column)
    year_marker(ax, year)
    ax.set_xlabel("Year")
    years = table["year"]
    if years.min() < results.policy_start < years.max():
        policy_marker(ax, results.policy_start)
    if targets:
        y0 = min(t["start"] for t in targets) - 2
        y1 = max(t["end"] for t in targets) + 2
        near = table[(years >= y0) & (years <= y1)]
        axis_units(zoom, column, near[["p05", "p95"]].to_numpy().ravel())
        zoom_floor = _fan(zoom, near, column, legend=False)
        _cited(zoom, targets)
        _floor(zoom, zoom_floor)
        zoom.set_xlim(y0, y1)
        zoom.set_xlabel("Year")
        zoom.set_ylabel("")
        zoom.set_title("Close-up: model vs sources", loc="left", fontsize=15)
    fig.subplots_adjust(bottom=0.33)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(0, -0.12), frameon=False,
              ncols=3, fontsize=12)
    return save(fig, path)
