"""The three states as Mesa agents: the DPRK and its two patrons.

A patron's yearly decision (seeds 000, 001, 003):

    warmth   = 1 - nuclear_aversion * nuclear_tension (last year's: policy reacts with a lag)
    value    = strategic_value * (1 + west_break * western_sanctions) * warmth  [west: Russia only]
    contest  = 1 - |alignment|            (a balanced DPRK is contested, a tilted one captured)
    grant    = (1 - earn_not_spend) * value * (1 + rivalry * tilt toward the rival)
    bid      = rivalry * contest * value * rival_offer / (value + rival_offer)
    aid      = fiscal_room * (min(grant + bid, value * (1 + rivalry)) + committed aid) + food aid
    subsidy  = trade_subsidy_rate * fiscal_room * warmth  (paid per dollar its firms trade)
    credit   = committed credit * fiscal_room * warmth
    enforce  = enforcement lever + nuclear_enforcement_response * nuclear_tension

The bid is the competing-donor mechanism (Bueno de Mesquita and Smith 2016, ISQ
60(3), in the domain brief): a dominant donor captures the surplus of an
aid-for-policy deal, while a second donor bidding for the same recipient makes
both pay more. Each patron answers the support the DPRK received from the other
last year (``rival_offer``), as far as the DPRK is contested and up to what the
DPRK is worth to it: it matches a small rival offer almost in full and a large
one only up to its own value. So a balanced DPRK draws bids from both, a
captured one draws none from its patron, and with one patron paying nearly
everything (China since the 2000s) the other barely answers: the 2014 status
quo. The Soviet Union and China bidding in the 1960s-80s (000, 003) is the
same rule at high rivalry.

The model runs a batch of replications at once (model.world): each state holds
its settings and its decisions as arrays with a value per replication, and the
rules below act on every replication alone.

Increases in support through the doctrine, the subsidy rate and credit build up
over support_phase_in_years (phase_in); cuts act at once.

``earn_not_spend`` is the grant doctrine: near 1 the patron gives almost no
grants (post-Soviet Russia, 000); near 0 it gives the DPRK's full value to it.
It does not switch the patron off: Russia's value still rises with the break
with the West (001) and feeds its bid, weighed against its fiscal room, which
shrinks with the oil price and the rouble (003).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mesa
import numpy as np

from model.common import log_each, power_each
from model.scenario import Inputs, MemberValues
from model.strategies import STRATEGIES, Observation, Stance, Strategy


def phase_in(path: np.ndarray, years, more_is_support: bool = True) -> np.ndarray:
    """A yearly setting whose increases in support build up linearly over ``years`` years.

    A decision to support the DPRK (China's early-2000s choice to subsidise
    trade, 001) takes years to become budgets, credit lines and firms'
    contracts; a cut takes effect at once (the Soviet collapse, 000, 001).
    ``more_is_support`` says which direction is an increase in support (False
    for the earn-not-spend doctrine, where a lower value means more aid). With
    ``years`` <= 1 the path is returned as given.

    ``path`` is per year, (years,) or (years, members) with ``years`` a number
    per member: each member's path is built alone.
    """
    path = np.asarray(path, dtype=float)
    steps = np.round(np.asarray(years, dtype=float)).astype(np.int64)
    sign = 1.0 if more_is_support else -1.0
    out = np.empty_like(path)
    out[0] = path[0]
    if len(path) < 2:
        return np.where(steps <= 1, path, out)
    # A member's setting changes in year t where it differs from year t - 1 (NaN always).
    # Between the years in which any member's changes, each member's build-up is a line:
    # those stretches are computed whole (what one year at a time took four times as long).
    changed = path[1:] != path[:-1]
    changed = np.broadcast_to(changed, (len(path) - 1, *np.broadcast(path[0], steps).shape))
    stretches = [1, *(np.flatnonzero(changed.reshape(len(changed), -1).any(axis=1)) + 1)
                 .tolist(), len(path)]
    start = target = path[0]  # where each member's build-up starts, and where it heads
    last = np.zeros(changed.shape[1:], dtype=np.int64)  # its last change (0: none yet)
    for a, b in zip(stretches[:-1], stretches[1:], strict=True):
        if a == b:  # a change in year 1
            continue
        new = changed[a - 1]
        start = np.where(new, out[a - 1], start)
        target = np.where(new, path[a], target)
        last = np.where(new, a, last)
        # years since the change, counting its year as 1 (without one, start is the target)
        since = np.arange(a, b).reshape(-1, *[1] * last.ndim) - last + 1
        at_once = sign * (target - start) <= 0.0  # a cut, or no change
        built = start + (target - start) * np.minimum(1.0, since / np.maximum(steps, 1))
        out[a:b] = np.where(at_once, target, built)
    return np.where(steps <= 1, path, out)


class Patron(mesa.Agent):
    """China or Russia: decides aid, subsidy, credit, preference and enforcement.

    Settings are arrays over the batch's replications (the last axis); per-year
    ones are (years, replications), so ``setting[t]`` is this year's value of each.
    """

    index = 0
    key = ""

    def __init__(self, model: mesa.Model, members: Sequence[Inputs],
                 values: MemberValues | None = None) -> None:
        super().__init__(model)
        values = MemberValues(members) if values is None else values
        # value_usd, earn_not_spend, rivalry, ... as attributes (see yearly_inputs).
        self.__dict__.update(type(self).yearly_inputs(values))
        self.fiscal = np.stack([m.derived((type(self), "fiscal"),
                                          lambda i: type(self).fiscal_path(i.params))
                                for m in members], axis=-1)
        zeros = np.zeros(len(members))
        self.halts = self.halt.any(axis=1).tolist()  # whether any replication halts, by year
        self.decision = (zeros, zeros, zeros, zeros, zeros)
        self.bid = zeros
        self.committed = zeros

    @classmethod
    def yearly_inputs(cls, values: MemberValues) -> dict:
        """The patron's settings for a batch, from its members' registry values: arrays with
        the member last, per-year ones (years, members). (Its fiscal room is built per
        member, by :meth:`fiscal_path`.)"""
        pre = cls.key + "."
        lag = values[pre + "support_phase_in_years"]
        return {
            "value_usd": values[pre + "strategic_value_usd"],
            "earn_not_spend": phase_in(values[pre + "earn_not_spend"], lag, more_is_support=False),
            "rivalry": values[pre + "rivalry"],
            "nuclear_aversion": values[pre + "nuclear_aversion"],
            "nuclear_response": values[pre + "nuclear_enforcement_response"],
            "subsidy_rate": phase_in(values[pre + "trade_subsidy_rate"], lag),
            "aid_usd": values[pre + "aid_usd"],
            "food_aid_usd": values[pre + "food_aid_t"] * values["world.food_price_usd_per_t"],
            "credit_usd": phase_in(values[pre + "credit_usd"], lag),
            "debt_relief_usd": values[pre + "debt_relief_usd"],
            "preference": values[pre + "preference"] * values[pre + "preference_effect"],
            "halt": values[pre + "halt_oil_grain"] > 0.5,
            "enforcement_lever": values["sanctions.enforcement_" + cls.key],
        }

    @staticmethod
    def fiscal_path(params: dict) -> np.ndarray:
        return np.ones_like(params["world.oil_price_usd_per_bbl"])

    def geopolitical_value(self, t: int) -> np.ndarray:
        return self.value_usd

    def decide(self, t: int, lean, tension, rival_offer) -> tuple:
        """This year's (aid, subsidy rate, credit, enforcement, debt relief), each an array
        over the batch's replications.

        ``lean`` is the DPRK's alignment toward this patron (-1: wholly to the
        rival, +1: wholly to it); ``rival_offer`` the support (USD) the DPRK
        received from the rival last year.
        """
        warmth = np.maximum(0.0, 1.0 - self.nuclear_aversion * tension)
        value = self.geopolitical_value(t) * warmth
        room = self.fiscal[t]
        rivalry = self.rivalry[t]
        halt = self.halt[t]
        committed = room * self.aid_usd[t]
        grant = (1.0 - self.earn_not_spend[t]) * value * (1.0 + rivalry * np.maximum(0.0, -lean))
        offer = np.maximum(0.0, rival_offer)
        both = value + offer
        answered = both > 0.0
        bid = rivalry * (1.0 - np.abs(lean)) * np.where(
            answered, value * offer / np.where(answered, both, 1.0), 0.0)
        aid = room * np.minimum(grant + bid, value * (1.0 + rivalry)) + committed
        aid = aid + self.food_aid_usd[t]
        # A halt of oil and grain (003) stops all aid, committed or bid.
        if self.halts[t]:
            committed = np.where(halt, 0.0, committed)
            bid = np.where(halt, 0.0, bid)
            aid = np.where(halt, 0.0, aid)
        self.committed = committed
        self.bid = room * bid
        enforcement = np.minimum(1.0, np.maximum(0.0, self.enforcement_lever[t]
                                                 + self.nuclear_response * tension))
        self.decision = (aid, self.subsidy_rate[t] * room * warmth,
                         self.credit_usd[t] * room * warmth, enforcement, self.debt_relief_usd[t])
        return self.decision


class China(Patron):
    index = 0
    key = "china"

    @classmethod
    def yearly_inputs(cls, values: MemberValues) -> dict:
        # Its customs recorded the pipeline crude grant as exports to the DPRK until 2013.
        return {**super().yearly_inputs(values), "aid_in_customs": values["china.aid_in_customs"]}


class Russia(Patron):
    index = 1
    key = "russia"

    @classmethod
    def yearly_inputs(cls, values: MemberValues) -> dict:
        return {**super().yearly_inputs(values),
                "west": values["sanctions.west_on_russia"] * values["russia.west_break_sensitivity"]}

    @staticmethod
    def fiscal_path(params: dict) -> np.ndarray:
        oil = np.minimum(1.0, params["world.oil_price_usd_per_bbl"]
                         / params["world.oil_reference_usd_per_bbl"])
        rouble = 1.0 - params["world.rouble_fall"]
        return _fiscal_room(np.asarray(oil, dtype=float).tobytes(),
                            np.asarray(rouble, dtype=float).tobytes(),
                            float(params["russia.oil_elasticity"]),
                            float(params["russia.rouble_elasticity"]))

    def geopolitical_value(self, t: int) -> np.ndarray:
        return self.value_usd * (1.0 + self.west[t])


@functools.lru_cache(maxsize=64)
def _fiscal_room(oil: bytes, rouble: bytes, oil_elasticity: float,
                 rouble_elasticity: float) -> np.ndarray:
    """Russia's fiscal room per year from its oil and rouble paths (as bytes of float64 arrays)
    and elasticities, read-only: the same for every run of a sweep whose elasticities are not
    sampled, and its powers, taken one at a time (power_each), were 3% of a sweep's run."""
    room = (power_each(np.frombuffer(oil), oil_elasticity)
            * power_each(np.frombuffer(rouble), rouble_elasticity))
    room.setflags(write=False)
    return room


