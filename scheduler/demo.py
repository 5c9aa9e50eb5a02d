"""Demo planning weeks built from real Belgian data, for demos, tests and the benchmark.

:func:`demo_week` draws a week of convocations and doctors around the real Medex centres
(:func:`geo.centres.load_centres`) and the real municipalities with their population
(:func:`geo.places.municipalities`); travel minutes come from the project's travel model.
The same arguments always give the same week.

Modelling choices (the constants below hold the ratios):

Patients
    a municipality drawn by population, the home jittered around its centroid (normal,
    2 km, cut at 6 km); the language by region: Flanders ``nl`` (6 % ``fr`` in Flemish
    Brabant, the Brussels periphery), Wallonia ``fr``, Brussels 60 % ``fr`` / 40 % ``nl``,
    the German-speaking Community 85 % ``de`` / 15 % ``fr``.  ``max_travel_min`` 90, 120
    for half of the patients of small (< 15,000 inhabitants) municipalities.
Files
    injury types by :data:`INJURY_MIX`; complexity from the catalogue, one level up for
    20 % and down for 10 %; the specialty the injury needs for part of them (fractures
    60 % orthopaedics, psychological 70 % psychiatry, back 40 % orthopaedics and 20 %
    neurology, ...), when a doctor with that specialty and the patient's language works
    within reach (else ``general``); priority tilted by the injury to about 15 % high,
    70 % normal, 15 % low.  Release dates: 60 % on a working day of the three weeks before
    the week (they have been waiting), 40 % on Monday to Thursday of the week.  Deadlines
    from the catalogue (the injury's term after the accident, the first convocation within
    a month of the request, 10 working days for re-integration), so that about one in six
    falls inside the week.  3 % home visits (patients near a centre with a home round in
    their language), 10 % with one or two preferred windows, 10 % with a date they cannot
    come, about 1 in 300 fixed (in a session that may serve it, free of the other fixed
    ones).
Doctors
    spread over the centres in proportion to the patients each centre is nearest to (among
    the centres that speak the patient's language), times a regional factor drawn in
    [0.75, 1.25] so that some regions are tight; at least one per centre when there are
    enough doctors.  Languages of the centre's region (Brussels ``nl``+``fr``, Eupen
    ``de``+``fr``, a quarter of the Flemish doctors also ``fr``, 15 % of the Walloon ones
    also ``nl``); per centre about 20 % orthopaedists, 10 % psychiatrists and 8 %
    neurologists; ``max_exams_per_day`` 10 to 16.  Each doctor works 4 to 8 half-days
    (morning 08:30 or 09:00 to 12:30, afternoon 13:00 to 16:30, cut to the centre's opening
    hours) on the working days of the week.  One doctor in 15 does a home round (base: the
    centre) on three or four afternoons.  With the benchmark's one doctor per 25
    convocations this gives about 1.2 minutes of sessions per minute of exams overall.
Rooms
    the centre's rooms from the data, raised to 80 % of the most doctors the centre holds
    at once, so that rooms bind only at peaks.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np

from geo.centres import CentreSite, load_centres
from geo.places import BRUSSELS, FLANDERS, GERMAN_SPEAKING, WALLONIA, Municipality, municipalities
from geo.travel import TravelModel
from scheduler.calendar import DEFAULT_CALENDAR, WorkingCalendar
from scheduler.catalogue import (
    CATALOGUE,
    Basis,
    Complexity,
    InjuryType,
    add_months,
    convocation_deadline,
    deadline_for,
    exam_minutes,
)
from scheduler.domain import (
    GENERAL,
    HOME,
    Centre,
    Convocation,
    Doctor,
    Fixed,
    Patient,
    Priority,
    Session,
    TimeWindow,
    Week,
    Weights,
)
from scheduler.eligibility import segments, serves

INJURY_MIX: dict[str, float] = {
    "fracture": 18, "sprain": 16, "contusion": 10, "back": 12, "wound": 8, "burn": 3,
    "psychological": 8, "multiple": 4, "consolidation": 8, "relapse": 4,
    "contested_decision": 3, "reintegration_visit": 2, "reintegration_resumption": 2,
    "reintegration_followup": 2,
}
"""Relative frequency of the injury types among the convocations."""
SPECIALTY_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "fracture": (("orthopaedics", 0.6),),
    "back": (("orthopaedics", 0.4), ("neurology", 0.2)),
    "multiple": (("orthopaedics", 0.2), ("neurology", 0.1)),
    "psychological": (("psychiatry", 0.7),),
    "contested_decision": (("psychiatry", 0.1), ("orthopaedics", 0.1)),
    "reintegration_visit": (("psychiatry", 0.2),),
}
"""Share of each injury type that needs a specialist; the rest is ``general``."""
DOCTOR_SPECIALTIES = (("orthopaedics", 0.20), ("psychiatry", 0.10), ("neurology", 0.08))
"""Share of the doctors of a centre with each specialty (at least one when the centre is
large enough: 2 doctors for orthopaedics, 3 for psychiatry, 5 for neurology)."""
_MIN_STAFF = {"orthopaedics": 2, "psychiatry": 3, "neurology": 5}

HOME_VISIT_SHARE = 0.03
PREFERRED_SHARE = 0.10
UNAVAILABLE_SHARE = 0.10
FIXED_EVERY = 300
RELEASED_BEFORE_SHARE = 0.60
RELEASE_LOOKBACK_DAYS = 21
HOME_DOCTOR_EVERY = 15
HALF_DAYS = (4, 5, 6, 7, 8)
HALF_DAY_WEIGHTS = (0.15, 0.20, 0.30, 0.20, 0.15)
TIGHTNESS = (0.75, 1.25)
ROOM_SHARE = 0.8
JITTER_KM, JITTER_CUT_KM = 2.0, 6.0
SMALL_MUNICIPALITY = 15_000
MORNING = (time(8, 30), time(12, 30))
LATE_MORNING_START = time(9, 0)
AFTERNOON = (time(13, 0), time(16, 30))


def next_demo_monday(today: date | None = None) -> date:
    """The Monday on or after ``today`` + 7 days (the default week of :func:`demo_week`)."""
    start = (today or date.today()) + timedelta(days=7)
    return start + timedelta(days=(7 - start.weekday()) % 7)


@dataclass(frozen=True)
class _Site:
    """A centre with what the generator needs: its region languages and its catchment."""

    site: CentreSite
    opening: tuple[tuple[time, time], ...]

    @property
    def id(self) -> str:
        return self.site.id

    @property
    def languages(self) -> tuple[str, ...]:
        return self.site.languages


def _clock(text: str) -> time:
    return time(int(text[:2]), int(text[3:5]))


def _centre_name(site: CentreSite) -> str:
    langs = site.languages
    if "nl" in langs and "fr" in langs:
        return f"{site.name_nl}/{site.name_fr}"
    return site.name(langs[0])


def _largest_remainder(weights: Sequence[float], total: int) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    mass = sum(weights)
    if mass <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [w / mass * total for w in weights]
    out = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - out[i]), i))
    for i in order[:total - sum(out)]:
        out[i] += 1
    return out


def _at_least_one(counts: list[int], weights: Sequence[float]) -> list[int]:
    """Give every place with a positive weight one, taken from the best-served places."""
    out = list(counts)
    needy = [i for i, w in enumerate(weights) if w > 0 and out[i] == 0]
    if sum(1 for w in weights if w > 0) > sum(out):
        return out
    for i in needy:
        donor = max((j for j in range(len(out)) if out[j] > 1),
                    key=lambda j: (out[j] / weights[j], -j))
        out[donor] -= 1
        out[i] += 1
    return out


def _travel_rows(model: TravelModel, lats: np.ndarray, lons: np.ndarray,
                 sites: list[tuple[str, float, float]]) -> list[dict[str, int]]:
    """Whole minutes (at least 1) from each home to each centre; unreachable ones left out.

    Uses the model's vectorised ``matrix(lats, lons, centres)`` when it has one."""
    ids = [s[0] for s in sites]
    matrix = getattr(model, "matrix", None)
    if callable(matrix):
        table = np.asarray(matrix(lats, lons, sites), dtype=float).reshape(len(lats), len(ids))
        reachable = np.isfinite(table)
        whole = np.maximum(1, np.rint(np.where(reachable, table, 0))).astype(np.int64)
        return [{cid: int(m) for cid, m, ok in zip(ids, row, mask, strict=True) if ok}
                for row, mask in zip(whole.tolist(), reachable.tolist(), strict=True)]
    out = []
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        found = model.minutes(lat, lon, sites)
        out.append({cid: int(m) for cid, m in found.items() if m is not None})
    return out


