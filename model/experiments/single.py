"""One scenario, its replications, one results folder: what `hedgesim run` does."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.ensemble import Calibration, load_calibration
from model.experiments.history import guard
from model.experiments.store import RUN_FILES, RunWriter, base_manifest
from model.experiments.summary import key_figures
from model.outputs import OUTPUTS
from model.runner import run_scenario
from model.scenario import Scenario, calibrated_values

ChartWriter = Callable[..., list[Path]]
"""Draws a run's charts into a folder: ``(frame, provenance, policy_start, folder, year=...,
target=...) -> paths``; the CLI and :func:`model.run` pass
:func:`model.analysis.charts.standard_charts` (experiments sit below analysis and import
none of it)."""


@dataclass
class RunReport:
    folder: Path
    frame: pd.DataFrame
    figures: pd.DataFrame
    wall_seconds: float
    note: str  # what the intervals hold (replications, posterior draws or not)
    history_note: str = ""  # 'counterfactual history: ...' for a scenario that declares it


def execute(scenario: Scenario, out_root: str | Path, progress: Callable[[int], None] | None = None,
            charts: ChartWriter | None = None, calibration: Calibration | None = None,
            year: int | None = None, target=None) -> RunReport:
    """Run every replication, then write runs.parquet, manifest.json and, when ``charts``
    draws them, the charts.

    Each replication draws its calibrated parameters from ``calibration``
    (default: the committed posterior ensemble; ``load_calibration("point")``
    for the single fitted set). A scenario that changes years before its
    ``policy_start`` without declaring ``counterfactual_history: true`` is
    refused before anything is written (judged against the point estimate's
    history). ``year`` is the year the key figures and chart titles report (default the
    horizon); ``target`` (an :class:`~model.analysis.results.Outcome`) is drawn on the charts.
    """
    changed = guard(scenario, calibrated_values())
    history_note = scenario.history_note()
    calibration = load_calibration() if calibration is None else calibration
    writer = RunWriter(out_root, scenario.name)
    try:
        start = time.perf_counter()
        result = run_scenario(scenario, progress=progress, calibration=calibration)
        wall = time.perf_counter() - start
        df = result.frame()
        writer.runs(df)
        figures = key_figures(df, sorted({2014, year or scenario.horizon}))
        writer.key_figures(figures)
        note = calibration.note(scenario.replications)
        manifest = base_manifest(
            "run",
            scenario=scenario.resolved(),
            calibration=calibration.describe(),
            interval_note=note,
            history={"counterfactual": scenario.counterfactual_history,
                     "policy_start": scenario.policy_start,
                     "changed_before_policy_start": [c.field for c in changed],
                     "note": history_note},
            seeds=[{"replication": r, "seed": s, "draw": d} for r, s, d in
                   zip(result.replications, result.seeds, result.draws, strict=True)],
            draw_rule="model.ensemble.draw_index(seed, replication): member by weight from "
                      "SeedSequence(seed, spawn_key=(DRAW_STREAM, replication)) (-1: point estimate)",
            years=[int(result.years[0]), int(result.years[-1])],
            outputs=list(OUTPUTS),
            wall_seconds=round(wall, 4),
            files=list(RUN_FILES),
        )
        if charts:
            info = manifest["calibration"]
            cal = f"{info['mode']} calibration {info.get('fitted_utc') or 'none'}"
            prov = (f"hedgesim {manifest['code_version']} | scenario {scenario.name} "
                    f"({Path(scenario.path).name}), seed {scenario.seed} | {cal} | results "
                    f"{writer.final.parent.name}/{writer.final.name} | median and {note}"
                    + (f" | {history_note}" if history_note else ""))
            paths = charts(df, prov, scenario.policy_start, writer.tmp, year=year,
                           target=target)
            manifest["files"] += [p.name for p in paths]
        writer.manifest(manifest)
        folder = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return RunReport(folder, df, figures, wall, note, history_note)
