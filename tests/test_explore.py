"""The explorer's logic without a browser (issue 17): settings become a scenario exactly as a
file would, bad settings are one-line messages, "Save as scenario" writes a file that
`hedgesim run` reproduces to the printed figure, "make brief" writes a brief, and without the
explore extra `hedgesim explore` says which extra to install. The page itself is driven in a
real browser by tests/test_explore_browser.py (skipped without Solara or Chromium)."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from model.errors import HedgesimError
from model.explore.session import (
    LEVERS,
    Explorer,
    Settings,
    change_text,
    slider,
)
from model.params import REGISTRY
from model.scenario import SCENARIO_DIR, load

ROOT = Path(__file__).resolve().parents[1]
REPS = 3


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    shutil.copy(SCENARIO_DIR / "baseline.yaml", folder / "baseline.yaml")
    return Explorer("baseline", save_dir=folder, out=folder / "results",
                    briefs=folder / "briefs", chart_processes=1)


def cell(output: str, figure: str, column: int = 2) -> str:
    """A cell of `hedgesim run`'s table: the figure's row, split on runs of 2+ spaces."""
    for line in output.splitlines():
        if line.startswith(figure):
            return re.split(r"\s{2,}", line.strip())[column]
    raise AssertionError(f"{figure!r} not in\n{output}")


def test_sliders_take_range_and_unit_from_the_registry():
    for name in LEVERS:
        p, s = REGISTRY[name], slider(name)
        assert p.kind == "lever" and p.timeline
        assert (s.low, s.high, s.unit) == (p.low, p.high, p.unit)
        assert s.value(s.shown(p.low)) == p.low and s.value(s.shown(p.high)) == p.high
    credit = slider("russia.credit_usd")
    assert credit.shown(3.0e8) == 300 and credit.value(300) == 3.0e8  # US$ m on the page
    assert credit.text(3.0e8) == "$300 m"
    assert slider("russia.trade_subsidy_rate").value(0.2999999) == 0.3  # on the slider's grid


def test_a_lever_set_on_the_page_is_a_single_value_from_policy_start(explorer):
    s = Settings("china_enforces", "pivot_russia", replications=REPS).with_lever(
        "sanctions.enforcement_china", 0.5)
    sc = explorer.scenario_for(s)
    assert sc.values["sanctions.enforcement_china"] == 0.5  # the file's {2016: 1.0} replaced
    assert sc.values["sanctions.un_export_ban_coal"] == {2016: 0.8}  # the rest kept
    assert sc.strategy == {2015: "pivot_russia"} and sc.replications == REPS
    assert explorer.lever_value(s, "sanctions.enforcement_china") == (0.5, True)
    assert explorer.lever_value(Settings("china_enforces", year=2020),
                                "sanctions.enforcement_china") == (1.0, False)
    assert explorer.strategy_of(Settings("russia_1bn_push")) == "pivot_russia"


@pytest.mark.parametrize("settings, field", [
    (Settings("baseline", replications=REPS).with_lever("russia.trade_subsidy_rate", 0.9),
     "levers.russia.trade_subsidy_rate"),
    (Settings("baseline", strategy="bandwagon_russia", replications=REPS), "strategy"),
    (Settings("baseline", replications=0), "replications"),
    (Settings("baseline", replications=REPS, target="russia_trade_2020"), "target"),
    (Settings("baseline", replications=REPS, target="trade_russia_usd@2050>=1e9"), "target"),
    (Settings("baseline", replications=REPS, year=2090), "year"),
])
def test_bad_settings_are_one_line_messages(explorer, settings, field):
    with pytest.raises(HedgesimError) as err:
        explorer.view(settings, charts=False)
    text = str(err.value)
    assert field in text and "\n" not in text and "Traceback" not in text


def test_view_figures_match_hedgesim_run_of_the_saved_scenario(explorer, tmp_path):
    s = Settings("baseline", "pivot_russia", replications=REPS, year=2020).with_lever(
        "russia.trade_subsidy_rate", 0.3).with_lever("russia.credit_usd", 2.0e8)
    view = explorer.view(s)
    assert set(view.charts) == {"trade_by_partner", "patron_costs", "dependence"}
    assert all(svg.lstrip().startswith(b"<?xml") for svg in view.charts.values())
    russia = next(r for r in view.rows if r.column == "trade_russia_usd")
    assert russia.value != russia.baseline and russia.change.startswith("+")
    assert view.target.startswith("target trade_russia_usd@2020 >= 1e+09: reached in ")

    path = explorer.save(s, "explored_push", question="What if Moscow subsidises a third?")
    text = path.read_text()
    assert "\nextends: baseline.yaml\n" in text and text.startswith("# What if Moscow")
    assert load(path).values["russia.trade_subsidy_rate"] == 0.3
    out = CliRunner().invoke(main, ["run", str(path), "--year", "2020", "--no-charts",
                                    "--out", str(tmp_path), "--target",
                                    "trade_russia_usd@2020>=1e9"])
    assert out.exit_code == 0, out.output
    for row in view.rows:
        assert row.value != "-" and cell(out.output, row.figure) == row.value, row.figure
    assert view.target in out.output

    with pytest.raises(HedgesimError, match="already exists"):
        explorer.save(s, "explored_push")
    with pytest.raises(HedgesimError, match="name"):
        explorer.save(s, "no spaces please")


def test_a_calibrated_slider_shows_the_draws_the_runs_use_and_sets_every_run(explorer, tmp_path):
    """China's trade subsidy is calibrated: each run draws it from the posterior, so its slider
    gives the median and 90% range of the runs' own values (not the point estimate); set on the
    page it is the value of every run from policy_start, and the saved file reproduces that."""
    import numpy as np

    from model.scenario import compile_inputs

    name, at = "china.trade_subsidy_rate", 2020 - 1988
    s = Settings("baseline", replications=6)
    frame = explorer.view(s, charts=False).frame
    cal = explorer.calibration
    draws = frame.groupby("replication")["draw"].first().to_numpy()
    sc = explorer.scenario_for(s)
    used = [compile_inputs(sc, cal.values(int(d))).params[name][at] for d in draws]
    assert len(set(used)) > 1  # the runs do not share one value
    state = explorer.lever_state(s, name)
    assert not state.set_here and state.value == pytest.approx(np.median(used))
    assert state.spread == pytest.approx(tuple(np.percentile(used, [5, 95])))
    text = slider(name).text
    assert state.where == (f"calibrated: each run draws its own from the posterior; in 2020 "
                           f"median {text(state.value)}, 90% range {text(state.spread[0])} to "
                           f"{text(state.spread[1])} over the 6 runs")

    moved = s.with_lever(name, 0.2).with_lever("china.credit_usd", 1.0e8)
    state = explorer.lever_state(moved, name)
    assert state.set_here and state.value == 0.2
    assert state.where == "set here for every run, from 2015 (instead of its posterior draw)"
    sc = explorer.scenario_for(moved)
    for d in draws:  # every run: the set value from 2015, its own draw's history before
        own = compile_inputs(explorer.scenario_for(s), cal.values(int(d))).params[name]
        got = compile_inputs(sc, cal.values(int(d))).params[name]
        assert (got[2015 - 1988:] == 0.2).all() and (got[:2015 - 1988] == own[:2015 - 1988]).all()
    view = explorer.view(moved, charts=False)
    path = explorer.save(moved, "explored_china_subsidy")
    out = CliRunner().invoke(main, ["run", str(path), "--year", "2020", "--no-charts",
                                    "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    for row in view.rows:
        assert cell(out.output, row.figure) == row.value, row.figure
    # a lever the posterior does not vary in the year asked reads as the scenario's
    assert explorer.lever_state(s, "russia.trade_subsidy_rate").where == (
        "the scenario's, in 2020: the same in every posterior draw")
    assert explorer.lever_state(s, "sanctions.enforcement_china").where == "the scenario's, in 2020"


def test_with_the_point_estimate_a_calibrated_slider_says_so():
    from model.scenario import calibrated_values

    ex = Explorer("baseline", calibration="point", chart_processes=1)
    state = ex.lever_state(Settings("baseline"), "china.trade_subsidy_rate")
    assert state.value == calibrated_values()["china.trade_subsidy_rate"][2000]
    assert state.where == "the calibrated point estimate, in 2020" and state.spread is None


def test_saved_scenario_keeps_the_chosen_scenarios_own_settings(explorer):
    s = Settings("china_enforces", replications=REPS).with_lever("sanctions.west_on_russia", 0.5)
    path = explorer.save(s, "explored_enforces")
    saved = load(path)
    assert saved.shocks == load("china_enforces").shocks
    assert saved.values["sanctions.un_import_ban_fuel"] == {2016: 0.3}
    assert saved.values["sanctions.west_on_russia"] == 0.5
    assert saved.replications == REPS and saved.seed == load("baseline").seed


def test_saved_elsewhere_it_extends_the_shipped_baseline_by_relative_path(explorer, tmp_path):
    s = Settings("baseline", replications=REPS).with_lever("china.aid_usd", 1.0e8)
    path = explorer.save(s, "elsewhere", folder=tmp_path / "mine")
    extends = re.search(r"^extends: (.+)$", path.read_text(), re.M).group(1)
    assert (path.parent / extends).resolve() == (SCENARIO_DIR / "baseline.yaml").resolve()
    assert load(path).values["china.aid_usd"] == 1.0e8


def test_make_brief_runs_the_saved_scenario_and_writes_a_brief(explorer):
    s = Settings("baseline", replications=REPS).with_lever("sanctions.enforcement_china", 0.8)
    path, folder, made = explorer.brief(s, "explored_brief",
                                        question="What if Beijing enforces much harder?",
                                        pdf=False)
    assert path.is_file() and (folder / "runs.parquet").is_file()
    md = made.markdown.read_text()
    assert "What if Beijing enforces much harder?" in md
    assert "sanctions.enforcement_china 0.8" in md  # settings that differ from the baseline
    again = explorer.brief(s, "explored_brief", pdf=False)  # the saved file is reused
    assert again[0] == path
    with pytest.raises(HedgesimError, match="other settings"):
        explorer.brief(s.with_lever("sanctions.enforcement_china", 0.9), "explored_brief")


def test_extreme_levers_give_figures_not_errors(explorer):
    s = Settings("baseline", replications=REPS)
    for name in LEVERS:  # every lever at the top of its range: no DPRK trade is left
        s = s.with_lever(name, slider(name).high)
    view = explorer.view(s)
    rows = {r.column: r for r in view.rows}
    assert rows["trade_china_usd"].value.startswith("$0 m")
    assert rows["china_russia_ratio"].value == "-" and rows["china_russia_ratio"].change == "n/a"
    assert len(view.charts) == 3


def test_charts_reuse_the_runs_and_redraw_only_what_a_change_touches(explorer, monkeypatch):
    """A slider change runs the scenario once (the baseline is cached, and shared with a page
    showing the baseline's own settings); the charts reuse the key figures' runs; a new target
    redraws only the chart that shows it, with the target in it."""
    import model.runner

    calls = []
    real = model.runner.run_scenario
    monkeypatch.setattr(model.runner, "run_scenario",
                        lambda sc, **kw: calls.append(sc.name) or real(sc, **kw))
    own = Settings("baseline", replications=REPS)
    explorer.view(own)
    assert len(calls) <= 1  # the baseline's own settings and the baseline: one set of runs
    calls.clear()
    moved = replace(own, target="").with_lever("russia.trade_subsidy_rate", 0.2)
    first = explorer.view(moved, charts=False)
    full = explorer.view(moved)
    assert calls == ["baseline"] and full.rows == first.rows  # once, not again for the charts
    aid = explorer.view(replace(moved, target="aid_china_usd@2020>=1e8"))
    assert aid.charts == full.charts and aid.target  # a target on no chart: none redrawn
    push = explorer.view(replace(moved, target="trade_russia_usd@2020>=5e8"))
    assert push.charts["patron_costs"] == full.charts["patron_costs"]
    assert push.charts["dependence"] == full.charts["dependence"]
    assert push.charts["trade_by_partner"] != full.charts["trade_by_partner"]
    assert b"Target: &gt;= $500 m in 2020" in push.charts["trade_by_partner"]  # text as text
    assert calls == ["baseline"]


def test_fast_chart_arrays_are_the_pivot_and_percentiles_they_replace():
    """The charts' reshape and percentiles give the exact numbers pandas' pivot_table and
    NumPy's nanpercentile gave, gaps (NaN years, replications, cells) included."""
    import numpy as np

    from model.analysis.charts import _matrix
    from model.figures import percentiles
    from model.runner import run_scenario

    frame = run_scenario(load("baseline").with_values(replications=REPS)).frame()
    gappy = frame.copy()
    gappy.loc[gappy["year"] == 2000, "china_share"] = np.nan
    gappy.loc[gappy["replication"] == 1, "china_share"] = np.nan
    gappy.loc[np.random.default_rng(1).random(len(gappy)) < 0.1, "trade_china_usd"] = np.nan
    for df in (frame, gappy, gappy.sample(frac=1, random_state=2)):
        for col in ("china_share", "trade_china_usd", "dependence_hhi", "aid_russia_usd"):
            wide = df.pivot_table(index="replication", columns="year", values=col)
            years, m = _matrix(df, col)
            assert np.array_equal(years, wide.columns.to_numpy())
            assert np.array_equal(m, wide.to_numpy(), equal_nan=True)
            with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if (
                    np.isnan(m).all(axis=0).any()) else _nothing():
                want = np.nanpercentile(m, [5, 50, 95], axis=0)
            assert np.array_equal(percentiles(m, [5, 50, 95]), want, equal_nan=True)


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def test_change_text():
    assert change_text(1.2e9, 1.0e9, "usd") == "+$200 m"
    assert change_text(0.5, 0.6, "share") == "-10 pts"
    assert change_text(1.0, 1.0, "index") == "="


def test_explore_without_the_extra_names_it_in_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("solara") else real(name, *a))
    out = CliRunner().invoke(main, ["explore"])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and '".[explore]"' in lines[0], out.output


