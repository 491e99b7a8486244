"""Sweeps: every design point's replications, streamed to a resumable Parquet dataset.

A sweep folder ``OUT/<experiment>/<UTC time>/`` holds:

- ``design.parquet``: a row per design point (``point``, ``scenario``,
  ``strategy``, a float column per varied registry parameter);
- ``runs/part-NNNNNN.parquet``: a row per run and year (``point``,
  ``replication``, ``seed``, ``draw``, ``year`` and every model output), the
  same shape as a single run's ``runs.parquet`` plus ``point``;
- ``status/part-NNNNNN.parquet``: a row per attempted run (status ``ok`` or
  ``error``, the error, seconds, worker pid);
- ``summary.parquet``: median and 90% interval of the key figures per point
  for 2014, 2020 and the horizon;
- ``manifest.json``: the experiment, the design, seeds, versions, counts.

Parts are written under hidden temporary names and renamed into place; a
status part is written after its runs part and is what commits both, so a
killed sweep leaves at worst an orphan runs part, which ``resume`` deletes
before running only the runs that have no ``ok`` status. Each run's seed is
``run_seed(seed, point, replication)`` and its posterior draw depends on
``(seed, replication)`` alone (``model.ensemble``): every design point sees the
same parameter sets (common random numbers), and neither the executor, the
number of workers nor an interruption changes any result.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from model.analysis.summary import KEY_FIGURES, interval_cell, text_table
from model.ensemble import Calibration, load_calibration
from model.errors import HedgesimError
from model.experiments.design import Experiment, load_experiment
from model.experiments.executors import make_executor
from model.experiments.history import guard_experiment
from model.experiments.store import base_manifest, new_run_dir, now_utc
from model.runner import InputsCache, run_seed, simulate
from model.scenario import Scenario, calibrated_values
from model.world import OUTPUTS

log = logging.getLogger(__name__)
SUMMARY_YEARS = (2014, 2020)
PART = re.compile(r"^part-(\d{6})\.parquet$")
RUN_KEYS = ("point", "replication", "seed", "year")
STATUS_SCHEMA = pa.schema([("point", pa.int32()), ("replication", pa.int32()),
                           ("seed", pa.uint64()), ("draw", pa.int32()), ("status", pa.string()),
                           ("error", pa.string()), ("seconds", pa.float64()),
                           ("pid", pa.int64())])
RUNS_SCHEMA = pa.schema([("point", pa.int32()), ("replication", pa.int32()),
                         ("seed", pa.uint64()), ("draw", pa.int32()), ("year", pa.int32()),
                         *((name, pa.float64()) for name in OUTPUTS)])


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: finished runs are on disk; ``folder`` can be resumed."""

    def __init__(self, folder: Path, done: int, total: int) -> None:
        super().__init__(f"sweep interrupted after {done} of {total} runs")
        self.folder, self.done, self.total = folder, done, total


# ---------------------------------------------------------------- worker side
@dataclass(frozen=True)
class Unit:
    """Some replications of one design point, run in one worker."""

    point: int
    scenario: Scenario
    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    draws: tuple[int, ...]


@dataclass
class UnitResult:
    point: int
    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    draws: tuple[int, ...]
    years: np.ndarray
    values: np.ndarray  # (replications, years, outputs); NaN where a run failed
    errors: list[str | None]
    seconds: list[float]
    pid: int


def run_units(units: list[Unit], calibration: Calibration) -> list[UnitResult]:
    """A task: compile each point's inputs once per drawn member, run, catch failures.

    A run that raises (or whose inputs do not compile) is recorded with its
    error instead of ending the task.
    """
    out = []
    for u in units:
        years = u.scenario.years
        values = np.full((len(u.replications), len(years), len(OUTPUTS)), np.nan)
        errors: list[str | None] = [None] * len(u.replications)
        seconds = [0.0] * len(u.replications)
        compiled = InputsCache(u.scenario, calibration)
        for i, (seed, draw) in enumerate(zip(u.seeds, u.draws, strict=True)):
            start = time.perf_counter()
            try:
                values[i] = simulate(compiled[draw], seed)
            except Exception as exc:  # noqa: BLE001 - recorded per run
                errors[i] = _describe(exc)
            seconds[i] = time.perf_counter() - start
        out.append(UnitResult(u.point, u.replications, u.seeds, u.draws, years, values, errors,
                              seconds, os.getpid()))
    return out


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text[:500]


