"""The what-if report in headless Chromium, offline: the map renders, the table is there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from geo.whatif.compare import compare
from geo.whatif.demand import population_demand
from geo.whatif.metrics import evaluate
from geo.whatif.report import write_report
from geo.whatif.scenario import Scenario


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demand = population_demand()
    base = Scenario.current()
    alt = (base.close("MON").add("TOU", station="Tournai", languages=("fr",))
           .renamed("Tournai instead of Mons"))
    comp = compare([evaluate(base, demand), evaluate(alt, demand)])
    files = write_report(comp, demand, tmp_path_factory.mktemp("whatif"))
    return files.html


def test_report_renders_offline(browser: Any, report: Path) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    outside: list[str] = []

    def block(route: Any) -> None:
        if not route.request.url.startswith("file:"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report.as_uri())
    page.wait_for_selector(".leaflet-container", timeout=15_000)
    assert page.evaluate("typeof L") == "object"  # Leaflet is inlined, not from a CDN
    markers = page.locator("path.leaflet-interactive").count()
    assert markers > 500  # demand points and centres drawn as SVG circles
    assert page.locator(".leaflet-control-layers").count() == 1
    header = page.locator("#comparison thead th").all_inner_texts()
    assert header[:3] == ["metric", "unit", "current centres"]
    assert "Tournai instead of Mons" in header
    rows = page.locator("#comparison tbody tr").count()
    assert rows > 40
    assert page.locator("#comparison td.worse, #comparison td.better").count() > 0
    assert page.locator("#centres tbody tr").count() == 24
    assert page.locator("img[alt='coverage curve']").count() == 1
    # only the background tiles may want the network
    assert all("tile.openstreetmap.org" in u for u in outside), outside
    assert errors == []
    page.close()
