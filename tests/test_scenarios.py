"""Every shipped scenario and every strategy runs; scenario files say what they answer."""

import numpy as np
import pytest

from model.runner import run_scenario
from model.scenario import load, shipped
from model.strategies import STRATEGIES
from model.world import COLUMN


def test_the_issue_scenarios_ship():
    names = {p.stem for p in shipped()}
    assert {"baseline", "russia_1bn_push", "china_enforces", "west_squeezes_russia",
            "oil_collapse", "pobeda_built", "equidistance_revival"} <= names


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_shipped_scenario_runs_and_opens_with_its_question(path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# ") and "?" in path.read_text().split("name:")[0]
    sc = load(path)
    assert sc.description
    r = run_scenario(sc.with_values(replications=2))
    assert np.isfinite(r.values[:, :, COLUMN["trade_total_usd"]]).all()


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_runs_and_sets_its_stance(strategy, baseline):
    sc = baseline.with_values(replications=2, strategy={2015: strategy})
    r = run_scenario(sc)
    align = r.values[:, :, COLUMN["alignment"]]
    years = r.years
    after = align[:, years >= 2016]
    assert np.isfinite(after).all() and (np.abs(after) <= 1).all()
    if strategy == "pivot_russia":
        assert (after > 0.5).all()
    if strategy == "bandwagon_china":
        assert (after < -0.5).all()
    if strategy == "self_reliance":
        assert (r.values[:, years >= 2016, COLUMN["openness"]] < 1).all()


def test_pivot_to_russia_raises_russia_trade(baseline):
    base = run_scenario(baseline.with_values(replications=3))
    pivot = run_scenario(baseline.with_values(replications=3, strategy={2015: "pivot_russia"}))
    y = list(base.years).index(2025)
    col = COLUMN["trade_russia_usd"]
    assert np.median(pivot.values[:, y, col]) > np.median(base.values[:, y, col])


def test_china_halting_oil_and_grain_cuts_china_trade():
    enforce = run_scenario(load("china_enforces").with_values(replications=3))
    base = run_scenario(load("baseline").with_values(replications=3))
    y = list(base.years).index(2017)
    col = COLUMN["trade_china_usd"]
    assert np.median(enforce.values[:, y, col]) < 0.8 * np.median(base.values[:, y, col])
