"""STYLE.md: notify knows the domain's dataclasses only; vendors stay in their boundary."""

from __future__ import annotations

import ast
from pathlib import Path

NOTIFY = Path(__file__).parents[2] / "notify"
PROJECT = {"scheduler", "solver", "geo", "api", "notify"}
VENDORS = {
    "twilio": {"sms.py", "callbacks.py"},
    "requests": {"sms.py"},
    "smtplib": {"mail.py"},
    "sqlalchemy": {"outbox_sql.py"},
    "phonenumbers": {"phone.py"},
    "icalendar": {"ics.py"},
    "babel": {"messages.py"},
}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_notify_imports_only_the_domain_dataclasses() -> None:
    offenders = [f"{p.name}: {name}" for p in sorted(NOTIFY.rglob("*.py"))
                 for name in _imports(p)
                 if name.split(".")[0] in PROJECT - {"notify"} and name != "scheduler.domain"]
    assert offenders == []


def test_vendor_libraries_stay_at_their_boundary() -> None:
    offenders = [f"{p.name}: {name}" for p in sorted(NOTIFY.rglob("*.py"))
                 for name in _imports(p)
                 if name.split(".")[0] in VENDORS and p.name not in VENDORS[name.split(".")[0]]]
    assert offenders == []
