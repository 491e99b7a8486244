"""Leave-future-out check: fit on the figures up to 2012, predict 2013-2014.

A calibrated model that reproduces the figures it was tuned to says little
about how it answers questions out of sample (issue 10). This check refits the
free parameters on what the sources say about the years up to
:data:`LAST_FIT_YEAR` only, then runs the model forward and compares it with
every figure for the later years, which the refit never saw.

How targets are split:

* a figure wholly in the fit years is fitted as it is (fit role only);
* a figure that spans the cut (a decade's mean, a window's growth pattern, a
  slow drift ending in 2012-2014) is fitted on its window ended at the cut,
  with the same band: the sources describe a level or a shape over the whole
  decade, so its early part must already show it;
* every figure that reads a year after the cut is held out and predicted, in
  its original form, whatever its role.

The seeds give their levels mostly for 2013-2014, so the held-out set holds
the central figures (China and Russia trade, shares, coal); that is the point:
the refit must find them from history alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from model.calibration.fit import (
    CHECK_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    Objective,
    baseline_for_fit,
    fit,
    run_with,
)
from model.calibration.targets import (
    Growth,
    MaxGrowth,
    Mean,
    RatioOfMeans,
    ShareOfYearsGrowing,
    Target,
    Value,
    evaluate,
    load_targets,
)
from model.common import format_value

log = logging.getLogger(__name__)

LAST_FIT_YEAR = 2012
PREDICT_HORIZON = 2015
DEFAULT_BUDGET = 6000


def last_year(target: Target) -> int:
    """The latest year a target's metric reads."""
    m = target.metric
    if isinstance(m, Value):
        return m.year
    if isinstance(m, Growth):
        return m.to_year
    if isinstance(m, RatioOfMeans):
        return max(m.end, m.over_end)
    return m.end


def ended_at(target: Target, cut: int) -> Target | None:
    """The target with its window ended at ``cut``, or None when it has no part before the cut
    that the sources describe (a single year, or a growth between two years)."""
    m = target.metric
    if isinstance(m, (Mean, ShareOfYearsGrowing, MaxGrowth)):
        if m.start > cut - 2:
            return None
        metric = replace(m, end=cut)
    elif isinstance(m, RatioOfMeans):
        if m.over_end > cut:
            return None
        span = m.end - m.start
        metric = replace(m, start=min(m.start, cut - span), end=cut)
        if metric.start <= m.over_end and m.column == m.over_column:
            return None
    else:
        return None
    return replace(target, id=f"{target.id}_to{cut}", metric=metric,
                   description=f"{target.description} (window ended at {cut})")


def split(targets: Sequence[Target], cut: int = LAST_FIT_YEAR) -> tuple[list[Target], list[Target]]:
    """(fitted, held out): the fit role's figures up to ``cut`` (windows ended there), and every
    figure that reads a later year."""
    fitted, held = [], []
    for t in targets:
        if last_year(t) <= cut:
            if t.role == "fit":
                fitted.append(t)
            continue
        held.append(t)
        if t.role == "fit" and (early := ended_at(t, cut)) is not None:
            fitted.append(early)
    return fitted, held


@dataclass
class LeaveFutureOut:
    """What the check found: the held-out figures against the refit's predictions."""

    fitted: list[Target]
    held: list[Target]
    values: dict
    loss: float
    seconds: float
    budget: int
    table: pd.DataFrame

    @property
    def in_band(self) -> int:
        return int(self.table["in_band"].sum())


def miss(table: pd.DataFrame, targets: Sequence[Target]) -> pd.Series:
    """How far each median is outside its band: a factor for log-scale figures (1 = in band),
    points for linear ones (0 = in band)."""
    scale = {t.id: t.scale for t in targets}
    out = []
    for _, row in table.iterrows():
        lo, hi, med = row["band_low"], row["band_high"], row["median"]
        if scale[row["id"]] == "log":
            out.append(max(lo / med, med / hi, 1.0) if med > 0 else np.inf)
        else:
            out.append(max(lo - med, med - hi, 0.0))
    return pd.Series(out, index=table.index)


def leave_future_out(budget: int = DEFAULT_BUDGET, workers: int = 1, seed: int = 0,
                     replications: int = DEFAULT_REPLICATIONS,
                     check_replications: int = CHECK_REPLICATIONS,
                     callback: Callable[[int, int], None] | None = None) -> LeaveFutureOut:
    """Refit on the figures to :data:`LAST_FIT_YEAR`, then predict the held-out ones."""
    targets = load_targets()
    fitted, held = split(targets)
    # Seeded with the registry defaults, not the committed calibration: that saw 2013-2014.
    # The model normalises its growth paths to 2014, so the refit runs to 2014; the fitted
    # targets read nothing after the cut.
    objective = Objective(replications, targets=fitted, horizon=2014)
    result = fit(budget, workers=workers, seed=seed, replications=replications,
                 callback=callback, objective=objective, start={})
    scenario = baseline_for_fit(check_replications).with_values(horizon=PREDICT_HORIZON)
    table = evaluate(held, run_with(scenario, result.values).frame())
    table["miss"] = miss(table, held)
    log.info("leave-future-out: %d of %d held-out figures in band (loss %.3f, %.0f s)",
             int(table["in_band"].sum()), len(held), result.loss, result.seconds)
    return LeaveFutureOut(fitted, held, result.values, result.loss, result.seconds, budget, table)


def write_report(result: LeaveFutureOut, full_fit: pd.DataFrame, folder) -> None:
    """``leave_future_out.md`` and ``.csv`` in ``folder``: each held-out figure, the full fit's
    median and the leave-future-out prediction, side by side."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    full = full_fit.set_index("id")["median"]
    table = result.table.copy()
    table.insert(table.columns.get_loc("median"), "full_fit_median", table["id"].map(full))
    table.to_csv(folder / "leave_future_out.csv", index=False)
    lines = [
        "# Leave-future-out check",
        "",
        f"Refit on the figures up to {LAST_FIT_YEAR} only ({len(result.fitted)} fitted, windows "
        f"that span the cut ended at {LAST_FIT_YEAR}; differential evolution, {result.budget} "
        f"evaluations, loss {result.loss:.3f}, {result.seconds:.0f} s), then run forward to "
        f"{PREDICT_HORIZON - 1} and compared with the {len(result.held)} figures for later years "
        "that the refit never saw. `hedgesim calibrate --leave-future-out` reproduces it.",
        "",
        f"**{result.in_band} of {len(result.held)} held-out figures in band.** The miss is a factor "
        "outside the band for money, tonnes and ratios (1 = in band) and points for shares and "
        "growth (0 = in band).",
        "",
        "| figure | role | band | full fit | predicted median [90%] | in band | miss |",
        "|---|---|---|---|---|---|---|",
    ]
    unit = {t.id: t.unit for t in result.held}
    for _, r in table.iterrows():
        u = unit[r["id"]]
        lines.append(f"| {r['description']} | {r['role']} | {_cell(r['band_low'], u)} - "
                     f"{_cell(r['band_high'], u)} | {_cell(r['full_fit_median'], u)} | {_cell(r['median'], u)} "
                     f"[{_cell(r['p05'], u)} - {_cell(r['p95'], u)}] | {'yes' if r['in_band'] else '**no**'} "
                     f"| {r['miss']:.2f} |")
    lines += ["", "Fitted on:", ""]
    lines += [f"- {t.description}" for t in result.fitted]
    (folder / "leave_future_out.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell(v: float, unit: str) -> str:
    """A figure in its target's unit, or a dash where the model gave none."""
    return format_value(v, unit, "report") if v is not None and np.isfinite(v) else "-"
