"""Every how-to guide's ```bash blocks run, so the guides cannot rot.

Each guide in docs/how-to/ runs as one bash script (its ```bash blocks in
order, ``set -euo pipefail``) inside a scratch copy of the checkout
(cli.py, model/, scenarios/, docs/), with a ``hedgesim`` shim on PATH that
runs the copy's cli.py under this interpreter (and a ``python`` shim for this
interpreter, standing in for the reader's activated venv): no installation needed, and nothing a
guide writes (results, a calibration) reaches the real checkout. Blocks
fenced as ```text, ```yaml etc. are shown to readers but not run.

A guide that needs a command that does not exist yet declares it:

    <!-- howto: requires sweep, calibrate -->

and is skipped while ``hedgesim --help`` does not list that command, so it
starts being tested the day the command lands.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = sorted((ROOT / "docs" / "how-to").glob("*.md"))
TIMEOUT_SECONDS = 600
_FENCE = re.compile(r"^```bash[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_REQUIRES = re.compile(r"<!--\s*howto:\s*requires\s+([\w\s,-]+?)\s*-->")


def bash_blocks(markdown: str) -> list[str]:
    """The bodies of the ```bash blocks, in order."""
    return [m.group(1) for m in _FENCE.finditer(markdown)]


def required_commands(markdown: str) -> set[str]:
    return {c for m in _REQUIRES.finditer(markdown) for c in re.split(r"[\s,]+", m.group(1)) if c}


def cli_commands() -> set[str]:
    """Subcommands listed by ``hedgesim --help``."""
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--help"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60, check=True).stdout
    section = out.split("Commands:", 1)[1] if "Commands:" in out else ""
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()}


def scratch_checkout(dest: Path) -> Path:
    """A throwaway copy of what the guides touch, plus a ``bin/hedgesim`` shim."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.tmp", "calibrated.yaml.tmp*")
    for name in ("model", "scenarios", "docs"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("cli.py", "hedgesim.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    (dest / "results").mkdir()
    bindir = dest / "bin"
    bindir.mkdir()
    for name, target in (("hedgesim", f'"{sys.executable}" "{dest / "cli.py"}"'),
                         ("python", f'"{sys.executable}"')):
        shim = bindir / name
        shim.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bindir


def run_guide(markdown: str, workdir: Path) -> subprocess.CompletedProcess:
    bindir = scratch_checkout(workdir)
    script = "set -euo pipefail\n" + "\n".join(bash_blocks(markdown))
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
           "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_SECONDS)


def test_there_are_guides_and_each_has_a_bash_block():
    assert GUIDES, "docs/how-to/ has no guides"
    for guide in GUIDES:
        assert bash_blocks(guide.read_text()), f"{guide.name} has no ```bash block to test"


def test_harness_runs_only_bash_blocks_and_reads_requirements():
    text = ("<!-- howto: requires sweep, brief -->\n```bash\necho one\n```\n"
            "```text\nhedgesim sweep X --executor dask\n```\n```bash\necho two\n```\n")
    assert bash_blocks(text) == ["echo one\n", "echo two\n"]
    assert required_commands(text) == {"sweep", "brief"}


def test_harness_fails_a_guide_whose_command_fails(tmp_path):
    result = run_guide("```bash\nhedgesim validate no_such_file.yaml\n```\n", tmp_path)
    assert result.returncode != 0


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_commands_run(guide, tmp_path):
    text = guide.read_text()
    missing = required_commands(text) - cli_commands()
    if missing:
        pytest.skip(f"{guide.name} needs `hedgesim {', '.join(sorted(missing))}` (not yet there)")
    result = run_guide(text, tmp_path)
    assert result.returncode == 0, (f"{guide.name} failed (exit {result.returncode})\n"
                                    f"--- stdout\n{result.stdout[-3000:]}\n"
                                    f"--- stderr\n{result.stderr[-3000:]}")


def test_command_detection_sees_existing_commands():
    assert {"run", "validate", "schema", "list", "docs"} <= cli_commands()
