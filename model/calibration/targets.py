"""Calibration targets (``targets.yaml``) and their evaluator.

The targets are the figures of the five seed articles (see the domain brief),
each kept with every source's reading and a tolerance band. This module only
reads the model's yearly output frame (columns ``replication``, ``year`` and
the outputs listed in :data:`OUTPUT_COLUMNS`); it knows nothing of the model.

Speed: calibration calls the band loss thousands of times, so the output is
held as ``replication x year`` arrays (:class:`Panel`) and every metric is a
vectorised numpy reduction over replications. Calibration hands over the
model's own ``(replications, years, outputs)`` array (:func:`band_loss_values`,
:meth:`Panel.from_values`) instead of building a frame to pivot back; both
routes give the same arrays, so the same loss to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from model.errors import ScenarioError
from model.userfile import parse_yaml

DEFAULT_PATH = Path(__file__).with_name("targets.yaml")
ROLES = ("fit", "corroborate")
SCALES = ("linear", "log")
#: Cap on a replication's distance outside a band, in band widths. Keeps the
#: loss finite (zero output, 0/0 ratios, NaN) while still dominating any
#: near miss: 100 widths away is "broken", not "almost right".
MAX_EXCESS = 100.0
OUTPUT_COLUMNS = frozenset(
    [f"{k}_{p}_usd" for k in ("trade", "exports", "imports") for p in ("china", "russia", "korea", "others")]
    + ["trade_total_usd", "china_share", "china_share_excl_korea", "china_export_share_excl_korea",
       "china_russia_ratio", "coal_exports_china_usd", "coal_exports_china_tonnes"]
    + [f"{k}_{p}_usd" for k in ("aid", "subsidy", "credit", "support") for p in ("china", "russia")]
)
_OUTPUT = "model output"


# ----------------------------------------------------------------- panel
@dataclass(frozen=True)
class Panel:
    """Model output pivoted once: ``arrays[column]`` has shape (replications, years)."""

    first_year: int
    last_year: int
    arrays: Mapping[str, np.ndarray]

    @classmethod
    def from_frame(cls, df: pd.DataFrame, columns: Iterable[str]) -> Panel:
        """Pivot ``df`` by (replication, year) for ``columns``; missing cells become NaN."""
        columns = sorted(set(columns))
        missing = [c for c in ["replication", "year", *columns] if c not in df.columns]
        if missing:
            raise ScenarioError(_OUTPUT, missing[0], "expected this column in the model output frame")
        if len(df) == 0:
            raise ScenarioError(_OUTPUT, None, "expected at least one row of model output")
        _, rep = np.unique(df["replication"].to_numpy(), return_inverse=True)
        years = df["year"].to_numpy().astype(np.int64)
        y0, y1 = int(years.min()), int(years.max())
        n_rep, n_year = int(rep.max()) + 1, y1 - y0 + 1
        flat = rep * n_year + (years - y0)
        if np.bincount(flat, minlength=n_rep * n_year).max() > 1:
            raise ScenarioError(_OUTPUT, "replication/year", "expected one row per replication and year")
        arrays = {}
        for c in columns:
            a = np.full(n_rep * n_year, np.nan)
            a[flat] = df[c].to_numpy(dtype=float)
            arrays[c] = a.reshape(n_rep, n_year)
        return cls(y0, y1, arrays)

    @classmethod
    def from_values(cls, values: np.ndarray, years: np.ndarray, outputs: Sequence[str],
                    columns: Iterable[str]) -> Panel:
        """The panel of a run's ``(replications, years, outputs)`` array (replications in
        order, consecutive years, as :func:`model.runner.run_scenario` returns them), with no
        frame in between: the same arrays :meth:`from_frame` builds from its frame."""
        columns = sorted(set(columns))
        index = {name: k for k, name in enumerate(outputs)}
        missing = [c for c in columns if c not in index]
        if missing:
            raise ScenarioError(_OUTPUT, missing[0], "expected this column in the model output")
        values = np.asarray(values, dtype=float)
        years = np.asarray(years).astype(np.int64)
        if values.ndim != 3 or values.shape[0] == 0 or values.shape[1] == 0:
            raise ScenarioError(_OUTPUT, None, "expected at least one row of model output")
        if values.shape[1] != len(years) or (np.diff(years) != 1).any():
            raise ScenarioError(_OUTPUT, "year", "expected one row per consecutive year")
        # Contiguous copies, as from_frame makes: reductions then run in the same order.
        arrays = {c: np.ascontiguousarray(values[:, :, index[c]]) for c in columns}
        return cls(int(years[0]), int(years[-1]), arrays)

    def window(self, column: str, start: int, end: int) -> np.ndarray:
        """Columns ``start..end`` (inclusive) of ``column``; error if the output does not cover them."""
        if start < self.first_year or end > self.last_year:
            raise ScenarioError(_OUTPUT, column, f"expected years {start}-{end}; output covers "
                                f"{self.first_year}-{self.last_year}")
        return self.arrays[column][:, start - self.first_year:end - self.first_year + 1]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den; x/0 gives inf and 0/0 NaN, which the loss maps to :data:`MAX_EXCESS`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


# --------------------------------------------------------------- metrics
class _OneColumn:
    """Metrics that read a single output column."""

    column: str

    def columns(self) -> tuple[str, ...]:
        return (self.column,)


@dataclass(frozen=True)
class Value(_OneColumn):
    """``column`` in ``year``: for figures reported for one year (e.g. trade 2014)."""

    column: str
    year: int

    def compute(self, p: Panel) -> np.ndarray:
        return p.window(self.column, self.year, self.year)[:, 0]


@dataclass(frozen=True)
class Mean(_OneColumn):
    """``column`` averaged over ``start..end``: for levels the sources give for a decade."""

    column: str
    start: int
    end: int

    def compute(self, p: Panel) -> np.ndarray:
        return p.window(self.column, self.start, self.end).mean(axis=1)


@dataclass(frozen=True)
class RatioOfMeans:
    """mean(column, start..end) / mean(over_column, over_start..over_end).

    One type covers both a series against its own past (the 1991 collapse)
    and one partner against another (China/Russia ratio); averaging first
    makes shape targets robust to single noisy years.
    """

    column: str
    start: int
    end: int
    over_column: str
    over_start: int
    over_end: int

    def columns(self) -> tuple[str, ...]:
        return (self.column, self.over_column)

    def compute(self, p: Panel) -> np.ndarray:
        num = p.window(self.column, self.start, self.end).mean(axis=1)
        return _ratio(num, p.window(self.over_column, self.over_start, self.over_end).mean(axis=1))


@dataclass(frozen=True)
class Growth(_OneColumn):
    """column[to_year] / column[from_year] - 1: the growth rates the sources quote (e.g. -2.4%)."""

    column: str
    from_year: int
    to_year: int

    def compute(self, p: Panel) -> np.ndarray:
        a = p.window(self.column, self.from_year, self.from_year)[:, 0]
        return _ratio(p.window(self.column, self.to_year, self.to_year)[:, 0], a) - 1.0


@dataclass(frozen=True)
class ShareOfYearsGrowing(_OneColumn):
    """Fraction of years ``start..end`` whose value exceeds the year before ("steady growth")."""

    column: str
    start: int
    end: int

    def compute(self, p: Panel) -> np.ndarray:
        return (np.diff(p.window(self.column, self.start - 1, self.end), axis=1) > 0).mean(axis=1)


@dataclass(frozen=True)
class MaxGrowth(_OneColumn):
    """Largest year-on-year growth in ``start..end`` (no multi-fold jump in "steady growth")."""

    column: str
    start: int
    end: int

    def compute(self, p: Panel) -> np.ndarray:
        w = p.window(self.column, self.start - 1, self.end)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(w[:, :-1] > 0, w[:, 1:] / w[:, :-1] - 1.0, np.inf)
        return g.max(axis=1)


Metric = Value | Mean | RatioOfMeans | Growth | ShareOfYearsGrowing | MaxGrowth


# --------------------------------------------------------------- targets
@dataclass(frozen=True)
class Reading:
    """One source's figure: kept so that disagreement stays visible (the brief asks for it)."""

    seed: str
    outlet: str
    author: str
    published: int
    year: int | str | None
    value: float | None
    range: tuple[float, float] | None
    note: str

    @property
    def citation(self) -> str:
        """Short citation, seed number, outlet, year: ``004 Lowy Interpreter / NBR 2015``
        (a public-record source outside the seeds has no number)."""
        if self.from_record:
            return f"{self.outlet} {self.published}"
        return f"{self.seed[:3]} {self.outlet} {self.published}"

    @property
    def from_record(self) -> bool:
        """A figure from the public record, not from one of the five seed articles."""
        return self.seed.startswith("record:")


