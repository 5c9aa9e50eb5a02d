"""Readers for the OR-Library facility-location benchmark files (Beasley).

Reading files is not the solver's job, so the readers live here and hand
:mod:`solver.facility` plain arrays:

* :func:`read_pmed` — the uncapacitated p-median files ``pmed1.txt`` … ``pmed40.txt``
  (Beasley 1985): first line ``n_vertices n_edges p``, then one undirected edge
  ``i j cost`` per line (1-based).  Two traps, both handled: a vertex pair listed twice
  keeps its **last** cost (Beasley's note of 2 May 1995; taking the minimum changes the
  optima), and the allocation cost is the **shortest-path** distance over the graph
  (all pairs, ``scipy.sparse.csgraph``).  Every vertex is a client of demand 1 and a
  candidate site.
* :func:`read_cflp` — the capacitated warehouse location files ``cap41`` … ``capc``
  (Beasley 1988): ``m n``, then ``m`` lines ``capacity fixed_cost``, then per customer its
  ``demand`` followed by ``m`` allocation costs.  Those costs are the cost of serving the
  customer's **whole** demand from that warehouse (totals, not unit costs).  In capa/b/c
  the capacity field is the word ``capacity``: pass ``capacity=`` to substitute it.
  ``.gz`` files are read transparently.
* :func:`read_optima` — ``pmedopt.txt`` / ``capopt.txt``-like ``name value`` files.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from geo.errors import DataFileError


@dataclass(frozen=True)
class PMedianFile:
    """A p-median instance: ``cost[i, j]`` shortest-path distance, ``p`` medians."""

    name: str
    p: int
    cost: np.ndarray
    """(n, n) int64 all-pairs shortest-path distances."""
    edges: int

    @property
    def n(self) -> int:
        return int(self.cost.shape[0])


@dataclass(frozen=True)
class CflpFile:
    """A capacitated facility location instance (multi-source: demand may be split)."""

    name: str
    capacity: np.ndarray
    """(m,) capacity of each warehouse."""
    fixed_cost: np.ndarray
    """(m,) cost of opening each warehouse."""
    demand: np.ndarray
    """(n,) demand of each customer."""
    cost: np.ndarray
    """(n, m) cost of serving the customer's whole demand from the warehouse."""

    @property
    def m(self) -> int:
        return int(self.fixed_cost.size)

    @property
    def n(self) -> int:
        return int(self.demand.size)


def _text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="ascii") as fh:
            return fh.read()
    return path.read_text(encoding="ascii")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt"):
        name = name.removesuffix(suffix)
    return name


def read_pmed(path: Path | str) -> PMedianFile:
    """An OR-Library p-median file, with last-wins duplicate edges and shortest paths.

    Raises :class:`geo.errors.DataFileError` naming the line for a malformed file."""
    path = Path(path)
    lines = [ln.split() for ln in _text(path).splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or len(lines[0]) != 3:
        raise DataFileError(path, 1, None, "first line must be 'n_vertices n_edges p'")
    try:
        n, n_edges, p = (int(x) for x in lines[0])
        body = np.array([[int(x) for x in ln] for ln in lines[1:]], dtype=np.int64)
    except ValueError as exc:
        raise DataFileError(path, None, None, f"non-integer value: {exc}") from exc
    if body.ndim != 2 or body.shape[1] != 3 or body.shape[0] != n_edges:
        raise DataFileError(path, None, None,
                            f"expected {n_edges} lines 'i j cost', got {body.shape[0]}")
    i, j, c = body[:, 0] - 1, body[:, 1] - 1, body[:, 2]
    if i.min() < 0 or j.min() < 0 or max(i.max(), j.max()) >= n:
        raise DataFileError(path, None, None, f"a vertex outside 1..{n}")
    if not 1 <= p <= n:
        raise DataFileError(path, 1, None, f"p = {p} not in 1..{n}")
    # Last occurrence wins: keep, for each unordered pair, the row with the highest index.
    a, b = np.minimum(i, j), np.maximum(i, j)
    key = a * n + b
    order = np.arange(key.size)
    last = np.full(n * n, -1, dtype=np.int64)
    last[key] = order  # numpy assigns in order, so the last write stays
    keep = last[key] == order
    a, b, c = a[keep], b[keep], c[keep]
    loops = a != b
    a, b, c = a[loops], b[loops], c[loops]
    graph = coo_matrix((np.concatenate([c, c]).astype(float),
                        (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)).tocsr()
    dist = shortest_path(graph, method="D", directed=False)
    if not np.all(np.isfinite(dist)):
        raise DataFileError(path, None, None, "the graph is not connected")
    return PMedianFile(_stem(path), p, np.rint(dist).astype(np.int64), n_edges)


def read_cflp(path: Path | str, capacity: float | None = None) -> CflpFile:
    """An OR-Library capacitated warehouse file; ``capacity`` replaces the word
    ``capacity`` of capa/capb/capc (required there)."""
    path = Path(path)
    tokens = _text(path).split()
    pos = 0

    def take(what: str) -> float:
        nonlocal pos
        if pos >= len(tokens):
            raise DataFileError(path, None, None, f"file ends before {what}")
        tok = tokens[pos]
        pos += 1
        if tok == "capacity" and what.startswith("capacity"):
            if capacity is None:
                raise DataFileError(path, None, None,
                                    "capacities are the placeholder 'capacity': pass "
                                    "capacity=... (e.g. capa 8000/10000/12000/14000)")
            return float(capacity)
        try:
            return float(tok)
        except ValueError:
            raise DataFileError(path, None, None, f"{what}: {tok!r} is not a number") from None

    m, n = int(take("m")), int(take("n"))
    caps = np.empty(m)
    fixed = np.empty(m)
    for k in range(m):
        caps[k] = take(f"capacity of warehouse {k + 1}")
        fixed[k] = take(f"fixed cost of warehouse {k + 1}")
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        demand[i] = take(f"demand of customer {i + 1}")
        for k in range(m):
            cost[i, k] = take(f"cost of customer {i + 1} at warehouse {k + 1}")
    if pos != len(tokens):
        raise DataFileError(path, None, None, f"{len(tokens) - pos} values after the last "
                                              "customer")
    return CflpFile(_stem(path), caps, fixed, demand, cost)


def read_optima(path: Path | str) -> dict[str, float]:
    """``{instance: value}`` from a ``name value`` file (header lines are skipped)."""
    out: dict[str, float] = {}
    for line in Path(path).read_text(encoding="ascii").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return out
