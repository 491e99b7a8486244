import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def baseline():
    from model.scenario import load

    return load(ROOT / "scenarios" / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline_run(baseline):
    from model.runner import run_scenario

    return run_scenario(baseline.with_values(replications=4))