@dataclass(frozen=True)
class Target:
    """A figure to reproduce: the metric, its accepted band and its role in pattern-oriented modelling."""

    id: str
    description: str
    metric: Metric
    unit: str
    readings: tuple[Reading, ...]
    band: tuple[float, float]
    band_basis: str
    role: str
    weight: float
    scale: str = "log"
    scenario: str | None = None

    @property
    def sources(self) -> str:
        return "; ".join(dict.fromkeys(r.citation for r in self.readings))

    def values(self, panel: Panel) -> np.ndarray:
        return self.metric.compute(panel)             # one number per replication

    def excess(self, values: np.ndarray) -> np.ndarray:
        """Distance of each value outside the band, in band widths (log widths for ``scale: log``).

        0 inside the band; non-finite values (0/0, x/0, NaN), values <= 0 on
        a log scale and anything further out than :data:`MAX_EXCESS` widths
        count as MAX_EXCESS.
        """
        lo, hi = self.band
        v = np.asarray(values, dtype=float)
        if self.scale == "log":         # non-positive values have no log: they count as MAX_EXCESS
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log(np.where(v > 0, v, np.nan))
            lo, hi = math.log(lo), math.log(hi)
        d = (np.maximum(lo - v, 0.0) + np.maximum(v - hi, 0.0)) / (hi - lo)
        return np.where(np.isfinite(d), np.minimum(d, MAX_EXCESS), MAX_EXCESS)


