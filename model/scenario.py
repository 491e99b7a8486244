"""Scenario files: schema, ``extends``, loading, validation and compilation.

A scenario is YAML::

    name: russia_1bn_push
    description: One line for `hedgesim list`.
    extends: baseline.yaml          # optional, relative to this file
    horizon: 2035                   # last simulated year
    policy_start: 2015              # single values take effect from this year
    replications: 50
    seed: 20150707
    strategy: play_off              # or {2015: play_off, 2020: equidistance}
    levers:                         # policy settings (registry kind "lever")
      russia: {trade_subsidy_rate: 0.4, credit_usd: {2016: 2.0e8}}
    parameters:                     # behavioural and fixed inputs
      firms: {count: 300}
    shocks:
      - {type: nuclear_test, year: 2016}
      - {type: oil_price, year: 2016, usd_per_bbl: 40}
    counterfactual_history: false   # true: settings may change years before policy_start

Years before ``policy_start`` are the calibrated history (registry defaults
and ``calibrated.yaml``). :func:`history_changes` lists what a scenario's
settings change there, by comparing the compiled inputs with and without
them; ``model.experiments.history`` refuses such a scenario unless it
declares ``counterfactual_history: true``.

Every error is a :class:`HedgesimError` naming the file, the field and what
was expected. The registry (params.py) is the schema for levers and
parameters; :func:`json_schema` exports it for editors.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.common import did_you_mean
from model.errors import HedgesimError, show
from model.params import PATRONS, REGISTRY, Param
from model.strategies import STRATEGIES
from model.userfile import is_dir, is_file, parse_yaml, read_mapping

HISTORY_START = 1988
HISTORY_STRATEGY = "play_off"  # the default strategy from policy_start
# The DPRK's stance through the history (before policy_start), from the seeds: Kim Il Sung
# played Moscow and Beijing off until the Soviet collapse (000, 003); in the 1990s it was
# estranged from both (Beijing recognised Seoul in 1992, 003; Moscow turned to the West,
# 001); from the early 2000s it leaned on China, which chose to keep it afloat (001). Its
# 2014 courting of Moscow (001, 002, 004) had not moved trade by the year's end (002: a
# slight fall), so the plan keeps the lean on China through 2014.
HISTORY_PLAN: dict[int, str] = {1988: "play_off", 1992: "equidistance", 2000: "bandwagon_china"}
TOP_KEYS = {
    "name": "a short identifier (letters, digits, _ or -)",
    "description": "one line saying what question the scenario answers",
    "extends": "a scenario file to start from, relative to this one",
    "horizon": "the last simulated year (2015-2100)",
    "policy_start": "the year single-valued settings take effect (1989-horizon)",
    "replications": "how many replications to run (1-100000)",
    "seed": "base random seed (a non-negative integer)",
    "strategy": "the DPRK hedging strategy from policy_start, or {year: strategy}",
    "levers": "policy settings by group: china, russia, korea, sanctions, projects",
    "parameters": "behavioural and fixed inputs by group",
    "shocks": "a list of events: nuclear_test, oil_price, rouble_crash, halt_oil_grain",
    "experiment": "a sweep design (see docs/how-to/run-a-sweep.md)",
    "counterfactual_history": "true if the settings deliberately change years before "
                              "policy_start (the calibrated history); runs then say so in "
                              "tables, manifests, charts and briefs",
}
SHOCKS = {
    "nuclear_test": {"year": "year"},
    "oil_price": {"year": "year", "usd_per_bbl": "number", "until": "year"},
    "rouble_crash": {"year": "year", "fall": "number", "until": "year"},
    "halt_oil_grain": {"year": "year", "patron": "patron", "until": "year"},
}
SHOCK_REQUIRED = {"nuclear_test": ("year",), "oil_price": ("year", "usd_per_bbl"),
                  "rouble_crash": ("year", "fall"), "halt_oil_grain": ("year", "patron")}
DEFAULTS = {"horizon": 2035, "policy_start": 2015, "replications": 20, "seed": 20150707}
RESOLUTION = frozenset({"firms.count"})
"""Settings of the model's resolution, not of the world: more or fewer firm cohorts share the
same aggregate potential (firms.py), so they change random draws, not the calibrated history.
The history guard lets them act from 1988."""
COUNTERFACTUAL_NOTE = "counterfactual history: settings change before {year}"
MAX_NAME_CHARS = 80
"""A scenario's or experiment's name becomes a folder name (at most 255 bytes on most file
systems) and a chart label: 80 characters is plenty for both."""
MAX_EXTENDS = 50
"""The longest ``extends`` chain: each file is read and checked, so a 1,200-file chain
exhausted Python's recursion limit (issue 13). Real chains are two or three files."""

