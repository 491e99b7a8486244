"""How much memory and time a run or a sweep will take, said before it starts.

Work that cannot finish should be refused in one line, not discovered after
an hour or when the machine runs out of memory (issue 13: ``run -n 100000`` to
2100 reached 13 GB before it was killed; a 10^11-run design started without a
word). The estimates come from the sizes alone:

- memory of ``hedgesim run``: every replication is held until the table is
  written, so rows (replications x years) x outputs x 8 bytes, times
  :data:`RUN_PEAK_FACTOR` for the copies made while the table is built and
  written;
- a sweep streams its runs to disk, so its memory stays flat; what it writes
  is rows x outputs x 8 bytes before compression, which the estimate reports;
- time: simulated run-years x :data:`SECONDS_PER_RUN_YEAR`, divided by the
  workers of a sweep.

Above :data:`MAX_MEMORY_BYTES` or :data:`MAX_SECONDS` the CLI refuses unless
the user passes ``--yes``; the message gives the estimate and its arithmetic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from model.errors import HedgesimError
from model.experiments.design import Experiment
from model.outputs import OUTPUTS
from model.scenario import HISTORY_START, Scenario

SECONDS_PER_RUN_YEAR = 7e-5
"""Seconds per simulated year of one replication, on one core. Measured on the 2-core
development machine: the baseline to 2016, 2035 and 2100 took 60-62 microseconds per year
(20 runs each, model only); ``hedgesim run`` to 2100 with 3,000 replications 69 and a serial
sweep of 600 runs to 2035 73 (writing included)."""
BYTES_PER_VALUE = 8
RUN_PEAK_FACTOR = 2.6
"""Peak memory of ``hedgesim run`` over its table of rows x outputs x 8 bytes: measured 0.20 MB
per replication to 2100 (113 years x 84 outputs x 8 bytes = 0.076 MB), between 500 and 3,000
replications."""
MAX_MEMORY_BYTES = 4 * 10**9
MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class Estimate:
    """What a run or a sweep will cost, from its sizes."""

    what: str  # "run" or "sweep"
    runs: int
    run_years: int  # simulated years summed over runs
    outputs: int
    workers: int
    memory_bytes: int  # held in memory at the peak (a sweep: flat, not estimated)
    data_bytes: int  # rows x outputs x 8 bytes

    @property
    def seconds(self) -> float:
        return self.run_years * SECONDS_PER_RUN_YEAR / self.workers

    def describe(self) -> str:
        """'about 19.8 GB of memory (...) and about 13 min (...)'."""
        cores = f" / {self.workers} workers" if self.workers > 1 else ""
        time = (f"about {_duration(self.seconds)} ({self.run_years:,} simulated run-years x "
                f"{SECONDS_PER_RUN_YEAR * 1e6:.0f} us{cores})")
        data = (f"{self.run_years:,} rows x {self.outputs} outputs x {BYTES_PER_VALUE} bytes = "
                f"{_size(self.data_bytes)}")
        if self.what == "run":
            return (f"about {_size(self.memory_bytes)} of memory ({data}, x {RUN_PEAK_FACTOR} "
                    f"while it is written) and {time}")
        return f"{time}, writing {data} before compression"

    def over(self) -> list[str]:
        """The limits this estimate exceeds, as words for a message."""
        out = []
        if self.memory_bytes > MAX_MEMORY_BYTES:
            out.append(f"{_size(MAX_MEMORY_BYTES)} of memory")
        if self.seconds > MAX_SECONDS:
            out.append(_duration(MAX_SECONDS))
        return out


def estimate_run(scenario: Scenario) -> Estimate:
    """The cost of ``hedgesim run``: every replication in one process."""
    years = scenario.horizon - HISTORY_START + 1
    run_years = scenario.replications * years
    data = run_years * len(OUTPUTS) * BYTES_PER_VALUE
    return Estimate("run", scenario.replications, run_years, len(OUTPUTS), 1,
                    int(data * RUN_PEAK_FACTOR), data)


def estimate_sweep(experiment: Experiment, workers: int) -> Estimate:
    """The cost of a sweep over ``workers`` processes (its memory is flat: runs stream to disk)."""
    per_scenario = Counter(p.scenario for p in experiment.points)
    run_years = experiment.replications * sum(
        n * (experiment.scenarios[s].horizon - HISTORY_START + 1) for s, n in per_scenario.items())
    data = run_years * len(OUTPUTS) * BYTES_PER_VALUE
    return Estimate("sweep", experiment.total_runs, run_years, len(OUTPUTS), max(1, workers), 0,
                    data)


def check_budget(estimate: Estimate, file: str, field: str, yes: bool) -> None:
    """Refuse an estimate above the limits unless ``yes`` (the user's ``--yes``)."""
    over = estimate.over()
    if over and not yes:
        runs = "replications" if estimate.what == "run" else "runs"
        raise HedgesimError(file, field, f"{estimate.what} of {estimate.runs:,} {runs} would take "
                            f"{estimate.describe()}; more than {' and '.join(over)}: reduce it, "
                            "or pass --yes to start anyway")


def _size(n: float) -> str:
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"


def _duration(seconds: float) -> str:
    for unit, scale in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.2g} s"
