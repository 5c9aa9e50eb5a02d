"""What-if use cases that join geography, the optimisers and the weekly engine.

* :func:`propose` — let the optimiser propose centre locations on real geography: the
  demand (:mod:`geo.whatif.demand`), candidate sites (:mod:`geo.whatif.candidates`:
  stations weighted by boardings, municipalities, a given list; the current centres are
  candidates too and can be kept, for expansion planning), a method (p-median, maximal
  covering within ``radius`` minutes, p-center) with or without capacities, solved
  exactly by :mod:`solver.facility` under a time limit.  The answer is a scenario that
  :func:`geo.whatif.metrics.evaluate` and the report take like any other.
* :func:`schedule_aware` — feed a few demo weeks of convocations through the weekly engine
  under each scenario and report unscheduled convocations, deadlines met and travel: the
  effect on waiting, not only on distance (see its docstring for how doctors follow their
  centre).

Location models ignore languages (every site can be staffed in its region's languages);
the metrics then measure the language gap of the proposal.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import TypeVar

import numpy as np

from geo.centres import CentreSite
from geo.travel import TravelModel
from geo.whatif.candidates import (
    Candidate,
    centre_candidates,
    cost_matrix,
    municipality_candidates,
    scenario_from_sites,
    station_candidates,
)
from geo.whatif.compare import compare
from geo.whatif.demand import Demand
from geo.whatif.metrics import LoadAssumptions, evaluate, weekly_capacity
from geo.whatif.report import ReportFiles, write_report
from geo.whatif.scenario import Scenario
from scheduler.domain import HOME, Assignment, Centre, Convocation, Doctor, Session, Week
from solver.facility import (
    CapacitatedPMedian,
    FacilityResult,
    MaxCovering,
    PCenter,
    PMedian,
    SolveProgress,
)

log = logging.getLogger(__name__)

METHODS = ("p-median", "max-covering", "p-center")


@dataclass(frozen=True)
class Proposal:
    scenario: Scenario
    result: FacilityResult
    candidates: tuple[Candidate, ...]
    method: str
    capacitated: bool
    kept: tuple[str, ...]

    @property
    def chosen(self) -> tuple[Candidate, ...]:
        return tuple(self.candidates[j] for j in self.result.open_sites)


def candidate_set(base: Scenario, kind: str = "stations", min_boardings: int = 1000,
                  given: Sequence[Candidate] = ()) -> list[Candidate]:
    """The current centres first, then the candidates of ``kind`` (``stations``,
    ``municipalities``, ``given`` or ``centres``)."""
    current = centre_candidates(base)
    if kind == "stations":
        extra = station_candidates(min_boardings)
    elif kind == "municipalities":
        extra = municipality_candidates()
    elif kind == "given":
        extra = list(given)
    elif kind == "centres":
        extra = []
    else:
        raise ValueError(f"unknown candidate kind {kind!r}: stations, municipalities, given "
                         "or centres")
    return current + extra


def propose(demand: Demand, base: Scenario, p: int, *, method: str = "p-median",
            candidates: str = "stations", given: Sequence[Candidate] = (),
            keep: Sequence[str] | str = (), capacitated: bool = False, radius: float = 45.0,
            min_boardings: int = 1000, rooms: int = 3, load: LoadAssumptions | None = None,
            time_limit: float = 60.0, model: TravelModel | None = None,
            on_progress: Callable[[SolveProgress], None] | None = None) -> Proposal:
    """Propose ``p`` centres (``keep``: ids of current centres kept open, or ``"all"``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: {', '.join(METHODS)}")
    cands = candidate_set(base, candidates, min_boardings, given)
    keep_ids = tuple(base.ids) if keep == "all" else tuple(keep)
    for cid in keep_ids:
        base.centre(cid)
    fixed = [k for k, c in enumerate(cands) if c.centre is not None and c.centre.id in keep_ids]
    cost = cost_matrix(demand, cands, base.modes, model)
    w = demand.weight
    load = load or LoadAssumptions()
    if capacitated:
        # capacity in demand units: a site's weekly exams as a share of the weekly volume
        def cap_of(c: Candidate) -> float:
            site = c.centre
            exams = weekly_capacity(site, load) if site is not None else \
                rooms * 480 * load.open_days / load.exam_minutes
            return exams / load.weekly_convocations * demand.total

        capacity = np.array([cap_of(c) for c in cands])
    if method == "p-median" and not capacitated:
        result = PMedian.from_cost_matrix(cost, p, w, fixed).solve(
            time_limit=time_limit, gap=1e-6, on_progress=on_progress)
    elif method == "p-median":
        result = CapacitatedPMedian.from_cost_matrix(cost, p, capacity, w, fixed).solve(
            time_limit=time_limit, gap=1e-4, nearest=30)
    elif method == "max-covering":
        result = MaxCovering.from_cost_matrix(cost, p, radius, w, fixed).solve(
            time_limit=time_limit, gap=1e-6)
    else:
        result = PCenter.from_cost_matrix(cost, p, w, fixed).solve(time_limit=time_limit)
    label = {"p-median": "p-median", "max-covering": f"max covering {radius:g} min",
             "p-center": "p-center"}[method]
    name = f"{label}{' capacitated' if capacitated else ''}, {p} centres"
    if keep_ids:
        name += f", {len(keep_ids)} kept"
    chosen = [cands[j] for j in result.open_sites]
    scen = scenario_from_sites(base, chosen, name, rooms=rooms)
    scen = replace(scen, modes=base.modes)
    return Proposal(scen, result, tuple(cands), method, capacitated, keep_ids)


# -- schedule-aware evaluation ---------------------------------------------------------


@dataclass(frozen=True)
class WeekOutcome:
    seed: int
    convocations: int
    scheduled: int
    unscheduled: int
    deadline_due: int
    """Convocations whose deadline falls inside the week."""
    deadline_met: int
    """Of those, scheduled on or before their deadline."""
    mean_travel_min: float
    p90_travel_min: float
    mean_wait_days: float
    """Calendar days from release (or the week's Monday, if released before) to the exam."""
    cost: int
    lower_bound: int | None


@dataclass(frozen=True)
class ScheduleOutcome:
    scenario: str
    weeks: tuple[WeekOutcome, ...]

    def total(self, attr: str) -> int:
        return int(sum(getattr(w, attr) for w in self.weeks))

    def mean(self, attr: str) -> float:
        vals = [float(getattr(w, attr)) for w in self.weeks]
        vals = [v for v in vals if math.isfinite(v)]
        return sum(vals) / len(vals) if vals else math.nan

    def as_dict(self) -> dict[str, float]:
        due = self.total("deadline_due")
        return {"convocations": self.total("convocations"),
                "scheduled": self.total("scheduled"),
                "unscheduled": self.total("unscheduled"),
                "unscheduled_pct": 100 * self.total("unscheduled") / max(
                    1, self.total("convocations")),
                "deadlines_due": due, "deadlines_met": self.total("deadline_met"),
                "deadlines_met_pct": 100 * self.total("deadline_met") / due if due else 100.0,
                "mean_travel_min": self.mean("mean_travel_min"),
                "p90_travel_min": self.mean("p90_travel_min"),
                "mean_wait_days": self.mean("mean_wait_days")}


def _clock(text: str) -> clock:
    return clock(int(text[:2]), int(text[3:5]))


def _centre(site: CentreSite) -> Centre:
    return Centre(site.id, site.name("nl"), site.lat, site.lon, site.rooms,
                  tuple((_clock(a), _clock(b)) for a, b in site.opening))


_P = TypeVar("_P", CentreSite, Centre)


def _nearest(site_lat: float, site_lon: float, options: Sequence[_P]) -> _P:
    d = [(c.lat - site_lat) ** 2 + ((c.lon - site_lon) * 0.64) ** 2 for c in options]
    return options[int(np.argmin(d))]


def _clip(session: Session, site: CentreSite) -> list[Session]:
    out = []
    for a, b in site.opening:
        start, end = max(session.start, _clock(a)), min(session.end, _clock(b))
        if datetime.combine(session.day, end) - datetime.combine(session.day, start) >= \
                timedelta(minutes=30):
            out.append(replace(session, start=start, end=end))
    return out


def adapt_week(week: Week, scenario: Scenario, demand: Demand,
               model: TravelModel | None = None) -> Week:
    """The same convocations and doctors, planned under ``scenario``'s centres.

    Doctors follow their centre: a doctor of a centre that stays keeps the sessions there
    (cut to its new opening hours); a doctor of a closed centre works at the nearest
    remaining centre that speaks one of the doctor's languages; a new centre takes over,
    from the nearest old centre that speaks its languages, the share of that centre's
    doctors equal to the share of demand it takes from it (at least one doctor).  Home
    rounds keep their base when it stays, else the doctor's new centre.  Travel minutes
    are recomputed; fixed appointments at a closed centre are released."""
    model = model or TravelModel.default()
    new_sites = {c.id: c for c in scenario.centres}
    old_ids = [c.id for c in week.centres]
    by_doctor_centre: dict[str, str] = {}
    for d in week.doctors:
        counts: dict[str, int] = {}
        for s in d.sessions:
            key = s.base if s.is_home and s.base else s.centre
            if key != HOME:
                counts[key] = counts.get(key, 0) + 1
        by_doctor_centre[d.id] = max(counts, key=lambda k: counts[k]) if counts else ""
    target: dict[str, str] = {}
    old_sites = {c.id: c for c in week.centres}
    for d in week.doctors:
        home = by_doctor_centre[d.id]
        if home in new_sites:
            target[d.id] = home
        elif home in old_sites:
            speak = [c for c in scenario.centres if set(c.languages) & set(d.languages)] or \
                list(scenario.centres)
            oc = old_sites[home]
            target[d.id] = _nearest(oc.lat, oc.lon, speak).id
    added = [c for c in scenario.centres if c.id not in old_ids]
    if added:
        before = evaluate(Scenario("before", tuple(s for s in _old_as_sites(week, scenario)),
                                   scenario.modes), demand, model)
        after = evaluate(scenario, demand, model)
        share_before = {c.id: c.demand_share for c in before.centres}
        for site in added:
            donors = [old_sites[i] for i in old_ids if i in new_sites]
            donors = donors or list(old_sites.values())
            donor = _nearest(site.lat, site.lon, donors)
            share_new = next(c.demand_share for c in after.centres if c.id == site.id)
            pool = [d for d in week.doctors if target.get(d.id) == donor.id
                    and set(d.languages) & set(site.languages)]
            moving = 0
            if pool:
                frac = share_new / max(share_before.get(donor.id, share_new), 1e-9)
                moving = max(1, min(len(pool) - 1 if len(pool) > 1 else 1,
                                    round(frac * len(pool))))
            for d in pool[:moving]:
                target[d.id] = site.id
    doctors = []
    for d in week.doctors:
        where = target.get(d.id)
        sessions: list[Session] = []
        for s in d.sessions:
            if s.is_home:
                base = s.base if s.base in new_sites else where
                sessions.append(replace(s, base=base))
                continue
            dest = s.centre if s.centre in new_sites else where
            if dest is None:
                continue
            sessions.extend(_clip(replace(s, centre=dest), new_sites[dest]))
        doctors.append(Doctor(d.id, d.languages, d.specialties, d.max_exams_per_day,
                              tuple(sorted(sessions, key=lambda x: (x.day, x.start)))))
    rooms = {c.id: c.rooms for c in week.centres}
    centres = []
    for site in scenario.centres:
        c = _centre(site)
        centres.append(replace(c, rooms=max(c.rooms, rooms.get(site.id, 0))
                               if site.id in old_ids and site == _old_site(week, site.id,
                                                                           scenario)
                               else c.rooms))
    convs: list[Convocation] = []
    for conv in week.convocations:
        fixed = conv.fixed if conv.fixed is None or conv.fixed.centre in new_sites else None
        convs.append(replace(conv, travel_min=None, fixed=fixed))
    return replace(week, centres=tuple(centres), doctors=tuple(doctors),
                   convocations=tuple(convs))


def _old_site(week: Week, centre_id: str, scenario: Scenario) -> CentreSite | None:
    """The scenario's site when it is unchanged from the week's centre (None otherwise)."""
    for c in week.centres:
        if c.id == centre_id:
            site = scenario.centre(centre_id)
            same = (abs(site.lat - c.lat) < 1e-9 and abs(site.lon - c.lon) < 1e-9
                    and tuple((_clock(a), _clock(b)) for a, b in site.opening) == c.opening)
            return site if same else None
    return None


def _old_as_sites(week: Week, scenario: Scenario) -> list[CentreSite]:
    from geo.centres import load_centres

    shipped = {c.id: c for c in load_centres()}
    out = []
    for c in week.centres:
        if c.id in shipped:
            out.append(replace(shipped[c.id], lat=c.lat, lon=c.lon, rooms=c.rooms))
    return out or list(scenario.centres)


def _outcome(week: Week, seed: int, schedule_assignments: Sequence[Assignment],
             unscheduled: int, cost: int, bound: int | None) -> WeekOutcome:
    convs = {c.id: c for c in week.convocations}
    end = week.week_start + timedelta(days=week.days - 1)
    due = [c for c in week.convocations if c.deadline <= end]
    done = {a.convocation: a for a in schedule_assignments}
    met = sum(1 for c in due if c.id in done and done[c.id].start.date() <= c.deadline)
    travel = np.array([a.travel_min for a in done.values() if a.centre != HOME], dtype=float)
    waits = [(a.start.date() - max(convs[a.convocation].release, week.week_start)).days
             for a in done.values()]
    return WeekOutcome(
        seed=seed, convocations=len(week.convocations), scheduled=len(done),
        unscheduled=unscheduled, deadline_due=len(due), deadline_met=met,
        mean_travel_min=float(travel.mean()) if travel.size else math.nan,
        p90_travel_min=float(np.percentile(travel, 90)) if travel.size else math.nan,
        mean_wait_days=float(np.mean(waits)) if waits else math.nan, cost=cost,
        lower_bound=bound)


def schedule_aware(scenarios: Sequence[Scenario], demand: Demand, *, weeks: int = 3,
                   convocations: int = 300, seed: int = 1, time_limit: float = 20.0,
                   week_start: date | None = None, model: TravelModel | None = None,
                   on_week: Callable[[str, int], None] | None = None
                   ) -> list[ScheduleOutcome]:
    """Plan ``weeks`` demo weeks (seeds ``seed``, ``seed + 1``, ...) under every scenario.

    The same convocations and doctors go through :func:`scheduler.plan.plan_week` under
    each scenario (adapted by :func:`adapt_week`), so the differences come from the centres
    alone.  ``on_week(scenario, k)`` is called after each planned week (progress)."""
    from scheduler.demo import demo_week, next_demo_monday
    from scheduler.plan import plan_week

    model = model or TravelModel.default()
    start = week_start or next_demo_monday(date(2027, 1, 4))
    doctors = max(1, round(convocations / 25))
    base_weeks = [demo_week(convocations, doctors, seed + k, week_start=start,
                            travel_model=model) for k in range(weeks)]
    out = []
    for scen in scenarios:
        results = []
        for k, week in enumerate(base_weeks):
            adapted = adapt_week(week, scen, demand, model)
            started = time.monotonic()
            plan = plan_week(adapted, time_limit=time_limit, workers=1,
                             instance=f"{scen.name} week {k + 1}")
            log.info("%s week %d planned in %.1f s", scen.name, k + 1,
                     time.monotonic() - started)
            s = plan.schedule
            results.append(_outcome(adapted, seed + k, s.assignments, len(s.unscheduled),
                                    s.cost, s.lower_bound))
            if on_week is not None:
                on_week(scen.name, k + 1)
        out.append(ScheduleOutcome(scen.name, tuple(results)))
    return out


# -- the whole what-if: evaluate, compare, schedule, report ------------------------------


def proposal_record(prop: Proposal) -> dict[str, object]:
    r = prop.result
    return {"scenario": prop.scenario.name, "method": prop.method,
            "capacitated": prop.capacitated, "kept": len(prop.kept),
            "status": r.status, "objective": r.objective, "bound": r.bound,
            "gap_pct": 100 * r.gap, "seconds": r.seconds,
            "sites": ", ".join(c.name for c in prop.chosen)}


def run_whatif(scenarios: Sequence[Scenario], demand: Demand, folder: Path, *,
               proposals: Sequence[Proposal] = (), load: LoadAssumptions | None = None,
               schedule_weeks: int = 0, schedule_convocations: int = 300,
               schedule_time_limit: float = 20.0, seed: int = 1,
               model: TravelModel | None = None,
               on_step: Callable[[str], None] | None = None) -> ReportFiles:
    """Evaluate every scenario (the first is the baseline), optionally plan demo weeks
    under each, and write the report, CSV and JSON into ``folder``."""
    model = model or TravelModel.default()
    step = on_step or (lambda _: None)
    metrics = []
    for scen in scenarios:
        metrics.append(evaluate(scen, demand, model, load))
        step(f"evaluated {scen.name}")
    comp = compare(metrics)
    schedule: list[dict[str, object]] = []
    if schedule_weeks > 0:
        outcomes = schedule_aware(scenarios, demand, weeks=schedule_weeks,
                                  convocations=schedule_convocations, seed=seed,
                                  time_limit=schedule_time_limit, model=model,
                                  on_week=lambda name, k: step(f"planned {name} week {k}"))
        for o in outcomes:
            schedule.append({"scenario": o.scenario, "weeks": len(o.weeks), **o.as_dict()})
    notes = [f"Load assumptions: {load or LoadAssumptions()}."]
    if schedule_weeks:
        notes.append(f"Schedule-aware: {schedule_weeks} demo week(s) of "
                     f"{schedule_convocations} convocations (seeds {seed}..."
                     f"{seed + schedule_weeks - 1}), the same patients and doctors under every "
                     "scenario; doctors follow their centre (scheduler.whatif.adapt_week).")
    files = write_report(comp, demand, folder, proposals=[proposal_record(p) for p in proposals],
                         schedule=schedule, notes=notes)
    step("report written")
    return files
