"""scheduler.whatif: proposals on real geography and the schedule-aware evaluation."""

from __future__ import annotations

from datetime import date

import pytest

from geo.whatif.demand import population_demand
from geo.whatif.metrics import evaluate
from geo.whatif.scenario import Scenario
from scheduler.demo import demo_week
from scheduler.whatif import adapt_week, propose, schedule_aware


@pytest.fixture(scope="module")
def demand():  # type: ignore[no-untyped-def]
    return population_demand()


def test_p_median_proposal_beats_the_current_centres(demand) -> None:  # type: ignore[no-untyped-def]
    base = Scenario.current()
    prop = propose(demand, base, 12, candidates="stations", min_boardings=3000,
                   time_limit=30)
    assert prop.result.optimal and len(prop.scenario.centres) == 12
    now = evaluate(base, demand).overall.mean_min
    proposed = evaluate(prop.scenario, demand).overall.mean_min
    assert proposed < now


def test_expansion_keeps_every_current_centre(demand) -> None:  # type: ignore[no-untyped-def]
    base = Scenario.current()
    prop = propose(demand, base, 14, keep="all", candidates="municipalities", time_limit=30)
    assert set(base.ids) <= set(prop.scenario.ids)
    assert len(prop.scenario.centres) == 14
    assert prop.result.optimal


@pytest.mark.parametrize("method", ["max-covering", "p-center"])
def test_covering_and_center(demand, method: str) -> None:  # type: ignore[no-untyped-def]
    prop = propose(demand, Scenario.current(), 8, method=method, candidates="stations",
                   min_boardings=5000, radius=30, time_limit=30)
    assert len(prop.scenario.centres) == 8
    assert prop.result.status == "optimal"


def test_capacitated_proposal_respects_capacity(demand) -> None:  # type: ignore[no-untyped-def]
    prop = propose(demand, Scenario.current(), 10, capacitated=True, candidates="centres",
                   time_limit=60)
    assert prop.result.status in ("optimal", "feasible")
    assert len(prop.scenario.centres) == 10


def test_adapt_week_moves_doctors_of_a_closed_centre(demand) -> None:  # type: ignore[no-untyped-def]
    week = demo_week(120, 6, 3, week_start=date(2027, 1, 11))
    scen = Scenario.current().close("LIB").add("ARL", station="Arlon", languages=("fr",))
    adapted = adapt_week(week, scen, demand)
    ids = {c.id for c in adapted.centres}
    assert "LIB" not in ids and "ARL" in ids
    for d in adapted.doctors:
        for s in d.sessions:
            assert s.is_home or s.centre in ids
    assert all(c.travel_min is None for c in adapted.convocations)
    assert len(adapted.convocations) == len(week.convocations)


@pytest.mark.slow
def test_schedule_aware_runs_the_weekly_engine(demand) -> None:  # type: ignore[no-untyped-def]
    base = Scenario.current()
    closed = base.close("MON").renamed("no Mons")
    out = schedule_aware([base, closed], demand, weeks=1, convocations=80, time_limit=5)
    assert [o.scenario for o in out] == ["current centres", "no Mons"]
    for o in out:
        d = o.as_dict()
        assert d["convocations"] == 80
        assert d["scheduled"] + d["unscheduled"] == 80
        assert 0 <= d["deadlines_met"] <= d["deadlines_due"]
