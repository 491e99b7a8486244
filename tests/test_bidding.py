"""Patrons bid against each other for a contested DPRK (issue 11, states.py).

Bueno de Mesquita and Smith (2016): a dominant donor captures the surplus of an
aid-for-policy deal; a second donor bidding for the same recipient makes both
pay more. The seeds' version: Kim Il Sung's balance between Moscow and Beijing
paid (000, 003); a DPRK with one dominant patron gets little from balance.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.runner import run_scenario
from model.scenario import compile_inputs, load
from model.world import COLUMN, World


def _means(scenario, strategy: str, reps: int = 6, **values) -> dict[str, float]:
    sc = scenario.with_values(replications=reps, strategy={2015: strategy})
    if values:
        sc = sc.with_values(values=values)
    r = run_scenario(sc)
    later = r.years >= 2015
    out = {}
    for name in ("dprk_payoff", "received_china_usd", "received_russia_usd", "aid_china_usd",
                 "aid_russia_usd", "bid_china_usd", "bid_russia_usd", "trade_russia_usd"):
        out[name] = float(r.values[:, later, COLUMN[name]].mean())
    out["received"] = out["received_china_usd"] + out["received_russia_usd"]
    return out


@pytest.fixture(scope="module")
def baseline():
    return load("baseline")


RIVALS = {"china.rivalry": {2015: 1.0}, "russia.rivalry": {2015: 1.0},
          "russia.earn_not_spend": {2015: 0.85}}


def test_a_captured_dprk_draws_no_bid_from_its_captor_a_balanced_one_from_both(baseline):
    world = World(compile_inputs(baseline.with_values(replications=1)), rng=1)
    t = list(world.years).index(2016)
    world.china.decide(t, 0.0, 0.0, 5e8)
    balanced = world.china.bid
    world.china.decide(t, 1.0, 0.0, 5e8)   # leaning wholly to China: captured
    captured = world.china.bid
    world.china.decide(t, 0.0, 0.0, 0.0)   # no rival offer: nothing to answer
    alone = world.china.bid
    assert balanced > 0 and captured == 0 and alone == 0
    # A larger rival offer draws a larger bid, but never more than the DPRK is worth.
    world.china.decide(t, 0.0, 0.0, 5e9)
    assert balanced < world.china.bid < world.china.value_usd * world.china.rivalry[t]


def test_under_competing_patrons_balance_earns_more_than_bandwagoning(baseline):
    """Both patrons bidding (rivalry 1, Russia spending as the Soviet Union did): the 1960s-80s
    settings the seeds cite as proof that hedging pays (000, 003)."""
    balanced = _means(baseline, "equidistance", **RIVALS)
    captured = _means(baseline, "bandwagon_china", **RIVALS)
    assert balanced["received"] > 1.1 * captured["received"]
    assert balanced["dprk_payoff"] > captured["dprk_payoff"] + 0.05


def test_under_one_dominant_patron_balance_earns_little(baseline):
    """The 2014 status quo: China pays nearly everything, Russia's doctrine spends almost
    nothing, so balance draws little more support than bandwagoning."""
    balanced = _means(baseline, "equidistance")
    captured = _means(baseline, "bandwagon_china")
    rivals_gain = (_means(baseline, "equidistance", **RIVALS)["received"]
                   / _means(baseline, "bandwagon_china", **RIVALS)["received"])
    status_quo_gain = balanced["received"] / captured["received"]
    assert status_quo_gain < 1.1
    assert rivals_gain - 1 > 2 * (status_quo_gain - 1)


def test_equidistance_revival_differs_from_equidistance(baseline):
    """The shipped scenario's question (can a revived rivalry make balance pay again?) gets an
    answer: more aid from both patrons, and a different payoff, than plain equidistance."""
    revival = load("equidistance_revival")
    assert revival.strategy == {2015: "equidistance"}
    rev = _means(revival, "equidistance")
    plain = _means(baseline, "equidistance")
    assert rev["aid_china_usd"] > plain["aid_china_usd"] * 1.02
    assert rev["aid_russia_usd"] > plain["aid_russia_usd"] * 1.2
    assert rev["dprk_payoff"] != pytest.approx(plain["dprk_payoff"], abs=1e-3)


def test_russia_answers_the_break_with_the_west_after_2014(baseline):
    """'Earn, not spend' no longer switches Russia off: a harder break with the West raises the
    DPRK's value to Moscow (001) and so its aid, weighed against its fiscal room (003)."""
    calm = _means(baseline, "equidistance", **{"sanctions.west_on_russia": {2015: 0.0}})
    squeezed = _means(baseline, "equidistance", **{"sanctions.west_on_russia": {2015: 2.0}})
    assert squeezed["aid_russia_usd"] > calm["aid_russia_usd"] * 1.2
    assert np.isfinite(squeezed["dprk_payoff"])