def _columns(targets: Iterable[Target]) -> set[str]:
    return {c for t in targets for c in t.metric.columns()}


def evaluate(targets: Sequence[Target], df: pd.DataFrame) -> pd.DataFrame:
    """One row per target: sources, band, median/p05/p95 over replications and whether the median is in band."""
    panel = Panel.from_frame(df, _columns(targets))
    rows = []
    for t in targets:
        v = t.values(panel)
        finite = v[np.isfinite(v)]   # 0/0 growth of a vanished flow has no percentile
        known = v[~np.isnan(v)]
        med = np.median(known) if known.size else np.nan
        p05, p95 = np.percentile(finite, [5, 95]) if finite.size else (np.nan, np.nan)
        rows.append({"id": t.id, "description": t.description, "sources": t.sources,
                     "band_low": t.band[0], "band_high": t.band[1], "median": float(med),
                     "p05": float(p05), "p95": float(p95), "n_replications": len(v),
                     "in_band": bool(t.band[0] <= med <= t.band[1]), "role": t.role})
    return pd.DataFrame(rows, columns=["id", "description", "sources", "band_low", "band_high", "median",
                                       "p05", "p95", "n_replications", "in_band", "role"])


def _chosen(targets: Sequence[Target], roles: Sequence[str]) -> list[Target]:
    bad = set(roles) - set(ROLES)
    if bad:
        raise ValueError(f"roles must be among {ROLES}, got {sorted(bad)}")
    return [t for t in targets if t.role in roles]


def _terms(targets: Sequence[Target], df: pd.DataFrame, roles: Sequence[str]) -> dict[str, float]:
    chosen = _chosen(targets, roles)
    return _panel_terms(chosen, Panel.from_frame(df, _columns(chosen)))


def _panel_terms(chosen: Sequence[Target], panel: Panel) -> dict[str, float]:
    return dict(zip([t.id for t in chosen], _term_table(chosen, panel, 1)[0].tolist(),
                    strict=True))


def _term_table(chosen: Sequence[Target], panel: Panel, sets: int) -> np.ndarray:
    """Each target's term of the loss for each of ``sets`` parameter sets whose replications
    are the panel's rows in turn, (sets, targets): ``weight * mean over the set's replications
    of excess**2``."""
    terms = np.empty((sets, len(chosen)))
    for j, t in enumerate(chosen):
        excess = t.excess(t.values(panel)).reshape(sets, -1)
        terms[:, j] = t.weight * (excess ** 2).mean(axis=1)
    return terms


def loss_terms(targets: Sequence[Target], df: pd.DataFrame, roles: Sequence[str] = ("fit",)) -> pd.Series:
    """Each chosen target's contribution to :func:`band_loss`, indexed by id (to name the misses)."""
    return pd.Series(_terms(targets, df, roles), dtype=float)


def band_loss(targets: Sequence[Target], df: pd.DataFrame, roles: Sequence[str] = ("fit",)) -> float:
    """Sum over targets of ``weight * mean over replications of excess**2``.

    Averaging the squared per-replication excess (not the median's excess)
    is smooth in the parameters, uses every replication and punishes spread
    that straddles a band; it equals the median's squared excess when the
    replications agree. 0 when all are in band; always finite (see
    :meth:`Target.excess`).
    """
    return in_order(_terms(targets, df, roles).values())


def in_order(terms: Iterable[float]) -> float:
    """``terms`` added one after another, in their order. Python's ``sum`` compensates for
    rounding from Python 3.12 on, so with it a loss, and a fit's whole path, differed in the
    last bits between Python 3.11 and 3.12 (46 of 90 sets); this is 3.11's sum on every
    Python."""
    total = 0.0
    for term in terms:
        total += term
    return total


