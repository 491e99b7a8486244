"""Sweep benchmark: throughput, parallel efficiency, start-up, peak memory, EMA Workbench and
mesa.batch_run on the same design.

    python benchmarks/sweep.py                 # 1,000 and 10,000 runs (several minutes)
    python benchmarks/sweep.py --quick         # 200 and 2,000 runs, same measurements
    python benchmarks/sweep.py --sizes 1000,10000,100000 --only memory   # peak memory alone

Prints, from one run of this script:

- one model run of the same inputs alone (compile a posterior member's inputs, run);
- runs per second with 1 and 2 workers (local processes, wall time of the whole sweep
  including starting workers and writing Parquet) at both sizes, in this process, and the
  parallel efficiency (runs/s on 2 workers over 2 x runs/s on 1): the sweep's fixed work
  (reading the calibration, the manifest, the summary) and the driver's Parquet writing
  share the two cores with the workers, so it is lower for the smaller sweep;
- a sweep whose runs differ in cost: a resolution check, 10 replications of 300, 10,000 and
  100,000 firms (30 runs, about 3, 16 and 150 ms each in batches of 10), its wall time and the busiest worker's share of
  the run time (50% is an even split; tasks are cut by what their runs cost);
- a Sobol sample over 60 of the registry's uncertain parameters (their registry ranges,
  ``firms.russia_share`` among them), 2 replications a point (the issue's sensitivity
  analysis, smaller): runs/s, beside the 10-replication design's;
- each sweep size once more in a fresh process (as ``hedgesim sweep`` would start: nothing
  imported or forked yet): runs/s of ``run_sweep`` and of the whole process (start to exit),
  and peak resident memory of the driver and of the driver with its workers (sampled from
  /proc), with the growth between the sizes;
- the fixed start-up: ``hedgesim sweep`` of 20 runs from command to exit (median of 5), the
  driver's CPU time, and where the time goes (imports, experiment and posterior, folder,
  workers' first result, summary and manifest, exit);
- EMA Workbench, what analysts would otherwise use, where it is importable (it needs Python
  3.12; not a dependency of hedgesim): the same model function (``model.runner.simulate`` on
  compiled inputs, two time-series outcomes kept in memory) in an EMA ``Model`` with the
  ``MultiprocessingEvaluator`` on as many processes and the same design, in a fresh process
  at each size, beside the sweep's figures as a ratio;
- the same design through ``mesa.batch_run`` with an adapter model that wraps
  ``model.world.World`` with a Mesa DataCollector;
- what else the machine was doing.

Each design point is a Russian subsidy rate on the baseline with 10 replications, each
drawing its own posterior member (as every sweep does). To include EMA Workbench::

    python3.12 -m venv .venv312 && .venv312/bin/pip install -e . ema_workbench
    .venv312/bin/python benchmarks/sweep.py

Goals from issues 4 and 15: >= 2,000 runs/s on 2 cores at 1,000 and at 10,000 runs, 5x EMA
Workbench or more, parallel efficiency >= 85%, peak memory within 20% between the sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Nothing of hedgesim is imported here: the memory and start-up children measure the driver as
# ``hedgesim sweep`` runs it (the model, Mesa and EMA are imported where they are used).

REPLICATIONS = 10
SEED = 2024
REPORTED = ("trade_china_usd", "trade_russia_usd", "china_share", "support_russia_usd")


@functools.lru_cache(maxsize=4)
def experiment(runs: int):
    """``runs / 10`` subsidy rates on the baseline, 10 replications each."""
    from model.experiments.design import from_spec
    from model.scenario import load

    points = max(1, runs // REPLICATIONS)
    spec = {"replications": REPLICATIONS, "seed": SEED,
            "vary": {"russia.trade_subsidy_rate": {"from": 0.0, "to": 0.4, "n": points}}}
    return from_spec(spec, [load(ROOT / "scenarios" / "baseline.yaml")], "<benchmark>",
                     f"bench{runs}")


def bench_sweep(runs: int, workers: int, out: Path) -> float:
    from model.experiments.sweep import run_sweep

    exp = experiment(runs)
    start = time.perf_counter()
    report = run_sweep(exp, out, executor="local", workers=workers)
    wall = time.perf_counter() - start
    assert report.complete, report
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
    """Run one sweep in this fresh process; print runs/s and peak RSS (MB) of the driver and of
    the driver with its workers."""
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
    model = sorted(m for m in ("mesa", "model.world", "scipy") if m in sys.modules)
    driver = _peak_rss_mb()
    print(json.dumps({"runs": runs, "driver_mb": driver, "tree_mb": peak[0], "rate": rate,
                      "driver_imported": model}))


def child_ema(runs: int, workers: int) -> None:
    """EMA Workbench on the design of ``runs`` runs in this fresh process; print its runs/s."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from rivals import bench_ema

    with contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM115 - its progress bar
        rate, version = bench_ema(runs, workers)
    print(json.dumps({"runs": runs, "rate": rate, "version": version}))


