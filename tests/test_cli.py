"""`hedgesim run` writes what the README promises; help text carries examples."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main


def test_run_writes_parquet_manifest_and_charts(tmp_path):
    result = CliRunner().invoke(main, ["run", "baseline", "-n", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folders = list((tmp_path / "baseline").iterdir())
    assert len(folders) == 1
    f = folders[0]
    df = pd.read_parquet(f / "runs.parquet")
    assert len(df) == 3 * (2035 - 1988 + 1)
    assert {"replication", "year", "seed", "trade_china_usd"} <= set(df.columns)
    m = json.loads((f / "manifest.json").read_text())
    assert m["scenario"]["name"] == "baseline" and len(m["seeds"]) == 3
    assert {"numpy", "mesa", "python"} <= set(m["packages"])
    assert m["code_version"] and m["wall_seconds"] >= 0
    for name in ("trade_by_partner", "patron_costs", "dependence"):
        with Image.open(f / f"{name}.png") as im:
            assert im.size == (1920, 1080)
    assert "DPRK-China trade" in result.output and "2014" in result.output


@pytest.mark.parametrize("cmd", ["run", "validate", "schema", "list"])
def test_help_has_example(cmd):
    result = CliRunner().invoke(main, [cmd, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_list_shows_shipped():
    result = CliRunner().invoke(main, ["list"])
    assert "russia_1bn_push" in result.output and "baseline" in result.output


def test_the_command_with_mesas_core_alone_gives_the_librarys_numbers(tmp_path):
    """``hedgesim run`` imports only Mesa's Model and Agent (model.mesacore); its runs equal
    the same runs here, where Mesa was imported whole."""

    import numpy as np

    from model.runner import run_scenario
    from model.scenario import load
    from model.world import OUTPUTS
    from tests.conftest import ROOT, hedgesim_probed

    # as the console script runs it (cli.entry), saying at exit whether Mesa came whole
    out = hedgesim_probed("'whole mesa:', 'mesa.batchrunner' in sys.modules", "run", "baseline",
                          "-n", "2", "--no-charts", "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "whole mesa: False", out.stdout
    df = pd.read_parquet(next((tmp_path / "baseline").iterdir()) / "runs.parquet")
    here = run_scenario(load(ROOT / "scenarios" / "baseline.yaml"), replications=[0, 1])
    np.testing.assert_array_equal(df[list(OUTPUTS)].to_numpy(),
                                  here.values.reshape(-1, len(OUTPUTS)))
