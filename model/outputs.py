"""The output registry: every column a run writes, declared once, beside the parameter registry.

Each :class:`Output` has its name, the kind of unit numbers are formatted by (``usd``,
``share``, ``tonnes``, ``ratio`` or ``index``, see :func:`model.common.format_value`), the
unit as the reference docs print it, the label charts and tables use, and its meaning.
``OUTPUTS`` is their order: the order of the values in a row of ``World.step`` and of the
columns of ``runs.parquet``. The world, the store, the charts, the summaries, the targets
and the reference docs (``docs/reference/outputs.md``) all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.params import PATRONS, PROJECTS, SECTORS
from model.projects import STATUS_NAMES


@dataclass(frozen=True)
class Output:
    name: str
    kind: str  # how numbers are formatted: usd, share, tonnes, ratio or index
    unit: str  # as the reference docs print it: 'USD/yr', 'fraction 0-1', 'firms', ...
    label: str  # charts and tables: 'DPRK-China trade'
    meaning: str  # the reference docs: one or two sentences


_UNIT_TEXT = {"usd": "USD/yr", "tonnes": "t/yr", "share": "fraction 0-1", "ratio": "ratio"}
_PARTNER = {"china": "China", "russia": "Russia", "korea": "South Korea (inter-Korean trade)",
            "others": "third countries"}
_registry: dict[str, Output] = {}


def kind_of_name(column: str) -> str:
    """The kind of unit a column name implies: 'usd', 'share', 'tonnes', 'ratio' or 'index'
    (for columns outside the registry, such as a brief's derived ones)."""
    if column.endswith("_usd"):
        return "usd"
    if "share" in column:
        return "share"
    if column.endswith("_tonnes"):
        return "tonnes"
    if column.endswith("_ratio"):
        return "ratio"
    return "index"


def default_label(column: str) -> str:
    """'Debt relief china' for 'debt_relief_china_usd': the label of a column none was given."""
    return column.replace("_usd", "").replace("_", " ").capitalize()


def _declare(name: str, meaning: str, label: str | None = None, unit: str | None = None) -> None:
    kind = kind_of_name(name)
    _registry[name] = Output(name, kind, unit if unit is not None else _UNIT_TEXT.get(kind, ""),
                             label or default_label(name), meaning)


# ---------------------------------------------------------------- trade
# Customs flows, with the four whose meaning the accounts qualify (issue 10).
_FLOW_MEANING = {
    "exports_china_usd": "DPRK goods exports to China as customs record them (coal, ore, seafood, "
                         "manufactures; labour abroad is services income, not here).",
    "imports_china_usd": "DPRK imports from China as customs record them, including China's "
                         "pipeline crude grant while its customs reported it (to 2013).",
    "exports_korea_usd": "Gross inter-Korean shipments from the DPRK (Kaesong processing trade); "
                         "the DPRK earns only the wages (`kaesong_wages_usd`).",
    "imports_korea_usd": "Gross inter-Korean shipments to the DPRK (Kaesong inputs).",
}
for _p in ("china", "russia", "korea", "others"):
    for _name, _default in ((f"exports_{_p}_usd", f"DPRK exports to {_PARTNER[_p]}."),
                            (f"imports_{_p}_usd", f"DPRK imports from {_PARTNER[_p]}.")):
        _declare(_name, _FLOW_MEANING.get(_name, _default))
_TRADE_LABELS = {"china": "DPRK-China trade", "russia": "DPRK-Russia trade",
                 "korea": "Inter-Korean trade", "others": "DPRK trade with third countries"}
for _p in ("china", "russia", "korea", "others"):
    _declare(f"trade_{_p}_usd", f"DPRK trade turnover with {_PARTNER[_p]} (exports + imports).",
             _TRADE_LABELS[_p])
_declare("trade_total_usd", "All DPRK trade, inter-Korean included.", "DPRK total trade")
_declare("china_share", "China's share of all DPRK trade, inter-Korean trade counted in the total.",
         "China's share of DPRK trade")
_declare("china_share_excl_korea", "China's share of DPRK trade leaving inter-Korean trade out.",
         "China's share of DPRK trade (inter-Korean left out)")
_declare("china_export_share_excl_korea",
         "China's share of DPRK exports, inter-Korean trade left out.",
         "China's share of DPRK exports (inter-Korean left out)")
_declare("china_russia_ratio",
         "DPRK-China trade divided by DPRK-Russia trade (inf when Russia trade is 0).",
         "China/Russia trade ratio")
_declare("coal_exports_china_usd", "DPRK coal sold to China.", "DPRK coal revenue from China")
_declare("coal_exports_china_tonnes",
         "The same coal in tonnes (value / `world.coal_price_usd_per_t`).",
         "DPRK coal shipped to China")

# ---------------------------------------------------------------- what the patrons pay
for _p in PATRONS:
    _n = _PARTNER[_p]
    _declare(f"aid_{_p}_usd", f"Aid {_n} gives (doctrine-driven + committed + food aid).")
    _declare(f"subsidy_{_p}_usd", f"Trade subsidy {_n} pays on its firms' DPRK trade.")
    _declare(f"credit_{_p}_usd", f"Trade credit {_n} extends.")
    _declare(f"support_{_p}_usd", f"Cost to {_n}: aid + subsidy + credit.",
             f"Cost to {_n} (aid + subsidy + credit)")
    _declare(f"debt_relief_{_p}_usd",
             f"Debt {_n} writes off in the year (face value; not in support).")
    _declare(f"project_spend_{_p}_usd", f"What {_n}'s state spends on projects it sponsors.")
for _p in PATRONS:
    _declare(f"cost_{_p}_usd", f"What {_PARTNER[_p]}'s state pays in cash: aid + subsidy + credit "
             "+ project spend.")
for _p, _other in (("china", "Russia"), ("russia", "China")):
    _declare(f"bid_{_p}_usd", f"The part of {_PARTNER[_p]}'s aid that bids against {_other} for "
             "a contested DPRK.")
_declare("received_china_usd", "Support from China that reaches the DPRK: aid, credit and the "
         "subsidised part of its imports (a subsidy on its exports goes to Chinese buyers).")
_declare("received_russia_usd", "Support from Russia that reaches the DPRK: aid, credit and the "
         "subsidised part of its imports.")
_declare("aid_in_customs_china_usd", "China's pipeline crude grant that its customs recorded as "
         "exports to the DPRK (in `imports_china_usd`; none from 2014).")

# ---------------------------------------------------------------- the DPRK's accounts
_declare("dprk_aid_received_usd", "Aid from both patrons (the fuel/food split feeds the market).")
_declare("dprk_credit_received_usd", "Trade credit from both patrons.")
_declare("firm_subsidy_received_usd", "Subsidy paid to firms on their rationed (realised) volumes.")
_declare("labour_income_usd", "Wages of DPRK workers abroad (China and Russia): services income, "
         "not customs trade.")
_declare("transit_income_usd", "Transit fees the DPRK earns from running projects (Rajin-Khasan, "
         "pipeline); services income, not counted in customs trade.")
_declare("kaesong_wages_usd", "What the DPRK earned from inter-Korean trade: the wages of its "
         "workers.")
_declare("smuggling_income_usd", "Unrecorded income from sales that UN bans block but that leave "
         "anyway (ship-to-ship coal and oil, workers kept abroad).")
_declare("cyber_income_usd", "Unrecorded income from cyber theft.")
_declare("dprk_cash_in_usd", "The DPRK's cash for the year: customs exports, labour, transit, "
         "Kaesong wages, net third-country trade, smuggling, cyber theft and credit.")
_declare("dprk_import_bill_usd", "What the DPRK paid for imports from China and Russia (after "
         "subsidies).")
_declare("dprk_reserves_usd", "The DPRK's reserves at year end (a stock): drawn when cash falls "
         "short.", unit="USD (stock)")
_declare("dprk_off_books_usd", "Savings above the reserve cap (`dprk.reserve_cap_years`), spent "
         "off the books (not in customs trade).")
_declare("dprk_resources_usd", "The DPRK's gains: its cash for the year (`dprk_cash_in_usd`), aid "
         "and the subsidised part of its imports.")
_declare("dprk_payoff", "Pyongyang's payoff: ln((gains - outreach cost) / $1 bn) - "
         "dependence_aversion * the dominant patron's leverage (ODD 7.1).", "DPRK payoff",
         unit="payoff units")
_declare("dependence_hhi", "Herfindahl index of partner shares (China, Russia, Korea, others).",
         "Dependence index (HHI)", unit="index 0-1")
_declare("dependence_leverage", "The dominant patron's leverage over the DPRK, the dependence its "
         "payoff counts (ODD 7.1): 0 with two equal sponsors, about 1 when it leans wholly on one "
         "that provides almost everything.", unit="index, about 0-1.5")

# ---------------------------------------------------------------- stance and setting
_declare("alignment", "Stance: -1 leans wholly to China, +1 wholly to Russia.", unit="-1 to 1")
_declare("outreach", "Stance: effort courting third countries.", unit="0-1")
_declare("openness", "Stance: how far the economy opens to trade.", unit="0-1")
_declare("energy_index", "Fuel received (imports + fuel aid) over fuel need, capped at 1; next "
         "year's export capacity reads it.", unit="0-1")
_declare("nuclear_tension", "Nuclear tension (tests add 1, memory decays it), capped at 1.",
         unit="0-1")
_declare("fiscal_room_russia", "Russia's spending room from oil price and rouble (1 = "
         "comfortable).", unit="0-1")
for _p in PATRONS:
    _declare(f"enforcement_{_p}", f"How strictly {_PARTNER[_p]} enforces UN sanctions this year.",
             unit="0-1")

# ---------------------------------------------------------------- firms and projects
for _p in PATRONS:
    _declare(f"active_firms_{_p}", f"Number of {_PARTNER[_p]}'s firms trading with the DPRK.",
             unit="firms")
for _p in PATRONS:
    for _s in SECTORS:
        _declare(f"active_{_p}_{_s}", f"Number of {_PARTNER[_p]}'s {_s} firms trading with the "
                 "DPRK.", unit="firms")
_CODES = ", ".join(f"{k} {v}" for k, v in STATUS_NAMES.items())
for _pr in PROJECTS:
    _declare(f"project_{_pr}", f"Status of project `{_pr}`: {_CODES}.", unit="status code")

# ---------------------------------------------------------------- the order of a row
OUTPUTS: tuple[str, ...] = (
    "exports_china_usd", "imports_china_usd", "exports_russia_usd", "imports_russia_usd",
    "exports_korea_usd", "imports_korea_usd", "exports_others_usd", "imports_others_usd",
    "trade_china_usd", "trade_russia_usd", "trade_korea_usd", "trade_others_usd",
    "trade_total_usd", "china_share", "china_share_excl_korea",
    "china_export_share_excl_korea", "china_russia_ratio",
    "coal_exports_china_usd", "coal_exports_china_tonnes",
    "aid_china_usd", "subsidy_china_usd", "credit_china_usd", "support_china_usd",
    "debt_relief_china_usd", "project_spend_china_usd",
    "aid_russia_usd", "subsidy_russia_usd", "credit_russia_usd", "support_russia_usd",
    "debt_relief_russia_usd", "project_spend_russia_usd",
    "cost_china_usd", "cost_russia_usd", "bid_china_usd", "bid_russia_usd",
    "received_china_usd", "received_russia_usd", "aid_in_customs_china_usd",
    "dprk_aid_received_usd", "dprk_credit_received_usd", "firm_subsidy_received_usd",
    "labour_income_usd", "transit_income_usd", "kaesong_wages_usd",
    "smuggling_income_usd", "cyber_income_usd",
    "dprk_cash_in_usd", "dprk_import_bill_usd", "dprk_reserves_usd", "dprk_off_books_usd",
    "dprk_resources_usd", "dprk_payoff", "dependence_hhi", "dependence_leverage",
    "alignment", "outreach", "openness", "energy_index", "nuclear_tension",
    "fiscal_room_russia", "enforcement_china", "enforcement_russia",
    "active_firms_china", "active_firms_russia",
    *(f"active_{c}_{s}" for c in PATRONS for s in SECTORS),
    *(f"project_{p}" for p in PROJECTS),
)
"""Every output column, in the order of a row."""
COLUMN = {name: i for i, name in enumerate(OUTPUTS)}
OUTPUT: dict[str, Output] = {name: _registry[name] for name in OUTPUTS}
"""The registry, in row order."""
assert set(OUTPUT) == set(_registry), sorted(set(_registry) ^ set(OUTPUT))

KEY_FIGURES: tuple[tuple[str, str, str], ...] = tuple(
    (c, OUTPUT[c].label, OUTPUT[c].kind) for c in (
        "trade_china_usd", "trade_russia_usd", "china_share", "china_russia_ratio",
        "support_china_usd", "support_russia_usd", "dependence_hhi"))
"""The figures a run prints and every summary holds: (column, label, kind of unit)."""


def unit_of(column: str) -> str:
    """An output column's kind of unit: 'usd', 'share', 'tonnes', 'ratio' or 'index' (charts
    format axes by it, tables their numbers); from the name for columns outside the registry."""
    out = OUTPUT.get(column)
    return out.kind if out is not None else kind_of_name(column)


def label(column: str) -> str:
    """A column's label for charts and tables."""
    out = OUTPUT.get(column)
    return out.label if out is not None else default_label(column)
