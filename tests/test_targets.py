"""Tests of the calibration targets file and its evaluator (model/calibration/targets.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from model.calibration.targets import (
    DEFAULT_PATH,
    MAX_EXCESS,
    OUTPUT_COLUMNS,
    Growth,
    MaxGrowth,
    Mean,
    Panel,
    RatioOfMeans,
    ShareOfYearsGrowing,
    Target,
    Value,
    band_loss,
    evaluate,
    load_scenario_targets,
    load_targets,
    loss_terms,
)
from model.errors import ScenarioError

SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"
YEARS = np.arange(1988, 2036)


@pytest.fixture(scope="module")
def targets() -> list[Target]:
    return load_targets()


@pytest.fixture(scope="module")
def scenario_targets() -> list[Target]:
    return load_scenario_targets()


def _series(default: float, **by_year: float) -> np.ndarray:
    s = pd.Series(default, index=YEARS, dtype=float)
    for y, v in by_year.items():
        s.loc[int(y[1:])] = v
    return s.to_numpy()


def source_frame(n_rep: int = 3) -> pd.DataFrame:
    """A frame built to match the sources: every target's figure inside its band."""
    russia = pd.Series(np.nan, index=YEARS)
    russia.loc[1988:1990] = 2.0e9                       # Soviet-era level
    russia.loc[1991], russia.loc[1992] = 1.0e9, 0.4e9
    russia.loc[1993:1997] = 0.2e9                       # a tenth of 1988-1990
    russia.loc[1998:2003] = np.linspace(0.18e9, 0.12e9, 6)
    russia.loc[2004:2012] = np.linspace(0.11e9, 0.10e9, 9)
    russia.loc[2013], russia.loc[2014] = 101.5e6, 93e6      # 6.6 bn / 65, then 93 m (002)
    russia.loc[2015:] = 93e6
    china = pd.Series(np.nan, index=YEARS)
    china.loc[1988:1993] = 0.55e9                       # China customs, 1988-1990 (public record)
    china.loc[1994:1999] = 0.5e9                        # 1995-1999 (public record); 2.5x Russia
    china.loc[2000] = 0.45e9
    china.loc[2001:2013] = np.geomspace(0.5e9, 6.6e9, 13)   # steady growth to 6.6 bn (003)
    china.loc[2014] = 6.6e9 * 0.976                     # -2.4% (004)
    china.loc[2015:] = 6.5e9
    cols = {c: np.ones(len(YEARS)) for c in OUTPUT_COLUMNS}
    cols.update(
        trade_china_usd=china.to_numpy(), trade_russia_usd=russia.to_numpy(),
        china_share=np.full(len(YEARS), 0.72), china_export_share_excl_korea=np.full(len(YEARS), 0.9),
        exports_russia_usd=_series(8e6, y2013=10.17e6 / 1.319, y2014=10.17e6),
        coal_exports_china_usd=_series(0.5e9, y2011=1.2e9, y2012=1.2e9, y2013=1.2e9, y2014=1.2e9),
        coal_exports_china_tonnes=_series(5e6, y2014=14.4e6),
        # China sold the DPRK more than it bought before 2000 (China's customs, public record).
        # and a deficit with China in 2012-2014 too (imports 1.3 times exports).
        imports_china_usd=np.where(YEARS < 2000, 0.2e9, 1.3), exports_china_usd=np.where(YEARS < 2000, 0.1e9, 1.0),
        support_china_usd=np.full(len(YEARS), 0.5e9),   # inside AidData's "hundreds of millions"
    )
    frames = []
    for r in range(n_rep):
        f = pd.DataFrame({c: v.copy() for c, v in cols.items()})
        for c in OUTPUT_COLUMNS:       # levels move together by +-0.5%: ratios and growth unchanged
            if c.endswith(("_usd", "_tonnes")):
                f[c] *= 1 + 0.005 * (r - 1)
        f.insert(0, "year", YEARS)
        f.insert(0, "replication", r)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ file