def _child(kind: str, runs: int, workers: int) -> dict:
    """Run ``--child KIND RUNS`` in a fresh interpreter; its JSON line, plus the whole
    process's wall time (interpreter start to exit) as ``process_s``."""
    # Output to files, not pipes: the workers' fork server and the resource tracker inherit
    # the child's stdout and close it only after the child has exited, and a pipe's reader
    # waits for them (0.1 s more than the command's own exit, which a terminal does not wait).
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        code = subprocess.run([sys.executable, __file__, "--child", kind, str(runs),
                               "--workers", str(workers)], stdout=out, stderr=err).returncode
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if code:
            raise RuntimeError(f"--child {kind} {runs} failed:\n{err.read()[-2000:]}")
        return {**json.loads(out.read().strip().splitlines()[-1]), "process_s": wall}


def ema_missing() -> str | None:
    """Why EMA Workbench cannot run in this interpreter, or None if it can."""
    if sys.version_info < (3, 12):
        return (f"it needs Python 3.12 (this is {sys.version.split()[0]}); see this script's "
                "docstring for a .venv312 with ema_workbench")
    try:
        import ema_workbench  # noqa: F401
    except ImportError as exc:
        return f"ema_workbench is not importable here ({exc}): pip install ema_workbench"
    return None


# ---------------------------------------------------------------- the fixed start-up
TINY = """name: tiny
scenario: {baseline}
replications: 10
seed: {seed}
vary:
  levers.russia.trade_subsidy_rate: [0.0, 0.2]
"""


def _tiny_command(folder: Path) -> list[str]:
    exp = folder / "tiny.yaml"
    exp.write_text(TINY.format(baseline=ROOT / "scenarios" / "baseline.yaml", seed=SEED))
    return ["sweep", str(exp), "--out", str(folder / "out"), "--workers", "2", "--yes"]


