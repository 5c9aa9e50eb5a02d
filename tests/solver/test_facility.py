"""solver.facility: every model against brute force on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from solver.facility import (
    CapacitatedFacilityLocation,
    CapacitatedPMedian,
    FacilityError,
    MaxCovering,
    PCenter,
    PMedian,
    pmedian_heuristic,
)


def _instance(seed: int, n: int = 14, m: int = 9, integral: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(n, 2))
    sites = rng.uniform(0, 100, size=(m, 2))
    d = np.hypot(*(pts[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    return np.rint(d) if integral else d


def _brute_pmedian(cost: np.ndarray, w: np.ndarray, p: int,
                   fixed: tuple[int, ...] = ()) -> float:
    m = cost.shape[1]
    best = np.inf
    for combo in itertools.combinations(range(m), p):
        if set(fixed) <= set(combo):
            best = min(best, float((cost[:, list(combo)].min(axis=1) * w).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_pmedian_matches_brute_force(seed: int, p: int) -> None:
    cost = _instance(seed)
    w = np.random.default_rng(seed + 100).integers(1, 5, cost.shape[0]).astype(float)
    result = PMedian.from_cost_matrix(cost, p, w).solve(time_limit=20)
    assert result.optimal
    assert result.objective == pytest.approx(_brute_pmedian(cost, w, p))
    assert result.bound == pytest.approx(result.objective)
    assert len(result.open_sites) == p
    # the assignment is to the nearest open site and reproduces the objective
    assigned = cost[np.arange(cost.shape[0]), list(result.assignment)]
    assert (assigned * w).sum() == pytest.approx(result.objective)
    assert set(result.assignment) <= set(result.open_sites)


@pytest.mark.parametrize("seed", range(4))
def test_pmedian_real_valued_costs(seed: int) -> None:
    cost = _instance(seed, integral=False)
    result = PMedian.from_cost_matrix(cost, 3).solve(time_limit=20)
    assert result.objective == pytest.approx(_brute_pmedian(cost, np.ones(14), 3), rel=1e-7)


def test_pmedian_keeps_existing_sites_open() -> None:
    cost = _instance(3)
    result = PMedian.from_cost_matrix(cost, 4, fixed=[0, 1]).solve(time_limit=20)
    assert {0, 1} <= set(result.open_sites)
    assert result.objective == pytest.approx(_brute_pmedian(cost, np.ones(14), 4, (0, 1)))


def test_pmedian_larger_instance_is_proven() -> None:
    cost = _instance(11, n=120, m=120)
    result = PMedian.from_cost_matrix(cost, 6).solve(time_limit=60)
    assert result.optimal
    assert result.heuristic_objective is not None
    assert result.objective <= result.heuristic_objective
    sites, value = pmedian_heuristic(cost, 6, seconds=0.1)
    assert value >= result.objective - 1e-9
    assert len(set(sites.tolist())) == 6


def test_pmedian_infinite_costs_are_avoided() -> None:
    cost = _instance(2)
    cost[:, 0] = np.inf
    result = PMedian.from_cost_matrix(cost, 2).solve()
    assert 0 not in result.open_sites


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"p": 0}, "choose p"),
    ({"p": 20}, "choose p"),
    ({"p": 1, "fixed": [0, 1]}, "raise p"),
    ({"p": 2, "fixed": [99]}, "outside"),
    ({"p": 2, "weights": [1.0, 2.0]}, "weights"),
])
def test_pmedian_input_checks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FacilityError, match=message):
        PMedian.from_cost_matrix(_instance(0), **kwargs)  # type: ignore[arg-type]


def test_unreachable_client_is_named() -> None:
    cost = _instance(0)
    cost[4, :] = np.inf
    with pytest.raises(FacilityError, match="row 4"):
        PMedian.from_cost_matrix(cost, 2)


def test_negative_cost_refused() -> None:
    cost = _instance(0)
    cost[0, 0] = -1
    with pytest.raises(FacilityError, match="negative"):
        PMedian.from_cost_matrix(cost, 2)


def test_result_is_immutable() -> None:
    result = PMedian.from_cost_matrix(_instance(0), 2).solve()
    with pytest.raises(AttributeError):
        result.objective = 0.0  # type: ignore[misc]
    assert result.gap == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_max_covering_matches_brute_force(seed: int) -> None:
    cost = _instance(seed)
    w = np.random.default_rng(seed).integers(1, 9, cost.shape[0]).astype(float)
    radius = 30.0
    result = MaxCovering.from_cost_matrix(cost, 2, radius, w).solve()
    cover = cost <= radius
    best = max(float(w[cover[:, list(c)].any(axis=1)].sum())
               for c in itertools.combinations(range(cost.shape[1]), 2))
    assert result.objective == pytest.approx(best)
    assert result.optimal and result.bound == pytest.approx(best)


@pytest.mark.parametrize("seed", range(4))
def test_p_center_matches_brute_force(seed: int) -> None:
    cost = _instance(seed)
    result = PCenter.from_cost_matrix(cost, 3).solve()
    best = min(float(cost[:, list(c)].min(axis=1).max())
               for c in itertools.combinations(range(cost.shape[1]), 3))
    assert result.objective == pytest.approx(best)
    worst = cost[np.arange(cost.shape[0]), list(result.assignment)].max()
    assert worst == pytest.approx(best)


@pytest.mark.parametrize("seed", range(3))
def test_capacitated_pmedian_single_source_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cost = _instance(seed, n=7, m=4)
    demand = rng.integers(1, 4, 7).astype(float)
    cap = np.full(4, demand.sum() / 2 + 1)
    result = CapacitatedPMedian.from_cost_matrix(cost, 2, cap, demand,
                                                 single_source=True).solve()
    best = np.inf
    for combo in itertools.combinations(range(4), 2):
        for assign in itertools.product(combo, repeat=7):
            load = np.bincount(np.array(assign), weights=demand, minlength=4)
            if (load <= cap + 1e-9).all():
                best = min(best, float((cost[np.arange(7), list(assign)] * demand).sum()))
    assert result.objective == pytest.approx(best)
    loads = np.zeros(4)
    for i, j, share in result.allocation:
        loads[j] += share * demand[i]
    assert (loads <= cap + 1e-6).all()


def test_capacity_binds_and_splits_demand() -> None:
    cost = np.array([[0.0, 10.0], [0.0, 10.0], [10.0, 0.0]])
    free = PMedian.from_cost_matrix(cost, 1).solve()
    capped = CapacitatedPMedian.from_cost_matrix(cost, 2, [1.5, 5.0]).solve()
    assert free.objective == 10.0
    assert capped.objective == pytest.approx(5.0)  # half a client moves to site 1
    with pytest.raises(FacilityError, match="raise p or the capacities"):
        CapacitatedPMedian.from_cost_matrix(cost, 1, [1.0, 1.0])


def test_facility_location_fixed_costs() -> None:
    cost = np.array([[1.0, 9.0], [1.0, 9.0], [9.0, 1.0]])
    cheap = CapacitatedFacilityLocation.from_cost_matrix(cost, [1.0, 1.0]).solve()
    dear = CapacitatedFacilityLocation.from_cost_matrix(cost, [1.0, 100.0]).solve()
    assert cheap.open_sites == (0, 1) and cheap.objective == pytest.approx(5.0)
    assert dear.open_sites == (0,) and dear.objective == pytest.approx(12.0)
    with pytest.raises(FacilityError, match="exceeds the total capacity"):
        CapacitatedFacilityLocation.from_cost_matrix(cost, [1, 1], [5, 5, 5], [4, 4]).solve()


def test_works_whatever_thread_count_highs_was_started_with() -> None:
    # HiGHS keeps one scheduler per process: a model asking for another thread count
    # than the first one fails, so the facility models never set it.
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    h.addVars(1, np.zeros(1), np.ones(1))
    h.run()
    assert PMedian.from_cost_matrix(_instance(1), 3).solve().optimal
    assert MaxCovering.from_cost_matrix(_instance(1), 2, 30.0).solve().optimal