# ---------------------------------------------------------------- the store
class SweepStore:
    """The on-disk dataset of one sweep: committed parts, atomic writes, resume state."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.status_dir = self.folder / "status"

    def create(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.status_dir.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _parts(folder: Path) -> dict[int, Path]:
        if not folder.is_dir():
            return {}
        return {int(m.group(1)): folder / m.group(0)
                for m in (PART.match(p.name) for p in folder.iterdir()) if m}

    def committed(self) -> list[int]:
        """Sequence numbers whose status part exists (so their runs part is complete)."""
        return sorted(self._parts(self.status_dir))

    def run_files(self) -> list[Path]:
        runs = self._parts(self.runs_dir)
        return [runs[i] for i in self.committed() if i in runs]

    def status_files(self) -> list[Path]:
        status = self._parts(self.status_dir)
        return [status[i] for i in self.committed()]

    def clean(self) -> int:
        """Delete temporary files and runs parts no status part commits; returns how many."""
        removed = 0
        committed = set(self.committed())
        for d in (self.runs_dir, self.status_dir):
            for p in d.iterdir() if d.is_dir() else ():
                m = PART.match(p.name)
                if p.name.startswith(".") or (d is self.runs_dir and m
                                              and int(m.group(1)) not in committed):
                    p.unlink(missing_ok=True)
                    removed += 1
        return removed

    def next_sequence(self) -> int:
        seen = [*self._parts(self.runs_dir), *self._parts(self.status_dir)]
        return max(seen, default=-1) + 1

    @staticmethod
    def _write(table: pa.Table, target: Path) -> None:
        tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)

    def write_part(self, seq: int, runs: pa.Table | None, status: pa.Table) -> None:
        name = f"part-{seq:06d}.parquet"
        if runs is not None and runs.num_rows:
            self._write(runs, self.runs_dir / name)
        self._write(status, self.status_dir / name)

    def status(self) -> pd.DataFrame:
        """The latest attempt of every run (a retried run's newer row wins)."""
        files = self.status_files()
        if not files:
            return STATUS_SCHEMA.empty_table().to_pandas()
        df = pads.dataset(files, format="parquet", schema=STATUS_SCHEMA).to_table().to_pandas()
        return df.drop_duplicates(["point", "replication"], keep="last").reset_index(drop=True)


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_runs(folder: str | Path, columns: list[str] | None = None,
              years: list[int] | None = None) -> pd.DataFrame:
    """The committed runs of a sweep, sorted by point, replication and year."""
    store = SweepStore(Path(folder))
    files = store.run_files()
    cols = None if columns is None else list(dict.fromkeys([*RUN_KEYS[:2], "year", *columns]))
    if not files:
        table = RUNS_SCHEMA.empty_table()
        return table.to_pandas() if cols is None else table.select(cols).to_pandas()
    ds = pads.dataset(files, format="parquet", schema=RUNS_SCHEMA)
    flt = None if years is None else pads.field("year").isin([int(y) for y in years])
    df = ds.to_table(columns=cols, filter=flt).to_pandas()
    return df.sort_values(["point", "replication", "year"], kind="stable").reset_index(drop=True)


def read_status(folder: str | Path) -> pd.DataFrame:
    return SweepStore(Path(folder)).status().sort_values(
        ["point", "replication"]).reset_index(drop=True)


# ---------------------------------------------------------------- results in memory
class Buffer:
    """Finished runs not yet on disk; flushed by size or age so memory stays flat."""

    def __init__(self) -> None:
        self.results: list[UnitResult] = []
        self.runs = 0

    def add(self, results: list[UnitResult]) -> None:
        self.results.extend(results)
        self.runs += sum(len(r.replications) for r in results)

    def tables(self) -> tuple[pa.Table | None, pa.Table, int, int]:
        run_cols: list[list[np.ndarray]] = [[] for _ in RUNS_SCHEMA]
        st: dict[str, list] = {f.name: [] for f in STATUS_SCHEMA}
        ok = failed = 0
        for r in self.results:
            good = np.array([e is None for e in r.errors])
            ny = len(r.years)
            for rep, seed, draw, err, sec in zip(r.replications, r.seeds, r.draws, r.errors,
                                                 r.seconds, strict=True):
                st["point"].append(r.point)
                st["replication"].append(rep)
                st["seed"].append(seed)
                st["draw"].append(draw)
                st["status"].append("ok" if err is None else "error")
                st["error"].append(err)
                st["seconds"].append(sec)
                st["pid"].append(r.pid)
            n = int(good.sum())
            ok += n
            failed += len(good) - n
            if not n:
                continue
            reps = np.asarray(r.replications, dtype=np.int32)[good]
            seeds = np.asarray(r.seeds, dtype=np.uint64)[good]
            draws = np.asarray(r.draws, dtype=np.int32)[good]
            run_cols[0].append(np.full(n * ny, r.point, dtype=np.int32))
            run_cols[1].append(np.repeat(reps, ny))
            run_cols[2].append(np.repeat(seeds, ny))
            run_cols[3].append(np.repeat(draws, ny))
            run_cols[4].append(np.tile(r.years.astype(np.int32), n))
            flat = r.values[good].reshape(n * ny, len(OUTPUTS))
            for k in range(len(OUTPUTS)):
                run_cols[5 + k].append(flat[:, k])
        runs = None
        if ok:
            runs = pa.Table.from_arrays([pa.array(np.concatenate(c)) for c in run_cols],
                                        schema=RUNS_SCHEMA)
        status = pa.Table.from_pydict(st, schema=STATUS_SCHEMA)
        self.results, self.runs = [], 0
        return runs, status, ok, failed


# ---------------------------------------------------------------- the sweep
@dataclass
class SweepReport:
    folder: Path
    total: int
    ok: int
    failed: int
    missing: int
    wall_seconds: float
    design: pd.DataFrame
    summary: pd.DataFrame | None
    manifest: dict

    @property
    def complete(self) -> bool:
        return self.ok == self.total


def _tasks(experiment: Experiment, done: set[tuple[int, int]], chunk: int,
           calibration: Calibration) -> Iterator[list[Unit]]:
    """Lazily group the runs still to do into tasks of about ``chunk`` runs.

    A replication's draw depends on the experiment seed and its index, not on
    the point: the same parameter sets at every design point.
    """
    task: list[Unit] = []
    size = 0
    for dp in experiment.points:
        reps = [r for r in range(experiment.replications) if (dp.point, r) not in done]
        if not reps:
            continue
        scenario = experiment.scenario_for(dp)
        while reps:
            take, reps = reps[:chunk - size], reps[chunk - size:]
            task.append(Unit(dp.point, scenario, tuple(take),
                             tuple(run_seed(experiment.seed, dp.point, r) for r in take),
                             tuple(calibration.draws(experiment.seed, take))))
            size += len(take)
            if size >= chunk:
                yield task
                task, size = [], 0
    if task:
        yield task


def _check_resume(folder: Path, experiment: Experiment, design: pd.DataFrame,
                  calibration: Calibration) -> dict:
    mpath = folder / "manifest.json"
    if not mpath.is_file() or not (folder / "design.parquet").is_file():
        raise HedgesimError(str(folder), "--resume", "expected a sweep folder (with "
                            "manifest.json and design.parquet) to resume; pass it as --out")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise HedgesimError(str(mpath), None, "expected valid JSON") from None
    if manifest.get("kind") != "sweep":
        raise HedgesimError(str(folder), "manifest.json", "expected a sweep's manifest, "
                            f"found kind {manifest.get('kind')!r}")
    stored = pd.read_parquet(folder / "design.parquet")
    same = (manifest.get("seed") == experiment.seed
            and manifest.get("replications") == experiment.replications
            and stored.shape == design.shape and list(stored.columns) == list(design.columns)
            and stored.equals(design))
    if not same:
        raise HedgesimError(str(folder), "design.parquet", "expected the experiment that started "
                            "this sweep (same design, replications and seed)")
    before, now = manifest.get("calibration") or {}, calibration.describe()
    if (before.get("mode", "point"), before.get("sha256")) != (now["mode"], now.get("sha256")):
        raise HedgesimError(str(folder), "manifest.json", "expected the calibration that started "
                            f"this sweep ({before.get('mode', 'point')} {before.get('file')}, "
                            f"sha256 {str(before.get('sha256'))[:12]}); "
                            "resume with the same --point-estimate setting and ensemble file")
    return manifest


def run_sweep(experiment: Experiment | str | Path, out: str | Path, executor: str = "local",
              workers: int | None = None, resume: bool = False,
              progress: Callable[[int, int], Any] | None = None,
              scheduler: str | None = None, flush_runs: int = 256,
              flush_seconds: float = 1.0, calibration: Calibration | None = None) -> SweepReport:
    """Run (or finish) a sweep and write its folder.

    ``out`` is the results root (a new ``<name>/<UTC time>/`` folder is made) or,
    with ``resume=True``, an existing sweep folder. ``calibration`` defaults to
    the committed posterior ensemble. ``progress(total, initial)``
    returns a bar with ``update(n)`` and ``close()`` (tqdm fits). Ctrl-C raises
    :class:`SweepInterrupted` after everything finished is on disk.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    calibrated = calibrated_values()
    guard_experiment(experiment, calibrated)  # before any folder is made
    design = experiment.design_frame()
    calibration = load_calibration() if calibration is None else calibration
    start_wall = time.perf_counter()
    started = now_utc()
    if resume:
        folder = Path(out)
        previous = _check_resume(folder, experiment, design, calibration)
        store = SweepStore(folder)
        store.create()
        removed = store.clean()
        if removed:
            log.info("removed %d uncommitted part files", removed)
    else:
        root = Path(out)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HedgesimError(str(root), "--out", f"expected a writable folder "
                                f"({exc.strerror})") from None
        folder = new_run_dir(root, experiment.name)
        previous = None
        store = SweepStore(folder)
        store.create()
        design.to_parquet(folder / ".design.parquet.tmp", index=False)
        os.replace(folder / ".design.parquet.tmp", folder / "design.parquet")

    status = store.status()
    done = {(int(p), int(r)) for p, r, s in
            zip(status["point"], status["replication"], status["status"], strict=True) if s == "ok"}
    total = experiment.total_runs
    ok_before = len(done)
    failed_before = int((status["status"] == "error").sum())
    sessions = [s if s.get("state") != "running" else {**s, "state": "killed"}
                for s in (previous or {}).get("sessions", [])]

    def manifest(state: str, ok: int, failed: int, info, wall: float) -> dict:
        session = {"started_utc": started, "executor": info.kind if info else executor,
                   "workers": info.workers if info else workers,
                   "scheduler": info.address if info and info.kind == "dask" else None,
                   "wall_seconds": round(wall, 3), "state": state}
        return base_manifest(
            "sweep",
            name=experiment.name,
            description=experiment.description,
            experiment_file=experiment.path,
            experiment=experiment.spec,
            scenarios=[s.resolved() for s in experiment.scenarios],
            calibration=calibration.describe(),
            interval_note=calibration.note(experiment.replications),
            history={"counterfactual": bool(experiment.history_note()),
                     "note": experiment.history_note()},
            design={"points": experiment.size, "method": experiment.method,
                    "parameters": list(experiment.parameters),
                    "columns": list(design.columns)},
            replications=experiment.replications,
            seed=experiment.seed,
            seed_rule="model.runner.run_seed(seed, point, replication): "
                      "SeedSequence([seed, point, replication])",
            draw_rule="model.ensemble.draw_index(seed, replication): member by weight from "
                      "SeedSequence(seed, spawn_key=(DRAW_STREAM, replication)); the same at "
                      "every point (-1: point estimate)",
            outputs=list(OUTPUTS),
            runs={"total": total, "ok": ok, "failed": failed, "missing": total - ok - failed},
            state=state,
            executor=session["executor"],
            workers=session["workers"],
            wall_seconds=round(sum(s["wall_seconds"] for s in sessions) + wall, 3),
            sessions=[*sessions, session],
            first_started_utc=(previous or {}).get("first_started_utc", started),
            files=["design.parquet", "runs/", "status/", "summary.parquet", "manifest.json"],
        )

    ok, failed, lost = ok_before, 0, 0
    # runs that failed before and are retried now are counted again when they finish
    failed_pending = failed_before
    failed_keys = {(int(p), int(r)) for p, r, s in
                   zip(status["point"], status["replication"], status["status"], strict=True) if s == "error"}
    del status
    seq = store.next_sequence()
    buffer = Buffer()
    last_flush = time.monotonic()
    bar = progress(total, len(done)) if progress is not None else None
    info = None
    state = "running"

    def flush() -> None:
        nonlocal seq, ok, failed, last_flush, failed_pending
        if not buffer.results:
            return
        retried = sum(1 for r in buffer.results for rep in r.replications
                      if (r.point, rep) in failed_keys)
        runs_table, status_table, n_ok, n_failed = buffer.tables()
        store.write_part(seq, runs_table, status_table)
        seq += 1
        ok += n_ok
        failed += n_failed
        failed_pending -= retried
        last_flush = time.monotonic()

    try:
        with make_executor(executor, workers, scheduler) as (ex, info):
            write_json_atomic(folder / "manifest.json",
                              manifest("running", ok_before, failed_before, info, 0.0))
            remaining = total - len(done)
            chunk = max(1, min(16, remaining // max(1, info.workers * 8)))
            window = max(2, info.workers * 3)
            tasks = _tasks(experiment, done, chunk, calibration)
            pending: dict[Future, int] = {}
            exhausted = broken = False
            try:
                while True:
                    while not exhausted and not broken and len(pending) < window:
                        task = next(tasks, None)
                        if task is None:
                            exhausted = True
                            break
                        try:
                            fut = ex.submit(run_units, task, calibration)
                        except (BrokenProcessPool, RuntimeError) as exc:
                            log.warning("executor stopped accepting work: %s", exc)
                            broken = True
                            break
                        pending[fut] = sum(len(u.replications) for u in task)
                    if not pending:
                        break
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    for fut in finished:
                        n = pending.pop(fut)
                        try:
                            buffer.add(fut.result())
                        except Exception as exc:  # noqa: BLE001 - a lost worker, not a run
                            log.warning("a task of %d runs was lost (%s); --resume reruns it",
                                        n, _describe(exc))
                            lost += n
                            if isinstance(exc, BrokenProcessPool):
                                broken = True
                        if bar is not None:
                            bar.update(n)
                    if (buffer.runs >= flush_runs
                            or time.monotonic() - last_flush >= flush_seconds):
                        flush()
            except KeyboardInterrupt:
                state = "interrupted"
                for fut in pending:
                    fut.cancel()
                for fut in [f for f in pending if f.done() and not f.cancelled()]:
                    try:
                        buffer.add(fut.result())
                    except Exception:  # noqa: BLE001, S110 - rerun on resume
                        pass
                raise
            finally:
                flush()
    except KeyboardInterrupt:
        state = "interrupted"
        wall = time.perf_counter() - start_wall
        write_json_atomic(folder / "manifest.json",
                          manifest(state, ok, failed_pending + failed, info, wall))
        if bar is not None:
            bar.close()
        raise SweepInterrupted(folder, ok, total) from None
    finally:
        if bar is not None and state != "interrupted":
            bar.close()

    failed_total = failed_pending + failed
    state = "complete" if ok == total else "incomplete"
    summary = summarise(folder, experiment)
    tmp = folder / ".summary.parquet.tmp"
    summary.to_parquet(tmp, index=False)
    os.replace(tmp, folder / "summary.parquet")
    wall = time.perf_counter() - start_wall
    m = manifest(state, ok, failed_total, info, wall)
    write_json_atomic(folder / "manifest.json", m)
    return SweepReport(folder, total, ok, failed_total, total - ok - failed_total, wall, design,
                       summary, m)


# ---------------------------------------------------------------- summary
def summarise(folder: str | Path, experiment: Experiment) -> pd.DataFrame:
    """Median, 5th and 95th percentiles of the key figures per point and year.

    Reads only the key columns of 2014, 2020 and each horizon, so it stays
    small however many runs the sweep has.
    """
    horizons = {experiment.horizon(p.point) for p in experiment.points}
    years = sorted({*SUMMARY_YEARS, *horizons})
    cols = [c for c, _, _ in KEY_FIGURES]
    df = read_runs(folder, columns=cols, years=years)
    horizon_of = np.array([experiment.horizon(p.point) for p in experiment.points])
    if not df.empty:
        keep = np.isin(df["year"], SUMMARY_YEARS) | (df["year"].to_numpy()
                                                     == horizon_of[df["point"].to_numpy()])
        df = df[keep]
    rows = []
    for (point, year), grp in df.groupby(["point", "year"], sort=True):
        for col, label, unit in KEY_FIGURES:
            v = grp[col].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if not v.size:
                continue
            p5, med, p95 = np.percentile(v, [5, 50, 95])
            rows.append({"point": int(point), "year": int(year), "column": col, "figure": label,
                         "unit": unit, "median": med, "p05": p5, "p95": p95,
                         "replications": int(v.size)})
    columns = ["point", "year", "column", "figure", "unit", "median", "p05", "p95",
               "replications"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"point": "int32", "year": "int32", "replications": "int32"})


TABLE_FIGURES = ("trade_russia_usd", "china_share", "support_russia_usd", "dependence_hhi")


def format_summary(summary: pd.DataFrame, design: pd.DataFrame, year: int | None = None,
                   note: str | None = None) -> str:
    """Plain text: a row per design point, its settings, key figures in ``year``.

    ``year`` defaults to the latest year summarised (the horizon); ``note``
    (what the intervals hold, e.g. the manifest's ``interval_note``) is the footer.
    """
    if summary.empty:
        return "(no finished runs)"
    year = int(summary["year"].max()) if year is None else year
    sub = summary[(summary["year"] == year) & summary["column"].isin(TABLE_FIGURES)]
    factors = [c for c in design.columns if c != "point"
               and (c not in ("scenario", "strategy") or design[c].nunique() > 1)]
    labels = {c: lab for c, lab, _ in KEY_FIGURES}
    head = ["point", *factors, *(f"{labels[c]} {year}" for c in TABLE_FIGURES)]
    lines = []
    for _, d in design.iterrows():
        cells = [str(d["point"])]
        cells += [f"{d[c]:.4g}" if isinstance(d[c], float) else str(d[c]) for c in factors]
        cells += [interval_cell(sub[(sub["point"] == d["point"]) & (sub["column"] == col)])
                  for col in TABLE_FIGURES]
        lines.append(cells)
    table = text_table(head, lines)
    return table + (f"\n{note}" if note else "")


def missing_runs(folder: str | Path, experiment: Experiment) -> pd.DataFrame:
    """Runs without an ``ok`` status: point, replication and the last error (if any)."""
    status = read_status(folder)
    ok = {(int(p), int(r)) for p, r, s in
          zip(status["point"], status["replication"], status["status"], strict=True) if s == "ok"}
    errors = {(int(p), int(r)): e for p, r, s, e in
              zip(status["point"], status["replication"], status["status"], status["error"], strict=True)
              if s != "ok"}
    rows = [{"point": p.point, "replication": r, "error": errors.get((p.point, r))}
            for p in experiment.points for r in range(experiment.replications)
            if (p.point, r) not in ok]
    return pd.DataFrame(rows, columns=["point", "replication", "error"])


__all__ = ["run_sweep", "read_runs", "read_status", "summarise", "format_summary",
           "missing_runs", "SweepInterrupted", "SweepReport"]
