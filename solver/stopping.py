"""Stopping a solve early, on the caller's word."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from ortools.sat.python import cp_model

ShouldStop = Callable[[], bool]
POLL_SECONDS = 0.2


@contextlib.contextmanager
def stop_when(solver: cp_model.CpSolver, should_stop: ShouldStop | None) -> Iterator[None]:
    """While inside, a thread asks ``should_stop`` a few times a second and, when it says
    so, ends the CP-SAT search (which then returns its best solution so far)."""
    if should_stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(POLL_SECONDS):
            if should_stop():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, name="cp-sat-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