def band_loss_values(targets: Sequence[Target], values: np.ndarray, years: np.ndarray,
                     outputs: Sequence[str], roles: Sequence[str] = ("fit",)) -> float:
    """:func:`band_loss` of a run's ``(replications, years, outputs)`` array (what
    :func:`model.runner.run_scenario` returns): no frame is built. Equal to
    ``band_loss(targets, result.frame(), roles)``."""
    return float(band_losses_values(targets, np.asarray(values)[None], years, outputs, roles)[0])


def band_losses_values(targets: Sequence[Target], values: np.ndarray, years: np.ndarray,
                       outputs: Sequence[str], roles: Sequence[str] = ("fit",)) -> np.ndarray:
    """:func:`band_loss_values` of each parameter set's runs in ``values``, (sets,
    replications, years, outputs): every set's replications in one panel, so that each
    target is computed once for all of them (a fit's batch of sets spent a fifth of its time
    on the targets one set at a time), each set's loss the same to the bit."""
    chosen = _chosen(targets, roles)
    values = np.asarray(values, dtype=float)
    if values.ndim != 4 or values.shape[0] == 0:
        raise ScenarioError(_OUTPUT, None, "expected the runs of at least one parameter set")
    sets, replications = values.shape[:2]
    panel = Panel.from_values(values.reshape(sets * replications, *values.shape[2:]), years,
                              outputs, _columns(chosen))
    terms = _term_table(chosen, panel, sets)
    return np.array([in_order(row) for row in terms.tolist()])  # as band_loss adds them


# ---------------------------------------------------------------- loader
_TARGET_KEYS = {"id", "description", "metric", "unit", "readings", "band", "band_basis", "scale", "role",
                "weight", "scenario"}
_READING_KEYS = {"value", "range", "year", "seed", "outlet", "author", "note"}
_METRIC_KEYS = {"value": {"year"}, "mean": {"years"}, "ratio_of_means": {"years", "over_column", "over_years"},
                "growth": {"from_year", "to_year"}, "share_of_years_growing": {"years"},
                "max_growth": {"years"}}


