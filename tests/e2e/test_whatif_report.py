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


def test_page_and_api_build_a_report(service: Any) -> None:
    client = service.client
    r = client.get("/whatif", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]
    body = {"scenarios": [{"name": "no Mons", "changes": [{"close": "MON"}]}]}
    r = client.post("/api/whatif", json=body, headers=service.as_("doctor"))
    assert r.status_code == 403
    r = client.post("/api/whatif", json={"scenarios": [{"changes": [{"close": "NOPE"}]}]},
                    headers=service.as_("manager"))
    assert r.status_code == 422 and "NOPE" in r.json()["detail"]
    r = client.post("/api/whatif", json=body, headers=service.as_("manager"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [s["scenario"] for s in out["scenarios"]] == ["current centres", "no Mons"]
    page = client.get(out["report_url"], headers=service.as_("manager"))
    assert page.status_code == 200 and 'id="comparison"' in page.text
    assert client.get(out["csv_url"], headers=service.as_("manager")).status_code == 200
    assert client.get("/whatif/reports/000000000000/report.html",
                      headers=service.as_("manager")).status_code == 404


def test_victims_of_a_period_as_demand(service: Any) -> None:
    from tests.api.helpers import import_convocations

    import_convocations(service, 3)
    r = service.client.post("/api/whatif", json={"demand": "victims"},
                            headers=service.as_("planner"))
    assert r.status_code == 200, r.text
    r = service.client.post("/api/whatif", json={"demand": "victims",
                                                 "period_from": "2001-01-01",
                                                 "period_to": "2001-12-31"},
                            headers=service.as_("planner"))
    assert r.status_code == 422 and "no convocation" in r.json()["detail"]


@pytest.mark.slow
def test_manager_uses_the_page_in_the_browser(service: Any, live: Any, browser: Any) -> None:
    from tests.api.conftest import PASSWORD, USERS

    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(90_000)
    page.goto(f"{live.url}/whatif")
    page.fill("#username", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url("**/whatif")
    page.check("#close-MON")
    page.fill("#wi-add-id", "TOU")
    page.fill("#wi-add-where", "Tournai")
    page.click("#wi-run")
    page.wait_for_selector("#wi-status:has-text('done')")
    frame = page.frame_locator("#wi-report")
    frame.locator("#comparison").wait_for()
    header = frame.locator("#comparison thead th").all_inner_texts()
    assert "my scenario" in header
    frame.locator(".leaflet-container").wait_for()
    page.close()
