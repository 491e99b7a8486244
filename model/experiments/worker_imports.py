"""What the local executor's worker server imports before it forks any worker: the model,
with only the parts of Mesa the model uses.

The model needs two things from Mesa: ``mesa.Model`` (the World) and ``mesa.Agent`` (the
three states). ``import mesa`` runs Mesa's package ``__init__``, which also imports its batch
runner and data collector (pandas), its spaces (SciPy's spatial module, NetworkX) and, in
Mesa 3.5, its experimental package's spaces too. In the worker server that took 0.5-0.6 s of
the 1.0-1.2 s it spends importing, and every local sweep's first result waits on it: the
server starts with the command (:func:`model.experiments.executors.prestart`), and is the
critical path of a small sweep.

:func:`import_mesa_core` imports ``mesa.model`` and ``mesa.agent`` without running the
package's ``__init__`` (nor, in Mesa 3.5, that of ``mesa.experimental``, which
``mesa.model`` imports from): the package's module is made from its spec, not executed, and
``Model`` and ``Agent`` are set on it. The classes are Mesa's own, so a worker's World is a
``mesa.Model`` and its runs are the same to the bit (``tests/test_sweep.py`` compares the
executors). Other submodules still import as usual (``import mesa.space``); attributes the
package's ``__init__`` would have set (``mesa.batch_run``) are missing, which the model never
uses. It runs first, while little else is loaded: Mesa's module loggers walk the call stack
(``inspect.stack``), which looks at every loaded module. Where it fails (a Mesa whose ``mesa.model`` needs its package initialised), everything
of Mesa it imported is forgotten and the next ``import mesa`` imports it whole.

Only worker processes forked from that server import Mesa so; the command's own process,
the serial executor and Dask workers import it as usual.
"""

from __future__ import annotations

import importlib.util
import logging
import sys

log = logging.getLogger(__name__)

# Packages whose __init__ is skipped: the ones mesa.model's own imports would run.
_SKIPPED_INITS = ("mesa", "mesa.experimental")


def import_mesa_core() -> bool:
    """Import ``mesa.Model`` and ``mesa.Agent`` without the rest of Mesa; True if done so,
    False if Mesa was already imported or this could not be done (then nothing of Mesa is
    left imported)."""
    if "mesa" in sys.modules:
        return False
    try:
        for name in _SKIPPED_INITS:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                raise ImportError(f"{name} is not a package")
            package = importlib.util.module_from_spec(spec)  # made, not executed
            sys.modules[name] = package
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, package)
        from mesa.agent import Agent
        from mesa.model import Model

        mesa = sys.modules["mesa"]
        mesa.Agent, mesa.Model = Agent, Model
        return True
    except Exception as exc:  # noqa: BLE001 - any failure: import Mesa whole instead
        for name in [m for m in sys.modules if m == "mesa" or m.startswith("mesa.")]:
            del sys.modules[name]
        log.debug("importing Mesa whole in the workers: %s", exc)
        return False


import_mesa_core()

import model.experiments.sweep  # noqa: E402,F401 - what the workers run
import model.runner  # noqa: E402,F401
