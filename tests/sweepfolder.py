"""Build small results folders by actually running the model, for analysis tests.

Follows the sweep folder contract (design.parquet, runs/ and status/ Parquet
datasets, manifest.json with kind sweep) that the sweep command writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from model.experiments.store import base_manifest
from model.runner import run_scenario
from model.scenario import load


def write_sweep(folder: Path, design: pd.DataFrame, method: str, replications: int = 2,
                horizon: int = 2025, failed: tuple[tuple[int, int], ...] = ()) -> Path:
    """Run every design point; ``failed`` (point, replication) pairs are recorded as errors."""
    folder = Path(folder)
    (folder / "runs").mkdir(parents=True)
    (folder / "status").mkdir()
    base = load("baseline")
    params = [c for c in design.columns if "." in c]
    frames, status = [], []
    for rec in design.to_dict("records"):
        sc = base.with_values(replications=replications, horizon=horizon,
                              values={p: float(rec[p]) for p in params},
                              strategy={2015: rec["strategy"]})
        df = run_scenario(sc).frame().drop(columns=["scenario"])
        df.insert(0, "point", int(rec["point"]))
        for rep, seed in df[["replication", "seed"]].drop_duplicates().itertuples(index=False):
            bad = (int(rec["point"]), int(rep)) in failed
            status.append({"point": int(rec["point"]), "replication": int(rep), "seed": seed,
                           "status": "error" if bad else "ok",
                           "error": "ValueError: injected failure" if bad else ""})
            if bad:
                df = df[df["replication"] != rep]
        frames.append(df)
    pd.concat(frames).to_parquet(folder / "runs" / "part-0.parquet", index=False)
    pd.DataFrame(status).to_parquet(folder / "status" / "part-0.parquet", index=False)
    design.to_parquet(folder / "design.parquet", index=False)
    manifest = base_manifest("sweep", design={"method": method, "parameters": params},
                             scenario=base.with_values(horizon=horizon).resolved())
    (folder / "manifest.json").write_text(json.dumps(manifest, default=str), encoding="utf-8")
    return folder


def grid_design(strategies, subsidies, sanctions) -> pd.DataFrame:
    rows = [{"scenario": "baseline", "strategy": s, "russia.trade_subsidy_rate": float(a),
             "sanctions.enforcement_china": float(b)}
            for s in strategies for a in subsidies for b in sanctions]
    df = pd.DataFrame(rows)
    df.insert(0, "point", range(len(df)))
    return df
