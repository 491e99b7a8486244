"""Fuzz scenario and experiment files through the CLI: every file is either valid (exit 0, "ok")
or refused in exactly one line with exit status 2, never a traceback, in bounded time.

The files are built from the real key names (top-level keys, registry groups and names,
strategies, shocks, experiment, sample and range keys) with random types and values, so
most examples get past the first check and into the deeper ones; some are then mutated as
text to reach the YAML parser's errors. ``HEDGESIM_FUZZ_EXAMPLES`` raises the example count
for a longer local campaign.
"""

from __future__ import annotations

import os
import resource
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from model.experiments.design import EXPERIMENT_KEYS, METHODS, RANGE_KEYS, SAMPLE_KEYS
from model.params import PATRONS, REGISTRY
from model.scenario import SCENARIO_DIR, SHOCKS, TOP_KEYS
from model.strategies import STRATEGIES

EXAMPLES = int(os.environ.get("HEDGESIM_FUZZ_EXAMPLES", "60"))
SHOCK_FIELDS = sorted({k for spec in SHOCKS.values() for k in spec} | {"type"})
GROUPS = sorted({n.split(".")[0] for n in REGISTRY})
LEAVES = sorted({n.split(".", 1)[1] for n in REGISTRY})
NAMES = sorted({*TOP_KEYS, *EXPERIMENT_KEYS, *SAMPLE_KEYS, *RANGE_KEYS, *SHOCK_FIELDS, *STRATEGIES,
                *SHOCKS, *PATRONS, *METHODS, *GROUPS, "scenario", "scenarios"})

def mostly(valid: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """``valid`` nine times in ten, else ``other``: most files pass the first checks and reach
    the deeper ones (a plain one_of is drawn about evenly)."""
    return st.integers(0, 9).flatmap(lambda i: other if i == 9 else valid)  # 0 is drawn most


numbers = st.one_of(
    st.sampled_from([0, 1, 2, 0.0, 0.25, 0.5, 0.9, 1.5, -1, 1988, 2014, 2015, 2016, 2020, 2035,
                     2100, 2101, 1e9, 2.5e8, 1e-320, 1e308, 2**63, 10**39]),
    st.integers(-5, 3000),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12),
                    st.sampled_from(NAMES), st.sampled_from(sorted(REGISTRY)))
keys = st.one_of(st.sampled_from(NAMES), st.sampled_from(LEAVES), st.integers(1985, 2105),
                 st.text(max_size=8), st.booleans(), st.none())
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=12)
fraction = st.sampled_from([0, 0.1, 0.3, 0.5, 0.9, 1e8])
timeline = mostly(fraction | st.dictionaries(st.sampled_from([1988, 2010, 2015, 2016, 2101]),
                                             fraction, min_size=1, max_size=3), anything)
settings_tree = mostly(
    st.dictionaries(st.sampled_from(GROUPS),
                    mostly(st.dictionaries(st.sampled_from(LEAVES), timeline, max_size=3),
                           anything), max_size=3),
    st.dictionaries(keys, anything, max_size=3))
strategy = mostly(st.sampled_from(sorted(STRATEGIES))
                  | st.dictionaries(st.sampled_from([2014, 2015, 2016]),
                                    mostly(st.sampled_from(sorted(STRATEGIES)), anything),
                                    min_size=1, max_size=2), anything)
shock = mostly(st.fixed_dictionaries(
    {"type": mostly(st.sampled_from(sorted(SHOCKS)), anything)},
    optional={k: mostly(st.sampled_from([2016, 2020, 0.3, 40, *PATRONS]), anything)
              for k in SHOCK_FIELDS if k != "type"}), anything)
small_range = st.fixed_dictionaries(
    {"from": mostly(st.sampled_from([0, 0.1]), anything),
     "to": mostly(st.sampled_from([0.4, 0.9, 0.05]), anything)},
    optional={"step": mostly(st.sampled_from([0.1, 0.3, 1e-320, 0, -1]), anything),
              "n": mostly(st.sampled_from([1, 2, 3, 0, 20000]), anything),
              "bogus": anything})
