"""The local search: its moves keep every rule and never raise the cost."""

from __future__ import annotations

import time

import pytest

from solver.local_search import improve
from solver.timeline import construct, timeline_cost
from solver.week_model import WeekSolution
from tests.solver.test_week_solver import random_problem, verify


@pytest.mark.parametrize("seed", range(40))
def test_moves_keep_the_rules_and_lower_the_cost(seed: int) -> None:
    p = random_problem(seed)
    line = construct(p, order=list(range(len(p.tasks)))[::-1])
    before = timeline_cost(line)
    saved = improve(line, time.monotonic() + 5)
    after = timeline_cost(line)
    assert after == before - saved <= before
    placements = tuple(line.placed.get(t) for t in range(len(p.tasks)))
    verify(p, WeekSolution(placements, after, None, False, 0.0, 0.0))
