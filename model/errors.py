"""The one error type for user mistakes.

Library code raises :class:`HedgesimError` with the file, the field and what
was expected; only the CLI turns it into a one-line message and exit status 2.
"""

from __future__ import annotations


class HedgesimError(Exception):
    """A mistake in user input: a scenario, an experiment, a results folder."""

    def __init__(self, file: str | None, field: str | None, expected: str) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        where = ": ".join(parts)
        return f"{where}: {self.expected}" if where else self.expected


ScenarioError = HedgesimError
