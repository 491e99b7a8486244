"""The shipped experiment files validate and, run small, give every chart kind the README names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "scenarios" / "experiments").glob("*.yaml"))
KIND = {"strategy_matrix": "matrix", "sobol_drivers": "sensitivity",
        "russia_subsidy_sweep": "response"}


def test_validate_accepts_every_shipped_experiment_file():
    result = CliRunner().invoke(main, ["validate", *map(str, EXPERIMENTS)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == len(EXPERIMENTS)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_shipped_experiment_runs_small_and_draws_its_chart(path, tmp_path):
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    short = tmp_path / "short.yaml"
    short.write_text(f"name: short\ndescription: Baseline to 2020.\nextends: "
                     f"{ROOT / 'scenarios' / 'baseline.yaml'}\nhorizon: 2020\n", encoding="utf-8")
    spec.update(scenario=str(short), replications=1)
    if "sample" in spec:
        spec["sample"]["n"] = 4
    small = tmp_path / path.name
    small.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(small), "--executor", "serial", "--out", str(out),
                                       "--target", "trade_russia_usd@2020>=1e9"])
    assert result.exit_code == 0, result.output
    folder = next((out / spec["name"]).iterdir())
    chart = tmp_path / "chart.png"
    kind = KIND.get(spec["name"], "discovery")
    drawn = CliRunner().invoke(main, ["plot", str(folder), "--kind", kind, "--out", str(chart),
                                      "--target", "trade_russia_usd@2020>=1e9"])
    assert drawn.exit_code == 0, drawn.output
    assert chart.stat().st_size > 10_000


def test_sweep_refuses_a_year_before_running_anything(tmp_path):
    exp = EXPERIMENTS[0]
    result = CliRunner().invoke(main, ["sweep", str(exp), "--year", "2025", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--year" in result.stderr
    assert not any(tmp_path.iterdir()), "no folder is made before the year is checked"
