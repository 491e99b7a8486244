"""Experiments: what a sweep varies, validated against the registry, and its design.

An experiment is either the ``experiment:`` section of a scenario file or a
standalone file that points at scenario files::

    name: russia_subsidy_sweep        # optional (default: the file's stem)
    scenario: ../baseline.yaml        # or scenarios: [a.yaml, b.yaml] (a factor)
    replications: 10                  # per design point
    seed: 42                          # base seed
    vary:                             # full factorial across keys
      levers.russia.trade_subsidy_rate: [0.0, 0.2, 0.4]
      strategy: [play_off, equidistance]
      russia.earn_not_spend: {from: 0.5, to: 1.0, step: 0.25}
    sample:                           # quasi-random design (crossed with vary)
      method: sobol                   # sobol | lhs
      n: 64                           # sobol: base samples, a power of two
      ranges: {firms.russia_export_margin: [0.05, 0.3], russia.rivalry: null}

Following EMA Workbench, the model stays a function from settings to outcomes:
the design is a list of :class:`DesignPoint` (a scenario, a strategy and
registry values); :meth:`Experiment.scenario_for` turns one into a Scenario.
A varied timeline value applies from the scenario's ``policy_start``, exactly
as a single value in a scenario file does.

A Sobol sample is the design Sobol sensitivity indices need (Saltelli 2010):
``n`` base samples give matrices A and B and, per sampled parameter ``i``,
AB_i (A with column ``i`` from B), so ``n * (d + 2)`` points tagged with
``sobol_block`` ("A", "B", "AB:<parameter>") and ``sobol_sample`` (0..n-1).
:func:`sobol_design` is the one implementation; the sweep runs it and
``model.analysis.sensitivity`` reads its tags back from design.parquet. Every mistake is one
:class:`HedgesimError` line naming the file, the field and the expectation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.common import OnFirstUse, did_you_mean
from model.errors import HedgesimError, show
from model.params import REGISTRY, Param
from model.scenario import (
    COUNTERFACTUAL_NOTE,
    EXPERIMENT_DIR,
    Scenario,
    _int,
    _is_number,
    _read_yaml,
    check_name,
    check_number,
    load,
    sibling_file,
)
from model.strategies import STRATEGIES
from model.userfile import is_file

pd = OnFirstUse("pandas")  # not imported by a sweep's workers, which never use it

EXPERIMENT_KEYS = {
    "name": "a short identifier for the results folder",
    "description": "one line saying what question the sweep answers",
    "replications": "replications per design point (1-100000)",
    "seed": "base seed of the sweep (a non-negative integer)",
    "vary": "factors with explicit values or ranges: full factorial",
    "sample": "a Latin hypercube or Sobol sample over parameter ranges",
    "counterfactual_history": "true if varied settings deliberately change years before "
                              "policy_start (e.g. a constant behavioural parameter, which acts "
                              "from 1988); every point is then marked as such",
}
FILE_KEYS = {**EXPERIMENT_KEYS, "scenario": "the base scenario file",
             "scenarios": "a list of scenario files (a factor of the design)",
             "experiment": "the experiment keys, if not at the top level"}
SAMPLE_KEYS = {"method": "sobol or lhs",
               "n": "the sample size (sobol: base samples, n * (parameters + 2) points)",
               "ranges": "{parameter: [low, high]} (null: the registry's range)"}
RANGE_KEYS = ("from", "to", "step", "n")
METHODS = ("sobol", "lhs")
MAX_POINTS = 1_000_000
MAX_RANGE_VALUES = 10_000


@dataclass(frozen=True)
class DesignPoint:
    """One design point: a base scenario, a strategy name (or None) and registry values."""

    point: int
    scenario: int
    strategy: str | None
    values: dict[str, float] = field(default_factory=dict)
    sobol: tuple[str, int] | None = None  # (sobol_block, sobol_sample) in a Sobol design


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base scenarios, factors and the generated design."""

    name: str
    description: str
    path: str
    scenarios: tuple[Scenario, ...]
    replications: int
    seed: int
    parameters: tuple[str, ...]  # varied registry names, in column order
    points: tuple[DesignPoint, ...]
    spec: dict  # the experiment as given
    counterfactual_history: bool = False

    @property
    def size(self) -> int:
        return len(self.points)

    @property
    def method(self) -> str:
        """How the design was made: ``sobol``, ``lhs`` or ``grid`` (vary/scenarios only)."""
        sample = self.spec.get("sample")
        return sample["method"] if isinstance(sample, dict) else "grid"

    @property
    def total_runs(self) -> int:
        return self.size * self.replications

    def scenario_for(self, point: int | DesignPoint) -> Scenario:
        """The scenario a design point runs: its base with the point's settings."""
        dp = self.points[point] if isinstance(point, int) else point
        base = self.scenarios[dp.scenario]
        changes: dict[str, Any] = {"values": dict(dp.values)}
        if dp.strategy is not None:
            changes["strategy"] = {base.policy_start: dp.strategy}
        if self.counterfactual_history:
            changes["counterfactual_history"] = True
        return base.with_values(**changes)

    def design_frame(self) -> pd.DataFrame:
        """``point, scenario, strategy`` and a float column per varied parameter."""
        return pd.DataFrame(self.design_columns())

    def design_columns(self) -> dict[str, Any]:
        """The design's columns (:meth:`design_frame`'s) as NumPy arrays and lists of strings:
        a sweep writes them without pandas, which its driver then imports while its first
        tasks run."""
        rows: dict[str, Any] = {
            "point": np.array([p.point for p in self.points], dtype=np.int32),
            "scenario": [self.scenarios[p.scenario].name for p in self.points],
            "strategy": [p.strategy if p.strategy is not None
                         else _strategy_label(self.scenarios[p.scenario]) for p in self.points],
        }
        if self.method == "sobol":
            rows["sobol_block"] = [p.sobol[0] for p in self.points]
            rows["sobol_sample"] = np.array([p.sobol[1] for p in self.points], dtype=np.int32)
        for name in self.parameters:
            rows[name] = np.array([p.values[name] for p in self.points], dtype=float)
        return rows

    def history_note(self) -> str:
        """'counterfactual history: settings change before 2015' if the experiment or one of its
        scenarios declares counterfactual_history, else ''."""
        marked = [s for s in self.scenarios if s.counterfactual_history or self.counterfactual_history]
        return COUNTERFACTUAL_NOTE.format(year=marked[0].policy_start) if marked else ""

    def horizon(self, point: int) -> int:
        return self.scenarios[self.points[point].scenario].horizon


