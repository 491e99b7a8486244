"""hedgesim: an agent-based model of North Korea hedging between China and Russia.

The public API (:mod:`model.api`), documented in the README's "Python API" and in
docs/how-to/use-the-python-api.py::

    import model

    runs = model.run("baseline", replications=5)      # a tidy frame: a row per run and year
    sweep = model.sweep("russia_subsidy_sweep")        # written to results/, read back
    again = model.read_results(sweep.attrs["folder"])  # any run or sweep folder

The API is imported on first use, so that ``import model.params`` (as sweep workers do)
stays light. If a ``model.py`` of yours sits where Python looks first, ``import model``
finds it instead of this package: ``import hedgesim`` says so and how to fix it.
"""

from model.version import __version__

API = ("load", "load_experiment", "run", "sweep", "read_results")
__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        from model import api

        return getattr(api, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *API})
