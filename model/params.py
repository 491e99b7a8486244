"""The one parameter registry: every number the model uses is declared here.

Each :class:`Param` has a dotted name, a unit, a default, a plausible range,
its source (a seed article, or "assumed, because ...") and a kind:

- ``lever``: a policy setting an analyst chooses (subsidies, sanctions,
  enforcement, project support). Scenarios set these under ``levers:``.
- ``uncertainty``: a contested behavioural parameter (margins, elasticities,
  doctrine weights). Scenarios set these under ``parameters:``; the free ones
  are fitted by the calibration.
- ``fixed``: an input taken from the sources (history, prices, sizes), still
  overridable under ``parameters:`` for what-if runs.

Anything that varies by year is a *timeline*: its default is a step function
``{year: value}`` that encodes the history the sources give (1988 onwards);
a scenario's single value takes effect from its ``policy_start`` year.

The scenario schema, the calibration's free parameters, the docs' parameter
tables and the sweep designs all read this registry, so a parameter is
declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model.sources import BRIEF, cite

Kind = Literal["lever", "uncertainty", "fixed"]
Value = float | dict[int, float]

PATRONS = ("china", "russia")
# What the DPRK sells. The first four are goods that customs records; labour
# (workers abroad) earns services income that no customs figure includes
# (issue 10: the seeds' trade figures are customs goods trade).
EXPORT_SECTORS = ("coal", "ore", "seafood", "manufactures", "labour")
GOODS_EXPORTS = ("coal", "ore", "seafood", "manufactures")
IMPORT_SECTORS = ("fuel", "food", "goods")
SECTORS = EXPORT_SECTORS + IMPORT_SECTORS
PARTNERS = ("china", "russia", "korea", "others")
PUBLIC_RECORD = "public record, not in the seeds"
PROJECTS = ("rajin_khasan", "pobeda", "gas_pipeline", "tumen_bridge")


@dataclass(frozen=True)
class Param:
    """One registry entry. ``default`` is a float or a ``{year: value}`` timeline."""

    name: str
    unit: str
    default: Value
    low: float
    high: float
    source: str
    kind: Kind
    doc: str
    free: bool = False
    fit_year: int | None = None
    integer: bool = False
    # A timeline whose whole path is scaled by the fitted level at fit_year (its shape is
    # the source's, its level the fit's), instead of only the fit_year step being replaced.
    fit_scales_path: bool = False

    @property
    def timeline(self) -> bool:
        return isinstance(self.default, dict)

    @property
    def group(self) -> str:
        return self.name.rsplit(".", 1)[0]

    def check(self, value: float) -> bool:
        return self.low <= value <= self.high


REGISTRY: dict[str, Param] = {}


def _p(name, unit, default, low, high, source, kind, doc, **kw) -> None:
    if name in REGISTRY:
        raise ValueError(f"parameter {name} declared twice")
    if kind == "lever" and not name.startswith("projects.") and not isinstance(default, dict):
        default = {1988: default}  # every policy setting can change by year
    if isinstance(default, dict):
        default = {int(y): float(v) for y, v in default.items()}
    else:
        default = float(default)
    REGISTRY[name] = Param(name, unit, default, low, high, source, kind, doc, **kw)


ASSUMED = "assumed"

# --- World: prices, shocks and the exogenous partners -------------------------
# Brent annual averages, USD a barrel (public record: BP Statistical Review / EIA); from 2015
# the model's oil price is world.oil_price_usd_per_bbl ($70, 003).
_BRENT = {1988: 14.9, 1989: 18.2, 1990: 23.7, 1991: 20.0, 1992: 19.3, 1993: 17.0, 1994: 15.8,
          1995: 17.0, 1996: 20.6, 1997: 19.1, 1998: 12.7, 1999: 17.9, 2000: 28.5, 2001: 24.4,
          2002: 25.0, 2003: 28.8, 2004: 38.3, 2005: 54.5, 2006: 65.1, 2007: 72.4, 2008: 97.0,
          2009: 61.7, 2010: 79.5, 2011: 111.3, 2012: 111.7, 2013: 108.7, 2014: 99.0, 2015: 70.0}
# China's pipeline crude grant, 500,000 t = 3.65 m barrels a year (AidData via the domain
# brief), valued at each year's price: Brent to 2014, then the model's $70.
_CHINA_CRUDE_USD = {y: round(3.65e6 * usd, -6) for y, usd in _BRENT.items()}
_p("world.brent_usd_per_bbl", "USD/bbl", _BRENT, 5, 200,
   PUBLIC_RECORD + ": Brent annual averages 1988-2014 (BP Statistical Review / EIA); $70 from "
   "2015, the model's oil price (003)", "fixed",
   "The oil price at which China's crude grant (china.aid_usd) is valued: a dollar of it covers "
   "P_2014 / P_t dollars of the DPRK's fuel need, which is at 2014 prices. A scenario's oil "
   "shock changes Russia's fiscal room, not this: the grant is a volume.")
_p("world.oil_price_usd_per_bbl", "USD/bbl", {1988: 110.0, 2015: 70.0}, 10, 200,
   cite("003") + "; pre-2014 level assumed flat at $110 (only Russia's fiscal room reads it)",
   "fixed", "Oil price; Russia's fiscal room reads it against world.oil_reference_usd_per_bbl.")
_p("world.oil_reference_usd_per_bbl", "USD/bbl", 110.0, 50, 150, cite("003"), "fixed",
   "Oil price at which Russia's budget is comfortable (the pre-crash 2014 level).")
_p("world.rouble_fall", "fraction", {1988: 0.0, 2015: 0.4}, 0, 0.9, cite("003"), "fixed",
   "Fall of the rouble against its 2013 value (0.4 = lost 40%).")
_p("world.nuclear_test", "0/1 event",
   {1988: 0.0, 2006: 1.0, 2007: 0.0, 2009: 1.0, 2010: 0.0, 2013: 1.0, 2014: 0.0}, 0, 1,
   cite("004") + ": the February 2013 test was the third; the years of the first two "
   "(2006, 2009) are public record, not in the seeds", "fixed",
   "1 in a year with a DPRK nuclear test.")
_p("world.nuclear_memory", "fraction kept per year", 0.6, 0.0, 0.95,
   ASSUMED + ": relations cooled for years after 2013 (003, 004); range 0-0.95", "uncertainty",
   "Share of last year's nuclear tension carried into this year.")
_p("korea.trade_usd", "USD/yr",
   {1988: 0.0, 1991: 1.5e8, 2000: 4.0e8, 2005: 1.0e9, 2008: 1.8e9, 2013: 1.1e9, 2014: 2.3e9},
   0, 5e9, BRIEF + " for 2013-14; earlier steps assumed (Kaesong ramp-up from 2004), +/-50%; "
   "Seoul closed Kaesong in February 2016 (" + PUBLIC_RECORD + "), set it with {2016: 0}",
   "lever", "Inter-Korean trade (Kaesong processing trade and other), gross, set by Seoul.")
_p("korea.export_share", "fraction", 0.45, 0.3, 0.6,
   ASSUMED + ": Kaesong trade is roughly balanced (inputs in, goods out)", "fixed",
   "Share of inter-Korean trade that is DPRK exports.")
_p("korea.dprk_wage_share", "USD per USD of trade", 0.04, 0.025, 0.075,
   PUBLIC_RECORD + ": the DPRK earned Kaesong wages of $49 m in 2010 and over $80 m by 2013 "
   "(South Korean figures), 2.7% and 7.3% of that year's gross trade in this registry; "
   "range 0.025-0.075", "fixed",
   "What the DPRK earns (wages paid for its workers) per dollar of gross inter-Korean trade: "
   "Kaesong is processing trade, so the gross flows are Southern firms' inputs and output.")
_p("world.food_price_usd_per_t", "USD/t", 400.0, 250, 700,
   ASSUMED + ": grain delivered to the DPRK incl. transport", "fixed",
   "Values food aid given in tonnes.")
_p("world.coal_price_usd_per_t", "USD/t", 75.0, 50, 120,
   cite("004") + ": over $1 bn for ~14.4 Mt in 2014 gives at least ~$70/t", "fixed",
   "Converts coal export value to tonnes.")

# --- Sanctions (levers) -------------------------------------------------------
# UN bans act by direction: resolutions ban what the DPRK sells (coal, ore, seafood,
# textiles and other manufactures, labour) separately from what may be sold to it
# (petroleum caps; machinery, vehicles and metals in 2397). Domain brief, sanctions era.
for s in EXPORT_SECTORS:
    _p(f"sanctions.un_export_ban_{s}", "fraction banned", 0.0, 0, 1,
       ASSUMED + ": no UN bans on DPRK sales of it before 2016; resolutions 2270-2397 "
       "(2016-17) ban it (domain brief)", "lever",
       f"Share of DPRK {s} sales abroad the UN bans; binds in proportion to each buyer's "
       "enforcement; what is blocked partly leaves anyway (dprk.evasion_yield).")
_p("sanctions.un_import_ban_fuel", "fraction banned", 0.0, 0, 1,
   ASSUMED + ": no cap before 2016; UNSCR 2375 and 2397 capped refined petroleum at 2 m and "
   "then 0.5 m barrels a year and crude at its recent level (domain brief)", "lever",
   "Share of the DPRK's fuel purchases the UN bans (petroleum caps).")
_p("sanctions.un_import_ban_goods", "fraction banned",
   {1988: 0.0, 2006: 0.02, 2013: 0.04}, 0, 1,
   ASSUMED + ": UNSCR 1718 (2006) and 2094 (2013) banned arms and luxury goods, a few per cent "
   "of goods bought (" + PUBLIC_RECORD + "); UNSCR 2397 (Dec 2017) bans industrial machinery, "
   "vehicles, iron, steel and other metals (domain brief)", "lever",
   "Share of the DPRK's goods purchases (machinery, vehicles, metals, luxuries) the UN bans.")
_p("sanctions.enforcement_china", "0-1", 0.3, 0, 1,
   ASSUMED + ": China enforced loosely before 2016; range 0-1", "lever",
   "How strictly China enforces UN sanctions on its firms (1 = fully).")
_p("sanctions.enforcement_russia", "0-1", 0.2, 0, 1,
   ASSUMED + ": Russia backed Pyongyang at the UN (003); range 0-1", "lever",
   "How strictly Russia enforces UN sanctions on its firms.")
_p("sanctions.enforcement_others", "0-1", 0.7, 0, 1,
   ASSUMED + ": third countries are more exposed to Western pressure; range 0.3-1", "lever",
   "How strictly third countries enforce UN sanctions.")
_p("sanctions.west_on_russia", "0-1", {1988: 0.0, 2014: 1.0}, 0, 2,
   cite("001", "003", "004") + ": Crimea sanctions from 2014", "lever",
   "Intensity of Western sanctions on Russia (1 = the 2014 Crimea package).")
_p("sanctions.secondary_on_firms", "0-1", 0.0, 0, 1,
   ASSUMED + ": none in the history; US designations of Chinese firms and banks in 2016-17 "
   "(" + PUBLIC_RECORD + "); range 0-1", "lever",
   "Intensity of secondary sanctions on firms that trade with the DPRK; bites in proportion "
   "to each firm's size and its country's exposure to dollar finance.")

# --- Patrons: doctrine, value, fiscal room, levers ------------------------------
_p("china.strategic_value_usd", "USD/yr", 1.2e9, 2e8, 4e9,
   ASSUMED + ": China keeps the DPRK as a buffer (001, 003); range $0.2-4 bn/yr", "uncertainty",
   "What a stable, friendly DPRK is worth to China per year before doctrine and nuclear friction.")
_p("russia.strategic_value_usd", "USD/yr", 1.0e9, 1e8, 4e9,
   ASSUMED + ": value of a buffer and bargaining chip (002); range $0.1-4 bn/yr", "uncertainty",
   "What the DPRK is worth to Russia per year, before the 2014 break with the West.")
_p("china.earn_not_spend", "0-1", {1988: 0.9, 2000: 0.8}, 0.75, 1,
   cite("001") + ": early-2000s decision to aid the regime's survival; level calibrated, at "
   "least 0.75 so that grants beyond the committed crude are no larger than it (at most $0.3 bn "
   "at the default value: AidData's grants and most published estimates are in the hundreds of "
   "millions, domain brief)",
   "uncertainty", "Share of the DPRK's value to China that China will not spend on aid.",
   free=True, fit_year=2000)
_p("russia.earn_not_spend", "0-1", {1988: 0.85, 1991: 0.98}, 0, 1,
   cite("000", "001") + ": Soviet foreign policy spent, post-Soviet Russia's must earn; the Soviet "
   "level gives grant aid of about $150 m a year at the default value, inside a 1985 CIA estimate "
   "of $55-250 m a year (" + PUBLIC_RECORD + ", Library of Congress country study); the rest of "
   "Soviet support was friendship prices and credit (russia.trade_subsidy_rate, russia.credit_usd). "
   "After 1991 assumed 0.98 (range 0.95-1): Russian aid negligible (000) but not nil (50,000 t "
   "of food in 2014-15, 004)",
   "uncertainty",
   "Share of the DPRK's value to Russia that Russia will not spend as grant aid (1 = earn, never "
   "give). It does not switch off bidding: a rival's offer for a contested DPRK is matched out "
   "of the full value (patrons' bidding, states.py).")
_p("china.rivalry", "0-1", {1988: 1.0, 1991: 0.2}, 0, 2,
   cite("000", "003") + ": 1960s-80s the patrons competed; weaker after 1991 (assumed level)",
   "uncertainty", "How hard China bids against Russia for the DPRK: the share of Russia's last offer it "
   "matches when the DPRK is contested (balanced), and how much a tilt to Russia raises its aid.")
_p("russia.rivalry", "0-1", {1988: 1.0, 1991: 0.0, 2000: 0.1}, 0, 2,
   cite("000", "003") + ": 1960s-80s the patrons competed; " + cite("001") + ": in the 1990s "
   "Russia took a pro-Western stance and relations were frosty, improving from about 2000; "
   "levels assumed, range 0-0.3 after 1991",
   "uncertainty", "How hard Russia bids against China for the DPRK: the share of China's last offer it "
   "matches when the DPRK is contested (balanced), and how much a tilt to China raises its aid.")
_p("russia.west_break_sensitivity", "multiplier per unit sanctions", 1.0, 0, 3,
   cite("000", "001") + "; size assumed, range 0-3", "uncertainty",
   "How much the break with the West raises the DPRK's value to Russia.")
_p("china.support_phase_in_years", "years", 8.0, 1, 15,
   cite("001", "000") + ": the early-2000s decision to subsidise trade, then two decades of steady "
   "growth; how fast support reached its new level is not given, so it is calibrated",
   "uncertainty", "Years an increase in China's support (aid doctrine, trade subsidy, credit) "
   "takes to build up, linearly; cuts act at once (1 = at once).", free=True)
_p("russia.support_phase_in_years", "years", 7.0, 1, 15,
   ASSUMED + ": about as long as China's calibrated build-up (7-9 years); budgets, credit lines and "
   "firms' networks take years to build, while cuts act at once (the 1991 collapse, 000, 001); "
   "range 3-10",
   "uncertainty", "Years an increase in Russia's support (aid doctrine, trade subsidy, credit) "
   "takes to build up, linearly; cuts act at once (1 = at once).")
_p("china.nuclear_aversion", "0-1", 0.1, 0, 0.3,
   cite("003", "004") + ": relations cooled after the 2013 test; but after the 2009 test China's "
   "premier signed economic agreements in Pyongyang and trade grew fast through 2011, and customs "
   "tightening after 2013 had no significant effect on trade (KOTRA; " + PUBLIC_RECORD + "), so "
   "tests act mainly through enforcement; size assumed, range 0-0.3", "uncertainty",
   "Share of the DPRK's value to China (and of its subsidy and credit) lost in a year of full "
   "nuclear tension.")
_p("russia.nuclear_aversion", "0-1", 0.1, 0, 1,
   cite("003") + ": Moscow asked no denuclearisation preconditions; size assumed", "uncertainty",
   "Share of the DPRK's value to Russia lost in a year of full nuclear tension.")
_p("china.nuclear_enforcement_response", "0-1", 0.3, 0, 1,
   cite("003") + ": China could halt grain and oil; size assumed", "uncertainty",
   "Extra sanctions enforcement by China under full nuclear tension.")
_p("russia.nuclear_enforcement_response", "0-1", 0.05, 0, 1, ASSUMED + ": range 0-0.5",
   "uncertainty", "Extra sanctions enforcement by Russia under full nuclear tension.")
_p("russia.oil_elasticity", "elasticity", 0.5, 0, 1.5,
   cite("003") + ": oil and rouble crisis; size assumed", "uncertainty",
   "Elasticity of Russia's spending room to the oil price.")
_p("russia.rouble_elasticity", "elasticity", 0.5, 0, 1.5,
   cite("003") + ": oil and rouble crisis; size assumed", "uncertainty",
   "Elasticity of Russia's spending room to the rouble's value.")
# Soviet support wound down over 1990-1993 (friendship prices and barter, then credit), not
# in one year (public record; 001's "almost overnight" is the trade collapse it caused).
_SOVIET_WIND_DOWN = {1988: 1.0, 1990: 0.75, 1991: 0.5, 1992: 0.25, 1993: 0.0}

for p, sub in (("china", {1988: 0.0, 2000: 0.06}),
               ("russia", {y: 0.2 * v for y, v in _SOVIET_WIND_DOWN.items()})):
    _p(f"{p}.trade_subsidy_rate", "USD per USD traded", sub, 0, 0.6 if p == "russia" else 0.4,
       cite("001", "002") + (": China began to subsidise and encourage trade in the early 2000s; "
                             "no source gives a size, level calibrated within China's support band"
                             if p == "china" else
                             ": Soviet friendship prices; they wound down over 1990-1993 ("
                             + PUBLIC_RECORD + "); 1988 level calibrated, shape as given; at "
                             "most 0.6 (goods at no less than 40% of their price: assumed)"),
       "lever", f"Share of each dollar of DPRK trade by {p}'s firms that {p}'s state pays.",
       free=True, fit_year=2000 if p == "china" else 1988, fit_scales_path=p == "russia")
    _p(f"{p}.aid_usd", "USD/yr", _CHINA_CRUDE_USD if p == "china" else 0.0,
       0, 5e9,
       ("domain brief: AidData records MOFCOM grants of about 500,000 t of crude a year through the "
        "Dandong-Sinuiju pipeline 2000-2019, roughly $0.2-0.4 bn a year at those years' prices; "
        "valued here year by year as 3.65 m barrels at the Brent annual average (" + PUBLIC_RECORD
        + ", BP Statistical Review / EIA), $70 a barrel from 2015 as world.oil_price_usd_per_bbl; "
        "the pipeline has run since 1976 (" + PUBLIC_RECORD + "), and the same volume before "
        "2000 is assumed (range 0.3-1 Mt)")
       if p == "china" else ASSUMED + ": none committed beyond the doctrine's aid",
       "lever", f"Aid {p} commits on top of what its doctrine and bidding give"
       + (" (the pipeline crude grant, delivered as fuel)" if p == "china" else "") + ".")
    _p(f"{p}.food_aid_t", "t/yr", {1988: 0.0, 2014: 25000.0, 2016: 0.0} if p == "russia" else 0.0,
       0, 2e6, cite("004") + ": 50,000 t over 2014-15" if p == "russia" else ASSUMED + ": none set",
       "lever", f"Food aid from {p} in tonnes.")
    _p(f"{p}.credit_usd", "USD/yr",
       {y: 4.0e8 * v for y, v in _SOVIET_WIND_DOWN.items()} if p == "russia"
       else {1988: 0.0, 2000: 3.0e8},
       0, 1.5e9,
       cite("004") + ": the DPRK owed about $11 bn when Russia wrote off 90% in 2012, debt run up "
       "financing Soviet deliveries; credit wound down over 1990-1993 (" + PUBLIC_RECORD + "); "
       "1988 level calibrated, at most $1.5 bn a year so that 1988-1992 add less than half of "
       "the debt written off. The ~$1 bn remainder is repaid into a fund Russia reinvests in the "
       "DPRK (004): the DPRK's own money, so no credit after 2012" if p == "russia"
       else cite("001") + ": China began to subsidise and finance trade in the early 2000s; "
       "level calibrated", "lever", f"Trade credit {p} extends to the DPRK (finances its imports).",
       free=True, fit_year=2000 if p == "china" else 1988, fit_scales_path=p == "russia")
    _p(f"{p}.debt_relief_usd", "USD (face value)",
       {1988: 0.0, 2012: 1.0e10, 2013: 0.0} if p == "russia" else 0.0, 0, 2e10,
       cite("004") + ": 90% of ~$11 bn written off in 2012" if p == "russia"
       else ASSUMED + ": none set", "lever", f"Debt {p} writes off in the year (face value).")
    _p(f"{p}.preference", "0-1", 0.0, 0, 1,
       cite("001") + ": favours and preferential treatment for firms taking DPRK risk", "lever",
       f"How far {p}'s state favours its firms that trade with the DPRK.")
    _p(f"{p}.halt_oil_grain", "0/1", 0.0, 0, 1, cite("003") + ": a lever China holds", "lever",
       f"1 in years {p} halts oil and grain to the DPRK (its fuel and food trade and its aid).")
_p("china.preference_effect", "margin per unit preference", 0.08, 0, 0.3, ASSUMED + ": range 0-0.3",
   "uncertainty", "Margin a fully favoured Chinese firm gains.")
_p("russia.preference_effect", "margin per unit preference", 0.08, 0, 0.3,
   ASSUMED + ": range 0-0.3", "uncertainty", "Margin a fully favoured Russian firm gains.")
_p("china.aid_in_customs", "0-1", {1988: 1.0, 2014: 0.0}, 0, 1,
   "domain brief: China has not reported the pipeline's crude in its customs figures since 2014",
   "fixed", "Share of China's committed aid (pipeline crude) that China's customs record as "
   "exports to the DPRK, so that it counts in customs trade.")
_p("patrons.aid_fuel_share", "fraction", 0.5, 0.2, 0.8, ASSUMED + ": aid is mostly oil and grain (003)",
   "fixed", "Share of aid delivered as fuel; the rest is food.")

# --- DPRK -----------------------------------------------------------------------
_cap2014 = {"coal": 1.15e9, "ore": 6.0e8, "seafood": 3.0e8, "manufactures": 6.0e8, "labour": 5.0e8}
_cap_source = {
    "coal": cite("004") + ": coal over $1 bn in 2014",
    "ore": cite("002") + ": raw materials over a third of exports; split assumed",
    "seafood": cite("002") + ": raw materials over a third of exports; split assumed",
    "manufactures": cite("002") + ": the non-raw-material part of exports (textiles on commission "
    "and other goods, the target of UNSCR 2375 and 2397); level calibrated",
    "labour": "tens of thousands of workers abroad, mostly in China and Russia, whose wages "
    "customs never record (UN Panel of Experts reports, via the domain brief); level calibrated "
    "(through the imports it pays for), range $0.2-1.25 bn a year",
}
for s, v in _cap2014.items():
    _p(f"dprk.capacity_{s}_usd", "USD/yr (2014)", v, v * 0.4, v * 2.5, _cap_source[s],
       "uncertainty", f"What the DPRK could earn from {s} abroad in 2014 at full energy supply"
       + (" (services income, not customs trade)." if s == "labour" else "."),
       free=s in ("coal", "manufactures", "labour"))
_need2014 = {"fuel": 1.0e9, "food": 6.0e8, "goods": 3.5e9}
for s, v in _need2014.items():
    _p(f"dprk.need_{s}_usd", "USD/yr (2014)", v, v * 0.4, v * 2.5,
       ASSUMED + ": sized so 2014 imports can match the cited trade totals", "uncertainty",
       f"What the DPRK would import in {s} in 2014 if it could pay.", free=s == "goods")
_p("dprk.capacity_growth", "per year", {1988: 0.0, 2000: 0.07, 2015: 0.02}, -0.1, 0.2,
   cite("000", "002") + ": two decades of growth in China trade; rates calibrated/assumed",
   "uncertainty", "Growth of DPRK export capacity and import needs.", free=True, fit_year=2000)
_p("firms.china_reach_growth", "per year", {1988: 0.0, 2000: 0.10, 2014: 0.0}, -0.1, 0.3,
   cite("001", "002", "003") + ": China's demand for raw materials and its firms' mining "
   "and trading networks grew for two decades; rate calibrated", "uncertainty",
   "Growth of the share of DPRK trade Chinese firms can reach (capped at 1 from 2014).",
   free=True, fit_year=2000)
_p("dprk.energy_elasticity", "elasticity", 0.8, 0, 2,
   cite("001") + ": the aid halt pushed the economy into collapse; size assumed", "uncertainty",
   "How export capacity falls when fuel supply falls short of need.")
_p("dprk.capacity_noise", "sd (log)", 0.05, 0, 0.2, ASSUMED + ": harvests, floods, mine output",
   "uncertainty", "Year-to-year noise in export capacity.")
_p("dprk.evasion_yield", "USD per USD blocked", 0.3, 0.05, 0.6,
   ASSUMED + ": the UN Panel of Experts (reports 2018-2023, via the domain brief) documents "
   "ship-to-ship sales of coal and oil and workers kept abroad; range 0.05-0.6", "uncertainty",
   "Hard currency the DPRK still earns, unrecorded, per dollar of sales that UN bans and their "
   "enforcement block (smuggling at a discount).")
_p("dprk.cyber_income_usd", "USD/yr", {1988: 0.0, 2015: 1.0e8, 2017: 4.0e8}, 0, 2e9,
   ASSUMED + ": the UN Panel of Experts (reports 2018-2023, via the domain brief) puts DPRK cyber "
   "theft in the billions of dollars over 2017-2023; a few hundred million a year, range 0-2 bn",
   "uncertainty", "Unrecorded income from cyber theft.")
_p("dprk.reserves_1988_usd", "USD", 1.0e9, 0, 5e9,
   ASSUMED + ": hard-currency and goods reserves are not published; range 0-5 bn", "uncertainty",
   "The DPRK's reserves at the start of 1988; they finance imports when earnings fall short.")
_p("dprk.reserve_drawdown", "share of reserves per year", 0.5, 0.1, 1,
   ASSUMED + ": reserves are not all liquid in one year; range 0.1-1", "uncertainty",
   "Largest share of its reserves the DPRK spends on imports in one year.")
_p("dprk.spending_smoothing", "weight of this year's cash", 0.6, 0.2, 1,
   ASSUMED + ": the state plans imports on the income it expects, not on one year's earnings, "
   "and kept importing when exports were banned (UN Panel of Experts, via the domain brief); "
   "range 0.2-1, 1 = spends as it earns", "uncertainty",
   "Weight of this year's cash in the income the DPRK plans its imports on (the rest is last "
   "year's planned income); reserves take the difference.")
_p("dprk.reserve_cap_years", "years of imports", 1.0, 0.25, 2,
   ASSUMED + ": reserves are not published; range 0.25-2 years of imports", "uncertainty",
   "Largest reserves the DPRK keeps, in years of the imports it plans for; savings beyond it "
   "are spent "
   "off the books (purchases no customs figure records).")
_p("dprk.others_trade_usd", "USD/yr (2014)", 4.0e8, 5e7, 1.5e9,
   cite("004") + ": India and others are small partners; level calibrated", "uncertainty",
   "Trade with third countries in 2014 at neutral outreach.", free=True)
_p("dprk.others_export_share", "fraction", 0.5, 0.2, 0.8, ASSUMED + ": range 0.2-0.8", "fixed",
   "Share of third-country trade that is DPRK exports.")
_p("dprk.outreach_effect", "multiplier", 1.0, 0, 3,
   cite("004") + ": 18 foreign-minister visits in a year; size assumed", "uncertainty",
   "Growth of third-country trade at full outreach (1 = doubles).")
_p("dprk.alignment_risk_effect", "fraction", 0.5, 0, 1,
   cite("001") + ": June 2014 privileges for Russian firms; size assumed", "uncertainty",
   "How far the DPRK's tilt toward a patron cuts the political risk its firms face.")
_p("dprk.dependence_aversion", "payoff per unit leverage", 0.5, 0.1, 1.3,
   cite("001", "003") + ": Pyongyang warned its cadres against dependence on China from "
   "2005-06 and wants at least two, preferably rival, sponsors so as not to fall under undue "
   "influence (001); the dominant patron can halt oil and grain (003). Size assumed: at 0.5 "
   "capture by one sponsor of three quarters of its resources costs as much as losing about a "
   "third of its income; above ~1.3 Pyongyang would have given up China's trade rather than "
   "live with it, which it did not (001, 004)", "uncertainty",
   "Weight of the dominant patron's leverage (7.10) against log income in the DPRK's payoff.")
_p("dprk.playoff_responsiveness", "per year", 0.3, 0.05, 1,
   cite("000") + ": Kim Il Sung shifted between Moscow and Beijing; speed assumed", "uncertainty",
   "Share of the gap to its target tilt the play-off strategy closes each year.")
_p("dprk.self_reliance_openness", "fraction", 0.6, 0.2, 1, cite("004") + ": Juche; size assumed",
   "uncertainty", "Openness to trade under the self-reliance strategy.")
_p("dprk.playoff_max_tilt", "alignment", 0.5, 0.2, 0.8,
   cite("000", "003") + ": from the early 1960s to the late 1980s Pyongyang got aid from both "
   "patrons by never settling in either camp; assumed at half a full tilt, short of the 0.8 of "
   "the committed strategies (bandwagon_china, pivot_russia); range 0.2-0.8", "uncertainty",
   "Largest tilt the play-off strategy makes toward the lower bidder.")
_p("dprk.dependence_tilt_exposure", "fraction", 0.5, 0.0, 1.0,
   cite("001") + ": a sponsor is a counterweight only while Pyongyang can still turn to it; "
   "size assumed, range 0-1", "uncertainty",
   "How far leaning toward the dominant patron adds to its leverage (and leaning away cuts it).")
_p("dprk.outreach_cost_usd", "USD/yr at full outreach", 2.5e8, 5e7, 6e8,
   cite("004") + ": 18 foreign-minister visits in a year (Algeria to India); the trips cost "
   "little, what costs is what Pyongyang offers partners (workers, minerals, hosting, "
   "diplomatic capital); size assumed, range $50-600 m a year", "uncertainty",
   "Yearly cost of courting third countries at full outreach, deducted from gains in the payoff.")
_p("dprk.adaptive_discount", "fraction kept per year", 0.8, 0.5, 0.95,
   cite("004") + ": Pyongyang turned to Moscow within two years of the 2013 cooling with "
   "Beijing; a memory of about five years assumed, range 0.5-0.95 (2-20 years)", "uncertainty",
   "Weight the adaptive strategy keeps each year on its past evidence about each stance.")
_p("dprk.adaptive_baseline_rate", "fraction", 0.3, 0.1, 0.6, ASSUMED + ": range 0.1-0.6",
   "uncertainty",
   "Weight of the newest payoff in the adaptive strategy's baseline of its own recent payoffs.")
_p("dprk.adaptive_exploration", "payoff units", 0.05, 0.005, 0.3,
   ASSUMED + ": about the year-to-year noise in the payoff; range 0.005-0.3", "uncertainty",
   "Confidence bonus of the adaptive strategy (higher = retries stances it has not seen lately).")

# --- Firms ----------------------------------------------------------------------
_p("firms.count", "firms", 300, 10, 200000, ASSUMED + ": resolution only; totals do not scale with it",
   "fixed", "Number of firms (each a cohort of real traders).", integer=True)
_p("firms.russia_share", "fraction", 0.3, 0.05, 0.6, ASSUMED + ": range 0.05-0.6", "fixed",
   "Share of the firm population that is Russian.")
_p("firms.size_sigma", "sd (log)", 1.0, 0.2, 2.5, ASSUMED + ": firm sizes are skewed", "fixed",
   "Spread of firm sizes (log-normal).")
_p("firms.margin_noise", "sd", 0.04, 0, 0.2, ASSUMED + ": prices, exchange rates, luck",
   "uncertainty", "Yearly idiosyncratic shock to each firm's margin (its long-run spread).")
_p("firms.noise_persistence", "AR(1) coefficient", 0.8, 0, 0.95,
   ASSUMED + ": a firm's contracts, contacts and costs carry over from year to year; range 0-0.95",
   "uncertainty", "Year-to-year persistence of each firm's margin shock (0: a fresh draw every year).")
_p("firms.margin_saturation", "margin", 0.15, 0.03, 0.5, ASSUMED + ": range 0.03-0.5",
   "uncertainty", "Margin at which a firm deploys its whole potential volume.")
_p("firms.ramp_up", "share of potential per year", 0.15, 0.1, 1.0,
   ASSUMED + ": trading networks, logistics and contracts take years to build (002 on Russian "
   "firms' slow start); range 0.1-1, 1 = no limit",
   "uncertainty", "Largest yearly rise in the share of its potential a firm deploys (cuts act at once).")
_p("firms.incumbency_bonus", "margin", 0.02, 0, 0.1, ASSUMED + ": contacts and sunk costs",
   "uncertainty", "Margin advantage of a firm that traded last year.")
_p("firms.risk_tolerance_a", "beta shape", 2.0, 0.5, 8, ASSUMED, "fixed",
   "Beta-distribution shape a of firms' risk tolerance.")
_p("firms.risk_tolerance_b", "beta shape", 2.0, 0.5, 8, ASSUMED, "fixed",
   "Beta-distribution shape b of firms' risk tolerance.")
_p("firms.secondary_penalty", "margin", 0.3, 0, 1, ASSUMED + ": range 0-1", "uncertainty",
   "Margin the largest dollar-exposed firm loses under full secondary sanctions (smaller and "
   "less exposed firms less).")
_p("firms.china_dollar_exposure", "0-1", 1.0, 0.3, 1,
   ASSUMED + ": Chinese traders and their banks clear in dollars; US designations in 2016-17 "
   "targeted Chinese firms and banks (" + PUBLIC_RECORD + "); range 0.3-1", "uncertainty",
   "How exposed China's firms trading with the DPRK are to dollar finance.")
_p("firms.russia_dollar_exposure", "0-1", 0.5, 0.1, 1,
   ASSUMED + ": Russia's DPRK trade is small and, after 2014, already under Western sanctions "
   "(001, 003); range 0.1-1", "uncertainty",
   "How exposed Russia's firms trading with the DPRK are to dollar finance.")
_p("firms.china_demand", "0-1",
   # DPRK exports to China (China customs, as compiled by KOTRA) over their 2013 level:
   # $37 m in 2000, $395 m in 2003, $754 m in 2008, $1.19 bn in 2010, $2.46 bn in 2011,
   # $2.91 bn in 2013; about $40-120 m a year in the 1990s.
   {1988: 0.03, 1999: 0.02, 2000: 0.013, 2001: 0.057, 2002: 0.093, 2003: 0.136, 2004: 0.2,
    2005: 0.17, 2006: 0.16, 2007: 0.2, 2008: 0.26, 2009: 0.27, 2010: 0.41, 2011: 0.85,
    2012: 0.85, 2013: 1.0}, 0, 1,
   cite("001", "002") + ": China's demand for raw materials grew for two decades; the shape is "
   "DPRK exports to China over their 2013 level (China customs statistics as compiled by KOTRA, "
   + PUBLIC_RECORD + "): before 2000 China supplied the DPRK with oil and coking coal and took "
   "little from it, the DPRK became a net coal exporter to China only around 2003, and its sales "
   "doubled in 2011 after China became a net coal importer (2009)", "fixed",
   "How much of its 2013-on appetite China's market has for what the DPRK sells (its goods and "
   "its workers).")
_p("firms.required_return", "per year", 0.12, 0.05, 0.3, ASSUMED + ": private hurdle rate",
   "uncertainty", "Return private sponsors require of an infrastructure project.")
for c, (exp_m, imp_m, transport, risk) in {
    "china": (0.30, 0.30, 0.03, 0.10), "russia": (0.14, 0.08, 0.08, 0.12)}.items():
    _p(f"firms.{c}_export_margin", "margin", exp_m, 0.0, 0.6,
       cite("000", "002") + ": complementarity; level calibrated", "uncertainty",
       f"Margin {c}'s firms make on DPRK goods they fully want (scaled by complementarity).",
       free=True)
    _p(f"firms.{c}_import_margin", "margin", imp_m, 0.0, 0.6,
       cite("000", "002") + ": DPRK cannot pay market prices; level calibrated", "uncertainty",
       f"Margin {c}'s firms make selling to the DPRK goods it fully wants.", free=True)
    _p(f"firms.{c}_transport_cost", "margin", transport, 0, 0.3,
       ASSUMED + (": long shared border, many crossings" if c == "china"
                  else ": 17 km of border, one rail link, road via China (004)"),
       "fixed", f"Transport cost for {c}'s firms, as a share of value.")
    _p(f"firms.{c}_political_risk", "margin", risk, 0, 0.5,
       cite("000", "002") + ": political risk deters investors; size assumed", "uncertainty",
       f"Expected loss to political risk for a fully risk-averse {c} firm.")
# Complementarity: how much each economy wants each DPRK export, and how much the
# DPRK wants each of its goods (000, 002). Ordinal reading of the sources, sizes assumed.
_COMP = {
    "china": {"coal": 1.0, "ore": 1.0, "seafood": 1.0, "manufactures": 0.9, "labour": 0.7,
              "fuel": 1.0, "food": 1.0, "goods": 1.0},
    "russia": {"coal": 0.1, "ore": 0.2, "seafood": 0.2, "manufactures": 0.1, "labour": 0.5,
               "fuel": 1.0, "food": 0.5, "goods": 0.3},
}
for c, row in _COMP.items():
    for s, v in row.items():
        _p(f"firms.{c}_complementarity_{s}", "0-1", v, 0, 1,
           cite("000", "002") + ": ordinal reading of the sources; size assumed", "fixed",
           f"How much {c}'s economy wants DPRK {s}" if s in EXPORT_SECTORS
           else f"How much the DPRK wants {c}'s {s}")

# --- Projects -------------------------------------------------------------------
_PROJ = {
    # capex, build years, proposed, committed (0 = the model decides), benefit/yr,
    # sponsor, dprk income/yr, transport saving, sectors, state support, sources
    # A transit route: it ships Russian coal through Rajin to third countries (002, 004),
    # so it pays the DPRK fees and cuts no cost of DPRK-Russia trade itself; a saving of
    # 0.05 here made Russian coal and goods firms enter in 2014 and lifted bilateral trade
    # 12% the year the sources report a slight fall (002).
    "rajin_khasan": (3.5e8, 5, 2008, 2010, 6.0e7, "russia", 2.0e7, 0.0, "coal,goods",
                     0.5, cite("002", "003", "004") + ": 54 km, coal terminal, first coal Nov 2014, "
                     "for Russian coal to third countries (002: 'deliveries of Russian coal to "
                     "third countries'), so no saving on bilateral trade (range 0-0.05 if the "
                     "line also carried DPRK-Russia goods: assumed); cost assumed"),
    "pobeda": (2.5e10, 20, 2014, 0, 8.0e8, "russia", 1.0e8, 0.04, "coal,ore",
               0.0, cite("003", "004") + ": $25 bn over 20 years for 3,500 km, paid in mineral rights; "
               "benefits assumed"),
    "gas_pipeline": (2.5e9, 4, 1998, 0, 2.0e8, "russia", 1.0e8, 0.0, "fuel",
                     0.0, cite("001", "002") + ": discussed since the late 1990s; cost assumed"),
    "tumen_bridge": (1.0e8, 2, 2015, 0, 1.2e7, "russia", 0.0, 0.03, "goods,food,labour",
                     0.0, cite("004") + ": a road bridge over the Tumen; cost assumed"),
}
PROJECT_SPONSOR = {k: v[5] for k, v in _PROJ.items()}
PROJECT_SECTORS = {k: tuple(v[8].split(",")) for k, v in _PROJ.items()}
for k, (capex, years, proposed, committed, benefit, _sponsor, income, saving, _sectors,
        support, src) in _PROJ.items():
    _p(f"projects.{k}.capex_usd", "USD", capex, capex * 0.5, capex * 2, src, "fixed",
       "Capital cost.")
    _p(f"projects.{k}.build_years", "years", years, 1, 30, src, "fixed", "Years to build.",
       integer=True)
    _p(f"projects.{k}.proposed_year", "year", proposed, 1988, 2100, src, "fixed",
       "First year sponsors may commit.", integer=True)
    _p(f"projects.{k}.committed_year", "year (0 = decided by the model)", committed, 0, 2100,
       src, "lever", "Year the sponsor commits regardless of returns (0: returns decide).",
       integer=True)
    _p(f"projects.{k}.benefit_usd", "USD/yr", benefit, 0, 1e10, src, "uncertainty",
       "What the project earns its sponsors a year once running.")
    _p(f"projects.{k}.dprk_income_usd", "USD/yr", income, 0, 1e9, src, "uncertainty",
       "Transit fees the DPRK earns a year once running.")
    _p(f"projects.{k}.transport_saving", "margin", saving, 0, 0.3, src, "uncertainty",
       "Cut in the sponsor's firms' transport cost once running, in the sectors it serves.")
    _p(f"projects.{k}.state_support", "share of capex", support, 0, 1, src, "lever",
       "Share of capital cost the sponsor's state pays (the rest must earn the hurdle rate).")


def free_parameters() -> list[Param]:
    """Parameters the calibration fits, in registry order."""
    return [p for p in REGISTRY.values() if p.free]


def by_kind(kind: Kind) -> list[Param]:
    return [p for p in REGISTRY.values() if p.kind == kind]
