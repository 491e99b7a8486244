"""Sweep benchmark: throughput, parallel efficiency, peak memory, and mesa.batch_run.

    python benchmarks/sweep.py            # the full figures (several minutes)
    python benchmarks/sweep.py --quick    # smaller sweeps, same measurements

Prints runs per second with 1 and 2 workers (local processes, wall time of
the whole sweep including starting workers and writing Parquet), the parallel
efficiency, the peak resident memory of a sweep of 1,000 and 10,000 runs
(each in a fresh process: the driver, and the driver with its workers
sampled from /proc), and the same
design through ``mesa.batch_run`` with an adapter model that wraps
``model.world.World`` with a Mesa DataCollector, as a throughput ratio.

Goals from issue 4: >= 2x the throughput of mesa.batch_run, parallel
efficiency >= 85% on 2 cores, peak memory within 20% between 1,000 and
10,000 runs.
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
    return float(model.rows[-1][column])


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sweeps (about a minute)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child-memory", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_memory:
        child_memory(args.child_memory, args.workers)
        return

    load0 = os.getloadavg()[0]
    rate_runs = 200 if args.quick else 1000
    mem_small, mem_large = (200, 2000) if args.quick else (1000, 10000)
    print(f"hedgesim sweep benchmark: baseline scenario 1988-2035, {REPLICATIONS} replications "
          f"per point, mesa {mesa.__version__}, {'quick' if args.quick else 'full'}")
    with tempfile.TemporaryDirectory() as tmp:
        r1 = bench_sweep(rate_runs, 1, Path(tmp) / "w1")
        r2 = bench_sweep(rate_runs, args.workers, Path(tmp) / "w2")
    eff = r2 / (args.workers * r1)
    print(f"throughput, {rate_runs} runs:   1 worker {r1:7.1f} runs/s   "
          f"{args.workers} workers {r2:7.1f} runs/s   parallel efficiency {eff:.0%}")

    mb = bench_batch_run(rate_runs, args.workers)
    print(f"mesa.batch_run, same design: {args.workers} processes {mb:7.1f} runs/s   "
          f"sweep / batch_run = {r2 / mb:.2f}x")

    small = measure_memory(mem_small, args.workers)
    large = measure_memory(mem_large, args.workers)
    for m in (small, large):
        print(f"peak memory, {m['runs']:>6} runs: driver {m['driver_mb']:6.1f} MB   driver + "
              f"workers {m['tree_mb']:6.1f} MB   ({m['rate']:.1f} runs/s)")
    growth = large["driver_mb"] / small["driver_mb"] - 1
    tgrowth = large["tree_mb"] / small["tree_mb"] - 1
    print(f"peak memory growth {mem_small} -> {mem_large} runs: driver {growth:+.0%}, "
          f"driver + workers {tgrowth:+.0%}")
    print(f"load average before/after (other processes share these cores): "
          f"{load0:.2f} / {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
