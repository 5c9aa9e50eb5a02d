"""Demo data for ``medex serve --demo``: the real centres, a demo week of doctors and
convocations (:func:`scheduler.demo.demo_week`), and one user per role.

Two federal employers (real institutions; enterprise numbers with valid check digits, for
demo use only) employ a third of the demo victims each; ``hr@medex.example`` is the HR
user of the first, so the employer's pages show their convocations and nobody else's.

Victims get synthetic but valid national register numbers and the postcode of the
nearest locality; their travel minutes are those of the demo week (the travel model).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlmodel import Session, col, func, select

from api.db import Database
from api.planning import UNREACHABLE
from api.security import hash_password
from api.tables import (
    Centre,
    Convocation,
    Doctor,
    DoctorSession,
    Employer,
    Role,
    User,
    Victim,
)
from geo.centres import load_centres
from geo.places import locality_points
from scheduler.catalogue import EXAM_MINUTES
from scheduler.demo import demo_week, next_demo_monday
from scheduler.domain import HOME

log = logging.getLogger(__name__)
DEMO_PASSWORD = "medex-demo-2026"
"""Password of the demo users (development only; ``medex serve`` prints it)."""
COMPLEXITY_OF = {m: c.value for c, m in EXAM_MINUTES.items()}


@dataclass(frozen=True)
class DemoUsers:
    planner: str = "planner@medex.example"
    manager: str = "manager@medex.example"
    admin: str = "admin@medex.example"
    doctor: str = "d0001@medex.example"
    hr: str = "hr@medex.example"


DEMO_EMPLOYERS = (("FOD Financiën / SPF Finances", "0308357159"),
                  ("Regie der Gebouwen / Régie des Bâtiments", "0208212082"))
"""Name and enterprise number; every third victim works for neither."""


def national_number(rnd: random.Random) -> str:
    """A valid rijksregisternummer of someone born 1960-1999."""
    born = date(1960, 1, 1) + timedelta(days=rnd.randrange(40 * 365))
    base = f"{born:%y%m%d}{rnd.randrange(1, 998):03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def is_empty(session: Session) -> bool:
    return not session.exec(select(func.count()).select_from(Centre)).one()


def ensure_centres(session: Session) -> None:
    for site in load_centres():
        if session.get(Centre, site.id) is None:
            session.add(Centre(id=site.id, name=site.name_nl if site.name_nl == site.name_fr
                               else f"{site.name_nl}/{site.name_fr}", address=site.address,
                               postcode=site.postcode,
                               lat=site.lat, lon=site.lon, rooms=site.rooms,
                               opening=";".join(f"{a}-{b}" for a, b in site.opening),
                               languages=list(site.languages)))
    session.flush()


def load_demo(db: Database, *, convocations: int = 300, seed: int = 1,
              week_start: date | None = None, password: str = DEMO_PASSWORD) -> date:
    """Fill an empty database with a demo week; returns its Monday."""
    week_start = week_start or next_demo_monday()
    week = demo_week(convocations, max(2, round(convocations / 25)), seed,
                     week_start=week_start)
    rnd = random.Random(seed)
    points = locality_points()
    lats = np.array([p.lat for p in points])
    lons = np.array([p.lon for p in points])
    with db.session() as s:
        ensure_centres(s)
        centres = {c.id: c for c in s.exec(select(Centre)).all()}
        # centres' rooms as the demo week sized them
        for c in week.centres:
            if c.id in centres:
                centres[c.id].rooms = c.rooms
                s.add(centres[c.id])
        codes: dict[str, int] = {}
        for doc in week.doctors:
            row = Doctor(code=doc.id, name=f"Dr. {doc.id}", languages=sorted(doc.languages),
                         specialties=sorted(doc.specialties),
                         max_exams_per_day=doc.max_exams_per_day)
            s.add(row)
            s.flush()
            codes[doc.id] = row.id or 0
            for ses in doc.sessions:
                s.add(DoctorSession(doctor_id=row.id or 0,
                                    centre_id=None if ses.centre == HOME else ses.centre,
                                    base_centre_id=ses.base if ses.centre == HOME else None,
                                    day=ses.day, start=ses.start, end=ses.end))
        employers = []
        for name, number in DEMO_EMPLOYERS:
            employer = Employer(name=name, enterprise_number=number)
            s.add(employer)
            s.flush()
            employers.append(employer.id)
        seen: set[str] = set()
        for i, conv in enumerate(week.convocations):
            employer_id = employers[i % 3] if i % 3 < len(employers) else None
            p = conv.patient
            k = int(np.argmin((lats - p.lat) ** 2 + ((lons - p.lon) * 0.63) ** 2))
            number = national_number(rnd)
            while number in seen:
                number = national_number(rnd)
            seen.add(number)
            travel = {cid: (conv.travel_min or {}).get(cid, UNREACHABLE) for cid in centres}
            victim = Victim(national_number=number, name=f"Victim {conv.id}",
                            language=p.language, postcode=points[k].postcode,
                            locality=points[k].locality, lat=p.lat, lon=p.lon,
                            phone=f"+32470{rnd.randrange(10**6):06d}", travel_min=travel,
                            employer_id=employer_id)
            s.add(victim)
            s.flush()
            s.add(Convocation(
                reference=conv.id, victim_id=victim.id or 0, employer_id=employer_id,
                injury=conv.injury,
                complexity=COMPLEXITY_OF.get(conv.duration_min, "standard"),
                duration_min=conv.duration_min, specialty=conv.specialty,
                priority=conv.priority.value, home_visit=conv.home_visit,
                request_date=conv.release, release_date=conv.release,
                deadline=conv.deadline, deadline_rule="demo data",
                max_travel_min=conv.max_travel_min,
                preferred=[{"date": w.day.isoformat(), "start": f"{w.start:%H:%M}",
                            "end": f"{w.end:%H:%M}"} for w in conv.preferred],
                unavailable=sorted(x.isoformat() for x in conv.unavailable)))
        hashed = hash_password(password)
        users = DemoUsers()
        first_doctor = codes[min(codes)] if codes else None
        for role, email in ((Role.PLANNER, users.planner), (Role.MANAGER, users.manager),
                            (Role.ADMIN, users.admin), (Role.DOCTOR, users.doctor),
                            (Role.EMPLOYER, users.hr)):
            if s.exec(select(User).where(User.email == email)).first() is None:
                s.add(User(email=email, role=role, password_hash=hashed,
                           full_name=f"Demo {role.value}",
                           doctor_id=first_doctor if role == Role.DOCTOR else None,
                           employer_id=employers[0] if role == Role.EMPLOYER else None))
    log.info("demo week of %s: %d convocations, %d doctors", week_start,
             len(week.convocations), len(week.doctors))
    return week_start


def demo_victim(db: Database) -> tuple[int, int] | None:
    """A pending demo convocation with no appointment yet (the one ``medex serve`` shows a
    personal link of): its id and link generation; or None."""
    with db.session() as s:
        found = s.exec(select(Convocation.id, Convocation.link_generation).where(
            Convocation.status == "pending").order_by(col(Convocation.id))).first()
    return None if found is None else (found[0] or 0, found[1])


def ensure_admin(db: Database, email: str, password: str) -> bool:
    """Create the admin user if no user has that e-mail; True when created."""
    with db.session() as s:
        if s.exec(select(User).where(User.email == email.lower())).first() is not None:
            return False
        s.add(User(email=email.lower(), role=Role.ADMIN, password_hash=hash_password(password),
                   full_name="Administrator"))
    return True
