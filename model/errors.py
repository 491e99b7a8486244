"""The one error type for user mistakes, and how user values are quoted in it.

Library code raises :class:`HedgesimError` with the file, the field and what
was expected; only the CLI turns it into a one-line message and exit status 2.
A message quotes user values through :func:`show`, which never builds more
than a short prefix of a value's text: a YAML alias bomb is a few hundred bytes
on disk and gigabytes once printed in full (issue 13).
"""

from __future__ import annotations

import reprlib
from typing import Any

SHOWN_CHARS = 60
"""The longest quotation of a user value in a message."""
FILE_CHARS = 240
"""The longest file path shown (a path the system refuses can be thousands of characters)."""
FIELD_CHARS = 100
"""The longest field (a dotted path such as ``experiment.sample.ranges.<parameter>``)."""
MESSAGE_CHARS = 600
"""The longest whole message: file, field and expectation on one line."""


class _ShortRepr(reprlib.Repr):
    """reprlib with small limits, and no full decimal text of a huge integer (Python refuses
    more than 4,300 digits, and building them costs time)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxlist = self.maxtuple = self.maxset = self.maxdict = 4
        self.maxstring = self.maxother = self.maxlong = SHOWN_CHARS

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 200:
            return f"<an integer of about {int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()


def show(value: Any) -> str:
    """A user value as at most :data:`SHOWN_CHARS` characters of one-line text (its repr)."""
    try:
        text = _SHORT.repr(value)
    except Exception:  # a value whose repr fails is still shown as something
        text = f"<{type(value).__name__}>"
    text = _one_line(text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class HedgesimError(Exception):
    """A mistake in user input: a scenario, an experiment, a results folder."""

    def __init__(self, file: str | None, field: str | None, expected: str) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        field = _one_line(self.field) if self.field else None
        if field and len(field) > FIELD_CHARS:
            field = field[:FIELD_CHARS - 3] + "..."
        file = _one_line(self.file) if self.file else None
        if file and len(file) > FILE_CHARS:  # keep the start and the file's own name
            file = file[:FILE_CHARS // 3] + "..." + file[-(FILE_CHARS * 2 // 3 - 3):]
        parts = [p for p in (file, field) if p]
        where = ": ".join(parts)
        text = f"{where}: {_one_line(self.expected)}" if where else _one_line(self.expected)
        return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 3] + "..."


ScenarioError = HedgesimError
