"""Travel minutes per convocation and centre: from the week, or from the travel model."""

from __future__ import annotations

from geo.travel import TravelModel
from scheduler.domain import Week


def resolve_travel(week: Week, model: TravelModel | None = None) -> dict[str, dict[str, int]]:
    """``{convocation id: {centre id: minutes}}``; a missing centre is unreachable.

    A convocation's own ``travel_min`` wins; otherwise the travel model computes it from the
    patient's coordinates (built once, only when some convocation needs it)."""
    out: dict[str, dict[str, int]] = {}
    sites = [(c.id, c.lat, c.lon) for c in week.centres]
    for conv in week.convocations:
        if conv.travel_min is not None:
            out[conv.id] = dict(conv.travel_min)
            continue
        if model is None:
            model = TravelModel.default()
        found = model.minutes(conv.patient.lat, conv.patient.lon, sites)
        out[conv.id] = {cid: m for cid, m in found.items() if m is not None}
    return out
