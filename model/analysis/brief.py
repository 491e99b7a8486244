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
import difflib
import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.analysis.charts import STANDARD, fmt_value, label
from model.analysis.results import Results, load_many, parse_outcome
from model.analysis.summary import KEY_FIGURES
from model.calibration.targets import load_targets
from model.errors import HedgesimError
from model.experiments.store import code_version, now_utc
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
        close = difflib.get_close_matches(str(key), sorted(SPEC_KEYS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
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
            out.append(f"![{c.title}](charts/{c.png.name})\n\n*{c.title}* "
                       f"([PNG](charts/{c.png.name}), [SVG](charts/{c.svg.name}))")
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
            cls = ' class="note"' if rest[0].startswith("**Missing runs") else ""
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
                       f"<figcaption>{html.escape(c.title)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


def _text_lines(blocks: list[tuple]) -> list[str]:
    import textwrap

    lines: list[str] = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2"):
            lines += ["", rest[0].upper()]
        elif kind == "p":
            lines += textwrap.wrap(rest[0].replace("**", ""), 150)
        elif kind == "list":
            for item in rest[0]:
                lines += textwrap.wrap(f"- {item}", 150, subsequent_indent="  ")
        elif kind == "table":
            lines += rest[0].to_string(index=False, max_colwidth=60).splitlines()
    return lines


def text_pages(pdf, blocks: list[tuple]) -> None:
    """Append A4 pages of monospaced text (headings, paragraphs, tables) to ``pdf``."""
    import matplotlib.pyplot as plt

    lines = _text_lines(blocks)
    per_page = 80
    for start in range(0, len(lines), per_page):
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.04, 0.97, "\n".join(lines[start:start + per_page]), va="top", ha="left",
                 family="monospace", fontsize=6.2)
        pdf.savefig(fig)
        plt.close(fig)


# ------------------------------------------------------------ content
def key_figures_table(results: Results) -> pd.DataFrame:
    """Median [5%-95%] across runs for 2014, 2020 (if run) and the last year."""
    runs = results.runs
    first, last = results.years
    years = [y for y in dict.fromkeys([2014, 2020, last]) if first <= y <= last]
    rows = []
    for column, name, _unit in KEY_FIGURES:
        row = {"figure": name}
        for y in years:
            v = runs.loc[runs["year"] == y, column].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if v.size:
                p5, med, p95 = np.percentile(v, [5, 50, 95])
                row[str(y)] = f"{fmt_value(med, column)} [{fmt_value(p5, column)} - {fmt_value(p95, column)}]"
        rows.append(row)
    return pd.DataFrame(rows)


def sources_list() -> list[str]:
    seen = {}
    for t in load_targets():
        for r in t.readings:
            seen[r.seed] = f"{r.seed}: {r.outlet}, {r.author}, {r.published}"
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
                         "sources": ", ".join(dict.fromkeys(r.seed[:3] for r in t.readings))})
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
    "5-95% range across replications (for a sweep: across design points and replications). The "
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


