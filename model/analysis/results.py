"""Results folders as the charts and the brief use them.

The store (:mod:`model.experiments.store`) reads the folder, whatever its kind: a run
(one design point) or a sweep (a design of points, its parts verified against their commit
records). :class:`Results` adds what the analyses ask of it: labels, the provenance line,
how many runs failed.

Failed runs (status ``error``) are kept in :attr:`Results.status` so every
chart and the brief can say how many are missing instead of ignoring them;
it holds the latest attempt of each run, so a run that failed and then
succeeded on ``--resume`` is not counted as failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.common import OnFirstUse
from model.errors import HedgesimError
from model.experiments.store import StoredResults, read_results

pd = OnFirstUse("pandas")  # the sweep command checks --target with this before its runs

DEFAULT_POLICY_START = 2015


@dataclass
class Results(StoredResults):
    """One results folder as the store reads it (runs joined to their design point, the
    design, run status), with what charts and briefs say about it."""

    @property
    def method(self) -> str | None:
        """grid, sobol or lhs; from the manifest's design, else its experiment's sample."""
        if self.kind != "sweep":
            return None
        method = (self.manifest.get("design") or {}).get("method")
        if method is None:
            sample = (self.manifest.get("experiment") or {}).get("sample")
            method = sample.get("method") if isinstance(sample, dict) else "grid"
        return method

    @property
    def label(self) -> str:
        if self.kind == "run":
            return str(self.manifest.get("scenario", {}).get("name") or self.folder.parent.name)
        name = self.manifest.get("name")
        return f"sweep {name} ({self.folder.name})" if name else f"sweep {self.folder.name}"

    @property
    def parameters(self) -> list[str]:
        """Varied registry parameters: the dotted float columns of the design."""
        return [c for c in self.design.columns
                if "." in c and pd.api.types.is_numeric_dtype(self.design[c])]

    @property
    def policy_start(self) -> int:
        sc = self.manifest.get("scenario") or {}
        return int(sc.get("policy_start", DEFAULT_POLICY_START))

    @property
    def years(self) -> tuple[int, int]:
        return self.year_range()

    @property
    def failed(self) -> int:
        return int((self.status["status"] != "ok").sum())

    @property
    def total(self) -> int:
        return len(self.status)

    def missing_note(self) -> str:
        """'N of M runs failed; analysis uses the rest', or '' when all ran."""
        if not self.failed:
            return ""
        return (f"{self.failed} of {self.total} runs failed in {self.folder.name}; "
                "analysis uses the rest")

    def history_note(self) -> str:
        """'counterfactual history: settings change before 2015' if the runs' scenario (or
        experiment) declared counterfactual_history, else '' (from the manifest's ``history``;
        folders written before the guard existed could not declare it)."""
        return str((self.manifest.get("history") or {}).get("note") or "")

    @property
    def posterior(self) -> bool:
        """Whether each replication drew its parameters from the posterior ensemble."""
        return (self.manifest.get("calibration") or {}).get("mode") == "posterior"

    @property
    def draws_phrase(self) -> str:
        """What the spread over replications holds, for footers and captions."""
        if self.posterior:
            same = " (the same draws at every point)" if self.kind == "sweep" else ""
            return f"each with a posterior draw of the calibrated parameters{same}"
        return "one calibrated parameter set (point estimate: chance only)"

    def provenance(self) -> str:
        """One line: which runs, which parameters, which code, and whether their history is
        counterfactual."""
        m = self.manifest
        ok = self.succeeded()
        reps = (ok if len(ok) else self.select([])).groupby("point")["replication"].nunique()
        what = (f"scenario {self.label}, {int(reps.max())} replications" if self.kind == "run" else
                f"{self.method or '?'} sweep of {len(self.design)} points x {int(reps.max())} replications")
        what += f", {self.draws_phrase}"
        fail = f", {self.failed} of {self.total} runs failed" if self.failed else ""
        note = self.history_note()
        return (f"hedgesim {m.get('code_version', '?')} | {what}{fail} | results "
                f"{self.folder.parent.name}/{self.folder.name} ({m.get('created_utc', '?')})"
                + (f" | {note}" if note else ""))


def policy_years(results: Results) -> list[int]:
    """The years from the runs' policy start to their last: what 'over the policy years'
    reads (:meth:`Results.select`)."""
    return list(range(results.policy_start, results.years[1] + 1))


def load_results(folder: str | Path) -> Results:
    """Read a run or sweep folder; a folder that is neither is a user error."""
    return Results(**vars(read_results(folder)))


def load_many(folders) -> list[Results]:
    return [load_results(f) for f in folders]


# ----------------------------------------------------------- outcomes
_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
_ALIASES = {f"{p}_trade": f"trade_{p}_usd" for p in ("china", "russia", "korea", "others")}
_ALIASES |= {f"{p}_cost": f"support_{p}_usd" for p in ("china", "russia")}
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_EXPR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:@(\d{4}))?\s*(>=|<=|>|<)\s*" + _NUMBER + r"\s*$")
_OLD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*?)_(\d{4})\s*(>=|<=|>|<)\s*" + _NUMBER + r"\s*$")
OUTCOME_FORM = "column@year >= number, e.g. 'trade_russia_usd@2020 >= 1e9'"


@dataclass(frozen=True)
class Outcome:
    """A yes/no outcome of one run: ``column`` in ``year`` compared with ``threshold``."""

    text: str
    column: str
    year: int
    op: str
    threshold: float

    def evaluate(self, runs: pd.DataFrame) -> pd.DataFrame:
        """One row per (point, replication): ``value`` and ``hit`` (bool)."""
        rows = runs.loc[runs["year"] == self.year, ["point", "replication", self.column]]
        if rows.empty:
            raise HedgesimError(self.text, "year", f"expected a year the runs cover, not {self.year}")
        v = rows[self.column].to_numpy(dtype=float)
        return pd.DataFrame({"point": rows["point"].to_numpy(), "replication": rows["replication"].to_numpy(),
                             "value": v, "hit": _OPS[self.op](v, self.threshold) & np.isfinite(v)})


def parse_outcome(text: str, columns, default_year: int | None = None,
                  field: str = "outcome") -> Outcome:
    """Parse ``trade_russia_usd@2020 >= 1e9``: an output column, ``@`` and a year, an operator
    (>=, <=, >, <) and a number. The one naming scheme for outcomes in options, help and errors;
    the old ``russia_trade_2020`` spelling is refused with the new name suggested.
    """
    from model.analysis.charts import suggest

    text = str(text)
    m = _EXPR.match(text)
    old = _OLD.match(text)
    if old and (not m or m.group(2) is None):
        name, year, op, number = old.groups()
        new = _ALIASES.get(name, name)
        raise HedgesimError(text, field, f"expected column@year: write '{new}@{year} {op} {number}'")
    if not m:
        raise HedgesimError(text, field, f"expected {OUTCOME_FORM}")
    name, year, op, number = m.groups()
    if name in _ALIASES:
        raise HedgesimError(text, field, f"expected an output column: write "
                            f"'{_ALIASES[name]}' instead of '{name}'")
    if name not in columns:
        raise HedgesimError(text, field, f"expected an output column{suggest(name, list(columns))}")
    if year is None:
        if default_year is None:
            raise HedgesimError(text, field, f"expected a year: {OUTCOME_FORM}")
        year = default_year
    return Outcome(text.strip(), name, int(year), op, float(number))
