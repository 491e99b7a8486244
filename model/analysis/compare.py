"""Scenario comparison: several scenarios or strategies on the same axes.

Groups are the scenarios of several run folders, or the strategies (else
scenarios) of a sweep. Each group shows its median and 50% band across runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import (
    axis_units,
    finish_legend,
    fmt_value,
    label,
    new_figure,
    policy_marker,
    save,
    series_style,
)
from model.analysis.fan import check_column
from model.analysis.results import Results
from model.errors import HedgesimError

MAX_GROUPS = 8
MAX_BANDS = 3  # more overlapping bands turn grey and hide the medians
HISTORY_SHOWN = 5  # years before policy_start drawn for context


def grouped(results: list[Results], by: str | None = None,
            columns: list[str] = ()) -> tuple[str, pd.DataFrame]:
    """All runs (their ``columns``) with a ``group`` column; ``by`` is scenario or strategy
    (default: what varies)."""
    by = group_by(results, by)
    if len(results) == 1:  # one folder: its runs as they are, no copy (a sweep's may be large)
        runs = results[0].select(list(columns))
    else:
        runs = pd.concat([r.select(list(columns)).assign(source=r.folder.name) for r in results],
                         ignore_index=True)
    runs["group"] = runs[by].astype(str)
    if len(results) > 1 and runs.groupby("group")["source"].nunique().max() > 1:
        runs["group"] = runs["group"] + " (" + runs["source"] + ")"
    return by, runs


def group_by(results: list[Results], by: str | None = None) -> str:
    """What to compare: ``by`` (scenario or strategy), by default strategy where the runs'
    points differ in it and share one scenario, else scenario (read from the points that have
    runs, not from the runs)."""
    if by is None:
        ran = pd.concat([r.design.loc[r.design["point"].isin(r.succeeded()["point"]),
                                      ["scenario", "strategy"]] for r in results])
        by = ("strategy" if ran["strategy"].nunique() > 1 and ran["scenario"].nunique() == 1
              else "scenario")
    if by not in ("scenario", "strategy"):
        raise HedgesimError(by, "--by", "expected scenario or strategy")
    return by


def compare_table(results: list[Results], column: str, by: str | None = None) -> pd.DataFrame:
    """Per group and year: 25th, 50th and 75th percentile of ``column`` and the run count."""
    for r in results:
        check_column(r, column)
    _, runs = grouped(results, by, [column])
    g = runs.groupby(["group", "year"])[column]
    out = g.quantile([0.25, 0.5, 0.75]).unstack()
    out.columns = ["p25", "p50", "p75"]
    out["runs"] = g.count()
    return out.reset_index()


def compare_chart(results: list[Results], column: str, path: Path, by: str | None = None,
                  year: int | None = None, target=None) -> Path:
    """Medians over time per group; the title compares them in ``year`` (default the last).
    A sweep whose groups hold several design points pools them and the title says so."""
    from model.analysis.charts import target_line, year_marker

    by = group_by(results, by)
    table = compare_table(results, column, by)
    groups = list(dict.fromkeys(table["group"]))
    if len(groups) > MAX_GROUPS:
        raise HedgesimError(str(results[0].folder), "--by",
                            f"expected at most {MAX_GROUPS} {by}s on one chart, found {len(groups)}")
    year = int(table["year"].max()) if year is None else int(year)
    end = table[table["year"] == year].set_index("group")["p50"]
    if end.empty:
        raise HedgesimError(str(results[0].folder), "--year", f"expected a year the runs cover, not {year}")
    best, worst = end.idxmax(), end.idxmin()
    pooled = any(r.kind == "sweep" and len(r.design) > table["group"].nunique() for r in results)
    title = (f"{label(column)} in {year}: highest under {best} ({fmt_value(end[best], column)} median"
             f"{' with all swept settings pooled' if pooled else ''}), "
             f"lowest under {worst} ({fmt_value(end[worst], column)})" if len(end) > 1 else
             f"{label(column)} in {year}: {fmt_value(end[best], column)} median under {best}"
             f"{' with all swept settings pooled' if pooled else ''} (one {by} to compare)")
    start = results[0].policy_start
    table = table[table["year"] >= start - HISTORY_SHOWN]  # before that, the groups share history
    prov = " || ".join(r.provenance() for r in results[:2]) + (" || ..." if len(results) > 2 else "")
    hidden = {r.history_note() for r in results[2:]} - {r.history_note() for r in results[:2]} - {""}
    prov += "".join(f" | {note} (some scenarios)" for note in sorted(hidden))
    bands = len(groups) <= MAX_BANDS
    pooled = " across design points and replications" if any(r.kind == "sweep" for r in results) else ""
    fig, ax = new_figure(title, prov + (f" | median and 50% band (thin lines){pooled}" if bands
                                        else f" | median{pooled}"))
    axis_units(ax, column, table[["p25", "p75"]].to_numpy().ravel())
    log = ax.get_yscale() == "log"
    for i, g in enumerate(groups):
        t = table[table["group"] == g]
        st = series_style(i)
        lo, mid, hi = (np.where(t[c] > 0, t[c], np.nan) if log else t[c] for c in ("p25", "p50", "p75"))
        if bands:  # edges in the group's line style, so overlapping bands still read in greyscale
            ax.fill_between(t["year"], lo, hi, color=st["color"], alpha=0.10, linewidth=0)
            for edge in (lo, hi):
                ax.plot(t["year"], edge, color=st["color"], linestyle=st["linestyle"], linewidth=1.0,
                        alpha=0.7)
        ax.plot(t["year"], mid, label=f"{by}: {g}", **st)
    target_line(ax, target, column)
    year_marker(ax, year)
    ax.set_xlabel("Year")
    if table["year"].min() < start < year:
        policy_marker(ax, start)
    finish_legend(ax, ncols=3 if len(groups) > 4 else 2)
    return save(fig, path)
