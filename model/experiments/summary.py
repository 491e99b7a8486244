"""Key figures of runs: median and 90% interval across replications, and their text tables.

The figures themselves (column, label, unit) are the output registry's ``KEY_FIGURES``."""

from __future__ import annotations

import numpy as np

from model.common import OnFirstUse, format_value
from model.outputs import KEY_FIGURES

pd = OnFirstUse("pandas")  # not imported by a sweep's workers, which never use it


def key_figures(df: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    rows = []
    for col, label, unit in KEY_FIGURES:
        for year in years:
            v = df.loc[df["year"] == year, col].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            p5, med, p95 = np.percentile(v, [5, 50, 95])
            rows.append({"figure": label, "column": col, "year": year, "unit": unit,
                         "median": med, "p05": p5, "p95": p95, "replications": v.size})
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    """Plain-text table: one row per figure, a column per year (median [5%-95%])."""
    if table.empty:
        return "(no figures)"
    years = sorted(table["year"].unique())
    head = ["figure"] + [f"{y} median [90% interval]" for y in years]
    lines = []
    for label, grp in table.groupby("figure", sort=False):
        cells = [label]
        cells += [interval_cell(grp[grp["year"] == y]) for y in years]
        lines.append(cells)
    return text_table(head, lines)


def interval_cell(rows: pd.DataFrame) -> str:
    """'median [p05 - p95]' of the first summary row, in its unit; '-' if there is none."""
    if rows.empty:
        return "-"
    r = rows.iloc[0]
    return (f"{format_value(r['median'], r['unit'])} [{format_value(r['p05'], r['unit'])} - "
            f"{format_value(r['p95'], r['unit'])}]")


def text_table(head: list[str], rows: list[list]) -> str:
    """Left-aligned columns under a header and a rule, for the terminal."""
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    out = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)
