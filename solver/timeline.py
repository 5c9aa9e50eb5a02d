"""Occupancy of segments, doctor-days and centre rooms while exams are placed one by one.

Used by the constructive start and by the repair step; every placement it accepts satisfies
the hard rules (no overlap in a segment, day limits, rooms at every moment, home legs).
"""

from __future__ import annotations

import bisect

from solver.week_model import GRID, Placement, TaskSpec, WeekProblem

SLOTS = 24 * 60 // GRID


class Timeline:
    def __init__(self, problem: WeekProblem):
        self.p = problem
        self.busy: list[list[tuple[int, int, int]]] = [[] for _ in problem.segments]
        """Per segment: sorted (start, end, task)."""
        self.day_count = [0] * len(problem.day_limit)
        self.rooms: dict[tuple[int, int], list[int]] = {}
        self.placed: dict[int, Placement] = {}
        self.by_cost = [sorted(t.options, key=lambda o: o.cost) for t in problem.tasks]
        self.free = [seg.end - seg.start for seg in problem.segments]
        """Per segment: minutes not yet taken (an upper bound of the room left)."""

    def _room_use(self, centre: int, day: int) -> list[int]:
        key = (centre, day)
        use = self.rooms.get(key)
        if use is None:
            use = [0] * (SLOTS + 1)
            self.rooms[key] = use
        return use

    def cost(self, task: int, segment: int, start: int) -> int:
        spec = self.p.tasks[task]
        for option in spec.options:
            if option.segment == segment:
                end = start + spec.duration
                inside = any(a <= start and end <= b for a, b in option.windows)
                moved = spec.previous is not None and spec.previous[0] == segment \
                    and spec.previous[1] != start
                return option.cost - (spec.pref_bonus if inside else 0) + (
                    spec.move_penalty if moved else 0)
        raise ValueError(f"task {task} has no option in segment {segment}")

    def _leg(self, segment: int, before: int | None, task: int) -> int:
        if before is None:
            return self.p.home_from_base.get((segment, task), 0)
        return self.p.home_leg.get((before, task), 0)

    def fits(self, task: int, segment: int, start: int) -> bool:
        """Whether ``task`` may start at ``start`` in ``segment`` given what is placed."""
        p, spec = self.p, self.p.tasks[task]
        seg = p.segments[segment]
        end = start + spec.duration
        if start < seg.start or end > seg.end or start % GRID:
            return False
        if self.day_count[seg.doctor_day] >= p.day_limit[seg.doctor_day]:
            return False
        busy = self.busy[segment]
        i = bisect.bisect_left(busy, (start, -1, -1))
        if seg.is_home:
            prev = busy[i - 1] if i > 0 else None
            nxt = busy[i] if i < len(busy) else None
            ready = (prev[1] if prev else seg.start) + self._leg(segment, prev[2] if prev else None,
                                                                  task)
            if start < ready:
                return False
            return not (nxt and end + self._leg(segment, task, nxt[2]) > nxt[0])
        if i > 0 and busy[i - 1][1] > start:
            return False
        if i < len(busy) and busy[i][0] < end:
            return False
        use = self._room_use(seg.centre, seg.day)
        rooms = p.rooms[seg.centre]
        return all(use[k] < rooms for k in range(start // GRID, -(-end // GRID)))

    def earliest(self, task: int, segment: int,
                 within: tuple[int, int] | None = None) -> int | None:
        """The earliest feasible start in ``segment`` (inside ``within`` if given)."""
        p, spec = self.p, self.p.tasks[task]
        seg = p.segments[segment]
        if self.day_count[seg.doctor_day] >= p.day_limit[seg.doctor_day]:
            return None
        if self.free[segment] < spec.duration:
            return None
        lo, hi = seg.start, seg.end
        if within is not None:
            lo, hi = max(lo, within[0]), min(hi, within[1])
        if seg.is_home:
            return self._earliest_home(task, segment, lo, hi)
        rooms = p.rooms[seg.centre]
        use = self._room_use(seg.centre, seg.day)
        gap_start = seg.start
        for a, b, _ in [*self.busy[segment], (seg.end, seg.end, -1)]:
            start = -(-max(gap_start, lo) // GRID) * GRID
            stop = min(a, hi)
            while start + spec.duration <= stop:
                blocked = [k for k in range(start // GRID, -(-(start + spec.duration) // GRID))
                           if use[k] >= rooms]
                if not blocked:
                    return start
                start = (blocked[-1] + 1) * GRID
            gap_start = max(gap_start, b)
            if gap_start >= hi:
                break
        return None

    def _earliest_home(self, task: int, segment: int, lo: int, hi: int) -> int | None:
        spec = self.p.tasks[task]
        start = -(-lo // GRID) * GRID
        while start + spec.duration <= hi:
            if self.fits(task, segment, start):
                return start
            start += GRID
        return None

    def place(self, task: int, segment: int, start: int) -> None:
        seg = self.p.segments[segment]
        spec: TaskSpec = self.p.tasks[task]
        bisect.insort(self.busy[segment], (start, start + spec.duration, task))
        self.day_count[seg.doctor_day] += 1
        self.free[segment] -= spec.duration
        if not seg.is_home:
            use = self._room_use(seg.centre, seg.day)
            for k in range(start // GRID, -(-(start + spec.duration) // GRID)):
                use[k] += 1
        self.placed[task] = Placement(segment, start)

    def remove(self, task: int) -> None:
        where = self.placed.pop(task)
        seg = self.p.segments[where.segment]
        spec = self.p.tasks[task]
        self.busy[where.segment].remove((where.start, where.start + spec.duration, task))
        self.day_count[seg.doctor_day] -= 1
        self.free[where.segment] += spec.duration
        if not seg.is_home:
            use = self._room_use(seg.centre, seg.day)
            for k in range(where.start // GRID, -(-(where.start + spec.duration) // GRID)):
                use[k] -= 1

    def best_insertion(self, task: int, below: int | None = None
                       ) -> tuple[int, int, int] | None:
        """Cheapest (cost, segment, start) at which ``task`` fits now, trying windows first;
        with ``below``, only places cheaper than that are looked for."""
        spec = self.p.tasks[task]
        best: tuple[int, int, int] | None = None
        if spec.previous is not None and self.fits(task, *spec.previous):
            seg, at = spec.previous
            best = (self.cost(task, seg, at), seg, at)
        for option in self.by_cost[task]:
            floor = option.cost - spec.pref_bonus if option.windows else option.cost
            if best is not None and floor >= best[0]:
                break
            if below is not None and floor >= below:
                break
            for window in option.windows:
                found = self.earliest(task, option.segment, window)
                if found is not None:
                    cand = (self.cost(task, option.segment, found), option.segment, found)
                    if best is None or cand < best:
                        best = cand
                    break
            if best is not None and best[0] <= option.cost:
                continue
            found = self.earliest(task, option.segment)
            if found is not None:
                cost = self.cost(task, option.segment, found)
                if best is None or (cost, option.segment, found) < best:
                    best = (cost, option.segment, found)
        return best


def construct(problem: WeekProblem, order: list[int] | None = None) -> Timeline:
    """A feasible schedule built greedily: fixed exams first, then the hardest to place."""
    line = Timeline(problem)
    for t, spec in enumerate(problem.tasks):
        if spec.fixed is not None:
            line.place(t, spec.fixed[0], spec.fixed[1])
    if order is None:
        free = [t for t, s in enumerate(problem.tasks) if s.fixed is None and s.options]
        order = sorted(free, key=lambda t: (len(problem.tasks[t].options),
                                            -problem.tasks[t].duration))
    for t in order:
        if t in line.placed:
            continue
        found = line.best_insertion(t)
        if found is not None:
            line.place(t, found[1], found[2])
    return line


def timeline_cost(line: Timeline) -> int:
    p = line.p
    total = 0
    for t in range(len(p.tasks)):
        where = line.placed.get(t)
        total += p.unscheduled_cost if where is None else line.cost(t, where.segment, where.start)
    return total


def guided(problem: WeekProblem, targets: dict[int, list[int]], order: list[int]) -> Timeline:
    """A schedule that follows a fractional plan: each task tries its target segments first.

    ``targets[t]`` lists the segments the LP would serve ``t`` in, best first; a task that
    fits none of them is placed where it is cheapest now."""
    line = Timeline(problem)
    for t, spec in enumerate(problem.tasks):
        if spec.fixed is not None:
            line.place(t, spec.fixed[0], spec.fixed[1])
    for t in order:
        if t in line.placed or not problem.tasks[t].options:
            continue
        spec = problem.tasks[t]
        placed = False
        windows = {o.segment: o.windows for o in spec.options}
        for s in targets.get(t, ()):
            for window in windows.get(s, ()):
                start = line.earliest(t, s, window)
                if start is not None:
                    line.place(t, s, start)
                    placed = True
                    break
            if placed:
                break
            start = line.earliest(t, s)
            if start is not None:
                line.place(t, s, start)
                placed = True
                break
        if not placed:
            found = line.best_insertion(t)
            if found is not None:
                line.place(t, found[1], found[2])
    return line
