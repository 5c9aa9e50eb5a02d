"""The assignment relaxation as columns and rows, for the LP bound and the CP-SAT model.

A *column* is one way to serve a task: (task, segment, inside a preferred window or not),
or leaving it unscheduled (segment -1).  The relaxation keeps the cost exactly:

    minimise   sum_j cost_j x_j
    subject to sum_{j of t} x_j = 1                           every task t
               sum_j d5_j x_j <= ceil5(len_s)                 every centre segment s
               sum_j (d_j + leg_in_j) x_j <= len_s            every home segment s
               sum_j x_j <= max exams                         every doctor-day
               sum_j d_j x_j <= rooms_c (b - a)               centre-day spans [a, b]
               sum_j d_j x_j <= |W|     (window columns)      every segment window W
               x_j in {0, 1}

``d5`` is the duration rounded up to the 5-minute grid, ``leg_in`` the shortest driving leg
into the patient, and a window column must lie inside one of its windows.  Every real
schedule satisfies these rows with the same cost, so a bound of this model (its LP
optimum over *all* columns, see :mod:`solver.lp_bound`) is a lower bound of the weekly
problem.  Rows that can never bind are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from solver.week_model import GRID, Option, SegmentSpec, TaskSpec, WeekProblem


def _ceil_grid(minutes: int) -> int:
    return -(-minutes // GRID) * GRID


@dataclass
class Columns:
    task: np.ndarray
    """Per column: its task."""
    segment: np.ndarray
    """Per column: its segment, or -1 for "unscheduled"."""
    window: np.ndarray
    """Per column: 1 when it must lie inside a preferred window."""
    cost: np.ndarray
    rows: sp.csr_matrix
    """Inequality rows x columns."""
    rhs: np.ndarray
    fixed: np.ndarray
    """Per task: the column a planner fixed, or -1."""
    first: np.ndarray
    """Per task: index of its first column (columns of a task are contiguous)."""

    @property
    def size(self) -> int:
        return len(self.cost)

    def of_task(self, t: int) -> range:
        return range(int(self.first[t]), int(self.first[t + 1]))


def build_columns(problem: WeekProblem) -> Columns:
    p = problem
    task_l: list[int] = []
    seg_l: list[int] = []
    win_l: list[int] = []
    cost_l: list[int] = []
    first = [0]
    fixed = np.full(len(p.tasks), -1, dtype=np.int64)
    for t, spec in enumerate(p.tasks):
        if spec.fixed is not None:
            seg, start = spec.fixed
            option = next(o for o in spec.options if o.segment == seg)
            inside = any(a <= start and start + spec.duration <= b for a, b in option.windows)
            fixed[t] = len(cost_l)
            task_l.append(t)
            seg_l.append(seg)
            win_l.append(int(inside and spec.pref_bonus > 0))
            cost_l.append(option.cost - (spec.pref_bonus if inside else 0))
            first.append(len(cost_l))
            continue
        for option in spec.options:
            task_l.append(t)
            seg_l.append(option.segment)
            win_l.append(0)
            cost_l.append(option.cost)
            if option.windows and spec.pref_bonus:
                task_l.append(t)
                seg_l.append(option.segment)
                win_l.append(1)
                cost_l.append(option.cost - spec.pref_bonus)
        task_l.append(t)
        seg_l.append(-1)
        win_l.append(0)
        cost_l.append(p.unscheduled_cost)
        first.append(len(cost_l))
    task = np.array(task_l, dtype=np.int64)
    segment = np.array(seg_l, dtype=np.int64)
    window = np.array(win_l, dtype=np.int8)
    cost = np.array(cost_l, dtype=np.int64)
    rows, rhs = _rows(p, task, segment, window)
    return Columns(task, segment, window, cost, rows, rhs, fixed, np.array(first))


def _rows(p: WeekProblem, task: np.ndarray, segment: np.ndarray, window: np.ndarray
          ) -> tuple[sp.csr_matrix, np.ndarray]:
    r_idx: list[np.ndarray] = []
    c_idx: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[int] = []
    duration = np.array([t.duration for t in p.tasks], dtype=np.int64)
    served = np.flatnonzero(segment >= 0)
    by_segment: dict[int, np.ndarray] = {}
    order = served[np.argsort(segment[served], kind="stable")]
    if len(order):
        cuts = np.flatnonzero(np.diff(segment[order])) + 1
        for chunk in np.split(order, cuts):
            by_segment[int(segment[chunk[0]])] = chunk

    def add(cols: np.ndarray, coef: np.ndarray, bound: int) -> None:
        if len(cols) and int(coef.sum()) > bound:
            r_idx.append(np.full(len(cols), len(rhs)))
            c_idx.append(cols)
            vals.append(coef)
            rhs.append(bound)

    d5 = -(-duration // GRID) * GRID
    for s, cols in by_segment.items():
        seg = p.segments[s]
        length = seg.end - seg.start
        if seg.copies > 1:
            add(cols, d5[task[cols]], seg.copies * _ceil_grid(length))
        elif seg.is_home:
            tasks = sorted({int(t) for t in task[cols]})
            leg_in = {t: min([p.home_from_base.get((s, t), 0)]
                             + [p.home_leg.get((o, t), 0) for o in tasks if o != t])
                      for t in tasks}
            coef = np.array([duration[task[j]] + leg_in[int(task[j])] for j in cols])
            add(cols, coef, length)
        else:
            add(cols, d5[task[cols]], _ceil_grid(length))
    per_day: dict[int, list[np.ndarray]] = defaultdict(list)
    for s, cols in by_segment.items():
        per_day[p.segments[s].doctor_day].append(cols)
    for day, parts in per_day.items():
        cols = np.concatenate(parts)
        add(cols, np.ones(len(cols), dtype=np.int64), p.day_limit[day])
    by_place: dict[tuple[int, int], list[int]] = defaultdict(list)
    for s, seg in enumerate(p.segments):
        if not seg.is_home and s in by_segment:
            by_place[seg.centre, seg.day].append(s)
    for (centre, _), segs in by_place.items():
        rooms = p.rooms[centre]
        if sum(p.segments[s].copies for s in segs) <= rooms:
            continue
        points = sorted({p.segments[s].start for s in segs} | {p.segments[s].end for s in segs})
        for i, a in enumerate(points):
            for b in points[i + 1:]:
                inside = [s for s in segs if a <= p.segments[s].start and p.segments[s].end <= b]
                if sum(p.segments[s].copies for s in inside) > rooms:
                    cols = np.concatenate([by_segment[s] for s in inside])
                    add(cols, duration[task[cols]], rooms * (b - a))
    for s, cols in by_segment.items():
        wcols = cols[window[cols] == 1]
        if not len(wcols):
            continue
        spans = {int(j): next(o.windows for o in p.tasks[task[j]].options if o.segment == s)
                 for j in wcols}
        for w in {w for ws in spans.values() for w in ws}:
            inside_w = np.array([j for j in wcols
                                 if all(w[0] <= a and b <= w[1] for a, b in spans[int(j)])],
                                dtype=np.int64)
            add(inside_w, duration[task[inside_w]], p.segments[s].copies * (w[1] - w[0]))
    n_rows = len(rhs)
    if n_rows:
        matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(r_idx),
                                                       np.concatenate(c_idx))),
                               shape=(n_rows, len(task)))
    else:
        matrix = sp.csr_matrix((0, len(task)))
    return matrix, np.array(rhs, dtype=np.int64)


def aggregate(problem: WeekProblem) -> tuple[WeekProblem, np.ndarray]:
    """Merge interchangeable centre segments into one with ``copies``: a smaller relaxation.

    Segments at the same centre, day and hours whose doctors speak the same languages and
    have the same specialties serve the same tasks at the same cost, so a task's options
    collapse onto their class.  Capacities add up; the doctor-day limits are dropped.
    Every schedule maps onto the merged problem with the same cost, so its LP bound is
    still a lower bound.  Returns the merged problem and the class of every segment.
    """
    p = problem
    served_by: dict[int, set[int]] = defaultdict(set)
    for t, spec in enumerate(p.tasks):
        for option in spec.options:
            served_by[option.segment].add(t)
    keys: dict[tuple[object, ...], int] = {}
    class_of = np.empty(len(p.segments), dtype=np.int64)
    members: list[list[int]] = []
    for s, seg in enumerate(p.segments):
        if seg.is_home:
            key: tuple[object, ...] = ("home", s)
        else:
            key = (seg.centre, seg.day, seg.start, seg.end, frozenset(served_by.get(s, ())))
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        class_of[s] = keys[key]
        members[keys[key]].append(s)
    segments = []
    for k, segs in enumerate(members):
        seg = p.segments[segs[0]]
        segments.append(SegmentSpec(seg.doctor, seg.day, seg.start, seg.end, seg.centre,
                                    doctor_day=k, copies=len(segs)))
    limits = []
    for segs in members:
        seg = p.segments[segs[0]]
        limits.append(p.day_limit[seg.doctor_day] if len(segs) == 1 and seg.is_home
                      else 10**6)
    tasks = []
    for spec in p.tasks:
        seen: dict[int, Option] = {}
        for option in spec.options:
            k = int(class_of[option.segment])
            if k not in seen or option.cost < seen[k].cost:
                seen[k] = Option(k, option.cost, option.windows)
        fixed = None if spec.fixed is None else (int(class_of[spec.fixed[0]]), spec.fixed[1])
        tasks.append(TaskSpec(spec.duration, tuple(seen.values()), spec.pref_bonus, fixed))
    home_from_base = {(int(class_of[s]), t): m for (s, t), m in p.home_from_base.items()}
    merged = WeekProblem(tuple(segments), tuple(tasks), p.rooms, tuple(limits),
                         p.unscheduled_cost, home_from_base, p.home_leg)
    return merged, class_of


def project(cols: Columns, merged: Columns, class_of: np.ndarray) -> np.ndarray:
    """For every column of the real problem, the matching column of the merged one."""
    n_classes = int(class_of.max()) + 2 if len(class_of) else 2

    def keys(task: np.ndarray, cls: np.ndarray, window: np.ndarray) -> np.ndarray:
        return (task * n_classes + cls + 1) * 2 + window

    real_class = np.where(cols.segment >= 0, class_of[np.maximum(cols.segment, 0)], -1)
    merged_keys = keys(merged.task, merged.segment, merged.window.astype(np.int64))
    order = np.argsort(merged_keys)
    wanted = keys(cols.task, real_class, cols.window.astype(np.int64))
    pos = np.searchsorted(merged_keys[order], wanted)
    return order[np.minimum(pos, len(order) - 1)]