def _patient_language(m: Municipality, draw: float) -> str:
    if m.region == BRUSSELS:
        return "fr" if draw < 0.60 else "nl"
    if m.region == GERMAN_SPEAKING:
        return "de" if draw < 0.85 else "fr"
    if m.region == FLANDERS:
        return "fr" if m.province == "Vlaams-Brabant" and draw < 0.06 else "nl"
    if m.region == WALLONIA:
        return "fr"
    return m.language.split("/")[0]


def _doctor_languages(site: _Site, draw: float) -> frozenset[str]:
    langs = set(site.languages)
    if langs == {"nl"} and draw < 0.25:
        langs.add("fr")
    elif langs == {"fr"} and draw < 0.15:
        langs.add("nl")
    return frozenset(langs)


def _half_day(site: _Site, morning: bool, late: bool) -> tuple[time, time] | None:
    """A half-day cut to the opening interval it overlaps most (None: the centre is shut)."""
    start, end = MORNING if morning else AFTERNOON
    if morning and late:
        start = LATE_MORNING_START
    best: tuple[int, time, time] | None = None
    for a, b in site.opening:
        lo, hi = max(a, start), min(b, end)
        span = (hi.hour * 60 + hi.minute) - (lo.hour * 60 + lo.minute)
        if span > 0 and (best is None or span > best[0]):
            best = (span, lo, hi)
    return None if best is None else (best[1], best[2])


