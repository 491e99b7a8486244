"""One scenario, its replications, one results folder: what `hedgesim run` does."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.analysis.charts import standard_charts
from model.analysis.summary import key_figures
from model.experiments.history import guard
from model.experiments.store import RunWriter, base_manifest
from model.runner import run_scenario
from model.scenario import Scenario, calibrated_values, calibration_source, compile_inputs
from model.world import OUTPUTS


@dataclass
class RunReport:
    folder: Path
    frame: pd.DataFrame
    figures: pd.DataFrame
    wall_seconds: float
    history_note: str = ""  # 'counterfactual history: ...' for a scenario that declares it


def execute(scenario: Scenario, out_root: str | Path, progress: Callable[[int], None] | None = None,
            charts: bool = True) -> RunReport:
    """Run every replication, then write runs.parquet, manifest.json and the charts.

    A scenario that changes years before its ``policy_start`` without declaring
    ``counterfactual_history: true`` is refused before anything is written.
    """
    calibrated = calibrated_values()
    changed = guard(scenario, calibrated)
    note = scenario.history_note()
    writer = RunWriter(out_root, scenario.name)
    try:
        start = time.perf_counter()
        inputs = compile_inputs(scenario, calibrated)
        result = run_scenario(scenario, progress=progress, inputs=inputs)
        wall = time.perf_counter() - start
        df = result.frame()
        writer.table("runs.parquet", df)
        figures = key_figures(df, sorted({2014, scenario.horizon}))
        writer.table("key_figures.parquet", figures)
        manifest = base_manifest(
            "run",
            scenario=scenario.resolved(),
            calibration=calibrated,
            history={"counterfactual": scenario.counterfactual_history,
                     "policy_start": scenario.policy_start,
                     "changed_before_policy_start": [c.field for c in changed],
                     "note": note},
            calibration_source=calibration_source(),
            seeds=[{"replication": r, "seed": s} for r, s in zip(result.replications, result.seeds, strict=True)],
            years=[int(result.years[0]), int(result.years[-1])],
            outputs=list(OUTPUTS),
            wall_seconds=round(wall, 4),
            files=["runs.parquet", "key_figures.parquet", "manifest.json"],
        )
        if charts:
            cal = manifest["calibration_source"].get("fitted_utc") or "none"
            prov = (f"hedgesim {manifest['code_version']} | scenario {scenario.name} "
                    f"({Path(scenario.path).name}), {scenario.replications} replications, seed "
                    f"{scenario.seed} | calibration {cal} | results "
                    f"{writer.final.parent.name}/{writer.final.name} | median and 90% interval"
                    + (f" | {note}" if note else ""))
            paths = standard_charts(df, prov, scenario.policy_start, writer.tmp)
            manifest["files"] += [p.name for p in paths]
        writer.json("manifest.json", manifest)
        folder = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return RunReport(folder, df, figures, wall, note)
