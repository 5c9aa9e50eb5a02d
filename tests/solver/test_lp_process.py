"""The centre LP in a child process gives what the LP here gives, and never blocks a solve."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from solver.columns import aggregate, build_columns
from solver.lp_bound import lp_bound
from solver.lp_process import BackgroundLp
from tests.solver.test_week_solver import random_problem


def _merged(seed: int):  # type: ignore[no-untyped-def]
    merged, _ = aggregate(random_problem(seed))
    return build_columns(merged)


@pytest.mark.parametrize("seed", range(4))
def test_the_child_gives_the_lp_of_this_process(seed: int) -> None:
    cols = _merged(seed)
    here = lp_bound(cols, time.monotonic() + 20)
    job = BackgroundLp(cols, time.monotonic() + 20)
    assert job.background
    there = job.result()
    assert job.ready()
    assert (there.bound, there.converged) == (here.bound, here.converged)
    assert there.value == pytest.approx(here.value)
    assert np.allclose(there.reduced, here.reduced)


def test_solved_here_when_asked() -> None:
    cols = _merged(1)
    job = BackgroundLp(cols, time.monotonic() + 20, in_process=True)
    assert not job.background and not job.ready()
    assert job.result().bound == lp_bound(cols, time.monotonic() + 20).bound


def test_solved_here_when_the_child_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    cols = _merged(2)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    job = BackgroundLp(cols, time.monotonic() + 20)
    assert not job.background
    assert job.result().bound == lp_bound(cols, time.monotonic() + 20).bound


def test_solved_here_when_the_child_dies() -> None:
    cols = _merged(3)
    job = BackgroundLp(cols, time.monotonic() + 20)
    assert job._child is not None
    job._child.kill()
    assert job.result().bound == lp_bound(cols, time.monotonic() + 20).bound


def test_a_stopped_child_is_gone() -> None:
    job = BackgroundLp(_merged(0), time.monotonic() + 60)
    child = job._child
    assert child is not None
    job.stop()
    assert child.poll() is not None


def test_a_stop_while_waiting_ends_the_child_without_a_result() -> None:
    job = BackgroundLp(_merged(0), time.monotonic() + 60)
    child = job._child
    assert child is not None
    assert job.result(lambda: True) is None
    assert child.poll() is not None
