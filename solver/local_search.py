"""Improving a feasible schedule by moves that keep every rule (on a :class:`Timeline`).

* *relocate*: take an exam out and put it back where it is cheapest now;
* *eject*: to bring an exam to a cheaper segment that is full, take out one exam there that
  can go elsewhere for less than the saving, and re-insert it.

Every move is tried on the timeline itself, which accepts only legal placements; a move
that does not lower the cost is undone, so the schedule stays feasible throughout.
"""

from __future__ import annotations

import logging
import time

from solver.stopping import ShouldStop
from solver.timeline import Timeline
from solver.week_model import Placement

log = logging.getLogger(__name__)


def _undo(line: Timeline, moved: dict[int, Placement | None]) -> None:
    for t in moved:
        if t in line.placed:
            line.remove(t)
    for t, where in moved.items():
        if where is not None:
            line.place(t, where.segment, where.start)


def _current(line: Timeline, t: int) -> int:
    where = line.placed.get(t)
    if where is None:
        return line.p.unscheduled_cost
    return line.cost(t, where.segment, where.start)


def relocate(line: Timeline, t: int) -> int:
    """Move ``t`` to its cheapest legal place now; returns the saving (0: unchanged)."""
    spec = line.p.tasks[t]
    if spec.fixed is not None or not spec.options:
        return 0
    before = _current(line, t)
    old = line.placed.get(t)
    if old is not None:
        line.remove(t)
    found = line.best_insertion(t, below=before)
    if found is not None and found[0] < before:
        line.place(t, found[1], found[2])
        return before - found[0]
    if old is not None:
        line.place(t, old.segment, old.start)
    return 0


def eject(line: Timeline, t: int, tries: int = 6) -> int:
    """Bring ``t`` to a cheaper segment by moving one exam out of it; the saving or 0."""
    p = line.p
    spec = p.tasks[t]
    if spec.fixed is not None or not spec.options:
        return 0
    before = _current(line, t)
    old = line.placed.get(t)
    for option in line.by_cost[t]:
        floor = option.cost - (spec.pref_bonus if option.windows else 0)
        if floor >= before:
            break
        s = option.segment
        short = spec.duration - line.free[s]
        # only an exam at least as long as what is missing can make room
        candidates = sorted((b for b in line.busy[s] if b[1] - b[0] >= short),
                            key=lambda b: b[1] - b[0])
        for _, _, u in candidates[:tries]:
            if u == t or p.tasks[u].fixed is not None:
                continue
            moved: dict[int, Placement | None] = {t: old, u: line.placed[u]}
            cost_u = _current(line, u)
            line.remove(u)
            if old is not None:
                line.remove(t)
            at = line.earliest(t, option.segment)
            if at is None:
                _undo(line, moved)
                continue
            line.place(t, option.segment, at)
            gain = before - line.cost(t, option.segment, at)
            found = line.best_insertion(u, below=cost_u + gain)
            new_u = p.unscheduled_cost if found is None else found[0]
            if found is not None and new_u - cost_u < gain:
                line.place(u, found[1], found[2])
                return gain - (new_u - cost_u)
            _undo(line, moved)
    return 0


def improve(line: Timeline, deadline: float, should_stop: ShouldStop | None = None) -> int:
    """Relocate and eject moves until none helps, ``deadline`` or ``should_stop()``;
    returns the saving."""
    p = line.p
    saved = 0

    def over() -> bool:
        return time.monotonic() >= deadline or (should_stop is not None and should_stop())

    while not over():
        gained = 0

        def slack(t: int) -> int:
            spec = p.tasks[t]
            cheapest = min((o.cost - (spec.pref_bonus if o.windows else 0)
                            for o in spec.options), default=p.unscheduled_cost)
            return _current(line, t) - cheapest

        order = sorted((t for t in range(len(p.tasks)) if p.tasks[t].options
                        and p.tasks[t].fixed is None), key=lambda t: -slack(t))
        for t in order:
            if over():
                break
            if slack(t) <= 0:
                break
            g = relocate(line, t) or eject(line, t)
            gained += g
        saved += gained
        log.info("local search: %d saved this pass", gained)
        if not gained:
            break
    return saved
