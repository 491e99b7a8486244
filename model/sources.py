"""The five source articles every figure in hedgesim traces back to.

Cite a seed by its two-digit key: ``cite("002")`` gives
``"002_a24cd1a80d39c802.txt (Carnegie Moscow Center, Lankov, 2015)"``, the short form the
parameter registry and the targets use (the file name is the project's own copy of the
article, its id). :func:`reference` gives the full citation a reader can look the article up
by: outlet, author, title and date. ``python -m model.sources`` prints all five.

The articles are not shipped with hedgesim; they are public on their outlets' sites. No
address is recorded here because none could be checked from where the citations were
written: search the outlet's site for the title.
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
    author_full: str
    published: str  # the date as the article gives it ('30 March 2015'), or the year
    link: str | None = None  # a public address, when one has been checked

    @property
    def surname(self) -> str:
        return "Park" if self.author.startswith("Park") else self.author.split()[-1]

    def short(self) -> str:
        return f"{self.key} {self.outlet} {self.year}"

    def reference(self) -> str:
        """'Andrei Lankov, "Moscow-Pyongyang: One Year of a New Friendship", Carnegie Moscow
        Center, 7 July 2015 (seed 002)'."""
        where = f", {self.link}" if self.link else ""
        return (f'{self.author_full}, "{self.title}", {self.outlet}, {self.published}{where} '
                f"(seed {self.key})")


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
            "Andrei Lankov",
            "30 March 2015",
        ),
        Seed(
            "001",
            "001_6eb0edba0e495a8e.txt",
            "Al Jazeera",
            "A. Lankov",
            2014,
            "N Korea and Russia: A step towards a worldwide anti-hegemonic front?",
            "Andrei Lankov",
            "2014",
        ),
        Seed(
            "002",
            "002_a24cd1a80d39c802.txt",
            "Carnegie Moscow Center",
            "A. Lankov",
            2015,
            "Moscow-Pyongyang: One Year of a New Friendship",
            "Andrei Lankov",
            "7 July 2015",
        ),
        Seed(
            "003",
            "003_0ce4e00686efe309.txt",
            "Korea JoongAng Daily",
            "Park Sung-soo",
            2014,
            "Illusions of a summit with Russia",
            "Park Sung-soo",
            "2014",
        ),
        Seed(
            "004",
            "004_ec52d7dd00dd1787.txt",
            "Lowy Interpreter / NBR",
            "N. Rolland",
            2015,
            "North Korea's New Diplomacy",
            "Nadège Rolland (National Bureau of Asian Research)",
            "30 April 2015",
        ),
    )
}

BRIEF = "domain brief (South Korean figures for inter-Korean trade)"


def reference(key: str) -> str:
    """The full citation of one seed, see :meth:`Seed.reference`."""
    return SEEDS[key].reference()


def cite(*keys: str) -> str:
    """Source string for one or more seeds, e.g. ``cite("000", "001")``."""
    return "; ".join(
        f"{SEEDS[k].file} ({SEEDS[k].outlet}, {SEEDS[k].surname}, {SEEDS[k].year})"
        for k in keys
    )


if __name__ == "__main__":
    for _key in SEEDS:
        print(reference(_key))