class _Dates:
    """Release and deadline of a file, from the catalogue's terms."""

    def __init__(self, week_start: date, days: list[date], calendar: WorkingCalendar,
                 rnd: random.Random):
        self.cal = calendar
        self.rnd = rnd
        self.week_start = week_start
        self.week_end = week_start + timedelta(days=len(days) - 1)
        self.open_days = [d for d in days if calendar.is_working_day(d)] or days
        self.in_week = self.open_days[:-1] or self.open_days
        self.before = calendar.working_days(week_start - timedelta(days=RELEASE_LOOKBACK_DAYS),
                                            week_start - timedelta(days=1))

    def _release(self, lookback: int | None = None) -> date:
        pool = self.before if lookback is None else [
            d for d in self.before if (self.week_start - d).days <= lookback]
        if pool and self.rnd.random() < RELEASED_BEFORE_SHARE:
            return self.rnd.choice(pool)
        return self.rnd.choice(self.in_week)

    def draw(self, kind: InjuryType) -> tuple[date, date]:
        rnd, cal = self.rnd, self.cal
        basis = kind.term.basis
        if basis is Basis.RESUMPTION:
            release = self._release(lookback=9)
            deadline = deadline_for(kind, release, cal)
        elif basis is Basis.TRACK_START:
            due = self.week_start + timedelta(days=rnd.randint(0, 25))
            start = add_months(due, -kind.term.months)
            deadline = deadline_for(kind, start, cal)
            release = cal.next_working_day(max(start + timedelta(days=7),
                                               deadline - timedelta(days=21)))
            release = min(release, self.open_days[-1])
        elif kind.term.working_days:  # a re-integration visit: 10 working days
            release = self._release(lookback=8)
            request = cal.add_working_days(release, -rnd.randint(0, 2))
            deadline = deadline_for(kind, request, cal)
        else:
            release = self._release()
            request = release - timedelta(days=rnd.randint(3, 10))
            term_days = kind.term.months * 30
            accident = request - timedelta(days=rnd.randint(1, max(1, min(90, term_days - 20))))
            deadline = convocation_deadline(kind, accident, request, cal)
        deadline = max(deadline, release, self.open_days[0])
        return release, deadline


