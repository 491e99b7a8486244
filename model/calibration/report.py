"""The calibration report: what was fitted, to what, how well, what stays uncertain.

Written for an analyst who has not seen the code: a Markdown page with

- the posterior predictive check: every target's band against the median and
  90% interval of runs that each draw a member of the posterior ensemble;
- the 1988-2014 backcast of those runs with every cited figure;
- posterior marginals against their (uniform) priors, and the pairwise
  trade-offs between parameters (weighted correlations);
- for the key figures, how much of the spread comes from the parameters and
  how much from chance (law of total variance);
- the point estimate (differential evolution) with its own target table and
  one-at-a-time identifiability profile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from model import figures
from model.calibration import fit as cal
from model.calibration.fit import FIT_SEED, baseline_for_fit
from model.calibration.targets import load_targets
from model.common import format_value
from model.ensemble import POSTERIOR, Calibration, fitted_number, load_calibration
from model.params import REGISTRY
from model.runner import run_scenario
from model.scenario import CALIBRATED, calibration_file

BACKCAST_SERIES = (
    ("trade_china_usd", "DPRK-China trade"),
    ("trade_russia_usd", "DPRK-Russia trade"),
    ("coal_exports_china_usd", "DPRK coal exports to China"),
    ("exports_russia_usd", "DPRK exports to Russia"),
)


def _value(v: float, unit: str) -> str:
    """A figure in its target's unit: dollars, tonnes, or a plain number."""
    return format_value(v, unit, "report")


def _units() -> dict[str, str]:
    from model.calibration.targets import load_scenario_targets

    return {t.id: t.unit for t in [*load_targets(), *load_scenario_targets()]}


def backcast_chart(df: pd.DataFrame, path: Path, provenance: str) -> Path:
    """Simulated 1988-2014 trade with every cited point figure and its band overlaid."""
    targets = [t for t in load_targets() if getattr(t.metric, "column", None) in
               dict(BACKCAST_SERIES) and hasattr(t.metric, "year")]
    fig, ax = figures.new_figure(
        "Does the model reproduce 1988-2014? Simulated trade against the cited figures",
        provenance)
    hist = df[df["year"] <= 2014]
    for i, (col, label) in enumerate(BACKCAST_SERIES):
        wide = hist.pivot_table(index="replication", columns="year", values=col)
        figures.band(ax, wide.columns.to_numpy(), wide.to_numpy(), i, f"{label} (model)")
        for t in targets:
            if t.metric.column != col:
                continue
            year = t.metric.year
            lo, hi = t.band
            ax.errorbar([year + 0.15 * i], [np.sqrt(lo * hi)],
                        yerr=[[np.sqrt(lo * hi) - lo], [hi - np.sqrt(lo * hi)]],
                        fmt="none", ecolor=figures.OKABE_ITO[i], elinewidth=3, capsize=7)
            for r in t.readings:
                if r.value:
                    ax.plot([year + 0.15 * i], [r.value], marker="*", markersize=14,
                            color=figures.OKABE_ITO[i], markeredgecolor="black", linestyle="none")
    ax.plot([], [], marker="*", markersize=14, color="white", markeredgecolor="black",
            linestyle="none", label="cited figure (star), its band (bar)")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e6)
    ax.yaxis.set_major_formatter(FuncFormatter(figures.usd))
    ax.set_ylabel("US$ per year (log scale)")
    ax.set_xlabel("Year")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.1), frameon=False, ncols=2)
    fig.savefig(path)
    figures.plt.close(fig)
    return path


def identifiability_chart(ident: pd.DataFrame, path: Path, provenance: str) -> Path:
    fig, ax = figures.new_figure("Which parameters do the cited figures pin down?", provenance)
    order = ident.sort_values("loss_spread")
    y = np.arange(len(order))
    colours = [figures.OKABE_ITO[0] if p else figures.OKABE_ITO[1] for p in order["pinned_down"]]
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
    figures.plt.close(fig)
    return path


