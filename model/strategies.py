"""DPRK hedging strategies, one small class each.

A strategy sets Pyongyang's *stance* for the year from what it observed the
year before:

- ``alignment`` in [-1, 1]: -1 leans wholly to China, +1 wholly to Russia.
  Tilting toward a patron cuts the political risk that patron's firms face
  (privileges such as those granted to Russian firms in June 2014, seed 001)
  and raises the rival patron's fear of losing influence.
- ``outreach`` in [0, 1]: effort spent courting third countries (seed 004).
- ``openness`` in (0, 1]: how far the economy opens to trade at all.

The model runs a batch of replications at once (model.world), so a strategy
decides for several replications in one call: every field of an
:class:`Observation` and of the :class:`Stance` it returns is an array with a
value per replication, and ``members`` says which replications of the batch
they are. A replication's decision never depends on the others in its batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from model.common import log_each
from model.sources import cite


class Stance(NamedTuple):
    """Pyongyang's stance for a year: floats for one replication, arrays for a batch."""

    alignment: float | np.ndarray
    outreach: float | np.ndarray
    openness: float | np.ndarray


class Observation(NamedTuple):
    """What Pyongyang knows when it picks a stance: last year's offers and payoff
    (``None`` in the first year), and last year's stance."""

    support_china_usd: np.ndarray
    support_russia_usd: np.ndarray
    payoff: np.ndarray | None
    previous: Stance


class Strategy:
    """Base class: subclasses set ``name``, ``source`` and :meth:`choose`.

    ``params`` maps registry names to a value per replication of the batch (or
    one value for all); ``rngs`` holds each replication's random stream (None
    for a replication that never plays this strategy), so its length is the
    batch size.
    """

    name: str = ""
    source: str = ""

    def __init__(self, params: Mapping[str, float | np.ndarray],
                 rngs: Sequence[np.random.Generator | None]) -> None:
        self.params = params
        self.rngs = list(rngs)
        self.size = len(self.rngs)

    def param(self, name: str, members: np.ndarray) -> np.ndarray:
        """A parameter's values for ``members`` of the batch."""
        return np.broadcast_to(np.asarray(self.params[name], dtype=float), (self.size,))[members]

    def choose(self, obs: Observation, members: np.ndarray) -> Stance:
        raise NotImplementedError


class FixedStance(Strategy):
    stance = Stance(0.0, 0.0, 1.0)

    def choose(self, obs: Observation, members: np.ndarray) -> Stance:
        k = len(members)
        return Stance(*(np.full(k, v) for v in self.stance))


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

    def choose(self, obs: Observation, members: np.ndarray) -> Stance:
        k = len(members)
        return Stance(np.zeros(k), np.zeros(k), self.param("dprk.self_reliance_openness", members))