def _bump(complexity: Complexity, draw: float) -> Complexity:
    levels = list(Complexity)
    k = levels.index(complexity)
    if draw < 0.20:
        k = min(k + 1, len(levels) - 1)
    elif draw < 0.30:
        k = max(k - 1, 0)
    return levels[k]


def _specialty(injury: str, draw: float) -> str:
    acc = 0.0
    for specialty, share in SPECIALTY_MIX.get(injury, ()):
        acc += share
        if draw < acc:
            return specialty
    return GENERAL


def _priority(kind: InjuryType, draw: float) -> Priority:
    if kind.priority is Priority.HIGH:
        return Priority.HIGH if draw < 0.5 else Priority.NORMAL
    if kind.priority is Priority.LOW:
        return Priority.LOW if draw < 0.6 else Priority.NORMAL
    if draw < 0.08:
        return Priority.HIGH
    return Priority.LOW if draw < 0.15 else Priority.NORMAL


def _windows(rnd: random.Random, days: list[date]) -> tuple[TimeWindow, ...]:
    picks = rnd.sample(days, k=min(len(days), rnd.choice((1, 1, 2))))
    out = []
    for d in sorted(picks):
        a, b = rnd.choice(((time(8, 30), time(12, 30)), (time(13, 0), time(16, 30)),
                           (time(9, 0), time(11, 0)), (time(14, 0), time(16, 0))))
        out.append(TimeWindow(d, a, b))
    return tuple(out)


