"""Fit the registry's free parameters to the cited figures, and check the fit.

The loss (targets.band_loss) is zero when every fitted figure lies inside the
band its sources span and grows with the distance outside, scaled by the
band. Each evaluation runs the baseline history (1988-2015) for a fixed set
of replication seeds: common random numbers, so that two parameter vectors
are compared on the same luck and the loss is smooth enough for a global
optimiser (scipy's differential_evolution, parallel over ``workers``).

Only the history is simulated while fitting; the fitted values then become
the defaults every scenario starts from (``calibrated.yaml``).
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import differential_evolution

from model.calibration.targets import (
    band_loss_values,
    band_losses_values,
    evaluate,
    load_scenario_targets,
    load_targets,
)
from model.common import write_atomic
from model.ensemble import Calibration, fitted_number, value_for
from model.errors import HedgesimError
from model.params import Param, free_parameters
from model.runner import RunResult, run_scenario, run_seed, simulate_batch
from model.scenario import (
    CALIBRATED,
    Scenario,
    calibrated_values,
    calibration_file,
    compile_inputs,
    load,
    recompile_inputs,
)
from model.world import OUTPUTS

log = logging.getLogger(__name__)

FIT_HORIZON = 2015
FIT_SEED = 19910101
POPSIZE = 10
DEFAULT_BUDGET = 16000
DEFAULT_REPLICATIONS = 6
CHECK_REPLICATIONS = 20


def values_from_vector(x: np.ndarray, params: list[Param] | None = None) -> dict:
    params = free_parameters() if params is None else params
    return {p.name: value_for(p, v) for p, v in zip(params, x, strict=True)}


def baseline_for_fit(replications: int) -> Scenario:
    return load("baseline").with_values(horizon=FIT_HORIZON, replications=replications,
                                         seed=FIT_SEED)


def run_with(scenario: Scenario, values: dict) -> RunResult:
    """Run a scenario with ``values`` as the calibration (registry defaults underneath)."""
    return run_scenario(scenario, inputs=compile_inputs(scenario, calibrated=values))


def history_losses(scenario: Scenario, targets: list, calibrations: list[dict]) -> np.ndarray:
    """The band loss of each calibration (values as for :func:`run_with`) over the scenario's
    replications: every calibration's runs go through the model as batches, a fraction of
    the time of running them one calibration at a time, with the same numbers."""
    if not calibrations:
        return np.empty(0)
    seeds = [run_seed(scenario.seed, r) for r in range(scenario.replications)]
    first = compile_inputs(scenario, calibrated=calibrations[0])
    members = []
    for values in calibrations:  # each set compiled from the first: only its values differ
        members += [recompile_inputs(first, scenario, calibrations[0], values)] * len(seeds)
    runs = simulate_batch(members, seeds * len(calibrations)).reshape(
        len(calibrations), len(seeds), len(scenario.years), -1)
    return band_losses_values(targets, runs, scenario.years, OUTPUTS)


class Objective:
    """Picklable loss for the optimiser's worker processes: the band loss of ``targets``
    (default: every target, of which the loss counts the fit role) over the baseline history
    to ``horizon`` (default :data:`FIT_HORIZON`)."""

    def __init__(self, replications: int, targets: list | None = None,
                 horizon: int | None = None) -> None:
        self.params = free_parameters()
        self.targets = load_targets() if targets is None else list(targets)
        self.scenario = baseline_for_fit(replications)
        if horizon is not None:
            self.scenario = self.scenario.with_values(horizon=horizon)

    def __call__(self, x: np.ndarray) -> float:
        return result_loss(self.targets, run_with(self.scenario, values_from_vector(x, self.params)))

    def losses(self, points: np.ndarray) -> np.ndarray:
        """The loss of each vector (row) of ``points``, all run as batches."""
        return history_losses(self.scenario, self.targets,
                              [values_from_vector(x, self.params) for x in points])


def losses_in_chunks(losses, points: np.ndarray, executor, workers: int,
                     per_worker: int) -> np.ndarray:
    """``losses(points)`` (a loss per row), spread over the executor in about
    ``per_worker * workers`` chunks; in this process with one worker."""
    if len(points) == 0:
        return np.empty(0)
    if workers <= 1:
        return losses(points)
    chunks = np.array_split(points, min(len(points), per_worker * workers))
    return np.concatenate(list(executor.map(losses, chunks)))


def result_loss(targets: list, result: RunResult) -> float:
    """The band loss of a run's replications, from its arrays (no frame: see
    :func:`~model.calibration.targets.band_loss_values`)."""
    return band_loss_values(targets, result.values, result.years, OUTPUTS)


@dataclass
class Fit:
    values: dict
    loss: float
    evaluations: int
    seconds: float
    budget: int
    replications: int
    seed: int


def fit(budget: int = DEFAULT_BUDGET, workers: int = 1, seed: int = 0,
        replications: int = DEFAULT_REPLICATIONS, callback=None, objective=None,
        start: dict | None = None) -> Fit:
    """Differential evolution over the free parameters within their registry ranges.

    ``budget`` caps the number of loss evaluations (each runs ``replications``
    histories). The starting population includes ``start`` (default: the
    committed point estimate). ``objective`` (default: the band loss on every
    fit target) is any picklable ``f(vector) -> loss`` over
    :func:`~model.params.free_parameters`, e.g. the leave-future-out check's.
    """
    params = free_parameters()
    bounds = [(p.low, p.high) for p in params]
    n = len(params)
    maxiter = max(1, budget // (POPSIZE * n) - 1)
    objective = Objective(replications) if objective is None else objective
    rng = np.random.default_rng(seed)
    init = rng.uniform([b[0] for b in bounds], [b[1] for b in bounds], (POPSIZE * n, n))
    start = calibrated_values() if start is None else start
    init[0] = [fitted_number(p, start.get(p.name, p.default)) for p in params]
    evals = 0
    t0 = time.perf_counter()

    def progress(xk, convergence=0.0):
        nonlocal evals
        evals += POPSIZE * n
        if callback is not None:
            callback(min(evals, budget), budget)
        return False

    if not hasattr(objective, "losses"):
        result = differential_evolution(
            objective, bounds, maxiter=maxiter, popsize=POPSIZE, init=init, seed=seed,
            workers=workers, updating="deferred" if workers != 1 else "immediate",
            polish=False, tol=1e-6, callback=progress,
        )
        evaluations = int(result.nfev)
    else:
        # A generation's vectors run as batches through the model (objective.losses), in
        # chunks over the workers.
        from model.experiments.executors import make_executor

        evaluated = 0  # parameter vectors evaluated
        with make_executor("serial" if workers <= 1 else "local", workers) as (executor, _):
            def generation(xs: np.ndarray) -> np.ndarray:
                nonlocal evaluated
                points = np.atleast_2d(xs.T)
                evaluated += len(points)
                return losses_in_chunks(objective.losses, points, executor, workers,
                                        per_worker=2)

            result = differential_evolution(
                generation, bounds, maxiter=maxiter, popsize=POPSIZE, init=init, seed=seed,
                vectorized=True, updating="deferred", polish=False, tol=1e-6,
                callback=progress,
            )
        evaluations = evaluated  # the vectors: nfev counts the optimiser's calls
    return Fit(values_from_vector(result.x, params), float(result.fun), evaluations,
               time.perf_counter() - t0, budget, replications, seed)


def write_calibrated(result: Fit, code_version: str, path: Path = CALIBRATED) -> Path:
    """Write the fitted values where the baseline reads them (atomically)."""
    doc = {
        "fitted_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_version": code_version,
        "loss": round(result.loss, 6),
        "budget": result.budget,
        "evaluations": result.evaluations,
        "replications_per_evaluation": result.replications,
        "optimiser": "scipy.optimize.differential_evolution",
        "optimiser_seed": result.seed,
        "wall_seconds": round(result.seconds, 1),
        "values": {k: ({int(y): float(v) for y, v in val.items()} if isinstance(val, dict)
                       else float(val)) for k, val in result.values.items()},
    }
    # Keep the documented misses: they are a reviewer's judgement, not a fit.
    if known := calibration_file(path).get("known_misses"):
        doc["known_misses"] = known
    header = ("# Written by `hedgesim calibrate`; the registry defaults every scenario starts\n"
              "# from are replaced by these fitted values. See docs/calibration/report.md.\n")
    write_atomic(path, header + yaml.safe_dump(doc, sort_keys=False))
    return path


# ---------------------------------------------------------------- check and report
def _runs(scenario: Scenario, values: dict | None, calibration: Calibration | None) -> pd.DataFrame:
    """Runs with one parameter set (``values``, default the point estimate) or, given
    ``calibration``, a draw from it per replication (a posterior predictive sample)."""
    if calibration is not None:
        return run_scenario(scenario, calibration=calibration).frame()
    return run_with(scenario, calibrated_values() if values is None else values).frame()


def check(replications: int = CHECK_REPLICATIONS, values: dict | None = None,
          horizon: int = FIT_HORIZON, calibration: Calibration | None = None) -> pd.DataFrame:
    """Every baseline target's median and 90% interval over ``replications`` against its band.

    With ``calibration`` (a posterior), each replication draws its own member:
    the interval is then the posterior predictive interval.
    """
    sc = baseline_for_fit(replications).with_values(horizon=horizon)
    return evaluate(load_targets(), _runs(sc, values, calibration))


def check_scenarios(replications: int = CHECK_REPLICATIONS, values: dict | None = None,
                    calibration: Calibration | None = None) -> pd.DataFrame:
    """Scenario-level targets (e.g. Russia's cost of the $1 bn push) on their scenarios' runs.

    A scenario target's scenario must keep the calibrated history (the history
    guard, ``model.experiments.history``): its years before ``policy_start`` are
    then the baseline's, so a target measured against 2014 (the unsubsidised
    upside, "x2 to x4 of today", 002) measures it against the baseline's 2014.
    """
    from model.experiments.history import guard

    guard_values = calibrated_values() if values is None else values
    targets = load_scenario_targets()
    rows = []
    for name in sorted({t.scenario for t in targets}):
        sc = load(name)
        if sc.counterfactual_history:
            raise HedgesimError(sc.path, "counterfactual_history", "expected the calibrated history: "
                                "scenario targets are measured against it")
        guard(sc, guard_values)
        sc = sc.with_values(replications=replications, seed=FIT_SEED)
        sc = sc.with_values(horizon=max(2020, min(sc.horizon, 2025)))
        df = _runs(sc, values, calibration)
        table = evaluate([t for t in targets if t.scenario == name], df)
        table.insert(1, "scenario", name)
        rows.append(table)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def identifiability(values: dict, points: int = 5, replications: int = DEFAULT_REPLICATIONS,
                    threshold: float = 0.05) -> pd.DataFrame:
    """Loss across each free parameter's range, the others held at their fitted values.

    A parameter whose loss moves by less than ``threshold`` over its whole
    range is one the cited figures do not pin down.
    """
    objective = Objective(replications)
    params = objective.params
    best = np.array([fitted_number(p, values.get(p.name, p.default)) for p in params])
    base = objective(best)
    rows = []
    for i, p in enumerate(params):
        grid = np.linspace(p.low, p.high, points)
        losses = []
        for g in grid:
            x = best.copy()
            x[i] = g
            losses.append(objective(x))
        spread = max(losses) - min(losses)
        rows.append({"parameter": p.name, "unit": p.unit, "fitted": best[i], "low": p.low,
                     "high": p.high, "loss_at_fit": base, "loss_min": min(losses),
                     "loss_max": max(losses), "loss_spread": spread,
                     "pinned_down": spread >= threshold,
                     "grid": ",".join(f"{g:.4g}" for g in grid),
                     "losses": ",".join(f"{v:.4g}" for v in losses)})
    return pd.DataFrame(rows)


def known_misses(calibration: Calibration | None = None) -> dict[str, str]:
    """Targets a committed calibration is known to miss, each with the reason.

    The point estimate's list is in calibrated.yaml, the posterior's in
    posterior.yaml (``calibration``): each is a reviewer's judgement of its fit.
    """
    if calibration is not None and calibration.ensemble is not None:
        return dict(calibration.ensemble.known_misses)
    return {str(k): str(v) for k, v in (calibration_file().get("known_misses") or {}).items()}


def unexpected_misses(table: pd.DataFrame, scenario_table: pd.DataFrame | None = None,
                      known: dict[str, str] | None = None) -> list[str]:
    """Ids of targets out of band that are not listed, with a reason, as known misses."""
    known = known_misses() if known is None else known
    frames = [table] + ([scenario_table] if scenario_table is not None and not scenario_table.empty
                        else [])
    out = []
    for t in frames:
        out += [i for i, ok in zip(t["id"], t["in_band"], strict=True) if not ok and i not in known]
    return out


def overlaps(row) -> bool:
    """Whether a check row's 90% interval [p05, p95] touches its band."""
    return bool(row.p05 <= row.band_high and row.p95 >= row.band_low)


def uncovered(table: pd.DataFrame, scenario_table: pd.DataFrame | None = None) -> list[str]:
    """Ids of targets whose 90% interval lies wholly outside the band (or is undefined)."""
    frames = [table] + ([scenario_table] if scenario_table is not None and not scenario_table.empty
                        else [])
    return [r.id for t in frames for r in t.itertuples() if not overlaps(r)]