def test_explore_names_a_mistyped_scenario_in_one_line():
    out = CliRunner().invoke(main, ["explore", "basline"])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "did you mean 'baseline'" in lines[0], out.output


def test_the_page_assets_are_on_disk_when_the_extra_is_installed():
    pytest.importorskip("solara")
    pytest.importorskip("solara_assets")
    from model.explore.server import missing_assets

    assert missing_assets() == []


def test_the_meeting_guide_shows_the_file_the_page_writes():
    import yaml

    guide = (ROOT / "docs" / "how-to" / "explore-in-a-meeting.md").read_text()
    shown = re.search(r"```yaml\n(.*?)```", guide, re.S).group(1)
    written = re.search(r"<<'EOF'\n(.*?)EOF\n", guide, re.S).group(1)
    ex = Explorer("china_enforces", chart_processes=1)
    s = Settings("china_enforces").with_lever("sanctions.enforcement_china", 0.5)
    page = ex.document(s, "meeting_half_enforcement")
    assert yaml.safe_load(shown) == yaml.safe_load(written) == yaml.safe_load(page)


def _same_drawing(svg: bytes) -> str:
    """An SVG without what differs from one drawing to the next: its date and random ids."""
    text = re.sub(r"<dc:date>.*?</dc:date>", "", svg.decode())
    return re.sub(r"\b[pm][0-9a-f]{10}\b", "ID", text)


def test_charts_drawn_in_the_chart_processes_equal_charts_drawn_here(tmp_path):
    """A change's charts are drawn in two processes side by side; they are the charts this
    process would draw, and if the processes break the page keeps drawing them here."""
    settings = Settings("baseline", replications=REPS).with_lever("russia.trade_subsidy_rate", 0.2)
    here = Explorer("baseline", save_dir=tmp_path, chart_processes=1).view(settings)
    there = Explorer("baseline", save_dir=tmp_path, chart_processes=2)
    try:
        assert there._chart_pool._get() is not None  # the processes started
        drawn = there.view(settings)
        assert drawn.charts.keys() == here.charts.keys()
        for name in here.charts:
            assert _same_drawing(drawn.charts[name]) == _same_drawing(here.charts[name]), name
        # a pool that breaks: the charts come from this process, and later changes too
        there._chart_pool._pool.shutdown(wait=True)
        again = there.view(settings.with_lever("russia.trade_subsidy_rate", 0.25))
        assert set(again.charts) == set(here.charts) and there._chart_pool._get() is None
    finally:
        there.close()
