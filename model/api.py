"""The Python API: load a scenario, run it or sweep an experiment, read results, as frames.

Import it as ``import model`` (or ``import hedgesim``, which first checks that ``model``
is this package and not a ``model.py`` of yours)::

    import model

    scenario = model.load("russia_1bn_push")            # a shipped name or a path
    runs = model.run(scenario, replications=5, seed=1)  # in memory, nothing written
    runs.groupby("year")["trade_russia_usd"].median()

    sweep = model.sweep("russia_subsidy_sweep", out="results", replications=2)
    sweep.groupby(["strategy", "russia.trade_subsidy_rate"])["trade_russia_usd"].median()
    again = model.read_results(sweep.attrs["folder"])   # any run or sweep folder

Every function returns one tidy frame: a row per run and year with the identifying columns
(``point``, ``scenario``, ``strategy``, each varied parameter of a sweep's design,
``replication``, ``seed``, ``draw``, ``year``) and then every output column
(:mod:`model.outputs` declares their units and meanings). ``frame.attrs`` holds the
results ``folder`` (``None`` for an in-memory run), its ``kind`` (``run`` or ``sweep``)
and ``manifest``.

Mistakes in files or arguments raise :class:`model.errors.HedgesimError`, whose message
names the file, the field and what was expected, as the command line prints it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.ensemble import load_calibration
from model.experiments.design import Experiment, from_spec, load_experiment
from model.experiments.history import guard
from model.experiments.store import StoredResults, last_strategy
from model.experiments.store import read_results as _read_stored
from model.runner import run_scenario
from model.scenario import Scenario, calibrated_values
from model.scenario import load as _load_scenario

__all__ = ["load", "load_experiment", "run", "sweep", "read_results"]


def load(scenario: str | Path) -> Scenario:
    """A scenario by shipped name (``"baseline"``, see ``hedgesim list``) or file path,
    validated, with its ``extends`` chain followed."""
    return _load_scenario(scenario)


def run(scenario: Scenario | str | Path, *, replications: int | None = None,
        seed: int | None = None, point_estimate: bool = False,
        out: str | Path | None = None, charts: bool = True) -> pd.DataFrame:
    """Run every replication of a scenario; returns the tidy frame of its runs.

    ``replications`` and ``seed`` override the scenario's. Each replication draws its
    calibrated parameters from the posterior ensemble, or uses the single fitted set with
    ``point_estimate=True``. With ``out`` (a results root such as ``"results"``) the run is
    written as ``hedgesim run`` writes it, ``<out>/<scenario>/<UTC time>/`` with the
    standard charts unless ``charts=False``, and the frame is read back from that folder;
    without it nothing is written. A scenario that changes the calibrated history without
    declaring ``counterfactual_history: true`` is refused, as on the command line.
    """
    sc = _scenario(scenario, replications, seed)
    calibration = load_calibration("point" if point_estimate else "posterior")
    if out is not None:
        from model.analysis.charts import standard_charts
        from model.experiments.single import execute

        report = execute(sc, out, charts=standard_charts if charts else None,
                         calibration=calibration)
        return read_results(report.folder)
    guard(sc, calibrated_values())
    frame = run_scenario(sc, calibration=calibration).frame()
    strategy = last_strategy(sc.resolved())
    design = pd.DataFrame({"point": [0], "scenario": [sc.name], "strategy": [strategy]})
    stored = StoredResults(None, "run", {"kind": "run", "scenario": sc.resolved(),
                                         "calibration": calibration.describe()},
                           design, pd.DataFrame(columns=["point", "replication", "seed",
                                                         "status", "error"]),
                           _runs=frame.assign(point=0, strategy=strategy))
    return _frame(stored)


def sweep(experiment: Experiment | str | Path, *, out: str | Path = "results",
          replications: int | None = None, seed: int | None = None,
          workers: int | None = None, executor: str = "local",
          point_estimate: bool = False) -> pd.DataFrame:
    """Run a sweep (an experiment file, a shipped experiment's name or an
    :class:`~model.experiments.design.Experiment`) into ``<out>/<name>/<UTC time>/`` and
    return the tidy frame of its successful runs, the design's columns joined.

    ``replications`` and ``seed`` override the experiment's; ``executor`` is ``local``
    (worker processes, ``workers`` of them), ``serial`` or ``dask``. Runs that failed are
    not in the frame: ``frame.attrs["manifest"]["runs"]`` counts them.
    """
    from model.experiments.sweep import run_sweep

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:  # validated and the design drawn again, as if the file said so
        exp = from_spec({**exp.spec, **changes}, list(exp.scenarios), exp.path, exp.name)
    calibration = load_calibration("point" if point_estimate else "posterior")
    report = run_sweep(exp, out, executor=executor, workers=workers, calibration=calibration)
    return read_results(report.folder)


def read_results(folder: str | Path) -> pd.DataFrame:
    """The tidy frame of a run or sweep folder: its successful runs, the design's columns
    joined on ``point``; a sweep's parts are each checked against their commit record."""
    return _frame(_read_stored(folder))


def _scenario(scenario: Scenario | str | Path, replications: int | None,
              seed: int | None) -> Scenario:
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    return sc.with_values(**changes) if changes else sc


def _frame(stored: StoredResults) -> pd.DataFrame:
    frame = stored.tidy().reset_index(drop=True)
    frame.attrs.update(folder=stored.folder, kind=stored.kind, manifest=stored.manifest)
    return frame
