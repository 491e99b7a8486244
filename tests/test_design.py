"""Experiment designs: grids, ranges, samples, strategies and scenarios; bad input."""

import textwrap

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from model.errors import HedgesimError
from model.experiments.design import from_spec, load_experiment
from model.params import REGISTRY
from model.scenario import compile_inputs
from tests.conftest import ROOT

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def experiment_file(tmp_path, body: str, name: str = "exp.yaml"):
    p = tmp_path / name
    p.write_text(f"scenario: {BASELINE}\n" + textwrap.dedent(body))
    return p


def test_grid_is_full_factorial_in_key_order(baseline):
    exp = from_spec({"vary": {"levers.russia.trade_subsidy_rate": [0.0, 0.2, 0.4],
                              "strategy": ["play_off", "equidistance"],
                              "russia.earn_not_spend": {"from": 0.5, "to": 1.0, "step": 0.25}},
                     "replications": 2, "seed": 1}, [baseline])
    df = exp.design_frame()
    assert exp.size == 3 * 2 * 3 == len(df) and exp.total_runs == 36
    assert list(df.columns) == ["point", "scenario", "strategy", "russia.trade_subsidy_rate",
                                "russia.earn_not_spend"]
    assert df["point"].tolist() == list(range(18))
    assert sorted(df["russia.earn_not_spend"].unique()) == [0.5, 0.75, 1.0]
    assert set(df["strategy"]) == {"play_off", "equidistance"}
    assert len(df.drop(columns="point").drop_duplicates()) == 18


def test_range_with_step_includes_end_and_n_spaces_evenly(baseline):
    exp = from_spec({"vary": {"russia.trade_subsidy_rate": {"from": 0, "to": 0.3, "step": 0.1}}},
                    [baseline])
    assert exp.design_frame()["russia.trade_subsidy_rate"].tolist() == [0.0, 0.1, 0.2, 0.3]
    exp = from_spec({"vary": {"russia.trade_subsidy_rate": {"from": 0.1, "to": 0.5, "n": 5}}},
                    [baseline])
    np.testing.assert_allclose(exp.design_frame()["russia.trade_subsidy_rate"],
                               [0.1, 0.2, 0.3, 0.4, 0.5])


@settings(max_examples=15, deadline=None)
@given(method=st.sampled_from(["sobol", "lhs"]), k=st.integers(0, 7),
       lo=st.floats(0.0, 0.4), width=st.floats(0.01, 0.2))
def test_samples_have_the_requested_size_and_stay_in_bounds(baseline, method, k, lo, width):
    n = 2**k if method == "sobol" else 3 * k + 1
    hi = lo + width
    exp = from_spec({"sample": {"method": method, "n": n,
                                "ranges": {"russia.trade_subsidy_rate": [lo, hi],
                                           "firms.russia_export_margin": None}},
                     "vary": {"strategy": ["play_off", "pivot_russia"]}}, [baseline])
    df = exp.design_frame()
    # a Sobol sample of n base samples is Saltelli's A, B and AB_i blocks: n * (d + 2) points
    assert exp.size == 2 * n * (4 if method == "sobol" else 1)
    assert df["russia.trade_subsidy_rate"].between(lo, hi).all()
    p = REGISTRY["firms.russia_export_margin"]
    assert df["firms.russia_export_margin"].between(p.low, p.high).all()
    # the same seed gives the same sample; a sample fills its range
    again = from_spec({"sample": {"method": method, "n": n,
                                  "ranges": {"russia.trade_subsidy_rate": [lo, hi],
                                             "firms.russia_export_margin": None}},
                       "vary": {"strategy": ["play_off", "pivot_russia"]}}, [baseline])
    assert again.design_frame().equals(df)
    if n >= 16:
        assert df["russia.trade_subsidy_rate"].max() - df["russia.trade_subsidy_rate"].min() \
            > 0.7 * width


def test_latin_hypercube_puts_one_point_per_stratum(baseline):
    exp = from_spec({"sample": {"method": "lhs", "n": 10,
                                "ranges": {"russia.trade_subsidy_rate": [0.0, 0.5]}}}, [baseline])
    strata = np.floor(exp.design_frame()["russia.trade_subsidy_rate"] / 0.05).astype(int)
    assert sorted(strata) == list(range(10))


def test_integer_parameters_are_sampled_as_whole_numbers(baseline):
    exp = from_spec({"sample": {"method": "lhs", "n": 8, "ranges": {"firms.count": [10, 400]}}},
                    [baseline])
    v = exp.design_frame()["firms.count"]
    assert (v == v.round()).all() and v.between(10, 400).all()


def test_varied_timeline_value_applies_from_policy_start(baseline):
    exp = from_spec({"vary": {"russia.trade_subsidy_rate": [0.3]}}, [baseline])
    sc = exp.scenario_for(0)
    default = compile_inputs(baseline).params["russia.trade_subsidy_rate"]
    varied = compile_inputs(sc).params["russia.trade_subsidy_rate"]
    before = sc.years < sc.policy_start
    np.testing.assert_array_equal(varied[before], default[before])
    assert (varied[~before] == 0.3).all()


