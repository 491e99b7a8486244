"""The posterior ensemble: draws are seeded and recorded, sweeps share them, the fit works.

Parameter uncertainty enters every interval through one draw per
replication; these tests protect what makes that trustworthy: the same seed
gives the same draws and numbers wherever it runs, every design point of a
sweep sees the same parameter sets, manifests say which ensemble was used,
and --point-estimate still gives the single fitted set.
"""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from model.ensemble import (
    POINT_DRAW,
    POSTERIOR,
    Calibration,
    draw_index,
    load_calibration,
    read_ensemble,
)
from model.errors import HedgesimError
from model.experiments.design import load_experiment
from model.experiments.single import execute
from model.experiments.sweep import read_runs, run_sweep
from model.params import free_parameters
from model.runner import run_scenario, run_seed, simulate
from model.scenario import compile_inputs
from model.world import OUTPUTS
from tests.test_sweep import small_experiment


@pytest.fixture(scope="module")
def posterior() -> Calibration:
    return load_calibration("posterior", POSTERIOR)


def test_committed_ensemble_fits_the_registrys_free_parameters(posterior):
    ens = posterior.ensemble
    assert ens.stale() is None, ens.stale()
    assert list(ens.parameters) == [p.name for p in free_parameters()]
    assert ens.size >= 100 and ens.effective_size >= 100
    assert len(np.unique(ens.numbers, axis=0)) >= ens.size // 2   # the moves diversified it
    for k, p in enumerate(free_parameters()):
        assert (ens.numbers[:, k] >= p.low).all() and (ens.numbers[:, k] <= p.high).all()
    for key in ("fitted_utc", "code_version", "method", "libraries", "population_size",
                "generations", "final_epsilon", "wall_seconds", "seed"):
        assert ens.provenance.get(key) is not None, key


def test_draws_depend_on_seed_and_replication_only(posterior):
    ens = posterior.ensemble
    a = posterior.draws(42, range(50))
    assert a == posterior.draws(42, range(50))
    assert posterior.draws(42, [7]) == [a[7]]            # a replication alone draws the same
    assert a != posterior.draws(43, range(50))
    assert len(set(a)) > 25                               # a spread, not one member
    cdf = np.cumsum(ens.weights) / ens.weights.sum()
    assert a[3] == draw_index(42, 3, cdf)


