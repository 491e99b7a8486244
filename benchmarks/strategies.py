"""The baseline under each DPRK hedging strategy: do the strategies differ?

Runs a scenario (default ``scenarios/baseline.yaml``) once per strategy, with
the scenario's replications and seeds, and prints the averages over the
policy years (2015 to the horizon) of China's share of DPRK trade, dependence
(HHI), the DPRK's payoff, the support received from each patron and
third-country trade, plus the mean alignment. This is the table issue 11
asks for ("run as a regional expert would").

    python benchmarks/strategies.py [--scenario scenarios/baseline.yaml] [--replications 20]
        [--set russia.earn_not_spend=0.3 ...]

``--set`` overrides registry values from the scenario's policy_start (e.g. the
Soviet-era settings, to see the strategies under competing patrons).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.runner import run_scenario  # noqa: E402
from model.scenario import load  # noqa: E402
from model.strategies import STRATEGIES  # noqa: E402
from model.world import COLUMN  # noqa: E402

COLUMNS = (
    ("china_share", "china_share", 1.0, "{:.3f}"),
    ("hhi", "dependence_hhi", 1.0, "{:.3f}"),
    ("payoff", "dprk_payoff", 1.0, "{:.3f}"),
    ("support_cn_musd", "support_china_usd", 1e-6, "{:.0f}"),
    ("support_ru_musd", "support_russia_usd", 1e-6, "{:.1f}"),
    ("others_musd", "trade_others_usd", 1e-6, "{:.0f}"),
    ("alignment", "alignment", 1.0, "{:+.2f}"),
)


def strategy_table(path: Path, replications: int | None = None,
                   values: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Mean over replications and policy years of each column, per strategy."""
    base = load(path)
    if values:
        base = base.with_values(values=values)
    table = {}
    for name in STRATEGIES:
        scenario = base.with_values(strategy={base.policy_start: name})
        if replications is not None:
            scenario = scenario.with_values(replications=replications)
        result = run_scenario(scenario)
        policy = result.years >= scenario.policy_start
        values = result.values[:, policy, :]
        table[name] = {label: float(np.mean(values[:, :, COLUMN[col]])) * scale
                       for label, col, scale, _ in COLUMNS}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    values = {name: float(v) for name, v in (item.split("=", 1) for item in args.set)}
    table = strategy_table(Path(args.scenario), args.replications, values)
    print("| strategy | " + " | ".join(label for label, *_ in COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, row in table.items():
        cells = [fmt.format(row[label]) for label, _, _, fmt in COLUMNS]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
