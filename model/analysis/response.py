"""What a sweep answers: the outcome against each swept lever, design point by design point.

A sweep asks "how does the outcome respond to this lever, under each strategy
or scenario?". Pooling its design points into one spread would present the
policy choices as uncertainty, so everything here keeps the points apart:

- :func:`point_table`: one row per design point, its settings and the median
  and 5-95% range across replications (each replication a posterior draw, the
  same draws at every point) of the key outcomes in the year asked, and how
  many replications reach a target;
- :func:`response_chart`: the outcome against the swept lever, a line per
  strategy or scenario, the 5-95% band across replications, the target line;
- :func:`answers`: per strategy or scenario, the smallest swept lever value
  at which at least half the replications reach the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import (
    axis_units,
    fmt_value,
    label,
    new_figure,
    param_label,
    save,
    series_style,
    target_line,
)
from model.analysis.results import Outcome, Results
from model.errors import HedgesimError

TABLE_COLUMNS = ("trade_russia_usd", "china_share", "support_russia_usd", "support_china_usd",
                 "dependence_hhi")
MAX_PANELS = 4
SUCCESS = 0.5  # share of replications that must reach the target for a setting to "reach" it


def groups_of(results: Results) -> list[str]:
    """The categorical factors that vary: strategy, scenario or both."""
    return [c for c in ("scenario", "strategy") if results.design[c].nunique() > 1]


def group_label(results: Results, design: pd.DataFrame) -> pd.Series:
    cols = groups_of(results)
    if not cols:
        return pd.Series(design["strategy"].astype(str), index=design.index)
    return design[cols].astype(str).agg(" / ".join, axis=1)


def levers_of(results: Results) -> list[str]:
    """The swept registry parameters, policy levers first, then by fewest values."""
    from model.params import REGISTRY

    params = results.parameters

    def key(p: str):
        kind = getattr(REGISTRY.get(p), "kind", "")
        return (0 if kind == "lever" else 1, 0 if "subsidy" in p else 1, params.index(p))

    return sorted(params, key=key)


def sampled_of(results: Results) -> set[str]:
    """The registry parameters a sweep's design samples (``sample: ranges``), not sets on a
    grid (``vary:``)."""
    from model.experiments.design import section_and_name

    experiment = results.manifest.get("experiment") or {}
    sample = experiment.get("sample")
    ranges = sample.get("ranges") if isinstance(sample, dict) else None
    if ranges is None and results.method not in (None, "grid"):
        # a sample whose ranges the manifest does not keep: all but the grid's are sampled
        grid = {section_and_name(k)[1] for k in (experiment.get("vary") or {})}
        return {p for p in results.parameters if p not in grid}
    return {section_and_name(k)[1] for k in (ranges or {})}


def check_year(results: Results, year: int | None) -> int:
    first, last = results.years
    if year is None:
        return last
    if not first <= year <= last:
        raise HedgesimError(str(results.folder), "--year",
                            f"expected a year the runs cover ({first}-{last}), got {year}")
    return int(year)


def point_table(results: Results, year: int, target: Outcome | None = None,
                columns=TABLE_COLUMNS) -> pd.DataFrame:
    """Numeric, one row per design point: settings, median/p05/p95 of each column in ``year``,
    the replications counted and (with a target) how many reach it."""
    cols = [c for c in columns if c in results.columns]
    rows = results.select(cols, [year])
    g = rows.groupby("point")
    out = results.design[["point", *groups_of(results), *levers_of(results)]].set_index("point")
    for c in cols:
        q = g[c].quantile([0.5, 0.05, 0.95]).unstack()
        out[f"{c}_median"], out[f"{c}_p05"], out[f"{c}_p95"] = q[0.5], q[0.05], q[0.95]
    out["replications"] = g.size()
    if target is not None:
        hits = target.evaluate(results.select([target.column], [target.year])).groupby("point")["hit"]
        out["target_reached"] = hits.sum().astype(int)
        out["target_share"] = hits.mean()
    out.insert(0, "year", year)
    return out.reset_index()


def shown_table(results: Results, table: pd.DataFrame, target: Outcome | None) -> pd.DataFrame:
    """The point table formatted for a reader: 'median [p05 - p95]' in each column's unit."""
    shown = table[["point", *groups_of(results)]].copy()
    for p in levers_of(results):
        shown[p] = table[p].map(lambda v: f"{v:.3g}")
    for c in TABLE_COLUMNS:
        if f"{c}_median" in table:
            shown[f"{label(c)} {int(table['year'].iloc[0])}"] = [
                f"{fmt_value(m, c)} [{fmt_value(a, c)} - {fmt_value(b, c)}]" for m, a, b in
                zip(table[f"{c}_median"], table[f"{c}_p05"], table[f"{c}_p95"], strict=True)]
    if target is not None:
        shown["target reached"] = [f"{h} of {n}" for h, n in
                                   zip(table["target_reached"], table["replications"], strict=True)]
    return shown


