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
"""

from __future__ import annotations

import numpy as np

from model.params import PATRONS, PROJECT_SECTORS, PROJECT_SPONSOR, PROJECTS, SECTORS

NOT_PROPOSED, STALLED, BUILDING, OPERATING = 0, 1, 2, 3
STATUS_NAMES = {NOT_PROPOSED: "not proposed", STALLED: "proposed, not financed",
                BUILDING: "building", OPERATING: "operating"}


class Project:
    def __init__(self, spec: dict) -> None:
        self.__dict__.update(spec)  # name, sponsor, sectors, capex, ... (see settings)
        self.status = NOT_PROPOSED
        self.progress = 0.0

    @staticmethod
    def settings(name: str, params: dict) -> dict:
        """The project's fixed settings from the inputs (shared by runs of the same inputs)."""
        pre = f"projects.{name}."
        sectors = np.array([SECTORS.index(s) for s in PROJECT_SECTORS[name]])
        sectors.setflags(write=False)
        return {
            "name": name,
            "sponsor": PATRONS.index(PROJECT_SPONSOR[name]),
            "sectors": sectors,
            "capex": params[pre + "capex_usd"],
            "build_years": max(1, int(params[pre + "build_years"])),
            "proposed": int(params[pre + "proposed_year"]),
            "committed": int(params[pre + "committed_year"]),
            "benefit": params[pre + "benefit_usd"],
            "income": params[pre + "dprk_income_usd"],
            "saving": params[pre + "transport_saving"],
            "support": params[pre + "state_support"],
            "required": params["firms.required_return"],
        }

    def viable(self, risk: float) -> bool:
        private = self.capex * (1.0 - self.support)
        if private <= 0:
            return True
        survival = max(0.0, 1.0 - risk) ** self.build_years
        return self.benefit / private * survival >= self.required

    def step(self, year: int, risk: float) -> float:
        """Advance one year; returns what the sponsor's state spends on it (USD)."""
        if self.status in (NOT_PROPOSED, STALLED) and year >= self.proposed:
            if self.committed > 0:  # a dated commitment decides, not returns
                self.status = BUILDING if year >= self.committed else STALLED
            else:
                self.status = BUILDING if self.viable(risk) else STALLED
        if self.status != BUILDING:
            return 0.0
        self.progress += 1.0 / self.build_years
        if self.progress >= 1.0 - 1e-9:
            self.status = OPERATING
        return self.support * self.capex / self.build_years


class ProjectPortfolio:
    """All projects; exposes their combined effects as arrays the market reads."""

    def __init__(self, inputs) -> None:
        specs = inputs.derived(ProjectPortfolio, lambda i: [Project.settings(name, i.params)
                                                            for name in PROJECTS])
        self.projects = [Project(spec) for spec in specs]
        self.saving = np.zeros((len(PATRONS), len(SECTORS)))
        self.income = [0.0] * len(PATRONS)

    def step(self, year: int, risk: tuple[float, float]) -> tuple[float, float, bool]:
        """Advance all projects: (China's spend, Russia's spend, whether any opened)."""
        spend = [0.0, 0.0]
        opened = False
        for p in self.projects:
            if p.status == OPERATING or year < p.proposed:
                continue
            spend[p.sponsor] += p.step(year, risk[p.sponsor])
            if p.status == OPERATING:
                self.saving[p.sponsor, p.sectors] += p.saving
                self.income[p.sponsor] += p.income
                opened = True
        return spend[0], spend[1], opened

    def statuses(self) -> list[int]:
        return [p.status for p in self.projects]
