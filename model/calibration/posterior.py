"""Fit the posterior ensemble: ABC-SMC with MCMC moves on the calibration's band loss.

The point fit (``fit.py``) finds one parameter set; the cited figures admit
many (DPRK capacity growth trades off against Chinese firms' reach, see the
calibration report). Approximate Bayesian computation keeps them all: with
uniform priors over each free parameter's registry range, the posterior is
uniform over the parameter sets whose band loss (``targets.band_loss`` over
the fit targets, the point fit's own loss) is at most a threshold epsilon.

The sampler is the replenishment ABC-SMC of Drovandi & Pettitt (2011,
Biometrics 67:225-233): start with ``population`` sets from the prior; each
generation drops the worse half (epsilon becomes the worst loss kept),
refills it by resampling the kept half, and moves each refilled set by
random-walk Metropolis steps that only accept a proposal within the
registry range and with a loss at most epsilon, as many steps as make it
likely (99%) each set moved. Particles stay equally weighted, so the
ensemble is as large as the population. Why not pyabc's ABCSMC (the
importance-weighted sampler of Toni et al. 2009 / Beaumont et al. 2009): with
15 free parameters its weights degenerate (measured: an effective 1.7 of
400 members after 14 generations, 25 of 200 already after the first), and
an ensemble of one or two sets would be no better than the point estimate.

Each evaluation runs the 1988-2015 history for the same ``replications``
seeds (common random numbers, as the point fit does), so the loss is a fixed,
smooth function of the parameters and two sets are compared on the same luck.
A first version drew the seeds from each set instead; epsilon then selected
sets with lucky seeds, which fit worse on fresh ones (posterior predictive
medians of Russia trade and coal tonnes left their bands). Chance enters the
runs separately, through their replications. The sampler's own randomness
comes from one generator seeded with the fit seed in the parent process, so a
fit is the same for any number of workers.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from model.calibration.fit import (
    FIT_HORIZON,
    FIT_SEED,
    baseline_for_fit,
    history_losses,
    losses_in_chunks,
    values_from_vector,
)
from model.calibration.targets import load_targets
from model.common import write_atomic
from model.ensemble import POSTERIOR, Calibration, read_ensemble
from model.errors import HedgesimError
from model.params import Param, free_parameters

log = logging.getLogger(__name__)

#: Defaults sized so a fit finishes in under 20 minutes on 2 busy cores
#: (measured: see docs/how-to/recalibrate.md).
DEFAULT_POPULATION = 400
DEFAULT_GENERATIONS = 30
DEFAULT_MAX_SIMULATIONS = 120_000
DEFAULT_MAX_MINUTES = 17.0
#: Histories per loss evaluation (the same seeds for every set): more than the
#: point fit's 6, so the ensemble is less tied to one small set of seeds.
DEFAULT_REPLICATIONS = 10
#: Share of the population kept each generation (the rest is refilled and moved).
KEEP = 0.5
#: Stop once fewer than this share of Metropolis proposals is accepted: epsilon
#: is then near the floor the model's misses and its noise set.
MIN_ACCEPTANCE = 0.01
#: Chance a refilled particle is never moved, which sets the number of steps.
STUCK = 0.01
MAX_STEPS = 60
LIBRARIES = ("numpy", "scipy", "pandas", "mesa")
METHOD = ("ABC-SMC with MCMC moves (replenishment, Drovandi & Pettitt 2011), "
          "model/calibration/posterior.py on NumPy: uniform priors over the registry ranges, "
          f"distance = band loss of the fit targets (model.calibration.targets.band_loss), "
          f"keep {KEEP:.0%} a generation, random-walk Metropolis refills on the logistic scale")


def to_range(p: Param, z: np.ndarray | float) -> np.ndarray | float:
    """A point on the real line to ``p``'s registry range (the logistic map).

    The sampler walks on this unbounded scale: a uniform prior over the range
    is a standard logistic prior here, so a random-walk step never leaves the
    range (in 15 dimensions a walk in the box itself would step outside almost
    always), and parameters of very different units (dollars and rates) share
    one scale in the walk's covariance.
    """
    return p.low + (p.high - p.low) * (0.5 * (1.0 + np.tanh(0.5 * np.asarray(z))))


def _log_prior(z: np.ndarray) -> np.ndarray:
    """Log density of independent standard logistic priors, per row of ``z``."""
    return -np.sum(z + 2.0 * np.logaddexp(0.0, -z), axis=-1)


def particle_seed(fit_seed: int, numbers: np.ndarray) -> int:
    """The base seed of one evaluation: the fit seed and a hash of the parameter numbers."""
    digest = hashlib.blake2b(np.ascontiguousarray(numbers, dtype=np.float64).tobytes(),
                             digest_size=8).digest()
    ss = np.random.SeedSequence([int(fit_seed), int.from_bytes(digest, "little")])
    return int(ss.generate_state(2, np.uint64)[0] >> np.uint64(1))


class BandLossModel:
    """A parameter set on the logistic scale in, its band loss over ``replications`` histories out.

    Picklable: worker processes get one and evaluate batches of sets.
    """

    def __init__(self, replications: int) -> None:
        self.params = free_parameters()
        self.targets = load_targets()
        self.scenario = baseline_for_fit(replications)

    def numbers(self, z: np.ndarray) -> np.ndarray:
        """Registry-scale numbers of a set on the logistic scale."""
        return np.array([float(to_range(p, v)) for p, v in zip(self.params, z, strict=True)])

    def losses(self, points: np.ndarray) -> np.ndarray:
        """The loss of each set (row): all sets' histories run as batches through the model,
        the same numbers as running them set by set, a fraction of the time."""
        return history_losses(self.scenario, self.targets,
                              [values_from_vector(self.numbers(z), self.params) for z in points])


@dataclass
class Generation:
    """One SMC generation: its threshold, how many Metropolis steps it took, their cost."""

    t: int
    epsilon: float
    simulations: int
    acceptance_rate: float
    steps: int
    seconds: float


@dataclass
class Posterior:
    """The last generation of an ABC-SMC fit, with what produced it."""

    params: list[Param]
    numbers: np.ndarray        # (members, parameters)
    weights: np.ndarray        # (members,), equal
    losses: np.ndarray         # (members,)
    generations: list[Generation]
    population: int
    replications: int
    seed: int
    workers: int
    seconds: float
    stopped_by: str
    budget: dict = field(default_factory=dict)

    @property
    def evaluations(self) -> int:
        return int(sum(g.simulations for g in self.generations))

    @property
    def final_epsilon(self) -> float:
        return self.generations[-1].epsilon if self.generations else float("nan")

    @property
    def distinct(self) -> int:
        return int(len(np.unique(self.numbers, axis=0)))


def _evaluate(model: BandLossModel, units: np.ndarray, executor, workers: int) -> np.ndarray:
    """Losses of ``units`` (rows), spread over the executor in a chunk per worker. A Metropolis
    step evaluates about 50 sets (500 runs); in four chunks a worker, each a batch of 60 runs
    paid the model's yearly cost, and an evaluation took 2.7 ms on 2 workers instead of 2.1
    (the same fit: losses do not depend on the chunks)."""
    return losses_in_chunks(model.losses, units, executor, workers, per_worker=1)


def _steps(acceptance: float) -> int:
    """Metropolis steps so that a particle stays unmoved with chance at most :data:`STUCK`."""
    if acceptance <= 0:
        return MAX_STEPS
    if acceptance >= 1:
        return 1
    return int(min(MAX_STEPS, max(1, math.ceil(math.log(STUCK) / math.log(1 - acceptance)))))


def fit_posterior(population: int = DEFAULT_POPULATION, generations: int = DEFAULT_GENERATIONS,
                  max_simulations: int = DEFAULT_MAX_SIMULATIONS,
                  max_minutes: float = DEFAULT_MAX_MINUTES, workers: int = 1, seed: int = 0,
                  replications: int = DEFAULT_REPLICATIONS, min_epsilon: float = 0.0,
                  progress: Callable[[Generation, dict], None] | None = None) -> Posterior:
    """Replenishment ABC-SMC over the free parameters within their registry ranges.

    Stops after ``generations`` generations, when a generation accepts fewer
    than :data:`MIN_ACCEPTANCE` of its proposals, at ``max_simulations`` loss
    evaluations or ``max_minutes`` of wall time, or when epsilon reaches
    ``min_epsilon``, whichever comes first. A budget that runs out part-way
    through a generation ends its Metropolis steps early: every particle
    still has a loss at most that generation's epsilon. ``progress`` is called
    after each generation with it and the budget used so far.
    """
    from model.experiments.executors import make_executor

    if population < 4:
        raise HedgesimError(None, "--population", f"expected at least 4 particles, got {population}")
    model = BandLossModel(replications)
    d = len(model.params)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xABC]))
    start = time.perf_counter()
    deadline = start + max_minutes * 60
    done: list[Generation] = []
    used = 0
    stopped_by = "generations"
    keep = max(2, int(round(population * KEEP)))
    with make_executor("serial" if workers <= 1 else "local", workers) as (executor, _):
        t0 = time.perf_counter()
        u = rng.random((population, d)).clip(1e-12, 1 - 1e-12)
        units = np.log(u) - np.log1p(-u)          # uniform on the range = logistic here
        losses = _evaluate(model, units, executor, workers)
        used += population
        gen = Generation(0, float(np.max(losses)), population, 1.0, 0, time.perf_counter() - t0)
        done.append(gen)
        _report(gen, used, start, progress)
        while len(done) < generations:
            order = np.argsort(losses, kind="stable")
            units, losses = units[order], losses[order]
            epsilon = float(losses[keep - 1])
            if epsilon <= min_epsilon:
                stopped_by = "epsilon"
                break
            if used >= max_simulations:
                stopped_by = "simulations"
                break
            per_eval = done[-1].seconds / max(done[-1].simulations, 1)
            expected = (population - keep) * _steps(done[-1].acceptance_rate) * per_eval
            if time.perf_counter() + min(expected, 0.5 * (deadline - start)) > deadline:
                stopped_by = "wall time"
                break
            t0 = time.perf_counter()
            # Refill the dropped half from the kept half, then move the refills.
            pick = rng.integers(0, keep, population - keep)
            units[keep:], losses[keep:] = units[pick], losses[pick]
            cov = np.cov(units[:keep], rowvar=False) * (2.38 ** 2 / d) + np.eye(d) * 1e-9
            chol = np.linalg.cholesky(cov)
            sims = accepted = proposed = 0
            steps, k = 1, 0
            while k < steps:
                moving = np.arange(keep, population)
                proposal = units[moving] + rng.standard_normal((len(moving), d)) @ chol.T
                # Metropolis on the prior first (symmetric walk): only survivors are simulated.
                ratio = np.exp(np.minimum(0.0, _log_prior(proposal) - _log_prior(units[moving])))
                inside = rng.random(len(moving)) < ratio
                trial = _evaluate(model, proposal[inside], executor, workers)
                sims += int(inside.sum())
                ok = np.zeros(len(moving), dtype=bool)
                ok[inside] = trial <= epsilon
                units[moving[ok]] = proposal[ok]
                losses[moving[ok]] = trial[ok[inside]]
                accepted += int(ok.sum())
                proposed += len(moving)
                if k == 0:
                    steps = _steps(accepted / proposed)
                k += 1
                if used + sims >= max_simulations or time.perf_counter() >= deadline:
                    break
            used += sims
            gen = Generation(len(done), epsilon, sims, accepted / max(proposed, 1), k,
                             time.perf_counter() - t0)
            done.append(gen)
            _report(gen, used, start, progress)
            if gen.acceptance_rate < MIN_ACCEPTANCE:
                stopped_by = "acceptance"
                break
            if used >= max_simulations:
                stopped_by = "simulations"
                break
            if time.perf_counter() >= deadline:
                stopped_by = "wall time"
                break
    numbers = np.column_stack([to_range(p, units[:, j]) for j, p in enumerate(model.params)])
    return Posterior(model.params, numbers, np.full(population, 1.0 / population), losses,
                     done, population, replications, seed, workers,
                     time.perf_counter() - start, stopped_by,
                     {"generations": generations, "max_simulations": max_simulations,
                      "max_minutes": max_minutes})


def _report(gen: Generation, used: int, start: float,
            progress: Callable[[Generation, dict], None] | None) -> None:
    log.info("generation %d: epsilon %.4g, %d evaluations, acceptance %.3f, %d steps, %.0f s",
             gen.t, gen.epsilon, gen.simulations, gen.acceptance_rate, gen.steps, gen.seconds)
    if progress is not None:
        progress(gen, {"simulations": used, "minutes": (time.perf_counter() - start) / 60})


def library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def write_posterior(post: Posterior, code_version: str, path: Path = POSTERIOR) -> Path:
    """Write the ensemble where runs read it (atomically), keeping the documented misses."""
    names = [p.name for p in post.params]
    final = post.generations[-1]
    prov = {
        "fitted_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_version": code_version,
        "method": METHOD,
        "libraries": library_versions(),
        "history": f"baseline 1988-{FIT_HORIZON}",
        "replications_per_evaluation": post.replications,
        "population_size": post.population,
        "generations": len(post.generations),
        "final_epsilon": round(post.final_epsilon, 6),
        "final_acceptance_rate": round(final.acceptance_rate, 4),
        "epsilons": [round(g.epsilon, 6) for g in post.generations],
        "acceptance_rates": [round(g.acceptance_rate, 4) for g in post.generations],
        "evaluations": post.evaluations,
        "distinct_members": post.distinct,
        "stopped_by": post.stopped_by,
        "budget": post.budget,
        "workers": post.workers,
        "wall_seconds": round(post.seconds, 1),
        "seed": post.seed,
    }
    doc: dict[str, Any] = {"provenance": prov,
                           "parameters": {p.name: p.fit_year for p in post.params}}
    try:
        known = read_ensemble(path).known_misses if path.is_file() else {}
    except HedgesimError:
        known = {}
    header = ("# Written by `hedgesim calibrate`: the posterior ensemble every run draws its\n"
              "# calibrated parameters from (one member per replication). A row is a member:\n"
              "# weight, band loss when accepted, then each parameter's fitted number (a\n"
              "# timeline's value from its fit year). See docs/calibration/report.md.\n")
    body = yaml.safe_dump(doc, sort_keys=False, width=100)
    body += "columns: [" + ", ".join(["weight", "loss", *names]) + "]\n"
    if known:
        body += yaml.safe_dump({"known_misses": known}, sort_keys=False, width=100)
    body += "members:\n"
    for w, loss, row in zip(post.weights, post.losses, post.numbers, strict=True):
        body += "- [" + ", ".join(f"{v:.8g}" for v in (w, loss, *row)) + "]\n"
    write_atomic(path, header + body)
    return path


# ---------------------------------------------------------------- check and analysis
#: Posterior predictive runs of the check: each its own draw and seed.
CHECK_DRAWS = 200
#: Key figures whose spread the report splits into parameters and chance.
KEY_FIGURES = (("trade_china_usd", 2014, "DPRK-China trade 2014"),
               ("trade_russia_usd", 2014, "DPRK-Russia trade 2014"),
               ("trade_china_usd", 2035, "DPRK-China trade 2035 (baseline)"),
               ("trade_russia_usd", 2035, "DPRK-Russia trade 2035 (baseline)"),
               ("china_share", 2035, "China's share of DPRK trade 2035 (baseline)"))


@dataclass
class EnsembleCheck:
    """The posterior predictive check: tables as ``fit.check`` makes them, and what fails."""

    table: pd.DataFrame
    scenarios: pd.DataFrame
    problems: list[str]


def check_ensemble(calibration: Calibration, runs: int = CHECK_DRAWS) -> EnsembleCheck:
    """Posterior predictive check of the committed ensemble against every target.

    ``runs`` baseline histories, each with its own posterior draw and seed:
    a target fails if the median leaves its band or the 90% interval misses
    the band entirely, unless listed with a reason under ``known_misses`` in
    posterior.yaml. A stale ensemble (fitted to other free parameters) fails.
    """
    from model.calibration import fit as cal

    problems = []
    if calibration.ensemble is None:
        problems.append("no posterior ensemble: fit one with `hedgesim calibrate`")
    elif (why := calibration.ensemble.stale()) is not None:
        problems.append(f"{calibration.ensemble.path} is stale ({why}): refit with "
                        "`hedgesim calibrate`")
    table = cal.check(runs, calibration=calibration)
    scen = cal.check_scenarios(runs, calibration=calibration)
    known = cal.known_misses(calibration)
    if misses := cal.unexpected_misses(table, scen, known):
        problems.append(f"median out of band: {', '.join(misses)}")
    if gaps := [i for i in cal.uncovered(table, scen) if i not in known]:
        problems.append(f"90% interval misses the band: {', '.join(gaps)}")
    return EnsembleCheck(table, scen, problems)


def variance_split(calibration: Calibration, draws: int = 40, replications: int = 10,
                   seed: int = FIT_SEED, figures=KEY_FIGURES) -> pd.DataFrame:
    """How much of each key figure's spread comes from parameters and how much from chance.

    ``draws`` members drawn by weight, each run for ``replications`` seeds
    of the baseline; by the law of total variance, the variance of the draw
    means is the parameters' share and the mean variance within a draw is
    chance's. The point estimate's 90% interval over as many runs is shown
    beside the posterior's for comparison.
    """
    from model.runner import run_scenario
    from model.scenario import compile_inputs, load

    if calibration.ensemble is None:
        raise HedgesimError(None, "calibration", "expected a posterior ensemble to split")
    horizon = max(y for _, y, _ in figures)
    base = load("baseline").with_values(horizon=horizon, replications=replications)
    ens = calibration.ensemble
    samples = {f: np.empty((draws, replications)) for f in figures}
    for i in range(draws):
        member = ens.draw(seed, i)
        sc = base.with_values(seed=particle_seed(seed, np.array([float(i)])))
        df = run_scenario(sc, inputs=compile_inputs(sc, ens.values(member))).frame()
        for f in figures:
            col, year, _ = f
            samples[f][i] = df.loc[df["year"] == year, col].to_numpy(dtype=float)
    point = run_scenario(base.with_values(replications=draws * replications, seed=seed),
                         calibration=Calibration("point")).frame()
    rows = []
    for f in figures:
        col, year, label = f
        v = samples[f]
        within = float(np.mean(np.var(v, axis=1, ddof=1)))
        between = float(np.var(v.mean(axis=1), ddof=1))
        pooled = v.ravel()
        med = float(np.median(pooled))
        p05, p95 = np.percentile(pooled, [5, 95])
        pv = point.loc[point["year"] == year, col].to_numpy(dtype=float)
        q05, q50, q95 = np.percentile(pv, [5, 50, 95])
        rows.append({"figure": label, "column": col, "year": year, "median": med,
                     "p05": float(p05), "p95": float(p95),
                     "width_pct_of_median": float(100 * (p95 - p05) / med) if med else np.nan,
                     "parameters_share": between / (between + within) if between + within else 0.0,
                     "chance_share": within / (between + within) if between + within else 0.0,
                     "point_median": float(q50), "point_p05": float(q05), "point_p95": float(q95),
                     "point_width_pct_of_median": float(100 * (q95 - q05) / q50) if q50 else np.nan,
                     "draws": draws, "replications_per_draw": replications})
    return pd.DataFrame(rows)
