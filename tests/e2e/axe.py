"""axe-core (bundled in ``axe-playwright-python``) run in a page of the browser tests."""

from __future__ import annotations

from typing import Any

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                  "wcag22aa"]},
           "resultTypes": ["violations"]}
"""axe-core's rules of WCAG 2.0, 2.1 and 2.2 levels A and AA."""


def axe_violations(page: Any) -> list[str]:
    """What axe-core finds in ``page`` against WCAG A and AA: rule, impact, where."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in found]
