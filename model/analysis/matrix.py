"""Strategy matrix: which DPRK hedging strategy pays under which subsidy x sanctions cell.

Reads a sweep whose design crosses strategies with a subsidy lever (a column
with ``subsidy`` in its name) and a sanctions lever (``sanctions.*``). Each
outcome is averaged over the policy years (``policy_start`` to the horizon)
and over replications, then over any other varied parameter in the cell.

The robust choice is the strategy with the least maximum regret: in each cell
regret is the best strategy's DPRK payoff minus this strategy's, and the
robust strategy minimises the worst regret across all cells (Savage's
criterion). It answers "what should Pyongyang do if it does not know which
setting it will face?".
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.analysis.charts import fmt_value, new_figure, save
from model.analysis.results import Results, policy_years
from model.errors import HedgesimError
from model.params import REGISTRY

METRICS = {
    "payoff": ("dprk_payoff", "DPRK payoff per year, model index (higher = better)"),
    "china_share": ("china_share", "China's share of DPRK trade"),
    "cost_russia": ("support_russia_usd", "Aid + subsidy + credit, US$ per year"),
    "cost_china": ("support_china_usd", "Aid + subsidy + credit, US$ per year"),
}
QUESTIONS = {
    "payoff": "Which hedging strategy pays Pyongyang?",
    "china_share": "How dependent on China does each strategy leave Pyongyang?",
    "cost_russia": "What does each strategy cost Moscow?",
    "cost_china": "What does each strategy cost Beijing?",
}


def axes_of(results: Results, x: str | None = None, y: str | None = None) -> tuple[str, str]:
    """The subsidy (x) and sanctions (y) design columns, found by name unless given."""
    params = results.parameters
    x = x or next((p for p in params if "subsidy" in p), None)
    y = y or next((p for p in params if p.startswith("sanctions.") and p != x), None)
    if results.design["strategy"].nunique() < 2 or not x or not y:
        raise HedgesimError(str(results.folder), "design.parquet",
                            "expected a sweep over two or more strategies, a subsidy parameter and a "
                            "sanctions parameter for the strategy matrix")
    for p in (x, y):
        if p not in params:
            raise HedgesimError(str(results.folder), p, f"expected a varied design column among {params}")
    return x, y


def matrix_table(results: Results, x: str | None = None, y: str | None = None) -> pd.DataFrame:
    """One row per strategy and cell: the four outcomes, the regret and whether it is best."""
    x, y = axes_of(results, x, y)
    cols = [c for c, _ in METRICS.values()]
    runs = results.select(cols, policy_years(results))
    per_point = runs.groupby("point")[cols].mean().reset_index()
    cells = per_point.merge(results.design[["point", "strategy", x, y]], on="point")
    table = cells.groupby(["strategy", x, y])[cols].mean().reset_index()
    table = table.rename(columns={c: k for k, (c, _) in METRICS.items()})
    best = table.groupby([x, y])["payoff"].transform("max")
    table["regret"] = best - table["payoff"]
    table["best"] = table["regret"] <= 1e-12
    return table


def noise_of(results: Results) -> float:
    """Typical standard error of a cell's mean DPRK payoff: the spread across replications of the
    policy-years mean payoff at one design point, over the square root of the replications,
    as a median over points. Regrets smaller than about twice this are chance."""
    runs = results.select(["dprk_payoff"], policy_years(results))
    per_rep = runs.groupby(["point", "replication"])["dprk_payoff"].mean()
    g = per_rep.groupby("point")
    se = g.std(ddof=1) / np.sqrt(g.count())
    return float(np.nanmedian(se.to_numpy(dtype=float))) if se.notna().any() else float("nan")


def human(name: str) -> str:
    """'russia.trade_subsidy_rate' -> "Russia's trade subsidy rate"; 'play_off' -> 'play off'."""
    if "." in name:
        who, what = name.split(".", 1)
        owner = {"russia": "Russia's", "china": "China's", "sanctions": "Sanctions:",
                 "dprk": "DPRK"}.get(who, who.capitalize())
        return f"{owner} {what.replace('_', ' ')}"
    return name.replace("_", " ")


def strategy_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: mean payoff, worst regret, cells where it is best, mean shares and costs."""
    out = table.groupby("strategy").agg(
        payoff=("payoff", "mean"), max_regret=("regret", "max"), best_in_cells=("best", "sum"),
        cells=("best", "size"), china_share=("china_share", "mean"),
        cost_russia=("cost_russia", "mean"), cost_china=("cost_china", "mean"))
    out = out.sort_values(["max_regret", "payoff"], ascending=[True, False]).reset_index()
    out["robust"] = out.index == 0
    return out