class PlayOff(Strategy):
    """Play the patrons off: lean toward the lower bidder so that both keep bidding.

    Kim Il Sung's method from the early 1960s to the late 1980s: Pyongyang got
    aid from Moscow and Beijing alike by never settling in either camp (seeds
    000, 003). The tilt goes toward whichever patron offered less last year, in
    proportion to the gap between the offers, and never beyond
    dprk.playoff_max_tilt, short of capture by either. With no offer at all it
    keeps last year's stance.
    """

    name = "play_off"
    source = cite("000", "003")

    def choose(self, obs: Observation, members: np.ndarray) -> Stance:
        china, russia = obs.support_china_usd, obs.support_russia_usd
        total = china + russia
        offered = total > 0
        max_tilt = self.param("dprk.playoff_max_tilt", members)
        k = self.param("dprk.playoff_responsiveness", members)
        # Positive (toward Russia) when China offers more; -max_tilt..+max_tilt.
        target = max_tilt * (china - russia) / np.where(offered, total, 1.0)
        previous = obs.previous
        a = previous.alignment + k * (target - previous.alignment)
        a = np.minimum(max_tilt, np.maximum(-max_tilt, a))
        return Stance(np.where(offered, a, previous.alignment),
                      np.where(offered, 0.1, previous.outreach),
                      np.where(offered, 1.0, previous.openness))


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

    def __init__(self, params: Mapping[str, float | np.ndarray],
                 rngs: Sequence[np.random.Generator | None]) -> None:
        super().__init__(params, rngs)
        # Each replication learns alone: its own row of weight and total, its baseline, trial
        # order and random stream.
        # Arms in a canonical order (sorted stances): the menu is a set of stances, so
        # neither the learning nor the random draws may depend on how it is listed.
        self.arms: tuple[Stance, ...] = tuple(sorted(set(self.menu)))
        self.arm_values = np.array(self.arms, dtype=float)  # (arms, 3)
        n, r = len(self.arms), self.size
        self.weight = np.zeros((r, n))  # discounted number of plays of each arm
        self.total = np.zeros((r, n))  # discounted sum of its relative payoffs
        # Untried stances are tried in this order: a draw from each replication's stream
        # when the strategy is set up (before anything else the replication draws).
        self.trial_order = np.array([np.arange(n) if rng is None else rng.permutation(n)
                                     for rng in self.rngs], dtype=np.intp).reshape(r, n)
        self.baseline = np.zeros(r)
        self.has_baseline = np.zeros(r, dtype=bool)
        self.last = np.full(r, -1, dtype=np.intp)  # the arm played last year; -1: none

    def estimates(self, member: int = 0) -> dict[Stance, float]:
        """Discounted mean relative payoff of each stance a replication tried so far."""
        w, s = self.weight[member], self.total[member]
        return {arm: float(s[i] / w[i]) for i, arm in enumerate(self.arms) if w[i] > 0}

    def _learn(self, members: np.ndarray, last: np.ndarray, payoff: np.ndarray) -> None:
        """Credit last year's payoff, less the baseline, to the stance played last year."""
        base = np.where(self.has_baseline[members], self.baseline[members], payoff)
        relative = payoff - base
        base = base + self.param("dprk.adaptive_baseline_rate", members) * (payoff - base)
        self.baseline[members] = base
        self.has_baseline[members] = True
        played = last >= 0
        if not played.any():
            return
        rows = members[played]
        discount = self.param("dprk.adaptive_discount", rows)[:, None]
        weight = self.weight[rows] * discount
        total = self.total[rows] * discount
        at = (np.arange(len(rows)), last[played])
        weight[at] += 1.0
        total[at] += relative[played]
        self.weight[rows] = weight
        self.total[rows] = total

    def choose(self, obs: Observation, members: np.ndarray) -> Stance:
        # Credit the payoff only if last year's stance was this strategy's (a scenario can
        # switch strategies by year; another strategy's payoff only moves the baseline).
        last = self.last[members]
        previous = np.stack(obs.previous, axis=1)
        other = (last >= 0) & (previous != self.arm_values[last]).any(axis=1)
        last = np.where(other, -1, last)
        if obs.payoff is not None:
            self._learn(members, last, obs.payoff)
        weight = self.weight[members]
        order = self.trial_order[members]
        untried = np.take_along_axis(weight, order, axis=1) == 0.0
        trying = untried.any(axis=1)
        rows = np.arange(len(members))
        choice = order[rows, untried.argmax(axis=1)]
        settled = np.flatnonzero(~trying)
        if settled.size:
            w = weight[settled]
            mean = self.total[members[settled]] / w
            exploration = self.param("dprk.adaptive_exploration", members[settled])[:, None]
            bonus = exploration * np.sqrt(log_each(1.0 + w.sum(axis=1))[:, None] / w)
            index = mean + bonus
            best = index >= index.max(axis=1)[:, None] - 1e-12
            picked = best.argmax(axis=1)
            for j in np.flatnonzero(best.sum(axis=1) > 1):  # a tie: broken at random
                rng = self.rngs[members[settled[j]]]
                picked[j] = int(rng.choice(np.flatnonzero(best[j])))
            choice[settled] = picked
        self.last[members] = choice
        arm = self.arm_values[choice]
        return Stance(arm[:, 0], arm[:, 1], arm[:, 2])


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (BandwagonChina, PivotRussia, Equidistance, PlayOff, Diversify, SelfReliance,
                Adaptive)
}
