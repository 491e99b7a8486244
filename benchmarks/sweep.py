"""Sweep benchmark: throughput, parallel efficiency, peak memory, and mesa.batch_run.

    python benchmarks/sweep.py            # 1,000 and 10,000 runs (a few minutes)
    python benchmarks/sweep.py --quick    # 200 and 2,000 runs, same measurements

Prints, from one run of this script: runs per second with 1 and 2 workers
(local processes, wall time of the whole sweep including starting workers and
writing Parquet) on the smaller sweep, and the parallel efficiency; each
sweep size once more in a fresh process (as ``hedgesim sweep`` would start:
nothing imported or forked yet), with its peak resident memory (the driver,
and the driver with its workers sampled from /proc); the same design through
``mesa.batch_run`` with an adapter model that wraps ``model.world.World``
with a Mesa DataCollector; one model run of the same inputs alone; and every
figure as a ratio, with what else the machine was doing.

Each design point is a Russian subsidy rate on the baseline with 10
replications, each drawing its own posterior member (as every sweep does).
EMA Workbench is not run here (it needs Python 3.12 and is not installed);
issue 15 quotes it at 307-349 runs/s on this design.

Goals from issues 4 and 15: >= 2,000 runs/s on 2 cores at 1,000 and at 10,000
runs, parallel efficiency >= 85%, peak memory within 20% between the sizes.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402

from model.experiments.design import Experiment, from_spec  # noqa: E402
from model.runner import run_seed  # noqa: E402
from model.scenario import compile_inputs, load  # noqa: E402
from model.world import COLUMN, World  # noqa: E402

REPLICATIONS = 10
SEED = 2024
REPORTED = ("trade_china_usd", "trade_russia_usd", "china_share", "support_russia_usd")


@functools.lru_cache(maxsize=4)
def experiment(runs: int) -> Experiment:
    """``runs / 10`` subsidy rates on the baseline, 10 replications each."""
    points = max(1, runs // REPLICATIONS)
    spec = {"replications": REPLICATIONS, "seed": SEED,
            "vary": {"russia.trade_subsidy_rate": {"from": 0.0, "to": 0.4, "n": points}}}
    return from_spec(spec, [load(ROOT / "scenarios" / "baseline.yaml")], "<benchmark>",
                     f"bench{runs}")


class BatchRunWorld(World):
    """World for ``mesa.batch_run``: built from (point, replication), a DataCollector per step.

    Same design, seeds and inputs as the sweep; ``rng`` (which Mesa 3.5's
    batch_run passes) is ignored in favour of the run's own seed.
    """

    design_runs = 1000

    def __init__(self, point: int = 0, replication: int = 0, rng=None) -> None:
        exp = experiment(self.design_runs)
        inputs = compile_inputs(exp.scenario_for(point))
        super().__init__(inputs, rng=run_seed(exp.seed, point, replication))
        self.datacollector = mesa.DataCollector(model_reporters={
            name: functools.partial(_reporter, column=COLUMN[name]) for name in REPORTED})

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)
        if self.t >= len(self.years):
            self.running = False


def _reporter(model: World, column: int) -> float:
    """The output of the year just stepped (a World of one replication)."""
    return float(model.out[model.t - 1, column, 0])


def bench_sweep(runs: int, workers: int, out: Path) -> float:
    from model.experiments.sweep import run_sweep

    exp = experiment(runs)
    start = time.perf_counter()
    report = run_sweep(exp, out, executor="local", workers=workers)
    wall = time.perf_counter() - start
    assert report.complete, report
    return exp.total_runs / wall


def bench_batch_run(runs: int, workers: int) -> float:
    from mesa.batchrunner import batch_run

    BatchRunWorld.design_runs = runs
    exp = experiment(runs)
    params = {"point": range(exp.size), "replication": range(exp.replications)}
    kwargs = {"rng": [None]} if "rng" in inspect.signature(batch_run).parameters else {
        "iterations": 1}
    start = time.perf_counter()
    rows = batch_run(BatchRunWorld, params, number_processes=workers, max_steps=10_000,
                     data_collection_period=1, display_progress=False, **kwargs)
    wall = time.perf_counter() - start
    assert len(rows) >= exp.total_runs
    return exp.total_runs / wall


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants (Linux /proc), in MB."""
    parent, rss = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            parent[int(d.name)] = int(fields[1])
            rss[int(d.name)] = int(fields[21]) * resource.getpagesize()
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid, size in rss.items():
        p = pid
        while p > 1 and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += size
    return total / 2**20


