"""STYLE.md: geo imports no other project package (solver's plain data types excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

GEO = Path(__file__).parents[2] / "geo"
OTHERS = {"scheduler", "api", "notify"}


def test_geo_imports_no_other_project_package() -> None:
    offenders = []
    for path in sorted(GEO.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in OTHERS | {"solver"}]
    assert offenders == []
