"""The planners' KPI panel, computed from a week and a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduler.domain import HOME, Schedule, Week


@dataclass(frozen=True)
class Kpis:
    convocations: int
    scheduled: int
    deadlines_met: int
    mean_travel_min: float | None
    p90_travel_min: int | None
    utilisation: float | None
    """Exam minutes over session minutes, all doctors of the week."""
    home_visits: int
    unscheduled: int


def kpis(week: Week, schedule: Schedule, deadlines: dict[str, date] | None = None) -> Kpis:
    """``deadlines``: the real deadline of each convocation (the week may extend overdue
    ones to its last day); the week's own deadlines are used for the others."""
    convs = {c.id: c for c in week.convocations}
    due = {c.id: c.deadline for c in week.convocations} | (deadlines or {})
    assigned = [a for a in schedule.assignments if a.convocation in convs]
    travel = sorted(a.travel_min for a in assigned if a.centre != HOME)
    session_min = sum((s.end.hour * 60 + s.end.minute) - (s.start.hour * 60 + s.start.minute)
                      for d in week.doctors for s in d.sessions)
    exam_min = sum(convs[a.convocation].duration_min for a in assigned)
    return Kpis(
        convocations=len(convs), scheduled=len(assigned),
        deadlines_met=sum(1 for a in assigned if a.start.date() <= due[a.convocation]),
        mean_travel_min=round(sum(travel) / len(travel), 1) if travel else None,
        p90_travel_min=travel[int(0.9 * (len(travel) - 1))] if travel else None,
        utilisation=round(exam_min / session_min, 3) if session_min else None,
        home_visits=sum(1 for a in assigned if a.centre == HOME),
        unscheduled=len(convs) - len(assigned))
