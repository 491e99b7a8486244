"""The calibration a run uses: the posterior ensemble (default) or the point estimate.

``hedgesim calibrate`` writes two files under ``model/calibration/``:

- ``posterior.yaml``: an ensemble of parameter sets consistent with the cited
  figures (ABC-SMC, see ``model/calibration/posterior.py``), each a *member*
  with an importance weight, plus the fit's provenance;
- ``calibrated.yaml``: one best-fitting set (differential evolution), the
  *point estimate*.

A run draws one member per replication, so a 90% interval over replications
holds parameter uncertainty as well as chance. The draw depends only on the
base seed and the replication index (``SeedSequence(seed, spawn_key=(DRAW_STREAM,
replication))``), never on a sweep's design point, the executor or the worker:
every point of a sweep sees the same parameter sets (common random numbers).

This module sits beside ``scenario.py`` (below the runner) and only reads
files; fitting lives in ``model/calibration``.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from model.errors import HedgesimError
from model.params import REGISTRY, Param, free_parameters
from model.scenario import CALIBRATED, calibrated_values, calibration_file, parse_yaml

log = logging.getLogger(__name__)

POSTERIOR = CALIBRATED.with_name("posterior.yaml")
#: spawn_key tag that keeps draw streams apart from the runs' own seeds.
DRAW_STREAM = 0xD7A3
#: The ``draw`` of a run that used the point estimate (no ensemble member).
POINT_DRAW = -1
Mode = Literal["posterior", "point"]


def value_for(p: Param, x: float) -> float | dict[int, float]:
    """The registry value a free parameter takes when its fitted number is ``x``.

    A timeline parameter is fitted at one step (``p.fit_year``); its other
    steps keep the registry's history, or, for a ``fit_scales_path`` parameter,
    scale with it.
    """
    if not p.timeline:
        return float(x)
    steps = dict(p.default)
    if p.fit_scales_path and steps[p.fit_year]:
        # The source gives the path's shape (Soviet support winding down over 1990-1993),
        # the fit its level: every step scales with the fitted one.
        factor = float(x) / steps[p.fit_year]
        return {year: v * factor for year, v in steps.items()}
    steps[p.fit_year] = float(x)
    return steps


def fitted_number(p: Param, value: float | dict[int, float]) -> float:
    """The number the fit moves: the value itself, or a timeline's ``fit_year`` step."""
    return float(value[p.fit_year]) if isinstance(value, dict) else float(value)


def draw_index(seed: int, replication: int, cumulative: np.ndarray) -> int:
    """The member replication ``replication`` of base seed ``seed`` uses (weighted draw).

    ``cumulative`` is the normalised cumulative weight. One uniform number
    from its own SeedSequence stream, then an inverse-CDF lookup: the same on
    every machine, executor and worker count.
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(DRAW_STREAM, int(replication)))
    u = np.random.default_rng(ss).random()
    return int(min(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1))


@dataclass(frozen=True)
class Ensemble:
    """The posterior ensemble as committed: members (rows) by free parameters (columns)."""

    path: str
    parameters: tuple[str, ...]
    fit_years: dict[str, int | None]
    numbers: np.ndarray           # (members, parameters): the fitted numbers
    weights: np.ndarray           # (members,), sums to 1
    losses: np.ndarray            # (members,), band loss when accepted
    provenance: dict[str, Any]
    known_misses: dict[str, str]
    sha256: str
    _cumulative: np.ndarray = field(init=False, repr=False, compare=False)
    _base: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        c = np.cumsum(self.weights)
        object.__setattr__(self, "_cumulative", c / c[-1])
        object.__setattr__(self, "_base", calibrated_values())

    @property
    def size(self) -> int:
        return len(self.weights)

    @property
    def effective_size(self) -> float:
        """Kish's effective sample size of the weights, sum(w)^2 / sum(w^2)."""
        return float(1.0 / np.sum(self.weights ** 2))

    def draw(self, seed: int, replication: int) -> int:
        return draw_index(seed, replication, self._cumulative)

    def values(self, member: int) -> dict[str, float | dict[int, float]]:
        """Member ``member`` as registry values (for ``compile_inputs(calibrated=...)``).

        Parameters no longer in the registry are skipped (the check flags the
        ensemble as stale); free parameters it lacks keep their point estimate.
        """
        out: dict[str, Any] = dict(self._base)
        for name, x in zip(self.parameters, self.numbers[member], strict=True):
            if name in REGISTRY:
                out[name] = value_for(REGISTRY[name], float(x))
        return out

    def stale(self) -> str | None:
        """Why the ensemble no longer matches the registry's free parameters (None if it does)."""
        free = {p.name: p.fit_year for p in free_parameters()}
        mine = dict(self.fit_years)
        if set(free) != set(mine):
            gone = sorted(set(mine) - set(free))
            new = sorted(set(free) - set(mine))
            return (f"fitted parameters differ from the registry's free set (not free any more: "
                    f"{', '.join(gone) or 'none'}; newly free: {', '.join(new) or 'none'})")
        moved = [n for n in free if free[n] != mine[n]]
        if moved:
            return f"fit year changed for {', '.join(moved)}"
        return None

    def describe(self) -> dict[str, Any]:
        """For manifests: which file, its hash and how it was fitted."""
        keys = ("fitted_utc", "code_version", "method", "libraries", "population_size",
                "generations", "final_epsilon", "evaluations", "wall_seconds", "seed")
        return {"mode": "posterior", "file": self.path, "sha256": self.sha256,
                "members": self.size, "effective_members": round(self.effective_size, 1),
                "parameters": list(self.parameters),
                **{k: self.provenance.get(k) for k in keys}}


