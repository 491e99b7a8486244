"""Every bad-input case gives one line naming file, field and expectation, exit 2."""

import json
import textwrap

import pytest
from click.testing import CliRunner

from cli import main


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def run_cli(*args):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    out = result.output.strip()
    assert len(out.splitlines()) == 1, out
    assert "Traceback" not in out
    for n in needles:
        assert n in out, (n, out)


CASES = {
    "unknown_top_key": ("name: x\nhorizn: 2030\n", ["horizn", "did you mean 'horizon'"]),
    "unknown_lever": ("name: x\nlevers:\n  russia:\n    trade_subsidy: 0.3\n",
                      ["levers.russia.trade_subsidy", "did you mean 'trade_subsidy_rate'"]),
    "wrong_type": ("name: x\nhorizon: soon\n", ["horizon", "expected a year"]),
    "out_of_range": ("name: x\nlevers:\n  russia:\n    trade_subsidy_rate: 1.5\n",
                     ["levers.russia.trade_subsidy_rate", "out of range", "0 to 0.6"]),
    "lever_in_parameters": ("name: x\nparameters:\n  russia:\n    aid_usd: 1e8\n",
                            ["parameters.russia.aid_usd", "set it under levers"]),
    "bad_strategy": ("name: x\nstrategy: equidistant\n", ["strategy", "did you mean 'equidistance'"]),
    "bad_shock": ("name: x\nshocks:\n  - {type: nuclear, year: 2016}\n",
                  ["shocks[0].type", "did you mean 'nuclear_test'"]),
    "shock_missing_field": ("name: x\nshocks:\n  - {type: oil_price, year: 2016}\n",
                            ["shocks[0].usd_per_bbl", "missing"]),
    "timeline_year_out_of_range": ("name: x\nlevers:\n  china:\n    aid_usd: {1900: 1e8}\n",
                                   ["levers.china.aid_usd.1900", "year"]),
    "bad_yaml": ("name: x\nlevers: [\n", ["invalid YAML"]),
    "not_a_mapping": ("- just\n- a list\n", ["expected a mapping"]),
    "empty_file": ("", ["expected a mapping", "empty"]),
    "missing_extends": ("name: x\nextends: nowhere.yaml\n", ["extends", "nowhere.yaml"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_one_line_error(tmp_path, case):
    text, needles = CASES[case]
    p = write(tmp_path, f"{case}.yaml", text)
    for cmd in ("validate", "run"):
        args = [cmd, str(p)] + (["--out", str(tmp_path / "out")] if cmd == "run" else [])
        result = run_cli(*args)
        assert_one_line_error(result, f"{case}.yaml", *needles)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))


def test_extends_cycle(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    result = run_cli("validate", str(tmp_path / "a.yaml"))
    assert_one_line_error(result, "extends", "cycle", "a.yaml -> b.yaml -> a.yaml")


def test_missing_file():
    result = run_cli("run", "no/such/scenario.yaml")
    assert_one_line_error(result, "no/such/scenario.yaml", "not found")


def test_error_in_parent_names_the_parent(tmp_path):
    write(tmp_path, "parent.yaml", "name: p\nlevers:\n  china:\n    aid_usd: -5\n")
    write(tmp_path, "child.yaml", "name: c\nextends: parent.yaml\n")
    result = run_cli("validate", str(tmp_path / "child.yaml"))
    assert_one_line_error(result, "parent.yaml", "levers.china.aid_usd")


def test_extends_merges_parent_settings(tmp_path):
    from model.scenario import load

    write(tmp_path, "parent.yaml", "name: p\nlevers:\n  china:\n    aid_usd: 1e8\n    credit_usd: 2e8\n")
    write(tmp_path, "child.yaml", "name: c\nextends: parent\nlevers:\n  china:\n    aid_usd: 3e8\n")
    sc = load(tmp_path / "child.yaml")
    assert sc.name == "c"
    assert sc.values["china.aid_usd"] == 3e8 and sc.values["china.credit_usd"] == 2e8


def test_schema_is_valid_json_schema_and_accepts_shipped():
    import jsonschema

    from model.scenario import parse_yaml, shipped

    result = run_cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for p in shipped():
        # JSON has string keys only: timelines' year keys arrive as "2016".
        data = json.loads(json.dumps(parse_yaml(p.read_text())))
        errors = [e.message for e in v.iter_errors(data)]
        assert not errors, (p.name, errors)
    bad = {"name": "x", "levers": {"russia": {"trade_subsidy": 0.3}}}
    assert list(v.iter_errors(bad))


@pytest.mark.parametrize("args, needle", [
    (["run", "baseline", "-n", "0"], "--replications"),
    (["run"], "SCENARIO"),
    (["runn"], "No such command"),
    (["calibrate", "--budget", "5"], "--budget"),
])
def test_option_errors_are_one_line_too(args, needle):
    assert_one_line_error(run_cli(*args), needle)


def test_unknown_brief_spec_key_is_named(tmp_path):
    spec = tmp_path / "brief.yaml"
    spec.write_text("title: x\noutcome: ['russia_trade_2020 >= 1e9']\n")
    from model.analysis.brief import load_spec
    from model.errors import HedgesimError

    with pytest.raises(HedgesimError, match="outcome.*did you mean 'outcomes'"):
        load_spec(spec)


@pytest.mark.parametrize("section, key, hint", [
    ("levers", "sanctions:\n    un_coal: 1", "sanctions.un_export_ban_coal"),
    ("levers", "sanctions:\n    un_transit: 1", "project's fees"),
    ("parameters", "dprk:\n    capacity_transit_usd: 1e8", "project's fees"),
])
def test_settings_renamed_since_an_earlier_release_say_what_replaced_them(tmp_path, section, key, hint):
    write(tmp_path, "old.yaml", f"name: old\n{section}:\n  {key}\n")
    assert_one_line_error(run_cli("validate", str(tmp_path / "old.yaml")), "old.yaml", hint)
