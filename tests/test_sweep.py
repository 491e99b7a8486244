"""Sweeps: executors agree, failures are recorded, interruptions lose nothing, memory is flat."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from model.ensemble import load_calibration
from model.experiments import sweep as sweep_mod
from model.experiments.design import from_spec, load_experiment
from model.experiments.sweep import (
    SweepStore,
    _tasks,
    read_runs,
    read_status,
    run_sweep,
    task_size,
)
from model.outputs import KEY_FIGURES
from model.runner import run_seed, simulate, simulate_batch
from model.scenario import compile_inputs, load
from model.world import OUTPUTS
from tests.conftest import ROOT, hedgesim_probed

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def small_experiment(tmp_path, points: int = 4, replications: int = 2, horizon: int = 2020,
                     firms: int | None = None):
    """A baseline at a short horizon, ``points`` subsidy rates x ``replications``.

    ``firms`` enlarges the firm population to make each run slower, so that a
    kill or Ctrl-C lands while the sweep is part-way on any machine."""
    extra = f"parameters:\n  firms: {{count: {firms}}}\n" if firms else ""
    (tmp_path / "short.yaml").write_text(f"name: short\nextends: {BASELINE}\nhorizon: {horizon}\n"
                                         + extra)
    rates = ", ".join(f"{0.4 * i / max(1, points - 1):.4f}" for i in range(points))
    p = tmp_path / "exp.yaml"
    p.write_text(f"name: small\nscenario: short.yaml\nreplications: {replications}\nseed: 11\n"
                 f"vary:\n  levers.russia.trade_subsidy_rate: [{rates}]\n")
    return p


def _task_costs(spec: dict, workers: int = 2, done: frozenset = frozenset(), **scenario):
    """The tasks a sweep of ``spec`` on the baseline hands ``workers`` workers: each task's
    runs and cost (in baseline runs), and the busiest worker's share of the whole cost when
    each task goes to the worker with the least to do so far (as a pool hands them out)."""
    exp = from_spec(spec, [load(BASELINE).with_values(**scenario)], "<test>", "tasks")
    chunk, costs, most = task_size(exp, set(done), workers)
    tasks = list(_tasks(exp, set(done), chunk, load_calibration(), costs, most))
    runs = [sum(len(u.replications) for u in t) for t in tasks]
    cost = [sum(costs[u.point] * len(u.replications) for u in t) for t in tasks]
    load_of = [0.0] * workers
    for c in cost:
        load_of[load_of.index(min(load_of))] += c
    return runs, cost, max(load_of) / sum(cost)


def test_tasks_are_cut_by_what_their_runs_cost_so_each_worker_gets_an_even_share():
    # A resolution check: runs of 300 to 100,000 firms differ 170-fold in cost. Counted in
    # runs, its 30 runs were one task, and one worker ran them all while the other waited.
    # A task of costly runs ends a run early rather than late, so more workers share too.
    spec = {"replications": 10, "seed": 3, "vary": {"firms.count": [300, 10000, 100000]}}
    runs, cost, busiest = _task_costs(spec)
    assert sum(runs) == 30 and len(runs) >= 4
    assert busiest <= 0.6, (runs, cost)
    assert _task_costs(spec, workers=4)[2] <= 0.3
    # Costly runs first (each over a task's share: a task each), then cheap ones: the cheap
    # runs are not handed out one per task (the end of a task lagged behind the costly runs)
    runs, cost, _ = _task_costs({"replications": 10, "seed": 3, "vary": {
        "firms.count": [200000, 300], "levers.russia.trade_subsidy_rate": [0.0, 0.1, 0.2, 0.3]}},
        workers=8)
    cheap = [n for n, c in zip(runs, cost, strict=True) if c < 2 * n]
    assert sum(runs) == 80 and sum(cheap) == 40 and len(cheap) <= 2, runs
    # a firm count given by the scenario (not varied) is counted too: 20 runs of 20,000 firms
    # (34 baseline runs' worth each) are four tasks, not one of at least 64 runs
    vary = {"levers.russia.trade_subsidy_rate": [0.0, 0.2]}
    runs, _, busiest = _task_costs({"replications": 10, "seed": 3, "vary": vary},
                                   values={"firms.count": 20000.0})
    assert len(runs) == 4 and busiest == 0.5
    # Baseline runs are cut as before (1,000 runs: 4 tasks of 250), and a size that does not
    # divide into full tasks is cut into as many for each worker (1,250: 6 tasks, not 4 of 256
    # and a fifth that one worker runs while the other waits).
    vary = {"levers.russia.trade_subsidy_rate": {"from": 0.0, "to": 0.4, "n": 100}}
    assert _task_costs({"replications": 10, "seed": 1, "vary": vary})[0] == [250] * 4
    runs, _, busiest = _task_costs({"replications": 10, "seed": 1, "vary": {
        "levers.russia.trade_subsidy_rate": {"from": 0.0, "to": 0.4, "n": 125}}})
    assert len(runs) == 6 and max(runs) <= 209 and busiest <= 0.51
    # A task holds at most TASK_RUNS runs, however cheap (to 2020, a run costs 0.69 baseline
    # runs), and a resumed sweep cuts only the runs left.
    runs, _, _ = _task_costs({"replications": 10, "seed": 1, "vary": {
        "levers.russia.trade_subsidy_rate": {"from": 0.0, "to": 0.4, "n": 1000}}}, horizon=2020)
    assert max(runs) == sweep_mod.TASK_RUNS and sum(runs) == 10000
    done = frozenset((p, r) for p in range(75) for r in range(10))
    # (250 runs left: tasks of MIN_TASK_RUNS, 64, the fewest a task gets)
    assert _task_costs({"replications": 10, "seed": 1, "vary": vary}, done=done)[0] == [64, 64,
                                                                                        64, 58]


def test_serial_local_and_dask_give_identical_datasets(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)  # dask must not leave dask-scratch-space/ here
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=2))
    frames = {}
    for kind in ("serial", "local", "dask"):
        report = run_sweep(exp, tmp_path / kind, executor=kind, workers=2)
        assert report.complete and report.ok == 6
        frames[kind] = read_runs(report.folder)
        m = json.loads((report.folder / "manifest.json").read_text())
        assert m["executor"] == kind and m["runs"] == {"total": 6, "ok": 6, "failed": 0,
                                                       "missing": 0}
    assert len(frames["serial"]) == 6 * (2020 - 1988 + 1)
    pd.testing.assert_frame_equal(frames["serial"], frames["local"])
    pd.testing.assert_frame_equal(frames["serial"], frames["dask"])
    assert not (tmp_path / "dask-scratch-space").exists()


def test_same_seed_same_results_across_executors_and_batch_sizes(tmp_path, monkeypatch):
    """Runs per task (what a worker returns at once, a part of the store) change how work is
    cut, never a number: every executor and task size equals each run alone."""
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=3, horizon=2015))
    calibration = load_calibration()
    alone = {}
    for dp in exp.points:
        for r, draw in enumerate(calibration.draws(exp.seed, list(range(3)))):
            inputs = compile_inputs(exp.scenario_for(dp), calibration.values(draw))
            alone[dp.point, r] = simulate(inputs, run_seed(exp.seed, dp.point, r))
    cases = [("serial", None), ("serial", 1), ("serial", 4), ("local", 1), ("local", 5)]
    if importlib.util.find_spec("distributed") is not None:
        cases.append(("dask", 2))
    frames = []
    for i, (kind, task_runs) in enumerate(cases):
        report = run_sweep(exp, tmp_path / f"out{i}", executor=kind, workers=2,
                           task_runs=task_runs, calibration=calibration)
        assert report.complete, (kind, task_runs)
        df = read_runs(report.folder)
        if task_runs is not None:  # a part per task, written as it went
            parts = len(SweepStore(report.folder).status_files())
            assert parts == -(-exp.total_runs // task_runs), (kind, task_runs, parts)
        for (point, rep), values in alone.items():
            one = df[(df["point"] == point) & (df["replication"] == rep)]
            np.testing.assert_array_equal(one[list(OUTPUTS)].to_numpy(), values,
                                          err_msg=f"{kind} task_runs={task_runs}")
        frames.append(df)
    for df in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], df)


def test_each_run_equals_the_model_run_alone(tmp_path):
    exp = load_experiment(small_experiment(tmp_path, points=2, replications=2))
    report = run_sweep(exp, tmp_path / "out", executor="serial")
    df = read_runs(report.folder)
    assert list(df.columns) == ["point", "replication", "seed", "draw", "year", *OUTPUTS]
    one = df[(df["point"] == 1) & (df["replication"] == 1)]
    seed = run_seed(11, 1, 1)
    assert (one["seed"] == seed).all()
    calibration = load_calibration()
    drawn = calibration.values(int(one["draw"].iloc[0]))
    alone = simulate(compile_inputs(exp.scenario_for(1), drawn), seed)
    np.testing.assert_array_equal(one[list(OUTPUTS)].to_numpy(), alone)
    design = pd.read_parquet(report.folder / "design.parquet")
    assert design["russia.trade_subsidy_rate"].dtype == float
    assert design.equals(exp.design_frame())


def test_a_run_that_raises_is_recorded_and_retried_on_resume(tmp_path, monkeypatch):
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=2))
    bad_seed = run_seed(11, 1, 0)

    def flaky(inputs, seed):
        if seed == bad_seed:
            raise FloatingPointError("firms diverged")
        return simulate(inputs, seed)

    def flaky_batch(members, seeds):  # a batch holding the bad run fails as a whole
        if bad_seed in seeds:
            raise FloatingPointError("firms diverged")
        return simulate_batch(members, seeds)

    monkeypatch.setattr(sweep_mod, "simulate", flaky)
    monkeypatch.setattr(sweep_mod, "simulate_batch", flaky_batch)
    report = run_sweep(exp, tmp_path / "out", executor="serial")
    assert (report.ok, report.failed, report.missing) == (5, 1, 0) and not report.complete
    status = read_status(report.folder)
    row = status[status["status"] == "error"].iloc[0]
    assert (row["point"], row["replication"], row["seed"]) == (1, 0, bad_seed)
    assert "FloatingPointError: firms diverged" in row["error"]
    assert (status["pid"] == os.getpid()).all() and (status["seconds"] >= 0).all()
    runs = read_runs(report.folder)
    assert not ((runs["point"] == 1) & (runs["replication"] == 0)).any()
    summary = report.summary
    assert set(summary.loc[summary["point"] == 1, "replications"]) == {1}
    assert set(summary.loc[summary["point"] == 0, "replications"]) == {2}
    # kept as the runs came in, it is what reading the runs back gives
    pd.testing.assert_frame_equal(summary, sweep_mod.summarise(report.folder, exp),
                                  check_exact=True)
    m = json.loads((report.folder / "manifest.json").read_text())
    assert m["runs"]["failed"] == 1 and m["state"] == "incomplete"
    # the charts' reading of the folder: the run that failed is in neither its runs nor a
    # selection of a few columns, which gives the same rows as the runs filtered
    from model.analysis.results import load_results

    results = load_results(report.folder)
    picked = results.select(["trade_russia_usd"], [2015])
    assert len(picked) == 5 and not ((picked["point"] == 1) & (picked["replication"] == 0)).any()
    assert results.years == (1988, 2020)
    full = results.runs
    assert len(full) == 5 * 33
    expected = full.loc[full["year"] == 2015, list(picked.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(picked, expected)

    monkeypatch.setattr(sweep_mod, "simulate", simulate)
    monkeypatch.setattr(sweep_mod, "simulate_batch", simulate_batch)
    again = run_sweep(exp, report.folder, executor="serial", resume=True)
    assert again.complete and again.failed == 0
    clean = run_sweep(exp, tmp_path / "clean", executor="serial")
    pd.testing.assert_frame_equal(read_runs(again.folder), read_runs(clean.folder))


def test_a_serial_sweep_commits_each_task_before_running_the_next(tmp_path, monkeypatch):
    """A kill loses at most the task that was running, and the progress bar moves a task at a
    time (the serial executor runs a task as it is handed over)."""
    exp = load_experiment(small_experiment(tmp_path, points=4, replications=2))
    committed_before = []
    run_task = sweep_mod.run_task

    def counting(units, calibration):
        committed_before.append(len(list((tmp_path / "out").glob("*/*/commits/part-*.json"))))
        return run_task(units, calibration)

    monkeypatch.setattr(sweep_mod, "run_task", counting)
    report = run_sweep(exp, tmp_path / "out", executor="serial", task_runs=2)
    assert report.complete and committed_before == [0, 1, 2, 3]


def test_summary_gives_median_and_interval_per_point_and_year(tmp_path):
    exp = load_experiment(small_experiment(tmp_path, points=2, replications=5, horizon=2025))
    report = run_sweep(exp, tmp_path / "out", executor="serial")
    s = pd.read_parquet(report.folder / "summary.parquet")
    assert set(s["year"]) == {2014, 2020, 2025}
    assert set(s["column"]) == {c for c, _, _ in KEY_FIGURES}
    assert len(s) == 2 * 3 * len(KEY_FIGURES)
    runs = read_runs(report.folder)
    v = runs.loc[(runs["point"] == 1) & (runs["year"] == 2020), "trade_russia_usd"].to_numpy()
    row = s[(s["point"] == 1) & (s["year"] == 2020) & (s["column"] == "trade_russia_usd")].iloc[0]
    np.testing.assert_allclose([row["p05"], row["median"], row["p95"]],
                               np.percentile(v, [5, 50, 95]))
    assert row["replications"] == 5
    assert (s["p05"] <= s["median"]).all() and (s["median"] <= s["p95"]).all()


def test_a_complete_sweeps_summary_equals_the_group_by_group_one(tmp_path, monkeypatch):
    """A complete sweep's summary is computed a column at a time over all points (fast);
    it must equal, to the bit and in row order, the group-by-group table an incomplete
    sweep gets."""
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=4, horizon=2022))
    report = run_sweep(exp, tmp_path / "out", executor="serial")
    fast = sweep_mod.summarise(report.folder, exp)
    # summary.parquet, written a block at a time, and the report's summary are that table
    pd.testing.assert_frame_equal(pd.read_parquet(report.folder / "summary.parquet"), fast,
                                  check_exact=True)
    pd.testing.assert_frame_equal(report.summary, fast, check_exact=True)
    monkeypatch.setattr(sweep_mod, "_summary_by_blocks", lambda df, cols: None)
    pd.testing.assert_frame_equal(fast, sweep_mod.summarise(report.folder, exp), check_exact=True)


def test_the_summary_read_a_block_of_points_at_a_time_is_the_same(tmp_path, monkeypatch):
    """The summary reads a few points at a time so that the driver's memory stays flat; the
    blocks (one point, a few, all) never change a number, whatever parts the runs are in."""
    exp = load_experiment(small_experiment(tmp_path, points=5, replications=3, horizon=2022))
    report = run_sweep(exp, tmp_path / "out", executor="serial", task_runs=2)
    assert len(SweepStore(report.folder).status_files()) > 2
    # points split over tasks: the summary kept as the runs came in is the one read back
    pd.testing.assert_frame_equal(report.summary, sweep_mod.summarise(report.folder, exp),
                                  check_exact=True)
    whole = sweep_mod.summarise(report.folder, exp, also=(2000,))
    assert len(whole) == 5 * 4 * len(KEY_FIGURES)
    runs = read_runs(report.folder)  # every run read at once, as the summary did before
    for (point, year), grp in runs[runs["year"].isin([2000, 2014, 2020, 2022])].groupby(
            ["point", "year"]):
        got = whole[(whole["point"] == point) & (whole["year"] == year)]
        for col, _, _ in KEY_FIGURES:
            row = got[got["column"] == col].iloc[0]
            assert [row["p05"], row["median"], row["p95"]] == list(
                np.percentile(grp[col].to_numpy(dtype=float), [5, 50, 95]))
    per_point = 3 * 4 * (len(KEY_FIGURES) + 3)
    for values in (1, 2 * per_point, 3 * per_point):  # blocks of 1, 2 and 3 points
        monkeypatch.setattr(sweep_mod, "SUMMARY_VALUES", values)
        pd.testing.assert_frame_equal(sweep_mod.summarise(report.folder, exp, also=(2000,)),
                                      whole)


def test_the_summary_is_written_as_the_sweep_goes_and_holds_a_few_blocks(tmp_path, monkeypatch):
    """Finished blocks of points leave the driver as the sweep goes, so what it holds of the
    summary does not grow with the sweep; the file is the one read back from the runs."""
    exp = load_experiment(small_experiment(tmp_path, points=20, replications=2, horizon=2021))
    monkeypatch.setattr(sweep_mod, "SUMMARY_BLOCK", 2)
    held = []
    add = sweep_mod.SummaryTally.add

    def counting(self, results):
        add(self, results)
        held.append(len(self.held))

    monkeypatch.setattr(sweep_mod.SummaryTally, "add", counting)
    report = run_sweep(exp, tmp_path / "out", executor="serial", task_runs=2)
    # 10 blocks of 2 points; a task is a point (the serial executor runs one at a time)
    assert len(held) == 20 and max(held) <= 4
    assert not list(report.folder.glob(".summary*"))
    assert len(pq.ParquetFile(report.folder / "summary.parquet").metadata.to_dict()
               ["row_groups"]) == 10
    pd.testing.assert_frame_equal(report.summary, sweep_mod.summarise(report.folder, exp),
                                  check_exact=True)


def test_a_lost_tasks_points_are_summarised_from_the_runs_that_finished(tmp_path, monkeypatch):
    """A task lost with its worker leaves its points part-run; the summary kept as the runs
    came in holds what was committed of them, as reading the runs back does."""
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=3, horizon=2022))
    real = sweep_mod.run_units

    def losing(units, calibration):
        if any(u.point == 1 and 0 in u.replications for u in units):
            raise RuntimeError("worker lost")
        return real(units, calibration)

    monkeypatch.setattr(sweep_mod, "run_units", losing)
    report = run_sweep(exp, tmp_path / "out", executor="serial", task_runs=2)
    assert report.missing == 2  # point 0's third run and point 1's first, in one task
    summary = report.summary
    assert set(summary.loc[summary["point"] == 0, "replications"]) == {2}
    assert set(summary.loc[summary["point"] == 1, "replications"]) == {2}
    pd.testing.assert_frame_equal(summary, sweep_mod.summarise(report.folder, exp),
                                  check_exact=True)


def test_resume_refuses_a_different_experiment(tmp_path):
    from model.errors import HedgesimError

    report = run_sweep(small_experiment(tmp_path, points=2, replications=1),
                       tmp_path / "out", executor="serial")
    other = load_experiment(small_experiment(tmp_path, points=3, replications=1))
    with pytest.raises(HedgesimError, match="same design"):
        run_sweep(other, report.folder, executor="serial", resume=True)


def _cli(*args):
    return [sys.executable, "cli.py", "sweep", *map(str, args)]


def _wait_for_parts(folder_root, timeout=60.0):
    """The sweep folder once a part is committed (its commit record, written last, exists)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(folder_root.glob("*/*/commits/part-*.json"))
        if found:
            return found[0].parents[1]
        time.sleep(0.05)
    raise AssertionError("the sweep wrote no part within the timeout")


