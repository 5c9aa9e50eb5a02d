"""Why a convocation could not be scheduled, in words a planner understands.

The rules are applied one after the other (kind of session, language, specialty, dates,
travel, exam length) and the first one that leaves no session names the reason, with the
figures that would help a planner act on it.
"""

from __future__ import annotations

from datetime import date

from scheduler.domain import Convocation, Week
from scheduler.eligibility import Segment, exam_day_open, home_reach


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def explain_unscheduled(week: Week, conv: Convocation, segs: list[Segment],
                        travel: dict[str, int], options: list[int],
                        booked: dict[int, int]) -> str:
    kind = "home-visit round" if conv.home_visit else "session at a centre"
    who = f"no doctor speaking '{conv.patient.language}'"
    if conv.specialty != "general":
        who += f" with specialty '{conv.specialty}'"
    pool = [s for s in segs if s.is_home == conv.home_visit]
    if not pool:
        return f"no doctor has a {kind} this week"
    pool = [s for s in pool if conv.patient.language in s.doctor.languages]
    if not pool:
        return f"no doctor speaking '{conv.patient.language}' has a {kind} this week"
    pool = [s for s in pool if s.doctor.has_specialty(conv.specialty)]
    if not pool:
        return f"{who} has a {kind} this week"
    dated = [s for s in pool if exam_day_open(week, conv, s.day)]
    window = f"between {_day(conv.release)} and {_day(conv.deadline)}"
    if conv.unavailable:
        window += " on a day the patient can come"
    if not dated:
        return f"{who} has a {kind} {window}"
    if not conv.home_visit:
        near = [s for s in dated if travel.get(s.centre, conv.max_travel_min + 1)
                <= conv.max_travel_min]
        if not near:
            centres = {s.centre for s in dated}
            reachable = sorted((m, c) for c, m in travel.items() if c in centres)
            hint = (f"; the nearest of their centres is {reachable[0][1]} at "
                    f"{reachable[0][0]} min" if reachable
                    else "; none of their centres is reachable from the patient's home")
            return (f"{who} has a {kind} {window} within {conv.max_travel_min} min travel"
                    f"{hint}")
        dated = near
    long_enough = [s for s in dated if s.length >= conv.duration_min]
    if long_enough and conv.home_visit:
        reach = [(home_reach(week, conv, s), s) for s in long_enough]
        long_enough = [s for leg, s in reach if leg + conv.duration_min <= s.length]
        if not long_enough:
            leg = min(leg for leg, _ in reach)
            return (f"the home rounds {window} are too short to drive {leg} min to the patient "
                    f"and examine for {conv.duration_min} min")
    if not long_enough:
        return (f"{who} has a session {window} long enough for a {conv.duration_min}-minute "
                "exam")
    doctors = sorted({s.doctor.id for s in long_enough})
    names = ", ".join(doctors[:4]) + (f" and {len(doctors) - 4} more" if len(doctors) > 4 else "")
    full = sum(1 for s in options if booked.get(s, 0))
    return (f"all {len(options)} sessions that could serve it {window} (doctors {names}) are "
            f"fully booked ({full} of them with other exams); add a session or move the deadline")
