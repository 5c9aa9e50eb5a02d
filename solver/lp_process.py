"""The centre LP in a process of its own, while this one searches on the other core.

HiGHS keeps the interpreter's lock while it solves, so a thread would not run the local
search meanwhile: the LP of :func:`solver.lp_bound.lp_bound` runs in a child interpreter
(``python -m solver.lp_process``) that reads the columns and the seconds it has on its
standard input and writes the :class:`solver.lp_bound.LpResult` back, both pickled.  The
child ends by its deadline, when its input closes (this process ended or gave up on it),
or when it is killed by :meth:`BackgroundLp.stop`.  If it cannot be started or fails, the
LP is solved here instead, so the bound never depends on the child.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

import numpy as np

from solver.columns import Columns
from solver.lp_bound import LpResult, lp_bound

log = logging.getLogger(__name__)
_LENGTH = struct.Struct("<Q")
POLL_SECONDS = 0.1


class BackgroundLp:
    """The LP bound of ``cols``, solved in a child process until ``deadline``."""

    def __init__(self, cols: Columns, deadline: float, seed_columns: np.ndarray | None = None,
                 *, in_process: bool = False):
        self.cols, self.deadline, self.seed = cols, deadline, seed_columns
        self._result: LpResult | None = None
        self._done = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        if in_process:
            return
        try:
            payload = pickle.dumps((cols, max(0.0, deadline - time.monotonic()), seed_columns),
                                   protocol=pickle.HIGHEST_PROTOCOL)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self._child = subprocess.Popen([sys.executable, "-m", "solver.lp_process"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           env=env)
            assert self._child.stdin is not None
            self._child.stdin.write(_LENGTH.pack(len(payload)) + payload)
            self._child.stdin.flush()
        except (OSError, pickle.PicklingError) as exc:
            log.info("LP child not started (%s): solved here", exc)
            self.stop()
            self._child = None
            return
        threading.Thread(target=self._read, name="lp-child", daemon=True).start()

    def _read(self) -> None:
        child = self._child
        assert child is not None and child.stdout is not None
        try:
            data = child.stdout.read()
            if len(data) >= _LENGTH.size:
                (n,) = _LENGTH.unpack(data[:_LENGTH.size])
                if len(data) == _LENGTH.size + n:
                    self._result = pickle.loads(data[_LENGTH.size:])
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            log.info("LP child failed: %s", exc)
        finally:
            self._done.set()

    @property
    def background(self) -> bool:
        """Whether the LP is being solved in a child process."""
        return self._child is not None

    def ready(self) -> bool:
        """Whether the child has answered (or ended); never true when solved here."""
        return self._child is not None and self._done.is_set()

    def result(self, should_stop: Callable[[], bool] | None = None) -> LpResult | None:
        """The LP result: the child's when it gave one, else solved here in what is left;
        None when ``should_stop()`` says so first."""
        if self._child is not None:
            give_up = max(0.0, self.deadline - time.monotonic()) + 5.0 + time.monotonic()
            while not self._done.is_set() and time.monotonic() < give_up:
                if should_stop is not None and should_stop():
                    self.stop()
                    return None
                self._done.wait(POLL_SECONDS)
            self.stop()
            if self._result is not None:
                return self._result
            log.info("LP child gave no result: solved here")
        if should_stop is not None and should_stop():
            return None
        return lp_bound(self.cols, self.deadline, seed_columns=self.seed)

    def stop(self) -> None:
        child = self._child
        if child is None:
            return
        if child.poll() is None:
            child.kill()
        if child.stdin is not None:
            with contextlib.suppress(OSError):
                child.stdin.close()
        child.wait()


def _main(source: IO[bytes], out: IO[bytes]) -> None:
    (n,) = _LENGTH.unpack(source.read(_LENGTH.size))
    cols, seconds, seed = pickle.loads(source.read(n))
    deadline = time.monotonic() + seconds

    def orphaned() -> None:
        source.read()
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    result = lp_bound(cols, deadline, seed_columns=seed)
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(payload)) + payload)
    out.flush()
    os._exit(0)  # the watcher thread still reads the input: no interpreter shutdown


if __name__ == "__main__":
    # the answer goes to the original standard output; anything else printed goes nowhere
    answer = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    if os.environ.get("MEDEX_LP_LOG"):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s child %(message)s")
    _main(sys.stdin.buffer, answer)
