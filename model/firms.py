"""The Chinese and Russian firm population, held as arrays and decided all at once.

Each firm is a cohort of real traders in one sector of one home country, with
a size and a tolerance for political risk. Every year each firm weighs its
margin on DPRK business,

    margin = base[country, sector]          home demand x complementarity (000, 002)
             - transport[country] + project savings
             - political_risk[country] * (1 - risk_tolerance)       (000, 002)
             - secondary_sanctions * penalty * exposure(size, dollar finance)
             + state subsidy rate + preference effect               (001)
             + incumbency bonus if it traded last year + persistent noise,

and deploys ``clip(margin / saturation, 0, 1)`` of its potential volume, raising
that share by at most ``firms.ramp_up`` a year (cuts act at once). Its
potential is its size share of what its home market could take from (or sell
to) the DPRK, so aggregate trade does not depend on the number of firms; the
DPRK's capacity and purse then ration what firms want. Bilateral totals
emerge from these decisions; nothing sets them directly.

The model runs a batch of replications at once (model.world): every firm
array has a row per replication, (replications, firms), and a replication's
firms are drawn from its own random stream, so a run's firms do not depend on
which batch it ran in.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from model.common import power_each
from model.params import PATRONS, SECTORS
from model.scenario import Inputs, MemberValues

N_SECTORS = len(SECTORS)
N_GROUPS = len(PATRONS) * N_SECTORS
# Scalars of the yearly firm arithmetic as 0-d float64 arrays: the same values as Python
# floats, but NumPy need not convert them on every call (decide runs once a year per run).
_ZERO, _ONE = np.array(0.0), np.array(1.0)
_ZERO.setflags(write=False)
_ONE.setflags(write=False)


class FirmPopulation:
    """Firm attributes as (replications, firms) arrays; :meth:`decide` computes every
    firm's volume in every replication at once.

    The replications of a batch share the firm count (:func:`model.world.batch_key` groups
    runs so that they do); how many of the firms are Russian may differ between them (a
    design that samples ``firms.russia_share``), and then ``country``, ``sector`` and
    ``group`` are (replications, firms) arrays, not (firms,) ones.
    """

    def __init__(self, members: Sequence[Inputs], rngs: Sequence[np.random.Generator],
                 values: MemberValues | None = None) -> None:
        # Who is who (country, sector, cohort) is fixed by the inputs: see layout().
        layouts = [m.derived(FirmPopulation, FirmPopulation.layout) for m in members]
        self.__dict__.update(layouts[0])
        n, r = self.n, len(members)
        values = MemberValues(members) if values is None else values
        # One layout for the batch (one run, a scenario's replications), or each replication
        # its own count of Chinese firms (China's firms come first in each).
        self._mixed = len({layout["n_china"] for layout in layouts}) > 1
        if self._mixed:
            for name in ("country", "sector", "group"):
                self.__dict__[name] = np.stack([layout[name] for layout in layouts])
        groups = np.broadcast_to(self.group, (r, n))  # each replication's firms' cohorts
        # Bins of decide()'s sums: a (replication, cohort) pair for each firm.
        self._bins = (groups + np.arange(0, N_GROUPS * r, N_GROUPS)[:, None]).ravel()
        n_years = len(members[0].years)
        size = np.empty((r, n))
        self.risk_aversion = np.empty((r, n))
        # Standard normals of the margin shocks, (replications, years, firms): a replication's
        # block is contiguous, so they are drawn straight into it. decide() turns year t's
        # into its shocks (see _shocks).
        noise = np.empty((r, n_years, n))
        scale = np.empty((r, 1))
        # Each replication draws from its own stream, in the order a run alone draws.
        for i, (inputs, rng) in enumerate(zip(members, rngs, strict=True)):
            params = inputs.params
            size[i] = rng.lognormal(0.0, params["firms.size_sigma"], n)
            self.risk_aversion[i] = 1.0 - rng.beta(
                params["firms.risk_tolerance_a"], params["firms.risk_tolerance_b"], n)
            rng.standard_normal(out=noise[i])
            scale[i] = params["firms.margin_noise"]
        bad = (np.signbit(scale) & (scale != 0.0)) | ~np.isfinite(scale)
        if bad.any():
            # (normal() refused a negative spread; an infinite one gave a run alone infinite
            # shocks but NaN batched beside a persistent member, 0 x inf; the scenario checks
            # catch both in files)
            raise ValueError("firms.margin_noise must be a finite number, 0 or more, got "
                             f"{scale[bad].ravel()[0]}")
        group_size = np.bincount(self._bins, weights=size.ravel(), minlength=N_GROUPS * r)
        self.weight = size / group_size[self._bins].reshape(r, n)
        rank = np.argsort(np.argsort(size, axis=1, kind="quicksort"), axis=1)
        # Secondary sanctions bite on size (big firms and their banks are named first) and
        # on the home country's exposure to dollar finance (firms.{country}_dollar_exposure).
        dollar = np.stack([values[f"firms.{c}_dollar_exposure"] for c in PATRONS])  # (2, r)
        self.exposure = rank / max(n - 1, 1) * np.take_along_axis(
            dollar.T, np.broadcast_to(self.country, (r, n)), axis=1)
        # Idiosyncratic margin shocks, one per firm and year. They persist (AR(1) with
        # coefficient rho, same long-run spread), so a firm's fortunes drift rather than flip
        # from one year to the next.
        rho = values["firms.noise_persistence"]
        self.noise = noise
        self._scale = scale
        self._persistent = bool((rho > 0.0).any())
        if self._persistent:
            self._persist = np.where(rho > 0.0, rho, 0.0)[:, None]
            self._fresh = np.where(rho > 0.0, power_each(1.0 - rho * rho, 0.5), 1.0)[:, None]
        self._shock: np.ndarray | None = None  # last year's shocks
        self._next = 0  # the year index decide() must be asked for next
        self.bonus = np.zeros((r, n))
        self.intensity = np.zeros((r, n))
        self._inv_saturation = (1.0 / values["firms.margin_saturation"])[:, None]
        self._incumbency = values["firms.incumbency_bonus"][:, None]
        self._ramp = values["firms.ramp_up"][:, None]
        self._secondary_penalty = values["firms.secondary_penalty"]
        self._any_incumbency = bool((self._incumbency != 0.0).any())
        self._any_ramp = bool((self._ramp < 1.0).any())
        # This year's wanted volumes; who traded in every year (for active_counts).
        self.volume = np.empty((r, n))
        self.actives = np.zeros((n_years, r, n), dtype=bool)

    @staticmethod
    def layout(inputs: Inputs) -> dict:
        """Firm count, each firm's country, sector and cohort: fixed by the inputs (no
        draws), so runs of the same inputs share them."""
        params = inputs.params
        n = int(params["firms.count"])
        n_russia = int(round(n * params["firms.russia_share"]))
        return (_shared_layout if n <= SHARED_LAYOUT_FIRMS else _layout)(n, n_russia)

    def decide(self, t: int, margin: np.ndarray, risk: np.ndarray, secondary: np.ndarray,
               potential: np.ndarray) -> np.ndarray:
        """Volumes firms want in year index ``t`` (USD), summed by (country, sector) cohort.

        ``margin``, ``risk`` and ``potential`` are (16, replications): China's eight
        sectors, then Russia's; ``secondary`` is each replication's secondary sanctions.
        Returns (16, replications). Remembers who traded for next year's bonus.
        """
        # Each firm reads its cohort's margin, risk and potential (a gather per table).
        m = self._per_firm(risk)
        m *= self.risk_aversion
        np.subtract(self._per_firm(margin), m, out=m)
        m += self._shocks(t)
        if secondary.any():
            m -= (secondary * self._secondary_penalty)[:, None] * self.exposure
        if self._any_incumbency:
            m += self.bonus
        m *= self._inv_saturation
        np.clip(m, _ZERO, _ONE, out=m)
        if t > 0 and self._any_ramp:
            # A firm grows its DPRK business by at most `ramp` of its potential a
            # year (contacts, logistics, contracts); it can cut at once. (With a ramp of
            # 1 or more the bound never binds: intensity + ramp >= 1 >= m.)
            # (last year's intensity is not needed again: its array takes the bound)
            np.minimum(m, np.add(self.intensity, self._ramp, out=self.intensity), out=m)
        self.intensity = m
        volume = np.multiply(self._per_firm(potential), self.weight, out=self.volume)
        volume *= m
        active = np.greater(volume, _ZERO, out=self.actives[t])
        if self._any_incumbency:
            np.multiply(active, self._incumbency, out=self.bonus)
        wanted = np.bincount(self._bins, weights=volume.ravel(), minlength=N_GROUPS * len(m))
        return wanted.reshape(len(m), N_GROUPS).T

    def _per_firm(self, table: np.ndarray) -> np.ndarray:
        """A (16, replications) cohort table as each firm's value, (replications, firms): a new
        C-ordered array. (Fancy indexing, ``table.T[:, group]``, is faster but gives a
        Fortran-ordered one, whose sums over firms add in another order, in the last bit.)
        Where the replications' layouts differ, each firm reads its own row's cohort."""
        if self.group.ndim == 1:
            return table.T.take(self.group, axis=1)
        return np.ascontiguousarray(table.T).take(self._bins).reshape(self.volume.shape)

    def _shocks(self, t: int) -> np.ndarray:
        """Year index ``t``'s margin shocks, (replications, firms): the standard normals times
        each replication's spread, carrying ``rho`` of last year's shocks with persistence.
        Made as the years come (decide runs every year in order), not all up front: three
        passes over a batch's 29 MB of normals cost 0.045 ms a run, more than these."""
        if t != self._next:
            # a year skipped or repeated would carry the wrong year's shocks (twice, repeated)
            raise ValueError(f"the firms decide year index {self._next} next, not {t}: "
                             "decide() runs once a year, in order")
        self._next = t + 1
        shock = self.noise[:, t] * self._scale
        if self._persistent and t > 0:
            shock *= self._fresh
            prev = self._shock  # last year's, not needed again: it takes its carried part
            shock += np.multiply(prev, self._persist, out=prev)
        self._shock = shock
        return shock

    def active_counts(self, years: int) -> np.ndarray:
        """Firms that traded in each of the first ``years`` years, per replication and
        (country, sector) cohort: (years, replications, 16)."""
        actives = self.actives[:years]
        if self._mixed:
            # each replication's own cohorts, counted in decide()'s bins a year at a time
            # (counting each share of Russian firms apart took twice as long)
            r = actives.shape[1]
            counts = np.empty((years, r * N_GROUPS))
            for t in range(years):
                counts[t] = np.bincount(self._bins, weights=actives[t].ravel(),
                                        minlength=r * N_GROUPS)
            return counts.reshape(years, r, N_GROUPS).astype(np.intp)
        if self.n <= 3000:  # (with more firms, sums over every 8th firm are faster)
            return self._counted_in_runs(actives)
        return np.stack([np.add.reduce(actives[..., firms], axis=-1, dtype=np.intp)
                         for firms in self._cohort_slices], axis=-1)

    def _counted_in_runs(self, actives: np.ndarray) -> np.ndarray:
        """:meth:`active_counts` where the batch has one layout: a country's firms cycle
        through the sectors, so its active flags are added a run of 8 firms at a time (half
        the time of a sum per cohort over every 8th firm, with 300 firms; at 3,000 firms
        0.6 of it, at 5,000 three times it)."""
        counts = np.empty((*actives.shape[:2], N_GROUPS), dtype=np.intp)
        flags = actives.view(np.uint8)
        for country, (lo, hi) in enumerate(((0, self.n_china), (self.n_china, self.n))):
            total = np.zeros((*actives.shape[:2], N_SECTORS), dtype=np.int32)
            for start in range(lo, hi, N_SECTORS):
                run = flags[..., start:min(start + N_SECTORS, hi)]
                total[..., :run.shape[-1]] += run
            counts[..., country * N_SECTORS:(country + 1) * N_SECTORS] = total
        return counts