def child_startup(_runs: int, _workers: int) -> None:
    """``hedgesim sweep`` of 20 runs in this process, with the time each phase ended (seconds
    from interpreter start, through /proc) and the driver's CPU time and peak memory."""
    marks: dict[str, float] = {}
    boot = _process_start()

    def mark(what: str) -> None:
        marks.setdefault(what, time.time() - boot)

    import cli  # what the command imports before it starts: click and the CLI module

    mark("interpreter and cli")
    from model.experiments.executors import prestart

    prestart("local")  # as the command does first (it is then a no-op there)
    from model.experiments import sweep as sw

    mark("imports")

    class Session(sw._SweepSession):
        def __init__(self, *args, **kwargs):
            mark("experiment, posterior, folder")
            super().__init__(*args, **kwargs)

        def feed(self, ex, info, bar):
            mark("manifest, workers started")
            commit = self.commit

            def first(results):
                mark("workers' first result")
                commit(results)

            self.commit = first
            super().feed(ex, info, bar)
            mark("the other runs")

    real = sw._SweepSession
    sw._SweepSession = Session
    try:
        with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null, \
                contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
            cli.main(_tiny_command(Path(tmp)), prog_name="hedgesim", standalone_mode=False)
            mark("summary, manifest, output")
            gc.freeze()  # as cli.entry, the command, does before its exit
    finally:
        sw._SweepSession = real
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"marks": marks, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "rss_mb": _peak_rss_mb()}))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (MB): Linux's VmHWM, not ``ru_maxrss``, which a
    process started by a bigger one begins at its parent's size (the kernel keeps the
    high-water mark across exec): run after this script's in-process sweeps, a fresh child's
    ``ru_maxrss`` read 205 MB whatever it did, its VmHWM 141-144."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _process_start() -> float:
    """This process's start, as time.time() (Linux /proc)."""
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def startup(repeats: int = 5) -> dict:
    """Command to exit of ``hedgesim sweep`` of 20 runs (median of ``repeats`` fresh processes),
    and the phases of the median one."""
    walls, phases = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", "from cli import entry; entry()",
               *_tiny_command(Path(tmp))]
        for _ in range(repeats):
            start = time.perf_counter()  # output to nowhere, not a pipe (see _child)
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
        for _ in range(repeats):
            phases.append(_child("startup", 20, 2))
    median = sorted(phases, key=lambda p: p["process_s"])[len(phases) // 2]
    return {"wall": statistics.median(walls), "walls": walls, "phases": median}


def bench_uneven(workers: int, out: Path) -> tuple[float, float]:
    """A resolution check on ``workers`` workers, in this process: the sweep's wall time (s)
    and the busiest worker's share of the runs' own seconds (from the status table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from model.experiments.design import from_spec
    from model.experiments.sweep import run_sweep
    from model.scenario import load

    spec = {"replications": REPLICATIONS, "seed": SEED,
            "vary": {"firms.count": [300, 10_000, 100_000]}}
    exp = from_spec(spec, [load(ROOT / "scenarios" / "baseline.yaml")], "<benchmark>",
                    "resolution")
    start = time.perf_counter()
    report = run_sweep(exp, out, executor="local", workers=workers)
    wall = time.perf_counter() - start
    assert report.complete, report
    status = pa.concat_tables(pq.read_table(p) for p in sorted(
        (report.folder / "status").glob("*.parquet")))
    by_pid: dict[int, float] = {}
    for pid, sec in zip(status["pid"].to_pylist(), status["seconds"].to_pylist(), strict=True):
        by_pid[pid] = by_pid.get(pid, 0.0) + sec
    return wall, max(by_pid.values()) / sum(by_pid.values())


SOBOL_PARAMETERS = 60


def sobol_experiment(n: int = 64):
    """A Sobol sample (``n`` base samples) over the first SOBOL_PARAMETERS of the registry's
    uncertain parameters: constants with a range, firms.count (resolution) left out. They act
    from 1988, so the design declares a counterfactual history."""
    from model.experiments.design import from_spec
    from model.params import REGISTRY
    from model.scenario import load

    names = [name for name, p in REGISTRY.items()
             if not p.timeline and not p.integer and p.low is not None and p.high is not None
             and p.low < p.high and name != "firms.count"][:SOBOL_PARAMETERS]
    spec = {"replications": 2, "seed": SEED, "counterfactual_history": True,
            "sample": {"method": "sobol", "n": n, "ranges": dict.fromkeys(names)}}
    return from_spec(spec, [load(ROOT / "scenarios" / "baseline.yaml")], "<benchmark>",
                     "sobol")


def bench_sobol(workers: int, out: Path) -> tuple[int, float]:
    """The Sobol design on ``workers`` workers in this process: (runs, runs/s)."""
    from model.experiments.sweep import run_sweep

    exp = sobol_experiment()
    start = time.perf_counter()
    report = run_sweep(exp, out, executor="local", workers=workers)
    wall = time.perf_counter() - start
    assert report.complete, report
    return exp.total_runs, exp.total_runs / wall


def model_ms(runs: int = 40) -> float:
    """Median ms of one run of this design alone: a posterior member's inputs compiled, then
    the run (what a sweep worker does per replication), no store or processes."""
    import statistics

    from model.ensemble import load_calibration
    from model.runner import simulate
    from model.scenario import compile_inputs
    from model.seeds import run_seed

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
    ap.add_argument("--sizes", type=str, default=None,
                    help="comma-separated sweep sizes in runs (default 1000,10000; --quick "
                         "200,2000); the first is the one timed on 1 and 2 workers")
    ap.add_argument("--only", choices=["memory"], default=None,
                    help="memory: only the fresh-process sweeps (runs/s and peak memory)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, runs = args.child
        {"memory": child_memory, "ema": child_ema, "startup": child_startup}[kind](
            int(runs), args.workers)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import Machine

    machine = Machine()
    sizes = ([int(x) for x in args.sizes.split(",")] if args.sizes
             else [200, 2000] if args.quick else [1000, 10000])
    w = args.workers
    print(f"hedgesim sweep benchmark: baseline scenario 1988-2035, {REPLICATIONS} replications "
          f"per point (a posterior draw each), {w} workers, sizes {sizes}")
    if args.only is None:
        one = model_ms()
        print(f"one run alone (compile a member's inputs, run): {one:.2f} ms, "
              f"{1e3 / one:.0f} runs/s per core")
        with tempfile.TemporaryDirectory() as tmp:
            # a first small sweep warms this process (imports, the posterior, caches), so the
            # 1-worker sweep is not charged for them and the 2-worker one not spared
            bench_sweep(2 * REPLICATIONS, w, Path(tmp) / "warm")
            efficiency = []
            for n in sizes[:2]:
                r1 = bench_sweep(n, 1, Path(tmp) / f"w1-{n}")
                efficiency.append((n, r1, bench_sweep(n, w, Path(tmp) / f"w2-{n}")))
        for n, r1, rw in efficiency:
            print(f"throughput, {n} runs, this process: 1 worker {r1:7.1f} runs/s, {w} workers "
                  f"{rw:7.1f} runs/s; parallel efficiency {rw / (w * r1):.0%} (goal 85%)")
        r2 = efficiency[0][2]
        with tempfile.TemporaryDirectory() as tmp:
            runs, rate = bench_sobol(w, Path(tmp))
        print(f"Sobol sample over {SOBOL_PARAMETERS} parameters, 2 replications a point, {runs} "
              f"runs, this process: {w} workers {rate:7.1f} runs/s "
              f"({rate / efficiency[0][2]:.2f}x the {sizes[0]}-run sweep's)")
        with tempfile.TemporaryDirectory() as tmp:
            wall, busiest = bench_uneven(w, Path(tmp))
        print(f"uneven costs, {3 * REPLICATIONS} runs of 300, 10,000 and 100,000 firms, this "
              f"process: {w} workers {wall:.2f} s; the busiest worker ran {busiest:.0%} of the "
              f"runs' time ({1 / w:.0%} is an even share)")

    fresh = []
    for n in sizes:  # each printed as it finishes (a 100,000-run sweep takes minutes)
        fresh.append(m := _child("memory", n, w))
        print(f"fresh process, {m['runs']:>6} runs: run_sweep {m['rate']:7.1f} runs/s "
              f"({m['runs'] / m['rate']:.2f} s), start to exit {m['runs'] / m['process_s']:7.1f} "
              f"runs/s ({m['process_s']:.2f} s); peak memory: driver {m['driver_mb']:6.1f} MB, "
              f"driver + workers {m['tree_mb']:6.1f} MB"
              + (f" (the driver imported {', '.join(m['driver_imported'])})"
                 if m["driver_imported"] else ""), flush=True)
    base = fresh[0]
    for m in fresh[1:]:
        print(f"peak memory growth {base['runs']} -> {m['runs']} runs: driver "
              f"{m['driver_mb'] / base['driver_mb'] - 1:+.0%} (goal within 20%), driver + workers "
              f"{m['tree_mb'] / base['tree_mb'] - 1:+.0%}")
    small, large = fresh[0], fresh[-1]
    if len(fresh) > 1:  # what the sizes' wall times say a sweep of no runs would take
        per_run = (large["runs"] / large["rate"] - small["runs"] / small["rate"]) / (
            large["runs"] - small["runs"])
        fixed = small["runs"] / small["rate"] - per_run * small["runs"]
        print(f"from the sizes: a fixed {fixed:.2f} s of run_sweep, then {1 / per_run:.0f} runs/s")
    if args.only == "memory":
        print(machine.report())
        return

    s = startup()
    p = s["phases"]
    names, prev, parts = list(p["marks"]), 0.0, []
    for name in names:
        parts.append(f"{name} {p['marks'][name] - prev:.2f}")
        prev = p["marks"][name]
    parts.append(f"exit {p['process_s'] - prev:.2f}")
    print(f"start-up: `hedgesim sweep` of 20 runs, command to exit: median {s['wall']:.2f} s "
          f"of {len(s['walls'])} ({min(s['walls']):.2f}-{max(s['walls']):.2f}), "
          f"{s['wall'] / (20 * one / 1e3 / w):.0f}x the runs' own time on {w} cores")
    print(f"  where it goes (s, median of {len(s['walls'])} instrumented): {', '.join(parts)}; "
          f"driver CPU {p['cpu_s']:.2f} s, driver peak memory {p['rss_mb']:.0f} MB")

    missing = ema_missing()
    if missing:
        print(f"EMA Workbench: skipped, {missing}")
    else:
        for m in fresh:
            e = _child("ema", m["runs"], w)
            print(f"EMA Workbench {e['version']}, MultiprocessingEvaluator, {w} processes, "
                  f"{m['runs']} runs, fresh process: {e['rate']:7.1f} runs/s "
                  f"(start to exit {m['runs'] / e['process_s']:7.1f}); hedgesim sweep / EMA = "
                  f"{m['rate'] / e['rate']:.2f}x (start to exit "
                  f"{e['process_s'] / m['process_s']:.2f}x; goal 5x)")

    from rivals import bench_batch_run

    mb = bench_batch_run(sizes[0], w)
    print(f"mesa.batch_run, same design, {sizes[0]} runs: {w} processes {mb:7.1f} runs/s; "
          f"sweep / batch_run = {r2 / mb:.2f}x (both in this process)")
    print(machine.report())


if __name__ == "__main__":
    main()
