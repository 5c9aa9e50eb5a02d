"""Travel minutes per convocation and centre: from the week, or from the travel model."""

from __future__ import annotations

import math

from geo.errors import GeoError
from geo.travel import TravelModel
from scheduler.domain import Week
from scheduler.errors import InputError


def resolve_travel(week: Week, model: TravelModel | None = None) -> dict[str, dict[str, int]]:
    """``{convocation id: {centre id: minutes}}``; a missing centre is unreachable.

    A convocation's own ``travel_min`` wins; the others get the travel model's door-to-door
    minutes (best of car and public transport) from the patient's coordinates, all in one
    vectorised call.  A patient outside Belgium is an input error naming the convocation."""
    out: dict[str, dict[str, int]] = {}
    missing = []
    for index, conv in enumerate(week.convocations):
        if conv.travel_min is not None:
            out[conv.id] = dict(conv.travel_min)
        else:
            missing.append((index, conv))
    if not missing:
        return out
    model = model or TravelModel.default()
    sites = [(c.id, c.lat, c.lon) for c in week.centres]
    try:
        minutes = model.matrix([c.patient.lat for _, c in missing],
                               [c.patient.lon for _, c in missing], sites)
    except GeoError:
        problems = []
        for index, conv in missing:
            try:
                model.matrix([conv.patient.lat], [conv.patient.lon], sites[:1])
            except GeoError as exc:
                problems.append(f"convocations[{index}] ({conv.id}).patient: {exc}")
        raise InputError(problems or ["convocations: travel times cannot be computed"]) from None
    for row, (_, conv) in zip(minutes, missing, strict=True):
        out[conv.id] = {site[0]: max(1, round(float(v)))
                        for site, v in zip(sites, row, strict=True) if math.isfinite(float(v))}
    return out