def child_memory(runs: int, workers: int) -> None:
    """Run one sweep in this fresh process; print peak RSS (MB) of the driver and the tree."""
    import threading

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_mb(os.getpid()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        rate = bench_sweep(runs, workers, Path(tmp))
    stop.set()
    sampler.join()
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs": runs, "driver_mb": driver, "tree_mb": peak[0], "rate": rate}))


def measure_memory(runs: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-memory", str(runs),
                          "--workers", str(workers)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def model_ms(runs: int = 40) -> float:
    """Median ms of one run of this design alone: a posterior member's inputs compiled, then
    the run (what a sweep worker does per replication), no store or processes."""
    import statistics

    from model.ensemble import load_calibration
    from model.runner import simulate

    exp = experiment(1000)
    calibration = load_calibration()
    draws = calibration.draws(exp.seed, list(range(runs)))
    times = []
    for r, draw in enumerate(draws):
        start = time.perf_counter()
        simulate(compile_inputs(exp.scenario_for(r % exp.size), calibration.values(draw)),
                 run_seed(exp.seed, r % exp.size, r))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sweeps (about a minute)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child-memory", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        child_memory(args.child_memory, args.workers)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import Machine

    machine = Machine()
    small_runs, large_runs = (200, 2000) if args.quick else (1000, 10000)
    w = args.workers
    print(f"hedgesim sweep benchmark: baseline scenario 1988-2035, {REPLICATIONS} replications "
          f"per point (a posterior draw each), mesa {mesa.__version__}, "
          f"{'quick' if args.quick else 'full'}")
    one = model_ms()
    with tempfile.TemporaryDirectory() as tmp:
        r1 = bench_sweep(small_runs, 1, Path(tmp) / "w1")
        r2 = bench_sweep(small_runs, w, Path(tmp) / "w2")
    eff = r2 / (w * r1)
    print(f"one run alone (compile a member's inputs, run): {one:.2f} ms, "
          f"{1e3 / one:.0f} runs/s per core")
    print(f"throughput, {small_runs} runs, this process:   1 worker {r1:7.1f} runs/s   "
          f"{w} workers {r2:7.1f} runs/s   parallel efficiency {eff:.0%}   "
          f"{w} workers / run alone on {w} cores: {r2 / (w * 1e3 / one):.0%}")

    fresh = [measure_memory(n, w) for n in (small_runs, large_runs)]
    for m in fresh:
        print(f"fresh process, {m['runs']:>6} runs, {w} workers: {m['rate']:7.1f} runs/s "
              f"({m['runs'] / m['rate']:.2f} s, {w / m['rate'] * 1e3:.2f} ms per run per core, "
              f"{w / m['rate'] * 1e3 / one:.2f}x a run alone)   peak memory: driver "
              f"{m['driver_mb']:6.1f} MB, driver + workers {m['tree_mb']:6.1f} MB")
    small, large = fresh
    growth = large["driver_mb"] / small["driver_mb"] - 1
    tgrowth = large["tree_mb"] / small["tree_mb"] - 1
    # fixed start-up: what the two sizes' wall times say a sweep of no runs would take
    per_run = (large["runs"] / large["rate"] - small["runs"] / small["rate"]) / (
        large["runs"] - small["runs"])
    fixed = small["runs"] / small["rate"] - per_run * small["runs"]
    print(f"peak memory growth {small_runs} -> {large_runs} runs: driver {growth:+.0%}, "
          f"driver + workers {tgrowth:+.0%}; fixed start-up about {fixed:.2f} s, then "
          f"{1 / per_run:.0f} runs/s")

    mb = bench_batch_run(small_runs, w)
    print(f"mesa.batch_run, same design, {small_runs} runs: {w} processes {mb:7.1f} runs/s   "
          f"sweep / batch_run = {r2 / mb:.2f}x")
    print("EMA Workbench: not run (needs Python 3.12 and ema-workbench; issue 15 measured "
          "307-317 runs/s at 1,000 runs and 336-349 at 10,000 on this design)")
    print(machine.report())


if __name__ == "__main__":
    main()