def marginals_chart(ens, point: dict, path: Path, provenance: str) -> Path:
    """A small histogram per parameter over its whole prior range, the prior flat beneath."""
    n = len(ens.parameters)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig, axes = figures.new_figure(
        "What do the cited figures say about each parameter? Posterior (bars) against the "
        "uniform prior (dashed)", provenance, nrows=rows, ncols=cols)
    fig.subplots_adjust(hspace=0.9, wspace=0.25, bottom=0.16, top=0.8)
    for k, ax in enumerate(np.ravel(axes)):
        if k >= n:
            ax.set_visible(False)
            continue
        name = ens.parameters[k]
        p = REGISTRY.get(name)
        lo, hi = (p.low, p.high) if p is not None else (ens.numbers[:, k].min(), ens.numbers[:, k].max())
        ax.hist(ens.numbers[:, k], bins=20, range=(lo, hi), weights=ens.weights, density=True,
                color=figures.OKABE_ITO[0], edgecolor="black", linewidth=0.4)
        ax.axhline(1.0 / (hi - lo), color="black", linestyle="--", linewidth=1.2)
        if name in point:
            ax.axvline(point[name], color=figures.OKABE_ITO[1], linewidth=2)
        ax.set_title(name, fontsize=10, loc="left")
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlim(lo, hi)
    fig.text(0.12, 0.845, "vertical line: point estimate (calibrated.yaml)", fontsize=11,
             color=figures.OKABE_ITO[1])
    figures.save(fig, path)
    return path


def weighted_correlation(ens) -> pd.DataFrame:
    """Pearson correlation of the members' numbers under their weights."""
    x, w = ens.numbers, ens.weights
    mean = w @ x
    d = x - mean
    cov = (d * w[:, None]).T @ d
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=list(ens.parameters), columns=list(ens.parameters))


def correlation_chart(corr: pd.DataFrame, path: Path, provenance: str) -> Path:
    fig, ax = figures.new_figure("Which parameters trade off? Posterior correlations (a pair the "
                                "figures fit only jointly shows strong colour)", provenance)
    fig.subplots_adjust(left=0.3, right=0.85, bottom=0.37, top=0.88)
    im = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(corr)), corr.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(corr)), corr.index, fontsize=8)
    fig.colorbar(im, ax=ax, label="weighted correlation")
    figures.save(fig, path)
    return path


def _strongest_pairs(corr: pd.DataFrame, n: int = 6) -> list[tuple[str, str, float]]:
    names = list(corr.columns)
    pairs = [(names[i], names[j], float(corr.iat[i, j]))
             for i in range(len(names)) for j in range(i + 1, len(names))
             if np.isfinite(corr.iat[i, j])]
    return sorted(pairs, key=lambda t: -abs(t[2]))[:n]


def _target_rows(table: pd.DataFrame, units: dict[str, str], extra: str) -> list[str]:
    out = []
    for r in table.itertuples():
        u = units.get(r.id, "")
        first = f"| {r.description} | {getattr(r, extra)} | {r.sources} |"
        out.append(f"{first} {_value(r.band_low, u)} - {_value(r.band_high, u)} | "
                   f"{_value(r.median, u)} | {_value(r.p05, u)} - {_value(r.p95, u)} | "
                   f"{'yes' if r.in_band else '**no**'} | "
                   f"{'yes' if cal.overlaps(r) else '**no**'} |")
    return out


def _disagreements(table: pd.DataFrame, scenario_table: pd.DataFrame,
                   reasons: dict[str, str], where: str) -> list[str]:
    """A section naming every target out of band and why the model misses it."""
    frames = [table] + ([scenario_table] if not scenario_table.empty else [])
    out_of_band = [(r.id, r.description) for t in frames for r in t.itertuples() if not r.in_band]
    head = ["", "## Where the model and the sources disagree", ""]
    if not out_of_band:
        return head + ["Nowhere: every target's median is inside its band."]
    lines = head + [
        f"{len(out_of_band)} targets have their median out of band. Each is listed, with the "
        f"reason, under `known_misses` in `{where}`; `hedgesim calibrate --check` fails on any "
        "miss not listed there.", ""]
    for tid, desc in out_of_band:
        lines.append(f"- **{desc}** (`{tid}`): "
                     + reasons.get(tid, "not yet explained: this miss is new and must be investigated."))
    return lines