def _fail(path: Path, field_: str | None, what: str) -> HedgesimError:
    return HedgesimError(str(path), field_, what)


_PARSED: dict[str, Any] = {}
"""Parsed posterior files by the SHA-256 of their bytes: reading the file's 100 kB with the
bounded YAML reader takes about 0.3 s, which a process running several sweeps (or checks)
would pay each time. Keyed by content, so an edited file is parsed afresh; every check
below still runs on every read."""


def _parse(path: Path, text: str) -> Any:
    """The shipped ensemble (the package's own file, not a user's) by libyaml's parser where
    PyYAML has it: 0.04 s against 0.23 s, paid by every run and sweep's start-up. A file
    given by the user goes through the size- and depth-limited loader of user files."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and path.resolve() == Path(POSTERIOR).resolve():
        return yaml.load(text, Loader=fast)  # noqa: S506 - a safe loader (libyaml's)
    return parse_yaml(text)


def read_ensemble(path: str | Path = POSTERIOR) -> Ensemble:
    """Read and validate ``posterior.yaml``; a malformed file is a one-line error."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, None, f"expected a posterior ensemble file ({exc.strerror}); "
                    "write one with `hedgesim calibrate`") from None
    sha256 = hashlib.sha256(raw).hexdigest()
    doc = _PARSED.get(sha256)
    if doc is None:
        try:
            doc = _parse(path, raw.decode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - YAML or decoding: one line either way
            raise _fail(path, None, f"expected valid YAML ({str(exc).splitlines()[0]})") from None
        if len(_PARSED) >= 4:
            _PARSED.clear()
        _PARSED[sha256] = doc
    if not isinstance(doc, dict):
        raise _fail(path, None, "expected a mapping with parameters, members and provenance")
    params = doc.get("parameters")
    if not isinstance(params, dict) or not params:
        raise _fail(path, "parameters", "expected a mapping of parameter name -> fit year (or null)")
    names = tuple(str(n) for n in params)
    columns = doc.get("columns")
    expected = ["weight", "loss", *names]
    if columns != expected:
        raise _fail(path, "columns", f"expected [{', '.join(expected)}]")
    rows = doc.get("members")
    if not isinstance(rows, list) or not rows:
        raise _fail(path, "members", "expected a non-empty list of rows [weight, loss, values...]")
    try:
        table = np.array(rows, dtype=float)
    except (TypeError, ValueError):
        raise _fail(path, "members", "expected rows of numbers") from None
    if table.ndim != 2 or table.shape[1] != len(expected):
        raise _fail(path, "members", f"expected rows of {len(expected)} numbers")
    if not np.isfinite(table).all() or (table[:, 0] < 0).any() or table[:, 0].sum() <= 0:
        raise _fail(path, "members", "expected finite numbers and non-negative weights with a "
                    "positive sum")
    weights = table[:, 0] / table[:, 0].sum()
    for j, name in enumerate(names):
        p = REGISTRY.get(name)
        if p is not None and not ((table[:, 2 + j] >= p.low) & (table[:, 2 + j] <= p.high)).all():
            raise _fail(path, f"members.{name}", f"expected values within {p.low:g}-{p.high:g} "
                        f"({p.unit})")
    years = {n: (None if y is None else int(y)) for n, y in params.items()}
    known = doc.get("known_misses") or {}
    return Ensemble(str(path), names, years, table[:, 2:].copy(), weights, table[:, 1].copy(),
                    copy.deepcopy(doc.get("provenance") or {}),
                    {str(k): str(v) for k, v in known.items()}, sha256)


@dataclass(frozen=True)
class Calibration:
    """Where a run's calibrated values come from: an ensemble draw per replication, or one set."""

    mode: Mode
    ensemble: Ensemble | None = None
    _point: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_point", calibrated_values())

    def draws(self, seed: int, replications: list[int] | tuple[int, ...]) -> list[int]:
        """The member each replication uses (``POINT_DRAW`` for the point estimate)."""
        if self.ensemble is None:
            return [POINT_DRAW] * len(replications)
        return [self.ensemble.draw(seed, r) for r in replications]

    def values(self, draw: int) -> dict[str, Any]:
        """Calibrated registry values for a draw (the point estimate for ``POINT_DRAW``)."""
        if self.ensemble is None or draw == POINT_DRAW:
            return self._point
        return self.ensemble.values(draw)

    def describe(self) -> dict[str, Any]:
        """For manifests: the ensemble's file, hash and provenance, or the point estimate's."""
        if self.ensemble is not None:
            return self.ensemble.describe()
        meta = calibration_file()
        return {"mode": "point", "file": str(CALIBRATED) if meta else None,
                **{k: meta.get(k) for k in ("fitted_utc", "code_version", "loss", "budget",
                                            "evaluations", "optimiser")},
                "values": calibrated_values()}

    def note(self, replications: int) -> str:
        """What an interval over ``replications`` runs holds, for footers and captions."""
        params = list(self.ensemble.parameters) if self.ensemble is not None else []
        return interval_note({"mode": self.mode, "parameters": params}, replications)


def interval_note(calibration: dict[str, Any] | None, replications: int) -> str:
    """:meth:`Calibration.note` from a manifest's ``calibration`` entry (old manifests: point)."""
    info = calibration or {}
    if info.get("mode") == "posterior":
        return (f"90% interval over {replications} replications, each with a posterior draw "
                f"of the {len(info.get('parameters') or [])} calibrated parameters")
    return (f"90% interval over {replications} replications of one calibrated parameter set "
            "(point estimate: chance only, no parameter uncertainty)")


def load_calibration(mode: Mode = "posterior", path: str | Path | None = None) -> Calibration:
    """The calibration runs use: the committed posterior ensemble unless ``mode='point'``.

    Without a posterior file the point estimate is used and a warning logged,
    so a checkout without an ensemble still runs (and its manifest says so).
    """
    if mode not in ("posterior", "point"):
        raise HedgesimError(None, "calibration", f"expected posterior or point, got {mode!r}")
    if mode == "point":
        return Calibration("point")
    target = POSTERIOR if path is None else Path(path)
    if path is None and not target.is_file():
        log.warning("no posterior ensemble at %s: using the point estimate", target)
        return Calibration("point")
    ens = read_ensemble(target)
    if (why := ens.stale()) is not None:
        log.warning("posterior ensemble %s is stale (%s): refit with `hedgesim calibrate`",
                    target, why)
    return Calibration("posterior", ens)


def fitted_numbers(values: dict[str, Any], params: list[Param] | None = None) -> np.ndarray:
    """The fitted numbers of ``values`` in the order of ``params`` (default: the free set)."""
    params = free_parameters() if params is None else params
    return np.array([fitted_number(p, values.get(p.name, p.default)) for p in params])