def demo_week(convocations: int, doctors: int, seed: int, week_start: date | None = None,
              *, calendar: WorkingCalendar = DEFAULT_CALENDAR,
              travel_model: TravelModel | None = None) -> Week:
    """A realistic planning week of ``convocations`` and ``doctors`` (see the module doc).

    ``week_start`` (a Monday) defaults to :func:`next_demo_monday`; pass it for a week that
    does not depend on today's date.  Deterministic for given arguments."""
    if convocations < 0 or doctors < 0:
        raise ValueError("convocations and doctors must not be negative")
    week_start = week_start or next_demo_monday()
    if week_start.weekday() != 0:
        raise ValueError(f"{week_start} is a {week_start:%A}, not a Monday")
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    model = travel_model or TravelModel.default()
    days = [week_start + timedelta(days=i) for i in range(5)]
    closed = calendar.closed_dates(days[0], days[-1])
    working = [d for d in days if d not in closed]

    sites = [_Site(s, tuple((_clock(a), _clock(b)) for a, b in s.opening))
             for s in load_centres()]
    points = [(s.id, s.site.lat, s.site.lon) for s in sites]

    # patients
    places = municipalities()
    population = np.array([m.population for m in places], dtype=float)
    where = rng.choice(len(places), size=convocations, p=population / population.sum())
    lat0 = np.array([places[i].lat for i in where])
    lon0 = np.array([places[i].lon for i in where])
    shift = np.clip(rng.normal(0.0, JITTER_KM, size=(convocations, 2)),
                    -JITTER_CUT_KM, JITTER_CUT_KM)
    lats = np.round(lat0 + shift[:, 0] / 111.2, 6)
    lons = np.round(lon0 + shift[:, 1] / (111.2 * np.cos(np.radians(lat0))), 6)
    travel = _travel_rows(model, lats, lons, points)
    lang_draw = rng.random(convocations)
    languages = [_patient_language(places[i], float(x)) for i, x in zip(where, lang_draw,
                                                                         strict=True)]
    spoken = {s.id: s.languages for s in sites}
    catchment = []
    for minutes, lang in zip(travel, languages, strict=True):
        speaking = [(m, cid) for cid, m in minutes.items() if lang in spoken[cid]]
        catchment.append(min(speaking or [(m, c) for c, m in minutes.items()] or [(0, "")])[1])
    demand = Counter(catchment)

    # doctors per centre
    factor = rng.uniform(*TIGHTNESS, size=len(sites))
    weights = [demand.get(s.id, 0) * f for s, f in zip(sites, factor, strict=True)]
    per_centre = _at_least_one(_largest_remainder(weights, doctors), weights)
    home_quota = _largest_remainder([float(n) for n in per_centre],
                                    round(doctors / HOME_DOCTOR_EVERY) if doctors >= 8 else 0)
    staff: list[Doctor] = []
    home_langs: dict[str, set[str]] = defaultdict(set)
    for site, count, homes in zip(sites, per_centre, home_quota, strict=True):
        specs: list[set[str]] = [{GENERAL} for _ in range(count)]
        slots = list(range(count))
        rnd.shuffle(slots)
        k = 0
        for spec, share in DOCTOR_SPECIALTIES:
            n = round(share * count) or (1 if count >= _MIN_STAFF[spec] else 0)
            for _ in range(n):
                specs[slots[k % count]].add(spec)
                k += 1
        for j in range(count):
            home = j < min(homes, count)
            doctor = _make_doctor(f"D{len(staff) + 1:04d}", site, specs[j], home, working,
                                  rnd)
            if home:
                home_langs[site.id] |= doctor.languages
            staff.append(doctor)

    # rooms: raised to 80 % of the doctors the centre holds at once
    at_once: Counter[tuple[str, date, bool]] = Counter()
    for doctor in staff:
        for s in doctor.sessions:
            if not s.is_home:
                at_once[(s.centre, s.day, s.start < time(12, 0))] += 1
    peak: dict[str, int] = defaultdict(int)
    for (cid, _, _), n in at_once.items():
        peak[cid] = max(peak[cid], n)
    centres = tuple(Centre(s.id, _centre_name(s.site), s.site.lat, s.site.lon,
                           max(s.site.rooms, math.ceil(ROOM_SHARE * peak[s.id])), s.opening)
                    for s in sites)

    # which centres hold a doctor of each language and specialty (a file needs a specialist
    # only where one works within reach; elsewhere a general doctor examines it)
    offered: dict[tuple[str, str], set[str]] = defaultdict(set)
    for doctor in staff:
        where_works = {s.centre for s in doctor.sessions if not s.is_home}
        for lang in doctor.languages:
            for spec in doctor.specialties:
                offered[(lang, spec)] |= where_works

    # files
    dates = _Dates(week_start, days, calendar, rnd)
    kinds = list(INJURY_MIX)
    picks = rng.choice(len(kinds), size=convocations,
                       p=np.array(list(INJURY_MIX.values())) / sum(INJURY_MIX.values()))
    home_ok = [i for i in range(convocations) if languages[i] in home_langs.get(catchment[i], ())]
    home_n = min(len(home_ok), round(HOME_VISIT_SHARE * convocations))
    home_set = set(rnd.sample(home_ok, home_n)) if home_n else set()
    width = max(4, len(str(convocations)))
    convs: list[Convocation] = []
    for i in range(convocations):
        kind = CATALOGUE[kinds[picks[i]]]
        release, deadline = dates.draw(kind)
        place = places[where[i]]
        home = i in home_set
        window = [d for d in working if release <= d <= deadline]
        unavailable: frozenset[date] = frozenset()
        if window and rnd.random() < UNAVAILABLE_SHARE:
            unavailable = frozenset({rnd.choice(window)})
        preferred: tuple[TimeWindow, ...] = ()
        if window and rnd.random() < PREFERRED_SHARE:
            preferred = _windows(rnd, [d for d in window if d not in unavailable] or window)
        rural = place.region != BRUSSELS and place.population < SMALL_MUNICIPALITY
        max_travel = 120 if rural and rnd.random() < 0.5 else 90
        specialty = GENERAL if home else _specialty(kind.code, rnd.random())
        if specialty != GENERAL and not any(
                travel[i].get(cid, max_travel + 1) <= max_travel
                for cid in offered.get((languages[i], specialty), ())):
            specialty = GENERAL
        convs.append(Convocation(
            id=f"C{i + 1:0{width}d}",
            patient=Patient(float(lats[i]), float(lons[i]), languages[i]),
            injury=kind.code,
            priority=_priority(kind, rnd.random()),
            duration_min=exam_minutes(_bump(kind.complexity, rnd.random())),
            specialty=specialty,
            home_visit=home,
            release=release,
            deadline=deadline,
            unavailable=unavailable,
            preferred=preferred,
            max_travel_min=max_travel,
            travel_min=travel[i],
        ))
    week = Week(week_start, len(days), closed, Weights(), centres, tuple(staff), tuple(convs))
    return _with_fixed(week, rnd)


