"""Mesa's ``Model`` and ``Agent`` without the rest of Mesa, for the processes hedgesim owns.

The model needs two things from Mesa: ``mesa.Model`` (the World) and ``mesa.Agent`` (the
three states). ``import mesa`` runs Mesa's package ``__init__``, which also imports its batch
runner and data collector, its spaces (SciPy's spatial module, NetworkX) and, in Mesa 3.5,
its experimental package's spaces too: 0.5-0.6 s of the 1.0-1.2 s it takes to import the
model. (pandas is imported all the same, by the model's own modules and, in Mesa 3.5, by
``mesa.agent``.)

:func:`import_mesa_core` imports ``mesa.model`` and ``mesa.agent`` (and the Mesa modules
they import) without running the package's ``__init__`` (nor, in Mesa 3.5, that of
``mesa.experimental``, which ``mesa.model`` imports from): the package's module is made from
its spec, not executed, and ``Model`` and ``Agent`` are set on it. The classes are Mesa's
own, so the World is a ``mesa.Model`` and its runs are the same to the bit. Other submodules
still import as usual (``import mesa.space``); what the package's ``__init__`` would have
set (``mesa.batch_run``, ``mesa.DataCollector``), which the model never uses, is imported
when first asked for (:func:`_completing`). It is called only in processes that run nothing
but hedgesim: the local executor's workers (:mod:`model.experiments.worker_imports`) and the
``hedgesim`` commands that run the model in their own process (``cli._model_here``). Importing
the model as a library imports Mesa as usual.

Before it returns, a model with an agent is made and stepped, so a Mesa whose classes need
more of their package at run time is caught here. Where anything fails (a Mesa whose
``mesa.model`` needs its package initialised), everything of Mesa it imported is forgotten
and the next ``import mesa`` imports it whole. Call it at a process's start-up, before
anything imports Mesa and before another thread could (the package's module is in
``sys.modules`` before ``Model`` is set on it), while little else is loaded: Mesa's module
loggers walk the call stack (``inspect.stack``), which looks at every loaded module.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from types import ModuleType

log = logging.getLogger(__name__)

# Packages whose __init__ is skipped: the ones mesa.model's own imports would run.
_SKIPPED_INITS = ("mesa", "mesa.experimental")


def import_mesa_core() -> bool:
    """Import ``mesa.Model`` and ``mesa.Agent`` without the rest of Mesa; True if done so.
    False if Mesa was already imported, or if this could not be done (then nothing of Mesa it
    imported is left)."""
    if "mesa" in sys.modules:
        return False
    try:
        for name in _SKIPPED_INITS:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                raise ImportError(f"{name} is not a package")
            package = importlib.util.module_from_spec(spec)  # made, not executed
            package.__getattr__ = _PENDING[name] = _completing(package, spec)
            sys.modules[name] = package
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, package)
        from mesa.agent import Agent
        from mesa.model import Model

        mesa = sys.modules["mesa"]
        mesa.Agent, mesa.Model = Agent, Model
        _try(Model, Agent)
        return True
    except BaseException as exc:  # noqa: BLE001 - any failure: import Mesa whole instead
        for name in [m for m in sys.modules if m == "mesa" or m.startswith("mesa.")]:
            del sys.modules[name]
        _PENDING.clear()
        if not isinstance(exc, Exception):  # Ctrl-C: nothing half-imported left, then stop
            raise
        log.debug("importing Mesa whole: %s", exc)
        return False


def _try(model_class: type, agent_class: type) -> None:
    """Make a model with an agent and step it, as the World does: a Mesa whose classes need
    more of the package at run time fails here (and is imported whole), not in every run."""
    model = model_class(rng=0)
    agent_class(model)
    model.step()
    forget_model(model, agent_class)


def forget_model(model: object, agent_class: type) -> None:
    """Drop ``model`` from Mesa's class-level registry of agent ids (``Agent._ids``), where
    Mesa before 3.5 keeps every model alive (mesa issue #3179, fixed by mesa PR #3180)."""
    ids = getattr(agent_class, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


_COMPLETING = threading.RLock()  # one for both packages: their __init__s import each other
_PENDING: dict[str, object] = {}  # package name -> its hook, while its __init__ has not run
_RUNNING: set[str] = set()  # packages whose __init__ this process is running now


def _completing(package: ModuleType, spec) -> object:
    """The package's module ``__getattr__`` (PEP 562) while its ``__init__`` has not run: the
    first attribute asked for that the package lacks runs the ``__init__`` into it (its parent
    package's first, as an import would), then is looked up again. Code that wants the rest
    of Mesa (``mesa.DataCollector``, ``from mesa import batch_run``) in a process that imported
    only the core gets it, 0.5 s later: a user's own processes forked from a sweep's fork
    server, say, which has imported the core (Python 3.14 makes that server the default way
    to start processes).

    As with an import: other threads asking meanwhile wait for it; the thread running an
    ``__init__`` that asks its package for a name not yet defined gets AttributeError; an
    ``__init__`` that fails (a missing dependency, Ctrl-C) leaves the hook in place, so the
    next question runs it again and raises the real error again."""

    def __getattr__(name: str):
        if name.startswith("__") and name.endswith("__") and name not in ("__all__",
                                                                         "__version__"):
            raise AttributeError(name)  # introspection's probes (__wrapped__, __test__, ...)
        _complete(package, spec)
        return getattr(package, name)

    return __getattr__


def _complete(package: ModuleType, spec) -> None:
    """Run ``package``'s ``__init__`` into it, once (see :func:`_completing`)."""
    name = spec.name
    with _COMPLETING:
        if name not in _PENDING:
            return  # completed meanwhile
        if name in _RUNNING:
            raise AttributeError(f"module {name!r} is still being imported")
        parent = name.rpartition(".")[0]
        if parent in _PENDING:
            _complete(sys.modules[parent], sys.modules[parent].__spec__)
        _RUNNING.add(name)
        try:
            log.debug("importing the rest of %s", name)
            spec.loader.exec_module(package)
        finally:
            _RUNNING.discard(name)
        hook = _PENDING.pop(name)
        if package.__dict__.get("__getattr__") is hook:  # (not an __init__'s own __getattr__)
            del package.__getattr__
