"""The Mesa model: what happens in one year, in what order.

One step is one year, from 1988 to the scenario's horizon:

1. Pyongyang picks its stance (strategy, from last year's offers and payoff).
2. Nuclear tension updates (tests add, memory decays).
3. China and Russia decide aid, subsidy, credit and enforcement (states.py).
4. Projects advance (projects.py); running ones cut transport costs.
5. DPRK export capacity and import needs follow trend growth, energy supply
   (fuel imports and aid last year: the 1990s collapse, 001) and noise.
6. Firms decide volumes (firms.py); the DPRK's capacity rations exports, its
   purse (export earnings + credit) rations imports.
7. Accounts close: trade by partner, shares, costs to each patron,
   dependence, payoff; one row of outputs is recorded.

The model reads no files and writes none: it gets compiled inputs
(scenario.compile_inputs) and returns an array of outputs.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from model.firms import N_SECTORS, FirmPopulation
from model.params import EXPORT_SECTORS, IMPORT_SECTORS, PATRONS, PROJECTS, SECTORS
from model.projects import ProjectPortfolio
from model.states import DPRK, China, Russia

N_EXP = len(EXPORT_SECTORS)
FUEL, FOOD = SECTORS.index("fuel"), SECTORS.index("food")
COAL = SECTORS.index("coal")

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
    "dprk_aid_received_usd", "dprk_credit_received_usd", "firm_subsidy_received_usd",
    "dprk_resources_usd", "dprk_payoff", "dependence_hhi",
    "alignment", "outreach", "openness", "energy_index", "nuclear_tension",
    "fiscal_room_russia", "enforcement_china", "enforcement_russia",
    "active_firms_china", "active_firms_russia",
    *(f"active_{c}_{s}" for c in PATRONS for s in SECTORS),
    *(f"project_{p}" for p in PROJECTS),
)
COLUMN = {name: i for i, name in enumerate(OUTPUTS)}


class World(mesa.Model):
    """DPRK, China and Russia with a firm population, one step per year.

    ``World(inputs, rng=seed)``: ``inputs`` from :func:`model.scenario.compile_inputs`;
    ``rng`` an integer seed (Mesa seeds ``self.rng`` from it).
    """

    def __init__(self, inputs, rng: int = 0) -> None:
        super().__init__(rng=rng)
        p = inputs.params
        self.years = inputs.years
        self.dprk = DPRK(self, p, inputs.strategy)
        self.china = China(self, p)
        self.russia = Russia(self, p)
        self.firms = FirmPopulation(p, self.rng)
        self.projects = ProjectPortfolio(p)
        self.out = np.zeros((len(self.years), len(OUTPUTS)))
        self.t = 0

        self.tension = 0.0
        self.energy = 1.0
        self.memory = p["world.nuclear_memory"]
        self.nuclear_test = p["world.nuclear_test"]
        self.korea = p["world.inter_korean_trade_usd"]
        self.korea_export_share = p["world.inter_korean_export_share"]
        self.others_usd = p["dprk.others_trade_usd"]
        self.others_export_share = p["dprk.others_export_share"]
        self.outreach_effect = p["dprk.outreach_effect"]
        self.align_effect = p["dprk.alignment_risk_effect"]
        self.energy_elasticity = p["dprk.energy_elasticity"]
        self.capacity_noise = p["dprk.capacity_noise"]
        self.coal_price = p["world.coal_price_usd_per_t"]
        self.fuel_share = p["patrons.aid_fuel_share"]
        self.enforcement_others = p["sanctions.enforcement_others"]
        self.secondary = p["sanctions.secondary_on_firms"]

        growth = np.cumprod(1.0 + p["dprk.capacity_growth"])
        anchor = growth[np.searchsorted(self.years, 2014)] if self.years[0] <= 2014 else growth[0]
        self.growth_index = growth / anchor
        reach = np.cumprod(1.0 + p["firms.china_reach_growth"])
        self.china_reach = np.minimum(1.0, reach / (reach[np.searchsorted(self.years, 2014)]
                                                    if self.years[0] <= 2014 else reach[0]))
        self.capacity = np.array([p[f"dprk.capacity_{s}_usd"] for s in EXPORT_SECTORS])
        self.need = np.array([p[f"dprk.need_{s}_usd"] for s in IMPORT_SECTORS])
        self.un_ban = np.stack([p[f"sanctions.un_{s}"] for s in EXPORT_SECTORS + ("fuel",)], 1)
        self.un_ban_sectors = np.array([SECTORS.index(s) for s in EXPORT_SECTORS + ("fuel",)])

        self.base_margin = np.array([
            [p[f"firms.{c}_{'export' if s in EXPORT_SECTORS else 'import'}_margin"]
             * p[f"firms.{c}_complementarity_{s}"] for s in SECTORS]
            for c in PATRONS
        ]) - np.array([[p[f"firms.{c}_transport_cost"]] for c in PATRONS])
        self.base_risk = np.array([p[f"firms.{c}_political_risk"] for c in PATRONS])
        self.preference = np.stack([self.china.preference, self.russia.preference], 1)

    def step(self) -> None:
        t = self.t
        year = int(self.years[t])
        stance = self.dprk.choose(t)
        a = stance.alignment
        self.tension = self.memory * self.tension + self.nuclear_test[t]
        tension = min(1.0, self.tension)

        aid_c, rate_c, credit_c, enf_c, debt_c = self.china.decide(t, max(0.0, a), tension)
        aid_r, rate_r, credit_r, enf_r, debt_r = self.russia.decide(t, max(0.0, -a), tension)
        rate = np.array([rate_c, rate_r])
        enforcement = np.array([enf_c, enf_r])
        risk = self.base_risk * (1.0 + self.align_effect * np.array([a, -a]))

        project_spend = self.projects.step(year, risk)

        # DPRK capacity and needs this year.
        q = stance.openness
        energy_factor = self.energy ** self.energy_elasticity
        scale = self.growth_index[t] * q
        noise = np.exp(self.rng.normal(0.0, self.capacity_noise, N_EXP)) if self.capacity_noise else 1.0
        capacity = self.capacity * (scale * energy_factor) * noise
        need = self.need * scale
        aid_fuel = (aid_c + aid_r) * self.fuel_share
        aid_food = (aid_c + aid_r) - aid_fuel
        need_left = need.copy()
        need_left[0] = max(0.0, need[0] - aid_fuel)
        need_left[1] = max(0.0, need[1] - aid_food)

        potential = np.empty((2, N_SECTORS))
        potential[:, :N_EXP] = capacity
        potential[:, N_EXP:] = need_left
        potential[0] *= self.china_reach[t]
        potential[:, self.un_ban_sectors] *= 1.0 - self.un_ban[t] * enforcement[:, None]
        if self.china.halt[t]:
            potential[0, (FUEL, FOOD)] = 0.0
        if self.russia.halt[t]:
            potential[1, (FUEL, FOOD)] = 0.0

        margin = self.base_margin + self.projects.saving + (rate + self.preference[t])[:, None]
        desired = self.firms.decide(margin.ravel(), risk, self.secondary[t], potential.ravel(),
                                    self.rng).reshape(2, N_SECTORS)

        # Exogenous partners: inter-Korean (set by Seoul) and third countries.
        korea = self.korea[t]
        korea_exp = korea * self.korea_export_share
        un_mean = self.un_ban[t, :N_EXP].mean()
        others = (self.others_usd * scale * energy_factor * (1.0 + self.outreach_effect * stance.outreach)
                  * (1.0 - un_mean * self.enforcement_others[t]))
        others_exp = others * self.others_export_share

        # Exports: the DPRK's capacity rations what firms want, sector by sector.
        fill = np.ones((2, N_SECTORS))
        wanted = desired[:, :N_EXP].sum(0)
        over = wanted > capacity
        fill[:, :N_EXP][:, over] = capacity[over] / wanted[over]
        # Imports: needs cap each sector, then the purse caps the lot.
        wanted = desired[:, N_EXP:].sum(0)
        over = wanted > need_left
        fill[:, N_EXP:][:, over] = need_left[over] / wanted[over]
        traded = desired * fill
        transit = self.projects.income
        exports = traded[:, :N_EXP].sum(1) + transit
        # Inter-Korean trade is processing trade financed by Southern firms: purse-neutral.
        purse = exports.sum() + credit_c + credit_r + others_exp - (others - others_exp)
        bills = (1.0 - rate) @ traded[:, N_EXP:]
        # Essentials first: fuel, then food, then goods get what is left.
        for s, bill in enumerate(bills):
            if bill > purse:
                cut = max(purse, 0.0) / bill
                fill[:, N_EXP + s] *= cut
                traded[:, N_EXP + s] *= cut
                bill = max(purse, 0.0)
            purse -= bill
        imports = traded[:, N_EXP:].sum(1)
        fuel_in = traded[:, FUEL].sum() + aid_fuel
        self.energy = min(1.0, fuel_in / need[0]) if need[0] > 0 else 1.0

        # Accounts.
        subsidy = rate * traded.sum(1)
        firm_subsidy = float(self.firms.realised(fill.ravel()) @ rate[self.firms.country])
        trade = exports + imports
        total = trade.sum() + korea + others
        excl = trade.sum() + others
        shares = np.array([trade[0], trade[1], korea, others]) / total if total > 0 else np.zeros(4)
        hhi = float((shares ** 2).sum())
        exports_excl = exports.sum() + others_exp
        gains = (exports.sum() + korea_exp + others_exp + aid_c + aid_r + credit_c + credit_r
                 + (rate * imports).sum())
        support_c = aid_c + subsidy[0] + credit_c
        support_r = aid_r + subsidy[1] + credit_r
        payoff = self.dprk.score(gains, hhi, (support_c, support_r))
        active = self.firms.active_counts()

        self.out[t, :] = (
            exports[0], imports[0], exports[1], imports[1],
            korea_exp, korea - korea_exp, others_exp, others - others_exp,
            trade[0], trade[1], korea, others, total,
            shares[0], trade[0] / excl if excl > 0 else 0.0,
            exports[0] / exports_excl if exports_excl > 0 else 0.0,
            trade[0] / trade[1] if trade[1] > 0 else math.inf,
            traded[0, COAL], traded[0, COAL] / self.coal_price,
            aid_c, subsidy[0], credit_c, support_c, debt_c, project_spend[0],
            aid_r, subsidy[1], credit_r, support_r, debt_r, project_spend[1],
            aid_c + aid_r, credit_c + credit_r, firm_subsidy,
            gains, payoff, hhi,
            a, stance.outreach, q, self.energy, tension,
            self.russia.fiscal[t], enf_c, enf_r,
            active[:N_SECTORS].sum(), active[N_SECTORS:].sum(),
            *active, *self.projects.statuses(),
        )
        self.t += 1

    def run(self) -> np.ndarray:
        """Step through every year; returns the outputs, a row per year."""
        for _ in range(len(self.years)):
            self.step()
        return self.out