@dataclass
class Answer:
    """Per group: the smallest swept lever value where the target is reached in at least
    :data:`SUCCESS` of the replications (None when no swept value does)."""

    group: str
    lever: str
    value: float | None
    reached: int
    runs: int
    median: float
    p05: float
    p95: float
    cost_russia: float
    cost_china: float
    swept: tuple[float, float]
    others: str = ""  # other swept settings held (when the sweep varies more than one lever)

    def sentence(self, target: Outcome) -> str:
        lo, hi = self.swept
        where = f"under {self.group}" + (f" ({self.others})" if self.others else "")
        if self.value is None:
            return (f"{where.capitalize()}, no {self.lever} in the swept range {lo:g}-{hi:g} "
                    f"reaches {label(target.column)} {target.op} "
                    f"{fmt_value(target.threshold, target.column)} in {target.year} in half the runs "
                    f"(at {hi:g}: {self.reached} of {self.runs} runs, median "
                    f"{fmt_value(self.median, target.column)}).")
        return (f"{where.capitalize()}, {self.lever} = {self.value:g} is the smallest swept value "
                f"that reaches it: {self.reached} of {self.runs} runs, median "
                f"{fmt_value(self.median, target.column)} [90%: {fmt_value(self.p05, target.column)}"
                f" - {fmt_value(self.p95, target.column)}], costing Russia "
                f"{fmt_value(self.cost_russia, 'x_usd')} and China "
                f"{fmt_value(self.cost_china, 'x_usd')} a year (medians).")


