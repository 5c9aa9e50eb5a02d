"""The management page and API of the what-if on the location of the centres.

``GET /whatif`` — the page: close centres, change rooms and languages, add centres at a
station or postcode, choose the travel-mode mix and the demand (municipality population,
or the homes of the victims convoked in a period), optionally let the optimiser propose
locations and plan demo weeks under each scenario; the report opens below the form.
``POST /api/whatif`` — the same as JSON (scenario specs as in
:mod:`geo.whatif.scenario`); answers with the report's address, the CSV and JSON, and a
summary per scenario.  ``GET /whatif/reports/{id}/{file}`` serves a report's files.

Management, planners and admins may use it.  The report is built by
:func:`scheduler.whatif.run_whatif`, the same as ``medex whatif compare``.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.deps import SessionDep, Staff, StateDep, user_from_request
from api.errors import Forbidden, Invalid, NotFound, responses
from api.schemas import Problem
from api.tables import Convocation, Role, Victim
from geo.errors import GeoError
from geo.whatif.demand import Demand, homes_demand, population_demand
from geo.whatif.metrics import LoadAssumptions
from geo.whatif.scenario import Scenario, scenario_from_spec
from scheduler.whatif import Proposal, propose, run_whatif
from solver.facility import FacilityError

router = APIRouter(tags=["what-if"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
ALLOWED = {Role.MANAGER.value, Role.PLANNER.value, Role.ADMIN.value}
FILES = ("report.html", "comparison.csv", "centres.csv", "metrics.json", "travel_times.png",
         "coverage.png", "utilisation.png")


class OptimiseIn(BaseModel):
    p: int = Field(12, ge=1, le=60)
    method: Literal["p-median", "max-covering", "p-center"] = "p-median"
    candidates: Literal["stations", "municipalities", "centres"] = "stations"
    keep: Literal["none", "all"] = "none"
    capacitated: bool = False
    radius: float = Field(45.0, gt=0, le=300)
    time_limit_s: float = Field(30.0, ge=1, le=120)


class WhatIfIn(BaseModel):
    scenarios: list[dict[str, Any]] = Field(default_factory=list)
    """Scenario specs: ``{"name", "changes": [...], "modes": {...}}``."""
    modes: dict[str, float] | None = None
    """The mode mix of the current centres (and of scenarios that set none)."""
    demand: Literal["population", "victims"] = "population"
    period_from: date | None = None
    period_to: date | None = None
    optimise: OptimiseIn | None = None
    schedule_weeks: int = Field(0, ge=0, le=3)
    week_convocations: int = Field(200, ge=20, le=1000)
    weekly_convocations: float = Field(1500.0, gt=0)


class ScenarioSummary(BaseModel):
    scenario: str
    centres: int
    mean_min: float
    p90_min: float
    max_min: float
    within_60_pct: float
    language_gap_pct: float


class WhatIfOut(BaseModel):
    id: str
    report_url: str
    csv_url: str
    json_url: str
    scenarios: list[ScenarioSummary]


def _reports(request: Request) -> Path:
    folder: Path | None = getattr(request.app.state, "whatif_reports", None)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="medex-whatif-"))
        request.app.state.whatif_reports = folder
    return folder


def victims_demand(session: Session, start: date | None, end: date | None) -> Demand:
    """The homes of the victims convoked (request date) in ``[start, end]``."""
    stmt = select(Victim.lat, Victim.lon, Victim.language).join(
        Convocation, col(Convocation.victim_id) == col(Victim.id))
    if start is not None:
        stmt = stmt.where(Convocation.request_date >= start)
    if end is not None:
        stmt = stmt.where(Convocation.request_date <= end)
    rows = session.exec(stmt).all()
    if not rows:
        raise Invalid("no convocation in that period: choose another period or the "
                      "population as demand",
                      problems=[Problem(field="period_from", reason="no convocation")])
    period = f"{start or 'start'} to {end or 'today'}"
    return homes_demand([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                        source=f"homes of the victims convoked from {period}")


def run(body: WhatIfIn, session: Session, folder: Path) -> WhatIfOut:
    try:
        demand = population_demand() if body.demand == "population" else \
            victims_demand(session, body.period_from, body.period_to)
        base = Scenario.current()
        if body.modes:
            base = base.with_modes(body.modes)
        scenarios = [base.renamed("current centres")]
        for k, spec in enumerate(body.scenarios):
            try:
                scenarios.append(scenario_from_spec(spec, base))
            except GeoError as exc:
                raise Invalid(f"scenarios[{k}]: {exc}",
                              problems=[Problem(field=f"scenarios[{k}]", reason=str(exc))]
                              ) from exc
        load = LoadAssumptions(weekly_convocations=body.weekly_convocations)
        proposals: list[Proposal] = []
        if body.optimise is not None:
            o = body.optimise
            prop = propose(demand, base, o.p, method=o.method, candidates=o.candidates,
                           keep="all" if o.keep == "all" else (), capacitated=o.capacitated,
                           radius=o.radius, load=load, time_limit=o.time_limit_s)
            proposals.append(prop)
            scenarios.append(prop.scenario)
        rid = uuid.uuid4().hex[:12]
        files = run_whatif(scenarios, demand, folder / rid, proposals=proposals, load=load,
                           schedule_weeks=body.schedule_weeks,
                           schedule_convocations=body.week_convocations,
                           schedule_time_limit=10.0)
    except (GeoError, FacilityError, ValueError) as exc:
        if isinstance(exc, Invalid):
            raise
        raise Invalid(str(exc), problems=[Problem(reason=str(exc))]) from exc
    doc = json.loads(files.json.read_text(encoding="utf-8"))
    summaries = [ScenarioSummary(
        scenario=m["scenario"], centres=len(m["centres"]), mean_min=m["overall"]["mean_min"],
        p90_min=m["overall"]["p90_min"], max_min=m["overall"]["max_min"],
        within_60_pct=100 * m["overall"]["within"]["60"],
        language_gap_pct=100 * m["language_gap_share"]) for m in doc["metrics"]]
    base_url = f"/whatif/reports/{rid}"
    return WhatIfOut(id=rid, report_url=f"{base_url}/report.html",
                     csv_url=f"{base_url}/comparison.csv", json_url=f"{base_url}/metrics.json",
                     scenarios=summaries)


@router.post("/api/whatif", response_model=WhatIfOut, responses=responses(401, 403, 422),
             summary="Evaluate scenarios of the centres (and proposals) and build the report")
def create_whatif(request: Request, session: SessionDep, _user: Staff, body: WhatIfIn) -> Any:
    return run(body, session, _reports(request))


def _page_user(request: Request, state: StateDep, session: SessionDep) -> Any:
    user = user_from_request(request, state, session)
    if user is not None and user.role not in ALLOWED:
        raise Forbidden(f"the role {user.role} may not use the what-if (management, "
                        "planners, admins)")
    return user


@router.get("/whatif", response_class=HTMLResponse, include_in_schema=False)
def whatif_page(request: Request, state: StateDep, session: SessionDep) -> Response:
    user = _page_user(request, state, session)
    if user is None:
        return RedirectResponse("/login?next=/whatif", status_code=303)
    centres = Scenario.current().centres
    return templates.TemplateResponse(request, "whatif.html",
                                      {"user": user, "centres": centres})


@router.get("/whatif/reports/{rid}/{name}", include_in_schema=False)
def report_file(request: Request, state: StateDep, session: SessionDep, rid: str,
                name: str) -> Response:
    user = _page_user(request, state, session)
    if user is None:
        return RedirectResponse("/login?next=/whatif", status_code=303)
    if not re.fullmatch(r"[0-9a-f]{12}", rid) or name not in FILES:
        raise NotFound(f"no what-if file {rid}/{name}")
    path = _reports(request) / rid / name
    if not path.exists():
        raise NotFound(f"no what-if report {rid} (reports live as long as the service)")
    return FileResponse(path)