def test_file_loads_with_fit_and_corroborate(targets, scenario_targets):
    ids = {t.id for t in targets}
    assert len(ids) == len(targets) >= 15
    assert {"fit", "corroborate"} == {t.role for t in targets}
    for needed in ("china_trade_2013", "china_trade_2014", "russia_trade_2014", "russia_trade_mean_2004_2014",
                   "china_russia_ratio_2013", "china_russia_ratio_2014", "china_share_2014",
                   "china_export_share_2013", "russia_exports_2014", "russia_exports_growth_2014",
                   "coal_revenue_china_2014", "coal_tonnes_china_2014", "russia_trade_collapse_1990s",
                   "china_russia_parity_mid1990s", "china_trade_growing_years_2001_2013",
                   "china_trade_growth_2014", "russia_trade_decline_1995_2014"):
        assert needed in ids
    assert {t.scenario for t in scenario_targets} == {"russia_1bn_push", "russia_unsubsidised_upside"}
    assert all(t.scenario is None for t in targets)


def test_every_target_cites_existing_seeds(targets, scenario_targets):
    for t in targets + scenario_targets:
        assert t.readings, t.id
        for r in t.readings:
            assert r.outlet and r.author
            # A figure outside the five seeds says so in its outlet.
            assert r.seed[:3] in {"000", "001", "002", "003", "004"} or (
                r.from_record and ("public record" in r.outlet or "domain brief" in r.outlet)), r
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} not checked out beside the repo")
    present = {p.name for p in SEEDS.iterdir()}
    for t in targets + scenario_targets:
        assert {r.seed for r in t.readings if not r.from_record} <= present, t.id


def test_every_reading_inside_its_band(targets, scenario_targets):
    for t in targets + scenario_targets:
        lo, hi = t.band
        # A target with only qualitative readings (a shape) must say how its band was set.
        qualitative = not any(r.value is not None or r.range is not None for r in t.readings)
        assert not qualitative or t.role == "corroborate" or t.band_basis.strip(), t.id
        for r in t.readings:
            if r.value is not None:
                assert lo <= r.value <= hi, (t.id, r)
            if r.range is not None:
                assert lo <= r.range[0] <= r.range[1] <= hi, (t.id, r)


def test_china_trade_2014_band_spans_all_sources(targets):
    t = next(t for t in targets if t.id == "china_trade_2014")
    for v in (6.39e9, 6.5e9, 6.9e9):
        assert t.band[0] < v < t.band[1]
    assert {r.seed[:3] for r in t.readings} == {"000", "001", "002", "004"}
    assert "004 Lowy Interpreter / NBR 2015" in t.sources


def test_share_definitions_follow_the_brief(targets):
    by_id = {t.id: t for t in targets}
    assert by_id["china_share_2014"].metric == Value("china_share", 2014)
    assert by_id["china_export_share_2013"].metric == Value("china_export_share_excl_korea", 2013)


# ------------------------------------------------------------- evaluator
def test_source_frame_is_all_in_band_with_zero_loss(targets, scenario_targets):
    df = source_frame()
    table = evaluate(targets, df)
    assert list(table.columns) == ["id", "description", "sources", "band_low", "band_high", "median", "p05",
                                   "p95", "n_replications", "in_band", "role"]
    assert table["in_band"].all(), table.loc[~table["in_band"], ["id", "median", "band_low", "band_high"]]
    assert (table["n_replications"] == 3).all()
    assert band_loss(targets, df) == 0.0
    assert band_loss(targets, df, roles=("fit", "corroborate")) == 0.0


def test_scenario_targets_on_scenario_frames(scenario_targets):
    df = source_frame()
    df.loc[df["year"] == 2020, "support_russia_usd"] = 3e8
    df.loc[df["year"] == 2020, "trade_russia_usd"] = 3 * 93e6
    assert evaluate(scenario_targets, df)["in_band"].all()
    assert band_loss(scenario_targets, df, roles=("corroborate",)) == 0.0


def test_russia_trade_ten_times_too_high_is_named(targets):
    df = source_frame()
    df["trade_russia_usd"] *= 10
    terms = loss_terms(targets, df)
    assert band_loss(targets, df) == pytest.approx(terms.sum()) and terms.sum() > 0
    assert {"russia_trade_2014", "russia_trade_mean_2004_2014"} <= set(terms[terms > 0].index)
    table = evaluate(targets, df).set_index("id")
    failing = set(table.index[~table["in_band"]])
    assert {"russia_trade_2014", "russia_trade_mean_2004_2014", "china_russia_ratio_2013",
            "china_russia_ratio_2014", "china_russia_parity_mid1990s"} <= failing
    assert not {"china_trade_2014", "russia_trade_collapse_1990s", "coal_tonnes_china_2014"} & failing


