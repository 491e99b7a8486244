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

Each task's runs are one part, written under hidden temporary names and renamed
into place: its runs part, its status part, then the commit record
(``commits/part-NNNNNN.json``) that makes both count, so a killed sweep leaves
at worst an uncommitted part, which ``resume`` deletes before running only the
runs that have no ``ok`` status. Each run's seed is
``run_seed(seed, point, replication)`` and its posterior draw depends on
``(seed, replication)`` alone (``model.ensemble``): every design point sees the
same parameter sets (common random numbers), and neither the executor, the
number of workers nor an interruption changes any result.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from model.common import OnFirstUse
from model.ensemble import Calibration, load_calibration
from model.errors import HedgesimError, show
from model.experiments.design import Experiment, load_experiment
from model.experiments.executors import make_executor, prestart
from model.experiments.history import guard_experiment
from model.experiments.store import (
    RUNS_SCHEMA,
    STATUS_SCHEMA,
    SUMMARY_SCHEMA,
    SWEEP_FILES,
    EncodedRuns,
    SweepStore,
    arrow_table,
    base_manifest,
    code_stamp,
    new_run_dir,
    now_utc,
    read_manifest,
    read_runs,  # noqa: F401 - the store's reader, importable from here as before
    read_status,
    read_summary,
    string_array,
    write_json_atomic,
    writing,
)
from model.experiments.summary import interval_cell, text_table
from model.outputs import KEY_FIGURES, OUTPUTS
from model.params import REGISTRY
from model.scenario import Inputs, Scenario, calibrated_values
from model.seeds import run_seed

pd = OnFirstUse("pandas")  # not imported by a sweep's workers, which never use it

log = logging.getLogger(__name__)
SUMMARY_YEARS = (2014, 2020)
TASK_RUNS = 256
"""Most runs a worker gets per task, and most baseline runs' worth (:func:`run_cost`; results
in flight: about workers x 3 tasks); a task's runs go through the model in batches
(model.runner.BATCH_RUNS), so larger tasks run faster. A task's runs are one part of the
store (a row group of 12,288 rows at 48 years)."""
TASKS_PER_WORKER = 2
"""Fewest tasks each worker gets (while tasks are under TASK_RUNS): the end of a sweep waits
for at most about 1/TASKS_PER_WORKER of one worker's share. With four, a 1,000-run sweep on 2
workers ran in tasks of 125, half a batch, where a run takes 15% longer than in one of 256:
in tasks of 250 it took 0.61 s instead of 0.69 (medians of 6 paired runs; parallel efficiency
85% against 76%; 83% against 77% in another 8, and 81-83% against 76-82% in a first, noisier
trial). Only sweeps of under 256 x workers x 2 baseline runs' worth are affected. Tasks are
counted in what their runs cost (:func:`run_cost`), so runs that differ in cost still give
each worker an even share."""
MIN_TASK_RUNS = 64
"""Fewest baseline runs' worth a task gets however many workers there are (a task is a part of
the store: 64 Dask workers would otherwise cut 10,000 runs into 257 parts of 39 runs, each a
few milliseconds of the driver's disk flushes and of every later read)."""
RUN_KEYS = ("point", "replication", "seed", "year")
BASELINE_FIRMS, BASELINE_YEARS = int(REGISTRY["firms.count"].default), 48
"""The run :func:`run_cost` counts in: the registry's firm count (300) over 1988-2035."""
FIXED_FIRMS = 300
"""What a run costs beside its firms, in firms: fitted to runs in batches
(benchmarks/run_speed.py: 0.60 ms at 300 firms, 1.7 at 1,000, 14.2 at 10,000, that is 1.4 us a
firm and 0.28 ms besides), plus the 0.14 ms a sweep's worker spends compiling a run's inputs
and encoding its outputs."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: finished runs are on disk; ``folder`` can be resumed."""

    def __init__(self, folder: Path, done: int, total: int) -> None:
        super().__init__(f"sweep interrupted after {done} of {total} runs")
        self.folder, self.done, self.total = folder, done, total


# ---------------------------------------------------------------- worker side
# The model (model.runner: Mesa, SciPy, NetworkX) is imported by the workers, on their first
# run, and by the local executor's fork server, never by the driver: that is half a second of
# a small sweep's start-up, on the same cores as the workers' own imports.
def simulate(inputs, seed: int) -> np.ndarray:
    """:func:`model.runner.simulate`, imported on first use."""
    from model.runner import simulate as run

    return run(inputs, seed)


def simulate_batch(members, seeds, *args, **kwargs) -> np.ndarray:
    """:func:`model.runner.simulate_batch`, imported on first use."""
    from model.runner import simulate_batch as run

    return run(members, seeds, *args, **kwargs)


@dataclass(frozen=True)
class Unit:
    """Some replications of one design point, run in one worker."""

    point: int
    scenario: Scenario
    replications: tuple[int, ...]
    base_seed: int  # the experiment's: a run's seed is run_seed(base_seed, point, replication)
    draws: tuple[int, ...]

    def seeds(self) -> tuple[int, ...]:
        """The replications' seeds, worked out where the unit runs (10 us each, which the
        driver, that every worker waits on, need not spend)."""
        return tuple(run_seed(self.base_seed, self.point, r) for r in self.replications)


@dataclass
class UnitResult:
    point: int
    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    draws: tuple[int, ...]
    years: np.ndarray
    values: np.ndarray | None  # (replications, years, outputs); NaN where a run failed
    errors: list[str | None]
    seconds: list[float]
    pid: int
    # The summary's key figures of the runs that succeeded, in the summary's years:
    # (ok runs, figure_years, KEY_FIGURES). Set by encode_task, which drops ``values``.
    figure_years: tuple[int, ...] = ()
    figures: np.ndarray | None = None


