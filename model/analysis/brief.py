"""The briefing: key figures, charts, methods, sources and provenance in one document.

``build_brief`` reads one or more results folders and writes into ``out``:

- ``brief.md``: Markdown, charts linked from ``charts/`` (PNG, with SVG beside);
- ``brief.html``: one self-contained file, charts embedded as base64 PNG;
- ``brief.pdf``: a text page and one page per chart (matplotlib's PdfPages);
- ``charts/*.png`` and ``charts/*.svg``; ``tables/*.csv`` for the numbers.

Which charts appear depends on the results: fan charts always; a comparison
when there are several scenarios or strategies; the strategy matrix for a
sweep over strategies x subsidy x sanctions; Sobol indices for a Sobol sweep;
scenario discovery for each yes/no outcome over a sweep. Failed runs are
reported at the top ("N of M runs failed; analysis uses the rest").
"""

from __future__ import annotations

import base64
import contextlib
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import STANDARD, fmt_value, label
from model.analysis.results import Outcome, Results, load_many, parse_outcome
from model.calibration.targets import load_targets
from model.common import did_you_mean
from model.errors import HedgesimError
from model.experiments.store import code_version, now_utc
from model.outputs import KEY_FIGURES
from model.userfile import read_mapping

FAN_COLUMNS = ("trade_russia_usd", "trade_china_usd", "china_share", "support_russia_usd")
SPEC_KEYS = {"title", "outcomes", "fan", "compare"}


@dataclass
class BriefSpec:
    """What the brief asks; from a small YAML file or the command line."""

    title: str = "DPRK hedging between China and Russia: model briefing"
    outcomes: list[str] = field(default_factory=list)
    fan: list[str] = field(default_factory=lambda: list(FAN_COLUMNS))
    compare: str = "trade_russia_usd"


def load_spec(path: str | Path) -> BriefSpec:
    """Read a brief file: ``title``, ``outcomes`` (list of 'column@year >= x'), ``fan``, ``compare``."""
    path = Path(path)
    doc = read_mapping(path, "brief") or {}  # bounded YAML: binary, huge or hostile files are one line
    for key in sorted(set(doc) - SPEC_KEYS, key=str):
        hint = did_you_mean(key, sorted(SPEC_KEYS), template=" (did you mean '{}'?)")
        raise HedgesimError(str(path), str(key), f"unknown key{hint}; expected one of "
                            f"{', '.join(sorted(SPEC_KEYS))}")
    spec = BriefSpec()
    if "title" in doc:
        if not isinstance(doc["title"], str):
            raise HedgesimError(str(path), "title", "expected a string")
        spec.title = doc["title"]
    for key in ("outcomes", "fan"):
        if key in doc:
            v = doc[key]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise HedgesimError(str(path), key, "expected a list of strings")
            setattr(spec, key, list(v))
    if "compare" in doc:
        if not isinstance(doc["compare"], str):
            raise HedgesimError(str(path), "compare", "expected an output column name")
        spec.compare = doc["compare"]
    return spec


# ------------------------------------------------------------ blocks
# A brief is a list of blocks rendered twice, to Markdown and to HTML.
@dataclass
class Chart:
    name: str
    title: str
    png: Path
    svg: Path


def _table_md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |"
              for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_markdown(blocks: list[tuple]) -> str:
    out = []
    for kind, *rest in blocks:
        if kind == "h1":
            out.append(f"# {rest[0]}")
        elif kind == "h2":
            out.append(f"## {rest[0]}")
        elif kind == "p":
            out.append(rest[0])
        elif kind == "list":
            out.append("\n".join(f"- {item}" for item in rest[0]))
        elif kind == "table":
            out.append(_table_md(rest[0]))
        elif kind == "chart":
            c: Chart = rest[0]
            out.append(f"![{c.title}](charts/{c.png.name})\n\n"
                       f"Chart files: [PNG](charts/{c.png.name}), [SVG](charts/{c.svg.name})")
    return "\n\n".join(out) + "\n"


