"""Accounting invariants a user relies on when reading any chart."""

import math

import numpy as np
import pytest

from model.runner import run_scenario
from model.scenario import load, shipped
from model.world import COLUMN, OUTPUTS

TRADE = [c for c in OUTPUTS if c.startswith(("exports_", "imports_", "trade_"))]


def col(result, name):
    return result.values[:, :, COLUMN[name]]


def test_no_negative_trade(baseline_run):
    for name in TRADE:
        assert (col(baseline_run, name) >= 0).all(), name


def test_partner_shares_sum_to_one(baseline_run):
    total = col(baseline_run, "trade_total_usd")
    parts = sum(col(baseline_run, f"trade_{p}_usd") for p in ("china", "russia", "korea", "others"))
    np.testing.assert_allclose(parts, total, rtol=1e-12)
    share_sum = parts / total
    np.testing.assert_allclose(share_sum, 1.0, rtol=1e-12)
    assert ((col(baseline_run, "china_share") >= 0) & (col(baseline_run, "china_share") <= 1)).all()


def test_trade_is_exports_plus_imports(baseline_run):
    for p in ("china", "russia", "korea", "others"):
        np.testing.assert_allclose(col(baseline_run, f"trade_{p}_usd"),
                                   col(baseline_run, f"exports_{p}_usd") + col(baseline_run, f"imports_{p}_usd"))


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_patron_spending_equals_what_dprk_and_firms_receive(path):
    """Aid + subsidies + credit paid by patrons = aid and credit the DPRK gets + subsidies firms get."""
    r = run_scenario(load(path).with_values(replications=2))
    spent = sum(col(r, f"{k}_{p}_usd") for k in ("aid", "subsidy", "credit") for p in ("china", "russia"))
    received = (col(r, "dprk_aid_received_usd") + col(r, "dprk_credit_received_usd")
                + col(r, "firm_subsidy_received_usd"))
    np.testing.assert_allclose(spent, received, rtol=1e-9, atol=1e-3)


def test_dependence_index_is_herfindahl_of_shares(baseline_run):
    total = col(baseline_run, "trade_total_usd")
    hhi = sum((col(baseline_run, f"trade_{p}_usd") / total) ** 2
              for p in ("china", "russia", "korea", "others"))
    np.testing.assert_allclose(col(baseline_run, "dependence_hhi"), hhi, rtol=1e-12)


def test_firm_counts_bounded_by_population(baseline_run, baseline):
    n = 300
    active = col(baseline_run, "active_firms_china") + col(baseline_run, "active_firms_russia")
    assert (active <= n).all() and (active >= 0).all()


@pytest.mark.parametrize("firms", [41, 300, 3001])
def test_active_firms_are_counted_by_cohort(baseline, firms):
    """The cohort counts (added a run of 8 firms at a time up to 3,000 firms, summed over every
    8th firm above) are the firms that traded, by country and sector, every year."""
    from model.firms import N_GROUPS
    from model.scenario import compile_inputs
    from model.world import World

    sc = baseline.with_values(horizon=2016, values={"firms.count": float(firms)})
    world = World([compile_inputs(sc)] * 3, rng=[1, 2, 3])
    for _ in range(len(world.years)):
        world.step()
    firms_ = world.firms
    counts = firms_.active_counts(len(world.years))  # (years, replications, cohorts)
    groups = np.broadcast_to(firms_.group, firms_.actives.shape[1:])
    for t in range(len(world.years)):
        for r in range(3):
            want = np.bincount(groups[r][firms_.actives[t, r]], minlength=N_GROUPS)
            assert counts[t, r].tolist() == want.tolist()
    assert 0 < counts.sum() < firms * 3 * len(world.years)  # some traded, not all, every year

def test_support_builds_up_linearly_and_is_cut_at_once():
    from model.states import phase_in

    path = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    assert phase_in(path, 1).tolist() == path.tolist()
    np.testing.assert_allclose(phase_in(path, 3), [0, 0, 1 / 3, 2 / 3, 1, 1, 0])
    # a new setting mid-build-up starts from where the build-up had got to
    np.testing.assert_allclose(phase_in(np.array([0.0, 1.0, 1.0, 4.0, 4.0]), 2), [0, 0.5, 1, 2.5, 4])
    # the doctrine: a lower earn-not-spend is more support (built up); a higher one a cut
    np.testing.assert_allclose(phase_in(np.array([0.9, 0.0, 0.0, 0.0]), 3, more_is_support=False),
                               [0.9, 0.6, 0.3, 0.0])
    np.testing.assert_allclose(phase_in(np.array([0.3, 1.0, 1.0]), 3, more_is_support=False),
                               [0.3, 1.0, 1.0])