def _point_values(path: Path) -> dict:
    doc = calibration_file(path)
    return {n: ({int(y): float(x) for y, x in v.items()} if isinstance(v, dict) else float(v))
            for n, v in (doc.get("values") or {}).items() if n in REGISTRY}


def _posterior_section(folder: Path, calibration: Calibration, point: dict,
                       units: dict[str, str]) -> list[str]:
    from model.calibration.posterior import CHECK_DRAWS, check_ensemble, variance_split

    ens = calibration.ensemble
    prov_ = ens.provenance
    prov = (f"hedgesim {prov_.get('code_version', '?')} | posterior of {prov_.get('fitted_utc', '?')}"
            f", {ens.size} members | baseline history, {CHECK_DRAWS} runs each with a posterior "
            f"draw, seed {FIT_SEED} | median and 90% interval")
    result = check_ensemble(calibration, CHECK_DRAWS)
    table, scen = result.table, result.scenarios
    table.to_csv(folder / "targets.csv", index=False)
    if not scen.empty:
        scen.to_csv(folder / "scenario_targets.csv", index=False)
    df = run_scenario(baseline_for_fit(CHECK_DRAWS), calibration=calibration).frame()
    backcast_chart(df, folder / "backcast.png", prov)
    lib = ", ".join(f"{k} {v}" for k, v in (prov_.get("libraries") or {}).items())
    eps = ", ".join(f"{e:.3g}" for e in prov_.get("epsilons") or [])
    lines = [
        f"The posterior ensemble (`model/calibration/posterior.yaml`, sha256 "
        f"`{ens.sha256[:12]}`) was fitted {prov_.get('fitted_utc', '?')} by "
        f"{prov_.get('method', '?')}, with {lib}: {prov_.get('population_size', '?')} particles a "
        f"generation, {prov_.get('generations', '?')} generations (epsilon {eps}; stopped by "
        f"{prov_.get('stopped_by', '?')}), {prov_.get('evaluations', '?')} loss evaluations of "
        f"{prov_.get('replications_per_evaluation', '?')} histories each, "
        f"{prov_.get('wall_seconds', '?')} s on {prov_.get('workers', '?')} worker(s), seed "
        f"{prov_.get('seed', '?')}, code {prov_.get('code_version', '?')}. Its {ens.size} members "
        f"(effective size {ens.effective_size:.0f} after weighting, "
        f"{prov_.get('distinct_members', '?')} distinct) each fit the figures with a band "
        f"loss at most {prov_.get('final_epsilon', '?')} (0 = every fitted figure inside its band "
        "in every replication). Every run draws one member per replication.",
        "",
        "The loss sums, over the figures marked *fit*, the squared distance of each "
        "replication's value outside the band its sources span, measured in band widths "
        "(log widths for money and ratios). Figures marked *corroborate* were not fitted: "
        "they test the fit.",
        "",
        f"## Posterior predictive check ({int(table['in_band'].sum())} of {len(table)} medians in "
        f"band; {CHECK_DRAWS} runs, each with its own draw and seed)",
        "",
        "| target | role | sources | band | median | 90% predictive interval | median in band | "
        "interval overlaps band |",
        "|---|---|---|---|---|---|---|---|",
        *_target_rows(table, units, "role"),
    ]
    if not scen.empty:
        lines += ["", "### Scenario-level claims", "",
                  "| claim | scenario | sources | band | median | 90% predictive interval | "
                  "median in band | interval overlaps band |",
                  "|---|---|---|---|---|---|---|---|", *_target_rows(scen, units, "scenario")]
    lines += _disagreements(table, scen, ens.known_misses, "model/calibration/posterior.yaml")
    lines += ["", "![backcast](backcast.png)", ""]

    marginals_chart(ens, point, folder / "posterior_marginals.png", prov)
    corr = weighted_correlation(ens)
    correlation_chart(corr, folder / "posterior_correlation.png", prov)
    corr.round(3).to_csv(folder / "posterior_correlation.csv")
    lines += ["## Posterior against prior", "",
              "Each prior is uniform over the parameter's registry range. A posterior that "
              "fills its range is not pinned down by the figures; one that narrows is.", "",
              "| parameter | prior range | posterior median | 90% credible interval | share of "
              "range | point estimate | unit |", "|---|---|---|---|---|---|---|"]
    for k, name in enumerate(ens.parameters):
        p = REGISTRY.get(name)
        x = ens.numbers[:, k]
        order = np.argsort(x)
        cdf = np.cumsum(ens.weights[order])
        q05, q50, q95 = (float(x[order][min(np.searchsorted(cdf, q), len(x) - 1)])
                         for q in (0.05, 0.5, 0.95))
        lo, hi = (p.low, p.high) if p is not None else (np.nan, np.nan)
        share = (q95 - q05) / (hi - lo) if p is not None else np.nan
        pt = f"{point[name]:.4g}" if name in point else "-"
        lines.append(f"| `{name}` | {lo:.4g} - {hi:.4g} | {q50:.4g} | {q05:.4g} - {q95:.4g} | "
                     f"{share:.0%} | {pt} | {p.unit if p else '?'} |")
    lines += ["", "![posterior marginals](posterior_marginals.png)", "",
              "## Trade-offs between parameters", "",
              "Correlations between parameters across the ensemble (weighted): a strong one means "
              "the figures fix a combination, not each parameter; the one-at-a-time profile of the "
              "point estimate cannot see this. Strongest pairs (all in "
              "`posterior_correlation.csv`):", "",
              "| parameter | parameter | correlation |", "|---|---|---|"]
    lines += [f"| `{a}` | `{b}` | {r:+.2f} |" for a, b, r in _strongest_pairs(corr)]
    lines += ["", "![posterior correlations](posterior_correlation.png)", ""]

    split = variance_split(calibration)
    split.to_csv(folder / "variance_split.csv", index=False)
    n = int(split["draws"].iloc[0])
    k = int(split["replications_per_draw"].iloc[0])
    lines += ["## Parameters or chance?", "",
              f"{n} members drawn by weight, each run for {k} seeds of the baseline. The variance of "
              "the member means is the parameters' share of the spread, the mean variance within a "
              "member is chance's (law of total variance). The last column is the 90% interval of "
              f"{n * k} runs of the point estimate alone, what every interval showed before the "
              "ensemble.", "",
              "| figure | median | 90% interval (posterior) | width, % of median | from parameters "
              "| from chance | 90% interval (point estimate), width % of median |",
              "|---|---|---|---|---|---|---|"]
    for r in split.itertuples():
        u = "USD" if r.column.endswith("_usd") else ""
        lines.append(f"| {r.figure} | {_value(r.median, u)} | {_value(r.p05, u)} - "
                     f"{_value(r.p95, u)} | {r.width_pct_of_median:.0f}% | "
                     f"{r.parameters_share:.0%} | {r.chance_share:.0%} | "
                     f"{_value(r.point_p05, u)} - {_value(r.point_p95, u)}, "
                     f"{r.point_width_pct_of_median:.1f}% |")
    return lines