__all__ = ["parse_yaml", "load", "from_dict", "Scenario", "Inputs", "compile_inputs"]


def _scenario_dir() -> Path:
    """The shipped scenarios: the copy a wheel installs inside the package (``model/scenarios``,
    mapped in pyproject.toml), else ``scenarios/`` beside ``model/`` in a checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "scenarios"
    return installed if installed.is_dir() else here.parent / "scenarios"


SCENARIO_DIR = _scenario_dir()
EXPERIMENT_DIR = SCENARIO_DIR / "experiments"
CALIBRATED = Path(__file__).resolve().parent / "calibration" / "calibrated.yaml"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its own settings on top of the registry defaults."""

    name: str
    description: str
    path: str
    horizon: int
    policy_start: int
    replications: int
    seed: int
    strategy: dict[int, str]
    values: dict[str, float | dict[int, float]]
    shocks: tuple[dict, ...]
    experiment: dict | None = None
    raw: dict = field(default_factory=dict, compare=False)
    counterfactual_history: bool = False

    @property
    def years(self) -> np.ndarray:
        return np.arange(HISTORY_START, self.horizon + 1)

    def with_values(self, **changes: Any) -> Scenario:
        """A copy with overridden top-level fields or registry values (``values={...}``)."""
        values = dict(self.values)
        values.update(changes.pop("values", {}))
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update(changes, values=values)
        return Scenario(**fields)

    def resolved(self) -> dict:
        """The scenario as plain data (for manifests): every setting it changed."""
        return {
            "name": self.name, "description": self.description, "path": self.path,
            "horizon": self.horizon, "policy_start": self.policy_start,
            "replications": self.replications, "seed": self.seed,
            "strategy": {int(k): v for k, v in self.strategy.items()},
            "values": {k: (v if not isinstance(v, dict) else {int(y): x for y, x in v.items()})
                       for k, v in self.values.items()},
            "shocks": [dict(s) for s in self.shocks],
            "counterfactual_history": self.counterfactual_history,
        }

    def history_note(self) -> str:
        """'counterfactual history: settings change before 2015', or '' for a scenario that
        keeps the calibrated history."""
        return COUNTERFACTUAL_NOTE.format(year=self.policy_start) if self.counterfactual_history else ""

    def section_of(self, name: str) -> str:
        """Where a registry value is set in a scenario file: ``levers.<name>`` or ``parameters.<name>``."""
        return f"{'levers' if REGISTRY[name].kind == 'lever' else 'parameters'}.{name}"


@dataclass(frozen=True)
class Inputs:
    """Compiled inputs: every registry value as a float or a per-year array.

    Read-only once compiled: what the model derives from the inputs alone (per-year
    lists, the firm layout) is built by the first run and reused by every later run
    of the same ``Inputs`` (replications, sweep points), see :meth:`derived`.
    """

    years: np.ndarray
    params: dict[str, Any]
    strategy: list[str]
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, key: Any, build: Callable[[Inputs], Any]) -> Any:
        """``build(self)``, computed once per ``Inputs`` and cached under ``key``.

        Only for values that depend on the inputs and nothing else (never on the
        random stream); callers must not mutate what they get back.
        """
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = build(self)
            return value


class MemberValues(Mapping):
    """Registry values of a batch's members (runs), looked up by name and built on first
    use: a number becomes a (members,) array, a per-year array a (years, members) one, so
    ``values[name][t]`` is year ``t`` of every member."""

    def __init__(self, members: Sequence[Inputs]) -> None:
        self.members = members
        self._params = [m.params for m in members]
        self._values: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._values[name]
        except KeyError:
            each = list(map(operator.itemgetter(name), self._params))
            first = each[0]
            # Members compiled from one another (recompile_inputs: a sweep's, a scenario's
            # replications) share the values they do not differ in, the same object: repeated,
            # not stacked (a fifth of the time; the same array).
            if all(map(operator.is_, each, itertools.repeat(first))):
                one = np.asarray(first, dtype=float)
                value = np.repeat(one[..., None], len(each), axis=-1)
            else:
                # One array of every member's value, the member axis moved last (a copy, so
                # that a year's row is contiguous).
                value = np.ascontiguousarray(np.moveaxis(np.array(each, dtype=float), 0, -1))
            value.setflags(write=False)
            self._values[name] = value
            return value

    def __iter__(self):
        return iter(self.members[0].params)

    def __len__(self) -> int:
        return len(self.members[0].params)


