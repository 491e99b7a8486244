"""Run a scenario's replications: seeds, parameter draws, the model loop, a tidy table.

Each replication's seed comes from the scenario's base seed and the
replication's identity through ``numpy.random.SeedSequence``, never from the
order of execution, so any replication can be rerun alone and results do not
depend on how many processes ran them. Each replication also draws a member
of the posterior ensemble (``model.ensemble``) from the base seed and its
index alone, so parameter uncertainty enters every interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.ensemble import POINT_DRAW, Calibration, load_calibration
from model.scenario import Inputs, Scenario, compile_inputs
from model.world import OUTPUTS, World


def run_seed(base_seed: int, *identity: int) -> int:
    """A 63-bit seed for the run identified by ``identity`` under ``base_seed``."""
    ss = np.random.SeedSequence([int(base_seed), *map(int, identity)])
    return int(ss.generate_state(2, np.uint64)[0] >> np.uint64(1))


def simulate(inputs: Inputs, seed: int) -> np.ndarray:
    """One replication: a (years x outputs) array."""
    return World(inputs, rng=seed).run()


@dataclass
class RunResult:
    scenario: Scenario
    years: np.ndarray
    seeds: list[int]
    replications: list[int]
    values: np.ndarray  # (replications, years, outputs)
    draws: list[int] | None = None  # ensemble member per replication; POINT_DRAW for none

    def frame(self) -> pd.DataFrame:
        """Long table: a row per replication and year, a column per output."""
        r, y, k = self.values.shape
        df = pd.DataFrame(self.values.reshape(r * y, k), columns=list(OUTPUTS))
        draws = self.draws if self.draws is not None else [POINT_DRAW] * r
        df.insert(0, "draw", np.repeat(np.array(draws, dtype=np.int32), y))
        df.insert(0, "seed", np.repeat(np.array(self.seeds, dtype=np.uint64), y))
        df.insert(0, "year", np.tile(self.years.astype(np.int32), r))
        df.insert(0, "replication", np.repeat(np.array(self.replications, dtype=np.int32), y))
        df.insert(0, "scenario", self.scenario.name)
        return df


def run_scenario(
    scenario: Scenario,
    replications: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
    inputs: Inputs | None = None,
    calibration: Calibration | None = None,
) -> RunResult:
    """Run the given replication indices (default: all) of a scenario, serially.

    ``inputs`` fixes one compiled parameter set for every replication (the
    calibration's own fitting does this). Otherwise each replication draws
    its calibrated values from ``calibration`` (default: the committed
    posterior ensemble, see :func:`model.ensemble.load_calibration`).
    """
    reps = list(range(scenario.replications)) if replications is None else list(replications)
    seeds = [run_seed(scenario.seed, r) for r in reps]
    years = scenario.years if inputs is None else inputs.years
    if inputs is not None:
        draws = [POINT_DRAW] * len(reps)
        compiled = {POINT_DRAW: inputs}
    else:
        calibration = load_calibration() if calibration is None else calibration
        draws = calibration.draws(scenario.seed, reps)
        compiled = InputsCache(scenario, calibration)
    out = np.empty((len(reps), len(years), len(OUTPUTS)))
    for i, (seed, draw) in enumerate(zip(seeds, draws, strict=True)):
        out[i] = simulate(compiled[draw], seed)
        if progress is not None:
            progress(1)
    return RunResult(scenario, years, seeds, reps, out, draws)


class InputsCache:
    """Compiled inputs per ensemble member of one scenario, built on first use.

    Compiling and deriving a member's inputs costs about as much as a run, so
    replications that draw the same member share them.
    """

    def __init__(self, scenario: Scenario, calibration: Calibration) -> None:
        self.scenario, self.calibration = scenario, calibration
        self._by_draw: dict[int, Inputs] = {}

    def __getitem__(self, draw: int) -> Inputs:
        try:
            return self._by_draw[draw]
        except KeyError:
            made = self._by_draw[draw] = compile_inputs(self.scenario,
                                                        self.calibration.values(draw))
            return made
