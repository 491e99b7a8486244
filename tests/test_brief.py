"""`hedgesim plot` and `hedgesim brief` from small real sweeps: valid files, right titles, right numbers.

One module-scoped set of results is built once with the real sweep engine
(serial executor): a grid sweep over two strategies x a Russian subsidy x
China's sanctions enforcement, a Sobol sweep (the design the sweep makes for
``sample: {method: sobol}``), and a two-replication baseline run. Each test
then draws from them.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main

ROOT = Path(__file__).resolve().parents[1]
HORIZON = 2021
OUTCOME = "trade_russia_usd@2020 >= 1e9"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    from model.experiments.sweep import run_sweep

    base = tmp_path_factory.mktemp("results")
    exp = base / "experiments"
    exp.mkdir()
    _write(exp / "short.yaml", f"name: short\ndescription: Baseline to {HORIZON}.\n"
           f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nhorizon: {HORIZON}\nreplications: 1\n")
    grid = _write(exp / "grid.yaml", """name: grid
scenario: short.yaml
replications: 2
seed: 3
vary:
  strategy: [play_off, pivot_russia]
  levers.russia.trade_subsidy_rate: [0.0, 0.4]
  levers.sanctions.enforcement_china: [0.2, 0.8]
""")
    sobol = _write(exp / "sobol.yaml", """name: sobol
scenario: short.yaml
replications: 1
seed: 3
sample:
  method: sobol
  n: 8
  ranges: {russia.trade_subsidy_rate: [0.0, 0.5], russia.rivalry: null}