@dataclass
class TaskResult:
    """A task's runs as the worker hands them back, ready to commit: the runs that succeeded
    encoded as a runs part (None if every run failed), every run's status row, and each
    unit's key figures for the summary (the units' outputs themselves are not sent)."""

    units: list[UnitResult]
    runs: EncodedRuns | None
    status: pa.Table
    ok: int
    failed: int


def run_task(units: list[Unit], calibration: Calibration) -> TaskResult:
    """What a sweep's worker runs: :func:`run_units`, then its results encoded where they were
    made (:func:`encode_task`), so the driver, which all workers wait on, only writes them."""
    return encode_task(run_units(units, calibration))


_FIGURE_COLUMNS = [OUTPUTS.index(c) for c, _, _ in KEY_FIGURES]
_FIGURE_WORDS = {c: (label, unit) for c, label, unit in KEY_FIGURES}  # column -> label, unit


def encode_task(results: list[UnitResult]) -> TaskResult:
    """A task's results as a :class:`TaskResult`: the runs table (ok runs only, unit by unit
    in task order, a row per year) encoded as Parquet, the status table, the key figures."""
    run_cols: list[list[np.ndarray]] = [[] for _ in range(5)]  # point ... year
    values: list[np.ndarray] = []
    st: dict[str, list] = {f.name: [] for f in STATUS_SCHEMA}
    ok = failed = 0
    units = []
    for r in results:
        good = np.array([e is None for e in r.errors], dtype=bool)
        ny = len(r.years)
        st["point"] += [r.point] * len(good)
        st["replication"] += r.replications
        st["seed"] += r.seeds
        st["draw"] += r.draws
        st["status"] += ["ok" if err is None else "error" for err in r.errors]
        st["error"] += r.errors
        st["seconds"] += r.seconds
        st["pid"] += [r.pid] * len(good)
        n = int(good.sum())
        ok += n
        failed += len(good) - n
        kept = r.values if n == len(good) else r.values[good]
        wanted = sorted({*SUMMARY_YEARS, int(r.years[-1])} & set(r.years.tolist()))
        rows = np.searchsorted(r.years, wanted)
        units.append(dataclasses.replace(r, values=None, figure_years=tuple(wanted),
                                         figures=kept[:, rows][:, :, _FIGURE_COLUMNS]))
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
        values.append(kept.reshape(n * ny, len(OUTPUTS)))
    runs = None
    if ok:
        # The outputs as columns: each result's (rows, outputs) block is transposed into its
        # place (no concatenated copy first).
        columns = np.empty((len(OUTPUTS), sum(len(v) for v in values)))
        start = 0
        for block in values:
            columns[:, start:start + len(block)] = block.T
            start += len(block)
        table = {name: np.concatenate(c)
                 for name, c in zip(RUNS_SCHEMA.names[:len(run_cols)], run_cols, strict=True)}
        table.update(zip(OUTPUTS, columns, strict=True))
        runs = EncodedRuns.of(arrow_table(table, RUNS_SCHEMA))
    return TaskResult(units, runs, arrow_table(st, STATUS_SCHEMA), ok, failed)


def run_units(units: list[Unit], calibration: Calibration) -> list[UnitResult]:
    """A task: compile each point's inputs once per drawn member, run, catch failures.

    A member's inputs at a point are compiled from the same member at the task's previous
    point (:class:`model.runner.InputsCache`), recompiling only the values the points vary.

    The task's runs go through the model in batches (:func:`model.runner.simulate_batch`:
    the same numbers as run by run). A run whose inputs do not compile is recorded with
    its error; if a batch raises, its runs are rerun one by one so that only the runs
    that fail are recorded as failed. A run's seconds are its share of its batch's time.
    """
    from model.runner import InputsCache, batches

    values = [np.full((len(u.replications), len(u.scenario.years), len(OUTPUTS)), np.nan)
              for u in units]
    errors: list[list[str | None]] = [[None] * len(u.replications) for u in units]
    seconds = [[0.0] * len(u.replications) for u in units]
    runs: list[tuple[int, int, Inputs, int]] = []  # (unit, replication, inputs, seed)
    seeds = [u.seeds() for u in units]
    compiled = InputsCache(None, calibration)  # the task's points share members' inputs
    for k, u in enumerate(units):
        for i, (seed, draw) in enumerate(zip(seeds[k], u.draws, strict=True)):
            start = time.perf_counter()
            try:
                runs.append((k, i, compiled.get(u.scenario, draw), seed))
            except Exception as exc:  # noqa: BLE001 - recorded per run
                errors[k][i] = _describe(exc)
            seconds[k][i] = time.perf_counter() - start
    members = [inputs for _, _, inputs, _ in runs]
    for idx in batches(members):  # runs of the same years and firm count
        start = time.perf_counter()
        try:
            out = simulate_batch([members[j] for j in idx], [runs[j][3] for j in idx])
        except Exception:  # noqa: BLE001 - find which runs fail, one by one
            out = None
        each = (time.perf_counter() - start) / len(idx)
        for n, j in enumerate(idx):
            k, i, inputs, seed = runs[j]
            if out is not None:
                values[k][i] = out[n]
                seconds[k][i] += each
                continue
            start = time.perf_counter()
            try:
                values[k][i] = simulate(inputs, seed)
            except Exception as exc:  # noqa: BLE001 - recorded per run
                errors[k][i] = _describe(exc)
            seconds[k][i] += time.perf_counter() - start
    pid = os.getpid()
    return [UnitResult(u.point, u.replications, seeds[k], u.draws, u.scenario.years, values[k],
                       errors[k], seconds[k], pid) for k, u in enumerate(units)]


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text[:500]


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
    manifest: dict

    @property
    def complete(self) -> bool:
        return self.ok == self.total

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """The folder's ``summary.parquet``, read when first asked for: a sweep writes it a
        block of points at a time and does not keep it (21 MB at 10,000 points)."""
        return read_summary(self.folder)