def test_loss_grows_with_distance(targets):
    df = source_frame()
    losses = []
    for factor in (1.3, 2.0, 5.0):
        bad = df.copy()
        bad["trade_china_usd"] *= factor
        losses.append(loss_terms(targets, bad)["china_trade_2014"])
    assert 0 < losses[0] < losses[1] < losses[2]


def test_all_zero_output_gives_finite_positive_loss(targets, scenario_targets):
    df = source_frame()
    for c in OUTPUT_COLUMNS:
        df[c] = 0.0
    for ts in (targets, scenario_targets):
        loss = band_loss(ts, df, roles=("fit", "corroborate"))
        assert math.isfinite(loss) and loss > 0
    table = evaluate(targets, df)
    assert not table["in_band"].any()


def test_excess_is_capped_and_finite():
    t = Target("x", "x", Value("trade_china_usd", 2000), "USD", (), (1.0, 2.0), "test", "fit", 1.0, "linear")
    got = t.excess(np.array([1.5, 3.0, 0.0, np.nan, np.inf, -np.inf]))
    np.testing.assert_allclose(got, [0.0, 1.0, 1.0, MAX_EXCESS, MAX_EXCESS, MAX_EXCESS])
    tl = Target("y", "y", Value("trade_china_usd", 2000), "USD", (), (1.0, math.e), "test", "fit", 1.0, "log")
    got = tl.excess(np.array([2.0, math.e ** 2, 1 / math.e, 0.0, -5.0]))
    np.testing.assert_allclose(got, [0.0, 1.0, 1.0, MAX_EXCESS, MAX_EXCESS])


# --------------------------------------------------------------- metrics
@pytest.fixture()
def tiny() -> Panel:
    df = pd.DataFrame({
        "replication": [0] * 4 + [1] * 4,
        "year": [2000, 2001, 2002, 2003] * 2,
        "trade_china_usd": [1, 2, 3, 3, 2, 3, 4, 8],
        "trade_russia_usd": [1, 1, 1, 1, 2, 2, 0, 2],
    }).sample(frac=1.0, random_state=1)          # row order must not matter
    return Panel.from_frame(df, ["trade_china_usd", "trade_russia_usd"])


def test_metrics_on_hand_made_frame(tiny):
    c, r = "trade_china_usd", "trade_russia_usd"
    np.testing.assert_allclose(Value(c, 2002).compute(tiny), [3, 4])
    np.testing.assert_allclose(Mean(c, 2001, 2003).compute(tiny), [8 / 3, 5])
    np.testing.assert_allclose(RatioOfMeans(c, 2002, 2003, c, 2000, 2001).compute(tiny), [2.0, 2.4])
    np.testing.assert_allclose(RatioOfMeans(c, 2000, 2001, r, 2000, 2001).compute(tiny), [1.5, 1.25])
    np.testing.assert_allclose(Growth(c, 2000, 2003).compute(tiny), [2.0, 3.0])
    np.testing.assert_allclose(ShareOfYearsGrowing(c, 2001, 2003).compute(tiny), [2 / 3, 1.0])
    np.testing.assert_allclose(MaxGrowth(c, 2002, 2003).compute(tiny), [0.5, 1.0])
    ratio = RatioOfMeans(c, 2002, 2002, r, 2002, 2002).compute(tiny)     # rep 1 divides by zero
    assert ratio[0] == 3.0 and np.isinf(ratio[1])


def test_frame_errors_are_hedgesim_errors(targets):
    df = source_frame()
    with pytest.raises(ScenarioError, match="trade_china_usd"):
        band_loss(targets, df.drop(columns="trade_china_usd"))
    with pytest.raises(ScenarioError, match="expected years"):
        band_loss(targets, df[df["year"] >= 2000])
    with pytest.raises(ScenarioError, match="one row per replication"):
        band_loss(targets, pd.concat([df, df.head(1)]))


