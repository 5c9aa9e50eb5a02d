"""The weekly planning problem in integers, as the solvers see it.

Built by :mod:`scheduler.plan` from the domain.  Times are minutes after midnight of a
segment's day; a *segment* is one stretch of a doctor's session inside one opening interval
of its centre (a home round is one segment).  A *task* is a convocation; its *options* are
the segments that may legally serve it by every rule that does not depend on the other
tasks (language, specialty, dates, travel, length), each with its cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

HOME_CENTRE = -1
GRID = 5


@dataclass(frozen=True)
class SegmentSpec:
    doctor: int
    day: int
    """Day index in the planning horizon."""
    start: int
    """First possible start, on the grid (minutes after midnight)."""
    end: int
    """Latest possible end."""
    centre: int
    """Index into ``WeekProblem.rooms``, or ``HOME_CENTRE`` for a home round."""
    doctor_day: int
    """Index into ``WeekProblem.day_limit``: the doctor's exams that day."""
    copies: int = 1
    """In an aggregated problem: how many identical segments this one stands for."""

    @property
    def is_home(self) -> bool:
        return self.centre == HOME_CENTRE


class Option(NamedTuple):
    """A segment that may serve a task (a tuple: there are hundreds of thousands)."""

    segment: int
    cost: int
    """Cost of serving the task in this segment, outside its preferred windows."""
    windows: tuple[tuple[int, int], ...] = ()
    """Preferred windows clipped to the segment, each long enough for the exam."""


@dataclass(frozen=True)
class TaskSpec:
    duration: int
    options: tuple[Option, ...]
    pref_bonus: int = 0
    """Cost saved when the exam lies inside one of its preferred windows."""
    fixed: tuple[int, int] | None = None
    """(segment, start) a planner fixed: kept exactly."""
    previous: tuple[int, int] | None = None
    """(segment, start) of a published appointment being re-planned."""
    move_penalty: int = 0
    """Cost of starting elsewhere than ``previous`` within its segment (the cost of another
    segment is already in the options' costs)."""


@dataclass(frozen=True)
class WeekProblem:
    segments: tuple[SegmentSpec, ...]
    tasks: tuple[TaskSpec, ...]
    rooms: tuple[int, ...]
    day_limit: tuple[int, ...]
    unscheduled_cost: int
    home_from_base: dict[tuple[int, int], int] = field(default_factory=dict)
    """(segment, task) -> driving minutes from the round's base centre to the patient."""
    home_leg: dict[tuple[int, int], int] = field(default_factory=dict)
    """(task, task) -> driving minutes between two patients (both orders present)."""


@dataclass(frozen=True)
class Placement:
    segment: int
    start: int


@dataclass(frozen=True)
class Progress:
    elapsed: float
    cost: int
    bound: int | None


@dataclass(frozen=True)
class WeekSolution:
    placements: tuple[Placement | None, ...]
    """Per task: where and when, or ``None`` when unscheduled."""
    cost: int
    lower_bound: int | None
    optimal: bool
    first_feasible_seconds: float
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)