levers = sorted(n for n, p in REGISTRY.items() if p.kind == "lever")
vary = st.dictionaries(
    mostly(st.sampled_from(["strategy", *levers[:20], *[f"levers.{n}" for n in levers[:3]],
                            "parameters.russia.rivalry", "russia.rivalry"]), keys),
    mostly(st.lists(st.sampled_from(sorted(STRATEGIES)) | fraction, min_size=1, max_size=3)
           | small_range | fraction, anything),
    max_size=3)
sample = mostly(st.fixed_dictionaries(
    {"method": mostly(st.sampled_from(METHODS), anything),
     "n": mostly(st.sampled_from([1, 2, 4, 8, 3, 2**20]), anything),
     "ranges": mostly(st.dictionaries(st.sampled_from(sorted(REGISTRY)),
                                      mostly(st.none() | st.lists(fraction, min_size=2, max_size=2),
                                             anything), min_size=1, max_size=3), anything)}),
    anything)
experiment = mostly(st.fixed_dictionaries({}, optional={
    "vary": vary, "sample": sample,
    "replications": mostly(st.sampled_from([1, 2]), anything),
    "seed": mostly(st.integers(0, 2**63 - 1), anything),
    "name": mostly(st.sampled_from(["sweep", "s-1"]), anything),
    "counterfactual_history": mostly(st.booleans(), anything)}), anything)
scenario = st.fixed_dictionaries({}, optional={
    "name": mostly(st.sampled_from(["fuzz", "a-b_c"]), st.text(max_size=10) | anything),
    "description": mostly(st.text(max_size=20), anything),
    "horizon": mostly(st.sampled_from([2015, 2016, 2017]), anything),
    "policy_start": mostly(st.sampled_from([1989, 2010, 2015, 2016]), anything),
    "replications": mostly(st.sampled_from([1, 2]), anything),
    "seed": mostly(st.integers(0, 2**63 - 1), anything),
    "strategy": strategy,
    "levers": settings_tree, "parameters": settings_tree,
    "shocks": mostly(st.lists(shock, max_size=3), anything),
    "experiment": experiment,
    "counterfactual_history": mostly(st.booleans(), anything),
}).flatmap(lambda doc: st.integers(0, 9).flatmap(lambda i: st.just(doc) if i < 8 else st.just(
    {**doc, "extends": "/"} if i == 8 else {**doc, "unknown": None})))


@st.composite
def files(draw) -> str:
    """YAML text: a generated scenario, sometimes with a few characters changed."""
    doc = draw(scenario)
    text = yaml.safe_dump(doc, sort_keys=False)
    if draw(st.integers(0, 9)) == 9 and text:
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 3))
            text = text[:at] + draw(st.sampled_from(["[", "]", "{", ": ", "&a ", "*a", "\n  ", "- ",
                                                     "'", '"', "!!int ", "? ", "<<: *a\n", "\t"])) \
                + text[at + cut:]
    return text


BASE = str(SCENARIO_DIR / "baseline.yaml")
experiment_file = experiment.flatmap(lambda spec: st.integers(0, 9).flatmap(lambda i: st.just(
    {"scenario": BASE, **spec} if i < 7 else
    {"scenarios": [BASE, BASE] if i == 7 else [BASE, "nowhere.yaml"], **spec} if i < 9 else
    {"scenario": BASE, "scenarios": [BASE], "experiment": spec}))
    if isinstance(spec, dict) else st.just({"scenario": BASE, "experiment": spec}))


@st.composite
def experiment_files(draw) -> str:
    return yaml.safe_dump(draw(experiment_file), sort_keys=False)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check(text: str) -> None:
    """Valid (exit 0, "ok: ...") or one line on stderr with exit 2; no traceback, bounded memory."""
    before = _peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception, text)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hedgesim: error: "), (result.stderr, text)
        assert "fuzz.yaml" in lines[0] and len(lines[0]) < 800, lines[0]
        assert result.stdout == ""
    else:
        assert result.stdout.startswith("ok: "), (result.output, text)
    assert _peak_rss_mb() - before < 200, text


FUZZ = settings(max_examples=EXAMPLES, deadline=3000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(text=files())
def test_fuzzed_scenario_files_are_valid_or_one_line(text):
    _check(text)


@FUZZ
@given(text=experiment_files())
def test_fuzzed_experiment_files_are_valid_or_one_line(text):
    _check(text)
