"""What the explorer computes, with no web code: settings -> scenario -> runs -> views -> files.

The page (``page.py``) draws controls and shows what :class:`Explorer` returns, so all that the
page shows, saves and briefs is built here and tested without a browser or Solara:

- :class:`Settings`: what the controls hold (scenario, strategy, lever values set on the page,
  replications, the year asked and a target);
- :meth:`Explorer.scenario_for`: the settings as a validated :class:`~model.scenario.Scenario`,
  built exactly as a scenario file with those settings would be (a lever set on the page is a
  single value from ``policy_start``, as in a file), so "Save as scenario" writes a file that
  ``hedgesim run`` reproduces exactly (:meth:`Explorer.save` checks that before it returns);
- :meth:`Explorer.view`: runs the replications (posterior draws, as ``hedgesim run``), the year's
  key figures against the baseline (the same cells ``hedgesim run`` prints), the target line and
  the three standard charts, drawn by the same functions as runs and briefs
  (:data:`model.analysis.charts.STANDARD`);
- :meth:`Explorer.brief`: saves the scenario, runs it as ``hedgesim run`` does
  (:func:`model.experiments.single.execute`) and writes a brief of it
  (:func:`model.analysis.brief.build_brief`).

User mistakes (an unknown strategy, a value off the registry's range, a target the runs cannot
answer, too many replications) are :class:`~model.errors.HedgesimError`, which the page shows
as a one-line message.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from model.errors import HedgesimError
from model.params import EXPORT_SECTORS, REGISTRY, Param, free_parameters
from model.scenario import (
    HISTORY_START,
    SCENARIO_DIR,
    Scenario,
    _compiled_value,
    calibrated_values,
    check_name,
    check_number,
    load,
)
from model.strategies import STRATEGIES

DEFAULT_TARGET = "trade_russia_usd@2020>=1e9"
"""The target the page starts with: Moscow's $1 bn of trade by 2020 (seeds 001-003)."""
MAX_REPLICATIONS = 200
"""The replications slider's top: more belongs in ``hedgesim run`` or a sweep, not a meeting."""
BASELINE = "baseline"

LEVER_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("China", ("china.trade_subsidy_rate", "china.credit_usd", "china.aid_usd",
               "sanctions.enforcement_china")),
    ("Russia", ("russia.trade_subsidy_rate", "russia.credit_usd", "russia.aid_usd",
                "sanctions.enforcement_russia")),
    ("UN bans on what the DPRK sells",
     tuple(f"sanctions.un_export_ban_{s}" for s in EXPORT_SECTORS)),
    ("UN bans on what is sold to the DPRK",
     ("sanctions.un_import_ban_fuel", "sanctions.un_import_ban_goods")),
    ("Third countries and the West", ("sanctions.enforcement_others", "sanctions.west_on_russia")),
)
LEVERS: tuple[str, ...] = tuple(n for _, names in LEVER_GROUPS for n in names)
_SHORT = {
    "trade_subsidy_rate": "Trade subsidy", "credit_usd": "Credit", "aid_usd": "Aid",
    "enforcement_china": "Enforcement of UN sanctions by China",
    "enforcement_russia": "Enforcement of UN sanctions by Russia",
    "enforcement_others": "Enforcement by third countries",
    "west_on_russia": "Western sanctions on Russia",
    "un_import_ban_fuel": "Fuel", "un_import_ban_goods": "Goods (machinery, vehicles, metals)",
}


