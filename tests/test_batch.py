"""Replications run as a batch through one World give each run's numbers to the last bit.

The model runs many replications at once (model.world): per-replication
arrays, one random stream per replication. An analyst relies on a run's
numbers not depending on what else ran beside it: how many replications a
scenario has, which sweep points share a worker's task, the batch size.
"""

import numpy as np
import pytest

from model.ensemble import load_calibration
from model.runner import InputsCache, run_scenario, run_seed, simulate, simulate_batch
from model.scenario import compile_inputs
from model.world import World


def mixed_runs(baseline):
    """Runs that differ in everything a batch may mix: posterior draws, strategies (the
    learning one, a plan switching by year), levers, firm layouts."""
    calibration = load_calibration()
    plans = [{2015: "play_off"}, {2015: "adaptive"}, {2010: "adaptive", 2025: "self_reliance"},
             {2015: "pivot_russia"}, {2015: "diversify"}]
    members, seeds = [], []
    for k, plan in enumerate(plans):
        sc = baseline.with_values(strategy=plan, horizon=2030, seed=k,
                                  values={"china.trade_subsidy_rate": 0.02 * k})
        cache = InputsCache(sc, calibration)
        for r, draw in enumerate(calibration.draws(sc.seed, [0, 1, 2])):
            members.append(cache[draw])
            seeds.append(run_seed(sc.seed, r))
    other_layout = baseline.with_values(horizon=2030, values={"firms.count": 41.0,
                                                               "firms.russia_share": 0.5})
    members += [compile_inputs(other_layout)] * 2
    seeds += [5, 6]
    # the baseline's firm count with other shares of Russian firms (a design sampling the
    # share): these share a batch with the runs above, each with its own countries and cohorts
    for k, share in enumerate((0.5, 0.1, 0.5, 1.0, 0.0)):
        members.append(compile_inputs(baseline.with_values(
            horizon=2030, values={"firms.russia_share": share})))
        seeds.append(100 + k)
    return members, seeds


@pytest.mark.parametrize("limit", [1, 4, 64])
def test_a_batch_gives_each_run_its_numbers_alone(baseline, limit):
    members, seeds = mixed_runs(baseline)
    alone = np.stack([simulate(m, s) for m, s in zip(members, seeds, strict=True)])
    np.testing.assert_array_equal(simulate_batch(members, seeds, limit=limit), alone)
    # and in another order: a run's batch-mates do not matter
    order = np.random.default_rng(0).permutation(len(members))
    shuffled = simulate_batch([members[i] for i in order], [seeds[i] for i in order], limit=limit)
    np.testing.assert_array_equal(shuffled, alone[order])


def test_runs_that_differ_in_their_share_of_russian_firms_share_a_batch(baseline):
    """A design sampling firms.russia_share (a Sobol sample over the uncertain parameters)
    ran in batches of the runs with the same count of Russian firms, two or three runs each,
    5x slower; they now share one, each run with its own countries and cohorts."""
    from model.runner import batches

    members = [compile_inputs(baseline.with_values(horizon=2020, values={
        "firms.russia_share": share})) for share in (0.5, 0.1, 0.333, 0.2)]
    assert [len(b) for b in batches(members)] == [4]
    seeds = [1, 2, 3, 4]
    alone = np.stack([simulate(m, s) for m, s in zip(members, seeds, strict=True)])
    np.testing.assert_array_equal(World(members, rng=seeds).run(), alone)


def test_a_scenario_gives_the_same_numbers_whatever_the_batch_size(baseline, monkeypatch):
    import model.runner as runner

    sc = baseline.with_values(replications=7, horizon=2022)
    whole = run_scenario(sc).values
    monkeypatch.setattr(runner, "BATCH_RUNS", 2)
    np.testing.assert_array_equal(run_scenario(sc).values, whole)
    np.testing.assert_array_equal(run_scenario(sc, replications=[5]).values[0], whole[5])


