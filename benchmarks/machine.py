"""What the machine was doing while a benchmark ran: cores, versions, load and busy processes.

Other jobs on the same cores slow every figure alike (the benchmarks time the
model and its floors in turn, so ratios hold up better than absolute times), but
a reader must know they were there. ``Machine()`` takes a snapshot of every
process's CPU time (Linux /proc); ``report()`` says which processes outside
this benchmark used the cores since, and how much.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_times() -> dict[int, tuple[str, int, int]]:
    """pid -> (command name, parent pid, CPU ticks), for every process /proc shows."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            head, _, rest = (d / "stat").read_text().rpartition(")")
            fields = rest.split()
            name = head.partition("(")[2]
            out[int(d.name)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]))
        except (OSError, IndexError, ValueError):
            continue
    return out


def _ours(pid: int, parents: dict[int, int], me: int) -> bool:
    while pid > 1:
        if pid == me:
            return True
        pid = parents.get(pid, 0)
    return False


def versions() -> str:
    names = ["numpy", "mesa", "pyarrow", "numba"]
    found = []
    for n in names:
        try:
            found.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            found.append(f"{n} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


class Machine:
    """A snapshot of CPU use; :meth:`report` describes the load since it was taken."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.load = os.getloadavg()[0]
        self.before = _cpu_times()

    def report(self) -> str:
        wall = max(time.monotonic() - self.start, 1e-9)
        after = _cpu_times()
        parents = {pid: ppid for pid, (_, ppid, _) in after.items()}
        me = os.getpid()
        busy: dict[str, float] = {}
        for pid, (name, _, ticks) in after.items():
            if _ours(pid, parents, me):
                continue
            used = ticks - self.before.get(pid, (name, 0, 0))[2]
            if used > 0:
                busy[name] = busy.get(name, 0.0) + used / _TICK / wall
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        top = sorted(busy.items(), key=lambda kv: -kv[1])[:3]
        others = sum(busy.values())
        named = ", ".join(f"{n} {c:.0%}" for n, c in top if c >= 0.01) or "nothing measurable"
        return (f"machine: {cores} cores, {platform.machine()}, {versions()}\n"
                f"while it ran ({wall:.0f} s): other processes used {others:.2f} cores "
                f"({named}); load average {self.load:.2f} before, {os.getloadavg()[0]:.2f} after")
