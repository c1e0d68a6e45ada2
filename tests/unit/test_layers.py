"""The package layering of docs/design.md, enforced on the import statements of the source.

config, timing -> inputs -> simulation -> render -> outputs -> app: a package imports only
from packages to its left (and itself). The simulation additionally imports nothing that
does IO, reads a clock or starts threads.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "installation"
ORDER = {
    "config": 0,
    "timing": 0,
    "inputs": 1,
    "simulation": 2,
    "render": 3,
    "outputs": 4,
    "app": 5,
}
SIMULATION_STDLIB = {
    "__future__",
    "dataclasses",
    "math",
    "hashlib",
    "json",
    "typing",
    "collections",
    "numpy",
    "scipy",
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def test_packages_import_only_to_their_left():
    problems = []
    for pkg, rank in ORDER.items():
        for path in (PKG / pkg).rglob("*.py") if (PKG / pkg).exists() else []:
            for mod in imports_of(path):
                parts = mod.split(".")
                if (
                    parts[0] == "installation"
                    and len(parts) > 1
                    and parts[1] in ORDER
                    and ORDER[parts[1]] > rank
                ):
                    problems.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not problems, problems


def test_simulation_is_pure():
    problems = []
    for path in (PKG / "simulation").rglob("*.py"):
        for mod in imports_of(path):
            top = mod.split(".")[0]
            if top == "installation":
                continue
            if top not in SIMULATION_STDLIB:
                problems.append(f"{path.name} imports {mod}")
    assert not problems, problems
