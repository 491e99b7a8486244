"""What would it take? The smallest lever value that meets a target with a given probability.

Given a scenario, a lever (a registry parameter, e.g. ``russia.trade_subsidy_rate``),
a target (``trade_russia_usd@2020 >= 1e9``) and a probability ``p`` (default 0.5),
find the smallest lever value at which at least ``p`` of the replications meet
the target.

Common random numbers: every lever value is run with the same replications,
that is the same seeds and the same posterior draws, so the outcome moves with
the lever and not with the dice. For an upward target (``>=``/``>``) the
success fraction is at least ``p`` exactly when the ``1 - p`` quantile of the
outcome across replications meets the threshold; that quantile (linearly
interpolated between replications, so it changes smoothly with the lever) is
the function whose root :func:`scipy.optimize.brentq` finds. The interval
comes from the replications themselves: each replication's own crossing
point (again by brentq), and a bootstrap of the ``p`` quantile of those
crossings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from model.analysis.results import Outcome
from model.ensemble import Calibration, load_calibration
from model.errors import HedgesimError
from model.params import REGISTRY
from model.runner import run_scenario
from model.scenario import Scenario
from model.world import COLUMN

XTOL_SHARE = 1e-3  # root tolerance as a share of the lever's range
BOOTSTRAP = 2000


@dataclass
class SeekResult:
    scenario: str
    lever: str
    target: Outcome
    probability: float
    replications: int
    low: float  # the lever's range searched
    high: float
    value: float | None  # None: no value in [low, high] meets the target
    interval: tuple[float, float] | None  # 90% bootstrap interval over replications
    success: float  # share of replications meeting the target at ``value`` (or at ``high``)
    cost_russia: tuple[float, float, float]  # median, p05, p95 at ``value`` (or ``high``), US$/yr
    cost_china: tuple[float, float, float]
    outcome: tuple[float, float, float]
    crossings: np.ndarray  # per replication: its own crossing (inf: never; low: already met)
    evaluations: int

    def lines(self) -> list[str]:
        from model.analysis.charts import fmt_value

        t, col = self.target, self.target.column

        def trio(v, c):
            return f"{fmt_value(v[0], c)} [90%: {fmt_value(v[1], c)} - {fmt_value(v[2], c)}]"

        goal = f"{col}@{t.year} {t.op} {t.threshold:g} in at least {self.probability:.0%} of runs"
        if self.value is None:
            return [f"{self.scenario}: no {self.lever} in its range {self.low:g}-{self.high:g} "
                    f"meets {goal}: at {self.high:g} only {self.success:.0%} of "
                    f"{self.replications} runs do (outcome {trio(self.outcome, col)}).",
                    f"cost at {self.high:g} a year: Russia {trio(self.cost_russia, 'x_usd')}, "
                    f"China {trio(self.cost_china, 'x_usd')}"]
        lo, hi = self.interval
        finite = np.isfinite(hi)
        return [f"{self.scenario}: smallest {self.lever} meeting {goal}: {self.value:.3f} "
                f"(90% interval over replications {lo:.3f} to "
                + (f"{hi:.3f})" if finite else f"beyond {self.high:g})"),
                f"at {self.value:.3f}: {self.success:.0%} of {self.replications} runs meet it; "
                f"{col} {trio(self.outcome, col)}",
                f"cost a year in {t.year}: Russia {trio(self.cost_russia, 'x_usd')}, "
                f"China {trio(self.cost_china, 'x_usd')}",
                f"{self.evaluations} lever values run with the same {self.replications} seeds and "
                "posterior draws (common random numbers); root by scipy.optimize.brentq"]


def _check(scenario: Scenario, lever: str, target: Outcome, probability: float,
           low: float | None, high: float | None) -> tuple[float, float]:
    if lever not in REGISTRY:
        from model.analysis.charts import suggest

        raise HedgesimError(lever, "LEVER", f"expected a registry parameter{suggest(lever, REGISTRY)}")
    p = REGISTRY[lever]
    if target.op not in (">=", ">", "<=", "<"):
        raise HedgesimError(target.text, "TARGET", "expected >=, >, <= or <")
    if not 0 < probability < 1:
        raise HedgesimError(str(probability), "--probability", "expected a number between 0 and 1")
    if not scenario.policy_start <= target.year <= scenario.horizon:
        raise HedgesimError(target.text, "TARGET", f"expected a year from the policy start "
                            f"{scenario.policy_start} to the horizon {scenario.horizon}")
    lo = p.low if low is None else low
    hi = p.high if high is None else high
    if not p.low <= lo < hi <= p.high:
        raise HedgesimError(lever, "--low/--high", f"expected {p.low:g} <= low < high <= {p.high:g} "
                            f"(the parameter's range)")
    return float(lo), float(hi)


def seek(scenario: Scenario, lever: str, target: Outcome, probability: float = 0.5,
         calibration: Calibration | None = None, low: float | None = None,
         high: float | None = None) -> SeekResult:
    """The smallest ``lever`` value in [low, high] (default: the registry range) at which at
    least ``probability`` of the scenario's replications meet ``target``."""
    lo, hi = _check(scenario, lever, target, probability, low, high)
    calibration = load_calibration() if calibration is None else calibration
    year_index = int(np.searchsorted(scenario.years, target.year))
    up = target.op in (">=", ">")
    cache: dict[float, np.ndarray] = {}

    def values(x: float) -> np.ndarray:
        """(replications, outputs) in the target year at lever value x; the same seeds and
        draws at every x (the scenario's seed and replication indices)."""
        x = float(x)
        if x not in cache:
            sc = scenario.with_values(values={lever: x})
            cache[x] = run_scenario(sc, calibration=calibration).values[:, year_index, :]
        return cache[x]

    def outcome(x: float) -> np.ndarray:
        return values(x)[:, COLUMN[target.column]]

    # margin > 0 exactly when at least `probability` of the runs meet the target
    q = 1 - probability if up else probability

    def margin(x: float) -> float:
        v = np.quantile(outcome(x), q)
        return float(v - target.threshold) if up else float(target.threshold - v)

    xtol = XTOL_SHARE * (hi - lo)
    m_lo, m_hi = margin(lo), margin(hi)
    if m_lo >= 0:
        value = lo
    elif m_hi < 0:
        value = None
    else:
        value = float(brentq(margin, lo, hi, xtol=xtol))
        if margin(value) < 0:  # brentq stops within xtol: step to the side that meets it
            value = min(value + xtol, hi)

    # each replication's own crossing, for the interval
    crossings = np.full(scenario.replications, np.inf)
    for r in range(scenario.replications):
        def own(x: float, r=r) -> float:
            v = outcome(x)[r]
            return float(v - target.threshold) if up else float(target.threshold - v)

        if own(lo) >= 0:
            crossings[r] = lo
        elif own(hi) >= 0:
            crossings[r] = brentq(own, lo, hi, xtol=xtol)
    rng = np.random.default_rng(np.random.SeedSequence([scenario.seed, 0x5EEC]))
    never = hi + (hi - lo)  # a finite stand-in for "no crossing in range", mapped back to inf
    finite = np.where(np.isfinite(crossings), crossings, never)
    boots = np.quantile(rng.choice(finite, size=(BOOTSTRAP, finite.size)), probability,
                        axis=1, method="inverted_cdf")
    interval = tuple(float(v) if v < never else float("inf")
                     for v in np.quantile(boots, [0.05, 0.95], method="inverted_cdf"))

    where = value if value is not None else hi
    at = values(where)
    hits = (at[:, COLUMN[target.column]] >= target.threshold if target.op == ">=" else
            at[:, COLUMN[target.column]] > target.threshold if target.op == ">" else
            at[:, COLUMN[target.column]] <= target.threshold if target.op == "<=" else
            at[:, COLUMN[target.column]] < target.threshold)

    def trio(col: str) -> tuple[float, float, float]:
        v = at[:, COLUMN[col]]
        return (float(np.median(v)), float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95)))

    return SeekResult(scenario.name, lever, target, probability, scenario.replications, lo, hi,
                      value, interval if value is not None else None, float(hits.mean()),
                      trio("support_russia_usd"), trio("support_china_usd"), trio(target.column),
                      crossings, len(cache))
