"""Small helpers every layer uses, each written once: did-you-mean hints, atomic file writes,
the unit-aware number formatter, Python's power over arrays and modules imported on first
use.

This module sits at the bottom of the layers (see tests/test_layers.py): it imports nothing
from hedgesim. YAML is read by :mod:`model.userfile` alone.
"""

from __future__ import annotations

import difflib
import importlib
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np


# ---------------------------------------------------------------- modules imported on first use
class OnFirstUse:
    """A module imported the first time one of its attributes is asked for: ``pd =
    OnFirstUse("pandas")`` then ``pd.DataFrame`` as usual.

    For pandas in the modules a sweep's workers import: they never use it (they run the
    model and encode their runs with Arrow), and it was half of their start-up (0.2 of 0.43
    s on Mesa 3.3), which every fresh sweep waits on. Unlike ``importlib.util.LazyLoader``
    it puts nothing half-made in ``sys.modules`` (Mesa's loggers walk the stack, touching
    every module there: pandas then failed half-way)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "_name":
            # probes (copy, pickle, inspect.unwrap) do not import it; nor does a half-made
            # proxy ask for its own name forever
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)

    def __reduce__(self) -> tuple:
        return OnFirstUse, (self._name,)

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"


# ---------------------------------------------------------------- power, element by element
def power_each(base: Any, exponent: Any) -> np.ndarray:
    """``base ** exponent`` element by element with :func:`math.pow` (the C library's ``pow``),
    arrays or numbers broadcast together, and a power of 0.5 as the square root (correctly
    rounded on every processor, as NumPy's ``x ** 0.5`` is; the C library's pow is not).
    NumPy's vectorised power can differ from the C library's in the last bit on CPUs with
    AVX-512; the model uses this wherever it raises to a power, so a run's numbers depend
    neither on NumPy's vector instructions nor on the batch it runs in. A power with no real
    value (0 to a negative power, a negative number to a fractional one) raises ValueError,
    one too large OverflowError."""
    b, e = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
    # math.pow is Python's float power, the C library's pow with C99's special cases
    out = _each(math.pow, b, e)
    half = e == 0.5
    if half.any():
        out[half] = np.sqrt(b[half])
    return out


def log_each(values: Any) -> np.ndarray:
    """The natural logarithm element by element with :func:`math.log` (the C library's
    ``log``), for the same reason as :func:`power_each`: NumPy's vectorised ``log`` gives
    other last bits on CPUs with AVX-512. 0 or less raises ValueError."""
    return _each(math.log, np.asarray(values, dtype=float))


def _each(function: Callable[..., float], first: np.ndarray, *rest: np.ndarray) -> np.ndarray:
    """``function`` of the values of equally shaped float arrays, one element at a time."""
    return np.fromiter(map(function, first.ravel().tolist(), *(a.ravel().tolist() for a in rest)),
                       dtype=float, count=first.size).reshape(first.shape)


# ---------------------------------------------------------------- did you mean


def did_you_mean(word: Any, options: Iterable, *, cutoff: float = 0.6,
                 template: str = "; did you mean '{}'?") -> str:
    """``template`` filled with the option closest to ``word`` (``"; did you mean 'x'?"``), or
    ``''`` when none is close enough or ``word`` is not a name (a list, a 10,000-character
    string)."""
    if not isinstance(word, str | int | float) or len(str(word)) > 200:
        return ""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=cutoff)
    return template.format(close[0]) if close else ""


# ---------------------------------------------------------------- atomic writes


def write_atomic(path: str | Path, content: str | bytes | Callable[[Path], None], *,
                 sync: bool = False) -> Path:
    """Write ``path`` so that readers see the old file or the whole new one, never a part.

    ``content`` is text (UTF-8), bytes, or a function that writes the file it is given. It
    goes to a hidden temporary name beside ``path`` (same folder, so the rename is atomic),
    optionally flushed to disk (``sync``), then renamed over ``path``; on any error the
    temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        if callable(content):
            content(tmp)
        elif isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        if sync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------- numbers

UNIT_KINDS = ("usd", "share", "tonnes", "ratio", "index")
"""The kinds of unit a number is formatted by (an output's ``kind``, see model.outputs)."""


def unit_kind(unit: str) -> str:
    """A unit as a kind: ``usd``, ``share``, ``tonnes``, ``ratio`` or ``index`` pass through;
    a target's unit text maps by its start (``USD/yr`` -> usd, ``t/yr`` -> tonnes); anything
    else is a plain number (``index``)."""
    if unit in UNIT_KINDS:
        return unit
    if unit.startswith("USD"):
        return "usd"
    if unit.startswith("t/") or unit == "t":
        return "tonnes"
    return "index"


def format_value(value: float, unit: str, style: str = "text") -> str:
    """A number in its unit, the one formatter for tables, titles, reports, docs and axes.

    ``unit`` is a kind (:data:`UNIT_KINDS`) or a target's unit text (:func:`unit_kind`).
    ``style`` says how precise:

    - ``text`` (tables, titles, briefs): ``$1.20 bn``, ``$427 m``, ``45%``, ``1.2 Mt``,
      ``650 kt``, ``12x``, ``0.35``;
    - ``report`` (the calibration report): ``$1.20 bn``, ``$42.7 m``, ``12,345``, ``1.2 Mt``,
      other numbers to 3 significant digits;
    - ``sig3`` (target bands in the reference docs): 3 significant digits, ``$1.2 bn``,
      ``$45 m``, ``1.2 Mt``;
    - ``axis`` (US$ and tonne tick labels): ``$1.2 bn``, ``$45 m``, ``$12,345``.

    A value that is not finite is ``n/a``.
    """
    kind = unit_kind(unit)
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    if style == "text":
        if kind == "usd":
            return f"${v / 1e9:.2f} bn" if a >= 1e9 else f"${v / 1e6:.0f} m"
        if kind == "share":
            return f"{v:.0%}"
        if kind == "tonnes":
            return _tonnes(v)
        if kind == "ratio":
            return f"{v:.0f}x"
        return f"{v:.2f}"
    if style == "report":
        if kind == "usd":
            if a >= 1e9:
                return f"${v / 1e9:.2f} bn"
            if a >= 1e6:
                return f"${v / 1e6:.1f} m"
            return f"{v:,.0f}" if a >= 1e3 else f"{v:.3g}"
        if kind == "tonnes":
            return f"{v / 1e6:.1f} Mt"
        return f"{v:.3g}"
    if style == "sig3":
        if kind == "usd":
            return f"${v / 1e9:.3g} bn" if a >= 1e9 else f"${v / 1e6:.3g} m"
        if kind == "tonnes":
            return f"{v / 1e6:.3g} Mt"
        return f"{v:.3g}"
    if style == "axis":
        if kind == "tonnes":
            return _tonnes(v)
        if a >= 1e9:
            return f"${v / 1e9:.1f} bn"
        if a >= 1e6:
            return f"${v / 1e6:.0f} m"
        return f"${v:,.0f}"
    raise ValueError(f"unknown number style {style!r}; expected text, report, sig3 or axis")


def _tonnes(v: float) -> str:
    return f"{v / 1e6:.1f} Mt" if abs(v) >= 1e6 else f"{v / 1e3:.0f} kt"
