import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def hedgesim_probed(said: str, *args, before: str = "") -> subprocess.CompletedProcess:
    """``hedgesim ARGS`` as the console script runs it (``cli.entry``), in a fresh interpreter
    in the checkout, printing ``said`` (what a ``print`` call is given) as its last line at
    exit; ``before`` runs first, after ``import sys, cli``."""
    code = f"import atexit, sys, cli; {before}atexit.register(lambda: print({said})); cli.entry()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def baseline():
    from model.scenario import load

    return load(ROOT / "scenarios" / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline_run(baseline):
    from model.runner import run_scenario

    return run_scenario(baseline.with_values(replications=4))
