"""The Chinese and Russian firm population, held as arrays and decided all at once.

Each firm is a cohort of real traders in one sector of one home country, with
a size and a tolerance for political risk. Every year each firm weighs its
margin on DPRK business,

    margin = base[country, sector]          home demand x complementarity (000, 002)
             - transport[country] + project savings
             - political_risk[country] * (1 - risk_tolerance)       (000, 002)
             - secondary_sanctions * penalty * exposure(size)
             + state subsidy rate + preference effect               (001)
             + incumbency bonus if it traded last year + noise,

and deploys ``clip(margin / saturation, 0, 1)`` of its potential volume. Its
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


class FirmPopulation:
    """Firm attributes as columns; :meth:`decide` computes every firm's volume at once."""

    def __init__(self, params: dict, rng: np.random.Generator) -> None:
        n = int(params["firms.count"])
        n_russia = int(round(n * params["firms.russia_share"]))
        self.country = np.repeat(np.arange(2, dtype=np.int64), [n - n_russia, n_russia])
        # Stratify sectors so every (country, sector) cohort exists.
        self.sector = np.concatenate(
            [np.arange(n - n_russia) % N_SECTORS, np.arange(n_russia) % N_SECTORS]
        ).astype(np.int64)
        self.group = self.country * N_SECTORS + self.sector
        size = rng.lognormal(0.0, params["firms.size_sigma"], n)
        group_size = np.bincount(self.group, weights=size, minlength=N_GROUPS)
        self.weight = size / group_size[self.group]
        self.risk_aversion = 1.0 - rng.beta(
            params["firms.risk_tolerance_a"], params["firms.risk_tolerance_b"], n
        )
        rank = np.argsort(np.argsort(size))
        self.exposure = rank / max(n - 1, 1)
        self.active = np.zeros(n, dtype=bool)
        self.n = n
        self._noise_sd = params["firms.margin_noise"]
        self._inv_saturation = 1.0 / params["firms.margin_saturation"]
        self._incumbency = params["firms.incumbency_bonus"]
        self._secondary_penalty = params["firms.secondary_penalty"]
        self.volume = np.zeros(n)

    def decide(
        self,
        group_margin: np.ndarray,
        risk: np.ndarray,
        secondary: float,
        potential: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Volumes firms want this year (USD), summed by (country, sector) cohort.

        ``group_margin`` and ``potential`` are per cohort (length 16), ``risk``
        per country (length 2). Sets ``self.active`` for next year's bonus.
        """
        margin = group_margin[self.group] - risk[self.country] * self.risk_aversion
        if secondary:
            margin -= (secondary * self._secondary_penalty) * self.exposure
        margin += self._incumbency * self.active
        if self._noise_sd:
            margin += rng.normal(0.0, self._noise_sd, self.n)
        intensity = np.clip(margin * self._inv_saturation, 0.0, 1.0)
        volume = potential[self.group] * self.weight * intensity
        self.active = volume > 0.0
        self.volume = volume
        return np.bincount(self.group, weights=volume, minlength=N_GROUPS)

    def realised(self, fill: np.ndarray) -> np.ndarray:
        """Each firm's traded volume once cohorts are rationed by ``fill`` (length 16)."""
        return self.volume * fill[self.group]

    def active_counts(self) -> np.ndarray:
        return np.bincount(self.group[self.active], minlength=N_GROUPS)
