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
    """Play the patrons off: tilt toward whichever offered more support last year.

    Kim Il Sung's method from the 1960s to the late 1980s (seeds 000, 003); with
    one patron paying, it drifts into that patron's arms.
    """

    name = "play_off"
    source = cite("000", "003")

    def choose(self, obs: Observation) -> Stance:
        total = obs.support_china_usd + obs.support_russia_usd
        if total <= 0:
            return obs.previous
        target = (obs.support_russia_usd - obs.support_china_usd) / total
        k = self.params["dprk.playoff_responsiveness"]
        a = obs.previous.alignment + k * (target - obs.previous.alignment)
        return Stance(a, 0.1, 1.0)


class Adaptive(Strategy):
    """Learn from its own payoffs which stance pays (softmax choice, running averages).

    Keeps an estimate of the payoff of each fixed stance, tries them in
    proportion to exp(estimate / temperature) and updates the one it played.
    Argued as Pyongyang's trial of partners in 2014-15 (seeds 001, 004).
    """

    name = "adaptive"
    source = cite("001", "004")
    menu = (BandwagonChina.stance, PivotRussia.stance, Equidistance.stance, Diversify.stance)

    def __init__(self, params: dict, rng: np.random.Generator) -> None:
        super().__init__(params, rng)
        self.estimates = np.zeros(len(self.menu))
        self.tried = np.zeros(len(self.menu), dtype=bool)
        self.last: int | None = None

    def choose(self, obs: Observation) -> Stance:
        if self.last is not None and obs.payoff is not None:
            if self.tried[self.last]:
                lr = self.params["dprk.adaptive_learning_rate"]
                self.estimates[self.last] += lr * (obs.payoff - self.estimates[self.last])
            else:
                self.estimates[self.last] = obs.payoff
                self.tried[self.last] = True
        untried = np.flatnonzero(~self.tried)
        if untried.size:
            k = int(untried[0])
        else:
            z = self.estimates / self.params["dprk.adaptive_temperature"]
            w = np.exp(z - z.max())
            k = int(self.rng.choice(len(self.menu), p=w / w.sum()))
        self.last = k
        return self.menu[k]


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (BandwagonChina, PivotRussia, Equidistance, PlayOff, Diversify, SelfReliance,
                Adaptive)
}
