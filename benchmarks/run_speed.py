"""Speed of one model run, against a plain NumPy floor doing the same firm arithmetic.

Prints the median wall time of one baseline run (1988-2035) at the default
firm count, with 1,000 and 10,000 firms, and the floor: a bare loop over the
years with the same per-firm operations (margin, clip, volume, cohort sums,
subsidy and activity counts) and no Mesa, states, projects or bookkeeping.
Goal (issue 2): baseline <= 5 ms, within 3x of the floor, linear in firms.

"run" is a replication of already-compiled inputs, each with a new seed (what
run_scenario, sweeps and calibration do): what the model derives from the inputs
alone (Inputs.derived) is built once and shared. "first run" is a run on inputs
no run has used yet, so it pays for building those. Run, first run and floor
are timed in turn within each repeat, so load from other jobs hits all three
alike; the machine should still be quiet for absolute figures.

    python benchmarks/run_speed.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.firms import N_GROUPS  # noqa: E402
from model.runner import simulate  # noqa: E402
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


def numpy_floor(n: int, years: int, seed: int) -> None:
    """The firm arithmetic of one run, and nothing else."""
    rng = np.random.default_rng(seed)
    group = np.arange(n) % N_GROUPS
    weight = rng.lognormal(0, 1, n)
    weight /= np.bincount(group, weights=weight, minlength=N_GROUPS)[group]
    aversion = rng.random(n)
    noise = rng.normal(0, 0.04, (years, n))
    bonus = np.zeros(n)
    margin = rng.random(N_GROUPS) * 0.3
    risk = np.full(N_GROUPS, 0.1)
    potential = np.full(N_GROUPS, 1e8)
    fill = np.ones(N_GROUPS)
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
        traded = volume * fill[group]
        traded[: n // 2].sum(), traded[n // 2:].sum()
        np.bincount(group, weights=active, minlength=N_GROUPS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    sc = load("baseline")
    years = sc.horizon - 1988 + 1
    rows = []
    for n in (300, 1000, 10000):
        inputs = compile_inputs(sc.with_values(values={"firms.count": float(n)}))
        seed = iter(range(10**6))

        def first_run(inputs=inputs, seed=seed):
            fresh = Inputs(inputs.years, inputs.params, inputs.strategy)  # nothing derived yet
            simulate(fresh, next(seed))

        run, first, floor = median_times(
            [lambda inputs=inputs, seed=seed: simulate(inputs, next(seed)), first_run,
             lambda n=n: numpy_floor(n, years, 1)], args.repeats)
        rows.append((n, run, floor, first))
    print(f"one baseline run, 1988-{sc.horizon} ({years} steps), median of {args.repeats}:")
    print(f"{'firms':>7} {'run ms':>9} {'floor ms':>9} {'run/floor':>10} {'us/firm/step':>13}"
          f" {'first run ms':>13}")
    for n, run, floor, first in rows:
        print(f"{n:>7} {run * 1e3:>9.2f} {floor * 1e3:>9.2f} {run / floor:>10.2f} "
              f"{run / years / n * 1e6:>13.3f} {first * 1e3:>13.2f}")
    base = rows[0]
    print(f"baseline (default {base[0]} firms): {base[1] * 1e3:.2f} ms (goal <= 5 ms), "
          f"{base[1] / base[2]:.2f}x the NumPy floor (goal <= 3x)")
    slope = (rows[2][1] - rows[1][1]) / (rows[2][0] - rows[1][0]) / years * 1e6
    print(f"marginal cost per firm-year between 1,000 and 10,000 firms: {slope:.3f} us")


if __name__ == "__main__":
    main()
