"""The history guard: a scenario may not silently rewrite the calibrated history.

Years before a scenario's ``policy_start`` are the history the calibration
reproduces (1988-2014 by default, seeds 000-004). A setting that changes them
makes every number after them, and every comparison with the baseline,
rest on a history the sources do not give (issue 10, item 13: a constant
political risk of zero gave $426 m of DPRK-Russia trade in 2014 against the
cited $79-115 m). The rule:

1. Compile the scenario's inputs with and without each of its settings
   (:func:`model.scenario.history_changes`); a timeline value, a shock or a
   strategy that differs in a year before ``policy_start`` changes history.
2. A constant (a parameter that does not vary by year) that differs acts from
   1988, unless the model does not read it before ``policy_start``: one
   replication at the scenario's seed is run with and without it, and if every
   output of every year before ``policy_start`` is identical, it is dormant
   there (a project committed after ``policy_start``) and allowed.
3. Resolution settings (``model.scenario.RESOLUTION``: ``firms.count``) are exempt.

A scenario that means to change history declares ``counterfactual_history:
true``; it is then run, and every table, manifest, chart footer and brief
built from it says so. Everything else that changes history is one
:class:`HedgesimError` line naming the file, the field and what to write instead.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import numpy as np

from model.common import format_value
from model.errors import HedgesimError
from model.experiments.design import Experiment
from model.outputs import OUTPUTS, unit_of
from model.params import REGISTRY
from model.scenario import (
    HISTORY_START,
    HistoryChange,
    Scenario,
    calibrated_values,
    compile_inputs,
    history_changes,
)

log = logging.getLogger(__name__)
DECLARE = "or declare counterfactual_history: true"


def _history_rows(scenario: Scenario, calibrated: dict) -> np.ndarray:
    """One replication (the scenario's first) for the years before ``policy_start``."""
    from model.runner import run_seed, simulate  # the model (Mesa) only when a constant differs

    out = simulate(compile_inputs(scenario, calibrated), run_seed(scenario.seed, 0))
    return out[: scenario.policy_start - HISTORY_START]


def _largest_change(old: np.ndarray, new: np.ndarray, first_year: int) -> str:
    """'trade_russia_usd in 2010: $89 m -> $404 m': the output a change moves most in the
    history rows ``old`` -> ``new`` (years from ``first_year``), against that output's size
    over the history (an amount against at least $1 m): a US$ output if one moves by 0.1% of
    its size or more, else any (the DPRK's payoff, a project's status)."""
    usd = np.array([unit_of(c) == "usd" for c in OUTPUTS])
    size = np.where(np.isfinite(old), np.abs(old), 0.0).max(axis=0)
    size = np.maximum(size, np.where(usd, 1e6, 1e-9))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(new - old) / size
    score = np.where(np.isfinite(score), score, -1.0)
    in_usd = np.where(usd, score, -1.0)
    pick = in_usd if in_usd.max() >= 1e-3 else score
    t, i = np.unravel_index(int(np.argmax(pick)), pick.shape)
    name = OUTPUTS[i]

    def show(x: float) -> str:
        return format_value(x, "usd") if usd[i] else f"{x:.3g}"

    before, after = float(old[t, i]), float(new[t, i])
    moved = f"{show(before)} -> {show(after)}"
    if show(before) == show(after) and after != before and math.isfinite(after - before):
        # '$19 m -> $19 m' says nothing: by how much (against the amount, or in whole units)
        if abs(before) >= 1.0:
            moved += f" ({(after - before) / abs(before):+.2%})"
        else:
            moved += f" (by {after - before:+,.0f}{' USD' if usd[i] else ''})"
    return f"{name} in {first_year + int(t)}: {moved}"


def _acting(scenario: Scenario, constants: list[HistoryChange], calibrated: dict
            ) -> dict[str, str]:
    """The constants the model reads before ``policy_start``, each with the change it makes."""
    names = [c.name for c in constants if c.name is not None]
    without = {k: v for k, v in scenario.values.items() if k not in names}
    reference = replace(scenario, values=without)
    old = _history_rows(reference, calibrated)
    acting: dict[str, str] = {}
    for name in names:
        new = _history_rows(replace(reference, values={**without, name: scenario.values[name]}),
                            calibrated)
        if np.array_equal(old, new, equal_nan=True):
            log.debug("%s: %s differs from its calibrated value but is not read before %d",
                      scenario.path, name, scenario.policy_start)
        else:
            acting[name] = _largest_change(old, new, HISTORY_START)
    return acting


def changes_to_history(scenario: Scenario, calibrated: dict | None = None
                       ) -> list[tuple[HistoryChange, str]]:
    """Every setting of ``scenario`` that changes a year before ``policy_start`` (see module doc),
    each with what it changes there (for constants: the output that moves most)."""
    cal = calibrated_values() if calibrated is None else calibrated
    changes = history_changes(scenario, cal)
    constants = [c for c in changes if c.kind == "constant"]
    acting = _acting(scenario, constants, cal) if constants else {}
    return [(c, acting.get(c.name, "")) for c in changes if c.kind != "constant" or c.name in acting]


def explain(change: HistoryChange, scenario: Scenario, effect: str = "") -> str:
    """What is wrong and what to write instead, for the one-line error."""
    ps = scenario.policy_start
    if change.kind == "timeline":
        return (f"changes {change.year}, before policy_start {ps}, and so rewrites the calibrated "
                f"history; set it from {ps} (a single value, or {{{ps}: value}}), {DECLARE}")
    if change.kind == "constant":
        p = REGISTRY[change.name]
        what = f" ({effect})" if effect else ""
        return (f"a constant acts from {HISTORY_START} and rewrites the calibrated history{what}; "
                f"{p.name} cannot change by year, so leave it out and express the change with a "
                f"lever set from {ps} (a single value, or {{{ps}: value}}), {DECLARE}")
    if change.kind == "shock":
        return (f"a shock in {change.year}, before policy_start {ps}, rewrites the calibrated "
                f"history; move it to {ps} or later, {DECLARE}")
    return (f"changes the DPRK's strategy in {change.year}, before policy_start {ps} (history "
            f"follows the historical stance plan until then); start it in {ps} or later, {DECLARE}")


def guard(scenario: Scenario, calibrated: dict | None = None,
          where: str | None = None) -> list[HistoryChange]:
    """Refuse a scenario that changes history without declaring it; return what it changes.

    ``where`` names the file in the error (default: the scenario's own). A
    declared counterfactual gets its changes back, for the manifest.
    """
    changes = changes_to_history(scenario, calibrated)
    if changes and not scenario.counterfactual_history:
        change, effect = changes[0]
        raise HedgesimError(where or scenario.path, change.field, explain(change, scenario, effect))
    return [c for c, _ in changes]


def guard_experiment(experiment: Experiment, calibrated: dict | None = None) -> None:
    """Refuse a sweep if any design point's scenario changes history without declaring it.

    Each base scenario is checked once, then each point's own settings
    (varied values and strategy); the error names the experiment file and
    the design point. An experiment that declares ``counterfactual_history:
    true`` marks every point instead.
    """
    if experiment.counterfactual_history:
        return
    cal = calibrated_values() if calibrated is None else calibrated
    for sc in experiment.scenarios:
        guard(sc, cal)
    checked: set[tuple] = set()
    for dp in experiment.points:
        sc = experiment.scenario_for(dp)
        if sc.counterfactual_history:
            continue
        key = (dp.scenario, dp.strategy, tuple(sorted(dp.values.items())))
        if key in checked:
            continue
        checked.add(key)
        try:
            guard(sc, cal, where=experiment.path)
        except HedgesimError as exc:
            raise HedgesimError(exc.file, f"design point {dp.point}: {exc.field}",
                                exc.expected) from None
