"""The calibration report: what was fitted, to what, how well, what stays uncertain.

Written for an analyst who has not seen the code: a Markdown page with the
target table (sources, band, simulated median and 90% interval, in band or
not), the fitted parameters with their ranges and whether the figures pin
them down, and two charts: the 1988-2014 backcast with every cited figure
and its sources' spread, and the identifiability profile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis import charts
from model.calibration.fit import FIT_SEED, baseline_for_fit, known_misses, run_with
from model.calibration.targets import load_targets
from model.params import REGISTRY

BACKCAST_SERIES = (
    ("trade_china_usd", "DPRK-China trade"),
    ("trade_russia_usd", "DPRK-Russia trade"),
    ("coal_exports_china_usd", "DPRK coal exports to China"),
    ("exports_russia_usd", "DPRK exports to Russia"),
)


def _money(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1e9:
        return f"${v / 1e9:.2f} bn"
    if a >= 1e6:
        return f"${v / 1e6:.1f} m"
    if a >= 1e3:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _value(v: float, unit: str) -> str:
    """A figure in its target's unit: dollars, tonnes, or a plain number."""
    if unit.startswith("USD"):
        return _money(v)
    if not np.isfinite(v):
        return "n/a"
    if unit.startswith("t"):
        return f"{v / 1e6:.1f} Mt"
    return f"{v:.3g}"


def _units() -> dict[str, str]:
    from model.calibration.targets import load_scenario_targets

    return {t.id: t.unit for t in [*load_targets(), *load_scenario_targets()]}


def backcast_chart(df: pd.DataFrame, path: Path, provenance: str) -> Path:
    """Simulated 1988-2014 trade with every cited point figure and its band overlaid."""
    targets = [t for t in load_targets() if getattr(t.metric, "column", None) in
               dict(BACKCAST_SERIES) and hasattr(t.metric, "year")]
    fig, ax = charts.new_figure(
        "Does the model reproduce 1988-2014? Simulated trade against the cited figures",
        provenance)
    hist = df[df["year"] <= 2014]
    for i, (col, label) in enumerate(BACKCAST_SERIES):
        wide = hist.pivot_table(index="replication", columns="year", values=col)
        charts.band(ax, wide.columns.to_numpy(), wide.to_numpy(), i, f"{label} (model)")
        for t in targets:
            if t.metric.column != col:
                continue
            year = t.metric.year
            lo, hi = t.band
            ax.errorbar([year + 0.15 * i], [np.sqrt(lo * hi)],
                        yerr=[[np.sqrt(lo * hi) - lo], [hi - np.sqrt(lo * hi)]],
                        fmt="none", ecolor=charts.OKABE_ITO[i], elinewidth=3, capsize=7)
            for r in t.readings:
                if r.value:
                    ax.plot([year + 0.15 * i], [r.value], marker="*", markersize=14,
                            color=charts.OKABE_ITO[i], markeredgecolor="black", linestyle="none")
    ax.plot([], [], marker="*", markersize=14, color="white", markeredgecolor="black",
            linestyle="none", label="cited figure (star), its band (bar)")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e6)
    ax.yaxis.set_major_formatter(charts.FuncFormatter(charts.usd))
    ax.set_ylabel("US$ per year (log scale)")
    ax.set_xlabel("Year")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.1), frameon=False, ncols=2)
    fig.savefig(path)
    charts.plt.close(fig)
    return path


def identifiability_chart(ident: pd.DataFrame, path: Path, provenance: str) -> Path:
    fig, ax = charts.new_figure("Which parameters do the cited figures pin down?", provenance)
    order = ident.sort_values("loss_spread")
    y = np.arange(len(order))
    colours = [charts.OKABE_ITO[0] if p else charts.OKABE_ITO[1] for p in order["pinned_down"]]
    hatches = ["" if p else "//" for p in order["pinned_down"]]
    bars = ax.barh(y, order["loss_spread"].clip(lower=1e-4), color=colours, edgecolor="black")
    for b, h in zip(bars, hatches, strict=True):
        b.set_hatch(h)
    ax.set_yticks(y, order["parameter"])
    ax.set_xscale("log")
    ax.set_xlabel("Rise in calibration loss across the parameter's range (log scale; "
                  "hatched = not pinned down)")
    fig.subplots_adjust(left=0.32)
    fig.savefig(path)
    charts.plt.close(fig)
    return path


