"""Speed of one model run against two floors doing the same firm arithmetic, and of a
calibration loss evaluation.

Prints, from one run of this script:

- the median wall time of one baseline run (1988-2035) at the default firm
  count, with 1,000 and 10,000 firms: alone (a batch of one) and amortised
  over a batch of replications (model.runner.BATCH_RUNS, as scenarios, sweeps
  and fits run them);
- the NumPy floor: a bare loop over the years with the same per-firm
  operations (margin, clip, volume, cohort sums and activity counts) as NumPy
  calls, and no Mesa, states, projects or bookkeeping;
- the compiled floor: the same arithmetic as one numba-compiled loop over
  years and firms (no NumPy call overhead), where numba is installed (it is
  not a dependency of hedgesim; ``pip install numba`` to print it). Both
  floors draw a run's random numbers as the model does (NumPy's generator:
  about 0.2 ms a run on a 2-core test machine, most of the compiled floor),
  and the script prints the compiled floor's draws and arithmetic apart;
- one calibration loss evaluation (``model.calibration.fit.Objective``: six
  replications of the 1988-2015 history and the band loss of the fit targets),
  alone and amortised over a generation of 40 parameter sets (how the fits
  evaluate them);
- every figure as a ratio to the floors, and what else the machine was doing.

"run" is a replication of already-compiled inputs, each with a new seed (what
run_scenario and the calibration do): what the model derives from the inputs
alone (Inputs.derived) is built once and shared. "first run" is a run on inputs
no run has used yet, so it pays for building those (what a sweep pays when each
replication draws its own posterior member). Run, first run and the floors are
timed in turn within each repeat, so load from other jobs hits all alike; the
machine should still be quiet for absolute figures.

Issue 15's goals: one run <= 0.5 ms amortised (about 6x the compiled floor),
linear in firms; a calibration loss evaluation <= 5 ms.

    python benchmarks/run_speed.py [--repeats 30] [--parts] [--batch]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import Machine  # noqa: E402

from model.firms import N_GROUPS  # noqa: E402
from model.runner import BATCH_RUNS, batches, simulate, simulate_batch  # noqa: E402
from model.scenario import Inputs, compile_inputs, load  # noqa: E402


def median_times(fns, repeats: int) -> list[float]:
    """Median wall time of each function, timed in turn within each repeat."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