def test_a_batch_refuses_runs_it_cannot_share(baseline):
    a = compile_inputs(baseline.with_values(horizon=2020))
    b = compile_inputs(baseline.with_values(horizon=2021))
    with pytest.raises(ValueError, match="share years and firm count"):
        World([a, b], rng=[1, 2])
    with pytest.raises(ValueError, match="one seed per member"):
        World([a, a], rng=[1])
    with pytest.raises(ValueError, match="same years"):
        simulate_batch([a, b], [1, 2])


def test_a_posterior_member_compiled_from_another_equals_one_compiled_afresh(baseline):
    """Sweeps compile each member's inputs from the point's first member, recompiling only
    what the calibration changes: the inputs must be those of a full compile, also under
    shocks that write into calibrated values' neighbours."""
    from model.runner import InputsCache
    from model.scenario import load

    calibration = load_calibration()
    for sc in (baseline.with_values(horizon=2025), load("oil_collapse")):
        cache = InputsCache(sc, calibration)
        for draw in calibration.draws(sc.seed, list(range(6))):
            fast, full = cache[draw], compile_inputs(sc, calibration.values(draw))
            assert fast.params.keys() == full.params.keys() and fast.strategy == full.strategy
            for name, value in full.params.items():
                np.testing.assert_array_equal(fast.params[name], value, err_msg=name)


def test_inputs_compiled_from_another_point_equal_ones_compiled_afresh(baseline):
    """A sweep task's points share one cache: a member's inputs at a point are compiled from
    the same member at the previous point, recompiling only the values the points differ in.
    Whatever the order and whatever differs (a number, a timeline, 1 against 1.0, a value a
    shock writes over, the policy start, the years, the shocks, the strategy), the inputs
    must be those of a full compile."""
    from model.scenario import load

    calibration = load_calibration()
    rate = "russia.trade_subsidy_rate"
    shocked = load("oil_collapse").with_values(horizon=2025)
    later = baseline.with_values(horizon=2025, values={rate: 0.2})
    points = [
        later,
        later.with_values(policy_start=2018),  # the same values from another year
        shocked,
        shocked.with_values(strategy={2016: "pivot_russia"}),  # the same values, another plan
        shocked,
        shocked.with_values(shocks=()),  # the same values without the shocks
        baseline.with_values(horizon=2025, values={rate: 0.1}),
        baseline.with_values(horizon=2025, values={rate: {2015: 0.1, 2020: 0.25}}),
        baseline.with_values(horizon=2025, values={rate: 1, "firms.ramp_up": 0.5}),
        baseline.with_values(horizon=2025, values={rate: 1.0}),
        baseline.with_values(horizon=2025, policy_start=2018, values={rate: {2015: 0.1}}),
        baseline.with_values(horizon=2025),
        baseline.with_values(horizon=2030, values={rate: 0.1}),
        shocked.with_values(values={"world.oil_price_usd_per_bbl": 60.0}),
        shocked.with_values(values={rate: 0.3}),
        baseline.with_values(horizon=2025, strategy={2015: "pivot_russia"}, values={rate: 0.1}),
    ]
    draws = calibration.draws(7, list(range(4)))
    cache = InputsCache(None, calibration)
    order = [(p, d) for p in range(len(points)) for d in draws]
    order += [order[i] for i in np.random.default_rng(1).permutation(len(order))]
    for p, draw in order:
        fast = cache.get(points[p], draw)
        full = compile_inputs(points[p], calibration.values(draw))
        assert fast.params.keys() == full.params.keys() and fast.strategy == full.strategy
        np.testing.assert_array_equal(fast.years, full.years)
        for name, value in full.params.items():
            np.testing.assert_array_equal(fast.params[name], value, err_msg=f"{p} {name}")
            assert np.asarray(fast.params[name]).dtype == np.asarray(value).dtype, (p, name)
    assert cache.get(points[0], draws[0]) is cache.get(points[0], draws[0])
