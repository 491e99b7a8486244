"""Infrastructure projects: Rajin-Khasan rail and Rason terminal, Pobeda, the gas
pipeline and the Tumen road bridge.

Sources argue that political risk deters large, slow projects (trans-Korean
rail, the gas pipeline, Pobeda) while small quick-return ones (Rason coal
transit) can work (seeds 000, 001, 002). The rule here: from its proposal
year a project starts when its sponsor's state commits (a lever), or when the
private part of its cost earns the hurdle rate after political risk,

    benefit / (capex * (1 - state_support)) * (1 - risk) ** build_years >= required_return,

so the longer the build, the more the risk bites. A project with a
``committed_year`` starts that year whatever its returns (history, or a
scenario's political decision). The state pays its share of
capex during construction; once running, the project cuts its sponsor's
firms' transport cost in the sectors it serves and pays the DPRK transit fees.

The model runs a batch of replications at once (model.world): a project's
settings, status and progress are arrays with a value per replication, and
each replication's project follows the rule above alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.common import power_each
from model.params import PATRONS, PROJECT_SECTORS, PROJECT_SPONSOR, PROJECTS, SECTORS
from model.scenario import Inputs, MemberValues

NOT_PROPOSED, STALLED, BUILDING, OPERATING = 0, 1, 2, 3
STATUS_NAMES = {NOT_PROPOSED: "not proposed", STALLED: "proposed, not financed",
                BUILDING: "building", OPERATING: "operating"}


class Project:
    """One project across the batch's replications (settings and state per replication)."""

    def __init__(self, spec: dict) -> None:
        self.__dict__.update(spec)  # name, sponsor, sectors, capex, ... (see settings)
        self.status = np.full(self.capex.shape, NOT_PROPOSED, dtype=np.int64)
        self.progress = np.zeros(self.capex.shape)
        self.first_year = int(self.proposed.min())  # before it, nothing to do anywhere
        self.finished = False  # operating in every replication

    @staticmethod
    def settings(name: str, values: MemberValues) -> dict:
        """The project's settings for a batch, a value per replication, from its members'
        registry values."""
        pre = f"projects.{name}."
        return {
            "capex": values[pre + "capex_usd"],
            "build_years": np.maximum(1, values[pre + "build_years"].astype(np.int64)),
            "proposed": values[pre + "proposed_year"].astype(np.int64),
            "committed": values[pre + "committed_year"].astype(np.int64),
            "benefit": values[pre + "benefit_usd"],
            "income": values[pre + "dprk_income_usd"],
            "saving": values[pre + "transport_saving"],
            "support": values[pre + "state_support"],
            "required": values["firms.required_return"],
        }

    def viable(self, risk: np.ndarray) -> np.ndarray:
        private = self.capex * (1.0 - self.support)
        free = private <= 0
        survival = power_each(np.maximum(0.0, 1.0 - risk), self.build_years)
        return free | (self.benefit / np.where(free, 1.0, private) * survival >= self.required)

    def step(self, year: int, risk: np.ndarray, due: np.ndarray) -> np.ndarray:
        """Advance one year where ``due``; returns what the sponsor's state spends on it (USD)."""
        waiting = due & ((self.status == NOT_PROPOSED) | (self.status == STALLED)) & (
            year >= self.proposed)
        if waiting.any():
            dated = self.committed > 0  # a dated commitment decides, not returns
            go = np.where(dated, year >= self.committed, self.viable(risk))
            self.status = np.where(waiting, np.where(go, BUILDING, STALLED), self.status)
        building = due & (self.status == BUILDING)
        if not building.any():
            return np.zeros(self.status.shape)
        self.progress = np.where(building, self.progress + 1.0 / self.build_years, self.progress)
        self.status = np.where(building & (self.progress >= 1.0 - 1e-9), OPERATING, self.status)
        return np.where(building, self.support * self.capex / self.build_years, 0.0)


class ProjectPortfolio:
    """All projects; exposes their combined effects as arrays the market reads.

    ``saving`` is (countries, sectors, replications); ``income`` a (replications,)
    array per country.
    """

    def __init__(self, members: Sequence[Inputs], values: MemberValues | None = None) -> None:
        values = MemberValues(members) if values is None else values
        self.projects = []
        for name in PROJECTS:
            spec = Project.settings(name, values)
            sectors = np.array([SECTORS.index(s) for s in PROJECT_SECTORS[name]])
            spec.update(name=name, sponsor=PATRONS.index(PROJECT_SPONSOR[name]), sectors=sectors)
            self.projects.append(Project(spec))
        r = len(members)
        self.saving = np.zeros((len(PATRONS), len(SECTORS), r))
        self.income = [np.zeros(r) for _ in PATRONS]

    def step(self, year: int, risk: tuple[np.ndarray, np.ndarray]) -> tuple:
        """Advance all projects: (China's spend, Russia's spend, whether any opened anywhere)."""
        spend = [0.0, 0.0]
        opened = False
        for p in self.projects:
            if p.finished or year < p.first_year:
                continue
            due = (p.status != OPERATING) & (year >= p.proposed)
            if not due.any():
                p.finished = bool((p.status == OPERATING).all())
                continue
            spend[p.sponsor] = spend[p.sponsor] + p.step(year, risk[p.sponsor], due)
            new = due & (p.status == OPERATING)
            if new.any():
                self.saving[p.sponsor, p.sectors] += np.where(new, p.saving, 0.0)
                self.income[p.sponsor] = self.income[p.sponsor] + np.where(new, p.income, 0.0)
                opened = True
        return spend[0], spend[1], opened

    def statuses(self) -> list[np.ndarray]:
        return [p.status for p in self.projects]

