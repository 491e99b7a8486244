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
"""

from __future__ import annotations

import numpy as np

from model.params import PATRONS, SECTORS

N_SECTORS = len(SECTORS)
N_GROUPS = len(PATRONS) * N_SECTORS
# Scalars of the yearly firm arithmetic as 0-d float64 arrays: the same values as Python
# floats, but NumPy need not convert them on every call (decide runs once a year per run).
_ZERO, _ONE = np.array(0.0), np.array(1.0)
_ZERO.setflags(write=False)
_ONE.setflags(write=False)
# The year-end tallies work through years in blocks of about this many firm-years, so
# their temporaries stay in cache with 10,000s of firms (one block at the default 300).
_TALLY_BLOCK = 32_768


class FirmPopulation:
    """Firm attributes as columns; :meth:`decide` computes every firm's volume at once."""

    def __init__(self, inputs, rng: np.random.Generator) -> None:
        params = inputs.params
        # Who is who (country, sector, cohort) is fixed by the inputs: see layout().
        self.__dict__.update(inputs.derived(FirmPopulation, FirmPopulation.layout))
        n = self.n
        size = rng.lognormal(0.0, params["firms.size_sigma"], n)
        group_size = np.bincount(self.group, weights=size, minlength=N_GROUPS)
        self.weight = size / group_size[self.group]
        self.risk_aversion = 1.0 - rng.beta(
            params["firms.risk_tolerance_a"], params["firms.risk_tolerance_b"], n
        )
        rank = np.empty(n, dtype=np.int64)  # each firm's size rank: the inverse of argsort
        rank[np.argsort(size)] = np.arange(n)
        # Secondary sanctions bite on size (big firms and their banks are named first) and
        # on the home country's exposure to dollar finance (firms.{country}_dollar_exposure).
        dollar = np.array([params[f"firms.{c}_dollar_exposure"] for c in PATRONS])
        self.exposure = rank / max(n - 1, 1) * dollar[self.country]
        # Idiosyncratic margin shocks, one per firm and year, drawn up front. They
        # persist (AR(1) with coefficient rho, same long-run spread), so a firm's
        # fortunes drift rather than flip from one year to the next.
        n_years = len(inputs.years)
        noise = rng.normal(0.0, params["firms.margin_noise"], (n_years, n))
        rho = float(params["firms.noise_persistence"])
        if rho > 0.0:
            fresh = (1.0 - rho * rho) ** 0.5
            noise[1:] *= fresh
            for t in range(1, n_years):
                noise[t] += rho * noise[t - 1]
        self.noise = noise
        self.bonus = np.zeros(n)
        self.intensity = np.zeros(n)
        # Every year's wanted volumes, who traded, the cohorts' fills and the subsidy rates:
        # the accounts (subsidy_received, active_counts) tally them for all years at once.
        self.volumes = np.zeros((n_years, n))
        self.actives = np.zeros((n_years, n), dtype=bool)
        self.fills: list[list[float]] = []
        self.rates: list[tuple[float, float]] = []

    @staticmethod
    def layout(inputs) -> dict:
        """Firm count, each firm's country, sector and cohort, and the behavioural constants:
        all fixed by the inputs (no draws), so runs of the same inputs share them."""
        params = inputs.params
        n = int(params["firms.count"])
        n_russia = int(round(n * params["firms.russia_share"]))
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
        cohort_index = group + np.arange(0, 3 * N_GROUPS, N_GROUPS)[:, None]
        for shared in (country, sector, group, cohort_index):
            shared.setflags(write=False)
        return {
            "n": n,
            "n_china": n - n_russia,  # China's firms come first
            "country": country,
            "sector": sector,
            "group": group,
            # Where each firm's margin, risk and potential sit in decide()'s 3 x 16 cohort values.
            "_cohort_index": cohort_index,
            "_cohort_slices": cohort_slices,
            "_inv_saturation": np.array(1.0 / params["firms.margin_saturation"]),
            "_incumbency": np.array(params["firms.incumbency_bonus"]),
            "_ramp": float(params["firms.ramp_up"]),
            "_secondary_penalty": params["firms.secondary_penalty"],
        }

    def decide(self, t: int, margin: list[float], risk: list[float], secondary: float,
               potential: list[float]) -> list[float]:
        """Volumes firms want in year index ``t`` (USD), summed by (country, sector) cohort.

        ``margin``, ``risk`` and ``potential`` are per cohort (16 values: China's
        eight sectors, then Russia's). Remembers who traded for next year's bonus.
        """
        # Each firm reads its cohort's margin, risk and potential: one array, one gather.
        cohort = np.array(margin + risk + potential).take(self._cohort_index)
        m = cohort[1] * self.risk_aversion
        np.subtract(cohort[0], m, out=m)
        m += self.noise[t]
        if secondary:
            m -= (secondary * self._secondary_penalty) * self.exposure
        if self._incumbency:
            m += self.bonus
        m *= self._inv_saturation
        np.maximum(m, _ZERO, out=m)
        np.minimum(m, _ONE, out=m)
        if t > 0 and self._ramp < 1.0:
            # A firm grows its DPRK business by at most `ramp` of its potential a
            # year (contacts, logistics, contracts); it can cut at once.
            np.minimum(m, self.intensity + self._ramp, out=m)
        self.intensity = m
        volume = np.multiply(cohort[2], self.weight, out=self.volumes[t])
        volume *= m
        active = np.greater(volume, _ZERO, out=self.actives[t])
        self.bonus = active * self._incumbency
        return np.bincount(self.group, weights=volume, minlength=N_GROUPS).tolist()

    def settle(self, fill: list[float], rate_china: float, rate_russia: float) -> None:
        """Record the year's rationing (the share of its wanted volume each cohort traded)
        and each state's subsidy rate, for :meth:`subsidy_received`."""
        self.fills.append(fill)
        self.rates.append((rate_china, rate_russia))

    def subsidy_received(self) -> np.ndarray:
        """What firms were paid in subsidies, per settled year: each firm's traded volume
        (wanted volume x its cohort's fill) times its state's rate.

        All years at once; row by row these are the same sums, in the same order, as
        summing each year on its own.
        """
        years = len(self.fills)
        fills = np.array(self.fills).reshape(years, N_GROUPS)
        rates = np.array(self.rates).reshape(years, 2)
        n_china = self.n_china
        china, russia = np.empty(years), np.empty(years)
        for block in self._year_blocks(years):
            traded = fills[block].take(self.group, axis=1)
            traded *= self.volumes[block]  # each firm's cohort fill x its wanted volume
            china[block] = traded[:, :n_china].sum(axis=1)
            russia[block] = traded[:, n_china:].sum(axis=1)
        return china * rates[:, 0] + russia * rates[:, 1]

    def active_counts(self) -> np.ndarray:
        """Firms that traded, per settled year and (country, sector) cohort: (years, 16)."""
        actives = self.actives[:len(self.fills)]
        return np.stack([np.add.reduce(actives[:, firms], axis=1, dtype=np.intp)
                         for firms in self._cohort_slices], axis=1)

    def _year_blocks(self, years: int) -> list[slice]:
        step = max(1, _TALLY_BLOCK // max(self.n, 1))
        return [slice(start, min(start + step, years)) for start in range(0, years, step)]