@dataclass(frozen=True)
class Slider:
    """How a registry lever is shown: its range and unit from the registry; US$ shown in
    millions (``scale`` 1e6) so the slider reads "$300 m", not 300000000."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float  # in the slider's own (shown) unit
    scale: float
    doc: str

    @property
    def shown_unit(self) -> str:
        return f"US$ m ({self.unit})" if self.scale != 1 else self.unit

    def shown(self, value: float) -> float:
        return value / self.scale

    def value(self, shown: float) -> float:
        """A slider position back in the registry's unit, on the slider's grid, so a value set on
        the page is written to the scenario file exactly as shown."""
        steps = round((float(shown) * self.scale - self.low) / (self.step * self.scale))
        return float(min(self.high, max(self.low, self.low + steps * self.step * self.scale)))

    def text(self, value: float) -> str:
        if self.scale != 1:
            return f"${value / 1e6:,.0f} m"
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != 0 else "0"


def slider(name: str) -> Slider:
    p: Param = REGISTRY[name]
    short = name.rsplit(".", 1)[1]
    if short.startswith("un_export_ban_"):
        label = short.removeprefix("un_export_ban_").capitalize()
    else:
        label = _SHORT.get(short, short.replace("_", " ").capitalize())
    usd = p.unit == "USD" or p.unit.startswith(("USD/", "USD "))  # not "USD per USD traded"
    usd = usd and "per USD" not in p.unit
    scale = 1e6 if usd else 1.0
    span = p.high - p.low
    step = 1e7 if usd else (0.01 if span <= 1 else 0.05)
    return Slider(name, label, p.unit, p.low, p.high, step / scale if usd else step, scale, p.doc)


@dataclass(frozen=True)
class Settings:
    """What the page's controls hold. ``levers`` are only those set on the page (registry name,
    value from ``policy_start``); ``strategy`` None keeps the scenario's own."""

    scenario: str
    strategy: str | None = None
    levers: tuple[tuple[str, float], ...] = ()
    replications: int | None = None
    year: int = 2020
    target: str = DEFAULT_TARGET

    def with_lever(self, name: str, value: float | None) -> Settings:
        levers = {k: v for k, v in self.levers if k != name}
        if value is not None:
            levers[name] = float(value)
        return replace(self, levers=tuple(sorted(levers.items())))

    @property
    def lever_values(self) -> dict[str, float]:
        return dict(self.levers)


@dataclass
class FigureRow:
    figure: str
    column: str
    value: str  # 'median [p05 - p95]' exactly as `hedgesim run` prints it
    baseline: str
    change: str  # median against the baseline's median
    median: float


@dataclass
class View:
    settings: Settings
    scenario: Scenario
    year: int
    rows: list[FigureRow]
    target: str  # 'target ...: reached in 7 of 20 runs (35%); ...' or ''
    baseline_target: str
    charts: dict[str, bytes]  # chart name -> SVG (vector, text as text: sharp at any width,
    note: str                 # and quicker to write and smaller than PNG)
    changes: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    goal: object = field(default=None, repr=False, compare=False)
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    frame_key: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class LeverState:
    """What a lever's slider shows: where it sits, whether it was set on the page, and where the
    value the runs use comes from (``where``, shown under the slider)."""

    value: float  # where the slider sits: the value set, the scenario's, or the draws' median
    set_here: bool
    where: str
    spread: tuple[float, float] | None = None  # 5th-95th percentile of the runs' draws


class Stale(Exception):
    """A newer setting arrived: this computation's result is no longer wanted."""


def _fmt_usd_change(d: float) -> str:
    sign = "+" if d >= 0 else "-"
    a = abs(d)
    return f"{sign}${a / 1e9:.2f} bn" if a >= 1e9 else f"{sign}${a / 1e6:.0f} m"


def change_text(value: float, base: float, unit: str) -> str:
    """A median against the baseline's: '+$120 m', '-5 pts', '+0.04'; '=' when equal."""
    if not (math.isfinite(value) and math.isfinite(base)):
        return "n/a"
    d = value - base
    if unit == "usd":
        return "=" if abs(d) < 5e5 else _fmt_usd_change(d)
    if unit == "share":
        return "=" if abs(d) < 0.005 else f"{d * 100:+.0f} pts"
    if unit == "ratio":
        return "=" if abs(d) < 0.5 else f"{d:+.0f}x"
    return "=" if abs(d) < 0.005 else f"{d:+.2f}"


def target_line(goal, frame: pd.DataFrame) -> str:
    """'target trade_russia_usd@2020 >= 1e+09: reached in 7 of 10 runs (70%); median 8.1e+08'
    (the line `hedgesim run --target` prints)."""
    rows = goal.evaluate(frame.assign(point=0) if "point" not in frame else frame)
    hit, n = int(rows["hit"].sum()), len(rows)
    return (f"target {goal.column}@{goal.year} {goal.op} {goal.threshold:g}: reached in {hit} "
            f"of {n} runs ({hit / n:.0%}); median {np.median(rows['value']):.4g}")


