"""Layers point one way: no module imports from a layer above its own.

From the bottom: the shared basics; scenario files and the parameter registry; the model
(world, states, firms, the output registry); the runner; the store (the only code that knows
the folder formats); experiments; calibration; analysis and briefs; and the interfaces (the
CLI, the API, the generated docs). Every ``import`` in the code is read with ``ast``, the
ones inside functions too, so a lazy import cannot hide an arrow up.

``python tests/test_layers.py`` prints the import graph, module by module and layer by layer.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("model.errors", "model.userfile", "model.sources", "model.common",
              "model.version", "model.figures", "model.mesacore")),
    ("scenario", ("model.params", "model.strategies", "model.scenario")),
    ("model", ("model.firms", "model.projects", "model.states", "model.world", "model.outputs")),
    ("runner", ("model.ensemble", "model.runner", "model.seeds")),
    ("store", ("model.experiments.store",)),
    ("experiments", ("model.experiments",)),
    ("calibration", ("model.calibration",)),
    ("analysis", ("model.analysis",)),
    ("explorer", ("model.explore",)),
    ("interface", ("model", "model.api", "model.docsgen", "cli", "hedgesim")),
)
"""Each module belongs to the layer of the longest prefix listed (``model.experiments.sweep``
-> experiments; ``model`` itself, the package that re-exports the API, -> interface)."""


def modules() -> dict[str, Path]:
    found = {"cli": ROOT / "cli.py", "hedgesim": ROOT / "hedgesim.py"}
    for path in sorted((ROOT / "model").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")
    return rank


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The hedgesim modules ``module`` imports (``from model import figures`` is
    ``model.figures``, not the package ``model``)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    out.add(sub)
                elif base in known:
                    out.add(base)
    out.discard(module)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: imports(m, p, known) for m, p in known.items()}


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = [f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
              for m, targets in graph().items() for t in sorted(targets)
              if layer_of(t) > layer_of(m)]
    assert not upward, "imports pointing up a layer:\n" + "\n".join(upward)


def test_no_import_cycles_between_modules():
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in g:
        if v not in index:
            visit(v)
    assert not cycles, f"modules that import each other: {cycles}"


FOLDER_FILES = {"runs.parquet", "key_figures.parquet", "design.parquet", "summary.parquet",
                "manifest.json", "runs", "status", "commits", "damaged", "writer.lock"}


def test_the_store_alone_knows_the_folder_format():
    """Only the store builds paths into a results folder (``folder / "design.parquet"``);
    the others ask it (``read_results``, ``SweepStore.write_design``, ``RunWriter.runs``)."""
    for module, path in modules().items():
        if module == "model.experiments.store":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        joins = sorted({n.right.value for n in ast.walk(tree)
                        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
                        and isinstance(n.right, ast.Constant) and n.right.value in FOLDER_FILES})
        assert not joins, f"{module} builds paths into results folders itself: {joins}"


def show() -> str:
    g = graph()
    lines = ["module graph (module -> what it imports):"]
    for m in sorted(g, key=lambda m: (layer_of(m), m)):
        lines.append(f"  [{LAYERS[layer_of(m)][0]}] {m} -> {', '.join(sorted(g[m])) or '-'}")
    between: dict[str, set[str]] = defaultdict(set)
    for m, targets in g.items():
        for t in targets:
            if layer_of(t) != layer_of(m):
                between[LAYERS[layer_of(m)][0]].add(LAYERS[layer_of(t)][0])
    lines.append("layer graph (layer -> layers it imports; each arrow points down):")
    for name, _ in reversed(LAYERS):
        lines.append(f"  {name} -> {', '.join(sorted(between[name], key=lambda n: [x for x, _ in LAYERS].index(n))) or '-'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(show() + "\n")