def matrix_chart(results: Results, path: Path, metric: str = "payoff", x: str | None = None,
                 y: str | None = None) -> Path:
    if metric not in METRICS:
        from model.analysis.charts import suggest

        raise HedgesimError(metric, "--metric", f"expected one of {', '.join(METRICS)}{suggest(metric, METRICS)}")
    x, y = axes_of(results, x, y)
    table = matrix_table(results, x, y)
    summary = strategy_summary(table)
    robust = summary.iloc[0]
    strategies = list(summary["strategy"])
    xs, ys = sorted(table[x].unique()), sorted(table[y].unique())
    column, what = METRICS[metric]
    noise = noise_of(results)
    if metric == "payoff":
        # Is the choice itself within noise: does the runner-up's worst regret differ from the
        # robust strategy's by less than the noise of a difference of two cell means?
        gap = (summary.iloc[1]["max_regret"] - robust["max_regret"]) if len(summary) > 1 else np.inf
        within = bool(gap <= 2 * np.sqrt(2) * noise) if np.isfinite(noise) else False
        runner_up = human(summary.iloc[1]["strategy"]) if len(summary) > 1 else ""
        title = (f"{QUESTIONS[metric]} Least worst regret across all {len(xs) * len(ys)} settings: "
                 f"{human(robust['strategy'])} ({robust['max_regret']:.3f}, noise about "
                 f"{noise:.3f}"
                 + (f"; its lead over {runner_up} is within noise" if within else "") + ")")
    else:
        mine = table.loc[table["strategy"] == robust["strategy"], metric].mean()
        title = (f"{QUESTIONS[metric]} {fmt_value(table[metric].min(), column)} to "
                 f"{fmt_value(table[metric].max(), column)} across settings; "
                 f"{fmt_value(mine, column)} on average under the robust choice, {robust['strategy']}")
    ncols = min(4, len(strategies))
    nrows = int(np.ceil(len(strategies) / ncols))
    fig, axes = new_figure(title, results.provenance() + " | mean over policy years and replications; "
                           "star = Pyongyang's best strategy in that cell, (-x) = regret: payoff below the cell's best"
                           f"; noise = median standard error of a cell's mean payoff across replications ({noise:.3f})",
                           nrows=nrows, ncols=ncols,
                           sharex=True, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    fig.subplots_adjust(left=0.08, right=0.86, bottom=0.2, hspace=0.35, wspace=0.08)
    values = table[metric].to_numpy(dtype=float)
    vmin, vmax = np.nanmin(values), np.nanmax(values)
    cmap = plt.get_cmap("cividis")  # monotonic lightness: reads in greyscale and for colour-blind readers
    image = None
    for ax, strategy in zip(axes, strategies, strict=True):
        t = table[table["strategy"] == strategy]
        grid = t.pivot(index=y, columns=x, values=metric).reindex(index=ys, columns=xs)
        best = t.pivot(index=y, columns=x, values="best").reindex(index=ys, columns=xs)
        regret = t.pivot(index=y, columns=x, values="regret").reindex(index=ys, columns=xs)
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", cmap=cmap, vmin=vmin, vmax=vmax,
                          aspect="auto")
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid.iat[i, j]
                shade = (v - vmin) / (vmax - vmin) if vmax > vmin else 0.5
                text = fmt_value(v, column) if metric != "payoff" else f"{v:.3f}"
                star = bool(best.iat[i, j]) if pd.notna(best.iat[i, j]) else False
                if not star and metric == "payoff" and pd.notna(regret.iat[i, j]):
                    text += f"\n(-{regret.iat[i, j]:.3f})"
                ax.text(j, i, ("★\n" if star else "") + text, ha="center", va="center", fontsize=11,
                        fontweight="bold" if star else "normal",
                        color="black" if shade > 0.55 else "white")
                if star:
                    ax.add_patch(plt.Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False,
                                               edgecolor="#E69F00", linewidth=3))
        ax.set_title(human(strategy) + ("  (robust)" if strategy == robust["strategy"] else ""),
                     loc="left", fontsize=15, fontweight="bold" if strategy == robust["strategy"] else "normal")
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.grid(False)
    for ax in axes[len(strategies):]:
        ax.set_visible(False)
    fig.supxlabel(f"{human(x)} ({REGISTRY[x].unit})" if x in REGISTRY else x, y=0.11, fontsize=15)
    fig.supylabel(f"{human(y)} ({REGISTRY[y].unit})" if y in REGISTRY else y, x=0.01, fontsize=15)
    cax = fig.add_axes([0.88, 0.25, 0.015, 0.55])
    bar = fig.colorbar(image, cax=cax)
    bar.set_label(what, fontsize=13)
    if metric == "china_share":
        bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:.0%}"))
    elif metric != "payoff":
        bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: fmt_value(v, column)))
    return save(fig, path)