def _make_doctor(did: str, site: _Site, specialties: set[str], home: bool, working: list[date],
                 rnd: random.Random) -> Doctor:
    halves = [(d, am) for d in working for am in (True, False)]
    want = rnd.choices(HALF_DAYS, HALF_DAY_WEIGHTS)[0]
    chosen = sorted(rnd.sample(halves, k=min(want, len(halves))), key=lambda h: (h[0], not h[1]))
    home_days: set[date] = set()
    if home:
        afternoons = [d for d, am in halves if not am]
        home_days = set(rnd.sample(afternoons, k=min(len(afternoons), rnd.choice((3, 4)))))
        chosen = sorted({h for h in chosen if not (not h[1] and h[0] in home_days)}
                        | {(d, False) for d in home_days}, key=lambda h: (h[0], not h[1]))
    late = rnd.random() < 0.2
    sessions: list[Session] = []
    for day, morning in chosen:
        if not morning and day in home_days:
            sessions.append(Session(HOME, day, AFTERNOON[0], AFTERNOON[1], base=site.id))
            continue
        span = _half_day(site, morning, late)
        if span is not None:
            sessions.append(Session(site.id, day, span[0], span[1]))
    return Doctor(did, _doctor_languages(site, rnd.random()), frozenset(specialties),
                  rnd.randint(10, 16), tuple(sessions))


def _with_fixed(week: Week, rnd: random.Random) -> Week:
    """Fix about one convocation in :data:`FIXED_EVERY` in a slot that may serve it."""
    wanted = len(week.convocations) // FIXED_EVERY
    if not wanted:
        return week
    segs = [s for s in segments(week) if not s.is_home]
    by_day: dict[date, list[int]] = defaultdict(list)
    for s in segs:
        by_day[s.day].append(s.index)
    taken: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    per_day: Counter[tuple[str, date]] = Counter()
    room_use: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    index = {s.index: s for s in segs}
    convs = list(week.convocations)
    candidates = [k for k, c in enumerate(convs) if not c.home_visit]
    rnd.shuffle(candidates)
    done = 0
    for k in candidates:
        if done >= wanted:
            break
        conv = convs[k]
        travel = conv.travel_min or {}
        pool = [index[i] for d in sorted(by_day) for i in by_day[d]
                if conv.release <= d <= conv.deadline]
        fitting = [s for s in pool if serves(week, conv, s, travel)]
        if not fitting:
            continue
        seg = rnd.choice(fitting)
        slots = list(range(seg.start, seg.end - conv.duration_min + 1, 5))
        rnd.shuffle(slots)
        rooms = week.centre(seg.centre).rooms
        for start in slots:
            end = start + conv.duration_min
            mine = taken[(seg.doctor.id, seg.day)]
            if any(a < end and start < b for a, b in mine):
                continue
            if per_day[(seg.doctor.id, seg.day)] >= seg.doctor.max_exams_per_day:
                break
            used = room_use[(seg.centre, seg.day)]
            if sum(1 for a, b in used if a < end and start < b) >= rooms:
                continue
            mine.append((start, end))
            used.append((start, end))
            per_day[(seg.doctor.id, seg.day)] += 1
            moment = datetime.combine(seg.day, time()) + timedelta(minutes=start)
            convs[k] = replace(conv, fixed=Fixed(seg.doctor.id, seg.centre, moment))
            done += 1
            break
    return replace(week, convocations=tuple(convs))
