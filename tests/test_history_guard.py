"""The history guard: no scenario silently rewrites the calibrated history (issue 10, item 13).

Each kind of change before policy_start is refused with one line and exit 2;
what changes nothing (a calibrated value, a dormant project setting, the firm
resolution) is accepted; a declared counterfactual runs and says so in the
table, manifest, chart footers and brief; the shipped scenarios keep the
baseline's history exactly; oil_collapse is the shock alone (item 14).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from model.errors import HedgesimError
from model.experiments.design import from_spec
from model.experiments.history import guard, guard_experiment
from model.runner import run_scenario
from model.scenario import calibrated_values, load, shipped
from model.world import COLUMN
from tests.conftest import ROOT

BASELINE = ROOT / "scenarios" / "baseline.yaml"
NOTE = "counterfactual history: settings change before 2015"


def scenario_file(tmp_path, body: str, name: str = "probe"):
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: {name}\nextends: {BASELINE}\nhorizon: 2020\n" + textwrap.dedent(body))
    return p


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_refused(result, *needles):
    assert result.exit_code == 2, result.output
    out = result.output.strip()
    assert len(out.splitlines()) == 1 and "Traceback" not in out, out
    for n in (*needles, "counterfactual_history: true"):
        assert n in out, (n, out)


REFUSED = {
    "timeline_year_before_policy_start": (
        "levers:\n  russia:\n    credit_usd: {2010: 1.0e8}\n",
        ["levers.russia.credit_usd", "changes 2010", "set it from 2015"]),
    "constant_acts_from_1988": (
        "parameters:\n  firms:\n    russia_export_margin: 0.3\n",
        ["parameters.firms.russia_export_margin", "a constant acts from 1988",
         "rewrites the calibrated history", "cannot change by year"]),
    "project_running_in_history": (  # Rajin-Khasan was committed in 2010: its support acts then
        "levers:\n  projects:\n    rajin_khasan:\n      state_support: 0.9\n",
        ["levers.projects.rajin_khasan.state_support", "a constant acts from 1988"]),
    "shock_before_policy_start": (
        "shocks:\n  - {type: oil_price, year: 2010, usd_per_bbl: 40}\n",
        ["shocks[0]", "a shock in 2010", "move it to 2015 or later"]),
    "strategy_year_before_policy_start": (
        "strategy: {2005: pivot_russia}\n",
        ["strategy.2005", "strategy in 2005", "start it in 2015 or later"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_change_before_policy_start_is_refused_in_one_line(tmp_path, case):
    body, needles = REFUSED[case]
    path = scenario_file(tmp_path, body)
    assert_refused(cli("validate", path), str(path), *needles)
    assert_refused(cli("run", path, "-n", "1", "--no-charts", "--out", tmp_path / "out"), *needles)
    assert not (tmp_path / "out").exists()  # refused before anything is written


ACCEPTED = {
    "timeline_equal_to_history": "levers:\n  sanctions:\n    un_export_ban_coal: {2010: 0.0}\n",
    "nuclear_test_in_a_test_year": "shocks:\n  - {type: nuclear_test, year: 2013}\n",
    "firm_resolution": "parameters:\n  firms:\n    count: 60\n",
    "project_committed_after_policy_start":
        "levers:\n  projects:\n    gas_pipeline: {committed_year: 2017, state_support: 0.6}\n",
    "settings_from_policy_start": "levers:\n  russia:\n    credit_usd: {2015: 1.0e8}\n"
                                  "strategy: {2015: play_off, 2018: pivot_russia}\n",
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_what_keeps_the_calibrated_history_is_accepted(tmp_path, case):
    path = scenario_file(tmp_path, ACCEPTED[case])
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    assert "counterfactual" not in result.output


def test_a_constant_at_its_calibrated_value_changes_nothing(tmp_path):
    margin = calibrated_values()["firms.russia_export_margin"]
    path = scenario_file(tmp_path, f"parameters:\n  firms:\n    russia_export_margin: {margin!r}\n")
    assert guard(load(path)) == []


def test_every_shipped_scenario_passes_validate():
    result = cli("validate", *shipped())
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == len(shipped())


@pytest.mark.parametrize("path", [p for p in shipped() if p.stem != "baseline"], ids=lambda p: p.stem)
def test_shipped_scenarios_replay_the_baselines_history_exactly(path, baseline):
    sc = load(path).with_values(replications=2, horizon=2020)
    assert not sc.counterfactual_history
    ours = run_scenario(sc).values
    base = run_scenario(baseline.with_values(replications=2, horizon=2020, seed=sc.seed)).values
    before = slice(0, sc.policy_start - 1988)
    np.testing.assert_array_equal(ours[:, before], base[:, before])


def test_a_declared_counterfactual_runs_and_says_so_everywhere(tmp_path, monkeypatch):
    import model.analysis.charts as chart_module
    from model.analysis.brief import build_brief
    from model.analysis.results import load_results

    footers = []

    def charts(df, provenance, policy_start, folder, **_options):
        footers.append(provenance)
        return []

    monkeypatch.setattr(chart_module, "standard_charts", charts)
    path = scenario_file(tmp_path, "counterfactual_history: true\n"
                                   "parameters:\n  firms:\n    russia_political_risk: 0.0\n")
    valid = cli("validate", path)
    assert valid.exit_code == 0 and NOTE in valid.output, valid.output

    result = cli("run", path, "-n", "2", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[lines.index(NOTE) + 1].startswith("results: ")  # the line under the table
    assert footers and all(NOTE in f for f in footers)

    folder = next((tmp_path / "out" / "probe").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["counterfactual_history"] is True
    assert manifest["history"]["note"] == NOTE
    assert manifest["history"]["changed_before_policy_start"] == [
        "parameters.firms.russia_political_risk"]
    assert NOTE in load_results(folder).provenance()  # footer of every chart drawn from the folder
    brief = build_brief([folder], tmp_path / "brief", pdf=False)
    assert "Counterfactual history" in brief.markdown.read_text() and NOTE in brief.markdown.read_text()


def test_a_scenario_that_keeps_history_is_not_marked(tmp_path):
    result = cli("run", scenario_file(tmp_path, ""), "-n", "1", "--no-charts",
                 "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "counterfactual" not in result.output
    folder = next((tmp_path / "out" / "probe").iterdir())
    assert json.loads((folder / "manifest.json").read_text())["history"]["counterfactual"] is False


def test_a_sweep_refuses_a_design_point_that_rewrites_history(tmp_path, baseline):
    spec = {"vary": {"firms.russia_export_margin": [0.1, 0.2]}}
    with pytest.raises(HedgesimError, match=r"design point 0: parameters\.firms\.russia_export_margin"):
        guard_experiment(from_spec(spec, [baseline], "exp.yaml"))
    guard_experiment(from_spec({**spec, "counterfactual_history": True}, [baseline], "exp.yaml"))
    marked = from_spec({**spec, "counterfactual_history": True}, [baseline], "exp.yaml")
    assert marked.scenario_for(0).counterfactual_history and marked.history_note() == NOTE
    guard_experiment(from_spec({"vary": {"russia.trade_subsidy_rate": [0.0, 0.3]}}, [baseline]))
    assert_sweep_refused(tmp_path)


def assert_sweep_refused(tmp_path):
    """`hedgesim sweep` of a design whose points change a constant: one line, no folder."""
    short = scenario_file(tmp_path, "", name="short")
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"scenario: {short.name}\nreplications: 1\n"
                   "vary:\n  firms.russia_export_margin: [0.1, 0.2]\n")
    assert_refused(cli("sweep", exp, "--executor", "serial", "--out", tmp_path / "out"),
                   "design point 0", "a constant acts from 1988")
    assert not (tmp_path / "out").exists()


def test_a_sweep_refusal_is_the_only_line_even_without_a_posterior(tmp_path, monkeypatch,
                                                                    caplog):
    """The design is checked before the posterior is read: reading a missing (or stale) one
    warns, and that warning came before the refusal."""
    import model.ensemble

    monkeypatch.setattr(model.ensemble, "POSTERIOR", tmp_path / "no-posterior.yaml")
    caplog.set_level("WARNING")
    assert_sweep_refused(tmp_path)
    assert not caplog.records, [r.getMessage() for r in caplog.records]  # no warning before it


def _russia(sc, column: str = "trade_russia_usd") -> np.ndarray:
    """Per replication, the sum of ``column`` over 2016-2030."""
    r = run_scenario(sc.with_values(replications=6, horizon=2030))
    years = (r.years >= 2016) & (r.years <= 2030)
    return r.values[:, years, COLUMN[column]].sum(axis=1)


def test_the_oil_collapse_alone_cuts_russias_support_not_its_trade(baseline):
    oil = load("oil_collapse")
    assert not oil.values  # the shock alone: no Russian programme on top (issue 10, item 14)
    base = baseline.with_values(seed=oil.seed)
    # Russia has had no credit or trade subsidy since 1992 (issue 10), so the shock alone acts on
    # its aid, through fiscal room (003): support falls, and trade, which is its firms' business,
    # barely moves (less aid in kind leaves the DPRK a little more to buy).
    assert np.median(_russia(oil, "support_russia_usd")) < 0.8 * np.median(_russia(base, "support_russia_usd"))
    assert 0.9 < np.median(_russia(oil)) / np.median(_russia(base)) < 1.1


def test_the_oil_collapse_cuts_what_a_russian_subsidy_programme_achieves():
    pair = load("oil_collapse_russia_subsidises")
    assert pair.shocks == load("oil_collapse").shocks
    programme_alone = replace(pair, shocks=())
    assert np.median(_russia(pair)) < 0.8 * np.median(_russia(programme_alone))


def test_a_constant_s_effect_on_history_says_by_how_much_when_the_amounts_round_alike():
    """'exports_russia_usd in 2014: $19 m -> $19 m' told the analyst nothing."""
    from model.experiments.history import _largest_change
    from model.outputs import OUTPUTS

    old = np.full((1, len(OUTPUTS)), 1e9)
    new = old.copy()
    new[0, OUTPUTS.index("exports_russia_usd")] = 1.0038e9  # the largest change, 0.38%
    assert _largest_change(old, new, 2014) == (
        "exports_russia_usd in 2014: $1.00 bn -> $1.00 bn (+0.38%)")
    new[0, OUTPUTS.index("exports_russia_usd")] = 2e9
    assert _largest_change(old, new, 2014) == "exports_russia_usd in 2014: $1.00 bn -> $2.00 bn"
    # from nothing (or next to it), a share of it would say nothing either
    for before in (0.0, 1e-6):
        old[0, OUTPUTS.index("exports_russia_usd")] = before
        new[0, OUTPUTS.index("exports_russia_usd")] = 4e5
        assert _largest_change(old, new, 2014).endswith("$0 m -> $0 m (by +400,000 USD)")


def test_a_constant_s_effect_on_history_is_its_largest_against_each_output_s_size():
    """The refusal named a US$ output in the last history year, even where the change was a
    rounding error there and large elsewhere: it names the output and year that move most
    against that output's size over the history, a non-US$ one where no amount moves."""
    from model.experiments.history import _largest_change
    from model.outputs import OUTPUTS

    old = np.full((3, len(OUTPUTS)), 1e9)
    new = old.copy()
    new[2, OUTPUTS.index("exports_china_usd")] += 1e3  # last year, a rounding error
    new[0, OUTPUTS.index("exports_russia_usd")] = 0.8e9  # first year, a fifth less
    assert _largest_change(old, new, 1988) == (
        "exports_russia_usd in 1988: $1.00 bn -> $800 m")
    new = old.copy()
    new[1, OUTPUTS.index("dprk_payoff")] = 1.1e9  # no amount moves: the payoff's change
    assert _largest_change(old, new, 1988).startswith("dprk_payoff in 1989: ")