# ---------------------------------------------------------------- helpers
def check_name(file: str, field_: str, name: Any) -> str:
    """A scenario or experiment name: it names a results folder, so letters, digits, _ and -,
    at most :data:`MAX_NAME_CHARS` characters."""
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise HedgesimError(file, field_, f"expected letters, digits, _ or -, got {show(name)}")
    if len(name) > MAX_NAME_CHARS or not name.isascii():
        raise HedgesimError(file, field_, f"expected at most {MAX_NAME_CHARS} ASCII letters, "
                            f"digits, _ or - (it names the results folder), got {len(name)} "
                            "characters" + ("" if name.isascii() else " with non-ASCII letters"))
    return name


def sibling_file(file: str | Path, field_: str, name: Any) -> Path:
    """The scenario file ``name`` (``.yaml`` optional) next to ``file``, which must exist."""
    folder = Path(file).parent
    if not isinstance(name, str) or not name.strip():
        raise HedgesimError(file, field_, f"expected a scenario file name, got {show(name)}")
    try:
        target = folder / name
        if target.name and not target.suffix:
            target = target.with_suffix(".yaml")
        found = target.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise HedgesimError(file, field_, f"expected an existing scenario file, {show(name)} "
                            f"not found in {folder}")
    return target


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(file: str, field_: str, v: Any, low: int, high: int, what: str) -> int:
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
        raise HedgesimError(file, field_, f"expected {what}, got {show(v)}")
    if not low <= v <= high:
        raise HedgesimError(file, field_, f"{show(v)} is out of range; expected {what} "
                            f"({low}-{high})")
    return int(v)


def _read_yaml(path: Path, where: str | None = None) -> dict:
    """A scenario or experiment file's top-level mapping (see :mod:`model.userfile`)."""
    data = read_mapping(path, "scenario", where)
    if data is None:
        raise HedgesimError(path, None, "expected a mapping of keys (name, description, ...); "
                            "the file is empty")
    return data


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if k == "shocks":
            out[k] = list(base.get(k) or []) + list(v or [])
        elif isinstance(v, dict) and isinstance(out.get(k), dict) and k in ("levers", "parameters"):
            out[k] = _merge_nested(out[k], v)
        else:
            out[k] = v
    return out


