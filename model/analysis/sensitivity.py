"""Sobol sensitivity: which swept parameters drive an outcome, with confidence intervals.

Design
------
The sweep makes the design: ``sample: {method: sobol, n: 64, ranges: ...}``
in an experiment file runs :func:`model.experiments.design.sobol_design`
(the one implementation), which writes ``sobol_block`` ("A", "B",
"AB:<parameter>") and ``sobol_sample`` columns into design.parquet.

Estimation
----------
:func:`sobol_table` reads design.parquet and the runs, reduces each point to
one number per outcome (the mean over replications of a column in a year, or
over the policy years), and passes the A, B and AB_i evaluations to
``scipy.stats.sobol_indices`` (a maintained implementation) with bootstrap
confidence intervals. If the Sobol sample is crossed with other factors
(strategies, scenarios, grid values), the outcome is first averaged over
them, so the indices are for that average. Samples whose runs all failed are
dropped from every block; the sample count is then cut to the largest power
of two (the estimator needs one) and the table says how many were used.
"""

from __future__ import annotations

import contextlib
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import sobol_indices

from model.analysis.charts import OKABE_ITO, label, new_figure, save
from model.analysis.results import Results, policy_years
from model.errors import HedgesimError

ROUGH_BELOW = 64  # base samples under which Sobol estimates are flagged as rough
SHOWN = 8
"""Most parameters a sensitivity chart (and a brief's table of indices) shows: a Sobol sample over
all the uncertain parameters sweeps about 60, and a chart of 60 bars a panel cannot be read.
Those shown have the largest total index in any outcome; every index is in the full table."""

#: Outcomes analysts ask about first: (column, year or None for the policy-years mean).
DEFAULT_OUTCOMES: tuple[tuple[str, int | None], ...] = (
    ("trade_russia_usd", 2020), ("china_share", None), ("support_russia_usd", None),
)


def _point_values(results: Results, column: str, year: int | None) -> pd.Series:
    if column not in results.columns:
        from model.analysis.charts import suggest

        raise HedgesimError(str(results.folder), "outcome", f"expected an output column{suggest(column, results.columns)}")
    rows = results.select([column], [year] if year is not None else policy_years(results))
    if rows.empty:
        raise HedgesimError(str(results.folder), "outcome", f"expected runs covering {year}")
    return rows.groupby("point")[column].mean()


def outcome_name(column: str, year: int | None) -> str:
    return f"{label(column)}, " + (f"{year}" if year is not None else "mean over policy years")


def sobol_table(results: Results, outcomes=DEFAULT_OUTCOMES, confidence: float = 0.95,
                n_resamples: int = 500) -> pd.DataFrame:
    """First-order and total indices with bootstrap intervals, a row per outcome and parameter."""
    design = results.design
    if results.method != "sobol" or "sobol_block" not in design.columns:
        raise HedgesimError(str(results.folder), "design",
                            "expected a sweep with a Sobol sample (sample: {method: sobol, ...}) "
                            "for sensitivity")
    names = [b.split(":", 1)[1] for b in design["sobol_block"].unique() if b.startswith("AB:")]
    rows = []
    for column, year in outcomes:
        per_point = _point_values(results, column, year)
        d = design.assign(value=design["point"].map(per_point))
        wide = d.pivot_table(index="sobol_sample", columns="sobol_block", values="value",
                             aggfunc="mean", dropna=False)
        wide = wide[["A", "B", *(f"AB:{n}" for n in names)]]
        complete = wide.dropna()
        used = 1 << int(np.floor(np.log2(len(complete)))) if len(complete) >= 2 else 0
        complete = complete.iloc[:used]
        if used < 2 or complete.to_numpy().std() == 0:
            for name in names:
                rows.append({"outcome": outcome_name(column, year), "column": column, "year": year,
                             "parameter": name, "samples": used, "samples_designed": len(wide),
                             **dict.fromkeys(["first", "first_low", "first_high", "total",
                                              "total_low", "total_high"], np.nan)})
            continue
        f_a = complete["A"].to_numpy()[None, :]
        f_b = complete["B"].to_numpy()[None, :]
        f_ab = np.stack([complete[f"AB:{n}"].to_numpy()[None, :] for n in names])
        # the sweep's seed and the outcome's own: an outcome's intervals do not depend on
        # which other outcomes are asked for
        seed = [int(results.manifest.get("seed") or 0), zlib.crc32(column.encode()), year or 0]
        with warnings.catch_warnings(), _global_seed(seed):
            warnings.simplefilter("ignore")  # degenerate bootstrap for inert parameters -> NaN interval
            res = sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=used)
            boot = res.bootstrap(confidence_level=confidence, n_resamples=n_resamples)
        for i, name in enumerate(names):
            rows.append({"outcome": outcome_name(column, year), "column": column, "year": year,
                         "parameter": name, "samples": used, "samples_designed": len(wide),
                         "first": float(res.first_order[0, i] if res.first_order.ndim == 2 else res.first_order[i]),
                         "first_low": _ci(boot.first_order.confidence_interval.low, i),
                         "first_high": _ci(boot.first_order.confidence_interval.high, i),
                         "total": float(res.total_order[0, i] if res.total_order.ndim == 2 else res.total_order[i]),
                         "total_low": _ci(boot.total_order.confidence_interval.low, i),
                         "total_high": _ci(boot.total_order.confidence_interval.high, i)})
    return pd.DataFrame(rows)


