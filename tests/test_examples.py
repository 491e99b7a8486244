"""The shipped experiment files validate and, run small, give every chart kind the README names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "scenarios" / "experiments").glob("*.yaml"))
BASELINE = ROOT / "scenarios" / "baseline.yaml"
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
    result = CliRunner().invoke(main, ["sweep", str(exp), "--year", "2050", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--year" in result.stderr and "2050" in result.stderr
    assert not any(tmp_path.iterdir()), "no folder is made before the year is checked"


def test_sweep_prints_its_table_for_any_year_asked(tmp_path):
    """2025 is not in summary.parquet (2014, 2020, the horizon): the table reads it from the runs."""
    (tmp_path / "short.yaml").write_text(f"name: short\nextends: {BASELINE}\nhorizon: 2026\n")
    exp = tmp_path / "tiny.yaml"
    exp.write_text("name: tiny\nscenario: short.yaml\nreplications: 2\nseed: 3\n"
                   "vary:\n  levers.russia.trade_subsidy_rate: [0.0, 0.3]\n")
    result = CliRunner().invoke(main, ["sweep", str(exp), "--year", "2025", "-e", "serial",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "DPRK-Russia trade 2025" in result.stdout and "2026" not in result.stdout.splitlines()[0]