""")
    out = base / "out"
    found = {"grid": run_sweep(grid, out, executor="serial").folder,
             "sobol": run_sweep(sobol, out, executor="serial").folder}
    result = CliRunner().invoke(main, ["run", "baseline", "-n", "2", "--no-charts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    found["run"] = next((out / "baseline").iterdir())
    return found


def plot(*args: str):
    return CliRunner().invoke(main, ["plot", *args])


def png_title(path: Path) -> str:
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == (1920, 1080), "a 16:9 slide at 1920 px wide"
        im.load()  # decodes the whole image: a truncated file fails here
        return im.text.get("Title", "")


def runs_of(folder: Path) -> pd.DataFrame:
    """The runs as stored, read without the analysis code."""
    return pd.read_parquet(folder / "runs.parquet" if (folder / "runs.parquet").exists()
                           else folder / "runs")


# ------------------------------------------------------------------ plot
KINDS = [  # kind, folder, extra options, words the title must carry
    ("fan", "run", [], "DPRK-Russia trade"),
    ("fan", "grid", ["--column", "china_share"], "China's share of DPRK trade"),
    ("compare", "grid", [], "highest under"),
    ("compare", "sobol", [], "to compare)"),  # one group: its median, not "highest and lowest"
    ("matrix", "grid", [], "Which hedging strategy pays Pyongyang?"),
    ("matrix", "grid", ["--metric", "cost_russia"], "What does each strategy cost Moscow?"),
    ("sensitivity", "sobol", [], "What drives the outcomes?"),
    ("discovery", "grid", ["--outcome", OUTCOME], "How likely is 'DPRK-Russia trade >= $1.00 bn in 2020'?"),
    ("response", "grid", ["--target", "trade_russia_usd@2020>=1e9"], "DPRK-Russia trade in 2020 against"),
    ("trade_by_partner", "run", [], "Who does Pyongyang trade with?"),
    ("patron_costs", "run", [], "What does Pyongyang cost its patrons?"),
    ("dependence", "run", [], "How dependent does Pyongyang stay?"),
]


@pytest.mark.parametrize(("kind", "source", "extra", "words"), KINDS,
                         ids=[f"{k}-{s}-{len(e)}" for k, s, e, _ in KINDS])
def test_every_chart_kind_is_a_slide_png_titled_with_its_question(folders, tmp_path, kind, source,
                                                                   extra, words):
    out = tmp_path / f"{kind}.png"
    result = plot(str(folders[source]), "--kind", kind, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert words in png_title(out)


def test_fan_title_gives_the_median_of_the_runs_in_the_last_year(folders, tmp_path):
    from model.analysis.charts import fmt_value

    runs = runs_of(folders["run"])
    last = runs[runs["year"] == runs["year"].max()]["trade_russia_usd"]
    out = tmp_path / "fan.png"
    assert plot(str(folders["run"]), "--kind", "fan", "--out", str(out)).exit_code == 0
    title = png_title(out)
    assert f"{fmt_value(float(np.median(last)), 'trade_russia_usd')} median in {runs['year'].max()}" in title


def test_matrix_names_the_strategy_with_least_maximum_regret(folders, tmp_path):
    """Recomputed here from the stored runs: policy-year mean payoff per cell, Savage regret."""
    folder = folders["grid"]
    runs = runs_of(folder)
    design = pd.read_parquet(folder / "design.parquet")
    x, y = "russia.trade_subsidy_rate", "sanctions.enforcement_china"
    payoff = (runs[runs["year"] >= 2015].groupby("point")["dprk_payoff"].mean().rename("payoff")
              .reset_index().merge(design, on="point"))
    cell = payoff.groupby(["strategy", x, y])["payoff"].mean().reset_index()
    cell["regret"] = cell.groupby([x, y])["payoff"].transform("max") - cell["payoff"]
    worst = cell.groupby("strategy")["regret"].max()
    robust = worst.idxmin()
    out = tmp_path / "matrix.png"
    assert plot(str(folder), "--kind", "matrix", "--out", str(out)).exit_code == 0
    assert (f"Least worst regret across all 4 settings: {robust.replace('_', ' ')} "
            f"({worst[robust]:.3f}, noise about") in png_title(out)


def test_svg_is_valid_xml_carrying_the_title(folders, tmp_path):
    out = tmp_path / "fan.svg"
    result = plot(str(folders["run"]), "--kind", "fan", "--format", "svg", "--out", str(out))
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    titles = [el.text for el in root.iter() if el.tag.endswith("title") and el.text]
    assert any("DPRK-Russia trade" in t for t in titles)


def test_pdf_has_a_header_a_page_and_the_title(folders, tmp_path):
    out = tmp_path / "chart.pdf"  # --format follows the suffix of --out
    result = plot(str(folders["sobol"]), "--kind", "sensitivity", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) == 1
    assert b"What drives the outcomes?" in data


def test_plot_defaults_to_a_png_in_the_results_folder(folders):
    result = plot(str(folders["grid"]), "--kind", "compare", "--column", "china_share")
    assert result.exit_code == 0, result.output
    written = folders["grid"] / "compare.png"
    assert result.stdout.strip() == str(written)
    assert "China's share of DPRK trade" in png_title(written)


# ------------------------------------------------------------------ brief
@pytest.fixture(scope="module")
def brief(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "subsidy"
    spec = _write(out.parent / "brief.yaml", "title: Can Moscow buy $1 bn of DPRK trade?\n"
                  "fan: [trade_russia_usd, china_share]\n")
    result = CliRunner().invoke(main, ["brief", str(folders["grid"]), str(folders["sobol"]),
                                       "--out", str(out), "--spec", str(spec), "--outcome", OUTCOME])
    assert result.exit_code == 0, result.output
    return out


def test_brief_writes_markdown_html_pdf_and_every_chart_it_links(brief):
    md = (brief / "brief.md").read_text(encoding="utf-8")
    assert md.startswith("# Can Moscow buy $1 bn of DPRK trade?")
    linked = re.findall(r"\]\((charts/[^)]+)\)", md)
    pngs = {p for p in linked if p.endswith(".png")}
    assert {p.replace(".png", ".svg") for p in pngs} <= set(linked)
    names = {Path(p).stem for p in pngs}
    # the grid sweep gives its response chart, four strategy matrices and discovery; the Sobol
    # sweep gives the sensitivity chart and discovery too; no sweep gets a pooled fan
    assert {"response_0", "matrix_payoff_0",
            "matrix_cost_russia_0", "matrix_cost_china_0", "matrix_china_share_0",
            "sensitivity_1", "discovery_0_0", "discovery_0_1"} <= names
    assert not any(n.startswith(("fan_", "compare")) for n in names)
    for p in linked:
        assert (brief / p).is_file(), p
        if p.endswith(".png"):
            assert png_title(brief / p)
        else:
            assert ET.parse(brief / p).getroot().tag.endswith("svg")
    pdf = (brief / "brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= len(pngs) + 1  # a page per chart + text


def test_brief_per_point_table_matches_the_runs_and_pools_nothing(folders, brief):
    """Recomputed from the Parquet: each point's median and 5-95% range of Russia trade in 2020,
    and how many of its replications reach $1 bn."""
    runs = runs_of(folders["grid"])
    table = pd.read_csv(brief / "tables" / "points_0.csv")
    for point, rows in runs[runs["year"] == 2020].groupby("point"):
        v = rows["trade_russia_usd"].to_numpy(dtype=float)
        row = table[table["point"] == point].iloc[0]
        assert row["trade_russia_usd_median"] == pytest.approx(np.quantile(v, 0.5))
        assert row["trade_russia_usd_p05"] == pytest.approx(np.quantile(v, 0.05))
        assert row["target_reached"] == int((v >= 1e9).sum())
    md = (brief / "brief.md").read_text(encoding="utf-8")
    assert "Key figures" not in md, "a sweep's design points are not pooled into key figures"


def test_brief_answer_names_the_smallest_swept_subsidy_reaching_the_target(folders, brief):
    """The bottom line, recomputed: per strategy and enforcement level, the smallest subsidy
    where at least half the replications reach $1 bn in 2020."""
    runs = runs_of(folders["grid"])
    design = pd.read_parquet(folders["grid"] / "design.parquet")
    rows = runs[runs["year"] == 2020].merge(design[["point", "strategy", "russia.trade_subsidy_rate",
                                                    "sanctions.enforcement_china"]], on="point")
    rows["hit"] = rows["trade_russia_usd"] >= 1e9
    share = rows.groupby(["strategy", "sanctions.enforcement_china",
                          "russia.trade_subsidy_rate"])["hit"].mean().reset_index()
    md = (brief / "brief.md").read_text(encoding="utf-8")
    bottom = md.split("## Evidence")[0]
    assert "**Question" in bottom and "**Answer.**" in bottom and "differ from the baseline" in bottom
    for (strategy, enforcement), sub in share.groupby(["strategy", "sanctions.enforcement_china"]):
        ok = sub[sub["hit"] >= 0.5]
        if ok.empty:
            assert f"Under {strategy} (sanctions.enforcement_china {enforcement:g}), no" in bottom
        else:
            value = ok["russia.trade_subsidy_rate"].min()
            assert (f"Under {strategy} (sanctions.enforcement_china {enforcement:g}), "
                    f"russia.trade_subsidy_rate = {value:g} is the smallest") in bottom


def test_run_brief_key_figures_are_numbers_matching_the_runs(folders, tmp_path):
    out = tmp_path / "b"
    result = CliRunner().invoke(main, ["brief", str(folders["run"]), "--out", str(out), "--no-pdf",
                                       "--target", "trade_russia_usd@2020>=1e8"])
    assert result.exit_code == 0, result.output
    runs = runs_of(folders["run"])
    kf = pd.read_csv(out / "tables" / "key_figures.csv")
    assert pd.api.types.is_float_dtype(kf["median"])
    row = kf[(kf["column"] == "trade_russia_usd") & (kf["year"] == 2020)].iloc[0]
    v = runs.loc[runs["year"] == 2020, "trade_russia_usd"].to_numpy(dtype=float)
    assert row["median"] == pytest.approx(np.percentile(v, 50))
    md = (out / "brief.md").read_text(encoding="utf-8")
    assert f"is reached in {int((v >= 1e8).sum())} of {v.size} runs" in md
    page = (out / "brief.html").read_text(encoding="utf-8")
    assert "<figcaption>" not in page, "chart titles are in the images, not repeated"
    assert "_" not in re.sub(r"[^\n]*\.txt[^\n]*", "", "\n".join(
        line for line in md.splitlines() if line.startswith("- [0"))), "sources are citations"


def test_brief_clears_an_earlier_brief_and_refuses_other_folders(folders, tmp_path):
    out = tmp_path / "b"
    args = ["brief", str(folders["run"]), "--out", str(out), "--no-pdf"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (out / "charts" / "stale.png").write_bytes(b"old")
    assert CliRunner().invoke(main, args).exit_code == 0
    assert not (out / "charts" / "stale.png").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["brief", str(folders["run"]), "--out", str(other)])
    assert result.exit_code == 2 and "only an earlier brief" in result.stderr
    assert (other / "notes.txt").exists()


def test_discovery_peels_strategies_as_categories(folders):
    from model.analysis.discovery import discover
    from model.analysis.results import load_results, parse_outcome

    r = load_results(folders["grid"])
    found = discover(r, parse_outcome(OUTCOME, r.runs.columns))
    assert "strategy" in set(found.box["parameter"])
    assert "coverage" in found.note() and "leaves out" in found.note()


def test_brief_discovery_counts_the_yes_runs(folders, brief):
    runs = runs_of(folders["grid"])
    yes = runs.loc[runs["year"] == 2020, "trade_russia_usd"] >= 1e9
    md = (brief / "brief.md").read_text(encoding="utf-8")
    assert f"yes in {int(yes.sum())} of {len(yes)} runs" in md


def test_brief_sobol_table_covers_every_sampled_parameter(brief):
    table = pd.read_csv(brief / "tables" / "sobol_1.csv")
    assert set(table["parameter"]) == {"russia.trade_subsidy_rate", "russia.rivalry"}
    assert (table["samples"] == 8).all()
    finite = table[["first", "total"]].dropna()
    assert not finite.empty and finite.abs().lt(5).all().all()


def test_sobol_intervals_are_the_same_each_time_and_leave_numpys_random_state_alone(folders):
    """The bootstrap intervals were drawn from NumPy's unseeded global state: a brief written
    twice from the same folder gave other intervals."""
    from model.analysis.results import load_results
    from model.analysis.sensitivity import sobol_table

    np.random.seed(1)
    expected_draw = np.random.random()
    np.random.seed(1)
    first = sobol_table(load_results(folders["sobol"]))
    assert np.random.random() == expected_draw  # put back as it was
    again = sobol_table(load_results(folders["sobol"]))
    pd.testing.assert_frame_equal(first, again)
    assert first["total_low"].notna().any()


def test_brief_bottom_line_says_what_drives_a_sobol_sweeps_outcomes(brief):
    md = (brief / "brief.md").read_text(encoding="utf-8")
    table = pd.read_csv(brief / "tables" / "sobol_1.csv")
    answer = next(line for line in md.splitlines()
                  if line.startswith("**Answer.**") and "what drives the outcomes" in line)
    first = (table.dropna(subset=["total"]).sort_values("total", ascending=False).iloc[0])
    # the largest total index of all, with its interval, in the words of the bottom line
    assert (f"{first['parameter']} {first['total']:.2f} [{first['total_low']:.2f}-"
            f"{first['total_high']:.2f}]") in answer
    assert "rough" in answer  # 8 base samples


def test_a_sobol_sample_over_many_parameters_shows_those_that_matter(tmp_path, monkeypatch):
    """A Sobol sample over all the uncertain parameters sweeps about 60: the chart and the
    brief's table show the 8 with the largest total index, say so and what the others come
    to, and the bottom line does not list 60 settings; every index stays in sobol.csv."""
    from model.analysis.results import load_results
    from model.analysis.sensitivity import SHOWN, leading_parameters, sensitivity_chart
    from model.experiments.sweep import run_sweep
    from model.params import REGISTRY

    names = [n for n, p in REGISTRY.items() if not p.timeline and not p.integer
             and p.low is not None and p.low < p.high and n != "firms.count"][:11]
    ranges = "\n".join(f"    {n}: null" for n in names)
    exp = _write(tmp_path / "many.yaml", f"""name: many
