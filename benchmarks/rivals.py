"""The sweep benchmark's rivals on the same design: ``mesa.batch_run`` and EMA Workbench.

Kept apart from ``sweep.py`` so that the sweep's own measurements import only what
``hedgesim sweep`` imports. Both wrap the model exactly as a sweep worker runs it: the design
point's scenario, the replication's posterior member and seed (``run_seed(seed, point,
replication)``), :func:`model.runner.simulate` on the compiled inputs.
"""

from __future__ import annotations

import functools
import inspect
import time

import mesa
import numpy as np
from sweep import REPORTED, experiment

from model.ensemble import load_calibration
from model.outputs import COLUMN
from model.runner import simulate
from model.scenario import compile_inputs
from model.seeds import run_seed
from model.world import World

EMA_OUTCOMES = ("trade_china_usd", "trade_russia_usd")
"""Two time-series outcomes kept in memory (what issue 15 measured EMA Workbench with)."""


class BatchRunWorld(World):
    """World for ``mesa.batch_run``: built from (point, replication), a DataCollector per step.

    Same design, seeds and inputs as the sweep, the replication's posterior member included;
    ``rng`` (which Mesa 3.5's batch_run passes) is ignored in favour of the run's own seed.
    """

    design_runs = 1000

    def __init__(self, point: int = 0, replication: int = 0, rng=None) -> None:
        exp = experiment(self.design_runs)
        super().__init__(_inputs(self.design_runs, point, replication),
                         rng=run_seed(exp.seed, point, replication))
        self.datacollector = mesa.DataCollector(model_reporters={
            name: functools.partial(_reporter, column=COLUMN[name]) for name in REPORTED})

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)
        if self.t >= len(self.years):
            self.running = False


def _reporter(model: World, column: int) -> float:
    """The output of the year just stepped (a World of one replication)."""
    return float(model.out[0, model.t - 1, column])


@functools.lru_cache(maxsize=1)
def _calibration():
    return load_calibration()


def _inputs(runs: int, point: int, replication: int):
    exp = experiment(runs)
    cal = _calibration()
    draw = cal.draws(exp.seed, [replication])[0]
    return compile_inputs(exp.scenario_for(point), cal.values(draw))


def bench_batch_run(runs: int, workers: int) -> float:
    """Runs per second of ``mesa.batch_run`` over the design of ``runs`` runs."""
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


# ---------------------------------------------------------------- EMA Workbench
EMA_RUNS = 1000
"""The design the EMA model function runs (set before the evaluator forks its workers)."""


def ema_model_function(point: int = 0, replication: int = 0) -> dict[str, np.ndarray]:
    """One run of the design, as EMA Workbench calls a model: keyword uncertainties in, a
    mapping of outcomes out."""
    exp = experiment(EMA_RUNS)
    point, replication = int(point), int(replication)
    out = simulate(_inputs(EMA_RUNS, point, replication), run_seed(exp.seed, point, replication))
    return {name: out[:, COLUMN[name]] for name in EMA_OUTCOMES}


def bench_ema(runs: int, workers: int) -> tuple[float, str]:
    """Runs per second of EMA Workbench's MultiprocessingEvaluator on the design of ``runs``
    runs (starting and stopping its pool included), and its version."""
    global EMA_RUNS
    import ema_workbench as ema

    EMA_RUNS = runs
    exp = experiment(runs)
    model = ema.Model("hedgesim", function=ema_model_function)
    model.uncertainties = [ema.IntegerParameter("point", 0, max(1, exp.size - 1)),
                           ema.IntegerParameter("replication", 0, exp.replications - 1)]
    model.outcomes = [ema.TimeSeriesOutcome(name) for name in EMA_OUTCOMES]
    design = [ema.Sample(point=p, replication=r) for p in range(exp.size)
              for r in range(exp.replications)]
    start = time.perf_counter()
    with ema.MultiprocessingEvaluator(model, n_processes=workers) as evaluator:
        experiments, outcomes = ema.perform_experiments(model, scenarios=design,
                                                        evaluator=evaluator)
    wall = time.perf_counter() - start
    assert len(experiments) == exp.total_runs, len(experiments)
    assert outcomes[EMA_OUTCOMES[0]].shape[0] == exp.total_runs
    return exp.total_runs / wall, ema.__version__