def build_brief(folders, out: str | Path, outcomes=(), spec: BriefSpec | None = None,
                pdf: bool = True, progress=None) -> Brief:
    """Write the brief for ``folders`` into ``out``; ``progress(name)`` is called per chart drawn."""
    from model.analysis.compare import compare_chart, grouped
    from model.analysis.discovery import describe_outcome, discover, discovery_chart
    from model.analysis.fan import fan_chart
    from model.analysis.matrix import axes_of, matrix_chart, matrix_table, strategy_summary
    from model.analysis.sensitivity import sensitivity_chart, sobol_table

    spec = spec or BriefSpec()
    results = load_many(folders)
    if not results:
        raise HedgesimError(None, "RESULTS", "expected at least one results folder")
    out = Path(out)
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
        (out / "tables").mkdir(exist_ok=True)
    except OSError as exc:
        raise HedgesimError(str(out), "--out", f"expected a writable folder ({exc.strerror})") from None
    texts = list(dict.fromkeys([*spec.outcomes, *outcomes]))
    columns = results[0].runs.columns
    parsed = [parse_outcome(t, columns) for t in texts]
    for c in [*spec.fan, spec.compare]:
        if c not in columns:
            from model.analysis.charts import suggest

            raise HedgesimError(c, "fan/compare", f"expected an output column{suggest(c, columns)}")

    primary = results[0]
    notes = [r.missing_note() for r in results if r.failed]
    blocks: list[tuple] = [("h1", spec.title)]
    blocks.append(("p", f"Generated {now_utc()} by hedgesim {code_version()} from {len(results)} results "
                        f"folder(s): " + ", ".join(f"{r.folder.name} ({r.kind})" for r in results) + "."))
    if notes:
        blocks.append(("p", "**Missing runs.** " + "; ".join(notes) + "."))
    counterfactual = [f"{r.label}: {r.history_note()}" for r in results if r.history_note()]
    if counterfactual:
        blocks.append(("p", "**Counterfactual history.** These results come from settings that "
                            "change years before the scenario's policy start, so their history is "
                            "not the calibrated one the sources give: " + "; ".join(counterfactual)
                            + "."))

    blocks += [("h2", "Key figures"),
               ("p", f"Median and 5-95% range across runs of {primary.label}"
                     + (" (all design points pooled)" if primary.kind == "sweep" else "")
                     + f", {primary.draws_phrase}.")]
    kf = key_figures_table(primary)
    blocks.append(("table", kf))
    kf.to_csv(out / "tables" / "key_figures.csv", index=False)

    charts: list[Chart] = []
    cover = len(blocks)

    pdf_doc = None
    if pdf:
        from matplotlib.backends.backend_pdf import PdfPages

        pdf_doc = PdfPages(out / "brief.pdf", metadata={"Title": spec.title})
        text_pages(pdf_doc, list(blocks))  # cover: title, missing runs, key figures

    def add(name: str, draw, heading: str | None = None, after: list[tuple] = ()):
        chart = _chart(out, name, draw, pdf_doc)
        charts.append(chart)
        if progress is not None:
            progress(name)
        if heading:
            blocks.append(("h2", heading))
        blocks.append(("chart", chart))
        blocks.extend(after)

    blocks.append(("h2", "Outcomes over time"))
    for column in spec.fan:
        add(f"fan_{column}", lambda p, c=column: fan_chart(primary, c, p))
    if primary.kind == "run":
        prov = primary.provenance() + " | median and 90% interval"
        for name, fn in STANDARD.items():
            add(name, lambda p, fn=fn: fn(primary.runs, prov, primary.policy_start, p))

    runs_only = [r for r in results if r.kind == "run"]
    if len(runs_only) > 1:
        by, _ = grouped(runs_only)
        add("compare", lambda p: compare_chart(runs_only, spec.compare, p),
            heading=f"Comparison by {by}")

    for i, r in enumerate(results):
        tag = f"_{i}" if len(results) > 1 else ""
        if r.kind != "sweep":
            continue
        by, groups = grouped([r])
        if groups["group"].nunique() > 1:
            add(f"compare{tag}", lambda p, r=r: compare_chart([r], spec.compare, p),
                heading=f"Comparison by {by} ({r.label})")
        try:
            axes_of(r)
            has_matrix = True
        except HedgesimError:
            has_matrix = False
        if has_matrix:
            summary = strategy_summary(matrix_table(r))
            summary.to_csv(out / "tables" / f"strategy_summary{tag}.csv", index=False)
            shown = summary.assign(
                payoff=summary["payoff"].map("{:.2f}".format),
                max_regret=summary["max_regret"].map("{:.2f}".format),
                china_share=summary["china_share"].map("{:.0%}".format),
                cost_russia=summary["cost_russia"].map(lambda v: fmt_value(v, "x_usd")),
                cost_china=summary["cost_china"].map(lambda v: fmt_value(v, "x_usd")),
                best_in_cells=summary["best_in_cells"].astype(int).astype(str) + " of " + summary["cells"].astype(str),
            ).drop(columns=["cells"])
            add(f"matrix_payoff{tag}", lambda p, r=r: matrix_chart(r, p, "payoff"),
                heading="Which hedging strategy serves Pyongyang?",
                after=[("p", "Per strategy: mean DPRK payoff, worst regret across the settings, the number "
                             "of settings where it is best, and the mean China share and patron costs per "
                             "year over the policy years."), ("table", shown)])
            for metric in ("cost_russia", "cost_china", "china_share"):
                add(f"matrix_{metric}{tag}", lambda p, r=r, m=metric: matrix_chart(r, p, m))
        if r.method == "sobol" and "sobol_block" in r.design.columns:
            table = sobol_table(r)
            table.to_csv(out / "tables" / f"sobol{tag}.csv", index=False)
            shown = table[["outcome", "parameter", "first", "first_low", "first_high", "total",
                           "total_low", "total_high"]].round(3)
            add(f"sensitivity{tag}", lambda p, r=r, t=table: sensitivity_chart(r, p, table=t),
                heading="What drives the outcomes?",
                after=[("p", f"Sobol indices from {int(table['samples'].min())} of "
                             f"{int(table['samples_designed'].max())} base samples (95% bootstrap "
                             "intervals)."), ("table", shown)])
        if r.parameters:
            for k, outcome in enumerate(parsed):
                found = discover(r, outcome)
                box = found.box.assign(
                    swept=[f"{a:.3g} - {b:.3g}" for a, b in zip(found.box["full_low"], found.box["full_high"], strict=True)],
                    box=[f"{a:.3g} - {b:.3g}" for a, b in zip(found.box["low"], found.box["high"], strict=True)],
                )[["parameter", "swept", "box", "restricted"]]
                found.box.to_csv(out / "tables" / f"discovery_{k}{tag}.csv", index=False)
                add(f"discovery_{k}{tag}", lambda p, r=r, o=outcome, f=found: discovery_chart(r, o, p, f),
                    heading=f"How likely is '{describe_outcome(outcome)}'?",
                    after=[("p", f"Outcome '{outcome.text}': yes in {found.hits} of {found.runs} runs "
                                 f"({found.base_rate:.0%}). The box below holds {found.coverage:.0%} of the "
                                 f"'yes' runs (coverage) and {found.density:.0%} of the runs in it are 'yes' "
                                 f"(density): {found.describe()}."), ("table", box)])

    blocks += [("h2", "Methods"), ("p", METHODS),
               ("h2", "Sources behind the calibration"),
               ("p", "The calibration targets (model/calibration/targets.yaml) keep every source's "
                     "reading; where sources disagree the band spans them."),
               ("list", sources_list()),
               ("table", calibration_targets_table(set(spec.fan) | {spec.compare}))]
    prov = []
    for r in results:
        m = r.manifest
        pk = m.get("packages", {})
        prov.append(f"{r.folder}: {r.kind}"
                    + (f" ({r.method}, {len(r.design)} points)" if r.kind == "sweep" else "")
                    + f", {r.total - r.failed} of {r.total} runs ok, code {m.get('code_version', '?')}, "
                    f"created {m.get('created_utc', '?')}, command '{m.get('command', '?')}', "
                    + ", ".join(f"{k} {v}" for k, v in pk.items()))
    prov.append(f"Brief generated by hedgesim {code_version()} at {now_utc()}.")
    blocks += [("h2", "Provenance"), ("list", prov)]

    md = out / "brief.md"
    md.write_text(render_markdown(blocks), encoding="utf-8")
    page = out / "brief.html"
    page.write_text(render_html(blocks, spec.title), encoding="utf-8")
    pdf_path = None
    if pdf_doc is not None:
        tail = [b for b in blocks[cover:] if b[0] != "chart"]
        text_pages(pdf_doc, [("h1", "Tables, methods, sources and provenance"), *tail])
        pdf_doc.close()
        pdf_path = out / "brief.pdf"
    return Brief(out, md, page, pdf_path, charts, notes)


__all__ = ["Brief", "BriefSpec", "build_brief", "load_spec", "label"]
