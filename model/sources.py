"""The five source articles every figure in hedgesim traces back to.

Cite a seed by its two-digit key: ``cite("002")`` gives
``"002_a24cd1a80d39c802.txt (Carnegie Moscow Center, Lankov, 2015)"``.
The articles themselves live in ``shared/seeds/`` beside the repository.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Seed:
    key: str
    file: str
    outlet: str
    author: str
    year: int
    title: str

    @property
    def surname(self) -> str:
        return "Park" if self.author.startswith("Park") else self.author.split()[-1]

    def short(self) -> str:
        return f"{self.key} {self.outlet} {self.year}"


SEEDS: dict[str, Seed] = {
    s.key: s
    for s in (
        Seed(
            "000",
            "000_b507dd99b9737247.txt",
            "Asia News Network",
            "A. Lankov",
            2015,
            "Kim Jong Un's Visit To Russia Unlikely To Meet Leader's Expectations",
        ),
        Seed(
            "001",
            "001_6eb0edba0e495a8e.txt",
            "Al Jazeera",
            "A. Lankov",
            2014,
            "N Korea and Russia: A step towards a worldwide anti-hegemonic front?",
        ),
        Seed(
            "002",
            "002_a24cd1a80d39c802.txt",
            "Carnegie Moscow Center",
            "A. Lankov",
            2015,
            "Moscow-Pyongyang: One Year of a New Friendship",
        ),
        Seed(
            "003",
            "003_0ce4e00686efe309.txt",
            "Korea JoongAng Daily",
            "Park Sung-soo",
            2014,
            "Illusions of a summit with Russia",
        ),
        Seed(
            "004",
            "004_ec52d7dd00dd1787.txt",
            "Lowy Interpreter / NBR",
            "N. Rolland",
            2015,
            "North Korea's New Diplomacy",
        ),
    )
}

BRIEF = "domain brief (South Korean figures for inter-Korean trade)"


def cite(*keys: str) -> str:
    """Source string for one or more seeds, e.g. ``cite("000", "001")``."""
    return "; ".join(
        f"{SEEDS[k].file} ({SEEDS[k].outlet}, {SEEDS[k].surname}, {SEEDS[k].year})"
        for k in keys
    )
