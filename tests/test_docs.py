"""The reference docs are generated from the code and must match what is committed."""

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli import main
from model import docsgen
from model.params import REGISTRY
from model.sources import SEEDS
from model.world import OUTPUTS

ROOT = docsgen.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_committed_docs_match_what_the_code_generates():
    stale = docsgen.stale(DOCS)
    assert not stale, ("docs are stale, run `hedgesim docs` and commit: "
                       + ", ".join(str(p.relative_to(ROOT)) for p in stale))


def test_every_registry_parameter_appears_in_the_parameter_reference():
    text = docsgen.parameters_md()
    for name in REGISTRY:
        assert f"`{name.rsplit('.', 1)[1]}`" in text
    scenario = docsgen.scenario_file_md()
    for name in REGISTRY:
        assert f"`{name}`" in scenario, name


def test_every_output_column_has_a_meaning_and_a_unit():
    from model.common import UNIT_KINDS
    from model.outputs import OUTPUT

    assert tuple(OUTPUT) == OUTPUTS  # the registry, in row order
    for column in OUTPUTS:
        out = OUTPUT[column]
        assert out.meaning and out.unit and out.label, f"output {column} is not fully declared"
        assert out.kind in UNIT_KINDS, column
        assert docsgen.output_meaning(column) == out.meaning and docsgen._unit(column) == out.unit
    from model.calibration.targets import OUTPUT_COLUMNS

    assert OUTPUT_COLUMNS <= set(OUTPUTS), "targets name columns the registry does not declare"


def test_check_names_the_stale_file_and_exits_1(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["docs", "--out", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["docs", "--check", "--out", str(tmp_path)]).exit_code == 0
    page = tmp_path / "reference" / "outputs.md"
    page.write_text(page.read_text() + "hand edit\n")
    result = runner.invoke(main, ["docs", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "outputs.md" in lines[0] and "parameters.md" not in lines[0]


def test_generated_blocks_in_hand_written_pages_are_refreshed(tmp_path):
    page = tmp_path / "ODD.md"
    page.write_text("intro\n<!-- BEGIN GENERATED: fit-targets -->\nold\n"
                    "<!-- END GENERATED: fit-targets -->\nmore prose\n")
    assert page in docsgen.stale(tmp_path)
    docsgen.write(tmp_path)
    text = page.read_text()
    assert "\nold\n" not in text and "china_trade_2014" in text
    assert text.startswith("intro\n") and text.endswith("more prose\n")
    assert not docsgen.stale(tmp_path)


def test_unknown_generated_block_is_an_error(tmp_path):
    (tmp_path / "x.md").write_text("<!-- BEGIN GENERATED: nope -->\n<!-- END GENERATED: nope -->\n")
    with pytest.raises(KeyError, match="nope"):
        docsgen.render(tmp_path)


def test_odd_has_generated_blocks_and_links_to_the_reference():
    odd = (DOCS / "ODD.md").read_text()
    assert "<!-- BEGIN GENERATED: free-parameters -->" in odd
    assert "<!-- BEGIN GENERATED: fit-targets -->" in odd
    assert "reference/parameters.md" in odd


def test_docs_check_runs_from_the_command_line():
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "docs", "--check"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def test_seed_citations_in_the_docs_name_the_right_outlet_and_year():
    """`seed 002 (Carnegie Moscow Center, 2015)`: outlet and year must match model/sources.py."""
    pages = [p for p in DOCS.rglob("*.md") if "reference" not in p.parts]
    found = 0
    for page in pages:
        text = " ".join(page.read_text().split())
        for key, outlet, year in re.findall(r"seed (\d{3}) \(([^,()]+), (\d{4})\)", text):
            found += 1
            seed = SEEDS[key]
            assert (outlet, int(year)) == (seed.outlet, seed.year), f"{page.name}: seed {key}"
    assert found
