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

One World runs a batch of replications at once: each replication has its own
inputs (a posterior draw, a design point) and its own random stream (its seed),
and every quantity below is an array with a value per replication, so the
Python cost of a year is paid once per batch rather than once per run. Nothing
mixes replications: a run gives the same numbers, to the last bit, alone or in
any batch (tests/test_batch.py). Sums over sectors add in sector order, and
powers are Python's, one replication at a time, so that a run's numbers do not
depend on the CPU's vector instructions either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from model.common import power_each
from model.firms import N_GROUPS, N_SECTORS, FirmPopulation
from model.mesacore import forget_model
from model.outputs import COLUMN, OUTPUTS
from model.params import EXPORT_SECTORS, GOODS_EXPORTS, IMPORT_SECTORS, PATRONS, SECTORS
from model.projects import ProjectPortfolio
from model.scenario import Inputs, MemberValues
from model.states import DPRK, China, Russia

N_EXP = len(EXPORT_SECTORS)
N_GOODS = len(GOODS_EXPORTS)  # export sectors 0..N_GOODS-1 are customs goods
LABOUR = SECTORS.index("labour")
FUEL, FOOD = SECTORS.index("fuel"), SECTORS.index("food")
COAL = SECTORS.index("coal")

# The output columns, in the order of a row below, are declared with their units, labels and
# meanings in the output registry (model/outputs.py).


# Firm accounts the firm population keeps and World.outputs writes in at the end: active
# firms by country, then by (country, sector) cohort (counted over all years at once).
ACTIVE_CHINA, ACTIVE_RUSSIA = COLUMN["active_firms_china"], COLUMN["active_firms_russia"]
ACTIVE_COHORTS = slice(COLUMN[f"active_{PATRONS[0]}_{SECTORS[0]}"],
                       COLUMN[f"active_{PATRONS[-1]}_{SECTORS[-1]}"] + 1)
_ACTIVE_LATER = (math.nan,) * (2 + 2 * N_SECTORS)  # placeholders in step()'s row


def batch_key(inputs: Inputs) -> tuple[int, int, int]:
    """Runs with the same key can share a batch: the same years and firm count (how many of
    the firms are Russian may differ: :class:`model.firms.FirmPopulation`)."""
    return int(inputs.years[0]), int(inputs.years[-1]), int(inputs.params["firms.count"])


def _total(rows: np.ndarray) -> np.ndarray:
    """The sum of ``rows`` (sectors x replications) over sectors, added in sector order.

    NumPy reduces over a non-contiguous axis row by row, in order; with one replication
    the rows are contiguous and it would add pairwise, so they are added one by one.
    """
    if rows.shape[1] > 1:
        return rows.sum(axis=0)
    acc = rows[0] + rows[1]
    for row in rows[2:]:
        acc = acc + row
    return acc


