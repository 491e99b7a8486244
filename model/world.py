"""The Mesa model: what happens in one year, in what order.

One step is one year, from 1988 to the scenario's horizon:

1. Pyongyang picks its stance (strategy, from last year's offers and payoff).
2. Patrons read last year's nuclear tension; this year's tests add to it.
3. China and Russia decide aid, subsidy, credit and enforcement, each bidding
   against the other's last offer as far as the DPRK is contested (states.py).
4. Projects advance (projects.py); running ones cut transport costs.
5. DPRK export capacity and import needs follow trend growth, energy supply
   (fuel imports and aid last year: the 1990s collapse, 001) and noise.
6. Firms decide volumes (firms.py). UN bans act by direction: on what the
   DPRK sells (each sector, in proportion to the buyer's enforcement) and on
   what it buys (fuel, goods). What bans block partly leaves anyway and
   earns unrecorded income (smuggling, UN Panel of Experts via the brief).
   The DPRK's capacity rations exports; its cash rations imports.
7. The DPRK's cash: customs exports, labour abroad, transit fees, Kaesong
   wages, net third-country trade, unrecorded income (smuggling, cyber
   theft) and credit. It plans imports on smoothed income, so reserves fill
   in good years and are drawn (within a yearly limit) in bad ones; it pays
   fuel, food, then goods; reserves above a cap are spent off the books.
8. Accounts close: customs trade by partner (labour, transit and Kaesong
   wages are services, not customs goods), shares, what each patron pays and
   what the DPRK receives, dependence, payoff; one row of outputs is kept.

The model reads no files and writes none: it gets compiled inputs
(scenario.compile_inputs) and returns an array of outputs.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from model.firms import N_SECTORS, FirmPopulation
from model.outputs import COLUMN, OUTPUTS
from model.params import EXPORT_SECTORS, GOODS_EXPORTS, IMPORT_SECTORS, PATRONS, SECTORS
from model.projects import ProjectPortfolio
from model.states import DPRK, China, Russia

N_EXP = len(EXPORT_SECTORS)
N_GOODS = len(GOODS_EXPORTS)  # export sectors 0..N_GOODS-1 are customs goods
LABOUR = SECTORS.index("labour")
FUEL, FOOD = SECTORS.index("fuel"), SECTORS.index("food")
COAL = SECTORS.index("coal")

# The output columns, in the order of a row below, are declared with their units, labels and
# meanings in the output registry (model/outputs.py).


# Firm accounts tallied over all years at once (World.outputs): subsidies firms received,
# active firms by country, then by (country, sector) cohort.
FIRM_SUBSIDY = COLUMN["firm_subsidy_received_usd"]
ACTIVE_CHINA, ACTIVE_RUSSIA = COLUMN["active_firms_china"], COLUMN["active_firms_russia"]
ACTIVE_COHORTS = slice(COLUMN[f"active_{PATRONS[0]}_{SECTORS[0]}"],
                       COLUMN[f"active_{PATRONS[-1]}_{SECTORS[-1]}"] + 1)
_ACTIVE_LATER = (math.nan,) * (2 + 2 * N_SECTORS)  # placeholders in step()'s row


class World(mesa.Model):
    """DPRK, China and Russia with a firm population, one step per year.

    ``World(inputs, rng=seed)``: ``inputs`` from :func:`model.scenario.compile_inputs`;
    ``rng`` an integer seed (Mesa seeds ``self.rng`` from it).

    The 2 x 8 cohort tables (country x sector) are small, so the clearing works
    on Python floats; only the firm population is vectorised (firms.py).
    """

    def __init__(self, inputs, rng: int = 0) -> None:
        super().__init__(rng=rng)
        p = inputs.params
        self.years = inputs.years
        n_years = len(self.years)
        self.dprk = DPRK(self, p, inputs.strategy)
        self.china = China(self, inputs)
        self.russia = Russia(self, inputs)
        self.projects = ProjectPortfolio(inputs)
        self.rows: list[tuple] = []
        self.t = 0

        self.tension = 0.0
        self.energy = 1.0
        self.reserves = p["dprk.reserves_1988_usd"]
        self.planned: float | None = None  # the income the DPRK plans its imports on
        # Settings and per-year paths fixed by the inputs (year_list, growth_index, un_ban,
        # base_margin, ...): built by the first run of these inputs, shared by later ones.
        self.__dict__.update(inputs.derived(World, World.yearly_inputs))
        # Capacity noise is drawn up front (one draw per year and sector), then firms'.
        noise = np.exp(self.rng.normal(0.0, p["dprk.capacity_noise"], (n_years, N_EXP)))
        self.capacity_path = (self.base_capacity * noise).tolist()
        self.firms = FirmPopulation(inputs, self.rng)
        self.preference = (self.china.preference, self.russia.preference)

    @staticmethod
    def yearly_inputs(inputs) -> dict:
        """The world's settings, per-year ones as lists; they depend on the inputs alone."""
        p = inputs.params
        years = inputs.years
        i2014 = int(np.searchsorted(years, 2014)) if years[0] <= 2014 else 0
        brent = p["world.brent_usd_per_bbl"]
        growth = np.cumprod(1.0 + p["dprk.capacity_growth"])
        reach = np.cumprod(1.0 + p["firms.china_reach_growth"])
        export_ban = np.stack([p[f"sanctions.un_export_ban_{s}"] for s in EXPORT_SECTORS], 1)
        base = np.array([
            [p[f"firms.{c}_{'export' if s in EXPORT_SECTORS else 'import'}_margin"]
             * p[f"firms.{c}_complementarity_{s}"] - p[f"firms.{c}_transport_cost"]
             for s in SECTORS]
            for c in PATRONS
        ])
        base.setflags(write=False)
        capacity = np.array([p[f"dprk.capacity_{s}_usd"] for s in EXPORT_SECTORS])
        capacity.setflags(write=False)
        return {
            "year_list": years.tolist(),
            "memory": p["world.nuclear_memory"],
            "nuclear_test": p["world.nuclear_test"].tolist(),
            "korea": p["korea.trade_usd"].tolist(),
            "korea_export_share": p["korea.export_share"],
            "korea_wage_share": p["korea.dprk_wage_share"],
            "others_usd": p["dprk.others_trade_usd"],
            "others_export_share": p["dprk.others_export_share"],
            "outreach_effect": p["dprk.outreach_effect"],
            "align_effect": p["dprk.alignment_risk_effect"],
            "energy_elasticity": p["dprk.energy_elasticity"],
            "coal_price": p["world.coal_price_usd_per_t"],
            "fuel_share": p["patrons.aid_fuel_share"],
            "enforcement_others": p["sanctions.enforcement_others"].tolist(),
            "secondary": p["sanctions.secondary_on_firms"].tolist(),
            "growth_index": (growth / growth[i2014]).tolist(),
            "china_reach": np.minimum(1.0, reach / reach[i2014]).tolist(),
            "china_demand": p["firms.china_demand"].tolist(),
            "base_capacity": capacity,
            "need": [p[f"dprk.need_{s}_usd"] for s in IMPORT_SECTORS],
            # Needs are at 2014 prices; a dollar of the crude grant, valued at the year's Brent
            # price (the model's $70 from 2015), covers P_2014 / P_t dollars of them.
            "crude_cover": (brent[i2014] / brent).tolist(),
            "export_ban": export_ban.tolist(),
            "export_ban_mean": export_ban.mean(1).tolist(),
            "fuel_ban": p["sanctions.un_import_ban_fuel"].tolist(),
            "goods_ban": p["sanctions.un_import_ban_goods"].tolist(),
            "evasion_yield": p["dprk.evasion_yield"],
            "cyber": p["dprk.cyber_income_usd"].tolist(),
            "drawdown": p["dprk.reserve_drawdown"],
            "smoothing": p["dprk.spending_smoothing"],
            "reserve_cap": p["dprk.reserve_cap_years"],
            "base_margin": base,
            "margin_now": base.ravel().tolist(),  # replaced (never changed in place) as projects open
            "base_risk": [p[f"firms.{c}_political_risk"] for c in PATRONS],
            # What each home market can take from (or sell to) the DPRK, per sector:
            # complementarity caps the volume, not only the margin (000, 002).
            "absorb": [[p[f"firms.{c}_complementarity_{s}"] for s in SECTORS] for c in PATRONS],
        }

    def step(self) -> None:
        t = self.t
        year = self.year_list[t]
        stance = self.dprk.choose(t)
        a = stance.alignment
        tension = self.tension  # last year's: patrons react with a lag
        self.tension = min(1.0, self.memory * self.tension + self.nuclear_test[t])

        offer_c, offer_r = self.dprk.offers  # support the DPRK received from each last year
        aid_c, rate_c, credit_c, enf_c, debt_c = self.china.decide(t, -a, tension, offer_r)
        aid_r, rate_r, credit_r, enf_r, debt_r = self.russia.decide(t, a, tension, offer_c)
        risk_c = self.base_risk[0] * (1.0 + self.align_effect * a)
        risk_r = self.base_risk[1] * (1.0 - self.align_effect * a)

        spend_c, spend_r, changed = self.projects.step(year, (risk_c, risk_r))
        if changed:
            self.margin_now = (self.base_margin + self.projects.saving).ravel().tolist()

        # DPRK capacity and needs this year (energy feedback from last year's fuel).
        q = stance.openness
        energy_factor = self.energy ** self.energy_elasticity
        scale = self.growth_index[t] * q
        capacity = [c * scale * energy_factor for c in self.capacity_path[t]]
        need = [n * scale for n in self.need]
        # Aid arrives in kind: China's committed aid is pipeline crude, the rest fuel and food.
        aid = aid_c + aid_r
        # The crude is a volume (500,000 t a year): it covers its worth at 2014 prices of the
        # need, whatever it is valued at in the accounts and customs (the year's oil price).
        crude = self.china.committed
        other = aid - crude
        aid_fuel = crude * self.crude_cover[t] + other * self.fuel_share
        need_left = [max(0.0, need[0] - aid_fuel),
                     max(0.0, need[1] - other * (1.0 - self.fuel_share)), need[2]]

        # What each patron's firms could buy from or sell to the DPRK, after UN bans by
        # direction (binding as far as that patron enforces them).
        # China's firms reach `reach` of the DPRK's capacity and its market takes `demand` of
        # it; Russia's reach all of it (a share of 1.0, so its products are written without
        # the factor: x * 1.0 is x, to the bit).
        ban = self.export_ban[t]
        fuel_ban, goods_ban = self.fuel_ban[t], self.goods_ban[t]
        reach, demand = self.china_reach[t], self.china_demand[t]
        ab_c, ab_r = self.absorb
        # (capacity covers the export sectors, the first N_EXP of absorb's.)
        room_c = [x * reach * a * demand for x, a in zip(capacity, ab_c, strict=False)]
        room_r = [x * a for x, a in zip(capacity, ab_r, strict=False)]
        blocked = 0.0
        blocked += sum([x * b for x, b in zip(room_c, ban, strict=True)]) * enf_c
        blocked += sum([x * b for x, b in zip(room_r, ban, strict=True)]) * enf_r
        potential = [x * (1.0 - b * enf_c) for x, b in zip(room_c, ban, strict=True)]
        potential += (need_left[0] * (1.0 - fuel_ban * enf_c) * reach * ab_c[N_EXP],
                      need_left[1] * reach * ab_c[N_EXP + 1],
                      need_left[2] * (1.0 - goods_ban * enf_c) * reach * ab_c[N_EXP + 2])
        potential += [x * (1.0 - b * enf_r) for x, b in zip(room_r, ban, strict=True)]
        potential += (need_left[0] * (1.0 - fuel_ban * enf_r) * ab_r[N_EXP],
                      need_left[1] * ab_r[N_EXP + 1],
                      need_left[2] * (1.0 - goods_ban * enf_r) * ab_r[N_EXP + 2])
        if self.china.halt[t]:
            potential[FUEL] = potential[FOOD] = 0.0
        if self.russia.halt[t]:
            potential[N_SECTORS + FUEL] = potential[N_SECTORS + FOOD] = 0.0

        add_c = rate_c + self.preference[0][t]
        add_r = rate_r + self.preference[1][t]
        m = self.margin_now
        margin = [x + add_c for x in m[:N_SECTORS]] + [x + add_r for x in m[N_SECTORS:]]
        risk = [risk_c] * N_SECTORS + [risk_r] * N_SECTORS
        d = self.firms.decide(t, margin, risk, self.secondary[t], potential)

        # Exogenous partners: inter-Korean (set by Seoul) and third countries.
        korea = self.korea[t]
        korea_exp = korea * self.korea_export_share
        kaesong_wages = korea * self.korea_wage_share  # what the DPRK earns of it: wages
        others_base = self.others_usd * scale * energy_factor * (1.0 + self.outreach_effect
                                                                 * stance.outreach)
        others_cut = self.export_ban_mean[t] * self.enforcement_others[t]
        others = others_base * (1.0 - others_cut)
        others_exp = others * self.others_export_share
        blocked += others_base * others_cut * self.others_export_share

        # Exports: the DPRK's capacity rations what firms want, sector by sector.
        fill = [1.0] * (2 * N_SECTORS)
        limits = capacity + need_left
        for s in range(N_SECTORS):
            wanted = d[s] + d[N_SECTORS + s]
            if wanted > limits[s]:
                fill[s] = fill[N_SECTORS + s] = limits[s] / wanted
        traded = [x * f for x, f in zip(d, fill, strict=True)]

        # The DPRK's cash this year, then imports paid from it: fuel, food, goods in turn.
        transit = self.projects.income[0] + self.projects.income[1]
        exp_c = sum(traded[:N_GOODS])
        exp_r = sum(traded[N_SECTORS:N_SECTORS + N_GOODS])
        labour = traded[LABOUR] + traded[N_SECTORS + LABOUR]
        smuggling = self.evasion_yield * blocked
        cyber = self.cyber[t]
        # The DPRK's own money: untied, it may buy from either patron.
        own = (exp_c + exp_r + labour + transit + kaesong_wages + others_exp
               - (others - others_exp) + smuggling + cyber)
        # Imports are planned on the income the DPRK expects (smoothed), within what this
        # year's cash and a bounded draw on reserves allow; reserves take the difference.
        planned = (own if self.planned is None
                   else self.smoothing * own + (1.0 - self.smoothing) * self.planned)
        self.planned = planned
        purse = min(planned, own + self.drawdown * self.reserves)
        # A patron's credit is tied to its own goods (Soviet credit financed Soviet deliveries,
        # a Chinese credit line Chinese exports): it pays that patron's sellers first, and what
        # the DPRK does not buy from the patron is not drawn.
        tied = [credit_c, credit_r]
        paid = 0.0
        for s in range(N_EXP, N_SECTORS):
            pair = (s, N_SECTORS + s)
            bills = ((1.0 - rate_c) * traded[s], (1.0 - rate_r) * traded[N_SECTORS + s])
            used = (min(tied[0], bills[0]), min(tied[1], bills[1]))
            tied[0] -= used[0]
            tied[1] -= used[1]
            rest = bills[0] - used[0] + bills[1] - used[1]
            if rest > purse:
                cut = max(purse, 0.0) / rest
                for i, bill, use in zip(pair, bills, used, strict=True):
                    if bill > 0.0:
                        f = (use + (bill - use) * cut) / bill
                        traded[i] *= f
                        fill[i] *= f
                rest = max(purse, 0.0)
            purse -= rest
            paid += rest
        credit_c -= tied[0]  # what was drawn
        credit_r -= tied[1]
        self.reserves += own - paid
        cash_in = own + credit_c + credit_r
        paid += credit_c + credit_r
        cap = self.reserve_cap * planned  # in years of the imports it plans for
        off_books = self.reserves - cap if self.reserves > cap else 0.0
        self.reserves -= off_books
        imp_c = sum(traded[N_EXP:N_SECTORS])
        imp_r = sum(traded[N_SECTORS + N_EXP:])
        fuel_in = traded[FUEL] + traded[N_SECTORS + FUEL] + aid_fuel
        self.energy = min(1.0, fuel_in / need[0]) if need[0] > 0 else 1.0

        # Accounts. Customs goods trade; China's customs recorded its pipeline crude until 2013.
        subsidy_c = rate_c * sum(traded[:N_SECTORS])
        subsidy_r = rate_r * sum(traded[N_SECTORS:])
        # Subsidies firms receive and active-firm counts: tallied for all years in outputs().
        self.firms.settle(fill, rate_c, rate_r)
        crude_recorded = crude * self.china.aid_in_customs[t]
        imp_c_customs = imp_c + crude_recorded
        trade_c, trade_r = exp_c + imp_c_customs, exp_r + imp_r
        others_total = trade_c + trade_r + others
        total = others_total + korea
        if total > 0:
            shares = (trade_c / total, trade_r / total, korea / total, others / total)
        else:
            shares = (0.0, 0.0, 0.0, 0.0)
        s_c, s_r, s_k, s_o = shares
        hhi = s_c * s_c + s_r * s_r + s_k * s_k + s_o * s_o
        exports_excl = exp_c + exp_r + others_exp
        support_c = aid_c + subsidy_c + credit_c
        support_r = aid_r + subsidy_r + credit_r
        # What reaches the DPRK: aid, credit and the subsidised part of its imports (a
        # subsidy on what it sells is paid to the patron's buyers, not to the DPRK).
        received_c = aid_c + credit_c + rate_c * imp_c
        received_r = aid_r + credit_r + rate_r * imp_r
        gains = cash_in + aid + rate_c * imp_c + rate_r * imp_r
        payoff = self.dprk.score(gains, (trade_c + aid_c, trade_r + aid_r, korea, others),
                                 (received_c, received_r))

        self.rows.append((
            exp_c, imp_c_customs, exp_r, imp_r,
            korea_exp, korea - korea_exp, others_exp, others - others_exp,
            trade_c, trade_r, korea, others, total,
            shares[0], trade_c / others_total if others_total > 0 else 0.0,
            exp_c / exports_excl if exports_excl > 0 else 0.0,
            trade_c / trade_r if trade_r > 0 else math.inf,
            traded[COAL], traded[COAL] / self.coal_price,
            aid_c, subsidy_c, credit_c, support_c, debt_c, spend_c,
            aid_r, subsidy_r, credit_r, support_r, debt_r, spend_r,
            support_c + spend_c, support_r + spend_r, self.china.bid, self.russia.bid,
            received_c, received_r, crude_recorded,
            aid, credit_c + credit_r, math.nan,
            labour, transit, kaesong_wages, smuggling, cyber,
            cash_in, paid, self.reserves, off_books,
            gains, payoff, hhi, self.dprk.leverage,
            a, stance.outreach, q, self.energy, tension,
            self.russia.fiscal[t], enf_c, enf_r,
            *_ACTIVE_LATER,  # active firms, tallied in outputs()
            *self.projects.statuses(),
        ))
        self.t += 1

    def outputs(self) -> np.ndarray:
        """The outputs of the years stepped so far, a row per year (see OUTPUTS)."""
        out = np.array(self.rows, dtype=float).reshape(len(self.rows), len(OUTPUTS))
        out[:, FIRM_SUBSIDY] = self.firms.subsidy_received()
        active = self.firms.active_counts()
        out[:, ACTIVE_CHINA] = active[:, :N_SECTORS].sum(axis=1)
        out[:, ACTIVE_RUSSIA] = active[:, N_SECTORS:].sum(axis=1)
        out[:, ACTIVE_COHORTS] = active
        return out

    def run(self) -> np.ndarray:
        """Step through every year; returns the outputs, a row per year."""
        try:
            for _ in range(len(self.years)):
                self.step()
            return self.outputs()
        finally:
            self.release()

    def release(self) -> None:
        """Let the finished model be garbage-collected.

        Mesa before 3.5 keeps every model alive in a class-level registry of
        agent ids (``Agent._ids``, mesa issue #3179, fixed by mesa PR #3180), so
        a sweep worker's memory would grow by the whole model on every run.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
