"""DPRK hedging strategies, one small class each.

A strategy sets Pyongyang's *stance* for the year from what it observed the
year before:

- ``alignment`` in [-1, 1]: -1 leans wholly to China, +1 wholly to Russia.
  Tilting toward a patron cuts the political risk that patron's firms face
  (privileges such as those granted to Russian firms in June 2014, seed 001)
  and raises the rival patron's fear of losing influence.
- ``outreach`` in [0, 1]: effort spent courting third countries (seed 004).
- ``openness`` in (0, 1]: how far the economy opens to trade at all.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model.sources import cite


class Stance(NamedTuple):
    """Pyongyang's stance for a year (immutable; a NamedTuple as strategies build one yearly)."""

    alignment: float
    outreach: float
    openness: float


class Observation(NamedTuple):
    """What Pyongyang knows when it picks a stance: last year's offers and payoff.

    Immutable; a NamedTuple as one is built every simulated year.
    """

    support_china_usd: float
    support_russia_usd: float
    payoff: float | None
    previous: Stance


class Strategy:
    """Base class: subclasses set ``name``, ``source`` and :meth:`choose`."""

    name: str = ""
    source: str = ""

    def __init__(self, params: dict, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng

    def choose(self, obs: Observation) -> Stance:
        raise NotImplementedError


class FixedStance(Strategy):
    stance = Stance(0.0, 0.0, 1.0)

    def choose(self, obs: Observation) -> Stance:
        return self.stance


class BandwagonChina(FixedStance):
    """Lean on China: accept dependence for Beijing's aid and trade (the post-2000 drift)."""

    name = "bandwagon_china"
    source = cite("001", "003")
    stance = Stance(-0.8, 0.1, 1.0)


class PivotRussia(FixedStance):
    """Pivot to Russia: court Moscow as the alternative sponsor, as in 2014-15."""

    name = "pivot_russia"
    source = cite("000", "002", "004")
    stance = Stance(0.8, 0.1, 1.0)


class Equidistance(FixedStance):
    """Keep equal distance from both, as Kim Il Sung did in the 1970s."""

    name = "equidistance"
    source = cite("003")
    stance = Stance(0.0, 0.1, 1.0)


class Diversify(FixedStance):
    """Court third countries (18 foreign-minister visits in a year) while staying neutral."""

    name = "diversify"
    source = cite("004")
    stance = Stance(0.0, 0.9, 1.0)


class SelfReliance(Strategy):
    """Juche: trade less with everyone, lean on no one."""

    name = "self_reliance"
    source = cite("004")

    def choose(self, obs: Observation) -> Stance:
        return Stance(0.0, 0.0, self.params["dprk.self_reliance_openness"])


class PlayOff(Strategy):
    """Play the patrons off: lean toward the lower bidder so that both keep bidding.

    Kim Il Sung's method from the early 1960s to the late 1980s: Pyongyang got
    aid from Moscow and Beijing alike by never settling in either camp (seeds
    000, 003). The tilt goes toward whichever patron offered less last year, in
    proportion to the gap between the offers, and never beyond
    dprk.playoff_max_tilt, short of capture by either.
    """

    name = "play_off"
    source = cite("000", "003")

    def choose(self, obs: Observation) -> Stance:
        total = obs.support_china_usd + obs.support_russia_usd
        if total <= 0:
            return obs.previous
        max_tilt = self.params["dprk.playoff_max_tilt"]
        # Positive (toward Russia) when China offers more; -max_tilt..+max_tilt.
        target = max_tilt * (obs.support_china_usd - obs.support_russia_usd) / total
        k = self.params["dprk.playoff_responsiveness"]
        a = obs.previous.alignment + k * (target - obs.previous.alignment)
        return Stance(min(max_tilt, max(-max_tilt, a)), 0.1, 1.0)


class Adaptive(Strategy):
    """Learn which stance pays, against its own recent record (a discounted bandit).

    Scores each year's payoff against a running baseline of its own recent
    payoffs, so trade growth does not favour stances tried later; keeps
    discounted averages so old evidence fades and a stance not played for
    years is tried again; picks by upper confidence bound, ties and first
    trials in random order, so the menu's order does not matter. Argued as
    Pyongyang's trial of partners in 2014-15 (seeds 001, 004).
    """

    name = "adaptive"
    source = cite("001", "004")
    menu = (BandwagonChina.stance, PivotRussia.stance, Equidistance.stance, Diversify.stance)

    def __init__(self, params: dict, rng: np.random.Generator) -> None:
        super().__init__(params, rng)
        # Arms in a canonical order (sorted stances): the menu is a set of stances, so
        # neither the learning nor the random draws may depend on how it is listed.
        self.arms: tuple[Stance, ...] = tuple(sorted(set(self.menu)))
        n = len(self.arms)
        self.weight = np.zeros(n)  # discounted number of plays of each arm
        self.total = np.zeros(n)  # discounted sum of its relative payoffs
        self.trial_order = rng.permutation(n)  # untried stances are tried in this order
        self.baseline: float | None = None
        self.last: Stance | None = None

    def estimates(self) -> dict[Stance, float]:
        """Discounted mean relative payoff of each stance tried so far."""
        return {arm: float(self.total[i] / self.weight[i])
                for i, arm in enumerate(self.arms) if self.weight[i] > 0}

    def _learn(self, payoff: float) -> None:
        """Credit last year's payoff, less the baseline, to the stance played last year."""
        if self.baseline is None:
            self.baseline = payoff
        relative = payoff - self.baseline
        self.baseline += self.params["dprk.adaptive_baseline_rate"] * (payoff - self.baseline)
        if self.last is None:
            return
        discount = self.params["dprk.adaptive_discount"]
        self.weight *= discount
        self.total *= discount
        i = self.arms.index(self.last)
        self.weight[i] += 1.0
        self.total[i] += relative

    def choose(self, obs: Observation) -> Stance:
        # Credit the payoff only if last year's stance was this strategy's (a scenario can
        # switch strategies by year; another strategy's payoff only moves the baseline).
        if self.last is not None and obs.previous != self.last:
            self.last = None
        if obs.payoff is not None:
            self._learn(obs.payoff)
        untried = [i for i in self.trial_order if self.weight[i] == 0]
        if untried:
            self.last = self.arms[untried[0]]
            return self.last
        mean = self.total / self.weight
        bonus = self.params["dprk.adaptive_exploration"] * np.sqrt(
            np.log(1.0 + self.weight.sum()) / self.weight)
        index = mean + bonus
        best = np.flatnonzero(index >= index.max() - 1e-12)
        k = int(best[0]) if best.size == 1 else int(self.rng.choice(best))
        self.last = self.arms[k]
        return self.last


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (BandwagonChina, PivotRussia, Equidistance, PlayOff, Diversify, SelfReliance,
                Adaptive)
}