_FREE = frozenset(p.name for p in free_parameters())
"""Calibrated parameters: each run draws its value from the posterior unless a setting fixes it."""
_DRAW = threading.Lock()  # pyplot is not thread-safe: one chart at a time in this process


def _draw_chart(name: str, frame: pd.DataFrame, prov: str, policy_start: int, year: int,
                target) -> bytes:
    """One standard chart as SVG (text as text): the function runs and briefs use."""
    import matplotlib

    from model.analysis.charts import STANDARD

    # text as SVG text rather than glyph outlines: a third quicker to write and a third
    # smaller to send, and the page's browser has the fonts (DejaVu Sans, else Verdana)
    with tempfile.TemporaryDirectory() as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):
        return STANDARD[name](frame, prov, policy_start, Path(tmp) / f"{name}.svg",
                              year=year, target=target).read_bytes()


def _chart_worker_start(parent: int) -> None:
    """A chart process: exits with the explorer, and imports the chart code before the
    first change needs it."""
    from model.experiments.executors import _worker_start

    _worker_start(parent)
    import matplotlib

    matplotlib.use("Agg")
    import model.analysis.charts  # noqa: F401


class ChartPool:
    """Two processes that draw a change's charts side by side.

    Writing a chart's SVG is most of a slider change's time (0.1-0.2 s a chart); drawn
    one after another in the page's process, three charts took longer than the model's
    runs. The pool starts (in the background) with the explorer; if it cannot start or
    breaks, charts are drawn in this process, as before.
    """

    def __init__(self, workers: int = 2) -> None:
        self._pool = None
        self._lock = threading.Lock()
        self._workers = workers
        threading.Thread(target=self._get, daemon=True, name="hedgesim-chart-pool").start()

    def _get(self):
        with self._lock:
            if self._pool is None:
                import multiprocessing
                import os
                from concurrent.futures import ProcessPoolExecutor

                method = ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                          else "spawn")
                try:
                    self._pool = ProcessPoolExecutor(
                        max_workers=self._workers, mp_context=multiprocessing.get_context(method),
                        initializer=_chart_worker_start, initargs=(os.getpid(),))
                    self._pool.submit(int, 0).result(timeout=60)  # workers up, charts imported
                except Exception:  # noqa: BLE001 - draw in this process instead
                    self._pool = False
            return self._pool or None

    def draw(self, jobs: dict[str, tuple]) -> dict[str, bytes] | None:
        """Each chart's SVG (``jobs``: name -> :func:`_draw_chart`'s other arguments), or
        None when the pool cannot draw them (then the caller draws them itself)."""
        pool = self._get()
        if pool is None:
            return None
        try:
            futures = {name: pool.submit(_draw_chart, name, *args) for name, args in jobs.items()}
            return {name: f.result() for name, f in futures.items()}
        except Exception:  # noqa: BLE001 - a broken pool: this process draws from now on
            with self._lock:
                self._pool = False
            pool.shutdown(wait=False, cancel_futures=True)
            return None

    def close(self) -> None:
        with self._lock:
            if self._pool:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = False


