"""The house's floors, checked on the source (docs/architecture.md).

Every module of the package sits on a floor; a module may import only from its own floor or below,
function-level (lazy) imports included, and the import graph has no cycle. Tracks own everything
particular to them (no ``track ==`` outside a track), nothing takes a private name from another
module, no function is above cyclomatic complexity 20 (radon's C band) and no module above 500 lines.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> the import package it is (pyproject's package-dir).
PACKAGE_DIRS = {"bench": "imputebench", "registry": "imputebench.registry", "datasets": "imputebench.datasets",
                "reports": "imputebench.reports"}

# Floors from the ground up: a module's floor is that of the longest prefix listed here.
FLOORS: list[tuple[str, ...]] = [
    ("imputebench", "imputebench.errors", "imputebench.atomic"),
    ("imputebench.protocol", "imputebench.imputer", "imputebench.imputer_info"),
    ("imputebench.datasets",),
    ("imputebench.registry",),
    # The track seam (the Track declaration, the registry of tracks, the grid checks every track shares)
    # is the harness's: the runner looks tracks up there. The tracks themselves live a floor above.
    ("imputebench.harness", "imputebench.tracks", "imputebench.tracks.base", "imputebench.tracks.grid"),
    ("imputebench.tracks.main", "imputebench.tracks.transfer", "imputebench.tracks.natural"),
    ("imputebench.reports",),
    ("imputebench.gates", "imputebench.testing"),
    ("imputebench.cli", "imputebench.commands"),
]
FLOOR_NAMES = ["ground", "protocol", "data", "imputers", "harness", "tracks", "reports", "gates", "cli"]
MAX_COMPLEXITY = 20
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            # a sub-package of a mapped folder that is itself mapped elsewhere is listed under that mapping
            found.setdefault(name, path)
    return found


MODULES = modules()


def floor_of(module: str) -> int:
    best, floor = -1, None
    for i, prefixes in enumerate(FLOORS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, floor = len(p), i
    assert floor is not None, f"{module} is on no floor: add it to FLOORS in {__file__}"
    return floor


def resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The imputebench modules an ``from ... import`` names (a module, or a module's attribute)."""
    if node.level:
        is_package = MODULES.get(module, Path()).name == "__init__.py"
        base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    if not target.startswith("imputebench"):
        return []
    names = [f"{target}.{a.name}" for a in node.names]
    return [n if n in MODULES else target for n in names]


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks: annotations only, never run."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            inside |= {id(n) for child in node.body for n in ast.walk(child)}
    return inside


@lru_cache(maxsize=None)
def imports_of(module: str) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names taken) for every import of imputebench in ``module`` that runs,
    lazy (function-level) ones included; imports for type annotations only are left out."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    annotations_only = type_checking_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in annotations_only:
            continue
        if isinstance(node, ast.ImportFrom):
            for target in resolve(module, node):
                out.append((target, node.lineno, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno, []) for a in node.names if a.name.startswith("imputebench")]
    return out


def test_every_module_has_a_floor():
    for module in MODULES:
        floor_of(module)


def test_nothing_imports_upward():
    upward = []
    for module in MODULES:
        here = floor_of(module)
        for target, line, _ in imports_of(module):
            if target in MODULES and floor_of(target) > here:
                upward.append(f"{MODULES[module].relative_to(ROOT)}:{line} ({FLOOR_NAMES[here]}) imports "
                              f"{target} ({FLOOR_NAMES[floor_of(target)]})")
    assert not upward, "imports that run upward:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = {m: {t for t, _, _ in imports_of(m) if t in MODULES and t != m} for m in MODULES}
    # A package's __init__ importing its own submodules is how a package exposes them, not a cycle
    # between floors; every other edge counts, lazy imports included.
    for m in graph:
        graph[m] = {t for t in graph[m] if not (MODULES[m].name == "__init__.py" and t.startswith(m + "."))}
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_across_modules():
    taken = []
    for module in MODULES:
        for target, line, names in imports_of(module):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != module:
                taken.append(f"{MODULES[module].relative_to(ROOT)}:{line} takes {', '.join(private)} from {target}")
    assert not taken, "\n".join(taken)


def test_no_track_branches_outside_tracks():
    pattern = re.compile(r"""track\s*[!=]=\s*["']""")
    found = []
    for module, path in MODULES.items():
        if floor_of(module) == FLOOR_NAMES.index("tracks"):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not found, "track-specific branches outside a track:\n" + "\n".join(found)


def test_every_package_is_installed():
    """pyproject lists packages by hand (four source folders map onto one import package): every
    folder holding an __init__.py must be listed, or a wheel silently leaves it out."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    assert packages - listed == set(), f"add to pyproject's packages: {sorted(packages - listed)}"


def test_no_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_no_function_above_complexity_20():
    radon = pytest.importorskip("radon.complexity", reason="radon is in the dev extra")
    complex_blocks = []
    for path in MODULES.values():
        blocks = radon.cc_visit(path.read_text(encoding="utf-8"))
        # A class's own figure averages its methods: judge the methods one by one.
        for block in [m for b in blocks for m in (getattr(b, "methods", None) or [b])]:
            if block.complexity > MAX_COMPLEXITY:
                complex_blocks.append(f"{path.relative_to(ROOT)}:{block.lineno} {block.name} ({block.complexity})")
    assert not complex_blocks, "\n".join(complex_blocks)