def floor_data(n: int, years: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    group = np.arange(n) % N_GROUPS
    weight = rng.lognormal(0, 1, n)
    weight /= np.bincount(group, weights=weight, minlength=N_GROUPS)[group]
    aversion = rng.random(n)
    noise = rng.normal(0, 0.04, (years, n))
    margin = rng.random(N_GROUPS) * 0.3
    risk = np.full(N_GROUPS, 0.1)
    potential = np.full(N_GROUPS, 1e8)
    return group, weight, aversion, noise, margin, risk, potential


def numpy_floor(n: int, years: int, seed: int) -> None:
    """The firm arithmetic of one run as NumPy calls, and nothing else."""
    group, weight, aversion, noise, margin, risk, potential = floor_data(n, years, seed)
    bonus = np.zeros(n)
    for t in range(years):
        cohort = np.array((margin, risk, potential))[:, group]
        m = cohort[1] * aversion
        np.subtract(cohort[0], m, out=m)
        m += noise[t]
        m += bonus
        m *= 1 / 0.15
        np.maximum(m, 0.0, out=m)
        np.minimum(m, 1.0, out=m)
        volume = cohort[2] * weight
        volume *= m
        active = volume > 0
        bonus = active * 0.02
        np.bincount(group, weights=volume, minlength=N_GROUPS)
        np.bincount(group, weights=active, minlength=N_GROUPS)


def compiled_floor_fn():
    """The same arithmetic as one compiled loop (numba), or None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def kernel(group, weight, aversion, noise, margin, risk, potential):
        years, n = noise.shape
        bonus = np.zeros(n)
        sums = np.zeros(N_GROUPS)
        counts = np.zeros(N_GROUPS)
        out = 0.0
        for t in range(years):
            sums[:] = 0.0
            counts[:] = 0.0
            for i in range(n):
                g = group[i]
                m = (margin[g] - risk[g] * aversion[i] + noise[t, i] + bonus[i]) * (1 / 0.15)
                m = min(max(m, 0.0), 1.0)
                v = potential[g] * weight[i] * m
                bonus[i] = 0.02 if v > 0 else 0.0
                sums[g] += v
                counts[g] += 1.0 if v > 0 else 0.0
            out += sums[0] + counts[0]
        return out

    def run(n: int, years: int, seed: int) -> None:
        kernel(*floor_data(n, years, seed))

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--parts", action="store_true",
                    help="also split a batched baseline run into its parts (set-up and its "
                         "random draws, the firms' decisions, the rest of the year, outputs) "
                         "and time the firms' decisions compiled, where numba is installed")
    ap.add_argument("--batch", action="store_true",
                    help="also time the baseline at batch sizes 32 to 1,024 (why BATCH_RUNS is "
                         "what it is)")
    args = ap.parse_args()
    machine = Machine()
    sc = load("baseline")
    years = sc.horizon - 1988 + 1
    compiled = compiled_floor_fn()
    rows = []
    for n in (300, 1000, 10000):
        inputs = compile_inputs(sc.with_values(values={"firms.count": float(n)}))
        seed = iter(range(10**6))
        size = len(next(batches([inputs] * BATCH_RUNS)))  # the batch the runner would use

        def first_run(inputs=inputs, seed=seed):
            fresh = Inputs(inputs.years, inputs.params, inputs.strategy)  # nothing derived yet
            simulate(fresh, next(seed))

        def batch(inputs=inputs, seed=seed, size=size):
            simulate_batch([inputs] * size, [next(seed) for _ in range(size)])

        fns = [lambda inputs=inputs, seed=seed: simulate(inputs, next(seed)), first_run,
               batch, lambda n=n: numpy_floor(n, years, 1)]
        fns.append(lambda n=n: floor_data(n, years, 1))  # the floors' random draws alone
        if compiled is not None:
            fns.append(lambda n=n: compiled(n, years, 1))
        times = median_times(fns, max(5, args.repeats // (3 if n > 300 else 1)))
        rows.append((n, times[0], times[1], times[2] / size, size, times[3],
                     times[5] if compiled is not None else float("nan"), times[4]))

    from model.calibration.fit import DEFAULT_REPLICATIONS, Objective
    from model.ensemble import fitted_numbers
    from model.scenario import calibrated_values

    objective = Objective(DEFAULT_REPLICATIONS)
    x = fitted_numbers(calibrated_values(), objective.params)
    rng = np.random.default_rng(0)
    low = np.array([p.low for p in objective.params])
    high = np.array([p.high for p in objective.params])
    generation = rng.uniform(low, high, (40, len(low)))
    loss_time, generation_time = median_times(
        [lambda: objective(x), lambda: objective.losses(generation)], max(5, args.repeats // 3))

    print(f"one baseline run, 1988-{sc.horizon} ({years} steps), medians:")
    print(f"{'firms':>7} {'alone ms':>9} {'first ms':>9} {'batched ms':>11} {'batch':>6} "
          f"{'NumPy floor':>12} {'compiled':>9} {'batched/NumPy':>14} {'batched/compiled':>17} "
          f"{'NumPy/compiled':>15} {'us/firm/step':>13}")
    for n, run, first, batched, size, floor, comp, _ in rows:
        print(f"{n:>7} {run * 1e3:>9.2f} {first * 1e3:>9.2f} {batched * 1e3:>11.3f} {size:>6} "
              f"{floor * 1e3:>12.3f} {comp * 1e3:>9.3f} {batched / floor:>14.2f} "
              f"{batched / comp:>17.1f} {floor / comp:>15.1f} {batched / years / n * 1e6:>13.3f}")
    n, run, first, batched, size, floor, comp, draws = rows[0]
    if compiled is None:
        print("compiled floor: numba is not installed (pip install numba to print it)")
    else:
        # Both floors draw a run's random numbers (firm sizes, tolerances, a margin shock per
        # firm and year) as the model does: NumPy's generator, the same for any engine.
        print(f"of the compiled floor ({n} firms), drawing the random numbers takes "
              f"{draws * 1e3:.3f} ms and the arithmetic {(comp - draws) * 1e3:.3f} ms; the "
              f"batched run less its draws is {(batched - draws) / (comp - draws):.0f}x the "
              "compiled arithmetic")
    print(f"baseline ({n} firms): {batched * 1e3:.2f} ms a run amortised over a batch of {size} "
          f"(goal <= 0.5 ms), {batched / floor:.2f}x the NumPy floor, {batched / comp:.1f}x the "
          f"compiled floor (goal about 6x); alone {run * 1e3:.2f} ms; a first run on fresh "
          f"inputs {first * 1e3:.2f} ms")
    slope = (rows[2][3] - rows[1][3]) / (rows[2][0] - rows[1][0]) / years * 1e6
    print(f"marginal cost per firm-year between 1,000 and 10,000 firms (batched): {slope:.3f} us")
    print(f"calibration loss evaluation ({DEFAULT_REPLICATIONS} replications, 1988-2015): "
          f"{loss_time * 1e3:.1f} ms alone, {generation_time / len(generation) * 1e3:.1f} ms "
          f"amortised over a generation of {len(generation)} sets (goal <= 5 ms), "
          f"{generation_time / len(generation) / batched:.1f}x one batched 1988-{sc.horizon} run")
    if args.parts:
        parts(compile_inputs(sc), max(3, args.repeats // 5))
    if args.batch:
        batch_curve(compile_inputs(sc), max(3, args.repeats // 5))
    print(machine.report())


def parts(inputs: Inputs, repeats: int) -> tuple[float, list[tuple[str, float]]]:
    """Where a batched baseline run's time goes, and what compiling the firms' decisions
    (FirmPopulation.decide, the one step over every firm every year) would save. Returns ms
    a run and each part's ms a run."""
    import collections

    import model.firms as firms
    import model.world as world

    spent: collections.Counter = collections.Counter()
    originals = {}

    def timed(cls, name, label):
        original = originals[cls, name] = getattr(cls, name)

        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[label] += time.perf_counter() - start
        setattr(cls, name, wrapper)

    size = len(next(batches([inputs] * BATCH_RUNS)))
    timed(world.World, "__init__", "set-up")
    timed(firms.FirmPopulation, "__init__", "firms' set-up and draws")
    timed(world.World, "step", "year")
    timed(firms.FirmPopulation, "decide", "firms' decisions")
    timed(world.World, "outputs", "outputs")
    try:
        simulate_batch([inputs] * size, list(range(size)))
        spent.clear()
        start = time.perf_counter()
        for k in range(repeats):
            simulate_batch([inputs] * size, list(range(size * k, size * (k + 1))))
        total = time.perf_counter() - start
    finally:
        for (cls, name), original in originals.items():
            setattr(cls, name, original)
    per = {label: t / repeats / size * 1e3 for label, t in spent.items()}
    run_ms = total / repeats / size * 1e3
    rows = [("set-up (states, projects, settings)", per["set-up"] - per["firms' set-up and draws"]),
            ("firms' set-up and random draws", per["firms' set-up and draws"]),
            ("firms' decisions", per["firms' decisions"]),
            ("the rest of each year (states, projects, market, accounts)",
             per["year"] - per["firms' decisions"]),
            ("outputs", per["outputs"])]
    print(f"parts of a baseline run in a batch of {size} ({run_ms:.2f} ms a run, timing the "
          "parts included):")
    for label, ms in rows:
        print(f"  {label:<60} {ms:.3f} ms")
    prepare = compiled_decide_fn()
    if prepare is None:
        print("  the firms' decisions compiled: numba is not installed")
        return run_ms, rows
    run = prepare(size, int(inputs.params["firms.count"]), len(inputs.years))
    compiled = median_times([run], repeats)[0] / size * 1e3  # (median_times compiles first)
    numpy_ms = per["firms' decisions"]
    print(f"  the firms' decisions compiled (numba, one loop over the batch's firms a year): "
          f"{compiled:.3f} ms, {numpy_ms / compiled:.1f}x faster; the run would take "
          f"{run_ms - numpy_ms + compiled:.2f} ms")
    return run_ms, rows


def compiled_decide_fn():
    """FirmPopulation.decide's arithmetic for a batch as one numba loop, or None without numba:
    a year's margin shocks, margins, clip, ramp, volumes, incumbency, cohort sums and counts, as
    decide does them, over (replications, firms) arrays."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def year(t, group, margin, risk, potential, aversion, noise, bonus, intensity, weight,
             inv_sat, incumbency, ramp, scale, fresh, persist, shock, volume, wanted, counts):
        r, n = aversion.shape
        for j in range(r):
            for i in range(n):
                g = group[i]
                m = margin[j, g] - risk[j, g] * aversion[j, i]
                z = noise[j, t, i] * scale[j]  # the year's margin shock (AR(1) from year 1)
                if t > 0:
                    z = z * fresh[j] + persist[j] * shock[j, i]
                shock[j, i] = z
                m += z
                m += bonus[j, i]
                m *= inv_sat[j]
                m = min(max(m, 0.0), 1.0)
                if t > 0:
                    m = min(m, intensity[j, i] + ramp[j])
                intensity[j, i] = m
                v = potential[j, g] * weight[j, i] * m
                volume[j, i] = v
                bonus[j, i] = incumbency[j] if v > 0.0 else 0.0
                wanted[j, g] += v
                counts[j, g] += v > 0.0

    def prepare(r: int, n: int, years: int):
        """A run of every year's decisions on made-up arrays of a batch's shape (made here,
        outside what is timed)."""
        rng = np.random.default_rng(1)
        group = np.arange(n) % N_GROUPS
        arrays = (rng.random((r, N_GROUPS)), rng.random((r, N_GROUPS)) * 0.1,
                  rng.random((r, N_GROUPS)) * 1e8, rng.random((r, n)),
                  rng.standard_normal((r, years, n)), np.zeros((r, n)), np.zeros((r, n)),
                  rng.random((r, n)), np.full(r, 1 / 0.15), np.full(r, 0.02), np.full(r, 0.3),
                  np.full(r, 0.04), np.full(r, 0.6), np.full(r, 0.8), np.zeros((r, n)))
        volume = np.empty((r, n))
        wanted, counts = np.zeros((r, N_GROUPS)), np.zeros((r, N_GROUPS), dtype=np.int64)

        def run() -> None:
            for t in range(years):
                wanted[:] = 0.0
                counts[:] = 0
                year(t, group, *arrays, volume, wanted, counts)

        return run

    return prepare


def batch_curve(inputs: Inputs, repeats: int,
                sizes: tuple[int, ...] = (32, 64, 128, 256, 512, 1024)) -> list[float]:
    """ms a run of the baseline at several batch sizes, the runner's limits lifted."""
    import model.runner as runner

    saved = runner.BATCH_FIRM_YEARS
    runner.BATCH_FIRM_YEARS = 10**12
    try:
        times = median_times([lambda s=s: simulate_batch([inputs] * s, list(range(s)), limit=s)
                              for s in sizes], repeats)
    finally:
        runner.BATCH_FIRM_YEARS = saved
    print("batch size: " + ", ".join(f"{s} {t / s * 1e3:.2f} ms a run"
                                     for s, t in zip(sizes, times, strict=True))
          + f" (the runner uses {BATCH_RUNS})")
    return [t / s * 1e3 for s, t in zip(sizes, times, strict=True)]


if __name__ == "__main__":
    main()