scenario: {ROOT / 'scenarios' / 'baseline.yaml'}
replications: 1
seed: 4
counterfactual_history: true
sample:
  method: sobol
  n: 8
  ranges:
{ranges}
""")
    folder = run_sweep(exp, tmp_path / "out", executor="serial").folder
    out = tmp_path / "brief"
    result = CliRunner().invoke(main, ["brief", str(folder), "--out", str(out), "--no-pdf",
                                       "--target", "trade_russia_usd@2020>=2e8"])
    assert result.exit_code == 0, result.output
    # scenario discovery over the 11: every limit in the table's file, at most 8 in the brief
    limits = pd.read_csv(out / "tables" / "discovery_0.csv")
    assert set(limits["parameter"]) == set(names)
    assert (out / "charts" / "discovery_0.png").is_file()
    table = pd.read_csv(out / "tables" / "sobol.csv")
    assert set(table["parameter"]) == set(names)  # every index in the table
    shown, left_max = leading_parameters(table)
    best = table.groupby("parameter")["total"].max()
    assert len(shown) == SHOWN and best[shown].min() >= left_max == best.drop(shown).max()
    md = (out / "brief.md").read_text(encoding="utf-8")
    assert f"The table shows the {SHOWN} of {len(names)} parameters" in md
    assert f"swept: {len(names)} parameters" in md and f"swept: {names[-1]}" not in md
    evidence = md[md.index("## What drives the outcomes?"):]
    sobol_part = evidence[:evidence.index("## Where is")]
    listed = {n for n in names if f"| {n} |" in sobol_part}
    assert listed == set(shown)
    box_part = evidence[evidence.index("## Where is"):]
    assert 0 < sum(f"| {n} |" in box_part for n in names) <= SHOWN
    # the chart: the same parameters as y labels, and the note on the others
    import matplotlib.pyplot as plt

    seen = {}
    real_save = plt.Figure.savefig

    def grab(fig, *args, **kwargs):
        seen["labels"] = [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]
        seen["texts"] = [t.get_text() for t in fig.texts]
        return real_save(fig, *args, **kwargs)

    monkeypatch.setattr(plt.Figure, "savefig", grab)
    sensitivity_chart(load_results(folder), tmp_path / "s.png", table=table)
    assert seen["labels"] == shown
    assert any(f"the other {len(names) - SHOWN}: at most {left_max:.2f}" in t
               for t in seen["texts"])


def test_a_box_on_many_settings_shows_the_limits_that_cut_most():
    from model.analysis.discovery import SHOWN, Discovery

    k = 12  # restricted settings, each cutting its range by k percent; and 3 left whole
    box = pd.DataFrame(
        [{"parameter": f"p{i}", "kind": "numeric", "low": i / 100, "high": 1.0, "full_low": 0.0,
          "full_high": 1.0, "values": "", "all_values": "", "restricted": True}
         for i in range(1, k + 1)]
        + [{"parameter": f"q{i}", "kind": "numeric", "low": 0.0, "high": 1.0, "full_low": 0.0,
            "full_high": 1.0, "values": "", "all_values": "", "restricted": False}
           for i in range(3)])
    trajectory = pd.DataFrame({"coverage": [1.0, 0.6], "density": [0.3, 0.9], "mass": [1, .2]})
    d = Discovery(None, 100, 30, trajectory, 1, box)
    rows, left_out = d.shown_rows()
    assert list(rows["parameter"]) == [f"p{i}" for i in range(k, k - SHOWN, -1)]
    assert left_out == k - SHOWN
    assert d.short() == f"in a box on {k} of {k + 3} swept settings (right)"
    assert "all of them in tables/d.csv" in d.note("tables/d.csv")


def test_a_box_that_restricts_nothing_shows_the_whole_space():
    from model.analysis.discovery import SHOWN, Discovery

    box = pd.DataFrame([{"parameter": f"p{i}", "kind": "numeric", "low": 0.0, "high": 1.0,
                         "full_low": 0.0, "full_high": 1.0, "values": "", "all_values": "",
                         "restricted": False} for i in range(12)])
    trajectory = pd.DataFrame({"coverage": [1.0], "density": [1.0], "mass": [1.0]})
    rows, left_out = Discovery(None, 100, 100, trajectory, 0, box).shown_rows()
    assert len(rows) == SHOWN and left_out == 0 and not rows["restricted"].any()


def test_the_response_chart_draws_a_grid_lever_crossed_with_a_sample_not_a_sampled_one(
        tmp_path):
    """A lever on a grid (vary:) crossed with an uncertainty sample is drawn, averaged over the
    sample; a sampled parameter, which no two points share, is refused in one line."""
    from model.analysis.response import response_chart
    from model.analysis.results import load_results
    from model.errors import HedgesimError
    from model.experiments.sweep import run_sweep

    (tmp_path / "short.yaml").write_text(
        f"name: short\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nhorizon: 2021\n")
    exp = _write(tmp_path / "crossed.yaml", """name: crossed
