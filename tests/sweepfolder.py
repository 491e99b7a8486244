"""Build small results folders by actually running the model, for analysis tests.

Follows the sweep folder contract (design.parquet, runs/ and status/ Parquet
datasets committed by commits/ records, manifest.json with kind sweep) that the
sweep command writes, through the same store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from model.experiments.store import (
    RUNS_SCHEMA,
    STATUS_SCHEMA,
    STORE_FORMAT,
    SweepStore,
    base_manifest,
)
from model.runner import run_scenario
from model.scenario import load


def write_sweep(folder: Path, design: pd.DataFrame, method: str, replications: int = 2,
                horizon: int = 2025, failed: tuple[tuple[int, int], ...] = (),
                retried: tuple[tuple[int, int], ...] = ()) -> Path:
    """Run every design point; ``failed`` (point, replication) pairs are recorded as errors.

    ``retried`` pairs are recorded as an error in a first part and as ok in a
    later one, as a resumed sweep records a run that failed and then succeeded.
    """
    folder = Path(folder)
    folder.mkdir(parents=True)
    store = SweepStore(folder)
    store.create()
    base = load("baseline")
    params = [c for c in design.columns if "." in c]
    frames, status, first = [], [], []
    for rec in design.to_dict("records"):
        sc = base.with_values(replications=replications, horizon=horizon,
                              values={p: float(rec[p]) for p in params},
                              strategy={2015: rec["strategy"]})
        df = run_scenario(sc).frame().drop(columns=["scenario"])
        df.insert(0, "point", int(rec["point"]))
        for rep, seed, draw in df[["replication", "seed", "draw"]].drop_duplicates().itertuples(
                index=False):
            key = (int(rec["point"]), int(rep))
            bad = key in failed
            row = {"point": key[0], "replication": key[1], "seed": seed, "draw": draw,
                   "status": "error" if bad else "ok",
                   "error": "ValueError: injected failure" if bad else "", "seconds": 0.0,
                   "pid": 0}
            status.append(row)
            if key in retried:
                first.append({**row, "status": "error", "error": "ValueError: injected failure"})
            if bad:
                df = df[df["replication"] != rep]
        frames.append(df)
    runs = pd.concat(frames)[RUNS_SCHEMA.names]
    if first:
        store.write_part(0, None, pa.Table.from_pylist(first, schema=STATUS_SCHEMA))
    store.write_part(store.next_sequence(), pa.Table.from_pandas(runs, RUNS_SCHEMA,
                                                                 preserve_index=False),
                     pa.Table.from_pylist(status, schema=STATUS_SCHEMA))
    design.to_parquet(folder / "design.parquet", index=False)
    manifest = base_manifest("sweep", design={"method": method, "parameters": params},
                             scenario=base.with_values(horizon=horizon).resolved(),
                             store={"format": STORE_FORMAT})
    (folder / "manifest.json").write_text(json.dumps(manifest, default=str), encoding="utf-8")
    return folder


def grid_design(strategies, subsidies, sanctions) -> pd.DataFrame:
    rows = [{"scenario": "baseline", "strategy": s, "russia.trade_subsidy_rate": float(a),
             "sanctions.enforcement_china": float(b)}
            for s in strategies for a in subsidies for b in sanctions]
    df = pd.DataFrame(rows)
    df.insert(0, "point", range(len(df)))
    return df