def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    exp_file = small_experiment(tmp_path, points=60, replications=4, firms=10000)
    exp = load_experiment(exp_file)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(exp_file, "--executor", "serial", "--out", out), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        folder = _wait_for_parts(out)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done_before = (read_status(folder)["status"] == "ok").sum()
    assert 0 < done_before < exp.total_runs, "the kill must land part-way"
    assert json.loads((folder / "manifest.json").read_text())["state"] == "running"

    resumed = subprocess.run(_cli(exp_file, "--executor", "local", "--workers", "2", "--resume",
                                  "--out", folder), cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    status = read_status(folder)
    assert len(status) == exp.total_runs and (status["status"] == "ok").all()
    # the resume ran only what was missing: one status row per run over all parts
    store = SweepStore(folder)
    attempts = sum(len(pd.read_parquet(f)) for f in store.status_files())
    assert attempts == exp.total_runs
    assert not [p for p in folder.rglob(".*") if p.is_file()]

    clean = run_sweep(exp, tmp_path / "clean", executor="serial")
    pd.testing.assert_frame_equal(read_runs(folder), read_runs(clean.folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["state"] == "complete"
    assert [s["state"] for s in manifest["sessions"]] == ["killed", "complete"]
    assert [s["executor"] for s in manifest["sessions"]] == ["serial", "local"]
    assert manifest["runs"]["ok"] == exp.total_runs


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    exp_file = small_experiment(tmp_path, points=300, replications=4, firms=10000)
    out = tmp_path / "out"
    # A user's Ctrl-C reaches a foreground process; a test run from a background job inherits
    # SIGINT ignored (and Python then keeps ignoring it), so give the sweep the terminal default.
    proc = subprocess.Popen(_cli(exp_file, "--executor", "local", "--workers", "2", "--out", out),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    folder = _wait_for_parts(out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume --out" in err and str(folder) in err
    assert "Traceback" not in err
    m = json.loads((folder / "manifest.json").read_text())
    assert m["state"] == "interrupted" and 0 < m["runs"]["ok"] < m["runs"]["total"]


def test_results_stream_to_disk_with_flat_memory(tmp_path, monkeypatch):
    """A stub model makes runs instant; peak Python memory must not grow with the sweep."""
    rows = 2020 - 1988 + 1

    def instant(inputs, seed):
        return np.full((rows, len(OUTPUTS)), float(seed % 1000))

    def instant_batch(members, seeds):
        return np.stack([instant(m, s) for m, s in zip(members, seeds, strict=True)])

    monkeypatch.setattr(sweep_mod, "simulate", instant)
    monkeypatch.setattr(sweep_mod, "simulate_batch", instant_batch)
    peaks, parts = [], []
    for reps in (100, 800):
        exp = load_experiment(small_experiment(tmp_path, points=4, replications=reps))
        tracemalloc.start()
        # tasks of a fixed size (the default grows with the sweep up to TASK_RUNS), so that
        # what is held depends on the store's committing alone
        report = run_sweep(exp, tmp_path / f"out{reps}", executor="serial", task_runs=16)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.ok == 4 * reps
        parts.append(len(SweepStore(report.folder).status_files()))
    one_run_bytes = rows * len(OUTPUTS) * 8
    assert parts[1] == 4 * 800 // 16  # committed task by task, not at the end
    # 2,800 more runs may add their bookkeeping (done set, the summary's values of a point:
    # 1-2 MB here), never a share of their outputs (62 MB)
    extra = 4 * (800 - 100) * one_run_bytes
    assert peaks[1] - peaks[0] < 0.05 * extra, peaks
    assert peaks[1] < 0.2 * 4 * 800 * one_run_bytes, "results were held in memory"


def _descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_kill_9_of_a_sweep_leaves_no_worker_behind(tmp_path):
    """A SIGKILL'd sweep cannot shut its pool down; its workers notice and exit on their own."""
    exp_file = small_experiment(tmp_path, points=300, replications=4, firms=10000)
    proc = subprocess.Popen(_cli(exp_file, "--executor", "local", "--workers", "2", "--out",
                                 tmp_path / "out"), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_for_parts(tmp_path / "out")
    under = _descendants(proc.pid)
    assert under, "the sweep started no worker process"
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in under):
        time.sleep(0.2)
    left = [p for p in under if Path(f"/proc/{p}/stat").exists()
            and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not left, f"processes left after kill -9: {left}"


def test_the_drivers_seed_rule_is_the_runners():
    """The driver hands out seeds without importing the model; they are the runner's seeds."""
    from model import runner, seeds

    assert runner.run_seed is seeds.run_seed  # one rule, not two copies
    # and the rule itself: SeedSequence of (base, *identity), first word, 63 bits
    assert seeds.run_seed(11, 3, 9) == int(
        np.random.SeedSequence([11, 3, 9]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _fresh_python(lines: list[str], timeout: float = 120) -> str:
    """What a fresh interpreter in the checkout prints running ``lines`` (Mesa not imported)."""
    return subprocess.run([sys.executable, "-c", "\n".join(lines)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=True).stdout


def test_a_sweeps_driver_does_not_import_the_model():
    """Mesa, SciPy and NetworkX load in the workers only: half a second of every sweep's
    start-up on the cores the workers need for their own imports."""
    stdout = _fresh_python([
        "import sys, cli, model.experiments.sweep, model.experiments.budget, "
        "model.experiments.history, model.ensemble",
        "print(sorted(m for m in ('mesa', 'model.world', 'model.runner', 'scipy', 'networkx') "
        "if m in sys.modules))"])
    assert stdout.strip() == "[]", stdout


def test_the_sweep_commands_driver_runs_a_sweep_without_the_model(tmp_path):
    """The same through the command (cli.entry) and a whole local sweep: the driver never
    imports Mesa or the model; a serial sweep, which runs the model in the driver, imports
    Mesa's core only."""
    exp = small_experiment(tmp_path, points=2, replications=2, horizon=2015)
    said = ("'after:', sorted(m for m in ('mesa', 'model.world', 'scipy', 'networkx') "
            "if m in sys.modules), 'mesa.batchrunner' in sys.modules")
    for executor, after in (("local", "after: [] False"),
                            ("serial", "after: ['mesa', 'model.world'] False")):
        out = hedgesim_probed(said, "sweep", exp, "-e", executor, "-w", "2", "--out",
                              tmp_path / executor)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == after, (executor, out.stdout)


def test_the_sweep_command_imports_pandas_only_once_its_runs_are_under_way(tmp_path):
    """pandas (0.2 s to import) is for the summary at the end: the command's driver takes it in
    a thread once the folder is ready and the workers about to start, not before; the summary
    still comes out."""
    exp = small_experiment(tmp_path, points=2, replications=2, horizon=2015)
    out = hedgesim_probed("'pandas already:', seen", "sweep", exp, "--out", tmp_path / "out",
                          before="later = cli._import_beside; seen = []; cli._import_beside = "
                                 "lambda name: (seen.append(name in sys.modules), later(name)); ")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "pandas already: [False]", out.stdout
    assert "DPRK-Russia trade" in out.stdout


def test_the_workers_import_only_the_parts_of_mesa_the_model_uses():
    """The local executor's workers skip Mesa's package __init__ (its batch runner, data
    collector and spaces: half a second of every local sweep's start-up, on its critical
    path); the model still gets Mesa's own Model and Agent. In a fresh process: a fork server
    another test started without the preload would leave the workers importing Mesa whole."""
    in_worker = ("(__import__('mesa'), __import__('mesa.model'), __import__('model.world'), "
                 "__import__('model.states'), __import__('sys'))[-1]")
    expr = ("(lambda sys: (lambda mesa: ['mesa.batchrunner' in sys.modules, "
            "'model.experiments.worker_imports' in sys.modules, "
            "sorted(m for m in ('networkx', 'scipy.spatial', 'mesa.space') if m in sys.modules), "
            "mesa.Model is sys.modules['mesa.model'].Model, "
            "issubclass(sys.modules['model.world'].World, mesa.Model), "
            "issubclass(sys.modules['model.states'].DPRK, mesa.Agent)])(sys.modules['mesa']))"
            f"({in_worker})")
    stdout = _fresh_python([
        "from model.experiments.executors import make_executor",
        "if __name__ == '__main__':",
        "    with make_executor('local', 1) as (ex, _):",
        f"        print(ex.submit(eval, {expr!r}).result(timeout=120))",
    ], timeout=180)
    assert stdout.strip() == "[False, True, [], True, True, True]", stdout


def test_a_local_sweeps_workers_run_their_tasks_without_pandas(tmp_path):
    """pandas was half of the workers' imports (0.2 of 0.43 s with Mesa 3.3), which every fresh
    sweep waits on, and they never use it: they run the model and encode their runs with Arrow.
    In a fresh process, as the worker test above."""
    brought = _fresh_python(["import sys", "from model.mesacore import import_mesa_core",
                             "import_mesa_core()", "print('pandas' in sys.modules)"])
    if brought.strip() == "True":
        pytest.skip("this Mesa's own core imports pandas (Mesa 3.5's mesa.agent)")
    exp = small_experiment(tmp_path, points=2, replications=2, horizon=2015)
    probe = ("(__import__('model.experiments.sweep', fromlist=['run_task']).run_task(units, cal)"
             ".ok, sorted(m for m in ('pandas', 'pyarrow.compute', 'pyarrow.dataset') "
             "if m in __import__('sys').modules))")
    stdout = _fresh_python([
        "from model.ensemble import load_calibration",
        "from model.experiments import sweep",
        "from model.experiments.design import load_experiment",
        "from model.experiments.executors import make_executor",
        "if __name__ == '__main__':",
        f"    exp = load_experiment({str(exp)!r})",
        "    cal = load_calibration()",
        "    units = next(sweep._tasks(exp, set(), 4, cal))",
        "    with make_executor('local', 1) as (ex, _):",
        f"        print(ex.submit(eval, {probe!r}, {{'units': units, 'cal': cal}})"
        ".result(timeout=120))",
    ], timeout=180)
    assert stdout.strip() == "(4, [])", stdout


def test_the_stores_tables_built_without_pandas_are_arrows_own(tmp_path):
    """arrow_table builds the workers' tables from Arrow's buffers (pa.array imports pandas):
    the same tables as pa.Table.from_pydict, strings missing, empty or not ASCII included."""
    import pyarrow as pa

    from model.experiments.store import RUNS_SCHEMA, STATUS_SCHEMA, EncodedRuns, arrow_table

    status = {"point": [0, 0, 1], "replication": [0, 1, 0], "seed": [1, 2**64 - 1, 3],
              "draw": [-1, 5, 7], "status": ["ok", "error", "ok"],
              "error": [None, "ValueError: é — ∞", ""], "seconds": [0.5, 1.0, 0.25],
              "pid": [11, 12, 13]}
    for columns in (status, {name: [] for name in STATUS_SCHEMA.names}):
        built = arrow_table(columns, STATUS_SCHEMA)
        assert built.equals(pa.Table.from_pydict(columns, schema=STATUS_SCHEMA))
    rng = np.random.default_rng(1)
    runs = {name: rng.integers(0, 9, 6).astype(np.int64) for name in RUNS_SCHEMA.names[:5]}
    runs.update({name: rng.normal(size=6) for name in RUNS_SCHEMA.names[5:]})
    runs[RUNS_SCHEMA.names[5]][2] = np.nan  # outputs hold NaN (not nulls): Parquet alike
    assert (EncodedRuns.of(arrow_table(runs, RUNS_SCHEMA)).data == EncodedRuns.of(
        pa.Table.from_pydict({k: list(v) for k, v in runs.items()}, schema=RUNS_SCHEMA)).data)
    # what a type cannot hold exactly is refused, as from_pydict refuses it, not cast
    for column, bad in (("point", np.array([2**31, 0, 0])), ("seed", np.array([-1, 0, 0])),
                        ("draw", [0.5, 1, 2]), ("draw", np.array([np.nan, 1, 2])),
                        ("seconds", [None, 1.0, 2.0]), ("point", [2**31, 0, 0])):
        with pytest.raises(ValueError, match=f"^{column}: expected a column of"):
            arrow_table({**status, column: bad}, STATUS_SCHEMA)


def test_a_module_imported_on_first_use_is_imported_by_its_first_use_alone():
    """The workers' modules hold pandas this way: probing, copying or pickling the holder
    imports nothing (and does not recurse), asking it for anything imports the module."""
    import copy
    import pickle

    from model.common import OnFirstUse

    stdout = _fresh_python([
        "import copy, pickle, sys",
        "from model.common import OnFirstUse",
        "held = OnFirstUse('fractions')",
        "print(hasattr(held, '__wrapped__'), repr(copy.deepcopy(held)), "
        "repr(pickle.loads(pickle.dumps(held))), 'fractions' in sys.modules)",
        "print(held.Fraction(1, 3), 'fractions' in sys.modules)"])
    assert stdout.splitlines() == [
        "False <fractions, imported on first use> <fractions, imported on first use> False",
        "1/3 True"], stdout
    assert copy.copy(OnFirstUse("json")).dumps([1]) == "[1]"
    assert pickle.loads(pickle.dumps(OnFirstUse("json"))).loads("2") == 2


@pytest.mark.parametrize("fails_at", ["finding mesa.experimental", "trying the classes"])
def test_where_mesas_core_cannot_be_imported_alone_mesa_is_imported_whole(fails_at):
    """A Mesa whose mesa.model needs its package initialised, or whose classes need more of it
    at run time: nothing half-imported is left, and the model is built on the whole package."""
    if fails_at == "finding mesa.experimental":
        inject = ["find = importlib.util.find_spec",
                  "importlib.util.find_spec = lambda n, *a: "
                  "None if n == 'mesa.experimental' else find(n, *a)"]
        undo = ["importlib.util.find_spec = find"]
    else:
        inject = ["def fail(*a): raise AttributeError('needs the whole package')",
                  "mesacore._try = fail"]
        undo = []
    stdout = _fresh_python([
        "import importlib.util, sys",
        "from model import mesacore",
        *inject,
        "done = mesacore.import_mesa_core()",
        "left = [m for m in sys.modules if m.split('.')[0] == 'mesa']",
        *undo,
        "import mesa, mesa.agent, mesa.model, model.states, model.world",
        "print(done, left, 'mesa.batchrunner' in sys.modules, mesa.Model is mesa.model.Model,",
        "      issubclass(model.world.World, mesa.Model), issubclass(model.states.DPRK, mesa.Agent))",
    ])
    assert stdout.split() == ["False", "[]", "True", "True", "True", "True"], stdout


def test_asking_mesas_core_for_the_rest_of_mesa_imports_it():
    """A process that imported only Mesa's core (a user's own worker forked from a sweep's fork
    server) still gets the rest of Mesa when it asks, and the same Model class."""
    stdout = _fresh_python([
        "import sys",
        "from model.mesacore import import_mesa_core",
        "done = import_mesa_core()",
        "core = 'mesa.batchrunner' not in sys.modules",
        "import mesa, mesa.model",
        "model = mesa.Model",
        "from mesa import DataCollector, batch_run",
        "import mesa.datacollection",
        "print(done, core, DataCollector is mesa.datacollection.DataCollector,",
        "      mesa.Model is model is mesa.model.Model, callable(batch_run),",
        "      isinstance(mesa.__version__, str))",
    ])
    assert stdout.split() == ["True"] * 6, stdout


def test_the_rest_of_mesa_imported_on_demand_behaves_as_an_import():
    """Threads asking at once all get their answer (none finds the package half-done); an
    __init__ that fails raises the real error each time it is asked, until it can succeed."""
    stdout = _fresh_python([
        "import sys, threading",
        "from model.mesacore import import_mesa_core",
        "assert import_mesa_core()",
        "import mesa, mesa.experimental",
        "sys.modules['mesa.batchrunner'] = None  # an __init__ that cannot finish",
        "errors = []",
        "for _ in range(2):",
        "    try:",
        "        mesa.DataCollector",
        "    except ImportError as exc:",
        "        errors.append(type(exc).__name__)",
        "del sys.modules['mesa.batchrunner']",
        "got = []",
        "def ask(f):",
        "    try:",
        "        got.append(f() is not None)",
        "    except Exception as exc:",
        "        got.append(repr(exc))",
        "asks = [lambda: mesa.DataCollector, lambda: mesa.experimental.devs,",
        "        lambda: __import__('mesa').batch_run, lambda: mesa.space]",
        "threads = [threading.Thread(target=ask, args=(f,)) for f in asks]",
        "for t in threads:",
        "    t.start()",
        "for t in threads:",
        "    t.join()",
        "print(errors, sorted(map(str, got)), '__getattr__' in vars(mesa))",
    ])
    assert stdout.strip() == ("['ModuleNotFoundError', 'ModuleNotFoundError'] "
                              "['True', 'True', 'True', 'True'] False"), stdout
