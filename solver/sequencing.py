"""Start times for a given assignment, one centre-day (or home round) at a time (CP-SAT).

Given which tasks each segment serves, a *group* is all segments of one centre on one day
(they share the rooms) or one home round.  Groups are independent: a doctor's segments on
one day never overlap, and the doctor-day limits are already met by the assignment.  Each
group is solved exactly: intervals on the 5-minute grid, no overlap per segment,
a cumulative for the rooms, driving legs in home rounds; it maximises the exams inside
their preferred windows and, if the assignment does not fit, drops as few exams as possible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.week_model import GRID, WeekProblem


@dataclass(frozen=True)
class GroupResult:
    starts: dict[int, tuple[int, int]]
    """task -> (segment, start) for the tasks placed."""
    dropped: tuple[int, ...]


def groups(problem: WeekProblem, chosen: dict[int, tuple[int, bool]]) -> list[list[int]]:
    """Tasks of the assignment grouped by centre-day, or by home round."""
    by_key: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for t, (s, _) in chosen.items():
        seg = problem.segments[s]
        key = (seg.centre, seg.day, s if seg.is_home else -1)
        by_key[key].append(t)
    return [sorted(ts) for _, ts in sorted(by_key.items())]


def _sequential(problem: WeekProblem, tasks: list[int],
                chosen: dict[int, tuple[int, bool]]) -> GroupResult | None:
    """Back-to-back packing, exact when rooms cannot bind and no task has a window."""
    by_seg: dict[int, list[int]] = defaultdict(list)
    for t in tasks:
        by_seg[chosen[t][0]].append(t)
    starts: dict[int, tuple[int, int]] = {}
    for s, ts in by_seg.items():
        seg = problem.segments[s]
        now = seg.start
        for t in sorted(ts, key=lambda t: -problem.tasks[t].duration):
            now = -(-now // GRID) * GRID
            if now + problem.tasks[t].duration > seg.end:
                return None
            starts[t] = (s, now)
            now += problem.tasks[t].duration
    return GroupResult(starts, ())


def _needs_model(problem: WeekProblem, tasks: list[int],
                 chosen: dict[int, tuple[int, bool]]) -> bool:
    segs = {chosen[t][0] for t in tasks}
    first = problem.segments[next(iter(segs))]
    if first.is_home:
        return True
    if any(problem.tasks[t].fixed is not None for t in tasks):
        return True
    for t in tasks:
        spec = problem.tasks[t]
        if spec.pref_bonus and any(o.windows for o in spec.options if o.segment == chosen[t][0]):
            return True
        if spec.previous is not None and spec.previous[0] == chosen[t][0]:
            return True
    spans = sorted((problem.segments[s].start, problem.segments[s].end) for s in segs)
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak > problem.rooms[first.centre]


def _list_schedule(problem: WeekProblem, tasks: list[int],
                   chosen: dict[int, tuple[int, bool]]) -> dict[int, tuple[int, int]]:
    """Greedy start times for a centre-day: the least advanced doctor takes their longest
    exam that still fits, at the first moment a room is free.  Fixed exams first."""
    first = problem.segments[chosen[tasks[0]][0]]
    rooms = problem.rooms[first.centre]
    use = [0] * (24 * 60 // GRID + 1)
    starts: dict[int, tuple[int, int]] = {}
    queues: dict[int, list[int]] = defaultdict(list)
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)

    def take(t: int, s: int, at: int) -> None:
        d = problem.tasks[t].duration
        for k in range(at // GRID, -(-(at + d) // GRID)):
            use[k] += 1
        busy[s].append((at, at + d))
        starts[t] = (s, at)

    for t in tasks:
        spec = problem.tasks[t]
        if spec.fixed is not None:
            take(t, spec.fixed[0], spec.fixed[1])
        else:
            queues[chosen[t][0]].append(t)
    now = {s: problem.segments[s].start for s in queues}
    for s in queues:
        queues[s].sort(key=lambda t: -problem.tasks[t].duration)
    while queues:
        s = min(queues, key=lambda s: now[s])
        seg = problem.segments[s]
        placed = False
        for t in queues[s]:
            d = problem.tasks[t].duration
            at = -(-now[s] // GRID) * GRID
            while at + d <= seg.end:
                clash = next(((a, b) for a, b in busy[s] if a < at + d and at < b), None)
                if clash is not None:
                    at = -(-clash[1] // GRID) * GRID
                    continue
                full = [k for k in range(at // GRID, -(-(at + d) // GRID)) if use[k] >= rooms]
                if not full:
                    break
                at = (full[-1] + 1) * GRID
            if at + d <= seg.end:
                take(t, s, at)
                queues[s].remove(t)
                now[s] = at + d
                placed = True
                break
        if not placed or not queues[s]:
            if not placed:
                now[s] = seg.end
            if not queues[s] or now[s] >= seg.end:
                del queues[s]
    return starts


def sequence_group(problem: WeekProblem, tasks: list[int], chosen: dict[int, tuple[int, bool]],
                   time_limit: float = 5.0) -> GroupResult:
    if not _needs_model(problem, tasks, chosen):
        packed = _sequential(problem, tasks, chosen)
        if packed is not None:
            return packed
    greedy: dict[int, tuple[int, int]] = {}
    if not problem.segments[chosen[tasks[0]][0]].is_home:
        greedy = _list_schedule(problem, tasks, chosen)
        simple = all(problem.tasks[t].previous is None and not problem.tasks[t].pref_bonus
                     for t in tasks)
        if len(greedy) == len(tasks) and simple:
            return GroupResult(greedy, ())
    m = cp_model.CpModel()
    start_var: dict[int, cp_model.IntVar] = {}
    present: dict[int, cp_model.IntVar] = {}
    intervals: dict[int, cp_model.IntervalVar] = {}
    objective: list[cp_model.LinearExprT] = []
    drop_cost = problem.unscheduled_cost + sum(
        problem.tasks[t].pref_bonus + problem.tasks[t].move_penalty for t in tasks) + 1
    for t in tasks:
        s = chosen[t][0]
        seg, spec = problem.segments[s], problem.tasks[t]
        if spec.fixed is not None:
            k = m.new_constant(spec.fixed[1] // GRID)
            pres = m.new_constant(1)
        else:
            lo = -(-seg.start // GRID)
            hi = (seg.end - spec.duration) // GRID
            k = m.new_int_var(lo, max(lo, hi), f"k{t}")
            pres = m.new_bool_var(f"in{t}")
            if hi < lo:
                m.add(pres == 0)
            objective.append(drop_cost * (1 - pres))
        start = m.new_int_var(0, 24 * 60, f"s{t}")
        m.add(start == GRID * k)
        start_var[t], present[t] = start, pres
        intervals[t] = m.new_optional_fixed_size_interval_var(start, spec.duration, pres, f"i{t}")
        option = next(o for o in spec.options if o.segment == s)
        if option.windows and spec.pref_bonus:
            objective.append(-spec.pref_bonus * in_a_window(m, start, spec.duration,
                                                            option.windows, pres))
        if spec.previous is not None and spec.previous[0] == s and spec.move_penalty:
            stays = m.new_bool_var(f"stays{t}")
            m.add(start == spec.previous[1]).only_enforce_if(stays)
            objective.append(spec.move_penalty * (1 - stays))
    by_seg: dict[int, list[int]] = defaultdict(list)
    for t in tasks:
        by_seg[chosen[t][0]].append(t)
    for s, ts in by_seg.items():
        seg = problem.segments[s]
        if seg.is_home:
            _home_round(m, problem, s, ts, start_var, present)
        else:
            m.add_no_overlap([intervals[t] for t in ts])
    first = problem.segments[chosen[tasks[0]][0]]
    if not first.is_home and len(by_seg) > problem.rooms[first.centre]:
        m.add_cumulative([intervals[t] for t in tasks], [1] * len(tasks),
                         problem.rooms[first.centre])
    m.minimize(sum(objective))
    for t in tasks:
        if problem.tasks[t].fixed is None:
            m.add_hint(present[t], t in greedy)
            if t in greedy:
                m.add_hint(start_var[t], greedy[t][1])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return GroupResult(greedy, tuple(t for t in tasks if t not in greedy))
    starts = {t: (chosen[t][0], solver.value(start_var[t])) for t in tasks
              if solver.boolean_value(present[t])}
    return GroupResult(starts, tuple(t for t in tasks if t not in starts))


def in_a_window(m: cp_model.CpModel, start: cp_model.IntVar, duration: int,
                windows: tuple[tuple[int, int], ...], present: cp_model.IntVar
                ) -> cp_model.IntVar:
    """A literal that may be true only when the exam ``[start, start + duration]`` lies
    inside one of ``windows`` (and takes place): maximised, it rewards a preference met."""
    hits = []
    for a, b in windows:
        hit = m.new_bool_var("")
        m.add(start >= a).only_enforce_if(hit)
        m.add(start + duration <= b).only_enforce_if(hit)
        m.add_implication(hit, present)
        hits.append(hit)
    inside = m.new_bool_var("")
    m.add_bool_or(hits).only_enforce_if(inside)
    return inside


def _home_round(m: cp_model.CpModel, problem: WeekProblem, s: int, ts: list[int],
                start_var: dict[int, cp_model.IntVar], present: dict[int, cp_model.IntVar]) -> None:
    seg = problem.segments[s]
    for t in ts:
        leg = problem.home_from_base.get((s, t), 0)
        m.add(start_var[t] >= seg.start + leg).only_enforce_if(present[t])
    for i, a in enumerate(ts):
        for b in ts[i + 1:]:
            first = m.new_bool_var(f"o{a}_{b}")
            da, db = problem.tasks[a].duration, problem.tasks[b].duration
            m.add(start_var[b] >= start_var[a] + da + problem.home_leg.get((a, b), 0)) \
                .only_enforce_if([first, present[a], present[b]])
            m.add(start_var[a] >= start_var[b] + db + problem.home_leg.get((b, a), 0)) \
                .only_enforce_if([first.Not(), present[a], present[b]])