class _Doc:
    """Field access that raises ``ScenarioError(file, field, expected ...)`` on any malformed entry."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str) -> ScenarioError:
        return ScenarioError(str(self.path), where.lstrip(".") or None, f"expected {expected}")

    def get(self, m: Mapping[str, Any], key: str, where: str, kind: type | tuple, what: str) -> Any:
        v = m.get(key) if isinstance(m, dict) else None
        if v is None or isinstance(v, bool) or not isinstance(v, kind) or (isinstance(v, str) and not v.strip()):
            raise self.fail(f"{where}.{key}", what)
        return v

    def text(self, m: Mapping[str, Any], key: str, where: str) -> str:
        return self.get(m, key, where, str, "a non-empty string")

    def pair(self, m: Mapping[str, Any], key: str, where: str, kind: type | tuple = (int, float)) -> tuple:
        v = self.get(m, key, where, list, "a list [low, high]")
        if len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, kind) for x in v) or not v[0] <= v[1]:
            raise self.fail(f"{where}.{key}", "two numbers [low, high] with low <= high")
        return v[0], v[1]

    def column(self, m: Mapping[str, Any], key: str, where: str) -> str:
        c = self.text(m, key, where)
        if c not in OUTPUT_COLUMNS:
            raise self.fail(f"{where}.{key}", f"a model output column, not {c!r}")
        return c


def _metric(d: _Doc, m: Any, where: str) -> Metric:
    if not isinstance(m, dict):
        raise d.fail(where, "a mapping with type and column")
    kind = d.text(m, "type", where)
    if kind not in _METRIC_KEYS:
        raise d.fail(f"{where}.type", f"one of {', '.join(_METRIC_KEYS)}")
    if set(m) - {"type", "column"} - _METRIC_KEYS[kind]:
        raise d.fail(where, f"keys among type, column, {', '.join(sorted(_METRIC_KEYS[kind]))} for {kind}")
    col = d.column(m, "column", where)
    if kind == "value":
        return Value(col, d.get(m, "year", where, int, "an integer year"))
    if kind == "growth":
        a, b = (d.get(m, k, where, int, "an integer year") for k in ("from_year", "to_year"))
        if a >= b:
            raise d.fail(f"{where}.to_year", "a year after from_year")
        return Growth(col, a, b)
    start, end = d.pair(m, "years", where, int)
    if kind == "mean":
        return Mean(col, start, end)
    if kind == "ratio_of_means":
        over = d.column(m, "over_column", where) if "over_column" in m else col
        o_start, o_end = d.pair(m, "over_years", where, int) if "over_years" in m else (start, end)
        if (over, o_start, o_end) == (col, start, end):
            raise d.fail(where, "over_column or over_years to differ from the numerator")
        return RatioOfMeans(col, start, end, over, o_start, o_end)
    if kind == "max_growth":
        return MaxGrowth(col, start, end)
    return ShareOfYearsGrowing(col, start, end)


def _reading(d: _Doc, r: Any, where: str, sources: Mapping[str, Any]) -> Reading:
    if not isinstance(r, dict) or set(r) - _READING_KEYS:
        raise d.fail(where, f"a mapping with keys among {sorted(_READING_KEYS)}")
    if not isinstance(src := sources.get(seed := d.text(r, "seed", where)), dict):
        raise d.fail(f"{where}.seed", "a seed file listed under sources")
    outlet, author = d.text(r, "outlet", where), d.text(r, "author", where)
    if (outlet, author) != (src.get("outlet"), src.get("author")):
        raise d.fail(where, f"outlet/author as listed for {seed}: {src.get('outlet')} / {src.get('author')}")
    if (value := r.get("value")) is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise d.fail(f"{where}.value", "a number or null")
    rng = d.pair(r, "range", where) if r.get("range") is not None else None
    if (year := r.get("year")) is not None and not isinstance(year, (int, str)):
        raise d.fail(f"{where}.year", "a year or a 'start-end' string")
    return Reading(seed, outlet, author, d.get(src, "published", f"sources.{seed}", int, "a year"), year,
                   None if value is None else float(value), None if rng is None else (float(rng[0]), float(rng[1])),
                   d.text(r, "note", where))


def _target(d: _Doc, t: Any, where: str, sources: Mapping[str, Any], scenario: bool) -> Target:
    if not isinstance(t, dict) or set(t) - _TARGET_KEYS:
        raise d.fail(where, f"a mapping with keys among {sorted(_TARGET_KEYS)}")
    where = f"{where}({t.get('id', '?')})"
    if not (readings := d.get(t, "readings", where, list, "a non-empty list of readings")):
        raise d.fail(f"{where}.readings", "a non-empty list of readings")
    lo, hi = d.pair(t, "band", where)
    scale = d.text(t, "scale", where)
    if scale not in SCALES:
        raise d.fail(f"{where}.scale", "linear or log")
    if (scale == "log" and lo <= 0) or lo >= hi:
        raise d.fail(f"{where}.band", "low < high, and low > 0 on a log scale")
    role = d.text(t, "role", where)
    if role not in ROLES:
        raise d.fail(f"{where}.role", "fit or corroborate")
    if not (weight := d.get(t, "weight", where, (int, float), "a positive number")) > 0:
        raise d.fail(f"{where}.weight", "a positive number")
    if not scenario and "scenario" in t:
        raise d.fail(f"{where}.scenario", "no scenario on a baseline target (use scenario_targets)")
    return Target(d.text(t, "id", where), d.text(t, "description", where), _metric(d, t.get("metric"), f"{where}.metric"),
                  d.text(t, "unit", where),
                  tuple(_reading(d, r, f"{where}.readings[{i}]", sources) for i, r in enumerate(readings)),
                  (float(lo), float(hi)), d.text(t, "band_basis", where), role, float(weight), scale,
                  d.text(t, "scenario", where) if scenario else None)


def _load(path: str | Path, key: str) -> list[Target]:
    d = _Doc(Path(path))
    try:
        doc = parse_yaml(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise d.fail("", f"a readable targets file ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise d.fail("", f"valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(doc, dict):
        raise d.fail("", "a mapping with sources, targets and scenario_targets")
    sources = d.get(doc, "sources", "", dict, "a mapping of seed file -> outlet, author, published")
    items = d.get(doc, key, "", list, "a list of targets")
    targets = [_target(d, t, f"{key}[{i}]", sources, key == "scenario_targets") for i, t in enumerate(items)]
    ids = [t.id for t in targets]
    if len(set(ids)) != len(ids):
        raise d.fail(key, f"unique ids (duplicates: {sorted({i for i in ids if ids.count(i) > 1})})")
    return targets


def load_targets(path: str | Path = DEFAULT_PATH) -> list[Target]:
    """Baseline targets (top-level ``targets``), evaluated on baseline runs."""
    return _load(path, "targets")


def load_scenario_targets(path: str | Path = DEFAULT_PATH) -> list[Target]:
    """Targets under ``scenario_targets``; each names the scenario whose runs it is evaluated on."""
    return _load(path, "scenario_targets")
