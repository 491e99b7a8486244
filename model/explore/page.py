"""The explorer's page (Solara): controls on the left, the views on the right.

Plain Solara rather than Mesa's ``SolaraViz``: SolaraViz drives one model instance step by step
(play, step, reset) and draws components from that instance, while every view here is an
ensemble of replications of a scenario, each with its own posterior draw, summarised and drawn
by the same chart code as runs and briefs. Nothing is computed here: :mod:`.session` does it.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import threading
from dataclasses import dataclass, replace

import solara

from model.errors import HedgesimError
from model.explore.session import (
    LEVER_GROUPS,
    MAX_REPLICATIONS,
    Explorer,
    Settings,
    Stale,
    View,
    slider,
)
from model.strategies import STRATEGIES

log = logging.getLogger("hedgesim.explore")
EXPLORER: Explorer | None = None
"""Set by :func:`model.explore.server.serve` before the server starts; built from the
environment (``HEDGESIM_EXPLORE_SCENARIO``) when the page is served some other way."""
CHART_TITLES = {"trade_by_partner": "Trade by partner",
                "patron_costs": "Cost to each patron",
                "dependence": "China's share and dependence"}
CSS = """
.hs-table{border-collapse:collapse;font-size:0.95em;margin:0.5em 0}
.hs-table td,.hs-table th{border:1px solid #bbb;padding:4px 8px;text-align:left}
.hs-table th{background:#eee}
.hs-set{color:#D55E00;font-weight:bold}
.hs-label{font-size:0.9em;margin-top:6px}
.hs-where{color:#555;font-size:0.9em}
.hs-hint{color:#555;font-size:0.78em;margin:-8px 0 6px 0}
.hs-group{font-weight:bold;margin-top:14px;border-bottom:1px solid #ccc}
.hs-lever .v-input__slot{margin-bottom:0}
h2{margin:4px 0 8px 0} h3{margin:18px 0 6px 0}
.hs-chart img{max-width:100%;border:1px solid #ddd;margin-bottom:12px}
.hs-old{opacity:0.45}
"""


def explorer() -> Explorer:
    global EXPLORER
    if EXPLORER is None:
        EXPLORER = Explorer(os.environ.get("HEDGESIM_EXPLORE_SCENARIO", "baseline"))
    return EXPLORER


def css_name(name: str) -> str:
    return name.replace(".", "-")


def message(exc: BaseException) -> str:
    """One line for the page: a user mistake as the CLI words it, anything else briefly."""
    if isinstance(exc, HedgesimError):
        return str(exc)
    return f"these settings could not be run: {type(exc).__name__}: {' '.join(str(exc).split())}"[:600]


def figures_html(view: View) -> str:
    head = (f"<tr><th>{view.year}</th><th>these settings: median [90% interval]</th>"
            "<th>baseline</th><th>change in median</th></tr>")
    rows = "".join(
        f"<tr><td>{html.escape(r.figure)}</td>"
        f"<td id=\"kf-{r.column}\" class=\"hs-kf\">{html.escape(r.value)}</td>"
        f"<td id=\"kf-base-{r.column}\">{html.escape(r.baseline)}</td>"
        f"<td>{html.escape(r.change)}</td></tr>" for r in view.rows)
    return f"<table class=\"hs-table\">{head}{rows}</table>"


@solara.component
def Lever(name: str, settings: Settings, on_settings):
    ex = explorer()
    s = slider(name)
    state = ex.lever_state(settings, name)
    value, is_set = state.value, state.set_here
    shown = s.shown(s.value(s.shown(value)))  # on the slider's grid, so it never re-rounds it

    def moved(position: float) -> None:
        if not is_set and abs(position - shown) < s.step / 2:
            return  # the slider echoing the value it was given is not a change
        on_settings(settings.with_lever(name, s.value(position)))

    # a calibrated lever the scenario leaves to the posterior shows the draws' median, and
    # says so: the runs use each its own draw, not the one value a slider can show
    value_text = ("median " if state.spread is not None else "") + s.text(value)
    with solara.Div(classes=[f"hs-lever-{css_name(name)}", "hs-lever"]):
        solara.HTML(tag="div", classes=["hs-label"], unsafe_innerHTML=(
            f"{html.escape(s.label)}: <span class=\"{'hs-set' if is_set else ''} hs-value\" "
            f"id=\"lv-{css_name(name)}\">{html.escape(value_text)}</span> "
            f"<span class=\"hs-where\" id=\"lw-{css_name(name)}\">({html.escape(state.where)})"
            "</span>"))
        solara.SliderFloat("", value=shown, min=s.shown(s.low), max=s.shown(s.high),
                           step=s.step, on_value=moved, thumb_label=True)
        solara.HTML(tag="div", classes=["hs-hint"], unsafe_innerHTML=(
            f"<code>{html.escape(name)}</code> in {html.escape(s.unit)}, "
            f"{html.escape(s.text(s.low))} to {html.escape(s.text(s.high))}"))


@solara.component
def Controls(settings: Settings, on_settings):
    ex = explorer()
    sc = ex.scenario(settings.scenario)
    solara.Select("Scenario", values=ex.choices(), value=settings.scenario,
                  on_value=lambda ref: on_settings(ex.initial(ref)))
    solara.Select(f"DPRK strategy from {sc.policy_start}", values=list(STRATEGIES),
                  value=ex.strategy_of(settings),
                  on_value=lambda s: on_settings(replace(settings, strategy=s)))
    reps = settings.replications or sc.replications
    solara.SliderInt(f"Replications: {reps}", value=reps, min=1, max=MAX_REPLICATIONS,
                     on_value=lambda n: on_settings(replace(settings, replications=int(n))))
    solara.SliderInt(f"Year asked: {settings.year}", value=settings.year,
                     min=min(2014, sc.horizon), max=sc.horizon,
                     on_value=lambda y: on_settings(replace(settings, year=int(y))))
    solara.InputText("Target (column@year >= value; blank for none)", value=settings.target,
                     on_value=lambda t: on_settings(replace(settings, target=t or "")),
                     continuous_update=True)
    solara.Button("Reset levers and strategy", text=True,
                  on_click=lambda: on_settings(replace(settings, levers=(), strategy=None)))
    for group, names in LEVER_GROUPS:
        solara.HTML(tag="div", classes=["hs-group"], unsafe_innerHTML=html.escape(group))
        for name in names:
            Lever(name, settings, on_settings)


@solara.component
def SaveAndBrief(settings: Settings):
    ex = explorer()
    default = f"{settings.scenario}_explored" if "/" not in settings.scenario else "explored"
    # reactive values, updated as they are typed (ipywidgets orders these updates, whereas a
    # field updated on Enter or blur can be read before its last keystrokes arrive) and read
    # when a button is pressed
    name_box = solara.use_reactive(default)
    question_box = solara.use_reactive("")
    name = name_box.value
    said, set_said = solara.use_state(("", ""))  # the last save: (kind, text)
    request, set_request = solara.use_state(None)  # the last "Make brief": (settings, name, ...)

    def save() -> None:
        try:
            path = ex.save(settings, name_box.value.strip(), question=question_box.value)
            set_said(("success", f"saved {path}; run it with: hedgesim run {path}"))
        except Exception as exc:  # the page says what went wrong; the server keeps serving
            set_said(("error", message(exc)))

    def make_brief():
        if request is None:
            return None
        wanted, label, asked, _ = request
        try:
            path, folder, made = ex.brief(wanted, label, question=asked)
        except HedgesimError as exc:
            return ("error", message(exc))
        except Exception as exc:  # one line on the page, the traceback in the log
            log.exception("explorer: the brief failed")
            return ("error", message(exc))
        return ("success", f"brief {made.html} (brief.md and brief.pdf beside it) of {path}; "
                           f"results {folder}")

    brief = solara.use_thread(make_brief, dependencies=[request], intrusive_cancel=False)
    busy = request is not None and brief.state in (
        solara.ResultState.STARTING, solara.ResultState.WAITING, solara.ResultState.RUNNING)

    with solara.Card("Save and brief"):
        solara.InputText("Scenario name (letters, digits, _ or -)", value=name_box,
                         continuous_update=True)
        solara.InputText("Question it answers (the brief's opening; optional)", value=question_box,
                         continuous_update=True)
        with solara.Row():
            solara.Button("Save as scenario", on_click=save, disabled=busy, color="primary")
            solara.Button("Make brief", disabled=busy, on_click=lambda: set_request(
                (settings, name_box.value.strip(), question_box.value,
                 (request or (0,) * 4)[3] + 1)))
        solara.Text(f"Saves to {ex.save_dir}/{name.strip() or '?'}.yaml (extends the baseline); "
                    f"a brief runs it into {ex.out}/ and writes {ex.briefs}/{name.strip() or '?'}/.")
        kind, text = said
        if text:
            with solara.Div(classes=["hs-said"]):
                (solara.Success if kind == "success" else solara.Error)(text)
        if request is not None:
            with solara.Div(classes=["hs-brief"]):
                if busy:
                    solara.Info("running the saved scenario and writing the brief ...")
                elif brief.state == solara.ResultState.ERROR:
                    solara.Error(message(brief.error))
                elif brief.value:
                    kind, text = brief.value
                    (solara.Success if kind == "success" else solara.Error)(text)


@dataclass(frozen=True)
class Problem:
    """Settings the model cannot take, and the one line that says why."""

    settings: Settings
    text: str


def attempt(ex: Explorer, settings: Settings, cancel: threading.Event, charts: bool):
    """The view for ``settings``, a :class:`Problem` for a mistake (shown on the page, not
    logged as a traceback), or None when newer settings made it stale."""
    try:
        return ex.view(settings, cancelled=cancel.is_set, charts=charts)
    except Stale:
        return None
    except HedgesimError as exc:
        return Problem(settings, message(exc))
    except Exception as exc:  # a model failure: one line on the page, the traceback in the log
        log.exception("explorer: these settings could not be run: %s", settings)
        return Problem(settings, message(exc))


@solara.component
def Page():
    ex = explorer()
    settings, set_settings = solara.use_state(ex.initial())

    # Two steps, so the key figures follow a change as soon as the runs are done (a tenth of a
    # second for 20 replications) and the charts, which take longer to draw, a moment later.
    result = solara.use_thread(lambda cancel: attempt(ex, settings, cancel, charts=False),
                               dependencies=[settings], intrusive_cancel=False)
    last_view = solara.use_ref(None)
    if isinstance(result.value, View):
        last_view.current = result.value
    view: View | None = last_view.current
    ready = (isinstance(result.value, View) and result.value.settings == settings
             and result.state == solara.ResultState.FINISHED)
    drawn = solara.use_thread(
        lambda cancel: attempt(ex, settings, cancel, charts=True) if ready else None,
        dependencies=[settings, ready], intrusive_cancel=False)
    last_charts = solara.use_ref(None)
    if isinstance(drawn.value, View):
        last_charts.current = drawn.value
    charted: View | None = last_charts.current

    solara.Title("hedgesim explorer")
    solara.Style(CSS)
    with solara.Sidebar():
        Controls(settings, set_settings)
    busy = (solara.ResultState.RUNNING, solara.ResultState.STARTING, solara.ResultState.WAITING)
    with solara.Column():
        solara.HTML(tag="h2", unsafe_innerHTML="hedgesim explorer: " + html.escape(settings.scenario))
        changed = ex.changes(settings)
        solara.Text("Changed on the page: " + ("; ".join(changed) if changed else "nothing"))
        with solara.Div(classes=["hs-status"]):
            problems = [r.value.text for r in (result, drawn)
                        if isinstance(r.value, Problem) and r.value.settings == settings]
            problems += [message(r.error) for r in (result, drawn)
                         if r.state == solara.ResultState.ERROR and r.error is not None]
            if problems:
                with solara.Div(classes=["hs-error"]):
                    solara.Error(problems[0])
            elif result.state in busy or not ready:
                solara.Info("running ...")
            elif drawn.state in busy or charted is None or charted.settings != settings:
                solara.Info(f"figures up to date (runs {view.seconds.get('runs', 0):.2f} s); "
                            "drawing the charts ...", classes=["hs-figures-done"])
            else:
                solara.Text(f"Up to date: median and {charted.note}; figures and charts "
                            f"computed in {charted.seconds.get('total', 0):.2f} s",
                            classes=["hs-done"])
        if view is not None:
            shown = view.settings == settings
            solara.HTML(tag="h3", unsafe_innerHTML=(
                f"Key figures in {view.year} against the baseline"
                + ("" if shown else " (for the previous settings)")))
            solara.HTML(tag="div", unsafe_innerHTML=figures_html(view),
                        classes=["hs-figures" if shown else "hs-figures-old"])
            if view.target:
                solara.Text(view.target, classes=["hs-target"])
                solara.Text("baseline: " + view.baseline_target, classes=["hs-target-base"])
        if charted is not None:
            current = charted.settings == settings
            for name, svg in charted.charts.items():
                solara.HTML(tag="h3", unsafe_innerHTML=html.escape(CHART_TITLES.get(name, name))
                            + ("" if current else " (for the previous settings)"))
                data = base64.b64encode(svg).decode("ascii")
                solara.HTML(tag="div", classes=["hs-chart", f"hs-chart-{name}"]
                            + ([] if current else ["hs-old"]), unsafe_innerHTML=(
                    f"<img alt=\"{html.escape(CHART_TITLES.get(name, name))}\" "
                    f"src=\"data:image/svg+xml;base64,{data}\">"))
        SaveAndBrief(settings)
