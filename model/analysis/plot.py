"""One chart of one kind from results folders: what ``hedgesim plot`` calls."""

from __future__ import annotations

from pathlib import Path

from model.analysis.charts import STANDARD, suggest
from model.analysis.results import Results, load_many, parse_outcome
from model.errors import HedgesimError

KINDS = ("fan", "response", "compare", "matrix", "sensitivity", "discovery", *STANDARD)
FORMATS = ("png", "svg", "pdf")
DEFAULT_COLUMN = "trade_russia_usd"
DEFAULT_OUTCOME = "trade_russia_usd@2020 >= 1e9"


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise HedgesimError(kind, "--kind", f"expected one of {', '.join(KINDS)}{suggest(kind, KINDS)}")
    return kind


def render(kind: str, results: list[Results], path: Path, column: str | None = None,
           outcome: str | None = None, metric: str = "payoff", year: int | None = None,
           target: str | None = None) -> Path:
    """Draw chart ``kind`` from loaded results into ``path`` (format from its suffix).

    ``year`` is the year titles report; ``target`` ('trade_russia_usd@2020>=1e9') is drawn
    as a line, and for discovery it is the outcome when ``outcome`` is not given."""
    from model.analysis.compare import compare_chart
    from model.analysis.discovery import discovery_chart
    from model.analysis.fan import fan_chart
    from model.analysis.matrix import matrix_chart
    from model.analysis.response import check_year, response_chart
    from model.analysis.sensitivity import sensitivity_chart

    check_kind(kind)
    first = results[0]
    if kind != "compare" and len(results) > 1:
        raise HedgesimError(str(results[1].folder), "RESULTS", f"expected one results folder for {kind}")
    goal = parse_outcome(target, first.columns, default_year=year, field="--target") if target else None
    if year is None and goal is not None:
        year = goal.year
    for r in results:
        check_year(r, year)
        if goal is not None:
            check_year(r, goal.year)
    if column is None and goal is not None:
        column = goal.column
    if kind == "fan":
        return fan_chart(first, column or DEFAULT_COLUMN, path, year=year, target=goal)
    if kind == "response":
        return response_chart(first, column or DEFAULT_COLUMN, path, year=year, target=goal)
    if kind == "compare":
        return compare_chart(results, column or DEFAULT_COLUMN, path, year=year, target=goal)
    if kind == "matrix":
        return matrix_chart(first, path, metric=metric)
    if kind == "sensitivity":
        return sensitivity_chart(first, path)
    if kind == "discovery":
        parsed = parse_outcome(outcome or target or DEFAULT_OUTCOME, first.columns,
                               field="--outcome" if outcome or not target else "--target")
        return discovery_chart(first, parsed, path)
    if first.succeeded()["point"].nunique() > 1:
        raise HedgesimError(str(first.folder), "--kind", f"expected a run folder for {kind}, not a sweep")
    runs = first.runs
    return STANDARD[kind](runs, first.provenance() + " | median and 90% interval", first.policy_start,
                          path, year=year, target=goal)


def plot(folders, kind: str = "fan", fmt: str = "png", out: Path | None = None,
         column: str | None = None, outcome: str | None = None, metric: str = "payoff",
         year: int | None = None, target: str | None = None) -> Path:
    """Load ``folders`` and write one chart; default file ``<first folder>/<kind>.<fmt>``.

    ``out`` is a file, or a folder (existing, or a name without suffix) to put
    ``<kind>.<fmt>`` in.
    """
    check_kind(kind)
    if fmt not in FORMATS:
        raise HedgesimError(fmt, "--format", f"expected one of {', '.join(FORMATS)}{suggest(fmt, FORMATS)}")
    results = load_many(folders)
    if not results:
        raise HedgesimError(None, "RESULTS", "expected at least one results folder")
    path = Path(out) if out is not None else results[0].folder / f"{kind}.{fmt}"
    if path.is_dir() or not path.suffix:  # a folder, existing or to be made
        path = path / f"{kind}.{fmt}"
    if path.suffix.lstrip(".").lower() != fmt:
        path = path.with_suffix(f".{fmt}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HedgesimError(str(path.parent), "--out", f"expected a writable folder ({exc.strerror})") from None
    return render(kind, results, path, column=column, outcome=outcome, metric=metric, year=year,
                  target=target)
