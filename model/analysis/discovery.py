"""Scenario discovery: under which parameter ranges is a yes/no outcome likely?

PRIM (Friedman and Fisher 1999) as used in exploratory modelling: start with
the box that holds every run of a sweep and repeatedly peel a thin slice
(``alpha`` of the runs still inside) off the low or high end of one
parameter, always the slice whose removal raises the share of "yes" runs
inside the box the most. Each step trades coverage (the share of all "yes"
runs still inside) for density (the share of runs inside that are "yes").
The reported box is the densest one that still covers at least
``min_coverage`` of the "yes" runs.

The outcome is one run's yes/no, e.g. ``trade_russia_usd@2020 >= 1e9`` (the
$1 bn Russia-DPRK trade goal for 2020 set in 2014; seeds 001, 002, 003).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import OKABE_ITO, fmt_value, label, new_figure, param_label, save
from model.analysis.results import Outcome, Results
from model.errors import HedgesimError

MIN_BAR = 0.02  # narrowest box bar drawn, as a share of the swept range


SHOWN = 8
"""Most box limits a discovery chart (and a brief's box table) shows: in a sample over all the
uncertain parameters, a box may restrict dozens slightly; those cut most are shown, and every
limit is in the full table."""


@dataclass
class Discovery:
    outcome: Outcome
    runs: int
    hits: int
    trajectory: pd.DataFrame  # step, coverage, density, mass, <param>_low, <param>_high
    chosen: int
    box: pd.DataFrame  # parameter, low, high, full_low, full_high, restricted

    @property
    def base_rate(self) -> float:
        return self.hits / self.runs if self.runs else float("nan")

    @property
    def coverage(self) -> float:
        return float(self.trajectory.loc[self.chosen, "coverage"])

    @property
    def density(self) -> float:
        return float(self.trajectory.loc[self.chosen, "density"])

    def note(self, table: str = "the box's table") -> str:
        """Coverage and density of the chosen box, and what it leaves out; ``table`` is where
        every limit of a box too large to spell out is."""
        left_out = self.hits - round(self.coverage * self.hits)
        inside = self.trajectory.loc[self.chosen, "mass"] * self.runs
        wrong = round(inside * (1 - self.density))
        restricted = self.limits
        box = (f"The box ({self.describe()})" if restricted <= SHOWN else
               f"The box, {restricted} limits on {len(self.box)} swept settings (those that cut "
               f"most below; all of them in {table}),")
        return (f"{box} holds {self.coverage:.0%} of the 'yes' runs "
                f"(coverage) and {self.density:.0%} of the runs in it are 'yes' (density). It "
                f"leaves out {left_out} 'yes' run(s) that lie outside it, and takes in "
                f"{wrong} 'no' run(s).")

    @property
    def limits(self) -> int:
        """How many settings the box restricts."""
        return int(self.box["restricted"].sum())

    def shown_rows(self, most: int = SHOWN) -> tuple[pd.DataFrame, int]:
        """The box's rows a chart or a table shows: all of them if there are at most ``most``;
        else the restricted ones, those cut most first, at most ``most``. Also how many
        restricted rows that leaves out."""
        box = self.box
        if len(box) <= most:
            return box, 0
        kept = box[box["restricted"]]
        if kept.empty:  # the box is the whole swept space: the first few, each whole
            return box.iloc[:most], 0
        span = (kept["full_high"] - kept["full_low"]).where(lambda v: v > 0)
        cut = (1 - (kept["high"] - kept["low"]) / span).fillna(1.0)  # categories: first
        order = cut.sort_values(ascending=False, kind="stable").index
        return box.loc[order[:most]], max(0, len(order) - most)

    def short(self) -> str:
        """:meth:`describe`, or where the box restricts more than three parameters, how many."""
        if self.limits <= 3:
            return self.describe()
        return f"in a box on {self.limits} of {len(self.box)} swept settings (right)"

    def describe(self) -> str:
        """The box as a reader would say it: 'russia.trade_subsidy_rate >= 0.31 and ...'."""
        parts = []
        for r in self.box[self.box["restricted"]].itertuples():
            if r.kind == "categorical":
                parts.append(f"{r.parameter} in {{{r.values}}}")
            elif r.low > r.full_low and r.high < r.full_high:
                parts.append(f"{r.parameter} {r.low:.3g}-{r.high:.3g}")
            elif r.low > r.full_low:
                parts.append(f"{r.parameter} >= {r.low:.3g}")
            else:
                parts.append(f"{r.parameter} <= {r.high:.3g}")
        return " and ".join(parts) if parts else "anywhere in the swept ranges"


def describe_outcome(outcome: Outcome) -> str:
    return f"{label(outcome.column)} {outcome.op} {fmt_value(outcome.threshold, outcome.column)} in {outcome.year}"


def _peel_candidates(v: np.ndarray, alpha: float):
    """For one parameter, its values in the box ``v``: (side, new bound, which of the box's
    rows stay after peeling) for the low and the high end."""
    if not v.size:
        return
    low, high = v.min(), v.max()  # (no sort: PRIM over a 317,440-run sample peels 60 settings
    if not low < high:  # a step for dozens of steps)
        return
    lo_cut, hi_cut = np.quantile(v, [alpha, 1 - alpha])
    if lo_cut <= low:
        lo_cut = v[v > low].min()  # discrete (grid) values: peel the lowest level
    yield "low", lo_cut, v >= lo_cut
    if hi_cut >= high:
        hi_cut = v[v < high].max()
    yield "high", hi_cut, v <= hi_cut


def _drop_candidates(v: np.ndarray):
    """For a categorical factor, its values in the box ``v``: (category, None, which of the
    box's rows stay) for removing each category still in."""
    kept = np.unique(v)
    if kept.size < 2:
        return
    for value in kept:
        yield value, None, v != value


def prim(frame: pd.DataFrame, params: list[str], hit: np.ndarray, alpha: float = 0.05,
         min_mass: float = 0.05, categorical: list[str] = ()) -> pd.DataFrame:
    """The peeling trajectory: one row per box from the full box to the smallest.

    Numeric factors are peeled from either end; a categorical factor (strategy, scenario)
    loses one category at a time (Friedman and Fisher's treatment of unordered inputs)."""
    x = {p: frame[p].to_numpy(dtype=float) for p in params}
    x |= {c: frame[c].astype(str).to_numpy() for c in categorical}
    n, total_hits = len(hit), hit.sum()
    inside = np.ones(n, dtype=bool)
    bounds = {p: [x[p].min(), x[p].max()] for p in params}
    kept = {c: sorted(set(x[c])) for c in categorical}
    rows = []

    def record():
        k = inside.sum()
        rows.append({"step": len(rows), "coverage": hit[inside].sum() / total_hits if total_hits else 0.0,
                     "density": hit[inside].mean() if k else 0.0, "mass": k / n,
                     **{f"{p}_low": bounds[p][0] for p in params},
                     **{f"{p}_high": bounds[p][1] for p in params},
                     **{f"{c}_values": ", ".join(kept[c]) for c in categorical}})

    record()
    while True:
        best = None
        # Candidates are scored on the box's own rows (a 317,440-run sample peels 60 settings
        # for dozens of steps); only the chosen one becomes a mask over all the runs.
        h, k_in = hit[inside], int(inside.sum())
        candidates = [(p, c) for p in params for c in _peel_candidates(x[p][inside], alpha)]
        candidates += [(c, d) for c in categorical for d in _drop_candidates(x[c][inside])]
        for p, (side, cut, stay) in candidates:
                k = stay.sum()
                if k < min_mass * n or k == k_in:
                    continue
                score = (h[stay].mean(), k)
                if best is None or score > best[0]:
                    best = (score, p, side, cut, stay)
        if best is None or best[0][0] <= h.mean() + 1e-12:  # no gain: stop
            break
        _, p, side, cut, stay = best
        mask = np.zeros(n, dtype=bool)
        mask[np.flatnonzero(inside)[stay]] = True
        if p in kept:
            kept[p] = [v for v in kept[p] if v != side]
        else:
            bounds[p][0 if side == "low" else 1] = float(cut)
        inside = mask
        record()
    return pd.DataFrame(rows)


def discover(results: Results, outcome: Outcome, params: list[str] | None = None,
             min_coverage: float = 0.5, alpha: float = 0.05) -> Discovery:
    params = params or results.parameters
    categorical = [c for c in ("strategy", "scenario") if results.design[c].nunique() > 1]
    if not params and not categorical:
        raise HedgesimError(str(results.folder), "design.parquet",
                            "expected a sweep that varies at least one parameter for scenario discovery")
    yes = outcome.evaluate(results.select([outcome.column], [outcome.year]))
    frame = yes.merge(results.design[["point", *params, *categorical]], on="point")
    hit = frame["hit"].to_numpy(dtype=bool)
    trajectory = prim(frame, params, hit, alpha=alpha, categorical=categorical)
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int((ok if not ok.empty else trajectory)["density"].idxmax())
    row = trajectory.loc[chosen]
    rows = [{"parameter": p, "kind": "numeric", "low": row[f"{p}_low"], "high": row[f"{p}_high"],
             "full_low": frame[p].min(), "full_high": frame[p].max(), "values": "",
             "all_values": "", "restricted": bool(row[f"{p}_low"] > frame[p].min()
                                                  or row[f"{p}_high"] < frame[p].max())}
            for p in params]
    for c in categorical:
        everything = ", ".join(sorted(set(frame[c].astype(str))))
        rows.append({"parameter": c, "kind": "categorical", "low": np.nan, "high": np.nan,
                     "full_low": np.nan, "full_high": np.nan, "values": row[f"{c}_values"],
                     "all_values": everything, "restricted": row[f"{c}_values"] != everything})
    box = pd.DataFrame(rows)
    return Discovery(outcome, len(frame), int(hit.sum()), trajectory, chosen, box)


def discovery_chart(results: Results, outcome: Outcome, path: Path,
                    found: Discovery | None = None) -> Path:
    """Left: the coverage-density trade-off of the peeling; right: the chosen box's limits."""
    d = found or discover(results, outcome)
    question = describe_outcome(outcome)
    if d.hits == 0:
        title = f"How likely is '{question}'? Not in any of the {d.runs} runs swept"
    else:
        title = (f"How likely is '{question}'? {d.base_rate:.0%} of swept runs, {d.density:.0%} when "
                 f"{d.short()}")
    prov = (results.provenance() + " | all design points and replications pooled"
            + f" | PRIM peeling: box holds {d.coverage:.0%} of the 'yes' runs "
            f"(coverage) and {d.density:.0%} of runs in it are 'yes' (density)")
    fig, (left, right) = new_figure(title, prov, ncols=2, gridspec_kw={"width_ratios": [1, 1.3]})
    fig.subplots_adjust(left=0.07, wspace=0.75)
    t = d.trajectory
    left.plot(t["coverage"], t["density"], color=OKABE_ITO[0], marker="o", markersize=5, linewidth=2,
              label="Boxes found by peeling")
    left.plot(d.coverage, d.density, marker="*", markersize=22, color=OKABE_ITO[1],
              markeredgecolor="black", linestyle="none", label="Chosen box", clip_on=False, zorder=5)
    left.axhline(d.base_rate, color="#555555", linestyle=":", linewidth=1.4, label="All runs (base rate)")
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    left.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    left.set_xlabel("Coverage: share of all 'yes' runs in box")
    left.set_ylabel("Density: 'yes' share in box")
    left.set_title("Trade-off as the box shrinks", loc="left", fontsize=15)
    left.legend(loc="lower left", frameon=True, framealpha=0.9, fontsize=12)

    box, unshown = d.shown_rows()
    box = box.reset_index(drop=True)
    y = np.arange(len(box))
    cat = box["kind"] == "categorical"
    span = (box["full_high"] - box["full_low"]).replace(0, 1)
    lo = ((box["low"] - box["full_low"]) / span).where(~cat, 0.0)
    hi = ((box["high"] - box["full_low"]) / span).where(~cat, 1.0)
    right.barh(y, np.ones(len(box)), color="#DDDDDD", edgecolor="#777777", height=0.5, label="Swept range")
    width = np.maximum(hi - lo, MIN_BAR)  # a box on one grid value: a visible sliver, not nothing
    left_edge = np.clip(np.minimum(lo, 1 - MIN_BAR), 0, None)
    right.barh(y, width, left=left_edge, color=OKABE_ITO[0], edgecolor="black", height=0.5, hatch="//",
               label="Box: outcome likely")
    for i, r in enumerate(box.itertuples()):
        if r.kind == "categorical":
            right.text(0.5, i - 0.3, ("box: " + r.values) if r.restricted else "all kept: " + r.values,
                       ha="center", va="bottom", fontsize=12, fontweight="bold")
            continue
        right.text(0, i + 0.3, _num(r.full_low, r.parameter), ha="left", va="top", fontsize=11,
                   color="#444444")
        right.text(1, i + 0.3, _num(r.full_high, r.parameter), ha="right", va="top", fontsize=11,
                   color="#444444")
        if r.restricted:
            span_text = (f"box: {_num(r.low, r.parameter)} only" if r.low == r.high else
                         f"box: {_num(r.low, r.parameter)} to {_num(r.high, r.parameter)}")
            centre = float(np.clip((lo.iat[i] + hi.iat[i]) / 2, 0.15, 0.85))
            right.text(centre, i - 0.3, span_text, ha="center", va="bottom", fontsize=12,
                       fontweight="bold")
    right.set_yticks(y, [param_label(p).replace(" (", "\n(", 1) for p in box["parameter"]])
    restricted = d.limits
    right.set_title(
        "Box limits (categories: those kept)" if len(box) == len(d.box)
        else f"No limit: the whole swept space ({len(box)} of {len(d.box)} settings)"
        if not restricted
        else f"Box limits: the {restricted} of {len(d.box)} swept settings it restricts"
        if not unshown else f"The {len(box)} of its {len(box) + unshown} limits that cut most",
        loc="left", fontsize=15)
    right.set_xlim(-0.02, 1.02)
    right.set_ylim(len(box) - 0.4, -0.75)
    right.set_xticks([0, 0.5, 1], ["low end", "middle", "high end"])
    right.set_xlabel("Position in the swept range")
    right.grid(False)
    right.legend(loc="upper left", bbox_to_anchor=(0, -0.14), frameon=False, ncols=2)
    return save(fig, path)


def box_table(d: Discovery) -> pd.DataFrame:
    """The chosen box for a report: parameter, swept range, box range, restricted."""
    return d.box.assign(coverage=d.coverage, density=d.density, base_rate=d.base_rate)


def _num(value: float, parameter: str) -> str:
    from model.analysis.charts import usd
    from model.params import REGISTRY

    p = REGISTRY.get(parameter)
    if p is not None and p.unit.upper().startswith("USD") and "per" not in p.unit:
        return usd(value)
    return f"{value:.3g}"