def patron_leverage(resources_usd: Sequence, alignment, tilt_exposure):
    """How far the dominant patron holds Pyongyang: 0 (two equal sponsors) to 1 + tilt_exposure.

    ``resources_usd`` is what the DPRK draws from each partner in PARTNERS order
    (china, russia, korea, others): trade, plus aid from the two patrons.
    Floats or arrays over replications.

        concentration = (R_dom - R_other) / (R_china + R_russia)   0 with two equal sponsors,
                                                                    1 with one (001)
        exposure      = R_dom / sum of all resources               what a halt of oil, grain and
                                                                    trade would cut (003)
        tilt          = alignment toward the dominant patron, in [-1, 1]
        leverage      = concentration * exposure * (1 + tilt_exposure * tilt)

    Pyongyang wants at least two, preferably rival, sponsors so that neither
    gains undue influence (001); a dominant patron's influence is what it can
    cut off (China could halt grain and oil, 003), and it is stronger the more
    openly Pyongyang leans on it, since it then has nowhere else to turn.
    Third-country and inter-Korean trade dilute exposure (outreach, 004).
    """
    china, russia, korea, others = resources_usd
    patrons = china + russia
    everything = china + russia + korea + others
    counted = (patrons > 0.0) & (everything > 0.0)
    china_leads = china >= russia
    dominant = np.where(china_leads, china, russia)
    other = np.where(china_leads, russia, china)
    toward = np.where(china_leads, -alignment, alignment)
    concentration = (dominant - other) / np.where(counted, patrons, 1.0)
    exposure = dominant / np.where(counted, everything, 1.0)
    leverage = concentration * exposure * np.maximum(0.0, 1.0 + tilt_exposure * toward)
    return np.where(counted, leverage, 0.0)


