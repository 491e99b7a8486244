"""`hedgesim seek`: the smallest lever value meeting a target, checked against a sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from model.analysis.results import parse_outcome
from model.analysis.seek import seek
from model.scenario import load
from model.world import OUTPUTS

ROOT = Path(__file__).resolve().parents[1]
TARGET = "trade_russia_usd@2020>=1e9"
REPS = 6


@pytest.fixture(scope="module")
def short(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seek")
    path = folder / "short.yaml"
    path.write_text(f"name: short\ndescription: Baseline to 2020.\nextends: "
                    f"{ROOT / 'scenarios' / 'baseline.yaml'}\nhorizon: 2020\n"
                    f"replications: {REPS}\nseed: 9\nstrategy: pivot_russia\n", encoding="utf-8")
    return path


def test_seek_answer_lies_between_the_sweep_grid_points_that_bracket_the_target(short, tmp_path):
    from model.experiments.sweep import run_sweep

    exp = tmp_path / "grid.yaml"
    exp.write_text(f"name: grid\nscenario: {short}\nreplications: {REPS}\nseed: 9\nvary:\n"
                   "  levers.russia.trade_subsidy_rate: [0.0, 0.1, 0.2, 0.3, 0.4]\n",
                   encoding="utf-8")
    folder = run_sweep(exp, tmp_path / "out", executor="serial").folder
    runs = pd.read_parquet(folder / "runs")
    design = pd.read_parquet(folder / "design.parquet")
    rows = runs[runs["year"] == 2020].merge(design, on="point")
    share = rows.assign(hit=rows["trade_russia_usd"] >= 1e9).groupby(
        "russia.trade_subsidy_rate")["hit"].mean()
    above = share[share >= 0.5].index.min()
    below = share[(share < 0.5) & (share.index < above)].index.max()
    assert np.isfinite(above) and np.isfinite(below), share
    found = seek(load(short), "russia.trade_subsidy_rate", parse_outcome(TARGET, OUTPUTS))
    assert below <= found.value <= above, (found.value, share.to_dict())
    lo, hi = found.interval
    assert lo <= found.value <= hi or np.isclose(found.value, lo, atol=1e-3)
    assert found.success >= 0.5
    assert found.cost_russia[0] > 0 and found.cost_china[0] > 0


def test_seek_uses_the_same_seeds_at_every_lever_value(short):
    """Common random numbers: the outcome is monotone in the subsidy replication by replication,
    so every replication's own crossing is within the range or marked as never."""
    found = seek(load(short), "russia.trade_subsidy_rate", parse_outcome(TARGET, OUTPUTS))
    assert found.crossings.shape == (REPS,)
    assert ((found.crossings >= 0) | np.isinf(found.crossings)).all()
    assert found.value == pytest.approx(np.quantile(found.crossings[np.isfinite(found.crossings)],
                                                    0.5), abs=0.05)


def test_seek_says_plainly_when_no_value_in_range_meets_the_target(short):
    result = CliRunner().invoke(main, ["seek", str(short), "russia.trade_subsidy_rate",
                                       "trade_russia_usd@2020>=1e11", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "no russia.trade_subsidy_rate in its range 0-0.6 meets" in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["russia.trade_subsidy_rat", TARGET], "did you mean"),
    (["russia.trade_subsidy_rate", "russia_trade_2020>=1e9"], "write 'trade_russia_usd@2020"),
    (["russia.trade_subsidy_rate", "trade_russia_usd@2040>=1e9"], "horizon"),
    (["russia.trade_subsidy_rate", TARGET, "--low", "0.5", "--high", "0.9"], "range"),
])
def test_seek_bad_input_is_one_line_and_exit_2(short, args, words):
    result = CliRunner().invoke(main, ["seek", str(short), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