def _strategy_label(sc: Scenario) -> str:
    if len(sc.strategy) == 1:
        return next(iter(sc.strategy.values()))
    return ",".join(f"{y}:{s}" for y, s in sorted(sc.strategy.items()))


# ---------------------------------------------------------------- loading
def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment file (standalone, or a scenario with an ``experiment:`` section).

    A bare name (``russia_subsidy_sweep``) that is not a file here is one of the shipped
    examples, ``scenarios/experiments/<name>.yaml``, in a checkout or an install alike."""
    p = Path(path)
    if (not is_file(p) and not p.suffix and len(p.parts) == 1
            and is_file(EXPERIMENT_DIR / f"{p}.yaml")):
        p = path = EXPERIMENT_DIR / f"{p}.yaml"
    file = str(path)
    if not is_file(p):
        raise HedgesimError(file, None, "experiment file not found"
                            + did_you_mean(p.stem, [e.stem for e in EXPERIMENT_DIR.glob("*.yaml")]))
    data = _read_yaml(p)
    if "scenario" in data or "scenarios" in data:
        for key in data:
            if key not in FILE_KEYS:
                raise HedgesimError(file, key if isinstance(key, str) else show(key), "unknown key" + did_you_mean(key, FILE_KEYS)
                                    + f" (allowed: {', '.join(FILE_KEYS)})")
        spec = {k: v for k, v in data.items() if k in EXPERIMENT_KEYS}
        nested = data.get("experiment")
        if nested is not None:
            if not isinstance(nested, dict):
                raise HedgesimError(file, "experiment", "expected a mapping of experiment keys")
            for key in nested:
                if key in spec:
                    raise HedgesimError(file, f"experiment.{key}", "given twice (top level too)")
            spec.update(nested)
        if "scenario" in data and "scenarios" in data:
            raise HedgesimError(file, "scenarios", "expected either 'scenario' or 'scenarios'")
        names = data.get("scenarios", [data.get("scenario")])
        field_ = "scenarios" if "scenarios" in data else "scenario"
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise HedgesimError(file, field_, "expected a scenario file name or a list of them")
        scenarios = []
        for i, n in enumerate(names):
            where = field_ if field_ == "scenario" else f"scenarios[{i}]"
            scenarios.append(load(sibling_file(file, where, n)))
        default_name = p.stem
    else:
        sc = load(p)
        if sc.experiment is None:
            raise HedgesimError(file, "experiment", "expected an 'experiment:' section, or "
                                "'scenario:'/'scenarios:' naming the files to sweep")
        spec, scenarios, default_name = dict(sc.experiment), [sc], sc.name
    seen = [s.name for s in scenarios]
    if len(set(seen)) != len(seen):
        raise HedgesimError(file, "scenarios", "expected scenarios with distinct names")
    return from_spec(spec, scenarios, file, default_name)


def is_experiment_file(path: str | Path) -> bool:
    """True for a standalone experiment file (one that names ``scenario:`` or ``scenarios:``)."""
    p = Path(path)
    if not is_file(p):
        return False
    data = _read_yaml(p)
    return "scenario" in data or "scenarios" in data


def from_spec(spec: dict, scenarios: list[Scenario], file: str = "<experiment>",
              default_name: str = "experiment") -> Experiment:
    """Validate the experiment keys and generate the design."""
    where = "experiment."
    for key in spec:
        if key not in EXPERIMENT_KEYS:
            raise HedgesimError(file, where + (key if isinstance(key, str) else show(key)),
                                "unknown key"
                                + did_you_mean(key, EXPERIMENT_KEYS)
                                + f" (allowed: {', '.join(EXPERIMENT_KEYS)})")
    name = check_name(file, where + "name", spec.get("name", default_name))
    description = spec.get("description", scenarios[0].description if len(scenarios) == 1 else "")
    if not isinstance(description, str):
        raise HedgesimError(file, where + "description", "expected one line of text")
    replications = _int(file, where + "replications",
                        spec.get("replications", scenarios[0].replications), 1, 100000,
                        "a count of replications per design point")
    seed = _int(file, where + "seed", spec.get("seed", scenarios[0].seed), 0, 2**63 - 1,
                "a non-negative integer")
    counterfactual = spec.get("counterfactual_history", False)
    if not isinstance(counterfactual, bool):
        raise HedgesimError(file, where + "counterfactual_history",
                            f"expected true or false, got {show(counterfactual)}")
    vary = spec.get("vary")
    vary = {} if vary is None else vary  # `vary: []` is a mistake, not "nothing to vary"
    if not isinstance(vary, dict):
        raise HedgesimError(file, where + "vary", "expected a mapping of factor: values")
    sample = spec.get("sample")
    if not vary and sample is None and len(scenarios) == 1:
        raise HedgesimError(file, where + "vary", "expected something to vary: 'vary', "
                            "'sample' or several 'scenarios'")

    strategies: list[str | None] = [None]
    grid: dict[str, list[float]] = {}
    for key, value in vary.items():
        at = f"{where}vary.{key}"
        if key == "strategy":
            strategies = _strategies(file, at, value)
            continue
        pname = _param_name(file, at, key)
        if pname in grid:
            raise HedgesimError(file, at, f"{pname} is varied twice")
        grid[pname] = _values(file, at, REGISTRY[pname], value)

    plan = None
    if sample is not None:
        plan = _sample_plan(file, where + "sample", sample)
        for n in plan.names:
            if n in grid:
                raise HedgesimError(file, f"{where}sample.ranges.{n}", "is also under 'vary'; "
                                    "vary it in one place")
    _check_size(file, where, len(scenarios), len(strategies), grid, plan)

    sampled_names: list[str] = []
    sample_rows = np.empty((1, 0))
    sobol_tags: list[tuple[str, int] | None] = [None]
    if plan is not None:
        sampled_names, sample_rows, sobol_tags = _draw(plan, seed)
    names = list(grid)
    points = []
    for s_idx, strat, combo, (row, tag) in itertools.product(
            range(len(scenarios)), strategies, itertools.product(*grid.values()),
            list(zip(sample_rows, sobol_tags, strict=True))):
        values = dict(zip(names, combo, strict=True))
        values.update(zip(sampled_names, (float(x) for x in row), strict=True))
        points.append(DesignPoint(len(points), s_idx, strat, values, tag))
    return Experiment(name, description.strip(), file, tuple(scenarios), replications, seed,
                      tuple(names + sampled_names), tuple(points), dict(spec), counterfactual)


# ---------------------------------------------------------------- factors
def section_and_name(key: Any) -> tuple[str | None, str]:
    """A ``vary:`` or ``sample:`` key as its section (``levers``, ``parameters`` or None) and
    registry name: ``levers.russia.trade_subsidy_rate`` is ``('levers',
    'russia.trade_subsidy_rate')``. Not checked: see :func:`_param_name`."""
    key = str(key)
    section = None
    for prefix in ("levers.", "parameters."):
        if key.startswith(prefix):
            section, key = prefix[:-1], key[len(prefix):]
    return section, key


def _param_name(file: str, at: str, key: Any) -> str:
    """A registry name, with an optional ``levers.``/``parameters.`` prefix checked."""
    section, key = section_and_name(key)
    if key not in REGISTRY:
        raise HedgesimError(file, at, "unknown parameter" + did_you_mean(key, [*REGISTRY, "strategy"]))
    kind = REGISTRY[key].kind
    if section == "levers" and kind != "lever":
        raise HedgesimError(file, at, f"is a {kind}; name it parameters.{key} or {key}")
    if section == "parameters" and kind == "lever":
        raise HedgesimError(file, at, f"is a lever; name it levers.{key} or {key}")
    return key


_one = check_number


def _values(file: str, at: str, p: Param, value: Any) -> list[float]:
    """Explicit list, a single number, or ``{from, to, step}`` / ``{from, to, n}``."""
    if isinstance(value, list):
        if not value:
            raise HedgesimError(file, at, "expected at least one value")
        out = [_one(file, f"{at}[{i}]", p, x) for i, x in enumerate(value)]
    elif isinstance(value, dict):
        for k in value:
            if k not in RANGE_KEYS:
                raise HedgesimError(file, f"{at}.{k}", "unknown key" + did_you_mean(k, RANGE_KEYS)
                                    + " (a range has from, to and step or n)")
        if "from" not in value or "to" not in value or ("step" in value) == ("n" in value):
            raise HedgesimError(file, at, "expected {from: a, to: b, step: s} or "
                                "{from: a, to: b, n: count}")
        lo = _one(file, f"{at}.from", p, value["from"])
        hi = _one(file, f"{at}.to", p, value["to"])
        if hi < lo:
            raise HedgesimError(file, f"{at}.to", f"expected 'to' >= 'from' ({lo:g})")
        if "step" in value:
            step = value["step"]
            if not _is_number(step) or step <= 0:
                raise HedgesimError(file, f"{at}.step", f"expected a positive number, got "
                                    f"{show(step)}")
            steps = (hi - lo) / step  # inf for a step such as 1e-320
            if not steps < MAX_RANGE_VALUES:
                raise HedgesimError(file, f"{at}.step", f"expected at most {MAX_RANGE_VALUES} "
                                    f"values, a step of {step:g} from {lo:g} to {hi:g} gives "
                                    f"{'more' if not math.isfinite(steps) else f'{steps + 1:.3g}'}")
            count = int(math.floor(steps + 1e-9)) + 1
        else:
            count = _int(file, f"{at}.n", value["n"], 1, MAX_RANGE_VALUES, "a count of values")
            step = (hi - lo) / (count - 1) if count > 1 else 0.0
        if count > MAX_RANGE_VALUES:
            raise HedgesimError(file, at, f"expected at most {MAX_RANGE_VALUES} values, "
                                f"the range gives {count}")
        out = [_one(file, at, p, round(lo + i * step, 12)) for i in range(count)]
    else:
        out = [_one(file, at, p, value)]
    if len(set(out)) != len(out):
        raise HedgesimError(file, at, "expected distinct values")
    return out


def _strategies(file: str, at: str, value: Any) -> list[str | None]:
    names = value if isinstance(value, list) else [value]
    if not names:
        raise HedgesimError(file, at, "expected at least one strategy")
    for i, n in enumerate(names):
        if not isinstance(n, str) or n not in STRATEGIES:
            raise HedgesimError(file, f"{at}[{i}]", f"unknown strategy {show(n)}"
                                f"{did_you_mean(n, STRATEGIES)} (one of: {', '.join(STRATEGIES)})")
    if len(set(names)) != len(names):
        raise HedgesimError(file, at, "expected distinct strategies")
    return list(names)


@dataclass(frozen=True)
class SamplePlan:
    """A validated ``sample:`` section, before anything is drawn."""

    method: str
    n: int
    names: tuple[str, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]

    @property
    def rows(self) -> int:
        """Design rows the sample gives: ``n`` (lhs) or ``n * (d + 2)`` (Sobol, Saltelli)."""
        return self.n * (len(self.names) + 2) if self.method == "sobol" else self.n

    def describe(self) -> str:
        if self.method == "sobol":
            return (f"sobol n={self.n:,} over {len(self.names)} parameters: "
                    f"{self.n:,} x ({len(self.names)} + 2) = {self.rows:,} points")
        return f"lhs n={self.n:,}"


def _sample_plan(file: str, at: str, sample: Any) -> SamplePlan:
    """Check the ``sample:`` keys, method, size and ranges; draw nothing."""
    if not isinstance(sample, dict):
        raise HedgesimError(file, at, "expected {method: sobol|lhs, n: size, ranges: {...}}")
    for k in sample:
        if k not in SAMPLE_KEYS:
            raise HedgesimError(file, f"{at}.{show(k) if not isinstance(k, str) else k}",
                                "unknown key" + did_you_mean(k, SAMPLE_KEYS)
                                + f" (allowed: {', '.join(SAMPLE_KEYS)})")
    method = sample.get("method")
    if not isinstance(method, str) or method not in METHODS:
        raise HedgesimError(file, f"{at}.method", f"expected one of {', '.join(METHODS)}, "
                            f"got {show(method)}{did_you_mean(method, METHODS)}")
    n = _int(file, f"{at}.n", sample.get("n"), 1, MAX_POINTS, "a sample size")
    if method == "sobol" and n & (n - 1):
        raise HedgesimError(file, f"{at}.n", f"expected a power of two for a Sobol sample, "
                            f"got {n} (try {1 << (n - 1).bit_length()})")
    ranges = sample.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise HedgesimError(file, f"{at}.ranges", "expected {parameter: [low, high]} with at "
                            "least one parameter")
    names, lows, highs = [], [], []
    for key, bounds in ranges.items():
        where = f"{at}.ranges.{key}"
        pname = _param_name(file, where, key)
        p = REGISTRY[pname]
        if pname in names:
            raise HedgesimError(file, where, f"{pname} is sampled twice")
        if bounds is None:
            lo, hi = p.low, p.high
        elif isinstance(bounds, list) and len(bounds) == 2:
            lo, hi = (_one(file, f"{where}[{i}]", p, b) for i, b in enumerate(bounds))
        else:
            raise HedgesimError(file, where, f"expected [low, high] or null for the registry's "
                                f"range ({p.low:g} to {p.high:g} {p.unit})")
        if not hi > lo:
            raise HedgesimError(file, where, f"expected low < high, got [{lo:g}, {hi:g}]")
        names.append(pname)
        lows.append(lo)
        highs.append(hi)
    return SamplePlan(method, n, tuple(names), tuple(lows), tuple(highs))


def _check_size(file: str, where: str, scenarios: int, strategies: int,
                grid: dict[str, list[float]], plan: SamplePlan | None) -> None:
    """Refuse a design of more than :data:`MAX_POINTS` points from the factor sizes alone,
    before a sample is drawn or a point is built, naming the section that makes it large."""
    grid_points = strategies * math.prod(len(v) for v in grid.values())
    sample_points = plan.rows if plan is not None else 1
    size = scenarios * grid_points * sample_points
    if size <= MAX_POINTS:
        return
    factors = [f"{scenarios} scenarios"] if scenarios > 1 else []
    if grid_points > 1:
        factors.append(f"{grid_points:,} combinations under vary")
    if plan is not None:
        factors.append(plan.describe())
    largest = max((scenarios, "scenarios"), (grid_points, "vary"),
                  (sample_points, "sample.n"))[1]
    field_ = "scenarios" if largest == "scenarios" else where + largest
    raise HedgesimError(file, field_, f"the design has {size:,} points ({' x '.join(factors)}); "
                        f"expected at most {MAX_POINTS:,}")


def _draw(plan: SamplePlan, seed: int) -> tuple[list[str], np.ndarray, list[tuple[str, int] | None]]:
    """Scaled Sobol (Saltelli blocks) or Latin hypercube rows, seeded from the base seed.

    Returns the parameter names, the rows and, per row, its (sobol_block,
    sobol_sample) tag (None for a Latin hypercube).
    """
    from scipy.stats import qmc

    names, lows, highs = list(plan.names), list(plan.lows), list(plan.highs)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A3]))
    integer = [REGISTRY[p].integer for p in names]
    if plan.method == "sobol":
        frame = sobol_design(dict(zip(names, zip(lows, highs, strict=True), strict=True)), plan.n,
                             rng, integer=integer)
        tags = list(zip(frame["sobol_block"], frame["sobol_sample"].astype(int), strict=True))
        return names, frame[names].to_numpy(dtype=float), tags
    unit = _sampler(qmc.LatinHypercube, len(names), rng).random(plan.n)
    rows = _round_integers(qmc.scale(unit, lows, highs), integer, lows, highs)
    return names, rows, [None] * len(rows)


def _sampler(engine, d: int, rng: np.random.Generator):
    try:
        return engine(d=d, rng=rng)
    except TypeError:  # scipy < 1.15 names it seed=
        return engine(d=d, seed=rng)


def _round_integers(rows: np.ndarray, integer, lows, highs) -> np.ndarray:
    for j, whole in enumerate(integer):
        if whole:
            rows[:, j] = np.clip(np.round(rows[:, j]), lows[j], highs[j])
    return rows


def sobol_design(ranges: dict[str, tuple[float, float]], n: int,
                 rng: np.random.Generator | int, integer=None) -> pd.DataFrame:
    """The Saltelli design for Sobol indices over independent uniform ``ranges``.

    ``n`` (a power of two) scrambled Sobol points in ``2 d`` dimensions are
    split into base matrices A (first ``d`` columns) and B (last ``d``); for
    each parameter ``i``, AB_i is A with column ``i`` taken from B. That is the
    sample structure ``scipy.stats.sobol_indices`` estimates from (Saltelli
    2010 first-order, Jansen total-order). Returns ``n * (d + 2)`` rows:
    ``sobol_block`` ("A", "B", "AB:<name>"), ``sobol_sample`` (0..n-1) and a
    column per parameter. ``integer`` flags parameters rounded to whole numbers.
    """
    from scipy.stats import qmc

    names = list(ranges)
    d = len(names)
    if d == 0:
        raise HedgesimError("design", "ranges", "expected at least one parameter range")
    if n < 1 or n & (n - 1):
        raise HedgesimError("design", "n", f"expected a power of two for a Sobol design, not {n}")
    lows = np.array([float(ranges[k][0]) for k in names])
    highs = np.array([float(ranges[k][1]) for k in names])
    if not (lows < highs).all():
        raise HedgesimError("design", "ranges", "expected every range to have low < high")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    unit = _sampler(qmc.Sobol, 2 * d, rng).random_base2(int(math.log2(n)))
    integer = list(integer) if integer is not None else [False] * d
    a = _round_integers(qmc.scale(unit[:, :d], lows, highs), integer, lows, highs)
    b = _round_integers(qmc.scale(unit[:, d:], lows, highs), integer, lows, highs)
    blocks = [("A", a), ("B", b)]
    for i, name in enumerate(names):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append((f"AB:{name}", ab))
    frames = [pd.DataFrame(m, columns=names).assign(sobol_block=tag, sobol_sample=np.arange(n))
              for tag, m in blocks]
    out = pd.concat(frames, ignore_index=True)
    return out[["sobol_block", "sobol_sample", *names]]


def validate_scenario_experiment(sc: Scenario) -> None:
    """Check a scenario's ``experiment:`` section (used by tests and `validate`)."""
    if sc.experiment is not None:
        from_spec(dict(sc.experiment), [sc], sc.path, sc.name)


__all__ = ["DesignPoint", "Experiment", "load_experiment", "from_spec", "sobol_design",
           "is_experiment_file"]
