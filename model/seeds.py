"""The seed rule of a run, importable without the model.

:func:`run_seed` is also :func:`model.runner.run_seed` (the runner imports it): a sweep's driver
needs seeds to hand out tasks but never runs the model, and ``model.runner`` imports the model
(Mesa, and through it SciPy, NetworkX and pandas: about half a second). Only the workers import
that.
"""

from __future__ import annotations

import numpy as np


def run_seed(base_seed: int, *identity: int) -> int:
    """A 63-bit seed for the run identified by ``identity`` under ``base_seed``."""
    ss = np.random.SeedSequence([int(base_seed), *map(int, identity)])
    return int(ss.generate_state(2, np.uint64)[0] >> np.uint64(1))