def _phase_in_year_by_year(path, years, more_is_support=True):
    """The build-up rule one year at a time, as phase_in's docstring states it."""
    path = np.asarray(path, dtype=float)
    steps = np.round(np.asarray(years, dtype=float)).astype(np.int64)
    sign = 1.0 if more_is_support else -1.0
    out = np.empty_like(path)
    out[0] = start = target = path[0]
    since = np.zeros(np.shape(path[0]), dtype=np.int64)
    for t in range(1, len(path)):
        new = path[t] != target
        start = np.where(new, out[t - 1], start)
        target = np.where(new, path[t], target)
        since = np.where(new, 0, since) + 1
        built = start + (target - start) * np.minimum(1.0, since / np.maximum(steps, 1))
        out[t] = np.where(sign * (target - start) <= 0.0, target, built)
    return np.where(steps <= 1, path, out)


def test_support_is_built_up_for_each_member_as_year_by_year_to_the_bit():
    """phase_in computes the years between changes whole; each member's path must be what a
    year-by-year build-up gives, to the bit: paths with repeats, NaN, -0.0, a lag per member."""
    from model.states import phase_in

    rng = np.random.default_rng(7)
    values = np.array([0.0, -0.0, 0.25, 0.5, 1.0, 2.0, np.nan])
    for _ in range(300):
        years, members = int(rng.integers(1, 40)), int(rng.integers(1, 5))
        path = rng.choice(values, size=(years, members))
        for t in range(1, years):  # settings mostly hold from one year to the next
            path[t] = np.where(rng.random(members) < 0.7, path[t - 1], path[t])
        lags = rng.integers(0, 6, members).astype(float)
        for p, lag in ((path, lags), (path[:, 0], float(lags[0]))):
            for more in (True, False):
                got, want = phase_in(p, lag, more), _phase_in_year_by_year(p, lag, more)
                assert got.shape == want.shape
                assert got.view(np.int64).tolist() == want.view(np.int64).tolist(), (p, lag, more)


def test_a_finished_batch_frees_its_arrays_before_the_garbage_collector_runs():
    """A finished batch's firm arrays (most of its memory) go without waiting for a
    collection, or a sweep worker's memory grows with the sweep."""
    import gc
    import weakref

    from model.scenario import compile_inputs, load
    from model.world import World

    inputs = compile_inputs(load("baseline").with_values(horizon=2015))
    world = World([inputs] * 4, rng=[1, 2, 3, 4])
    noise, actives = weakref.ref(world.firms.noise), weakref.ref(world.firms.actives)
    out = world.run()
    gc.disable()
    try:
        assert out.shape[0] == 4 and noise() is None and actives() is None
    finally:
        gc.enable()


def test_a_finished_run_frees_its_model_without_waiting_for_the_collector():
    """Sweep workers run thousands of models: none may outlive its run (mesa issue #3179),
    nor wait for a full garbage collection (a worker held several finished models' states,
    projects and inputs between collections, its peak memory creeping by 50 MB)."""
    import gc
    import weakref

    from model.scenario import compile_inputs, load
    from model.world import World

    world = World(compile_inputs(load("baseline").with_values(horizon=2015)), rng=1)
    kept = [weakref.ref(x) for x in (world, world.dprk, world.china, world.russia,
                                      world.projects)]
    gc.disable()
    try:
        world.run()
        del world
        assert [ref() for ref in kept] == [None] * len(kept), (
            "the finished World or its agents are still referenced (or only by a cycle)")
    finally:
        gc.enable()


@pytest.mark.parametrize("spread", [-0.1, math.inf, math.nan])
def test_a_negative_or_infinite_margin_noise_is_refused(spread):
    """Shocks are drawn as standard normals times the spread: a negative spread (possible
    through the Python API, which skips the scenario checks) would flip their signs, and an
    infinite one gives a run alone infinite shocks but NaN beside a persistent member."""
    from model.scenario import compile_inputs
    from model.world import World

    inputs = compile_inputs(load("baseline"))
    inputs.params["firms.margin_noise"] = spread
    with pytest.raises(ValueError, match="firms.margin_noise"):
        World(inputs, rng=1)


def test_the_firms_refuse_a_year_out_of_order_and_a_world_runs_once():
    """The firms' shocks carry last year's: a year repeated (a step retried after an error) or
    skipped is refused, not given the wrong shocks; a finished World says it has run."""
    from model.scenario import compile_inputs
    from model.world import World

    world = World(compile_inputs(load("baseline").with_values(horizon=2015)), rng=1)
    world.step()
    r = len(world.members)
    table = np.zeros((16, r))
    with pytest.raises(ValueError, match="decide year index 1 next, not 0"):
        world.firms.decide(0, table, table, np.zeros(r), table)
    fresh = World(compile_inputs(load("baseline").with_values(horizon=2015)), rng=1)
    fresh.run()
    with pytest.raises(RuntimeError, match="runs once"):
        fresh.run()