def _disagreements(table: pd.DataFrame, scenario_table: pd.DataFrame,
                   reasons: dict[str, str]) -> list[str]:
    """A section naming every target out of band and why the model misses it."""
    frames = [table] + ([scenario_table] if not scenario_table.empty else [])
    out_of_band = [(r.id, r.description) for t in frames for r in t.itertuples() if not r.in_band]
    if not out_of_band:
        return ["", "## Where the model and the sources disagree", "",
                "Nowhere: every target's median is inside its band."]
    lines = ["", "## Where the model and the sources disagree", "",
             f"{len(out_of_band)} targets are out of band. Each is listed, with the reason, under "
             "`known_misses` in `model/calibration/calibrated.yaml`; `hedgesim calibrate --check` "
             "fails on any miss not listed there.", ""]
    for tid, desc in out_of_band:
        lines.append(f"- **{desc}** (`{tid}`): "
                     + reasons.get(tid, "not yet explained: this miss is new and must be investigated."))
    return lines


def write_report(folder: Path, fit_meta: dict, values: dict, table: pd.DataFrame,
                 scenario_table: pd.DataFrame, ident: pd.DataFrame | None,
                 replications: int) -> Path:
    """report.md plus charts and tables in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    prov = (f"hedgesim {fit_meta.get('code_version', '?')} | calibration of "
            f"{fit_meta.get('fitted_utc', '?')} | baseline history, {replications} replications, "
            f"seed {FIT_SEED} | median and 90% interval")
    df = run_with(baseline_for_fit(replications), values).frame()
    backcast_chart(df, folder / "backcast.png", prov)
    table.to_csv(folder / "targets.csv", index=False)
    if not scenario_table.empty:
        scenario_table.to_csv(folder / "scenario_targets.csv", index=False)
    units = _units()
    lines = ["# Calibration report", ""]
    lines += [
        f"Fitted {fit_meta.get('fitted_utc', '?')} with {fit_meta.get('optimiser', '?')} "
        f"(budget {fit_meta.get('budget', '?')} evaluations, {fit_meta.get('evaluations', '?')} used, "
        f"{fit_meta.get('replications_per_evaluation', '?')} replications each, "
        f"{fit_meta.get('wall_seconds', '?')} s); final loss {fit_meta.get('loss', '?')} "
        f"(0 = every fitted figure inside its band). Code {fit_meta.get('code_version', '?')}.",
        "",
        "The loss sums, over the figures marked *fit*, the squared distance of each "
        "replication's value outside the band its sources span, measured in band widths "
        "(log widths for money and ratios). Figures marked *corroborate* were not fitted: "
        "they test the fitted model. Every run shares the same seeds (common random numbers).",
        "",
        f"## Targets ({int(table['in_band'].sum())} of {len(table)} in band; medians over "
        f"{replications} replications)",
        "",
        "| target | role | sources | band | simulated median [90%] | in band |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        u = units.get(r.id, "")
        lines.append(f"| {r.description} | {r.role} | {r.sources} | {_value(r.band_low, u)} - "
                     f"{_value(r.band_high, u)} | {_value(r.median, u)} [{_value(r.p05, u)} - "
                     f"{_value(r.p95, u)}] | {'yes' if r.in_band else '**no**'} |")
    if not scenario_table.empty:
        lines += ["", "## Scenario-level claims", "",
                  "| claim | scenario | sources | band | simulated median [90%] | in band |",
                  "|---|---|---|---|---|---|"]
        for r in scenario_table.itertuples():
            u = units.get(r.id, "")
            lines.append(f"| {r.description} | {r.scenario} | {r.sources} | "
                         f"{_value(r.band_low, u)} - {_value(r.band_high, u)} | "
                         f"{_value(r.median, u)} [{_value(r.p05, u)} - {_value(r.p95, u)}] | "
                         f"{'yes' if r.in_band else '**no**'} |")
    lines += _disagreements(table, scenario_table, known_misses())
    lines += ["", "![backcast](backcast.png)", "", "## Fitted parameters", "",
              "| parameter | fitted | range | unit | pinned down by the figures? | source |",
              "|---|---|---|---|---|---|"]
    pinned = {} if ident is None else dict(zip(ident["parameter"], ident["pinned_down"], strict=True))
    for name, v in values.items():
        p = REGISTRY[name]
        x = v[p.fit_year] if isinstance(v, dict) else v
        where = f" (from {p.fit_year})" if isinstance(v, dict) else ""
        flag = {True: "yes", False: "**no**"}.get(pinned.get(name), "not profiled")
        lines.append(f"| `{name}`{where} | {x:.4g} | {p.low:g} - {p.high:g} | {p.unit} | {flag} | "
                     f"{p.source} |")
    if ident is not None:
        identifiability_chart(ident, folder / "identifiability.png", prov)
        ident.to_csv(folder / "identifiability.csv", index=False)
        weak = ident.loc[~ident["pinned_down"], "parameter"].tolist()
        lines += ["", "## What stays uncertain", "",
                  "Each free parameter was moved across its whole range with the others held at "
                  "their fitted values. Those whose loss barely moves are not pinned down by the "
                  "cited figures; results that depend on them should be read as assumptions: "
                  + (", ".join(f"`{w}`" for w in weak) if weak else "none") + ".", "",
                  "![identifiability](identifiability.png)"]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