def answers(results: Results, target: Outcome) -> list[Answer]:
    """Per strategy/scenario (and each combination of the other swept levers): the smallest
    value of the first swept lever reaching the target in at least half the replications."""
    levers = levers_of(results)
    if not levers:
        return []
    lever, others = levers[0], levers[1:]
    table = point_table(results, target.year, target,
                        columns=(target.column, "support_russia_usd", "support_china_usd"))
    table["group"] = group_label(results, table).to_numpy()
    out = []
    for keys, sub in table.groupby(["group", *others], sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        numeric = [c for c in sub.columns if c not in ("group", lever, *others)
                   and pd.api.types.is_numeric_dtype(sub[c])]
        sub = sub.groupby(lever)[numeric].median().reset_index()
        sub = sub.sort_values(lever)
        ok = sub[sub["target_share"] >= SUCCESS]
        row = ok.iloc[0] if not ok.empty else sub.iloc[-1]
        held = ", ".join(f"{p} {v:g}" for p, v in zip(others, keys[1:], strict=True))
        out.append(Answer(str(keys[0]), lever, float(row[lever]) if not ok.empty else None,
                          int(row["target_reached"]), int(row["replications"]),
                          float(row[f"{target.column}_median"]), float(row[f"{target.column}_p05"]),
                          float(row[f"{target.column}_p95"]),
                          float(row["support_russia_usd_median"]),
                          float(row["support_china_usd_median"]),
                          (float(sub[lever].min()), float(sub[lever].max())), held))
    return out


def response_chart(results: Results, column: str, path: Path, year: int | None = None,
                   target: Outcome | None = None, lever: str | None = None) -> Path:
    """``column`` in ``year`` against the swept lever: a line per strategy or scenario (median
    across replications) with its 5-95% band, one panel per value of a second swept lever,
    and the target line. Other swept parameters are averaged within a setting, and the
    provenance line says so."""
    if results.kind != "sweep" or not results.parameters:
        raise HedgesimError(str(results.folder), "--kind",
                            "expected a sweep that varies a lever for the response chart")
    if column not in results.columns:
        from model.analysis.charts import suggest

        raise HedgesimError(str(results.folder), "--column",
                            f"expected an output column{suggest(column, results.columns)}")
    levers = levers_of(results)
    sampled = sampled_of(results)
    lever = lever or next((p for p in levers if p not in sampled), levers[0])
    if lever not in levers:
        raise HedgesimError(str(results.folder), "lever", f"expected one of {', '.join(levers)}")
    if lever in sampled and len(levers) > 1:
        # No two points of a sample share the lever's value, so the line would join points
        # that differ in every other sampled setting too: noise drawn as a response.
        raise HedgesimError(str(results.folder), "--kind",
                            f"expected a lever set on a grid (vary:) for the response chart; "
                            f"{lever} is sampled ({results.method}) with {len(levers) - 1} other "
                            "setting(s): use --kind sensitivity (Sobol) or discovery --outcome ...")
    year = check_year(results, target.year if (target and year is None) else year)
    rest = [p for p in levers if p != lever]
    panel_by = next((p for p in rest if results.design[p].nunique() <= MAX_PANELS), None)
    pooled = [p for p in rest if p != panel_by]
    rows = results.select([column], [year])[["point", "replication", column]]
    design = results.design.assign(group=group_label(results, results.design))
    rows = rows.merge(design[["point", "group", lever, *([panel_by] if panel_by else [])]],
                      on="point")
    keys = ["group", lever, *([panel_by] if panel_by else [])]
    # a replication's value at a setting: averaged over pooled parameters (if any)
    per_rep = rows.groupby([*keys, "replication"])[column].mean().reset_index()
    stats = per_rep.groupby(keys)[column].quantile([0.05, 0.5, 0.95]).unstack().reset_index()
    panels = sorted(results.design[panel_by].unique()) if panel_by else [None]
    groups = list(dict.fromkeys(design["group"]))

    found = answers_for_title(results, target, year, column, lever) if target else ""
    title = (f"{label(column)} in {year} against {lever.split('.')[-1].replace('_', ' ')}"
             + (f": {found}" if found else ""))
    prov = (results.provenance() + " | median and 5-95% range across replications at each "
            "setting (not pooled over settings)"
            + (f"; averaged over {_names(pooled)}" if pooled else ""))
    by = " / ".join(groups_of(results))
    fig, axes = new_figure(title, prov, ncols=len(panels), sharey=True)
    axes = np.atleast_1d(axes)
    values = stats[[0.05, 0.95]].to_numpy().ravel()
    if target is not None and target.column == column:
        values = np.append(values, target.threshold)
    for ax, panel in zip(axes, panels, strict=True):
        sub = stats if panel is None else stats[stats[panel_by] == panel]
        for i, g in enumerate(groups):
            t = sub[sub["group"] == g].sort_values(lever)
            if t.empty:
                continue
            st = series_style(i) | {"markevery": marks_every(len(t)), "markersize": 8}
            ax.fill_between(t[lever], t[0.05], t[0.95], color=st["color"], alpha=0.12,
                            linewidth=0)
            for edge in (0.05, 0.95):
                ax.plot(t[lever], t[edge], color=st["color"], linestyle=st["linestyle"],
                        linewidth=0.9, alpha=0.7)
            ax.plot(t[lever], t[0.5], label=f"{by}: {g}" if by else g, **st)
        target_line(ax, target, column)
        if panel is not None:
            ax.set_title(f"{panel_by.split('.')[-1]} = {panel:g}", loc="left", fontsize=14)
        ax.set_xlabel(param_label(lever))
    axis_units(axes[0], column, values)
    if axes[0].get_yscale() == "linear" and np.nanmin(values) >= 0:
        axes[0].set_ylim(bottom=0)
    for ax in axes[1:]:
        ax.yaxis.set_major_formatter(axes[0].yaxis.get_major_formatter())
    axes[0].set_ylabel(axes[0].get_ylabel() + f", {year}")
    axes[0].legend(loc="upper left", bbox_to_anchor=(0, -0.13), frameon=False,
                   ncols=min(4, len(groups) + 1), fontsize=12)
    return save(fig, path)


MARKED_SETTINGS = 25
"""Up to this many swept settings a response line marks each one; past it, about a dozen
evenly spaced marks name the series (in greyscale), else a 1,000-point sweep's markers merge
into a band thicker than its interval."""


def marks_every(settings: int) -> int:
    """Mark every n-th setting of a response line of ``settings`` settings."""
    return 1 if settings <= MARKED_SETTINGS else -(-settings // 12)


def answers_for_title(results: Results, target: Outcome, year: int, column: str,
                      lever: str) -> str:
    """'reaches >= $1.00 bn from 0.3 under pivot_russia; not within 0-0.4 under play_off'."""
    if target.column != column or target.year != year or levers_of(results)[0] != lever:
        return ""
    found = answers(results, target)
    if not found or any(a.others for a in found):
        return ""
    parts = [(f"from {a.value:g} under {a.group}" if a.value is not None
              else f"not within {a.swept[0]:g}-{a.swept[1]:g} under {a.group}") for a in found]
    return f"half the runs reach {fmt_value(target.threshold, column)} " + "; ".join(parts)


def _names(params: list[str], most: int = 4) -> str:
    """Parameter names for a provenance line: all of them, or the first few and how many more."""
    if len(params) <= most:
        return ", ".join(params)
    return f"{', '.join(params[:most])} and {len(params) - most} more"
