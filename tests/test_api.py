"""The public API (model.load, run, sweep, read_results) and `import hedgesim`'s check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import model
from model.errors import HedgesimError
from model.outputs import OUTPUTS

ROOT = Path(__file__).resolve().parents[1]


def test_a_run_in_memory_is_the_run_written_to_a_folder(tmp_path):
    memory = model.run("baseline", replications=2, seed=3)
    written = model.run("baseline", replications=2, seed=3, out=tmp_path, charts=False)
    assert memory.attrs["folder"] is None and written.attrs["folder"].parent.parent == tmp_path
    assert list(memory.columns[:7]) == ["point", "scenario", "strategy", "replication", "seed",
                                        "draw", "year"]
    assert list(memory.columns[7:]) == list(OUTPUTS)
    pd.testing.assert_frame_equal(memory, written)
    pd.testing.assert_frame_equal(model.read_results(written.attrs["folder"]), written)


def test_a_sweep_frame_joins_the_design(tmp_path):
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"name: tiny\nscenario: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                   "replications: 2\nseed: 5\nvary:\n  russia.trade_subsidy_rate: [0.0, 0.2]\n")
    frame = model.sweep(exp, out=tmp_path / "out", executor="serial")
    assert frame.attrs["kind"] == "sweep"
    assert sorted(frame["russia.trade_subsidy_rate"].unique()) == [0.0, 0.2]
    assert frame.groupby("point")["replication"].nunique().tolist() == [2, 2]
    assert {"scenario", "strategy", "draw", "year", *OUTPUTS} <= set(frame.columns)
    from model.experiments.sweep import read_runs

    stored = read_runs(frame.attrs["folder"])
    assert len(stored) == len(frame)  # the same runs, the design joined


def test_bad_input_is_a_hedgesim_error():
    with pytest.raises(HedgesimError, match="did you mean 'baseline'"):
        model.load("baselin")
    with pytest.raises(HedgesimError, match="results folder"):
        model.read_results(ROOT / "no-such-folder")


def test_import_model_loads_no_api_until_asked():
    code = "import sys, model.params; print('model.api' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert out == ["False", "False"]


def test_import_hedgesim_explains_a_model_py_that_hides_the_package(tmp_path):
    (tmp_path / "model.py").write_text("answer = 42\n")
    code = f"import sys; sys.path.append({str(ROOT)!r}); import hedgesim"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: hedgesim: 'import model' finds ")
    assert str(tmp_path / "model.py") in last and "Rename yours" in last


def test_import_hedgesim_is_the_api():
    import hedgesim

    assert hedgesim.run is model.run and hedgesim.read_results is model.read_results


def test_shipped_experiments_are_found_by_name_and_listed():
    from click.testing import CliRunner

    from cli import main

    exp = model.load_experiment("russia_subsidy_sweep")
    assert exp.name == "russia_subsidy_sweep" and exp.size > 1
    with pytest.raises(HedgesimError, match="did you mean 'strategy_matrix'"):
        model.load_experiment("strategy_matrx")
    listed = CliRunner().invoke(main, ["list", "--experiments"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == [
        "russia_subsidy_sweep", "sobol_drivers", "strategy_matrix"]


def test_the_wheel_lists_every_package_and_ships_the_scenarios():
    """pyproject.toml names the packages (the scenarios are mapped in, so they cannot be
    found automatically): a new subpackage of model/ must be added there."""
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "model").rglob("__init__.py")}
    assert on_disk <= set(conf["packages"])
    assert conf["package-dir"] == {"model.scenarios": "scenarios"}
    assert {"model.scenarios", "model.scenarios.experiments"} <= set(conf["packages"])
    assert "*.yaml" in conf["package-data"]["*"]