# ---------------------------------------------------------------- loader
def _broken(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    edit(doc)
    p = tmp_path / "targets.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


@pytest.mark.parametrize("edit, field", [
    (lambda d: d["targets"][0].__setitem__("band", [7e9, 6e9]), "band"),
    (lambda d: d["targets"][0]["metric"].__setitem__("type", "median"), "metric.type"),
    (lambda d: d["targets"][0]["metric"].__setitem__("column", "trade_china"), "metric.column"),
    (lambda d: d["targets"][0].__setitem__("readings", []), "readings"),
    (lambda d: d["targets"][0].__setitem__("role", "fitted"), "role"),
    (lambda d: d["targets"][0].__setitem__("weight", -1), "weight"),
    (lambda d: d["targets"][0].__setitem__("wieght", 1), "targets[0]"),
    (lambda d: d["targets"][0]["readings"][0].__setitem__("outlet", "Reuters"), "readings[0]"),
    (lambda d: d["targets"][0]["readings"][0].__setitem__("seed", "999_x.txt"), "readings[0].seed"),
    (lambda d: d["targets"][1].__setitem__("id", d["targets"][0]["id"]), "targets"),
    (lambda d: d.pop("sources"), "sources"),
])
def test_malformed_file_raises_with_field(tmp_path, edit, field):
    path = _broken(tmp_path, edit)
    with pytest.raises(ScenarioError) as err:
        load_targets(path)
    assert err.value.file == str(path) and field in (err.value.field or "")
    assert str(err.value).startswith(f"{path}: ") and "expected" in str(err.value)


def test_missing_or_invalid_yaml_raises(tmp_path):
    with pytest.raises(ScenarioError):
        load_targets(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="valid YAML"):
        load_targets(bad)


# ----------------------------------------------------------------- speed
# ----------------------------------------------------------------- arrays, no frame
def test_loss_from_run_arrays_equals_loss_from_its_frame(targets, scenario_targets, baseline_run):
    """Calibration computes the loss from the run's arrays; it must be the frame's to the bit."""
    from model.calibration.targets import band_loss_values
    from model.world import OUTPUTS

    r = baseline_run
    df = r.frame()
    every = targets + scenario_targets
    for ts, roles in ((targets, ("fit",)), (every, ("fit", "corroborate"))):
        assert band_loss_values(ts, r.values, r.years, OUTPUTS, roles) == band_loss(ts, df, roles)
    cols = sorted({c for t in every for c in t.metric.columns()})
    a = Panel.from_values(r.values, r.years, OUTPUTS, cols)
    b = Panel.from_frame(df, cols)
    assert (a.first_year, a.last_year) == (b.first_year, b.last_year)
    for c in cols:
        np.testing.assert_array_equal(a.arrays[c], b.arrays[c])
    with pytest.raises(ScenarioError, match="column"):
        Panel.from_values(r.values[:, :, :5], r.years, OUTPUTS[:5], ["trade_china_usd"])


def test_losses_of_several_sets_at_once_are_each_set_s_loss(targets, baseline_run):
    """A fit computes a batch of parameter sets' losses in one panel; each must be the loss of
    that set's runs alone, to the bit (a set whose runs go far out of band included)."""
    from model.calibration.targets import band_loss_values, band_losses_values
    from model.world import OUTPUTS

    r = baseline_run
    # the run, its replications in another order, far below, far above, nothing at all
    sets = np.stack([r.values, r.values[::-1], r.values * 1e-3, r.values * 50.0, r.values * 0.0])
    got = band_losses_values(targets, sets, r.years, OUTPUTS)
    want = [band_loss_values(targets, s, r.years, OUTPUTS) for s in sets]
    assert got.tolist() == want
    assert len(set(want)) >= 3  # the sets differ


def test_a_loss_adds_its_terms_as_python_3_11_did_on_every_python(targets, baseline_run):
    """Python 3.12's sum() compensates for rounding, and a loss (so a fit's path) differed
    between 3.11 and 3.12 in the last bits; terms are added one after another everywhere."""
    from model.calibration.targets import in_order, loss_terms

    assert in_order([1e16, 1.0, -1e16]) == 0.0  # compensated, as sum() from 3.12: 1.0
    assert in_order([]) == 0.0
    df = baseline_run.frame()
    assert band_loss(targets, df) == in_order(loss_terms(targets, df).tolist())