CSS = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;
color:#111;line-height:1.45}img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;
margin:1em 0;font-size:0.9em}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left}
th{background:#eee}.note{background:#fff3cd;padding:0.6em;border-left:4px solid #E69F00}
figcaption{font-style:italic;margin-bottom:1.5em}"""


def render_html(blocks: list[tuple], title: str) -> str:
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
           f"</title><style>{CSS}</style></head><body>"]
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            out.append(f"<{kind}>{html.escape(rest[0])}</{kind}>")
        elif kind == "p":
            cls = ' class="note"' if rest[0].startswith(("**Missing runs", "**Answer")) else ""
            text = html.escape(rest[0]).replace("**", "")
            out.append(f"<p{cls}>{text}</p>")
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in rest[0]) + "</ul>")
        elif kind == "table":
            out.append(_table_html(rest[0]))
        elif kind == "chart":
            c = rest[0]
            data = base64.b64encode(c.png.read_bytes()).decode("ascii")
            out.append(f"<figure><img alt=\"{html.escape(c.title)}\" src=\"data:image/png;base64,{data}\">"
                       "</figure>")  # the title is in the image; a caption would repeat it
    out.append("</body></html>")
    return "\n".join(out)


PDF_WIDTH = 118  # monospaced characters across an A4 page at the text size used


def _table_text(df: pd.DataFrame) -> list[str]:
    """A table as monospaced lines no wider than the page: long cells wrapped, and a table too
    wide for one block split into column groups that each repeat the first column."""
    import textwrap

    cells = df.astype(str).map(lambda v: textwrap.fill(v, 38))
    cols = list(cells.columns)
    widths = {c: max([len(x) for v in cells[c] for x in v.split("\n")] + [len(str(c))]) for c in cols}
    groups, current, used = [], [cols[0]], widths[cols[0]]
    for c in cols[1:]:
        if used + 2 + widths[c] > PDF_WIDTH and len(current) > 1:
            groups.append(current)
            current, used = [cols[0]], widths[cols[0]]
        current.append(c)
        used += 2 + widths[c]
    groups.append(current)
    lines: list[str] = []
    for g in groups:
        lines.append("  ".join(str(c)[:widths[c]].ljust(widths[c]) for c in g))
        lines.append("  ".join("-" * widths[c] for c in g))
        for _, row in cells[g].iterrows():
            parts = [row[c].split("\n") for c in g]
            for k in range(max(len(p) for p in parts)):
                lines.append("  ".join((p[k] if k < len(p) else "").ljust(widths[c])
                                       for p, c in zip(parts, g, strict=True)))
        lines.append("")
    return lines


def _text_lines(blocks: list[tuple]) -> list[str]:
    import textwrap

    lines: list[str] = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            lines += ["", rest[0].upper()]
        elif kind == "p":
            lines += textwrap.wrap(rest[0].replace("**", ""), PDF_WIDTH)
        elif kind == "list":
            for item in rest[0]:
                lines += textwrap.wrap(f"- {item}", PDF_WIDTH, subsequent_indent="  ")
        elif kind == "table":
            lines += _table_text(rest[0])
    return lines


def without_empty_headings(blocks: list[tuple]) -> list[tuple]:
    """Drop a heading with nothing under it before the next heading or the end."""
    kept = []
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1][0] if i + 1 < len(blocks) else None
        if b[0] == "h2" and nxt in (None, "h1", "h2"):
            continue
        kept.append(b)
    return kept


def text_pages(pdf, blocks: list[tuple]) -> None:
    """Append A4 pages of monospaced text (headings, paragraphs, tables) to ``pdf``."""
    import matplotlib.pyplot as plt

    lines = _text_lines(blocks)
    per_page = 92
    for start in range(0, len(lines), per_page):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.05, 0.97, "\n".join(lines[start:start + per_page]), va="top", ha="left",
                 family="monospace", fontsize=7.4, parse_math=False)
        pdf.savefig(fig)
        plt.close(fig)


# ------------------------------------------------------------ content
def key_figures_numbers(results: Results, year: int | None = None) -> pd.DataFrame:
    """Numeric key figures of one run folder: a row per figure and year (2014, ``year`` and the
    last year), median and 5-95% range across replications, in the column's own unit."""
    runs = results.runs
    first, last = results.years
    years = [y for y in dict.fromkeys([2014, year or 2020, last]) if first <= y <= last]
    rows = []
    for column, name, unit in KEY_FIGURES:
        for y in years:
            v = runs.loc[runs["year"] == y, column].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if v.size:
                p5, med, p95 = np.percentile(v, [5, 50, 95])
                rows.append({"figure": name, "column": column, "unit": unit, "year": y,
                             "median": med, "p05": p5, "p95": p95, "replications": v.size})
    return pd.DataFrame(rows)


def key_figures_table(results: Results, year: int | None = None) -> pd.DataFrame:
    """Median [5%-95%] across runs for 2014, ``year`` (default 2020) and the last year."""
    nums = key_figures_numbers(results, year)
    rows = {}
    for r in nums.itertuples():
        rows.setdefault(r.figure, {"figure": r.figure})[str(r.year)] = (
            f"{fmt_value(r.median, r.column)} [{fmt_value(r.p05, r.column)} - {fmt_value(r.p95, r.column)}]")
    return pd.DataFrame(list(rows.values()))


def sources_list() -> list[str]:
    """Each source once, as a citation: '[002] author, outlet, year'."""
    seen = {}
    for t in load_targets():
        for r in t.readings:
            seen[r.seed[:3]] = f"[{r.seed[:3]}] {r.author}, {r.outlet}, {r.published}"
    return [seen[k] for k in sorted(seen)]


def calibration_targets_table(columns) -> pd.DataFrame:
    rows = []
    for t in load_targets():
        col = getattr(t.metric, "column", None)
        if col in columns:
            lo, hi = t.band
            if t.unit.startswith(("USD", "t/")):
                band = f"{fmt_value(lo, col)} - {fmt_value(hi, col)}"
            elif t.unit == "fraction":
                band = f"{lo:.0%} - {hi:.0%}"
            else:  # ratios, growth rates, fractions of years: plain numbers in the target's unit
                band = f"{lo:.3g} - {hi:.3g} ({t.unit})"
            rows.append({"target": t.id, "what": t.description, "band": band, "role": t.role,
                         "sources": ", ".join(f"[{k}]" for k in dict.fromkeys(r.seed[:3] for r in t.readings))})
    return pd.DataFrame(rows)


METHODS = (
    "hedgesim is an agent-based model (Mesa) in which the DPRK picks a hedging stance each year "
    "between China and Russia, the two patrons set aid, trade subsidies and credit, and a population "
    "of firms in each country decides whether DPRK trade pays after margins, subsidies, sanctions "
    "enforcement and political risk. The model runs yearly from 1988 and is calibrated to the trade "
    "and share figures in five cited articles. The calibration is an ensemble of parameter sets "
    "consistent with those figures (ABC-SMC, see docs/calibration/report.md); each scenario or "
    "design point is run for several replications with independent seeds, and each replication "
    "draws its parameter set from the ensemble (the same draws at every design point of a sweep), "
    "so the ranges hold parameter uncertainty as well as chance (runs made with the point "
    "estimate say so in their provenance line: their ranges are chance only). Figures give the "
    "median and the "
    "5-95% range across replications, for a sweep at each design point separately (a chart that "
    "pools design points says so in its title). The "
    "strategy matrix averages "
    "each outcome over the policy years and names the strategy with the least maximum regret. "
    "Sensitivity uses Sobol first-order and total indices (scipy.stats.sobol_indices, Saltelli 2010 "
    "and Jansen estimators) with bootstrap 95% intervals. Scenario discovery uses PRIM peeling to "
    "find the parameter box where a yes/no outcome is most likely, reporting coverage and density. "
    "These are model results, not forecasts: they show what follows from the model's mechanisms "
    "and the cited figures, under the settings shown."
)


@dataclass
class Brief:
    folder: Path
    markdown: Path
    html: Path
    pdf: Path | None
    charts: list[Chart]
    notes: list[str]


def _chart(out: Path, name: str, draw, pdf=None) -> Chart:
    from PIL import Image

    png, svg = out / "charts" / f"{name}.png", out / "charts" / f"{name}.svg"
    draw([png, svg] + ([pdf] if pdf is not None else []))
    with Image.open(png) as im:
        title = im.text.get("Title", name)
    return Chart(name, title, png, svg)


BRIEF_FILES = ("brief.md", "brief.html", "brief.pdf", "charts", "tables")


def prepare_out(out: Path) -> None:
    """Make ``out`` ready: a new or empty folder is used; one holding an earlier brief has that
    brief's files removed (so no stale chart or PDF survives); any other non-empty folder is
    refused, since clearing it could delete someone's files."""
    import shutil

    if out.exists() and not out.is_dir():
        raise HedgesimError(str(out), "--out", "expected a folder, found a file")
    if out.is_dir() and any(out.iterdir()):
        names = {p.name for p in out.iterdir()}
        if not names & {"brief.md", "brief.html"} or names - set(BRIEF_FILES):
            raise HedgesimError(str(out), "--out", "expected a new or empty folder, or one holding "
                                "only an earlier brief (which is then cleared); this one has other files")
        for name in names:
            target = out / name
            shutil.rmtree(target) if target.is_dir() else target.unlink()
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
        (out / "tables").mkdir(exist_ok=True)
    except OSError as exc:
        raise HedgesimError(str(out), "--out", f"expected a writable folder ({exc.strerror})") from None


def question_of(results: Results) -> str:
    """The leading comment paragraph of the scenario or experiment file behind ``results``, and
    its description; the description alone when the file is gone."""
    m = results.manifest
    path = m.get("experiment_file") if results.kind == "sweep" else (m.get("scenario") or {}).get("path")
    description = m.get("description") or (m.get("scenario") or {}).get("description") or ""
    comment: list[str] = []
    try:
        for line in Path(str(path)).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
    except (OSError, TypeError, ValueError):
        pass
    text = " ".join(c for c in comment if c)
    if description and description.rstrip(".") not in text:
        text = f"{text} ({description.rstrip('.')}.)" if text else description
    return text or f"What do the runs of {results.label} show?"


def _shown(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{_shown(x)} from {y}" for y, x in sorted(v.items(), key=lambda kv: int(kv[0])))
    return str(v)


LISTED_SWEPT = 8
"""Most swept parameters the bottom line lists one by one (a Sobol sample over all the
uncertain parameters sweeps about 60)."""


def settings_vs_baseline(results: Results) -> list[str]:
    """What the scenario(s) set differently from the shipped baseline, and what a sweep varies."""
    from model.scenario import load

    base = load("baseline").resolved()
    m = results.manifest
    scenarios = [m["scenario"]] if results.kind == "run" else m.get("scenarios") or []
    items = []
    for sc in scenarios:
        name = sc.get("name", "?")
        diff = []
        for key, value in (sc.get("values") or {}).items():
            if base["values"].get(key) != value:
                diff.append(f"{key} {_shown(value)}")
        if {str(k): v for k, v in (sc.get("strategy") or {}).items()} != {
                str(k): v for k, v in base["strategy"].items()}:
            diff.append("strategy " + _shown({int(k): v for k, v in sc["strategy"].items()}))
        for key in ("horizon", "policy_start"):
            if sc.get(key) != base.get(key):
                diff.append(f"{key} {sc.get(key)}")
        if sc.get("shocks"):
            diff.append(f"{len(sc['shocks'])} shock(s)")
        items.append(f"{name}: " + ("; ".join(diff) if diff else "the baseline's settings"))
    if results.kind == "sweep":
        d = results.design
        ps = list(results.parameters)
        if len(ps) > LISTED_SWEPT:  # a sample over all the uncertain parameters: too many to list
            items.append(f"swept: {len(ps)} parameters, {', '.join(ps[:LISTED_SWEPT])} and "
                         f"{len(ps) - LISTED_SWEPT} more (each one's values: design.parquet in "
                         f"{results.folder.name})")
        for p in ps if len(ps) <= LISTED_SWEPT else []:
            items.append(f"swept: {p} from {d[p].min():g} to {d[p].max():g} "
                         f"({d[p].nunique()} values)")
        for c in ("strategy", "scenario"):
            if d[c].nunique() > 1:
                items.append(f"swept: {c} " + ", ".join(map(str, dict.fromkeys(d[c]))))
    return items


def sobol_answer(table: pd.DataFrame, most: int = 3) -> str:
    """What drives each outcome, in words: the ``most`` parameters with the largest total
    Sobol index (the share of the outcome's variance a parameter explains, interactions
    included), each with its 95% interval."""
    from model.analysis.sensitivity import ROUGH_BELOW

    parts = []
    for outcome, t in table.groupby("outcome", sort=False):
        t = t.dropna(subset=["total"]).sort_values("total", ascending=False).head(most)
        if t.empty:
            parts.append(f"{outcome}: no estimate (it does not vary over the sample, or too few "
                         "samples finished)")
            continue
        parts.append(f"{outcome}: " + ", ".join(
            f"{row.parameter} {row.total:.2f}" + (
                f" [{row.total_low:.2f}-{row.total_high:.2f}]"
                if np.isfinite(row.total_low) and np.isfinite(row.total_high) else
                " [no interval]") for row in t.itertuples()))
    samples = int(table["samples"].min()) if len(table) else 0
    return ("what drives the outcomes, by total Sobol index (the share of an outcome's variance "
            "a parameter explains, with its interactions; 95% interval): " + "; ".join(parts)
            + f". From {samples} base samples" + (" (rough: an index above 1 or below 0, or a "
                                                 "wide interval, is sampling noise)"
                                                 if samples < ROUGH_BELOW else "") + ".")


def run_answer(results: Results, column: str, year: int, target=None) -> str:
    """One or two sentences on one run folder: the figure in ``year`` with its interval, how often
    the target is reached, and the cost to each patron."""
    nums = key_figures_numbers(results, year)
    runs = results.runs[results.runs["year"] == year]

    def cell(col: str) -> str:
        v = runs[col].to_numpy(dtype=float)
        p5, med, p95 = np.percentile(v, [5, 50, 95])
        return f"{fmt_value(med, col)} (90% of runs {fmt_value(p5, col)} to {fmt_value(p95, col)})"

    del nums
    text = f"Under {results.label}, {label(column)} in {year} is {cell(column)}"
    if target is not None:
        hit = target.evaluate(results.runs)
        text += (f"; the target {describe_target(target)} is reached in {int(hit['hit'].sum())} of "
                 f"{len(hit)} runs")
    text += (f". Cost to Russia that year: {cell('support_russia_usd')}; to China: "
             f"{cell('support_china_usd')}.")
    return text


def describe_target(target) -> str:
    return f"{label(target.column)} {target.op} {fmt_value(target.threshold, target.column)} in {target.year}"


def build_brief(folders, out: str | Path, outcomes=(), spec: BriefSpec | None = None,
                pdf: bool = True, progress=None, year: int | None = None,
                target: str | None = None) -> Brief:
    """Write the brief for ``folders`` into ``out``; ``progress(name)`` is called per chart drawn.

    Bottom line first (question, answer with numbers and intervals, settings that differ from
    the baseline), then the evidence. A sweep's design points are never pooled: its evidence
    is the response chart and the per-point table. ``year`` is the year asked (default: the
    target's, else 2020 if the runs reach it, else their last year); ``target``
    ('trade_russia_usd@2020>=1e9') is drawn and its reach counted.
    """
    plan = plan_brief(folders, Path(out), outcomes, spec or BriefSpec(), year, target)
    prepare_out(plan.out)
    doc = BriefDocument(plan.out, progress, bottom_line(plan))
    with contextlib.ExitStack() as stack:
        if pdf:
            doc.open_pdf(stack, plan.title)
        for i, r in enumerate(plan.results):
            tag = f"_{i}" if len(plan.results) > 1 else ""
            (run_evidence if r.kind == "run" else sweep_evidence)(doc, plan, r, tag)
        doc.blocks += closing_sections(plan)
        return doc.write(plan.title, [r.missing_note() for r in plan.results if r.failed])


@dataclass
class BriefPlan:
    """What a brief will show, checked before anything is written: the results, the question
    (target or first outcome, else the compared column), the year asked and the title."""

    out: Path
    spec: BriefSpec
    results: list[Results]
    goal: Outcome | None
    parsed: list[Outcome]
    year: int | None
    column: str
    title: str
    sobol: dict[int, pd.DataFrame] = field(default_factory=dict)  # id(results) -> indices

    def sobol_of(self, results: Results) -> pd.DataFrame | None:
        """The Sobol indices of a sweep with a Sobol sample (worked out once: the bottom line
        and the evidence both use them), else None."""
        if results.kind != "sweep" or results.method != "sobol" or (
                "sobol_block" not in results.design.columns):
            return None
        if id(results) not in self.sobol:
            from model.analysis.sensitivity import sobol_table

            self.sobol[id(results)] = sobol_table(results)
        return self.sobol[id(results)]


def plan_brief(folders, out: Path, outcomes, spec: BriefSpec, year: int | None,
               target: str | None) -> BriefPlan:
    """Read the folders and check every outcome, column and year against them."""
    from model.analysis.charts import suggest
    from model.analysis.response import check_year

    results = load_many(folders)
    if not results:
        raise HedgesimError(None, "RESULTS", "expected at least one results folder")
    columns = results[0].columns
    goal = parse_outcome(target, columns, default_year=year, field="--target") if target else None
    texts = list(dict.fromkeys([*spec.outcomes, *outcomes]))
    parsed = [parse_outcome(t, columns) for t in texts]
    for c in [*spec.fan, spec.compare]:
        if c not in columns:
            raise HedgesimError(c, "fan/compare", f"expected an output column{suggest(c, columns)}")
    if year is None:
        year = goal.year if goal else (2020 if all(r.years[0] <= 2020 <= r.years[1] for r in results)
                                       else None)
    for r in results:
        r.years  # noqa: B018 - reads every folder's runs before anything is written
        year = check_year(r, year) if year is not None else None
        if goal is not None:
            check_year(r, goal.year)
    if goal is None and parsed:
        goal = parsed[0]
    column = goal.column if goal else spec.compare
    primary = results[0]
    title = spec.title if spec.title != BriefSpec.title else (
        f"{primary.manifest.get('name') or primary.label}: "
        f"{question_of(primary).split('?')[0].strip()}?"
        if len(results) == 1 else spec.title)
    return BriefPlan(out, spec, results, goal, parsed, year, column, title)


def bottom_line(plan: BriefPlan) -> list[tuple]:
    """Title, the questions, the answers in numbers, the settings that differ from the
    baseline, what the intervals hold, missing runs and counterfactual history."""
    from model.analysis.response import answers

    results, goal, primary = plan.results, plan.goal, plan.results[0]
    notes = [r.missing_note() for r in results if r.failed]
    blocks: list[tuple] = [("h1", plan.title), ("h2", "Bottom line")]
    for r in results:
        blocks.append(("p", f"**Question ({r.label}).** {question_of(r)}"))
    answer_lines: list[str] = []
    for r in results:
        y = plan.year or r.years[1]
        if r.kind == "run":
            answer_lines.append(run_answer(r, plan.column, y, goal))
        elif goal is not None and r.parameters and r.method == "grid":
            found = answers(r, goal)
            head = (f"Target: {describe_target(goal)}, reached when at least half the "
                    f"replications of a setting reach it.")
            answer_lines.append(" ".join([head, *(a.sentence(goal) for a in found)]))
        elif (sob := plan.sobol_of(r)) is not None:
            answer_lines.append(f"{r.label}: {sobol_answer(sob)}")
        else:
            answer_lines.append(f"{r.label}: see the per-point table; no target was given "
                                "(--target column@year>=value) to answer against.")
    for line in answer_lines:
        blocks.append(("p", f"**Answer.** {line}"))
    blocks.append(("p", "Settings that differ from the baseline scenario:"))
    blocks.append(("list", [item for r in results for item in settings_vs_baseline(r)]))
    blocks.append(("p", f"Intervals are the 5-95% range across replications, "
                        f"{primary.draws_phrase}. Generated {now_utc()} by hedgesim "
                        f"{code_version()} from {len(results)} results folder(s): "
                        + ", ".join(f"{r.folder.name} ({r.kind})" for r in results) + "."))
    if notes:
        blocks.append(("p", "**Missing runs.** " + "; ".join(notes) + "."))
    counterfactual = [f"{r.label}: {r.history_note()}" for r in results if r.history_note()]
    if counterfactual:
        blocks.append(("p", "**Counterfactual history.** These results come from settings that "
                            "change years before the scenario's policy start, so their history is "
                            "not the calibrated one the sources give: " + "; ".join(counterfactual)
                            + "."))
    blocks.append(("h2", "Evidence"))
    return blocks


class BriefDocument:
    """The brief being written: its blocks, the charts drawn so far and, when asked for, the
    PDF that collects the pages as they are made (closed however the brief ends)."""

    def __init__(self, out: Path, progress, blocks: list[tuple]) -> None:
        self.out, self.progress, self.blocks = out, progress, blocks
        self.cover = len(blocks)  # the bottom line: the PDF's first pages
        self.charts: list[Chart] = []
        self.pdf = None

    def open_pdf(self, stack: contextlib.ExitStack, title: str) -> None:
        from matplotlib.backends.backend_pdf import PdfPages

        self.pdf = stack.enter_context(PdfPages(self.out / "brief.pdf", metadata={"Title": title}))
        text_pages(self.pdf, without_empty_headings(list(self.blocks)))

    def table(self, frame: pd.DataFrame, name: str) -> None:
        frame.to_csv(self.out / "tables" / name, index=False)

    def add(self, name: str, draw, heading: str | None = None, after: list[tuple] = (),
            before: list[tuple] = ()) -> None:
        """Draw a chart (PNG, SVG and a PDF page) and place it under ``heading``."""
        chart = _chart(self.out, name, draw, self.pdf)
        self.charts.append(chart)
        if self.progress is not None:
            self.progress(name)
        if heading:
            self.blocks.append(("h2", heading))
        self.blocks.extend(before)
        self.blocks.append(("chart", chart))
        self.blocks.extend(after)

    def write(self, title: str, notes: list[str]) -> Brief:
        """brief.md, brief.html and the PDF's closing text pages."""
        md = self.out / "brief.md"
        md.write_text(render_markdown(self.blocks), encoding="utf-8")
        page = self.out / "brief.html"
        page.write_text(render_html(self.blocks, title), encoding="utf-8")
        pdf_path = None
        if self.pdf is not None:
            tail = without_empty_headings([b for b in self.blocks[self.cover:] if b[0] != "chart"])
            text_pages(self.pdf, [("h1", "Tables, methods, sources and provenance"), *tail])
            pdf_path = self.out / "brief.pdf"
        return Brief(self.out, md, page, pdf_path, self.charts, notes)


def run_evidence(doc: BriefDocument, plan: BriefPlan, r: Results, tag: str) -> None:
    """A run: its key figures, a fan chart per column asked for and the standard charts."""
    from model.analysis.fan import fan_chart

    y, goal = plan.year or r.years[1], plan.goal
    nums = key_figures_numbers(r, y)
    doc.table(nums, f"key_figures{tag}.csv")
    doc.blocks += [("h2", f"Key figures: {r.label}"),
                   ("p", f"Median and 5-95% range across the {int(nums['replications'].max())} "
                         f"runs of {r.label}, {r.draws_phrase} (numbers: tables/"
                         f"key_figures{tag}.csv)."),
                   ("table", key_figures_table(r, y))]
    for c in plan.spec.fan:
        doc.add(f"fan_{c}{tag}", lambda p, c=c: fan_chart(r, c, p, year=y, target=goal))
    prov = r.provenance() + " | median and 90% interval"
    for name, fn in STANDARD.items():
        doc.add(f"{name}{tag}", lambda p, fn=fn: fn(r.runs, prov, r.policy_start, p, year=y,
                                                    target=goal))


def sweep_evidence(doc: BriefDocument, plan: BriefPlan, r: Results, tag: str) -> None:
    """A sweep, per design point and never pooled: the response to the swept lever, the
    point table, then the strategy matrix, Sobol indices and scenario discovery where the
    design supports them."""
    from model.analysis.response import point_table, response_chart, shown_table

    y, goal, column = plan.year or r.years[1], plan.goal, plan.column
    asked = goal if goal and goal.year == y else None
    table = point_table(r, y, asked)
    doc.table(table, f"points{tag}.csv")
    if r.parameters and r.method == "grid":
        doc.add(f"response{tag}", lambda p: response_chart(r, column, p, year=y, target=goal),
                heading=f"How {label(column)} responds to the swept lever ({r.label})")
        if column != "support_russia_usd":
            doc.add(f"response_cost_russia{tag}",
                    lambda p: response_chart(r, "support_russia_usd", p, year=y))
    if len(table) <= 60:
        doc.blocks += [("h2", f"Every design point in {y} ({r.label})"),
                       ("p", f"Median and 5-95% range across replications at each point "
                             f"(numbers: tables/points{tag}.csv)."),
                       ("table", shown_table(r, table, asked))]
    else:
        doc.blocks += [("h2", f"Design points ({r.label})"),
                       ("p", f"{len(table)} points: too many to list; every point's median and "
                             f"5-95% range are in tables/points{tag}.csv.")]
    matrix_evidence(doc, r, tag)
    if (sob := plan.sobol_of(r)) is not None:
        sobol_evidence(doc, r, tag, sob)
    if r.parameters or len(groups_varied(r)):
        discovery_evidence(doc, plan, r, tag)


def matrix_evidence(doc: BriefDocument, r: Results, tag: str) -> None:
    """The strategy matrix, for a sweep whose design crosses strategies with settings."""
    from model.analysis.matrix import (
        axes_of,
        matrix_chart,
        matrix_table,
        noise_of,
        strategy_summary,
    )

    try:
        axes_of(r)
    except HedgesimError:
        return
    summary = strategy_summary(matrix_table(r))
    doc.table(summary, f"strategy_summary{tag}.csv")
    noise = noise_of(r)
    shown = summary.assign(
        payoff=summary["payoff"].map("{:.3f}".format),
        max_regret=summary["max_regret"].map("{:.3f}".format),
        china_share=summary["china_share"].map("{:.0%}".format),
        cost_russia=summary["cost_russia"].map(lambda v: fmt_value(v, "x_usd")),
        cost_china=summary["cost_china"].map(lambda v: fmt_value(v, "x_usd")),
        best_in_cells=summary["best_in_cells"].astype(int).astype(str) + " of " + summary["cells"].astype(str),
        robust=summary["robust"].map({True: "yes", False: ""}),
    ).drop(columns=["cells"])
    doc.add(f"matrix_payoff{tag}", lambda p: matrix_chart(r, p, "payoff"),
            heading="Which hedging strategy serves Pyongyang?",
            after=[("p", "Per strategy: mean DPRK payoff (model units), worst regret across the "
                         "settings, the number of settings where it is best, and the mean China "
                         "share and patron costs per year over the policy years. Noise: a "
                         f"cell's mean payoff has a standard error of about {noise:.3f} across "
                         "replications, so regrets smaller than about twice that are not "
                         "distinguishable from chance."), ("table", shown)])
    for metric in ("cost_russia", "cost_china", "china_share"):
        doc.add(f"matrix_{metric}{tag}", lambda p, m=metric: matrix_chart(r, p, m))


def sobol_evidence(doc: BriefDocument, r: Results, tag: str, sob: pd.DataFrame) -> None:
    """Sobol indices with bootstrap intervals, for a Sobol sample: the chart and the table of
    the parameters it shows (all of them in tables/sobol.csv)."""
    from model.analysis.sensitivity import leading_parameters, sensitivity_chart

    doc.table(sob, f"sobol{tag}.csv")
    params, left_max = leading_parameters(sob)
    rank = {p: k for k, p in enumerate(params)}  # in the chart's order, outcome by outcome
    kept = sob[sob["parameter"].isin(params)]
    shown = kept.iloc[np.lexsort((kept["parameter"].map(rank).to_numpy(),
                                  pd.factorize(kept["outcome"])[0]))][
        ["outcome", "parameter", "first", "first_low", "first_high", "total", "total_low",
         "total_high"]].round(3)
    which = "" if left_max is None else (
        f" The table shows the {len(params)} of {sob['parameter'].nunique()} parameters with the "
        "largest total index; every parameter's indices are in tables/"
        f"sobol{tag}.csv" + (f" (the others' total index is at most {left_max:.2f})."
                             if np.isfinite(left_max) else "."))
    doc.add(f"sensitivity{tag}", lambda p: sensitivity_chart(r, p, table=sob),
            heading="What drives the outcomes?",
            after=[("p", f"Sobol indices from {int(sob['samples'].min())} of "
                         f"{int(sob['samples_designed'].max())} base samples (95% bootstrap "
                         "intervals). With few samples the estimates are noisy: an index above 1 "
                         "or below 0, or a wide interval, is sampling noise, not a finding."
                         + which),
                   ("table", shown)])


def discovery_evidence(doc: BriefDocument, plan: BriefPlan, r: Results, tag: str) -> None:
    """Scenario discovery (a PRIM box per outcome), the one place design points are pooled."""
    from model.analysis.discovery import describe_outcome, discover, discovery_chart

    for k, outcome in enumerate(plan.parsed or ([plan.goal] if plan.goal else [])):
        found = discover(r, outcome)
        fb = found.shown_rows()[0]  # every limit is in the table's file
        cat = fb["kind"] == "categorical"
        box = fb.assign(
            swept=[v if c else _range_text(a, b) for a, b, v, c in
                   zip(fb["full_low"], fb["full_high"], fb["all_values"], cat, strict=True)],
            box=[v if c else _range_text(a, b) for a, b, v, c in
                 zip(fb["low"], fb["high"], fb["values"], cat, strict=True)],
            restricted=fb["restricted"].map({True: "yes", False: "no"}),
        )[["parameter", "swept", "box", "restricted"]]
        doc.table(found.box, f"discovery_{k}{tag}.csv")
        doc.add(f"discovery_{k}{tag}", lambda p, o=outcome, f=found: discovery_chart(r, o, p, f),
                heading=f"Where is '{describe_outcome(outcome)}' likely? (pools all design points)",
                after=[("p", f"Outcome '{describe_outcome(outcome)}': yes in {found.hits} of "
                             f"{found.runs} runs of all design points pooled "
                             f"({found.base_rate:.0%}). "
                             f"{found.note(f'tables/discovery_{k}{tag}.csv')}"), ("table", box)])


def closing_sections(plan: BriefPlan) -> list[tuple]:
    """Methods, the sources behind the calibration and the provenance of every folder."""
    spec = plan.spec
    blocks: list[tuple] = [
        ("h2", "Methods"), ("p", METHODS),
        ("h2", "Sources behind the calibration"),
        ("p", "The calibration targets (model/calibration/targets.yaml) keep every source's "
              "reading; where sources disagree the band spans them. Sources:"),
        ("list", sources_list()),
        ("table", calibration_targets_table(set(spec.fan) | {spec.compare, plan.column}))]
    prov = []
    for r in plan.results:
        m = r.manifest
        pk = m.get("packages", {})
        prov.append(f"{r.folder}: {r.kind}"
                    + (f" ({r.method}, {len(r.design)} points)" if r.kind == "sweep" else "")
                    + f", {r.total - r.failed} of {r.total} runs ok, code {m.get('code_version', '?')}, "
                    f"created {m.get('created_utc', '?')}, command '{m.get('command', '?')}', "
                    + ", ".join(f"{k} {v}" for k, v in pk.items()))
    prov.append(f"Brief generated by hedgesim {code_version()} at {now_utc()}.")
    return blocks + [("h2", "Provenance"), ("list", prov)]


def groups_varied(r: Results) -> list[str]:
    return [c for c in ("scenario", "strategy") if r.design[c].nunique() > 1]


def _range_text(a: float, b: float) -> str:
    if isinstance(a, str) or isinstance(b, str):
        return f"{a}" if a == b else f"{a}, {b}"
    return f"{a:.3g}" if a == b else f"{a:.3g} - {b:.3g}"


__all__ = ["Brief", "BriefSpec", "build_brief", "load_spec", "label"]
