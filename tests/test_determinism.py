"""Same scenario and seed give the same numbers; seeds do not depend on run order."""

import hashlib

import numpy as np
import pytest

from model.experiments.single import execute
from model.runner import run_scenario, run_seed
from tests.conftest import ROOT


def test_same_seed_same_parquet(tmp_path, baseline):
    sc = baseline.with_values(replications=3, horizon=2020)
    a = execute(sc, tmp_path / "a", charts=False).folder / "runs.parquet"
    b = execute(sc, tmp_path / "b", charts=False).folder / "runs.parquet"
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()


def test_replication_alone_equals_replication_in_batch(baseline):
    sc = baseline.with_values(replications=4, horizon=2020)
    batch = run_scenario(sc)
    alone = run_scenario(sc, replications=[2])
    np.testing.assert_array_equal(batch.values[2], alone.values[0])


def test_different_seeds_differ(baseline):
    sc = baseline.with_values(replications=2, horizon=2020)
    r = run_scenario(sc)
    assert not np.array_equal(r.values[0], r.values[1])
    assert run_seed(1, 0) != run_seed(1, 1) != run_seed(2, 0)


def test_runs_sharing_compiled_inputs_equal_runs_on_fresh_inputs(baseline):
    """Inputs.derived caches what depends on the inputs alone: reuse must not change results."""
    from model.runner import simulate
    from model.scenario import compile_inputs

    a = compile_inputs(baseline.with_values(horizon=2020))
    b = compile_inputs(baseline.with_values(horizon=2020, values={"firms.count": 120.0}))
    first = [simulate(a, 1), simulate(b, 1), simulate(a, 2)]
    again = [simulate(a, 1), simulate(b, 1), simulate(a, 2)]
    fresh = [simulate(compile_inputs(baseline.with_values(horizon=2020)), 1),
             simulate(compile_inputs(baseline.with_values(horizon=2020,
                                                          values={"firms.count": 120.0})), 1),
             simulate(compile_inputs(baseline.with_values(horizon=2020)), 2)]
    for x, y, z in zip(first, again, fresh, strict=True):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)
    assert not a.params["china.aid_usd"].flags.writeable  # compiled inputs are read-only


def test_outputs_after_some_steps_equal_the_first_rows_of_a_run(baseline):
    """Firm accounts are tallied over the years stepped so far (World.outputs)."""
    from model.scenario import compile_inputs
    from model.world import World

    inputs = compile_inputs(baseline.with_values(horizon=2020))
    full = World(inputs, rng=7).run()
    w = World(inputs, rng=7)
    for _ in range(5):
        w.step()
    np.testing.assert_array_equal(w.outputs(), full[:, :5])


def test_a_run_is_the_same_whichever_vector_instructions_the_processor_has(tmp_path):
    """NumPy's vectorised exp, log and power give other last bits with AVX-512 (the
    baseline's capacity noise, the DPRK's payoff and Russia's fiscal room took them): a run
    must give the same numbers with NumPy's dispatched paths (AVX2, AVX-512) switched off,
    as on a processor without them."""
    import os
    import subprocess
    import sys

    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    if not found:
        pytest.skip("NumPy has no vector instructions to dispatch to on this processor")
    code = ("import sys, numpy as np, model; from pathlib import Path; "
            "assert Path(model.__file__).resolve().is_relative_to(Path(sys.argv[2]).resolve()); "
            "from model.runner import run_scenario; "
            "from model.scenario import load; np.save(sys.argv[1], run_scenario(load('baseline')"
            ".with_values(replications=4, horizon=2025, strategy={2015: 'adaptive'})).values)")
    for name, disabled in (("with", ""), ("without", " ".join(found))):
        # this checkout's model, whatever is installed (the child asserts it)
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"{name}.npy"), str(ROOT)],
                       env=env, check=True, cwd=ROOT)
    np.testing.assert_array_equal(np.load(tmp_path / "with.npy"),
                                  np.load(tmp_path / "without.npy"))
