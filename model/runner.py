"""Run a scenario's replications: seeds, the model loop, a tidy table.

Each replication's seed comes from the scenario's base seed and the
replication's identity through ``numpy.random.SeedSequence``, never from the
order of execution, so any replication can be rerun alone and results do not
depend on how many processes ran them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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

    def frame(self) -> pd.DataFrame:
        """Long table: a row per replication and year, a column per output."""
        r, y, k = self.values.shape
        df = pd.DataFrame(self.values.reshape(r * y, k), columns=list(OUTPUTS))
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
) -> RunResult:
    """Run the given replication indices (default: all) of a scenario, serially."""
    reps = list(range(scenario.replications)) if replications is None else list(replications)
    inputs = compile_inputs(scenario) if inputs is None else inputs
    seeds = [run_seed(scenario.seed, r) for r in reps]
    out = np.empty((len(reps), len(inputs.years), len(OUTPUTS)))
    for i, seed in enumerate(seeds):
        out[i] = simulate(inputs, seed)
        if progress is not None:
            progress(1)
    return RunResult(scenario, inputs.years, seeds, reps, out)