scenario: short.yaml
replications: 1
seed: 2
vary:
  levers.russia.trade_subsidy_rate: [0.0, 0.2, 0.4]
sample:
  method: lhs
  n: 4
  ranges: {russia.rivalry: null, china.rivalry: null}
""")
    results = load_results(run_sweep(exp, tmp_path / "out", executor="serial").folder)
    drawn = response_chart(results, "trade_russia_usd", tmp_path / "r.png", year=2020)
    assert drawn.is_file()
    with pytest.raises(HedgesimError, match="russia.rivalry is sampled"):
        response_chart(results, "trade_russia_usd", tmp_path / "s.png", year=2020,
                       lever="russia.rivalry")


def test_a_title_too_long_for_the_slide_is_cut_not_an_error(tmp_path):
    """A chart whose title names many settings (a box on 22 of 60 parameters) failed with
    'bottom cannot be >= top': a title is cut to four lines."""
    from model.figures import TITLE_LINES, new_figure, save

    fig, _ = new_figure("A very long question " * 40, "provenance")
    shown = fig._suptitle.get_text()
    assert shown.count("\n") + 1 == TITLE_LINES and shown.endswith("...")
    save(fig, tmp_path / "long.png")
    assert (tmp_path / "long.png").is_file()


def test_brief_html_is_self_contained_with_sources_and_provenance(folders, brief):
    from model.experiments.store import read_manifest

    page = (brief / "brief.html").read_text(encoding="utf-8")
    sources = re.findall(r"src=\"([^\"]+)\"", page)
    assert sources, "charts are embedded"
    for src in sources:
        assert src.startswith("data:image/png;base64,"), "no file or network references"
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
            assert im.size == (1920, 1080)
    assert "<link" not in page and "<script" not in page
    md = (brief / "brief.md").read_text(encoding="utf-8")
    for text in (page, md):
        assert "Sources behind the calibration" in text and "Provenance" in text
        for outlet in ("Asia News Network", "Al Jazeera", "Carnegie", "JoongAng", "Lowy"):
            assert outlet in text
        for name in ("grid", "sobol"):
            assert read_manifest(folders[name])["code_version"] in text
            assert str(folders[name]) in text


# ------------------------------------------------------------------ errors
ERRORS = {  # args (with {run}, {grid}, {sobol} filled in), words the one line must carry
    "missing folder": (["plot", "no/such/folder"], "not found"),
    "unknown kind": (["plot", "{run}", "--kind", "fann"], "did you mean 'fan'"),
    "unknown format": (["plot", "{run}", "--format", "gif"], "png, svg, pdf"),
    "malformed outcome": (["plot", "{grid}", "--kind", "discovery", "--outcome", "russia trade big"],
                          "expected column@year >= number"),
    "unknown outcome column": (["plot", "{grid}", "--kind", "discovery", "--outcome", "trade_rusia_usd@2020 >= 1"],
                               "did you mean"),
    "old outcome name": (["plot", "{grid}", "--kind", "discovery", "--outcome", "russia_trade_2020 >= 1e9"],
                         "write 'trade_russia_usd@2020 >= 1e9'"),
    "year outside the runs": (["plot", "{run}", "--kind", "fan", "--year", "2050"], "--year"),
    "response of a run": (["plot", "{run}", "--kind", "response"], "sweep that varies a lever"),
    "matrix of a run": (["plot", "{run}", "--kind", "matrix"], "sweep over two or more strategies"),
    # a line through a sample joins points that differ in every sampled setting: refused
    "response of a sample": (["plot", "{sobol}", "--kind", "response"],
                             "expected a lever set on a grid (vary:) for the response chart"),
    "sensitivity of a grid": (["plot", "{grid}", "--kind", "sensitivity"], "Sobol sample"),
    "discovery of a run": (["plot", "{run}", "--kind", "discovery"], "varies at least one parameter"),
    "standard chart of a sweep": (["plot", "{grid}", "--kind", "dependence"], "not a sweep"),
    "unknown column": (["plot", "{run}", "--column", "russia_trade"], "expected an output column"),
    "brief of a missing folder": (["brief", "nowhere", "--out", "{tmp}"], "not found"),
    "brief with a bad outcome": (["brief", "{grid}", "--out", "{tmp}", "--outcome", ">= 1e9"],
                                 "expected column@year >= number"),
    "brief with a missing spec": (["brief", "{grid}", "--out", "{tmp}", "--spec", "{tmp}/none.yaml"],
                                  "readable brief file"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_bad_input_is_one_line_and_exit_2(folders, tmp_path, case):
    args, words = ERRORS[case]
    fill = {k: str(v) for k, v in folders.items()} | {"tmp": str(tmp_path / "b")}
    result = CliRunner().invoke(main, [a.format(**fill) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hedgesim: error: "), result.stderr
    assert words in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("cmd", ["plot", "brief"])
def test_help_has_an_example(cmd):
    result = CliRunner().invoke(main, [cmd, "--help"])
    assert result.exit_code == 0 and "Example" in result.output and f"hedgesim {cmd}" in result.output


def test_out_without_suffix_is_a_folder_for_the_chart(folders, tmp_path):
    result = plot(str(folders["run"]), "--kind", "dependence", "--format", "svg",
                  "--out", str(tmp_path / "charts"))
    assert result.exit_code == 0, result.output
    assert ET.parse(tmp_path / "charts" / "dependence.svg").getroot().tag.endswith("svg")


@pytest.mark.parametrize("year", [2020, 2035])
def test_marker_labels_stay_in_the_axes_and_off_the_year_asked(tmp_path, monkeypatch, year):
    """'scenario settings start' never runs across the year asked's line or out of its panel
    (in the narrow China panel it ran over 2035's), and the year's own label stays inside."""
    from model.analysis import charts
    from model.runner import run_scenario
    from model.scenario import load

    frame = run_scenario(load("baseline").with_values(replications=2)).frame()
    figures = []
    monkeypatch.setattr(charts, "save", lambda fig, path: figures.append(fig) or path)
    charts.standard_charts(frame, "provenance", 2015, tmp_path, year=year)
    checked = 0
    for fig in figures:
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            gid = {a.get_gid(): a for a in (*ax.lines, *ax.texts) if a.get_gid()}
            box = ax.get_window_extent(renderer)
            asked = ax.transData.transform((year, 0))[0]
            policy = gid["hs-policy-label"].get_window_extent(renderer)
            own = gid["hs-year-label"].get_window_extent(renderer)
            assert box.x0 <= policy.x0 and policy.x1 <= box.x1
            assert box.x0 <= own.x0 and own.x1 <= box.x1
            assert not policy.x0 < asked < policy.x1  # the label does not cross the line
            checked += 1
    assert checked == 6


def test_a_dense_response_line_marks_a_dozen_settings_a_sparse_one_each(folders, tmp_path,
                                                                       monkeypatch):
    """Markers name a response line in greyscale: every swept setting while there are few; past
    MARKED_SETTINGS about a dozen, or a long sweep's markers merge into one thick band."""
    from model.analysis import response
    from model.analysis.results import load_results
    from model.experiments.sweep import run_sweep

    exp = _write(tmp_path / "dense.yaml", f"""name: dense
scenario: {folders["grid"].parents[2] / "experiments" / "short.yaml"}
replications: 1
seed: 3
vary:
  levers.russia.trade_subsidy_rate: {{from: 0.0, to: 0.4, n: 60}}
""")
    dense = run_sweep(exp, tmp_path / "out", executor="serial").folder
    figures = []
    monkeypatch.setattr(response, "save", lambda fig, path: figures.append(fig) or path)
    marked = []
    for folder in (dense, folders["grid"]):
        response.response_chart(load_results(folder), "trade_russia_usd", tmp_path / "r.png")
        lines = [ln for ln in figures[-1].axes[0].lines if ln.get_marker() not in ("None", None, "")]
        assert lines
        marked.append([len(ln.get_xdata()[::ln.get_markevery()]) for ln in lines])
    assert all(10 <= n <= 13 for n in marked[0]), marked  # 60 settings, a dozen marks
    assert marked[1] == [2] * len(marked[1])  # the grid's two subsidy settings, both marked
