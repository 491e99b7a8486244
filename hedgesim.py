"""``import hedgesim``: the Python API of :mod:`model` under the project's own name.

hedgesim's package is called ``model``, a name a notebook's own ``model.py`` (or another
project's ``model`` package) can take first: Python then imports that instead, and
``model.run`` fails with an AttributeError that does not say why. This module checks which
``model`` Python finds; if it is not the package installed beside this file, it raises an
ImportError naming both and how to fix it. Otherwise it is ``model``'s API::

    import hedgesim

    runs = hedgesim.run("baseline", replications=5)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent / "model"
_MARKS = ("api.py", "outputs.py", "version.py", "scenario.py")  # files only hedgesim's has


def _where_model_is() -> str | None:
    """The file ``import model`` gives (or would give), or None if there is none."""
    loaded = sys.modules.get("model")
    if loaded is not None:
        return getattr(loaded, "__file__", None) or repr(loaded)
    try:
        spec = importlib.util.find_spec("model")
    except (ImportError, ValueError):
        return None
    return None if spec is None else (spec.origin or repr(spec))


def _is_hedgesim(origin: str | None) -> bool:
    """Whether ``origin`` is the ``__init__.py`` of a hedgesim package: this one, or another
    copy of it (a checkout's, which worker processes started in that checkout may import)."""
    try:
        path = Path(origin) if origin else None
        return (path is not None and path.name == "__init__.py"
                and all((path.parent / name).is_file() for name in _MARKS))
    except (OSError, ValueError, TypeError):
        return False


def _check() -> None:
    found = _where_model_is()
    if not _is_hedgesim(found):
        raise ImportError(
            f"hedgesim: 'import model' finds {found or 'nothing'}, not hedgesim's package "
            f"({_PACKAGE}). A file or folder named 'model' where Python looks first (the "
            "notebook's or script's folder, or PYTHONPATH) hides it. Rename yours (e.g. "
            "my_model.py) and restart the kernel, or run from another folder; then "
            "'import hedgesim' or 'import model' gives hedgesim's API.")


_check()

from model import __version__  # noqa: E402
from model.api import load, load_experiment, read_results, run, sweep  # noqa: E402

__all__ = ["__version__", "load", "load_experiment", "run", "sweep", "read_results"]