def test_strategy_factor_applies_from_policy_start(baseline):
    exp = from_spec({"vary": {"strategy": ["pivot_russia"]}}, [baseline])
    inputs = compile_inputs(exp.scenario_for(0))
    years = list(inputs.years)
    # Before policy_start the historical stance plan holds (model.scenario.HISTORY_PLAN).
    assert inputs.strategy[years.index(2014)] == "bandwagon_china"
    assert inputs.strategy[years.index(1990)] == "play_off"
    assert set(inputs.strategy[years.index(2015):]) == {"pivot_russia"}


def test_scenarios_are_a_factor(tmp_path):
    p = tmp_path / "exp.yaml"
    p.write_text(f"scenarios: [{BASELINE}, {ROOT / 'scenarios' / 'russia_1bn_push.yaml'}]\n"
                 "replications: 2\nvary:\n  strategy: [play_off, equidistance]\n")
    df = load_experiment(p).design_frame()
    assert df["scenario"].tolist() == ["baseline"] * 2 + ["russia_1bn_push"] * 2


def test_scenario_file_with_experiment_section(tmp_path):
    p = tmp_path / "sc.yaml"
    p.write_text(f"name: push\nextends: {BASELINE}\nexperiment:\n  replications: 3\n"
                 "  vary:\n    russia.credit_usd: [0, 1.0e8]\n")
    exp = load_experiment(p)
    assert exp.name == "push" and exp.size == 2 and exp.replications == 3
    assert exp.scenarios[0].seed == exp.seed  # the scenario's seed is the default


def test_shipped_experiment_loads():
    exp = load_experiment(ROOT / "scenarios" / "experiments" / "russia_subsidy_sweep.yaml")
    assert exp.size == 15 and exp.replications == 10
    text = (ROOT / "scenarios" / "experiments" / "russia_subsidy_sweep.yaml").read_text()
    assert text.startswith("#")


BAD = {
    "unknown_key": ("replicatons: 3\nvary: {strategy: [play_off]}\n",
                    ["replicatons", "did you mean 'replications'"]),
    "unknown_parameter": ("vary:\n  russia.trade_subsidy: [0.1]\n",
                          ["vary.russia.trade_subsidy", "did you mean 'russia.trade_subsidy_rate'"]),
    "out_of_range": ("vary:\n  russia.trade_subsidy_rate: [0.1, 1.5]\n",
                     ["vary.russia.trade_subsidy_rate[1]", "out of range", "0 to 0.6"]),
    "wrong_section": ("vary:\n  parameters.russia.aid_usd: [1.0e8]\n", ["is a lever"]),
    "bad_strategy": ("vary:\n  strategy: [play_of]\n", ["strategy[0]", "did you mean 'play_off'"]),
    "bad_range": ("vary:\n  russia.trade_subsidy_rate: {from: 0.1, to: 0.5}\n",
                  ["from: a, to: b, step: s"]),
    "sobol_not_power_of_two": ("sample: {method: sobol, n: 10, ranges: {russia.rivalry: null}}\n",
                               ["sample.n", "power of two", "try 16"]),
    "bad_method": ("sample: {method: sobel, n: 8, ranges: {russia.rivalry: null}}\n",
                   ["sample.method", "did you mean 'sobol'"]),
    "bad_bounds": ("sample: {method: lhs, n: 8, ranges: {russia.rivalry: [0.5, 0.1]}}\n",
                   ["sample.ranges.russia.rivalry", "low < high"]),
    "nothing_varies": ("replications: 3\n", ["expected something to vary"]),
    "missing_scenario_file": None,
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_gives_one_line_and_exit_2(tmp_path, case):
    if case == "missing_scenario_file":
        p = tmp_path / "exp.yaml"
        p.write_text("scenario: nowhere.yaml\nvary: {strategy: [play_off]}\n")
        needles = ["scenario", "nowhere.yaml"]
    else:
        body, needles = BAD[case]
        p = experiment_file(tmp_path, body)
    with pytest.raises(HedgesimError):
        load_experiment(p)
    result = CliRunner().invoke(main, ["sweep", str(p), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.strip().splitlines()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_sobol_sample_has_the_blocks_sensitivity_needs(baseline):
    exp = from_spec({"sample": {"method": "sobol", "n": 8,
                                "ranges": {"russia.trade_subsidy_rate": [0.0, 0.4],
                                           "firms.count": [100, 400]}}}, [baseline])
    df = exp.design_frame()
    assert exp.method == "sobol" and len(df) == 8 * 4
    assert set(df["sobol_block"]) == {"A", "B", "AB:russia.trade_subsidy_rate", "AB:firms.count"}
    wide = {b: g.sort_values("sobol_sample").reset_index(drop=True)
            for b, g in df.groupby("sobol_block")}
    ab = wide["AB:firms.count"]
    # AB_i is A with column i taken from B
    assert (ab["firms.count"] == wide["B"]["firms.count"]).all()
    assert (ab["russia.trade_subsidy_rate"] == wide["A"]["russia.trade_subsidy_rate"]).all()
    assert df["firms.count"].apply(float.is_integer).all()
