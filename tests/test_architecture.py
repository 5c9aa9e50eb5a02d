"""The house rules of STYLE.md, checked on the source: arrows point inward, no print.

``api`` may import everything; ``scheduler`` may use ``solver`` and ``geo``; ``notify``
knows only the domain's dataclasses (``scheduler.domain``); ``solver`` and ``geo`` import
no other project package.  Library code (``scheduler``, ``solver``, ``geo``, ``notify``)
logs instead of calling ``print``; the command line writes through ``typer.echo``.

Every module is parsed with :mod:`ast`: imports anywhere in a module count (top level,
inside functions, under ``if TYPE_CHECKING``), relative imports are resolved against the
module's package, and ``importlib.import_module("...")`` / ``__import__("...")`` with a
literal name count too.  The checker is tested on synthetic modules so that it cannot
silently pass everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("scheduler", "solver", "geo", "notify", "api")
LIBRARY = ("scheduler", "solver", "geo", "notify")

ALLOWED: dict[str, tuple[str, ...]] = {
    "api": PACKAGES,
    "scheduler": ("scheduler", "solver", "geo"),
    "notify": ("notify", "scheduler.domain"),
    "solver": ("solver",),
    "geo": ("geo",),
}
"""Per package, the project modules it may import (a name and everything under it)."""


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...`` in ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def imported(source: str, module: str, is_package: bool = False
             ) -> Iterator[tuple[int, str, bool]]:
    """``(line, absolute module name, is a from-import's base)`` of every import.

    ``from pkg import name`` yields its base ``pkg`` and ``pkg.name``, so that importing a
    submodule by name (``from scheduler import plan``) is judged as what it is."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, False
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            yield node.lineno, base, True
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}", False
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                yield node.lineno, first.value, False


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def import_findings(source: str, module: str, is_package: bool = False) -> list[Finding]:
    """Imports of ``module`` that break the arrows of STYLE.md."""
    allowed = ALLOWED[module.split(".")[0]]
    found = []
    for line, name, base in imported(source, module, is_package):
        if name.split(".")[0] not in PACKAGES or _within(name, allowed):
            continue
        # the base of ``from scheduler import domain``: the names imported decide
        if base and any(_within(a, (name,)) for a in allowed):
            continue
        found.append(Finding(module, line, f"imports {name}"))
    return found


def print_findings(source: str, module: str) -> list[Finding]:
    """Calls of ``print`` (or ``builtins.print``) in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "print") or (
                isinstance(func, ast.Attribute) and func.attr == "print"
                and isinstance(func.value, ast.Name) and func.value.id == "builtins"):
            found.append(Finding(module, node.lineno, "calls print()"))
    return found


def sources(packages: tuple[str, ...]) -> list[tuple[Path, str]]:
    out = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            out.append((path, module_name(path)))
    return out


# ---------------------------------------------------------------- the real code


def test_every_package_is_found() -> None:
    found = {module.split(".")[0] for _, module in sources(PACKAGES)}
    assert found == set(PACKAGES)
    assert len(sources(("solver",))) >= 5


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_inward(package: str) -> None:
    findings = []
    for path, module in sources((package,)):
        findings += import_findings(path.read_text(encoding="utf-8"), module,
                                    path.name == "__init__.py")
    assert [str(f) for f in findings] == []


@pytest.mark.parametrize("package", LIBRARY)
def test_no_print_in_library_code(package: str) -> None:
    findings = []
    for path, module in sources((package,)):
        findings += print_findings(path.read_text(encoding="utf-8"), module)
    assert [str(f) for f in findings] == []


def test_the_command_line_writes_through_typer_echo() -> None:
    findings = []
    for path, module in sources(("api",)):
        findings += print_findings(path.read_text(encoding="utf-8"), module)
    assert [str(f) for f in findings] == []
    assert "typer.echo(" in (ROOT / "api" / "cli.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the checker itself


@pytest.mark.parametrize(("module", "source", "bad"), [
    ("solver.bad", "from scheduler.domain import Week\n", "scheduler.domain"),
    ("solver.bad", "import geo.travel\n", "geo.travel"),
    ("solver.bad", "def f():\n    from api import cli\n", "api"),
    ("geo.bad", "from solver.week_model import GRID\n", "solver.week_model"),
    ("geo.bad", "import scheduler\n", "scheduler"),
    ("scheduler.bad", "from api.cli import app\n", "api.cli"),
    ("scheduler.bad", "from notify import messages\n", "notify"),
    ("notify.bad", "from scheduler.plan import plan_week\n", "scheduler.plan"),
    ("notify.bad", "from scheduler import plan\n", "scheduler.plan"),
    ("notify.bad", "import solver\n", "solver"),
    ("notify.bad", "import scheduler\n", "scheduler"),
    ("notify.bad", "from geo.travel import TravelModel\n", "geo.travel"),
    ("notify.bad", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from api.db import Session\n", "api.db"),
    ("solver.bad", "import importlib\nm = importlib.import_module('scheduler.plan')\n",
     "scheduler.plan"),
    ("solver.sub.bad", "from ...scheduler import plan\n", "scheduler"),
])
def test_the_checker_flags_a_bad_import(module: str, source: str, bad: str) -> None:
    findings = import_findings(source, module)
    assert findings, f"{module}: {source!r} was not flagged"
    assert any(f.what.startswith(f"imports {bad}") for f in findings), findings


@pytest.mark.parametrize(("module", "source"), [
    ("api.cli", "from scheduler.plan import plan_week\nfrom notify import messages\n"
                "import solver.week_model\nfrom geo.travel import TravelModel\n"),
    ("scheduler.plan", "from solver.week_model import GRID\nfrom geo.travel import X\n"
                       "from scheduler.domain import Week\nfrom . import eligibility\n"),
    ("notify.messages", "from scheduler.domain import BRUSSELS\n"
                        "from scheduler import domain\nfrom .model import Notice\n"),
    ("solver.week_solver", "from solver.timeline import construct\nfrom .columns import x\n"
                           "import numpy as np\nfrom ortools.sat.python import cp_model\n"),
    ("geo.travel", "from geo.rail import RailGraph\nimport scipy.sparse\n"),
])
def test_the_checker_accepts_allowed_imports(module: str, source: str) -> None:
    assert import_findings(source, module) == []


def test_relative_imports_are_resolved() -> None:
    def names(source: str, module: str, is_package: bool = False) -> list[str]:
        return [n for _, n, _ in imported(source, module, is_package)]

    assert names("from . import x\n", "solver.a") == ["solver", "solver.x"]
    assert names("from .m import x\n", "solver", is_package=True) == ["solver.m", "solver.m.x"]
    assert names("from ..geo import y\n", "api.routes.page") == ["api.geo", "api.geo.y"]


def test_the_checker_flags_print() -> None:
    source = ("import builtins\n"
              "def f(x):\n    print(x)\n"
              "def g(x):\n    builtins.print(x)\n"
              "def h(log, x):\n    log.info('%s', x)\n")
    assert [f.line for f in print_findings(source, "scheduler.bad")] == [3, 5]
    assert print_findings("import typer\ntyper.echo('hi')\n", "api.cli") == []