def _layout(n: int, n_russia: int) -> dict:
    """:meth:`FirmPopulation.layout` of ``n`` firms, ``n_russia`` of them Russian."""
    country = np.repeat(np.arange(2, dtype=np.int64), [n - n_russia, n_russia])
    # Stratify sectors so every (country, sector) cohort exists.
    sector = np.concatenate(
        [np.arange(n - n_russia) % N_SECTORS, np.arange(n_russia) % N_SECTORS]
    ).astype(np.int64)
    group = country * N_SECTORS + sector
    # The same cohorts as slices of the firm axis: a country's firms are a block and
    # its sectors cycle within the block (empty slices for cohorts with no firm).
    cohort_slices = [slice(start + s, start + size, N_SECTORS)
                     for start, size in ((0, n - n_russia), (n - n_russia, n_russia))
                     for s in range(N_SECTORS)]
    for shared in (country, sector, group):
        shared.setflags(write=False)
    return {
        "n": n,
        "n_china": n - n_russia,  # China's firms come first
        "country": country,
        "sector": sector,
        "group": group,
        "_cohort_slices": cohort_slices,
    }


#: Layouts of up to this many firms are kept for the next run of the same layout (a sweep's
#: worker compiles new inputs for each run, and building the layout again took 3% of a
#: baseline run); at most 64 of them, 15 MB at this size.
SHARED_LAYOUT_FIRMS = 10_000
_shared_layout = functools.lru_cache(maxsize=64)(_layout)