class Explorer:
    """The explorer's state shared by every page view: the calibration, the scenarios it has
    loaded, and the runs it has made (baseline and settings), so moving back to a setting is
    instant."""

    def __init__(self, scenario: str = BASELINE, save_dir: str | Path | None = None,
                 out: str | Path = "results", briefs: str | Path = "briefs",
                 calibration=None, cache_size: int = 16, chart_processes: int = 2) -> None:
        self.start = self._ref(scenario)
        self.save_dir = Path(save_dir) if save_dir is not None else SCENARIO_DIR
        self.out = Path(out)
        self.briefs = Path(briefs)
        self._scenarios: dict[str, Scenario] = {}
        self._levers: dict[tuple, LeverState] = {}
        self._runs: OrderedDict[str, pd.DataFrame] = OrderedDict()
        self._baseline_figures: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._charts: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.RLock()
        self._compute = threading.Lock()
        self.scenario(self.start)  # a bad SCENARIO fails here, before any server starts
        # the posterior ensemble takes about a second to read: on first use, so a server can
        # start listening (and the browser load the page) meanwhile
        self._calibration = calibration
        self._views: OrderedDict[Settings, View] = OrderedDict()  # with charts
        self._figures: OrderedDict[Settings, View] = OrderedDict()  # key figures only
        self._chart_pool = ChartPool(chart_processes) if chart_processes > 1 else None

    def close(self) -> None:
        """Stop the chart processes (they also exit on their own when this process ends)."""
        if self._chart_pool is not None:
            self._chart_pool.close()

    @property
    def calibration(self):
        from model.ensemble import load_calibration

        with self._lock:
            if self._calibration is None or isinstance(self._calibration, str):
                self._calibration = load_calibration(self._calibration or "posterior")
            return self._calibration

    # ------------------------------------------------------------ scenarios
    @staticmethod
    def _ref(scenario: str | Path) -> str:
        """A shipped scenario by name, anything else by its resolved path."""
        text = str(scenario)
        p = Path(text)
        if not p.suffix and (SCENARIO_DIR / f"{text}.yaml").is_file() and not p.is_file():
            return p.name
        if p.is_file() and p.resolve().parent == SCENARIO_DIR.resolve():
            return p.stem
        return str(p.resolve()) if p.is_file() else text

    def scenario(self, ref: str) -> Scenario:
        with self._lock:
            if ref not in self._scenarios:
                self._scenarios[ref] = load(ref)
            return self._scenarios[ref]

    def choices(self) -> list[str]:
        """The scenarios the page offers: the shipped ones and the one it was started with."""
        names = [p.stem for p in sorted(SCENARIO_DIR.glob("*.yaml"))]
        return names if self.start in names else [self.start, *names]

    def initial(self, ref: str | None = None) -> Settings:
        sc = self.scenario(ref or self.start)
        year = 2020 if 2020 <= sc.horizon else sc.horizon
        target = DEFAULT_TARGET if 2020 <= sc.horizon else ""
        return Settings(ref or self.start, None, (), sc.replications, year, target)

    def lever_state(self, settings: Settings, name: str) -> LeverState:
        """What the slider of lever ``name`` shows for ``settings``.

        A value set on the page is used by every run from ``policy_start``. Otherwise the runs
        use the scenario's value in the year asked; for a calibrated lever the scenario does not
        set (China's trade subsidy and credit), that is each run's own posterior draw, so the
        slider sits at the draws' median and says what range the runs use."""
        values = settings.lever_values
        if name in values:
            drawn = self.lever_state(replace(settings, levers=()), name).spread is not None
            sc = self.scenario(settings.scenario)
            return LeverState(values[name], True, f"set here for every run, from "
                              f"{sc.policy_start}" + (" (instead of its posterior draw)"
                                                      if drawn else ""))
        key = (settings.scenario, settings.replications, settings.year, name)
        with self._lock:
            if key in self._levers:
                return self._levers[key]
        state = self._lever_default(settings, name)
        with self._lock:
            self._levers[key] = state
        return state

    def _lever_default(self, settings: Settings, name: str) -> LeverState:
        sc = self.scenario(settings.scenario)
        year = min(max(settings.year, sc.policy_start), sc.horizon)
        p = REGISTRY[name]
        reps = settings.replications if settings.replications is not None else sc.replications
        cal = self.calibration
        draws = cal.draws(sc.seed, range(max(1, reps)))
        used = {}
        for d in sorted(set(draws)):
            base = cal.values(d).get(name, p.default)
            v = _compiled_value(p, base, sc.values.get(name), sc.policy_start, sc.years)
            used[d] = float(v[year - HISTORY_START]) if isinstance(v, np.ndarray) else float(v)
        per_run = np.array([used[d] for d in draws])
        if per_run.min() == per_run.max():
            where = f"the scenario's, in {year}"
            if name in _FREE and name not in sc.values:  # calibrated, and no draw differs here
                where = (f"the calibrated point estimate, in {year}" if cal.mode == "point" else
                         f"the scenario's, in {year}: the same in every posterior draw")
            return LeverState(float(per_run[0]), False, where)
        lo, med, hi = np.percentile(per_run, [5, 50, 95])
        s = slider(name) if name in LEVERS else None
        text = s.text if s is not None else (lambda v: f"{v:g}")
        return LeverState(float(med), False, (
            f"calibrated: each run draws its own from the posterior; in {year} median "
            f"{text(med)}, 90% range {text(lo)} to {text(hi)} over the {len(per_run)} runs"),
            (float(lo), float(hi)))

    def lever_value(self, settings: Settings, name: str) -> tuple[float, bool]:
        """(value shown, set on the page): see :meth:`lever_state`."""
        state = self.lever_state(settings, name)
        return state.value, state.set_here

    def strategy_of(self, settings: Settings) -> str:
        """The DPRK strategy in effect in the year asked (or from policy_start)."""
        if settings.strategy is not None:
            return settings.strategy
        sc = self.scenario(settings.scenario)
        year = max(settings.year, sc.policy_start)
        in_effect = [s for y, s in sorted(sc.strategy.items()) if y <= year]
        return in_effect[-1] if in_effect else next(iter(sorted(sc.strategy.items())))[1]

    def scenario_for(self, settings: Settings) -> Scenario:
        """The settings as a validated scenario: the chosen scenario with each lever set on the
        page as a single value from its ``policy_start`` (replacing any timeline it had there),
        the strategy from ``policy_start``, and the replications asked."""
        from model.experiments.budget import check_budget, estimate_run

        base = self.scenario(settings.scenario)
        where = "explorer"
        values = dict(base.values)
        for name, v in settings.levers:
            if name not in REGISTRY or REGISTRY[name].kind != "lever":
                raise HedgesimError(where, name, "expected a registry lever")
            values[name] = check_number(where, f"levers.{name}", REGISTRY[name], v)
        changes: dict = {"values": values}
        if settings.strategy is not None:
            if settings.strategy not in STRATEGIES:
                raise HedgesimError(where, "strategy", f"expected one of {', '.join(STRATEGIES)}")
            changes["strategy"] = {base.policy_start: settings.strategy}
        reps = settings.replications if settings.replications is not None else base.replications
        if (isinstance(reps, bool) or not isinstance(reps, int)
                or not 1 <= reps <= MAX_REPLICATIONS):
            raise HedgesimError(where, "replications", f"expected 1 to {MAX_REPLICATIONS} "
                                f"(more belongs in `hedgesim run`), got {reps!r}")
        changes["replications"] = reps
        sc = base.with_values(**changes)
        check_budget(estimate_run(sc), where, "replications", False)
        return sc

    def goal(self, settings: Settings, sc: Scenario):
        """The target as an outcome, checked against the years the runs cover; None if blank."""
        from model.analysis.results import parse_outcome
        from model.world import OUTPUTS

        if not 1988 <= settings.year <= sc.horizon:
            raise HedgesimError("explorer", "year", f"expected a year from 1988 to the "
                                f"horizon {sc.horizon}, got {settings.year}")
        if not settings.target.strip():
            return None
        goal = parse_outcome(settings.target.strip(), OUTPUTS, default_year=settings.year,
                             field="target")
        if not 1988 <= goal.year <= sc.horizon:
            raise HedgesimError(settings.target, "target", f"expected a year from 1988 to the "
                                f"horizon {sc.horizon}, got {goal.year}")
        return goal

    def changes(self, settings: Settings) -> list[str]:
        """What the page changed from the chosen scenario file, one phrase each."""
        base = self.scenario(settings.scenario)
        out = []
        if settings.strategy is not None:
            out.append(f"strategy {settings.strategy} from {base.policy_start}")
        for name, v in settings.levers:
            s = slider(name) if name in LEVERS else None
            shown = s.text(v) if s else f"{v:g}"
            out.append(f"{name} {shown} from {base.policy_start}")
        if settings.replications is not None and settings.replications != base.replications:
            out.append(f"{settings.replications} replications")
        return out

    # ------------------------------------------------------------ runs
    def _run(self, sc: Scenario, cancelled=None) -> tuple[str, pd.DataFrame]:
        """The runs of ``sc`` through the public runner, cached by what they depend on (so the
        baseline and a page showing the baseline's own settings share one set of runs)."""
        from model.runner import run_scenario

        key = _run_key(sc)
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
                return key, self._runs[key]

        def progress(_n: int) -> None:
            if cancelled is not None and cancelled():
                raise Stale()

        frame = run_scenario(sc, progress=progress, calibration=self.calibration).frame()
        with self._lock:
            self._runs[key] = frame
            while len(self._runs) > self._cache_size:
                self._runs.popitem(last=False)
        return key, frame

    def _baseline_for(self, sc: Scenario) -> Scenario:
        """The shipped baseline with the settings' replications and seed (common random
        numbers: the same seeds and posterior draws as the settings' runs)."""
        return self.scenario(BASELINE).with_values(replications=sc.replications, seed=sc.seed)

    def view(self, settings: Settings, cancelled=None, charts: bool = True) -> View:
        """Everything the page shows for ``settings``: key figures first (``charts=False``, as
        soon as the runs are done), then the charts. Each step is cached, and the charts of a
        view reuse its key figures and runs. ``cancelled()`` true makes it raise :class:`Stale`
        between replications and between charts (a newer setting arrived)."""
        figures = self._key_figures(settings, cancelled)
        if not charts:
            return figures
        with self._lock:
            if settings in self._views:
                self._views.move_to_end(settings)
                return self._views[settings]
        t = time.perf_counter()
        with self._compute:
            drawn = self._draw(figures, cancelled)
        seconds = dict(figures.seconds, charts=time.perf_counter() - t)
        seconds["total"] = seconds["figures"] + seconds["charts"]
        made = replace(figures, charts=drawn, seconds=seconds)
        with self._lock:
            self._views[settings] = made
            while len(self._views) > max(4, self._cache_size // 2):
                self._views.popitem(last=False)
        return made

    def _key_figures(self, settings: Settings, cancelled=None) -> View:
        """The view without charts: the runs, the year's key figures against the baseline and
        the target line."""
        from model.experiments.history import guard
        from model.experiments.summary import interval_cell, key_figures
        from model.outputs import KEY_FIGURES

        with self._lock:
            if settings in self._figures:
                self._figures.move_to_end(settings)
                return self._figures[settings]
        t = time.perf_counter()
        sc = self.scenario_for(settings)
        goal = self.goal(settings, sc)
        guard(sc, calibrated_values(), where="explorer")
        times: dict[str, float] = {"validate": time.perf_counter() - t}
        with self._compute:  # one computation at a time; a stale one gives way at once
            if cancelled is not None and cancelled():
                raise Stale()
            t1 = time.perf_counter()
            key, frame = self._run(sc, cancelled)
            times["runs"] = time.perf_counter() - t1
            t1 = time.perf_counter()
            base_key, base = self._run(self._baseline_for(sc), cancelled)
            times["baseline"] = time.perf_counter() - t1
            t1 = time.perf_counter()
            year = settings.year
            mine = key_figures(frame, [year])
            theirs_key = (base_key, year)
            with self._lock:
                theirs = self._baseline_figures.get(theirs_key)
                if theirs is not None:
                    self._baseline_figures.move_to_end(theirs_key)
            if theirs is None:
                theirs = key_figures(base, [year])
                with self._lock:
                    self._baseline_figures[theirs_key] = theirs
                    while len(self._baseline_figures) > self._cache_size:
                        self._baseline_figures.popitem(last=False)
            rows = []
            for column, figure, unit in KEY_FIGURES:  # a figure no run defines (a ratio to zero
                a = mine[mine["column"] == column]  # trade) is shown as '-', not dropped
                b = theirs[theirs["column"] == column]
                med = float(a["median"].iloc[0]) if len(a) else float("nan")
                rows.append(FigureRow(
                    figure, column, interval_cell(a), interval_cell(b),
                    change_text(med, float(b["median"].iloc[0]) if len(b) else float("nan"), unit),
                    med))
            target = target_line(goal, frame) if goal is not None else ""
            base_target = target_line(goal, base) if goal is not None else ""
            times["key figures"] = time.perf_counter() - t1
        times["figures"] = time.perf_counter() - t
        made = View(settings, sc, year, rows, target, base_target, {},
                    self.calibration.note(sc.replications), self.changes(settings), times,
                    goal, frame, key)
        with self._lock:
            self._figures[settings] = made
            while len(self._figures) > self._cache_size:
                self._figures.popitem(last=False)
        return made

    def _draw(self, view: View, cancelled=None) -> dict[str, bytes]:
        """The three standard charts of a view as SVG, by the same functions as runs and briefs
        (:data:`model.analysis.charts.STANDARD`). A chart is drawn again only if what it shows
        changed: a target on a column it does not show leaves it as it was."""
        from model.analysis.charts import STANDARD, TARGET_COLUMNS

        sc, goal, year = view.scenario, view.goal, view.year
        prov = (f"hedgesim explore | scenario {sc.name}"
                + (f" with {'; '.join(view.changes)} (unsaved)" if view.changes else "")
                + f", seed {sc.seed} | {self._calibration_phrase()} | median and {view.note}")
        drawn: dict[str, bytes] = {}
        jobs: dict[str, tuple] = {}
        for name in STANDARD:
            shown = goal if goal is not None and goal.column in TARGET_COLUMNS[name] else None
            key = (name, view.frame_key, year, prov, sc.policy_start, _goal_key(shown))
            with self._lock:
                if key in self._charts:
                    self._charts.move_to_end(key)
                    drawn[name] = self._charts[key]
                    continue
            jobs[name] = (key, (view.frame, prov, sc.policy_start, year, shown))
        if cancelled is not None and cancelled():
            raise Stale()
        made = None
        if len(jobs) > 1 and self._chart_pool is not None:
            made = self._chart_pool.draw({name: args for name, (_, args) in jobs.items()})
        if made is None:  # one chart, or no pool: here, one at a time
            made = {}
            for name, (_, args) in jobs.items():
                if cancelled is not None and cancelled():
                    raise Stale()
                with _DRAW:
                    made[name] = _draw_chart(name, *args)
        with self._lock:
            for name, (key, _) in jobs.items():
                drawn[name] = self._charts[key] = made[name]
            while len(self._charts) > 3 * self._cache_size:
                self._charts.popitem(last=False)
        return {name: drawn[name] for name in STANDARD}

    def _calibration_phrase(self) -> str:
        info = self.calibration.describe()
        return f"{info['mode']} calibration {info.get('fitted_utc') or 'none'}"

    # ------------------------------------------------------------ save and brief
    def document(self, settings: Settings, name: str, description: str = "",
                 question: str = "", folder: Path | None = None) -> str:
        """The scenario file for ``settings``: ``extends`` the baseline (``baseline.yaml`` when
        written next to it, as in ``scenarios/``) with every setting that differs from it."""
        import os

        from model.experiments.store import now_utc

        folder = self.save_dir if folder is None else Path(folder)
        where = "Save as scenario"
        check_name(where, "name", name)
        sc = self.scenario_for(settings)
        base = self.scenario(BASELINE)
        parent = self._baseline_file(folder)
        extends = os.path.relpath(parent, folder.resolve())
        missing = [k for k in base.values if k not in sc.values]
        if missing:
            raise HedgesimError(where, missing[0], "is set by the baseline and cannot be unset "
                                "by a file that extends it")
        if tuple(sc.shocks[:len(base.shocks)]) != tuple(base.shocks):
            raise HedgesimError(where, "shocks", "expected the baseline's shocks first")
        doc: dict = {"name": name, "description": (description or self._description(settings)),
                     "extends": extends}
        for key in ("horizon", "policy_start"):
            if getattr(sc, key) != getattr(base, key):
                doc[key] = getattr(sc, key)
        doc["replications"] = sc.replications
        doc["seed"] = sc.seed
        strategy = {int(y): s for y, s in sc.strategy.items()}
        doc["strategy"] = (strategy[sc.policy_start] if list(strategy) == [sc.policy_start]
                           else strategy)
        for section, kinds in (("levers", ("lever",)), ("parameters", ("uncertainty", "fixed"))):
            tree: dict = {}
            for key, v in sorted(sc.values.items()):
                if REGISTRY[key].kind not in kinds or base.values.get(key) == v:
                    continue
                node = tree
                *groups, last = key.split(".")
                for g in groups:
                    node = node.setdefault(g, {})
                node[last] = _plain(v, REGISTRY[key])
            if tree:
                doc[section] = tree
        extra = [dict(s) for s in sc.shocks[len(base.shocks):]]
        if extra:
            doc["shocks"] = extra
        if sc.counterfactual_history:
            doc["counterfactual_history"] = True
        question = " ".join((question or self._question(settings)).split())
        head = [f"# {line}" for line in _wrap(question)]
        head.append(f"# Saved by `hedgesim explore` at {now_utc()} from {settings.scenario}"
                    + (f" with {'; '.join(self.changes(settings))}." if self.changes(settings)
                       else " (its own settings)."))
        body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)
        return "\n".join(head) + "\n" + body

    def _baseline_file(self, folder: Path) -> Path:
        """The baseline.yaml in ``folder`` if there is one (a checkout's scenarios/), else the
        shipped one; :meth:`save` checks the result reproduces the settings either way."""
        here = folder / "baseline.yaml"
        return here.resolve() if here.is_file() else (SCENARIO_DIR / "baseline.yaml").resolve()

    def _question(self, settings: Settings) -> str:
        changed = self.changes(settings)
        sc = self.scenario(settings.scenario)
        if not changed:
            return f"What does {settings.scenario} show? ({sc.description.rstrip('.')}.)"
        return f"What if, in {settings.scenario}, {'; '.join(changed)}?"

    def _description(self, settings: Settings) -> str:
        changed = self.changes(settings)
        return (f"{settings.scenario} with " + "; ".join(changed) if changed
                else self.scenario(settings.scenario).description)[:200]

    def save(self, settings: Settings, name: str, description: str = "", question: str = "",
             folder: Path | None = None, replace_file: bool = False) -> Path:
        """Write the scenario file and check it: the loader accepts it, the history guard passes,
        and it resolves to exactly the settings (same values, strategy, shocks, replications,
        seed, horizon); otherwise the file is removed and the difference named."""
        from model.experiments.history import guard

        folder = self.save_dir if folder is None else Path(folder)
        text = self.document(settings, name, description, question, folder)
        path = folder / f"{name}.yaml"
        if path.exists() and not replace_file:
            raise HedgesimError(str(path), None, "already exists; choose another name")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HedgesimError(str(path), None, f"cannot be written ({exc.strerror})") from None
        try:
            saved = load(path)
            guard(saved, calibrated_values())
            want = _comparable(self.scenario_for(settings))
            got = _comparable(saved)
            for key in want:
                if want[key] != got.get(key):
                    raise HedgesimError(str(path), key, "does not reproduce the page's settings "
                                        "(the baseline.yaml beside it differs from the shipped "
                                        "one?)")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def brief(self, settings: Settings, name: str, description: str = "", question: str = "",
              pdf: bool = True) -> tuple[Path, Path, object]:
        """Save the scenario (or reuse the file saved under ``name`` if it still matches), run it
        as ``hedgesim run`` does and write a brief of it: (scenario file, results folder, brief)."""
        from model.analysis.brief import build_brief
        from model.analysis.charts import standard_charts
        from model.experiments.single import execute

        path = self.save_dir / f"{name}.yaml"
        if path.exists():
            if _comparable(load(path)) != _comparable(self.scenario_for(settings)):
                raise HedgesimError(str(path), None, "already exists with other settings; "
                                    "choose another name")
        else:
            path = self.save(settings, name, description, question)
        sc = load(path)
        goal = self.goal(settings, sc)
        with _DRAW:  # the run's charts and the brief's, one figure at a time with the page's
            report = execute(sc, self.out, charts=standard_charts, calibration=self.calibration,
                             year=settings.year, target=goal)
            made = build_brief([report.folder], self.briefs / name, year=settings.year,
                               target=settings.target.strip() or None, pdf=pdf)
        return path, report.folder, made


def _run_key(sc: Scenario) -> str:
    """What a scenario's runs depend on, as a cache key: its name (the frames' ``scenario``
    column) and every setting that reaches the model."""
    import json

    return json.dumps([sc.name, _comparable(sc)], sort_keys=True, default=repr)


def _goal_key(goal) -> tuple | None:
    return None if goal is None else (goal.column, goal.year, goal.op, float(goal.threshold))


def _plain(v, p: Param):
    """A registry value as YAML writes it back exactly (whole numbers for integer settings)."""
    if isinstance(v, dict):
        return {int(y): _plain(x, p) for y, x in sorted(v.items())}
    return int(v) if p.integer else float(v)


def _comparable(sc: Scenario) -> dict:
    """What a run depends on, from a scenario (not its name, description or file)."""
    r = sc.resolved()
    return {k: r[k] for k in ("horizon", "policy_start", "replications", "seed", "strategy",
                              "values", "shocks", "counterfactual_history")}


def _wrap(text: str, width: int = 92) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]