def _merge_nested(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if (isinstance(v, dict) and isinstance(out.get(k), dict)
                and not all(isinstance(y, int) for y in v)):
            out[k] = _merge_nested(out[k], v)
        else:
            out[k] = v
    return out


def _resolve(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise HedgesimError(chain[-1], "extends", f"expected no cycle, found {cycle}")
    if len(chain) >= MAX_EXTENDS:
        raise HedgesimError(chain[0], "extends", f"expected a chain of at most {MAX_EXTENDS} "
                            f"files; {chain[0].name} -> {chain[1].name} -> ... -> "
                            f"{chain[-1].name} -> {path.name} is longer")
    data = _read_yaml(path, str(chain[-1]) if chain else None)
    for key in data:
        if key not in TOP_KEYS:
            raise HedgesimError(path, show(key) if not isinstance(key, str) else key,
                                "unknown key" + did_you_mean(key, TOP_KEYS)
                                + f" (allowed: {', '.join(TOP_KEYS)})")
    own = {k: v for k, v in data.items() if k not in ("extends",)}
    own.setdefault("horizon", 2100)
    from_dict(own, str(path))
    if data.get("extends") is None:
        return data
    target = sibling_file(path, "extends", data["extends"])
    base = _resolve(target, (*chain, path))
    base.pop("name", None)
    base.pop("description", None)
    base.pop("experiment", None)
    merged = _merge(base, {k: v for k, v in data.items() if k != "extends"})
    return merged


def _flatten(file: str, section: str, tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{'russia': {'aid_usd': 1}}`` -> ``{'russia.aid_usd': 1}``, checking names."""
    out: dict[str, Any] = {}
    if not isinstance(tree, dict):
        raise HedgesimError(file, section + (f".{prefix[:-1]}" if prefix else ""),
                            "expected a mapping of names to values")
    groups = {n[len(prefix):].split(".")[0] for n in REGISTRY if n.startswith(prefix)}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        where = f"{section}.{name}"
        if name in REGISTRY:
            out[name] = value
        elif str(key) in groups and isinstance(value, dict):
            out.update(_flatten(file, section, value, name + "."))
        elif name in RENAMED:
            raise HedgesimError(file, where, f"no longer a setting: {RENAMED[name]}")
        else:
            raise HedgesimError(file, where, "unknown key" + did_you_mean(key, groups))
    return out


# Names an earlier release used, and what replaced them (issue 10: UN bans by direction,
# labour as services income, transit as project fees).
RENAMED = {
    **{f"sanctions.un_{s}": f"write sanctions.un_export_ban_{s} (UN bans now say their direction)"
       for s in ("coal", "ore", "seafood", "labour")},
    "sanctions.un_transit": "transit is a project's fees, not customs trade: set "
                            "projects.<name>.dprk_income_usd",
    "dprk.capacity_transit_usd": "transit is a project's fees, not customs trade: set "
                                 "projects.<name>.dprk_income_usd",
    **{f"firms.{c}_complementarity_transit": "transit is a project's fees, not customs trade"
       for c in ("china", "russia")},
}


def check_number(file: str, at: str, p: Param, x: Any) -> float:
    """``x`` as a float if it is a number within ``p``'s range, else a one-line error."""
    if not _is_number(x):
        raise HedgesimError(file, at, f"expected a number in {p.unit}, got {show(x)}")
    if p.integer and not float(x).is_integer():
        raise HedgesimError(file, at, f"expected a whole number ({p.unit}), got {show(x)}")
    if not p.check(float(x)):
        raise HedgesimError(file, at, f"{x} is out of range; expected {p.low:g} to "
                            f"{p.high:g} ({p.unit})")
    return float(x)


def _check_value(file: str, where: str, p: Param, v: Any, horizon: int) -> float | dict[int, float]:
    def one(x: Any, at: str) -> float:
        return check_number(file, at, p, x)

    if isinstance(v, dict):
        if not p.timeline:
            raise HedgesimError(file, where, "expected a single number: this parameter does "
                                "not vary by year")
        if not v:
            raise HedgesimError(file, where, "expected at least one {year: value} entry")
        steps = {}
        for y, x in v.items():
            year = _int(file, f"{where}.{y}", y, HISTORY_START, horizon, "a year")
            steps[year] = one(x, f"{where}.{y}")
        return dict(sorted(steps.items()))
    return one(v, where)


def _check_strategy(file: str, v: Any, horizon: int) -> dict[int, str]:
    def one(name: Any, at: str) -> str:
        if not isinstance(name, str):
            raise HedgesimError(file, at, f"expected a strategy name (one of: "
                                f"{', '.join(STRATEGIES)}), got {show(name)}")
        if name not in STRATEGIES:
            raise HedgesimError(file, at, f"unknown strategy {show(name)}"
                                f"{did_you_mean(name, STRATEGIES)} (one of: {', '.join(STRATEGIES)})")
        return name

    if isinstance(v, dict):
        if not v:
            raise HedgesimError(file, "strategy", "expected {year: strategy} entries")
        return {_int(file, f"strategy.{y}", y, HISTORY_START, horizon, "a year"):
                one(s, f"strategy.{y}") for y, s in sorted(v.items(), key=lambda kv: str(kv[0]))}
    return {-1: one(v, "strategy")}


def _check_shocks(file: str, shocks: Any, horizon: int) -> tuple[dict, ...]:
    if shocks is None:
        return ()
    if not isinstance(shocks, list):
        raise HedgesimError(file, "shocks", "expected a list of events")
    out = []
    for i, s in enumerate(shocks):
        at = f"shocks[{i}]"
        if not isinstance(s, dict) or "type" not in s:
            raise HedgesimError(file, at, "expected a mapping with a 'type'")
        kind = s["type"]
        if not isinstance(kind, str) or kind not in SHOCKS:
            raise HedgesimError(file, f"{at}.type", f"unknown shock {show(kind)}"
                                f"{did_you_mean(kind, SHOCKS)} (one of: {', '.join(SHOCKS)})")
        spec = SHOCKS[kind]
        clean = {"type": kind}
        for k, v in s.items():
            if k == "type":
                continue
            if k not in spec:
                raise HedgesimError(file, f"{at}.{show(k) if not isinstance(k, str) else k}",
                                    f"unknown field for {kind}"
                                    f"{did_you_mean(k, spec)} (allowed: {', '.join(spec)})")
            if spec[k] == "year":
                clean[k] = _int(file, f"{at}.{k}", v, HISTORY_START, horizon, "a year")
            elif spec[k] == "patron":
                if not isinstance(v, str) or v not in PATRONS:
                    raise HedgesimError(file, f"{at}.{k}", f"expected one of {PATRONS}, got {show(v)}")
                clean[k] = v
            else:
                if not _is_number(v) or v < 0:
                    raise HedgesimError(file, f"{at}.{k}", f"expected a non-negative number, got {show(v)}")
                if k == "fall" and v >= 1:
                    raise HedgesimError(file, f"{at}.{k}", f"expected a fraction below 1, got {show(v)}")
                clean[k] = float(v)
        for k in SHOCK_REQUIRED[kind]:
            if k not in clean:
                raise HedgesimError(file, f"{at}.{k}", f"missing; {kind} needs "
                                    f"{', '.join(SHOCK_REQUIRED[kind])}")
        if "until" in clean and clean["until"] < clean["year"]:
            raise HedgesimError(file, f"{at}.until", "expected a year after 'year'")
        out.append(clean)
    return tuple(out)


def from_dict(data: dict, file: str = "<scenario>") -> Scenario:
    """Validate merged scenario data (``extends`` already resolved)."""
    for key in data:
        if key not in TOP_KEYS or key == "extends":
            raise HedgesimError(file, key if isinstance(key, str) else show(key),
                                "unknown key" + did_you_mean(key, TOP_KEYS))
    name = check_name(file, "name", data.get("name", Path(file).stem))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise HedgesimError(file, "description", "expected one line of text")
    horizon = _int(file, "horizon", data.get("horizon", DEFAULTS["horizon"]), 2015, 2100,
                   "a year")
    policy_start = _int(file, "policy_start", data.get("policy_start", DEFAULTS["policy_start"]),
                        HISTORY_START + 1, horizon, "a year up to the horizon")
    replications = _int(file, "replications", data.get("replications", DEFAULTS["replications"]),
                        1, 100000, "a count of replications")
    seed = _int(file, "seed", data.get("seed", DEFAULTS["seed"]), 0, 2**63 - 1,
                "a non-negative integer")
    strategy = _check_strategy(file, data.get("strategy", HISTORY_STRATEGY), horizon)
    if -1 in strategy:
        strategy = {policy_start: strategy[-1]}

    values: dict[str, Any] = {}
    for section, kinds in (("levers", ("lever",)), ("parameters", ("uncertainty", "fixed"))):
        given = data.get(section)  # `levers: []` is a mistake, not "no levers"
        flat = _flatten(file, section, {} if given is None else given)
        for key, v in flat.items():
            p = REGISTRY[key]
            where = f"{section}.{key}"
            if p.kind not in kinds:
                right = "levers" if p.kind == "lever" else "parameters"
                raise HedgesimError(file, where, f"is a {p.kind}; set it under {right}:")
            values[key] = _check_value(file, where, p, v, horizon)
    shocks = _check_shocks(file, data.get("shocks"), horizon)
    experiment = data.get("experiment")
    if experiment is not None and not isinstance(experiment, dict):
        raise HedgesimError(file, "experiment", "expected a mapping describing the design")
    counterfactual = data.get("counterfactual_history", False)
    if not isinstance(counterfactual, bool):
        raise HedgesimError(file, "counterfactual_history", f"expected true or false, got "
                            f"{show(counterfactual)}")
    return Scenario(name, description.strip(), str(file), horizon, policy_start, replications,
                    seed, strategy, values, shocks, experiment, raw=data,
                    counterfactual_history=counterfactual)


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file, following ``extends``."""
    p = Path(path)
    if not is_file(p) and not is_dir(p) and not p.suffix and is_file(SCENARIO_DIR / f"{p}.yaml"):
        p = SCENARIO_DIR / f"{p}.yaml"
    if not is_file(p):
        hint = did_you_mean(p.stem, [s.stem for s in SCENARIO_DIR.glob("*.yaml")])
        raise HedgesimError(path, None, f"scenario file not found{hint}")
    data = _resolve(p)
    return from_dict(data, str(p))


def shipped() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.yaml"))


# ---------------------------------------------------------------- compile
def calibration_file(path: Path = CALIBRATED) -> dict[str, Any]:
    """The committed calibration as written by ``hedgesim calibrate`` ({} if there is none).

    Parsed once per content (the bounded reader takes about 15 ms, and a sweep's start-up
    asked three times); each caller gets its own copy."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    return copy.deepcopy(_parsed_calibration(text))


@functools.lru_cache(maxsize=8)
def _parsed_calibration(text: str) -> dict[str, Any]:
    return parse_yaml(text) or {}


def calibrated_values() -> dict[str, Any]:
    """Fitted values from the committed calibration, if present (the defaults' defaults)."""
    out = {}
    for name, v in (calibration_file().get("values") or {}).items():
        if name in REGISTRY:
            out[name] = {int(y): float(x) for y, x in v.items()} if isinstance(v, dict) else float(v)
    return out


def _steps_to_array(steps: dict[int, float], years: np.ndarray) -> np.ndarray:
    keys = np.array(sorted(steps))
    vals = np.array([steps[k] for k in keys])
    idx = np.searchsorted(keys, years, side="right") - 1
    return vals[np.clip(idx, 0, None)]


def _override(default: dict[int, float], over: float | dict[int, float], start: int) -> dict:
    steps = over if isinstance(over, dict) else {start: over}
    first = min(steps)
    merged = {y: v for y, v in default.items() if y < first}
    merged.update(steps)
    return merged


def _compiled_value(p: Param, base: float | dict[int, float], over: Any, policy_start: int,
                    years: np.ndarray) -> float | np.ndarray:
    """One parameter's input: ``base`` (calibrated or default), overridden by ``over`` if set."""
    value = base
    if over is not None:
        value = _override(base, over, policy_start) if p.timeline else over
    if p.timeline:
        steps = value if isinstance(value, dict) else {HISTORY_START: value}
        # Types in the key: 1 and 1.0 are equal keys but give arrays of different dtypes.
        key = tuple((y, type(v), v) for y, v in sorted(steps.items()))
        return _timeline(key, int(years[0]), len(years))
    return float(value)


@functools.lru_cache(maxsize=256)
def _timeline(steps: tuple[tuple[int, type, float], ...], first: int, n: int) -> np.ndarray:
    """A timeline's per-year array, read-only and shared: most timelines are the same from one
    compile to the next (the registry's defaults, the scenario's settings), and a sweep compiles
    its inputs once per design point and posterior member. A few hundred are kept: those in
    use are asked for at every compile and stay; a swept value makes a new one at every point
    (4,096 of them were 5 MB of a sweep driver's memory, and of each worker's)."""
    out = _steps_to_array({y: v for y, _, v in steps}, np.arange(first, first + n))
    out.setflags(write=False)
    return out


_SHOCK_TARGETS = {"nuclear_test": "world.nuclear_test", "oil_price": "world.oil_price_usd_per_bbl",
                  "rouble_crash": "world.rouble_fall"}
"""The per-year input each kind of shock writes into (a halt: its patron's, see below)."""


def _shock_target(shock: dict) -> str:
    """The registry value ``shock`` writes into."""
    if shock["type"] == "halt_oil_grain":
        return f"{shock['patron']}.halt_oil_grain"
    return _SHOCK_TARGETS[shock["type"]]


def _apply_shock(params: dict[str, Any], shock: dict, horizon: int) -> None:
    """Write one shock into the per-year inputs it changes (copies, never in place)."""
    start = shock["year"] - HISTORY_START
    stop = (shock.get("until", horizon) - HISTORY_START) + 1
    key = _shock_target(shock)
    params[key] = params[key].copy()
    kind = shock["type"]
    if kind == "nuclear_test":
        params[key][start] = 1.0
    elif kind == "oil_price":
        params[key][start:stop] = shock["usd_per_bbl"]
    elif kind == "rouble_crash":
        params[key][start:stop] = shock["fall"]
    elif kind == "halt_oil_grain":
        params[key][start:stop] = 1.0


def _strategy_path(strategy: dict[int, str], years: np.ndarray) -> list[str]:
    """The DPRK's strategy each year: the historical stance plan until the scenario's first
    strategy year, then the scenario's."""
    first = min(strategy, default=int(years[-1]) + 1)
    plan = {**{y: name for y, name in HISTORY_PLAN.items() if y < first}, **strategy}
    keys = sorted(plan)
    idx = np.searchsorted(np.array(keys), years, side="right") - 1
    return [plan[keys[i]] for i in idx]


def compile_inputs(scenario: Scenario, calibrated: dict | None = None) -> Inputs:
    """Registry defaults, then calibrated values, then the scenario; timelines to arrays."""
    years = scenario.years
    cal = calibrated_values() if calibrated is None else calibrated
    params: dict[str, Any] = {
        name: _compiled_value(p, cal.get(name, p.default), scenario.values.get(name),
                              scenario.policy_start, years)
        for name, p in REGISTRY.items()
    }
    for shock in scenario.shocks:
        _apply_shock(params, shock, scenario.horizon)
    strategy = _strategy_path(scenario.strategy, years)
    for value in params.values():  # read-only from here on (Inputs.derived relies on it)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    years.setflags(write=False)
    return Inputs(years, params, strategy)


def recompile_inputs(inputs: Inputs, scenario: Scenario, calibrated: dict,
                     new_calibrated: dict, new_scenario: Scenario | None = None) -> Inputs:
    """``compile_inputs(new_scenario, new_calibrated)``, given ``inputs`` compiled from
    ``(scenario, calibrated)``: only the values that differ are compiled again, the same
    inputs in a fraction of the time. A posterior member differs from another in its free
    parameters alone, and a sweep's design point from another in the values it varies.

    ``new_scenario`` defaults to ``scenario``. A scenario that differs in anything but its
    values (years, policy start, shocks, strategy: :func:`same_frame`) is compiled afresh.
    """
    new_scenario = scenario if new_scenario is None else new_scenario
    if calibrated.keys() != new_calibrated.keys() or not same_frame(scenario, new_scenario):
        return compile_inputs(new_scenario, new_calibrated)
    changed = set()
    if new_calibrated is not calibrated:
        changed.update(name for name, v in new_calibrated.items()
                       if name in REGISTRY and v is not calibrated[name] and v != calibrated[name])
    if new_scenario.values is not scenario.values:
        # By identity: recompiling a value that did not change gives the same input, and
        # equality would take 1 for 1.0 (whose timelines differ in type).
        old, new = scenario.values, new_scenario.values
        changed.update(name for name in old.keys() | new.keys()
                       if name in REGISTRY and old.get(name) is not new.get(name))
    shocked = {_shock_target(shock) for shock in new_scenario.shocks}
    if shocked.intersection(changed):  # a shock writes over it: compile it all again
        return compile_inputs(new_scenario, new_calibrated)
    params = dict(inputs.params)
    years = inputs.years
    for name in [n for n in REGISTRY if n in changed]:  # in order: the same first error
        p = REGISTRY[name]
        value = _compiled_value(p, new_calibrated.get(name, p.default),
                                new_scenario.values.get(name), new_scenario.policy_start, years)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        params[name] = value
    return Inputs(years, params, inputs.strategy)


def same_frame(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios compile alike but for their values: the same years, policy
    start, shocks and strategy."""
    return a is b or (a.horizon == b.horizon and a.policy_start == b.policy_start
                      and a.shocks == b.shocks and a.strategy == b.strategy)


# ---------------------------------------------------------------- history
@dataclass(frozen=True)
class HistoryChange:
    """One setting that changes an input before ``policy_start``.

    ``kind`` is ``timeline`` (a value by year), ``constant`` (a parameter that
    does not vary by year, so it acts from 1988), ``shock`` or ``strategy``;
    ``field`` is where the scenario file sets it and ``year`` the first year
    it changes (1988 for a constant).
    """

    field: str
    kind: str
    year: int
    name: str | None = None  # the registry parameter, for timeline and constant changes


def history_changes(scenario: Scenario, calibrated: dict | None = None) -> list[HistoryChange]:
    """What the scenario's settings change in the inputs of years before ``policy_start``.

    Compile-and-compare: each setting's compiled input, with and without the
    setting (registry defaults and the committed calibration underneath), over
    the years before ``policy_start``; any difference is a change. A value equal
    to the calibrated history changes nothing. A constant that differs is listed
    with kind ``constant``: whether the model reads it before ``policy_start``
    (a project's settings may lie dormant until the project starts) is for
    ``model.experiments.history`` to decide by running the model. Settings in
    :data:`RESOLUTION` are exempt.
    """
    cal = calibrated_values() if calibrated is None else calibrated
    years = scenario.years
    before = years < scenario.policy_start
    changes: list[HistoryChange] = []
    for name, over in scenario.values.items():
        p = REGISTRY[name]
        if name in RESOLUTION:
            continue
        base = cal.get(name, p.default)
        new = _compiled_value(p, base, over, scenario.policy_start, years)
        old = _compiled_value(p, base, None, scenario.policy_start, years)
        if p.timeline:
            differs = before & (new != old)
            if differs.any():
                changes.append(HistoryChange(scenario.section_of(name), "timeline",
                                             int(years[differs][0]), name))
        elif new != old:
            changes.append(HistoryChange(scenario.section_of(name), "constant", HISTORY_START, name))
    if scenario.shocks:
        history = {name: _compiled_value(p, cal.get(name, p.default), None, scenario.policy_start,
                                         years)
                   for name, p in REGISTRY.items() if p.timeline}
        for i, shock in enumerate(scenario.shocks):
            if shock["year"] >= scenario.policy_start:
                continue
            shocked = dict(history)
            _apply_shock(shocked, shock, scenario.horizon)
            if any((before & (shocked[k] != history[k])).any() for k in history):
                changes.append(HistoryChange(f"shocks[{i}]", "shock", shock["year"]))
    new_plan = _strategy_path(scenario.strategy, years)
    old_plan = _strategy_path({}, years)
    for year, a, b in zip(years.tolist(), new_plan, old_plan, strict=True):
        if year >= scenario.policy_start:
            break
        if a != b:
            first = max((y for y in scenario.strategy if y <= year), default=year)
            changes.append(HistoryChange(f"strategy.{first}", "strategy", year))
            break
    return changes


# ---------------------------------------------------------------- JSON Schema
def json_schema() -> dict:
    """JSON Schema (draft 2020-12) for scenario files, generated from the registry."""

    def leaf(p: Param) -> dict:
        num = {"type": "integer" if p.integer else "number", "minimum": p.low, "maximum": p.high}
        desc = f"{p.doc} [{p.unit}] Source: {p.source}"
        if not p.timeline:
            return {**num, "description": desc, "default": p.default}
        return {"description": desc + " (a single value from policy_start, or {year: value})",
                "oneOf": [num, {"type": "object", "patternProperties": {"^[0-9]{4}$": num},
                                "additionalProperties": False}]}

    def section(kinds: tuple[str, ...]) -> dict:
        root: dict = {"type": "object", "properties": {}, "additionalProperties": False}
        for p in REGISTRY.values():
            if p.kind not in kinds:
                continue
            node = root
            *groups, last = p.name.split(".")
            for g in groups:
                node = node["properties"].setdefault(
                    g, {"type": "object", "properties": {}, "additionalProperties": False})
            node["properties"][last] = leaf(p)
        return root

    year = {"type": "integer", "minimum": HISTORY_START, "maximum": 2100}
    strategy = {"enum": list(STRATEGIES)}
    shock_items = []
    for kind, spec in SHOCKS.items():
        props: dict = {"type": {"const": kind}}
        for k, t in spec.items():
            props[k] = year if t == "year" else ({"enum": list(PATRONS)} if t == "patron"
                                                 else {"type": "number", "minimum": 0})
        shock_items.append({"type": "object", "properties": props,
                            "required": ["type", *SHOCK_REQUIRED[kind]],
                            "additionalProperties": False})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "hedgesim scenario",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$",
                     "description": TOP_KEYS["name"]},
            "description": {"type": "string", "description": TOP_KEYS["description"]},
            "extends": {"type": "string", "description": TOP_KEYS["extends"]},
            "horizon": {"type": "integer", "minimum": 2015, "maximum": 2100,
                        "default": DEFAULTS["horizon"], "description": TOP_KEYS["horizon"]},
            "policy_start": {**year, "minimum": HISTORY_START + 1, "default": DEFAULTS["policy_start"],
                             "description": TOP_KEYS["policy_start"]},
            "replications": {"type": "integer", "minimum": 1, "maximum": 100000,
                             "default": DEFAULTS["replications"]},
            "seed": {"type": "integer", "minimum": 0, "default": DEFAULTS["seed"]},
            "strategy": {"description": TOP_KEYS["strategy"], "default": HISTORY_STRATEGY,
                         "oneOf": [strategy, {"type": "object",
                                              "patternProperties": {"^[0-9]{4}$": strategy},
                                              "additionalProperties": False}]},
            "levers": {**section(("lever",)), "description": TOP_KEYS["levers"]},
            "parameters": {**section(("uncertainty", "fixed")),
                           "description": TOP_KEYS["parameters"]},
            "shocks": {"type": "array", "items": {"oneOf": shock_items},
                       "description": TOP_KEYS["shocks"]},
            "experiment": {"type": "object", "description": TOP_KEYS["experiment"]},
            "counterfactual_history": {"type": "boolean", "default": False,
                                       "description": TOP_KEYS["counterfactual_history"]},
        },
    }
