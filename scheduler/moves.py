"""A planner moves one appointment by hand: the same hard rules as the planner's.

:func:`check_move` puts the moved exam into the schedule of its week and runs the
independent checker (:func:`scheduler.validate.check_schedule`); the move is refused when
it breaks a rule that held before, and the refusal names the rule (``language``,
``rooms``, ``doctor-overlap``, ``inside-session``, ``date-window``...) in a sentence.
Problems that were there before the move are not blamed on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scheduler.domain import Assignment, Schedule, Week
from scheduler.validate import CostBreakdown, Violation, check_schedule


@dataclass(frozen=True)
class MoveVerdict:
    violations: tuple[Violation, ...]
    """The hard rules the move would break."""
    cost_before: CostBreakdown
    cost_after: CostBreakdown

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def rule(self) -> str | None:
        return self.violations[0].rule if self.violations else None

    def refusal(self) -> str:
        if not self.violations:
            return ""
        first = self.violations[0]
        more = len(self.violations) - 1
        tail = f" (and {more} more rule{'s' if more != 1 else ''} broken)" if more else ""
        return f"refused by rule {first.rule}: {first.message}{tail}"


def with_move(schedule: Schedule, moved: Assignment) -> Schedule:
    """``schedule`` with ``moved`` replacing the convocation's assignment (or unscheduled)."""
    others = tuple(a for a in schedule.assignments if a.convocation != moved.convocation)
    left = tuple(u for u in schedule.unscheduled if u.convocation != moved.convocation)
    return replace(schedule, assignments=(*others, moved), unscheduled=left)


def check_move(week: Week, schedule: Schedule, moved: Assignment) -> MoveVerdict:
    """The rules that moving ``moved.convocation`` to ``moved`` would break."""
    before = check_schedule(week, schedule)
    known = {(v.rule, v.convocation, v.message) for v in before.violations}
    after = check_schedule(week, with_move(schedule, moved))
    new = tuple(v for v in after.violations if (v.rule, v.convocation, v.message) not in known)
    return MoveVerdict(new, before.cost, after.cost)