def _tasks(experiment: Experiment, done: set[tuple[int, int]], chunk: float,
           calibration: Calibration, costs: dict[int, float] | None = None,
           most_runs: int | None = None) -> Iterator[list[Unit]]:
    """Lazily group the runs still to do into tasks of about ``chunk``: runs, or with
    ``costs`` (each point's cost of a run, :func:`point_costs`) baseline runs' worth, and then
    at most ``most_runs`` runs.

    A replication's draw depends on the experiment seed and its index, not on
    the point: the same parameter sets at every design point.
    """
    task: list[Unit] = []
    runs = 0  # in this task
    total = 0.0  # the runs handed out so far, this task's included (or their cost)
    end = chunk  # where this task ends: tasks end every ``chunk`` of the running total
    most = most_runs or (1 << 62)
    # Replication r draws the same member at every point: the draws are made once (a draw
    # costs a random stream of its own, about 50 us).
    drawn = calibration.draws(experiment.seed, list(range(experiment.replications)))
    for dp in experiment.points:
        reps = [r for r in range(experiment.replications) if (dp.point, r) not in done]
        if not reps:
            continue
        scenario = experiment.scenario_for(dp)
        cost = 1.0 if costs is None else max(costs[dp.point], 1e-9)
        while reps:
            # the runs that bring the running total nearest the task's end: a task of costly
            # runs ends a run early rather than a run late, and the tasks stay even
            room = round((end - total) / cost)
            if room < 1 and task:
                yield task
                task, runs, end = [], 0, end + chunk
                continue
            room = min(max(1, room), most - runs)
            take, reps = reps[:room], reps[room:]
            task.append(Unit(dp.point, scenario, tuple(take), experiment.seed,
                             tuple(drawn[r] for r in take)))
            total += len(take) * cost
            runs += len(take)
            if total >= end or runs >= most:
                yield task
                # the next task ends at the first mark past this one's end (a costly run may
                # pass several); one closed at its most runs, a chunk from here
                task, runs = [], 0
                end = (end + chunk * (int((total - end) // chunk) + 1) if total >= end
                       else total + chunk)
    if task:
        yield task


def task_size(experiment: Experiment, done: set[tuple[int, int]], workers: int,
              task_runs: int | None = None) -> tuple[float, dict[int, float] | None, int | None]:
    """How :func:`_tasks` cuts the runs still to do for ``workers`` workers: ``(chunk, costs,
    most runs)``. ``task_runs`` fixes tasks of that many runs.

    Otherwise tasks are of up to TASK_RUNS baseline runs' worth (and runs): batches large
    enough for the model's batched step and few round trips to the workers, at least
    TASKS_PER_WORKER and as many for each worker, so that none waits on another's last one.
    They are counted in what their runs cost (:func:`run_cost`), not in runs, so that a design
    that varies the firm count or the horizon does not leave one worker its costly end (a
    30-run sweep of 300, 10,000 and 100,000 firms ran as one task in one worker).
    """
    if task_runs:
        return float(task_runs), None, None
    costs = point_costs(experiment, calibrated_values())
    left = collections.Counter(p for p, _ in done)
    remaining = sum(cost * (experiment.replications - left[p]) for p, cost in costs.items())
    workers = max(1, workers)
    each = max(TASKS_PER_WORKER, math.ceil(remaining / (workers * TASK_RUNS)))
    return max(min(remaining, MIN_TASK_RUNS), remaining / (workers * each)), costs, TASK_RUNS


def run_cost(firms: int, years: int) -> float:
    """About what a run of ``firms`` firms over ``years`` years costs, in baseline runs (300
    firms over 1988-2035: 1.0): in proportion to its years, and to its firms plus a fixed part
    (:data:`FIXED_FIRMS`). A run of 10,000 firms costs about 17 baseline runs, so a sweep
    that varies the firm count or the horizon gives its tasks even costs, not even counts."""
    return years * (firms + FIXED_FIRMS) / (BASELINE_YEARS * (BASELINE_FIRMS + FIXED_FIRMS))


def point_costs(experiment: Experiment, calibrated: dict[str, Any]) -> dict[int, float]:
    """What a run of each design point costs, in baseline runs (:func:`run_cost`):
    from its firm count (the point's, else its scenario's, the calibration's or the registry's)
    and its years."""
    default = calibrated.get("firms.count", REGISTRY["firms.count"].default)
    costs: dict[int, float] = {}
    for dp in experiment.points:
        base = experiment.scenarios[dp.scenario]
        firms = dp.values.get("firms.count", base.values.get("firms.count", default))
        costs[dp.point] = run_cost(int(firms), len(base.years))
    return costs


# ---------------------------------------------------------------- what a resume must match
_NOT_RESULTS = ("description", "path", "replications", "seed")
"""Resolved-scenario fields that do not change a sweep's numbers: words, where the file is, and
the scenario's own replications and seed (the experiment's, checked separately, govern)."""


def _canonical(data: Any) -> Any:
    """Plain JSON data with sorted keys and string keys, so equal settings compare equal."""
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def scenario_fingerprint(resolved: dict) -> dict:
    """The parts of a resolved scenario that decide its numbers, as plain JSON data."""
    return _canonical({k: v for k, v in resolved.items() if k not in _NOT_RESULTS})


def fingerprint_sha256(data: Any) -> str:
    text = json.dumps(_canonical(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def calibration_fingerprint(calibration: Calibration) -> str:
    """The ensemble file's SHA-256, or for the point estimate a hash of its values."""
    info = calibration.describe()
    if info.get("sha256"):
        return f"{info['mode']}:{info['sha256']}"
    return f"{info['mode']}:{fingerprint_sha256(info.get('values') or {})}"


def fingerprints(experiment: Experiment, calibration: Calibration) -> dict:
    return {"scenarios": {s.name: fingerprint_sha256(scenario_fingerprint(s.resolved()))
                          for s in experiment.scenarios},
            "calibration": calibration_fingerprint(calibration)}


def _differences(old: Any, new: Any, at: str = "") -> list[str]:
    """'horizon: 2035 -> 2030', 'values.china.trade_subsidy_rate: 0.1 -> 0.3', ..."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{at}.{key}" if at else str(key)
            if key not in old:
                out.append(f"{where}: (not set) -> {show(new[key])}")
            elif key not in new:
                out.append(f"{where}: {show(old[key])} -> (not set)")
            else:
                out += _differences(old[key], new[key], where)
        return out
    return [] if old == new else [f"{at}: {show(old)} -> {show(new)}"]


def _field_names(scenario: Scenario, changes: list[str]) -> list[str]:
    """'values.X' as the scenario file spells it: 'levers.X' or 'parameters.X'."""
    out = []
    for c in changes:
        if c.startswith("values."):
            name = c[len("values."):].split(":")[0]
            base = name.rsplit(".", 1)[0] if name not in REGISTRY else name
            if base in REGISTRY:
                c = scenario.section_of(base) + c[len("values.") + len(base):]
        out.append(c)
    return out


def _check_scenarios(folder: Path, manifest: dict, experiment: Experiment) -> None:
    stored = manifest.get("scenarios")
    if not isinstance(stored, list) or len(stored) != len(experiment.scenarios):
        raise HedgesimError(str(SweepStore(folder).manifest_path), "scenarios", "expected the resolved "
                            "scenarios of the sweep being resumed; this manifest has none to "
                            "compare with, so the runs could mix scenarios")
    recorded = (manifest.get("fingerprints") or {}).get("scenarios") or {}
    for old, sc in zip(stored, experiment.scenarios, strict=True):
        now = scenario_fingerprint(sc.resolved())
        before = scenario_fingerprint(old) if isinstance(old, dict) else {}
        changed = _differences(before, now)
        if not changed and sc.name in recorded and recorded[sc.name] != fingerprint_sha256(now):
            changed = ["(its recorded sha256 differs)"]
        if changed:
            fields = _field_names(sc, changed)
            more = f" and {len(fields) - 3} more" if len(fields) > 3 else ""
            raise HedgesimError(str(sc.path or experiment.path), fields[0].split(":")[0],
                                f"expected the scenario {sc.name!r} that started the sweep in "
                                f"{folder}, which changed: {'; '.join(fields[:3])}{more}; "
                                "resuming would mix runs of two scenarios: start a new sweep "
                                "(without --resume) or restore the file")


def _check_resume(folder: Path, experiment: Experiment, design: pd.DataFrame,
                  calibration: Calibration) -> dict:
    """The manifest of the sweep being resumed, after checking that this experiment, its
    resolved scenarios and the calibration are the ones that started it."""
    store = SweepStore(folder)
    manifest = read_manifest(folder)
    if manifest.get("kind") != "sweep":
        raise HedgesimError(str(store.manifest_path), "kind", "expected a sweep's manifest, "
                            f"found kind {show(manifest.get('kind'))}")
    stored = store.read_design(manifest)
    for key, now in (("seed", experiment.seed), ("replications", experiment.replications)):
        if manifest.get(key) != now:
            raise HedgesimError(str(experiment.path), key, "expected the experiment that started "
                                f"this sweep (same design, replications and seed): {key} "
                                f"{show(manifest.get(key))} -> {show(now)}")
    same = (stored.shape == design.shape and list(stored.columns) == list(design.columns)
            and stored.equals(design))
    if not same:
        raise HedgesimError(str(folder), "design.parquet", "expected the experiment that started "
                            "this sweep (same design, replications and seed)")
    _check_scenarios(folder, manifest, experiment)
    before, now = manifest.get("calibration") or {}, calibration.describe()
    fp_before = (manifest.get("fingerprints") or {}).get("calibration")
    if ((before.get("mode", "point"), before.get("sha256")) != (now["mode"], now.get("sha256"))
            or (fp_before and fp_before != calibration_fingerprint(calibration))):
        raise HedgesimError(str(folder), "manifest.json", "expected the calibration that started "
                            f"this sweep ({before.get('mode', 'point')} {before.get('file')}, "
                            f"sha256 {str(before.get('sha256'))[:12]}); "
                            "resume with the same --point-estimate setting and ensemble file")
    return manifest


def _open_for_resume(folder: Path, notice: Callable[[str], None]) -> SweepStore:
    """Delete uncommitted leftovers, check every committed part against its record, and move
    the failing ones aside (saying so) so that their runs are run again."""
    store = SweepStore(folder)
    removed = store.clean()
    if removed:
        log.info("removed %d uncommitted part files", removed)
    damage = store.adopt() if store.format < 2 else store.verify()[1]
    store.create()
    if damage:
        where = store.quarantine(damage)
        held = [d.runs for d in damage]
        runs = (f"the {sum(held)} runs they held" if None not in held else "their runs")
        first = damage[0].reason + (f"; and {len(damage) - 1} more" if len(damage) > 1 else "")
        notice(f"{len(damage)} damaged or missing part(s) moved to {where} ({first}); "
               f"{runs} will be run again")
    store.good()
    return store


def run_sweep(experiment: Experiment | str | Path, out: str | Path, executor: str = "local",
              workers: int | None = None, resume: bool = False,
              progress: Callable[[int, int], Any] | None = None,
              scheduler: str | None = None, calibration: Calibration | None = None,
              notice: Callable[[str], None] | None = None,
              announce: Callable[[], Any] | None = None,
              task_runs: int | None = None) -> SweepReport:
    """Run (or finish) a sweep and write its folder.

    ``out`` is the results root (a new ``<name>/<UTC time>/`` folder is made) or,
    with ``resume=True``, an existing sweep folder. ``calibration`` defaults to
    the committed posterior ensemble. ``progress(total, initial)``
    returns a bar with ``update(n)`` and ``close()`` (tqdm fits). ``notice``
    receives one-line messages the user must see (parts moved aside on resume);
    ``announce()`` is called once the folder is checked, locked and about to run
    (so a refusal is the only line the user sees).
    Each task's runs are committed as one part as soon as its worker hands them back.
    ``task_runs`` fixes how many runs a worker gets per task (default: by the sweep's size,
    at most :data:`TASK_RUNS`); results never depend on it.
    Ctrl-C (or SIGTERM, which the CLI turns into it) raises
    :class:`SweepInterrupted` after everything finished is on disk. The
    folder's ``writer.lock`` is held throughout: a second writer is refused.
    """
    prestart(executor)  # the workers' server imports the model while this process starts up
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    calibrated = calibrated_values()
    # before any folder is made or the runs are announced (the CLI's one-line refusal)
    guard_experiment(experiment, calibrated)
    design = experiment.design_columns()  # as a frame (pandas) only to check a resume
    calibration = load_calibration() if calibration is None else calibration
    notice = notice or (lambda text: log.warning("%s", text))
    with contextlib.ExitStack() as stack:
        if resume:
            folder = Path(out)
            if not SweepStore(folder).is_sweep():
                raise HedgesimError(str(folder), "--resume", "expected a sweep folder (with "
                                    "manifest.json and design.parquet) to resume; pass it as --out")
            stack.enter_context(SweepStore(folder).lock())
            previous = _check_resume(folder, experiment, pd.DataFrame(design), calibration)
            store = _open_for_resume(folder, notice)
        else:
            folder = new_run_dir(Path(out), experiment.name)
            store = SweepStore(folder)
            stack.enter_context(store.lock())
            previous = None
            store.create()
            store.good()
        if announce is not None:
            announce()
        return _run_locked(experiment, design, calibration, store, previous, executor, workers,
                           progress, scheduler, task_runs)


def _run_locked(experiment: Experiment, design: dict[str, Any], calibration: Calibration,
                store: SweepStore, previous: dict | None, executor: str, workers: int | None,
                progress, scheduler: str | None,
                task_runs: int | None = None) -> SweepReport:
    """Run what is missing of a locked sweep folder, then summarise it."""
    return _SweepSession(experiment, design, calibration, store, previous, executor, workers,
                         task_runs).run(progress, scheduler)


class _SweepSession:
    """One session of a sweep on its locked folder: counts, the manifest it keeps current,
    the runs in memory not yet committed, and the loop that feeds the executor.

    The manifest is written when the session starts (``running``), once the executor is up,
    and when it ends: ``complete`` or ``incomplete``, ``interrupted`` (Ctrl-C, SIGTERM) or
    ``failed`` (an error the sweep stops on). Each task's runs are committed as one part as
    soon as they come back.
    """

    def __init__(self, experiment: Experiment, design: dict[str, Any], calibration: Calibration,
                 store: SweepStore, previous: dict | None, executor: str, workers: int | None,
                 task_runs: int | None = None) -> None:
        self.experiment, self.design, self.calibration = experiment, design, calibration
        self.store, self.previous = store, previous
        self.executor, self.workers = executor, workers
        self.task_runs = task_runs
        self.start_wall = time.perf_counter()
        self.started = now_utc()
        self.design_sha = (store.write_design(design) if previous is None
                           else store.design_sha256(previous))
        # the runs a resumed folder holds (a new one holds none: no need of pandas to say so)
        status = (store.status() if previous is not None
                  else {"point": [], "replication": [], "status": []})
        self.done = {(int(p), int(r)) for p, r, s in zip(
            status["point"], status["replication"], status["status"], strict=True) if s == "ok"}
        # runs that failed before and are retried now are counted again when they finish
        self.failed_keys = {(int(p), int(r)) for p, r, s in zip(
            status["point"], status["replication"], status["status"], strict=True) if s == "error"}
        self.total = experiment.total_runs
        self.ok = self.ok_before = len(self.done)
        self.failed_before = self.failed_pending = len(self.failed_keys)
        self.failed = self.lost = 0
        self.sessions = [s if s.get("state") != "running" else {**s, "state": "killed"}
                         for s in (previous or {}).get("sessions", []) if isinstance(s, dict)]
        self.marks = fingerprints(experiment, calibration)
        self.stamp = code_stamp()  # taken once: the manifest is rewritten as the sweep goes
        self.seq = self.first_seq = store.next_sequence()
        # from a folder without committed runs, the summary is kept as the runs come in and
        # written a block at a time; summary.parquet appears when the session finishes
        self.tally = SummaryTally(experiment) if not len(status["point"]) else None
        self.summary_file = store.summary_file()
        self.info = None  # the executor's kind, workers and address, once it is up

    # ------------------------------------------------------------ the manifest
    def manifest(self, state: str, ok: int, failed: int, wall: float,
                 error: str | None = None) -> dict:
        experiment, info = self.experiment, self.info
        session = {"started_utc": self.started, "executor": info.kind if info else self.executor,
                   "workers": info.workers if info else self.workers,
                   "scheduler": info.address if info and info.kind == "dask" else None,
                   "wall_seconds": round(wall, 3), "state": state}
        if error:
            session["error"] = error
        return base_manifest(
            "sweep",
            self.stamp,
            name=experiment.name,
            description=experiment.description,
            experiment_file=experiment.path,
            experiment=experiment.spec,
            scenarios=[s.resolved() for s in experiment.scenarios],
            fingerprints=self.marks,
            calibration=self.calibration.describe(),
            interval_note=self.calibration.note(experiment.replications),
            history={"counterfactual": bool(experiment.history_note()),
                     "note": experiment.history_note()},
            design={"points": experiment.size, "method": experiment.method,
                    "parameters": list(experiment.parameters),
                    "columns": list(self.design)},
            replications=experiment.replications,
            seed=experiment.seed,
            seed_rule="model.runner.run_seed(seed, point, replication): "
                      "SeedSequence([seed, point, replication])",
            draw_rule="model.ensemble.draw_index(seed, replication): member by weight from "
                      "SeedSequence(seed, spawn_key=(DRAW_STREAM, replication)); the same at "
                      "every point (-1: point estimate)",
            outputs=list(OUTPUTS),
            runs={"total": self.total, "ok": ok, "failed": failed,
                  "missing": self.total - ok - failed},
            state=state,
            executor=session["executor"],
            workers=session["workers"],
            wall_seconds=round(sum(float(s.get("wall_seconds") or 0) for s in self.sessions)
                               + wall, 3),
            sessions=[*self.sessions, session],
            first_started_utc=(self.previous or {}).get("first_started_utc", self.started),
            store=self.store.manifest_section(self.design_sha),
            files=list(SWEEP_FILES),
        )

    def wall(self) -> float:
        return time.perf_counter() - self.start_wall

    def record_end(self, state: str, error: BaseException | None = None) -> None:
        """The manifest of a session that stopped early, best effort (the error that stopped
        it is the one to report)."""
        with contextlib.suppress(Exception):
            self.store.write_manifest(self.manifest(
                state, self.ok, self.failed_pending + self.failed, self.wall(),
                error=_describe(error) if error is not None else None))

    # ------------------------------------------------------------ committing runs
    def commit(self, task: TaskResult) -> None:
        """Commit a task's runs as one part and count them. The session's first commit
        removes the summary a previous session left (it no longer describes the folder)."""
        retried = sum(1 for r in task.units for rep in r.replications
                      if (r.point, rep) in self.failed_keys)
        if self.seq == self.first_seq:
            self.summary_file.retire()
        # the number is taken before writing: a Ctrl-C within the write cannot make the next
        # commit reuse it (the half-written part is never recorded; resume deletes it)
        seq, self.seq = self.seq, self.seq + 1
        self.store.write_part(seq, task.runs, task.status)
        self.ok += task.ok
        self.failed += task.failed
        self.failed_pending -= retried

    # ------------------------------------------------------------ running
    def run(self, progress, scheduler: str | None) -> SweepReport:
        bar = None
        interrupted = False
        try:
            self.store.write_manifest(self.manifest("running", self.ok_before,
                                                    self.failed_before, 0.0))
            bar = progress(self.total, len(self.done)) if progress is not None else None
            with make_executor(self.executor, self.workers, scheduler) as (ex, info):
                self.info = info
                self.store.write_manifest(self.manifest("running", self.ok_before,
                                                        self.failed_before, 0.0))
                self.feed(ex, info, bar)
        except KeyboardInterrupt:
            interrupted = True
            self.summary_file.abort()
            self.record_end("interrupted")
            if bar is not None:
                bar.close()
            raise SweepInterrupted(self.store.folder, self.ok, self.total) from None
        except BaseException as exc:
            # an error the sweep stops on (disk full, an executor that cannot start) must not
            # leave the manifest saying 'running'; finished parts stay committed
            self.summary_file.abort()
            self.record_end("failed", exc)
            raise
        finally:
            if bar is not None and not interrupted:
                bar.close()
        return self.finish()

    def feed(self, ex, info, bar) -> None:
        """Keep the executor busy with tasks of the runs still to do; collect what finishes,
        committing as it goes. A lost task (a worker killed) is counted and left for
        ``--resume``; an executor that stops accepting work ends the feeding."""
        chunk, costs, most = task_size(self.experiment, self.done, info.workers, self.task_runs)
        # Tasks in flight: enough to keep every worker busy while the driver commits. The
        # serial executor runs a task when it is handed over, so it gets one at a time: each
        # is committed (and counted on the progress bar) before the next starts.
        window = 1 if info.kind == "serial" else max(2, info.workers * 3)
        tasks = _tasks(self.experiment, self.done, chunk, self.calibration, costs, most)
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
                        fut = ex.submit(run_task, task, self.calibration)
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
                        results = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a lost worker, not a run
                        log.warning("a task of %d runs was lost (%s); --resume reruns it",
                                    n, _describe(exc))
                        self.lost += n
                        if isinstance(exc, BrokenProcessPool):
                            broken = True
                    else:
                        self.commit(results)
                        if self.tally is not None:
                            self.tally.add(results.units)
                            for table in self.tally.ready():
                                self.summary_file.write(table)
                    if bar is not None:
                        bar.update(n)
        except KeyboardInterrupt:
            for fut in pending:
                fut.cancel()
            for fut in [f for f in pending if f.done() and not f.cancelled()]:
                try:
                    results = fut.result()
                except Exception:  # noqa: BLE001, S110 - rerun on resume
                    continue
                self.commit(results)
            raise

    def finish(self) -> SweepReport:
        """Summarise the committed runs and write the final manifest."""
        failed_total = self.failed_pending + self.failed
        state = "complete" if self.ok == self.total else "incomplete"
        try:
            # block by block to the file: the driver never holds the whole summary table
            for table in (self.tally.rest() if self.tally is not None
                          else (pa.Table.from_pandas(block, SUMMARY_SCHEMA, preserve_index=False)
                                for block in summary_blocks(self.store.folder, self.experiment,
                                                            self.store))):
                self.summary_file.write(table)
            self.summary_file.commit()
        except BaseException as exc:
            self.summary_file.abort()
            self.record_end("failed", exc)
            raise
        wall = self.wall()
        m = self.manifest(state, self.ok, failed_total, wall)
        with writing(self.store.folder):
            self.store.write_manifest(m)
        return SweepReport(self.store.folder, self.total, self.ok, failed_total,
                           self.total - self.ok - failed_total, wall,
                           pd.DataFrame(self.design), m)


# ---------------------------------------------------------------- summary
SUMMARY_VALUES = 1 << 18
"""Most run values the summary holds at once (2 MB): it reads the points in blocks of about
this many values, so the driver's memory does not grow with the sweep."""


def summarise(folder: str | Path, experiment: Experiment,
              store: SweepStore | None = None, also: tuple[int, ...] = ()) -> pd.DataFrame:
    """Median, 5th and 95th percentiles of the key figures per point and year, as one table
    (:func:`summary_blocks` joined)."""
    frames = list(summary_blocks(folder, experiment, store, also))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def summary_blocks(folder: str | Path, experiment: Experiment,
                   store: SweepStore | None = None,
                   also: tuple[int, ...] = ()) -> Iterator[pd.DataFrame]:
    """:func:`summarise`'s table a block of points at a time, in point order (at least one
    block, perhaps empty).

    Reads only the key columns of 2014, 2020, each horizon and the years in ``also`` (a
    year asked with --year), a block of points at a time, part by part (parts whose statistics
    show none of a block's points are skipped), so it stays small however many runs the sweep
    has.
    """
    horizons = {experiment.horizon(p.point) for p in experiment.points}
    fixed = (*SUMMARY_YEARS, *also)
    years = sorted({*fixed, *horizons})
    cols = [c for c, _, _ in KEY_FIGURES]
    store = SweepStore(Path(folder)) if store is None else store
    horizon_of = np.array([experiment.horizon(p.point) for p in experiment.points])
    per_point = max(1, experiment.replications * len(years) * (len(cols) + 3))
    block = max(1, SUMMARY_VALUES // per_point)
    blocks = [(first, first + block) for first in range(0, max(1, experiment.size), block)]
    for df in store.read_runs_by_points(cols, years, blocks):
        yield _summary_rows(df, fixed, horizon_of, cols).astype(_SUMMARY_INTS)


_SUMMARY_INTS = {"point": "int32", "year": "int32", "replications": "int32"}


SUMMARY_COLUMNS = SUMMARY_SCHEMA.names


def _summary_rows(df: pd.DataFrame, fixed: tuple[int, ...], horizon_of: np.ndarray,
                  cols: list[str]) -> pd.DataFrame:
    """The summary's rows for the runs in ``df`` (whole points: every run of each)."""
    if not df.empty:
        keep = np.isin(df["year"], fixed) | (df["year"].to_numpy()
                                                     == horizon_of[df["point"].to_numpy()])
        df = df[keep]
    fast = _summary_by_blocks(df, cols)
    if fast is not None:
        return fast
    rows = []
    for (point, year), grp in df.groupby(["point", "year"], sort=True):
        stats, count = _percentiles(grp[cols].to_numpy(dtype=float))
        for (col, label, unit), (p5, med, p95), n in zip(KEY_FIGURES, stats, count, strict=True):
            if n:
                rows.append({"point": int(point), "year": int(year), "column": col,
                             "figure": label, "unit": unit, "median": med, "p05": p5,
                             "p95": p95, "replications": int(n)})
    if not rows:  # typed, so that joining it to other blocks keeps the columns' types
        return SUMMARY_SCHEMA.empty_table().to_pandas()
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _percentiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The summary's rule, in one place: the 5th, 50th and 95th percentiles of the finite
    values along the first axis (the runs), and how many there were (0: none, no row).
    ``values`` is (runs, ...); returns the percentiles (..., 3) and the counts (...)."""
    shape = values.shape[1:]
    if len(values) and np.isfinite(values).all():
        return (np.moveaxis(np.percentile(values, [5, 50, 95], axis=0), 0, -1),
                np.full(shape, len(values), dtype=np.int32))
    stats, count = np.zeros((*shape, 3)), np.zeros(shape, dtype=np.int32)
    cells = values.reshape(len(values), count.size)  # (runs, cells)
    cell_stats, cell_count = stats.reshape(-1, 3), count.reshape(-1)  # views
    for j in range(count.size):
        v = cells[:, j][np.isfinite(cells[:, j])]
        if v.size:
            cell_stats[j], cell_count[j] = np.percentile(v, [5, 50, 95]), v.size
    return stats, count


def _summary_by_blocks(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame | None:
    """:func:`summarise`'s table computed a column at a time over every (point, year) at once,
    when every group has the same number of runs and every value is finite (a complete
    sweep): the same percentiles as group by group (NumPy's percentile along an axis is the
    one-dimensional one, row by row), a fraction of the time. None otherwise."""
    if df.empty:
        return None
    keys = df[["point", "year"]].to_numpy()
    if ((keys[1:, 0] < keys[:-1, 0])
            | ((keys[1:, 0] == keys[:-1, 0]) & (keys[1:, 1] < keys[:-1, 1]))).any():
        df = df.sort_values(["point", "year"], kind="stable")  # the store gives them in order
        keys = df[["point", "year"]].to_numpy()
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    sizes = np.diff(np.r_[starts, len(df)])
    if (sizes != sizes[0]).any():
        return None
    values = df[cols].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        return None
    groups, k = len(starts), int(sizes[0])
    stats = np.percentile(values.reshape(groups, k, len(cols)), [5, 50, 95], axis=1)
    return pd.DataFrame({  # in SUMMARY_COLUMNS' order
        "point": np.repeat(keys[starts, 0], len(cols)),
        "year": np.repeat(keys[starts, 1], len(cols)),
        "column": np.tile(cols, groups),
        "figure": np.tile([_FIGURE_WORDS[c][0] for c in cols], groups),
        "unit": np.tile([_FIGURE_WORDS[c][1] for c in cols], groups),
        "median": stats[1].ravel(), "p05": stats[0].ravel(), "p95": stats[2].ravel(),
        "replications": np.full(groups * len(cols), k),
    })


SUMMARY_BLOCK = 512
"""Points a block of the summary written as a sweep goes (a row group of summary.parquet):
what making and writing a block allocates stays in the driver's resident memory, 18 MB for
blocks of 512 points against 48 MB for 4,096 (measured)."""


class SummaryTally:
    """The summary of the runs a sweep session commits, kept as they arrive, so that a sweep
    started afresh writes ``summary.parquet`` without reading its runs back (at 100,000 runs,
    reading them back took 1.2-2.8 s and 60 MB of the driver's peak memory, most of it the
    parts' metadata).

    A point's key figures of 2014, 2020 and its horizon are held (a few KB) until all its
    replications have finished, then reduced to their percentiles, exactly as
    :func:`summarise` computes them from the stored runs: the finite values of the runs that
    succeeded, percentiles along the replications. Percentiles are kept for a block of
    ``block`` points (300 KB) until every point of the block and of the blocks before it has
    finished: :meth:`ready` then hands the block on to be written, so what is held does not
    grow with the sweep (tasks go out in point order). A session that resumes a folder with
    runs already committed summarises by reading them (:func:`summary_blocks`)."""

    def __init__(self, experiment: Experiment, block: int | None = None) -> None:
        self.size, self.block = experiment.size, block or SUMMARY_BLOCK
        self.replications = experiment.replications
        self.cols = [c for c, _, _ in KEY_FIGURES]
        self.held: dict[int, dict[str, np.ndarray]] = {}  # block -> its points' figures
        self.next = 0  # the first block not handed on
        self.pending: dict[int, list[np.ndarray]] = {}  # point -> its finished runs' values
        self.words = {name: string_array(list(texts)) for name, texts in (
            ("column", self.cols), ("figure", [_FIGURE_WORDS[c][0] for c in self.cols]),
            ("unit", [_FIGURE_WORDS[c][1] for c in self.cols]))}

    def _block(self, b: int) -> dict[str, np.ndarray]:
        if b not in self.held:
            n = min(self.block, self.size - b * self.block)
            slots, k = len(SUMMARY_YEARS) + 1, len(self.cols)
            self.held[b] = {"years": np.zeros((n, slots), dtype=np.int32),  # ascending
                            "stats": np.zeros((n, slots, k, 3)),  # p05, median, p95
                            "count": np.zeros((n, slots, k), dtype=np.int32),  # 0: no row
                            "seen": np.zeros(n, dtype=np.int32)}
        return self.held[b]

    def add(self, results: list[UnitResult]) -> None:
        finished = []
        for r in results:
            held, i = self._block(r.point // self.block), r.point % self.block
            held["years"][i, :len(r.figure_years)] = r.figure_years
            self.pending.setdefault(r.point, []).append(r.figures)  # (ok runs, years, figures)
            held["seen"][i] += len(r.replications)
            if held["seen"][i] >= self.replications:
                finished.append(r.point)
        self._close(finished)

    def _close(self, points: list[int]) -> None:
        """Reduce finished points to their percentiles: points with as many runs and years go
        through one percentile call (along an axis it is the same one-dimensional percentile,
        point by point; a call per point cost the driver 0.007 ms a run at 10 runs a point)."""
        alike: dict[tuple[int, ...], list[tuple[int, np.ndarray]]] = {}
        for point in points:
            values = np.concatenate(self.pending.pop(point))  # (runs, years, figures)
            alike.setdefault(values.shape, []).append((point, values))
        for (_, years, _), group in alike.items():
            stats, count = _percentiles(np.stack([v for _, v in group], axis=1))
            for j, (point, _) in enumerate(group):
                held, i = self.held[point // self.block], point % self.block
                held["stats"][i, :years], held["count"][i, :years] = stats[j], count[j]

    def ready(self) -> Iterator[pa.Table]:
        """The summary's next blocks whose points have all finished, in point order; each is
        handed on once and then dropped."""
        while self.next * self.block < self.size:
            held = self.held.get(self.next)
            if held is None or (held["seen"] < self.replications).any():
                return
            yield self._table(self.next)
            self.next += 1

    def rest(self) -> Iterator[pa.Table]:
        """The blocks not yet handed on: points whose runs did not all finish are summarised
        from those that did."""
        self._close(list(self.pending))
        for b in range(self.next, -(-self.size // self.block)):
            yield self._table(b)

    def _table(self, b: int) -> pa.Table:
        """Block ``b``'s rows as Arrow (pandas would turn each string cell into a string of
        its own), in point, year and figure order."""
        held = self.held.pop(b, None)
        if held is None:
            return SUMMARY_SCHEMA.empty_table()
        count = held["count"]
        p, y, c = np.nonzero(count)
        stats = held["stats"][p, y, c]
        figure = pa.array(c.astype(np.int32))
        return pa.Table.from_pydict({
            "point": (p + b * self.block).astype(np.int32),
            "year": held["years"][p, y],
            **{name: pa.DictionaryArray.from_arrays(figure, texts).cast(pa.string())
               for name, texts in self.words.items()},
            "median": stats[:, 1], "p05": stats[:, 0], "p95": stats[:, 2],
            "replications": count[p, y, c],
        }, schema=SUMMARY_SCHEMA)


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
           "missing_runs", "SweepInterrupted", "SweepReport", "SweepStore", "RUNS_SCHEMA",
           "STATUS_SCHEMA", "write_json_atomic"]