def _point_section(folder: Path, meta: dict, values: dict, identifiability: bool,
                   units: dict[str, str]) -> list[str]:
    reps = cal.CHECK_REPLICATIONS
    table = cal.check(reps, values)
    scen = cal.check_scenarios(reps, values)
    table.to_csv(folder / "point_targets.csv", index=False)
    prov = (f"hedgesim {meta.get('code_version', '?')} | point calibration of "
            f"{meta.get('fitted_utc', '?')} | baseline history, {reps} replications, seed "
            f"{FIT_SEED} | median and 90% interval")
    lines = [
        "", "## The point estimate", "",
        f"`model/calibration/calibrated.yaml` holds the single best-fitting set, fitted "
        f"{meta.get('fitted_utc', '?')} with {meta.get('optimiser', '?')} (budget "
        f"{meta.get('budget', '?')} evaluations, {meta.get('evaluations', '?')} used, "
        f"{meta.get('replications_per_evaluation', '?')} replications each, "
        f"{meta.get('wall_seconds', '?')} s); final loss {meta.get('loss', '?')}. Runs use it "
        "with `--point-estimate` (chance only, no parameter uncertainty); the posterior's "
        "members take it as the value of any free parameter the ensemble lacks.", "",
        f"{int(table['in_band'].sum())} of {len(table)} target medians in band over {reps} "
        "replications of the point estimate"
        + (f"; out of band: {', '.join(table.loc[~table['in_band'], 'id'])}" if not table['in_band'].all() else "")
        + (f"; scenario claims out of band: {', '.join(scen.loc[~scen['in_band'], 'id'])}"
           if not scen.empty and not scen['in_band'].all() else "")
        + ". Reasons are under `known_misses` in `calibrated.yaml`; the full table is "
        "`point_targets.csv`.", "",
        "| parameter | fitted | range | unit | pinned down one at a time? | source |",
        "|---|---|---|---|---|---|"]
    ident = cal.identifiability(values, replications=cal.DEFAULT_REPLICATIONS) if identifiability else None
    pinned = {} if ident is None else dict(zip(ident["parameter"], ident["pinned_down"], strict=True))
    for name, v in values.items():
        p = REGISTRY[name]
        if not p.free:
            continue
        x = fitted_number(p, v)
        where = f" (from {p.fit_year})" if isinstance(v, dict) else ""
        flag = {True: "yes", False: "**no**"}.get(pinned.get(name), "not profiled")
        lines.append(f"| `{name}`{where} | {x:.4g} | {p.low:g} - {p.high:g} | {p.unit} | {flag} | "
                     f"{p.source} |")
    if ident is not None:
        identifiability_chart(ident, folder / "identifiability.png", prov)
        ident.to_csv(folder / "identifiability.csv", index=False)
        weak = ident.loc[~ident["pinned_down"], "parameter"].tolist()
        lines += ["", "Each free parameter was moved across its whole range with the others held "
                  "at their fitted values. Those whose loss barely moves are not pinned down one at "
                  "a time; the posterior above shows which of them are pinned down jointly: "
                  + (", ".join(f"`{w}`" for w in weak) if weak else "none") + ".", "",
                  "![identifiability](identifiability.png)"]
    return lines


def write_report(folder: Path, identifiability: bool = True, posterior_path: Path | None = None,
                 point_path: Path | None = None) -> Path:
    """report.md plus charts and tables in ``folder``, for the committed (or given) fits."""
    folder.mkdir(parents=True, exist_ok=True)
    units = _units()
    point_path = CALIBRATED if point_path is None else Path(point_path)
    meta, values = calibration_file(point_path), _point_values(point_path)
    point_numbers = {n: fitted_number(REGISTRY[n], v) for n, v in values.items()
                     if REGISTRY[n].free}
    posterior_path = POSTERIOR if posterior_path is None else Path(posterior_path)
    lines = ["# Calibration report", ""]
    if posterior_path.is_file():
        calibration = load_calibration("posterior", posterior_path)
        lines += _posterior_section(folder, calibration, point_numbers, units)
    else:
        lines += ["No posterior ensemble (`posterior.yaml`): runs use the point estimate.", ""]
    lines += _point_section(folder, meta, values, identifiability, units)
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