def test_weighted_draws_follow_the_weights():
    weights = np.array([0.7, 0.2, 0.1])
    cdf = np.cumsum(weights)
    counts = np.bincount([draw_index(5, r, cdf) for r in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(counts, weights, atol=0.03)


def test_each_replication_runs_its_drawn_member(baseline, posterior):
    sc = baseline.with_values(replications=3, horizon=2020, seed=9)
    result = run_scenario(sc, calibration=posterior)
    assert result.draws == posterior.draws(9, range(3))
    inputs = compile_inputs(sc, posterior.values(result.draws[1]))
    np.testing.assert_array_equal(result.values[1], simulate(inputs, run_seed(9, 1)))
    frame = result.frame()
    assert (frame.groupby("replication")["draw"].first().tolist() == result.draws)


def test_posterior_draws_widen_the_spread(baseline, posterior):
    """Parameter uncertainty adds to chance: the 2035 China-trade interval widens."""
    sc = baseline.with_values(replications=40)
    def width(cal):
        df = run_scenario(sc, calibration=cal).frame()
        v = df.loc[df["year"] == 2035, "trade_china_usd"].to_numpy()
        p05, p50, p95 = np.percentile(v, [5, 50, 95])
        return (p95 - p05) / p50
    # Measured: about 14% of the median against 7% (40 replications each).
    assert width(posterior) > 1.5 * width(Calibration("point"))


def test_run_manifest_names_the_ensemble_and_rows_carry_draws(tmp_path, baseline, posterior):
    sc = baseline.with_values(replications=3, horizon=2020)
    report = execute(sc, tmp_path, charts=False, calibration=posterior)
    m = json.loads((report.folder / "manifest.json").read_text())
    cal = m["calibration"]
    assert cal["mode"] == "posterior"
    assert cal["sha256"] == hashlib.sha256(POSTERIOR.read_bytes()).hexdigest()
    assert cal["file"] == str(POSTERIOR) and cal["members"] == posterior.ensemble.size
    assert cal["method"].startswith("ABC-SMC") and cal["libraries"]
    draws = posterior.draws(sc.seed, range(3))
    assert [s["draw"] for s in m["seeds"]] == draws
    runs = pd.read_parquet(report.folder / "runs.parquet")
    assert runs.groupby("replication")["draw"].first().tolist() == draws
    assert "posterior draw" in m["interval_note"] and "posterior draw" in report.note


def test_point_estimate_flag_runs_the_single_fitted_set(tmp_path, baseline):
    from cli import main

    out = CliRunner().invoke(main, ["run", "baseline", "-n", "2", "--seed", "3", "--no-charts",
                                    "--point-estimate", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "point estimate" in out.output
    folder = next((tmp_path / "baseline").iterdir())
    m = json.loads((folder / "manifest.json").read_text())
    assert m["calibration"]["mode"] == "point" and m["calibration"]["values"]
    runs = pd.read_parquet(folder / "runs.parquet")
    assert (runs["draw"] == POINT_DRAW).all()
    sc = baseline.with_values(replications=2, seed=3)
    old = run_scenario(sc, inputs=compile_inputs(sc))      # what runs did before the ensemble
    np.testing.assert_array_equal(runs[list(OUTPUTS)].to_numpy(),
                                  old.frame()[list(OUTPUTS)].to_numpy())


def test_run_prints_that_intervals_include_parameter_uncertainty(tmp_path):
    from cli import main

    out = CliRunner().invoke(main, ["run", "baseline", "-n", "2", "--no-charts",
                                    "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "90% interval over 2 replications, each with a posterior draw" in out.output


def test_sweep_points_share_draws_and_executors_agree(tmp_path, posterior):
    """Common random numbers across points; serial and local processes give the same dataset."""
    exp = load_experiment(small_experiment(tmp_path, points=3, replications=3))
    frames = {}
    for kind in ("serial", "local"):
        report = run_sweep(exp, tmp_path / kind, executor=kind, workers=2, calibration=posterior)
        assert report.complete
        frames[kind] = read_runs(report.folder)
        m = report.manifest
        assert m["calibration"]["sha256"] == posterior.ensemble.sha256
        assert "same at every point" in m["draw_rule"]
        assert "each with a posterior draw" in m["interval_note"]
    pd.testing.assert_frame_equal(frames["serial"], frames["local"])
    df = frames["serial"]
    per_point = df.groupby(["replication", "point"])["draw"].first().unstack("point")
    assert (per_point.nunique(axis=1) == 1).all()          # same member at every point
    assert per_point[0].tolist() == posterior.draws(exp.seed, range(3))
    one = df[(df["point"] == 2) & (df["replication"] == 1)]
    inputs = compile_inputs(exp.scenario_for(2), posterior.values(int(one["draw"].iloc[0])))
    np.testing.assert_array_equal(one[list(OUTPUTS)].to_numpy(),
                                  simulate(inputs, run_seed(exp.seed, 2, 1)))


def test_resume_refuses_another_calibration(tmp_path, posterior):
    exp = load_experiment(small_experiment(tmp_path, points=2, replications=1))
    report = run_sweep(exp, tmp_path / "out", executor="serial", calibration=posterior)
    with pytest.raises(HedgesimError, match="calibration that started"):
        run_sweep(exp, report.folder, executor="serial", resume=True,
                  calibration=Calibration("point"))


@pytest.mark.parametrize("text, field", [
    ("parameters: 3\n", "parameters"),
    ("parameters: {china.credit_usd: 2000}\ncolumns: [weight, credit]\nmembers: [[1, 0, 1]]\n",
     "columns"),
    ("parameters: {china.credit_usd: 2000}\ncolumns: [weight, loss, china.credit_usd]\n"
     "members: [[1, 0, -5]]\n", "members.china.credit_usd"),
    ("parameters: {china.credit_usd: 2000}\ncolumns: [weight, loss, china.credit_usd]\n"
     "members: [[1, 0]]\n", "members"),
])
def test_a_malformed_ensemble_is_one_line_naming_the_field(tmp_path, text, field):
    path = tmp_path / "posterior.yaml"
    path.write_text(text)
    with pytest.raises(HedgesimError) as err:
        read_ensemble(path)
    assert str(path) in str(err.value) and field in str(err.value)
    assert "\n" not in str(err.value)


def test_stale_ensemble_fails_the_check_and_names_the_refit(tmp_path, posterior):
    from model.calibration.posterior import check_ensemble

    text = POSTERIOR.read_text().replace("china.credit_usd", "china.retired_parameter")
    path = tmp_path / "posterior.yaml"
    path.write_text(text)
    stale = load_calibration("posterior", path)
    assert "china.retired_parameter" in stale.ensemble.stale()
    result = check_ensemble(stale, runs=20)
    assert any("stale" in p and "hedgesim calibrate" in p for p in result.problems)


def test_tiny_abc_fit_writes_a_readable_ensemble_the_same_for_any_worker_count(tmp_path):
    """A real ABC-SMC run, two small generations: one worker or two, the same ensemble."""
    from model.calibration.posterior import fit_posterior, write_posterior

    paths = []
    for workers in (1, 2):
        post = fit_posterior(population=12, generations=3, replications=1, workers=workers,
                             seed=5)
        assert len(post.generations) == 3
        assert post.generations[2].epsilon <= post.generations[1].epsilon
        assert (post.losses <= post.final_epsilon).all()
        paths.append(write_posterior(post, "test", tmp_path / f"{workers}.yaml"))
    ens = read_ensemble(paths[0])
    assert ens.size == 12 and list(ens.parameters) == [p.name for p in free_parameters()]
    assert ens.provenance["generations"] == 3 and ens.provenance["libraries"]["numpy"]
    assert ens.provenance["final_epsilon"] == pytest.approx(post.final_epsilon, rel=1e-5)
    np.testing.assert_array_equal(ens.numbers, read_ensemble(paths[1]).numbers)
