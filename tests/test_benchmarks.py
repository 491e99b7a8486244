"""The benchmarks still run against the model as it is: they are not part of the suite's
timing (performance goals live in benchmarks/, never in timed tests), but a benchmark that
reads the model's internals breaks silently when those change (the mesa.batch_run adapter
read the World's yearly outputs in their old layout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.outputs import COLUMN
from model.runner import simulate

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(autouse=True)
def _benchmarks_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def test_batch_run_adapter_reports_the_years_the_model_ran():
    from rivals import REPORTED, BatchRunWorld, _inputs
    from sweep import experiment

    from model.seeds import run_seed

    world = BatchRunWorld(point=1, replication=2)
    for _ in range(3):
        world.step()
    table = world.datacollector.get_model_vars_dataframe()
    seed = run_seed(experiment(BatchRunWorld.design_runs).seed, 1, 2)
    alone = simulate(_inputs(BatchRunWorld.design_runs, 1, 2), seed)
    for name in REPORTED:
        np.testing.assert_array_equal(table[name].to_numpy(), alone[:3, COLUMN[name]])


def test_run_speed_parts_add_up_to_the_run(capsys):
    import run_speed

    from model.scenario import compile_inputs, load

    inputs = compile_inputs(load("baseline").with_values(values={"firms.count": 40.0}))
    run_ms, parts = run_speed.parts(inputs, repeats=2)
    times = dict(parts)
    assert len(times) == 5 and all(ms > 0 for ms in times.values()), parts
    # the parts are the whole run: set-up, the years and the outputs, less nothing between
    assert 0.8 * run_ms < sum(times.values()) <= run_ms, (run_ms, parts)
    curve = run_speed.batch_curve(inputs, repeats=1, sizes=(1, 3))
    assert len(curve) == 2 and all(ms > 0 for ms in curve)
    run_speed.numpy_floor(40, 5, 1)
    assert "firms' decisions" in capsys.readouterr().out
