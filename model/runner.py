"""Run a scenario's replications: seeds, parameter draws, the model loop, a tidy table.

Each replication's seed comes from the scenario's base seed and the
replication's identity through ``numpy.random.SeedSequence``, never from the
order of execution, so any replication can be rerun alone and results do not
depend on how many processes ran them. Each replication also draws a member
of the posterior ensemble (``model.ensemble``) from the base seed and its
index alone, so parameter uncertainty enters every interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from model.common import OnFirstUse
from model.ensemble import POINT_DRAW, Calibration, load_calibration
from model.scenario import Inputs, Scenario, compile_inputs, recompile_inputs, same_frame
from model.seeds import run_seed
from model.world import OUTPUTS, World, batch_key

pd = OnFirstUse("pandas")  # not imported by a sweep's workers, which never use it

BATCH_RUNS = 256
"""Most replications one World runs at once: the yearly step's Python cost is paid once per
batch, so a batch of 256 costs about as much as 7 runs alone. Larger batches gain nothing:
their arrays outgrow the processor's cache (benchmarks/run_speed.py, --batch)."""
BATCH_FIRM_YEARS = 4_000_000
"""And at most about this many firm-years per batch (about 36 MB of firm arrays: 9 bytes a
firm-year), so batches of large firm populations stay small."""


def simulate(inputs: Inputs, seed: int) -> np.ndarray:
    """One replication: a (years x outputs) array."""
    return World(inputs, rng=seed).run()[0]


def batches(members: Sequence[Inputs], limit: int = BATCH_RUNS) -> Iterator[list[int]]:
    """Indices of ``members`` in batches that can run in one World: the same years and firm
    count (:func:`model.world.batch_key`), at most ``limit`` runs and
    :data:`BATCH_FIRM_YEARS` firm-years each; in order within each batch."""
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(members):
        groups.setdefault(batch_key(m), []).append(i)
    for (first, last, firms), idx in groups.items():
        size = max(1, min(limit, BATCH_FIRM_YEARS // max(1, firms * (last - first + 1))))
        for start in range(0, len(idx), size):
            yield idx[start:start + size]


def simulate_batch(members: Sequence[Inputs], seeds: Sequence[int], limit: int = BATCH_RUNS,
                   progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Run ``(members[i], seeds[i])`` for every i, in batches: (runs, years, outputs).

    The same numbers, to the bit, as :func:`simulate` run by run; every member must
    cover the same years.
    """
    if len(members) != len(seeds):
        raise ValueError(f"one seed per run: {len(members)} inputs, {len(seeds)} seeds")
    if not members:
        return np.empty((0, 0, len(OUTPUTS)))
    years = members[0].years
    if any(len(m.years) != len(years) or m.years[0] != years[0] for m in members):
        raise ValueError("simulate_batch needs runs over the same years")
    out = None
    for idx in batches(members, limit):
        values = World([members[i] for i in idx], rng=[seeds[i] for i in idx]).run()
        if out is None and len(idx) == len(members):
            out = values  # one batch of every run, in order: its own table is the answer
        else:
            out = np.empty((len(members), len(years), len(OUTPUTS))) if out is None else out
            out[idx] = values
        if progress is not None:
            progress(len(idx))
    return out


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
    out = simulate_batch([compiled[draw] for draw in draws], seeds, progress=progress)
    return RunResult(scenario, years, seeds, reps, out.reshape(len(reps), len(years), -1), draws)


class InputsCache:
    """Compiled inputs per scenario and ensemble member, built on first use.

    Compiling and deriving a member's inputs costs about as much as a run, so
    replications that draw the same member share them, and a new pair is compiled from
    one already made (:func:`model.scenario.recompile_inputs`), recompiling only the values
    that differ: from the same member at another scenario (a sweep's points differ in the
    values they vary, and replication ``r`` draws the same member at every point), else
    from the scenario's first member (members differ in their free parameters).

    ``cache[draw]`` is ``scenario``'s; :meth:`get` takes any scenario (a sweep task's
    points share one cache). Scenarios are told apart by identity: pass the same object
    for the same scenario.
    """

    def __init__(self, scenario: Scenario | None, calibration: Calibration) -> None:
        self.scenario, self.calibration = scenario, calibration
        self._made: dict[tuple[int, int], Inputs] = {}  # (id(scenario), draw)
        self._scenarios: dict[int, Scenario] = {}  # keeps each id's scenario alive
        self._values: dict[int, dict] = {}  # calibrated values per draw
        self._by_draw: dict[int, tuple[Scenario, Inputs]] = {}  # the last made per draw
        self._first: dict[int, tuple[dict, Inputs]] = {}  # per scenario id

    def __getitem__(self, draw: int) -> Inputs:
        if self.scenario is None:
            raise TypeError("InputsCache(None, ...) has no scenario of its own: use get()")
        return self.get(self.scenario, draw)

    def get(self, scenario: Scenario, draw: int) -> Inputs:
        key = (id(scenario), draw)
        try:
            return self._made[key]
        except KeyError:
            pass
        try:
            values = self._values[draw]
        except KeyError:
            values = self._values[draw] = self.calibration.values(draw)
        other = self._by_draw.get(draw)
        if other is not None and same_frame(other[0], scenario):
            made = recompile_inputs(other[1], other[0], values, values, scenario)
        elif key[0] in self._first:
            first_values, inputs = self._first[key[0]]
            made = recompile_inputs(inputs, scenario, first_values, values)
        else:
            made = compile_inputs(scenario, values)
        self._scenarios[key[0]] = scenario
        self._first.setdefault(key[0], (values, made))
        self._by_draw[draw] = (scenario, made)
        self._made[key] = made
        return made
