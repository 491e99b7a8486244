"""How to use hedgesim from Python (a notebook or a script): load, run, sweep, read.

Run it from a checkout or wherever hedgesim is installed:

    python docs/how-to/use-the-python-api.py [RESULTS_ROOT]

It writes a run and a sweep under RESULTS_ROOT (default ``results``) and prints what it
reads back. docs/how-to/use-the-python-api.md runs it, so the tests keep it working.
"""

import sys

# 1. Import. `import model` is the package; `import hedgesim` is the same API but first
#    checks that no model.py of yours (beside the notebook) hides the package, and says so.
import hedgesim as model


def main(out: str) -> None:
    # 2. Load a scenario: a shipped name (`hedgesim list` shows them) or a path to a file.
    scenario = model.load("russia_1bn_push")
    print(f"{scenario.name}: {scenario.description}")

    # 3. Run it in memory: a tidy frame, a row per replication and year, the identifying
    #    columns first (point, scenario, strategy, replication, seed, draw, year), then every
    #    output (docs/reference/outputs.md says what each is, in what unit).
    runs = model.run(scenario, replications=4, seed=7)
    trade_2020 = runs.loc[runs["year"] == 2020, "trade_russia_usd"]
    print(f"DPRK-Russia trade in 2020, median of {len(trade_2020)} runs: "
          f"${trade_2020.median() / 1e6:.0f} m")

    # 4. Run and keep it: with `out`, the run is written as `hedgesim run` writes it (runs,
    #    manifest, charts) and read back; frame.attrs names the folder.
    kept = model.run("baseline", replications=2, out=out, charts=False)
    print(f"baseline written to {kept.attrs['folder']}")

    # 5. Sweep an experiment (a shipped name or a file); the frame joins each run to its design
    #    point, so the swept lever and the strategy are columns, ready to group by.
    sweep = model.sweep("russia_subsidy_sweep", out=out, replications=2, workers=2)
    lever = "russia.trade_subsidy_rate"
    table = (sweep[sweep["year"] == 2020]
             .groupby(["strategy", lever])["trade_russia_usd"].median().unstack(lever) / 1e6)
    print("DPRK-Russia trade in 2020, US$ m (median), by strategy and Russia's subsidy rate:")
    print(table.round(0).to_string())

    # 6. Read any results folder later: the same tidy frame, the store's checks included.
    again = model.read_results(sweep.attrs["folder"])
    assert again.equals(sweep)
    print(f"read back {len(again)} rows from {again.attrs['folder']} "
          f"({again.attrs['kind']}, {again.attrs['manifest']['runs']['ok']} runs)")


# A sweep runs in worker processes, which import this file again: a script must keep its
# work under this guard (a notebook needs none).
if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results")