class World(mesa.Model):
    """DPRK, China and Russia with a firm population, one step per year, for a batch of
    replications.

    ``World(inputs, rng=seed)`` runs one replication; ``World([inputs, ...], rng=[seed,
    ...])`` a batch, one seed per member (:func:`batch_key` must agree across them).
    ``inputs`` come from :func:`model.scenario.compile_inputs`; each member's random
    stream is ``numpy.random.default_rng(seed)``, as Mesa seeds a model's ``rng``.

    Per-member settings are arrays with the member last: a (members,) array, or
    (years, members) for a per-year one, so ``setting[t]`` is year ``t`` of every
    member. Cohort tables (country x sector) are (16, members).
    """

    def __init__(self, inputs: Inputs | Sequence[Inputs],
                 rng: int | Sequence[int] = 0) -> None:
        members = [inputs] if isinstance(inputs, Inputs) else list(inputs)
        seeds = [int(rng)] if isinstance(rng, (int, np.integer)) else [int(s) for s in rng]
        if len(members) != len(seeds) or not members:
            raise ValueError(f"a batch needs one seed per member: {len(members)} inputs, "
                             f"{len(seeds)} seeds")
        keys = {batch_key(m) for m in members}
        if len(keys) > 1:
            raise ValueError(f"a batch's members must share years and firm count, got {keys}")
        super().__init__(rng=seeds[0])
        self.rngs = [np.random.default_rng(s) for s in seeds]
        self.members = members
        r = len(members)
        values = MemberValues(members)
        self.years = members[0].years
        n_years = len(self.years)
        # Strategies draw first (Adaptive's trial order), then capacity noise, then firms:
        # each member's stream is drawn in the order a run alone draws it.
        self.dprk = DPRK(self, members, self.rngs, values)
        self.china = China(self, members, values)
        self.russia = Russia(self, members, values)
        self.projects = ProjectPortfolio(members, values)
        self.t = 0

        self.tension = np.zeros(r)
        self.energy = np.ones(r)
        self.reserves = values["dprk.reserves_1988_usd"].copy()
        self.planned: np.ndarray | None = None  # the income the DPRK plans its imports on
        # Settings and per-year paths fixed by the inputs (growth_index, un bans,
        # base_margin, ...), for every member at once.
        self.__dict__.update(World.yearly_inputs(values, self.years))
        # Capacity noise is drawn up front (one draw per year and sector), then firms'. (A
        # lognormal draw is the exponential of the same normal draw, taken with the C
        # library's exp: NumPy's own gives other last bits on CPUs with AVX-512.)
        noise = np.empty((n_years, N_EXP, r))
        for i, (inputs_i, g) in enumerate(zip(members, self.rngs, strict=True)):
            noise[:, :, i] = g.lognormal(0.0, inputs_i.params["dprk.capacity_noise"],
                                         (n_years, N_EXP))
        self.capacity_path = self.base_capacity * noise
        self.firms = FirmPopulation(members, self.rngs, values)
        self.preference = (self.china.preference, self.russia.preference)
        # Imports a patron's UN bans reach: fuel and goods, not food.
        self._import_ban = np.zeros((len(IMPORT_SECTORS), r))
        # Outputs, (members, years, outputs): a year's row is gathered output by output, then
        # written into every member's table at once.
        self.out = np.empty((r, n_years, len(OUTPUTS)))
        self._row = np.empty((len(OUTPUTS), r))

    @staticmethod
    def yearly_inputs(p: MemberValues, years: np.ndarray) -> dict:
        """The world's settings for a batch, from its members' registry values: arrays with
        the member last, per-year ones (years, members)."""
        i2014 = int(np.searchsorted(years, 2014)) if years[0] <= 2014 else 0
        brent = p["world.brent_usd_per_bbl"]
        growth = np.cumprod(1.0 + p["dprk.capacity_growth"], axis=0)
        reach = np.cumprod(1.0 + p["firms.china_reach_growth"], axis=0)
        export_ban = np.stack([p[f"sanctions.un_export_ban_{s}"] for s in EXPORT_SECTORS], 1)
        base = np.array([
            [p[f"firms.{c}_{'export' if s in EXPORT_SECTORS else 'import'}_margin"]
             * p[f"firms.{c}_complementarity_{s}"] - p[f"firms.{c}_transport_cost"]
             for s in SECTORS]
            for c in PATRONS
        ])
        return {
            "memory": p["world.nuclear_memory"],
            "nuclear_test": p["world.nuclear_test"],
            "korea": p["korea.trade_usd"],
            "korea_export_share": p["korea.export_share"],
            "korea_wage_share": p["korea.dprk_wage_share"],
            "others_usd": p["dprk.others_trade_usd"],
            "others_export_share": p["dprk.others_export_share"],
            "outreach_effect": p["dprk.outreach_effect"],
            "align_effect": p["dprk.alignment_risk_effect"],
            "energy_elasticity": p["dprk.energy_elasticity"],
            "coal_price": p["world.coal_price_usd_per_t"],
            "fuel_share": p["patrons.aid_fuel_share"],
            "enforcement_others": p["sanctions.enforcement_others"],
            "secondary": p["sanctions.secondary_on_firms"],
            "growth_index": growth / growth[i2014],
            "china_reach": np.minimum(1.0, reach / reach[i2014]),
            "china_demand": p["firms.china_demand"],
            "base_capacity": np.array([p[f"dprk.capacity_{s}_usd"] for s in EXPORT_SECTORS]),
            "need": np.array([p[f"dprk.need_{s}_usd"] for s in IMPORT_SECTORS]),
            # Needs are at 2014 prices; a dollar of the crude grant, valued at the year's Brent
            # price (the model's $70 from 2015), covers P_2014 / P_t dollars of them.
            "crude_cover": brent[i2014] / brent,
            "export_ban": export_ban,
            "export_ban_mean": export_ban.mean(1),
            "fuel_ban": p["sanctions.un_import_ban_fuel"],
            "goods_ban": p["sanctions.un_import_ban_goods"],
            "evasion_yield": p["dprk.evasion_yield"],
            "cyber": p["dprk.cyber_income_usd"],
            "drawdown": p["dprk.reserve_drawdown"],
            "smoothing": p["dprk.spending_smoothing"],
            "reserve_cap": p["dprk.reserve_cap_years"],
            "base_margin": base,
            "margin_now": base.reshape(len(PATRONS) * len(SECTORS), -1),  # replaced as projects open
            "base_risk": np.array([p[f"firms.{c}_political_risk"] for c in PATRONS]),
            # What each home market can take from (or sell to) the DPRK, per sector:
            # complementarity caps the volume, not only the margin (000, 002).
            "absorb": np.array([[p[f"firms.{c}_complementarity_{s}"] for s in SECTORS]
                                for c in PATRONS]),
        }

    def step(self) -> None:
        t = self.t
        year = int(self.years[t])
        r = len(self.members)
        stance = self.dprk.choose(t)
        a = stance.alignment
        tension = self.tension  # last year's: patrons react with a lag
        self.tension = np.minimum(1.0, self.memory * self.tension + self.nuclear_test[t])

        offer_c, offer_r = self.dprk.offers  # support the DPRK received from each last year
        aid_c, rate_c, credit_c, enf_c, debt_c = self.china.decide(t, -a, tension, offer_r)
        aid_r, rate_r, credit_r, enf_r, debt_r = self.russia.decide(t, a, tension, offer_c)
        risk_c = self.base_risk[0] * (1.0 + self.align_effect * a)
        risk_r = self.base_risk[1] * (1.0 - self.align_effect * a)

        spend_c, spend_r, changed = self.projects.step(year, (risk_c, risk_r))
        if changed:
            self.margin_now = (self.base_margin + self.projects.saving).reshape(N_GROUPS, r)

        # DPRK capacity and needs this year (energy feedback from last year's fuel).
        q = stance.openness
        energy_factor = power_each(self.energy, self.energy_elasticity)
        scale = self.growth_index[t] * q
        capacity = self.capacity_path[t] * scale * energy_factor
        need = self.need * scale
        # Aid arrives in kind: China's committed aid is pipeline crude, the rest fuel and food.
        aid = aid_c + aid_r
        # The crude is a volume (500,000 t a year): it covers its worth at 2014 prices of the
        # need, whatever it is valued at in the accounts and customs (the year's oil price).
        crude = self.china.committed
        other = aid - crude
        aid_fuel = crude * self.crude_cover[t] + other * self.fuel_share
        need_left = np.stack([np.maximum(0.0, need[0] - aid_fuel),
                              np.maximum(0.0, need[1] - other * (1.0 - self.fuel_share)),
                              need[2]])

        # What each patron's firms could buy from or sell to the DPRK, after UN bans by
        # direction (binding as far as that patron enforces them): on what the DPRK sells,
        # per sector, and on the fuel and goods it buys (not food).
        # China's firms reach `reach` of the DPRK's capacity and its market takes `demand` of
        # it; Russia's reach all of it.
        ban = self.export_ban[t]
        import_ban = self._import_ban
        import_ban[0], import_ban[2] = self.fuel_ban[t], self.goods_ban[t]
        reach, demand = self.china_reach[t], self.china_demand[t]
        ab_c, ab_r = self.absorb
        room_c = capacity * reach * ab_c[:N_EXP] * demand
        room_r = capacity * ab_r[:N_EXP]
        blocked = _total(room_c * ban) * enf_c + _total(room_r * ban) * enf_r
        potential = np.concatenate([
            room_c * (1.0 - ban * enf_c),
            need_left * (1.0 - import_ban * enf_c) * reach * ab_c[N_EXP:],
            room_r * (1.0 - ban * enf_r),
            need_left * (1.0 - import_ban * enf_r) * ab_r[N_EXP:],
        ])
        for patron, first in ((self.china, 0), (self.russia, N_SECTORS)):
            halt = patron.halt[t]
            if halt.any():
                potential[first + FUEL] = np.where(halt, 0.0, potential[first + FUEL])
                potential[first + FOOD] = np.where(halt, 0.0, potential[first + FOOD])

        add_c = rate_c + self.preference[0][t]
        add_r = rate_r + self.preference[1][t]
        m = self.margin_now
        margin = np.concatenate([m[:N_SECTORS] + add_c, m[N_SECTORS:] + add_r])
        risk = np.concatenate([np.broadcast_to(risk_c, (N_SECTORS, r)),
                               np.broadcast_to(risk_r, (N_SECTORS, r))])
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
        blocked = blocked + others_base * others_cut * self.others_export_share

        # Exports: the DPRK's capacity rations what firms want, sector by sector (and its
        # needs what they offer to sell it).
        wanted = d[:N_SECTORS] + d[N_SECTORS:]
        limits = np.concatenate([capacity, need_left])
        over = wanted > limits
        share = np.where(over, limits / np.where(over, wanted, 1.0), 1.0)
        traded = d * np.concatenate([share, share])

        # The DPRK's cash this year, then imports paid from it: fuel, food, goods in turn.
        transit = self.projects.income[0] + self.projects.income[1]
        exp_c = _total(traded[:N_GOODS])
        exp_r = _total(traded[N_SECTORS:N_SECTORS + N_GOODS])
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
        purse = np.minimum(planned, own + self.drawdown * self.reserves)
        # A patron's credit is tied to its own goods (Soviet credit financed Soviet deliveries,
        # a Chinese credit line Chinese exports): it pays that patron's sellers first, and what
        # the DPRK does not buy from the patron is not drawn.
        tied_c, tied_r = credit_c, credit_r
        paid = 0.0
        for s in range(N_EXP, N_SECTORS):
            bill_c = (1.0 - rate_c) * traded[s]
            bill_r = (1.0 - rate_r) * traded[N_SECTORS + s]
            used_c, used_r = np.minimum(tied_c, bill_c), np.minimum(tied_r, bill_r)
            tied_c, tied_r = tied_c - used_c, tied_r - used_r
            rest = bill_c - used_c + bill_r - used_r
            short = rest > purse
            if short.any():
                # The purse pays this share of the rest; each seller's untied part is cut to it.
                afford = np.maximum(purse, 0.0)
                owed = short & (rest > 0.0)
                cut = np.where(owed, afford / np.where(owed, rest, 1.0), 0.0)
                for i, bill, use in ((s, bill_c, used_c), (N_SECTORS + s, bill_r, used_r)):
                    hit = short & (bill > 0.0)
                    f = (use + (bill - use) * cut) / np.where(hit, bill, 1.0)
                    traded[i] = np.where(hit, traded[i] * f, traded[i])
                rest = np.where(short, afford, rest)
            purse = purse - rest
            paid = paid + rest
        credit_c = credit_c - tied_c  # what was drawn
        credit_r = credit_r - tied_r
        self.reserves = self.reserves + (own - paid)
        cash_in = own + credit_c + credit_r
        paid = paid + (credit_c + credit_r)
        cap = self.reserve_cap * planned  # in years of the imports it plans for
        off_books = np.where(self.reserves > cap, self.reserves - cap, 0.0)
        self.reserves = self.reserves - off_books
        imp_c = _total(traded[N_EXP:N_SECTORS])
        imp_r = _total(traded[N_SECTORS + N_EXP:])
        fuel_in = traded[FUEL] + traded[N_SECTORS + FUEL] + aid_fuel
        needed = need[0] > 0
        self.energy = np.where(needed, np.minimum(1.0, fuel_in / np.where(needed, need[0], 1.0)),
                               1.0)

        # Accounts. Customs goods trade; China's customs recorded its pipeline crude until 2013.
        subsidy_c = rate_c * _total(traded[:N_SECTORS])
        subsidy_r = rate_r * _total(traded[N_SECTORS:])
        crude_recorded = crude * self.china.aid_in_customs[t]
        imp_c_customs = imp_c + crude_recorded
        trade_c, trade_r = exp_c + imp_c_customs, exp_r + imp_r
        others_total = trade_c + trade_r + others
        total = others_total + korea
        counted = total > 0
        of_total = np.where(counted, total, 1.0)
        s_c, s_r, s_k, s_o = (np.where(counted, x / of_total, 0.0)
                              for x in (trade_c, trade_r, korea, others))
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

        row = self._row
        for k, value in enumerate((
            exp_c, imp_c_customs, exp_r, imp_r,
            korea_exp, korea - korea_exp, others_exp, others - others_exp,
            trade_c, trade_r, korea, others, total,
            s_c, _ratio(trade_c, others_total, 0.0),
            _ratio(exp_c, exports_excl, 0.0),
            _ratio(trade_c, trade_r, math.inf),
            traded[COAL], traded[COAL] / self.coal_price,
            aid_c, subsidy_c, credit_c, support_c, debt_c, spend_c,
            aid_r, subsidy_r, credit_r, support_r, debt_r, spend_r,
            support_c + spend_c, support_r + spend_r, self.china.bid, self.russia.bid,
            received_c, received_r, crude_recorded,
            # what firms receive in subsidies is what the patrons pay on what they traded
            aid, credit_c + credit_r, subsidy_c + subsidy_r,
            labour, transit, kaesong_wages, smuggling, cyber,
            cash_in, paid, self.reserves, off_books,
            gains, payoff, hhi, self.dprk.leverage,
            a, stance.outreach, q, self.energy, tension,
            self.russia.fiscal[t], enf_c, enf_r,
            *_ACTIVE_LATER,  # active firms, tallied in outputs()
            *self.projects.statuses(),
        )):
            row[k] = value
        self.out[:, t] = row.T
        self.t += 1

    def outputs(self) -> np.ndarray:
        """The outputs of the years stepped so far: (members, years, outputs) (see OUTPUTS).

        A view of the World's own table (no copy), which the firm accounts are written into
        here; later steps write only later years."""
        out = self.out[:, :self.t]
        active = self.firms.active_counts(self.t).transpose(1, 0, 2)
        out[:, :, ACTIVE_CHINA] = active[..., :N_SECTORS].sum(axis=-1)
        out[:, :, ACTIVE_RUSSIA] = active[..., N_SECTORS:].sum(axis=-1)
        out[:, :, ACTIVE_COHORTS] = active
        return out

    def run(self) -> np.ndarray:
        """Step through every year; returns the outputs, (members, years, outputs).

        A World runs once: it lets its state go when it finishes or fails (:meth:`release`);
        step it yourself (:meth:`step`, :meth:`outputs`) to look at it on the way."""
        if not vars(self):
            raise RuntimeError("this World has run (or failed) and let its state go: a World "
                               "runs once, make a new one")
        try:
            for _ in range(len(self.years)):
                self.step()
            return self.outputs()
        finally:
            self.release()

    def release(self) -> None:
        """Let the finished model go as soon as its caller drops it, without waiting for the
        garbage collector. What :meth:`run` returned stays valid; the model does not.

        Mesa before 3.5 keeps every model alive in a class-level registry of agent ids
        (:func:`model.mesacore.forget_model`), so a sweep worker's memory would grow by the
        whole model on every run.
        """
        forget_model(self, mesa.Agent)
        # Mesa's model and its agents refer to one another (and the model to itself, through
        # its step wrapper), so a finished model waited for a full collection, and a sweep
        # worker held several between its rare full collections: when only the arrays were
        # dropped here, the states, projects and members' inputs and settings (10-15 MB at 256
        # runs) crept its peak from 216 to 266 MB over 70 tasks of 256 runs; before that, the
        # arrays too (about 45 MB a batch), from 200 to 600 MB over a 10,000-run sweep.
        # Without the model's own references no cycle is left.
        vars(self).clear()


def _ratio(num: np.ndarray, den: np.ndarray, otherwise: float) -> np.ndarray:
    """``num / den`` where ``den`` > 0, else ``otherwise``."""
    positive = den > 0
    return np.where(positive, num / np.where(positive, den, 1.0), otherwise)