class DPRK(mesa.Agent):
    """Pyongyang: picks a stance by its strategy and scores the year's payoff.

    Payoff = ln((gains - outreach cost) / $1 bn) - dependence_aversion * leverage,
    where gains are export earnings, aid, credit and the subsidised part of its
    imports, the outreach cost is dprk.outreach_cost_usd times outreach (the
    price of courting third countries, 004), and leverage is the dominant
    patron's hold on it (:func:`patron_leverage`; 001, 003).

    Each replication of the batch follows its own inputs' strategy plan; the
    replications playing a strategy in a year decide in one call to it.
    """

    def __init__(self, model: mesa.Model, members: Sequence[Inputs],
                 rngs: Sequence[np.random.Generator], values: MemberValues | None = None) -> None:
        super().__init__(model)
        values = MemberValues(members) if values is None else values
        self.aversion = values["dprk.dependence_aversion"]
        self.tilt_exposure = values["dprk.dependence_tilt_exposure"]
        self.outreach_cost_usd = values["dprk.outreach_cost_usd"]
        r = len(members)
        plans = [m.strategy for m in members]
        # One instance per strategy for the batch, in plan order; a replication's random
        # stream goes only to the strategies it plays (Adaptive draws when set up).
        self._strategies: dict[str, Strategy] = {}
        for name in dict.fromkeys(name for plan in plans for name in plan):
            plays = [rng if name in plan else None for plan, rng in zip(plans, rngs, strict=True)]
            self._strategies[name] = STRATEGIES[name](values, plays)
        everyone = np.arange(r)
        if all(plan == plans[0] for plan in plans):
            self.groups = [[(self._strategies[name], everyone)] for name in plans[0]]
        else:
            by_year = np.array(plans)  # (replications, years) of names
            self.groups = [[(self._strategies[name], np.flatnonzero(by_year[:, t] == name))
                            for name in dict.fromkeys(by_year[:, t].tolist())]
                           for t in range(by_year.shape[1])]
        self.stance = Stance(np.zeros(r), np.full(r, 0.1), np.ones(r))
        self.payoff: np.ndarray | None = None
        self.leverage = np.zeros(r)
        self.offers = (np.zeros(r), np.zeros(r))

    def choose(self, t: int) -> Stance:
        groups = self.groups[t]
        if len(groups) == 1:
            strategy, members = groups[0]
            a, o, q = strategy.choose(Observation(*self.offers, self.payoff, self.stance), members)
        else:
            a, o, q = (np.empty_like(x) for x in self.stance)
            for strategy, members in groups:
                previous = Stance(*(x[members] for x in self.stance))
                payoff = None if self.payoff is None else self.payoff[members]
                s = strategy.choose(Observation(self.offers[0][members], self.offers[1][members],
                                                payoff, previous), members)
                a[members], o[members], q[members] = s
        self.stance = Stance(np.minimum(1.0, np.maximum(-1.0, a)),
                             np.minimum(1.0, np.maximum(0.0, o)),
                             np.minimum(1.0, np.maximum(0.01, q)))
        return self.stance

    def score(self, gains_usd: np.ndarray, resources_usd: Sequence[np.ndarray],
              offers: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """This year's payoff from gains and resources by partner (china, russia, korea,
        others); ``offers`` is the support each patron gave that reached the DPRK (aid,
        credit and the subsidised part of its imports), seen next year by Pyongyang and by
        the rival patron, which bids against it."""
        net_usd = gains_usd - self.outreach_cost_usd * self.stance.outreach
        self.leverage = patron_leverage(resources_usd, self.stance.alignment, self.tilt_exposure)
        self.payoff = log_each(np.maximum(net_usd, 1e6) / 1e9) - self.aversion * self.leverage
        self.offers = offers
        return self.payoff
