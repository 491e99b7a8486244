"""Where the time goes when a slider moves in ``hedgesim explore`` (issue 17: charts within a
second of a change at the default replications).

Starts an explorer on the baseline as ``hedgesim explore`` does, computes the first view (what
the server warms while the browser connects), then moves sliders one step at a time, as a
person in a meeting would, and times each change through the same calls the page makes. Each
change is split into:

- validate: the settings as a scenario, the target, the history guard;
- model runs: ``model.runner.run_scenario`` for the settings (and for the baseline, when it is
  not cached), of which compiling inputs per posterior member is shown apart;
- key figures: the year's summary of the runs and the baseline;
- chart drawing (matplotlib figures, lines and bands) and chart encoding (``savefig``), when
  the charts are drawn in this process (``--chart-processes 1``); by default the explorer
  draws a change's charts in two processes side by side, and only "charts ready" shows them;
- page encoding: what the page does with a view before Solara sends it (chart images to data
  URLs, the key-figure table as HTML).

Each phase is shown as wall time and as this process's CPU time: on a machine shared with
other jobs the wall time swings, the CPU time much less.

Solara's own re-render and the browser's are not in here: ``tests/test_explore_browser.py``
prints the latency a user sees, from key press to charts on the page.

    python benchmarks/explore_latency.py [--changes 8] [--replications 20] [--chart-processes 2]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import Machine  # noqa: E402

import model.analysis.charts as charts  # noqa: E402
import model.experiments.history as history  # noqa: E402
import model.experiments.summary as summary  # noqa: E402
import model.runner as runner  # noqa: E402
from model.explore import page  # noqa: E402
from model.explore.session import Explorer  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)  # wall seconds
CPU: dict[str, float] = defaultdict(float)  # this process's CPU seconds: less hit by other jobs


def timed(label: str, fn):
    def wrapper(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - t
            CPU[label] += time.process_time() - c
    wrapper.__wrapped__ = fn
    return wrapper


def instrument() -> None:
    """Wrap what a change calls, by the names the explorer looks them up by at call time."""
    runner.run_scenario = timed("model runs", runner.run_scenario)
    runner.compile_inputs = timed("  of which compiling inputs", runner.compile_inputs)
    history.guard = timed("validate: history guard", history.guard)
    summary.key_figures = timed("key figures", summary.key_figures)
    charts.save = timed("chart encoding (savefig)", charts.save)
    for name, fn in list(charts.STANDARD.items()):
        charts.STANDARD[name] = timed("chart drawing + encoding", fn)


def page_encoding(view) -> None:
    """What the page builds from a view: the key-figure table and each chart as a data URL."""
    t, c = time.perf_counter(), time.process_time()
    page.figures_html(view)
    for data in view.charts.values():
        base64.b64encode(data).decode("ascii")
    SPENT["page encoding"] += time.perf_counter() - t
    CPU["page encoding"] += time.process_time() - c


def change(ex: Explorer, settings) -> dict[str, float]:
    """One change as the page computes it; returns seconds by phase and to key figures/charts."""
    SPENT.clear()
    CPU.clear()
    t, c = time.perf_counter(), time.process_time()
    quick = ex.view(settings, charts=False)  # the page's first step: key figures
    figures_at = time.perf_counter() - t, time.process_time() - c
    view = ex.view(settings, charts=True)  # its second: the charts
    page_encoding(view)
    total = time.perf_counter() - t, time.process_time() - c
    out = {k: (SPENT[k], CPU[k]) for k in SPENT}
    out["key figures ready (s after the change)"] = figures_at
    out["charts ready (s after the change)"] = total
    out["_sizes"] = sum(len(b) for b in view.charts.values())
    assert quick.rows == view.rows
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=8, help="slider steps to time")
    ap.add_argument("--replications", type=int, default=None,
                    help="replications (default: the scenario's, 20 for the baseline)")
    ap.add_argument("--chart-processes", type=int, default=2,
                    help="processes drawing a change's charts (1: in this process, timed by phase)")
    args = ap.parse_args(argv)
    machine = Machine()
    instrument()
    ex = Explorer("baseline", chart_processes=args.chart_processes)
    t = time.perf_counter()
    settings = ex.initial()
    if args.replications:
        from dataclasses import replace

        settings = replace(settings, replications=args.replications)
    ex.view(settings, charts=True)
    print(f"first view (calibration read, baseline and settings run, charts): "
          f"{time.perf_counter() - t:.2f} s")
    # slider steps a person makes: Russia's subsidy up and down, China's enforcement
    steps = [("russia.trade_subsidy_rate", 0.30), ("russia.trade_subsidy_rate", 0.29),
             ("sanctions.enforcement_china", 0.5), ("china.trade_subsidy_rate", 0.2),
             ("russia.credit_usd", 3.0e8), ("sanctions.enforcement_china", 0.6),
             ("russia.trade_subsidy_rate", 0.31), ("china.aid_usd", 2.0e8)]
    results = []
    for i in range(args.changes):
        name, value = steps[i % len(steps)]
        settings = settings.with_lever(name, value + 0.01 * (i // len(steps)) *
                                       (1e8 if value > 10 else 1))
        results.append(change(ex, settings))
    labels = [k for k in results[0] if not k.startswith("_")]
    for r in results[1:]:
        labels += [k for k in r if k not in labels and not k.startswith("_")]
    print(f"\n{args.changes} slider changes, {settings.replications} replications; seconds per "
          "change, wall: median [min - max], and this process's CPU: median")
    for label in labels:
        xs = [r.get(label, (0.0, 0.0))[0] for r in results]
        cs = [r.get(label, (0.0, 0.0))[1] for r in results]
        print(f"  {label:<44} {statistics.median(xs):7.3f} [{min(xs):.3f} - {max(xs):.3f}]  "
              f"cpu {statistics.median(cs):.3f}")
    print(f"  chart bytes per change: {statistics.median(r['_sizes'] for r in results):,.0f}")
    print(machine.report())


if __name__ == "__main__":
    main()