@contextlib.contextmanager
def _global_seed(seed: list[int]):
    """NumPy's global random state seeded from ``seed`` for the block, then put back: SciPy's
    Sobol bootstrap draws its resamples from it and takes no generator, and a brief must give
    the same intervals each time it is written from the same folder."""
    saved = np.random.get_state()
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    try:
        yield
    finally:
        np.random.set_state(saved)


def leading_parameters(table: pd.DataFrame, most: int = SHOWN) -> tuple[list[str], float | None]:
    """The parameters of a :func:`sobol_table` to show: all of them, in the design's order, if
    there are at most ``most``; else the ``most`` with the largest total index in any outcome,
    largest first. Also the largest total index among those left out (None when none is; NaN
    when none of theirs could be estimated)."""
    params = list(dict.fromkeys(table["parameter"]))
    if len(params) <= most:
        return params, None
    best = table.groupby("parameter", sort=False)["total"].max().reindex(params)
    ranked = best.fillna(-np.inf).sort_values(ascending=False, kind="stable")
    left = best[ranked.index[most:]]
    return list(ranked.index[:most]), float(left.max()) if left.notna().any() else float("nan")


def _ci(values, i: int) -> float:
    a = np.asarray(values, dtype=float)
    return float(a[0, i] if a.ndim == 2 else a[i])


def sensitivity_chart(results: Results, path: Path, outcomes=DEFAULT_OUTCOMES,
                      table: pd.DataFrame | None = None) -> Path:
    """Horizontal bars per outcome panel: first-order (solid) and total (hatched) with CIs."""
    table = sobol_table(results, outcomes) if table is None else table
    groups = list(dict.fromkeys(table["outcome"]))
    top = table.sort_values("total", ascending=False).dropna(subset=["total"])
    if top.empty:
        finding = "no swept parameter moves these outcomes"
    else:
        t = top.iloc[0]
        finding = (f"{t['parameter']} explains most of the variance (total index up to "
                   f"{t['total']:.2f})")
    samples = int(table["samples"].min()) if len(table) else 0
    rough = samples < ROUGH_BELOW
    over = bool((table["total"] > 1).any())
    title = (f"What drives the outcomes? {finding}"
             + (f" (rough: {samples} base samples" + ("; an index above 1 is noise" if over else "")
                + ")" if rough or over else ""))
    prov = (results.provenance() + f" | Sobol indices (scipy.stats.sobol_indices), {samples} base samples, "
            "95% bootstrap intervals; values outside 0-1 are sampling noise (use more samples)")
    fig, axes = new_figure(title, prov, ncols=len(groups), sharey=True)
    axes = np.atleast_1d(axes)
    fig.subplots_adjust(left=0.24, wspace=0.12, bottom=0.24, top=0.74)
    params, left_max = leading_parameters(table)
    y = np.arange(len(params))
    for ax, outcome in zip(axes, groups, strict=True):
        t = table[table["outcome"] == outcome].set_index("parameter").reindex(params)
        if t["total"].isna().all():
            ax.text(0.5, 0.5, "No estimate: the outcome does not\nvary over the sample, or too few\n"
                    "samples finished", transform=ax.transAxes, ha="center", va="center", fontsize=12)
        for k, (kind, name, hatch) in enumerate((("first", "First-order (alone)", None),
                                                 ("total", "Total (with interactions)", "//"))):
            v = t[kind].to_numpy(dtype=float)
            err = np.vstack([v - t[f"{kind}_low"].to_numpy(dtype=float),
                             t[f"{kind}_high"].to_numpy(dtype=float) - v])
            err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
            ax.barh(y + (k - 0.5) * 0.38, np.nan_to_num(v), height=0.36, color=OKABE_ITO[k * 4],
                    edgecolor="black", hatch=hatch, label=name, xerr=err, capsize=4,
                    error_kw={"elinewidth": 1.4})
        ax.set_title(_wrap(outcome, 24), loc="left", fontsize=13)
        ax.set_xlim(0, max(1.0, float(np.nanmax(table[["first_high", "total_high"]].to_numpy(dtype=float),
                                                 initial=1.0))))
        ax.axvline(0, color="black", linewidth=0.8)
        ax.axvline(1, color="black", linewidth=0.8, linestyle=":")
    noted = left_max is not None  # some parameters left out: say which are shown
    if noted:
        fig.subplots_adjust(bottom=0.3)
        others = len(dict.fromkeys(table["parameter"])) - len(params)
        fig.text(0.01, 0.175, f"The {len(params)} of {len(params) + others} swept parameters "
                 f"with the largest total index; the other {others}: " + (
                     f"at most {left_max:.2f} in every panel" if np.isfinite(left_max)
                     else "no estimate"), ha="left", va="top", fontsize=13)
    fig.supxlabel("Share of variance explained (Sobol index; 1 = all of it)", x=0.72,
                  y=0.215 if noted else 0.165, fontsize=14)
    d = results.design
    axes[0].set_yticks(y, [f"{p}\n(swept {d[p].min():.3g} to {d[p].max():.3g})" if p in d else p
                           for p in params])
    axes[0].invert_yaxis()
    axes[0].legend(loc="upper left", bbox_to_anchor=(-0.9, -0.12 if noted else -0.09),
                   frameon=False, ncols=2)
    return save(fig, path)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return textwrap.fill(text, width)
