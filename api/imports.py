"""Bulk import from CSV: doctors, sessions, convocations (with their victims).

Every row is checked (national register number, a victim's mobile phone number (to
E.164) and e-mail address, known postcode, known centre and doctor, dates and times that
make sense, the intake rules for the deadline).
A file with any problem is rejected as a whole, with every problem listed by row (the
spreadsheet's row number: the header is row 1), column and reason; nothing is imported.
A good file is imported in one transaction.

Columns (``,`` or ``;`` separated, UTF-8, header required; lists separated by spaces or
``|``):

doctors
    ``code, name, languages, specialties, max_exams_per_day, email, phone``
sessions
    ``doctor, centre, date, start, end, base`` (``centre`` = ``home`` for a home round,
    then ``base`` is the centre it drives from)
convocations
    ``national_number, name, language, postcode, locality, phone, email, injury,
    complexity, priority, specialty, home_visit, accident_date, request_date,
    followup_number, max_travel_min, reference`` (``phone``: a mobile number, it receives
    the SMS; a landline is refused)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

from sqlmodel import Session, select

from api.errors import Invalid
from api.schemas import LANGUAGES, ConvocationCreate, Problem
from api.services import (
    audit,
    build_convocation,
    e164,
    email_address,
    landline_or_mobile,
    locate,
    national_number,
    next_reference,
    snapshot,
)
from api.tables import Centre, Convocation, Doctor, DoctorSession, Victim
from scheduler.errors import InputError

KINDS = ("doctors", "sessions", "convocations")
REQUIRED = {
    "doctors": ("code", "name", "languages"),
    "sessions": ("doctor", "centre", "date", "start", "end"),
    "convocations": ("national_number", "name", "language", "postcode", "injury",
                     "request_date"),
}
OPTIONAL = {
    "doctors": ("specialties", "max_exams_per_day", "email", "phone"),
    "sessions": ("base",),
    "convocations": ("locality", "phone", "email", "complexity", "priority", "specialty",
                     "home_visit", "accident_date", "followup_number", "max_travel_min",
                     "reference"),
}
MAX_ROWS = 20000
_CODE = re.compile(r"^[A-Z0-9]{2,16}$")


class _Rows:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, row: int, column: str | None, reason: str) -> None:
        self.problems.append(Problem(row=row, column=column, reason=reason))

    def get(self, rec: dict[str, str], row: int, column: str,
            convert: Callable[[str], Any], required: bool = True) -> Any:
        raw = (rec.get(column) or "").strip()
        if not raw:
            if required:
                self.bad(row, column, "required")
            return None
        try:
            return convert(raw)
        except ValueError as exc:
            self.bad(row, column, str(exc))
            return None


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a date YYYY-MM-DD") from None


def _time(s: str) -> time:
    try:
        t = time.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a time HH:MM") from None
    if t.minute % 5 or t.second:
        raise ValueError(f"{s} is not on the 5-minute grid")
    return t


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise ValueError(f"{s!r} is not a whole number") from None
        if not lo <= v <= hi:
            raise ValueError(f"{v} is outside {lo}..{hi}")
        return v
    return parse


def _list(s: str) -> list[str]:
    return [x for x in re.split(r"[\s|]+", s.strip()) if x]


def _languages(s: str) -> list[str]:
    out = _list(s.lower())
    bad = [x for x in out if x not in LANGUAGES]
    if bad or not out:
        raise ValueError(f"unknown language {', '.join(bad) or s!r}; known: nl, fr, de, en")
    return out


def _language(s: str) -> str:
    out = _languages(s)
    if len(out) != 1:
        raise ValueError("one language expected")
    return out[0]


def _bool(s: str) -> bool:
    v = s.strip().lower()
    if v in ("1", "true", "yes", "y", "ja", "oui"):
        return True
    if v in ("0", "false", "no", "n", "nee", "non"):
        return False
    raise ValueError(f"{s!r} is not yes/no")


def _code(s: str) -> str:
    if not _CODE.match(s):
        raise ValueError(f"{s!r}: 2 to 16 capital letters or digits expected")
    return s


def read_csv(content: bytes | str) -> tuple[list[str], list[dict[str, str]]]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, list(reader)


def import_csv(session: Session, kind: str, content: bytes | str, user_id: int | None, *,
               today: date | None = None) -> int:
    """Import a whole file or nothing; returns the number of rows imported."""
    if kind not in KINDS:
        raise Invalid(f"kind: unknown import {kind!r}; known: {', '.join(KINDS)}")
    try:
        header, records = read_csv(content)
    except UnicodeDecodeError:
        raise Invalid("the file is not UTF-8 text",
                      problems=[Problem(row=1, reason="not UTF-8 text")]) from None
    rows = _Rows()
    for column in REQUIRED[kind]:
        if column not in header:
            rows.bad(1, column, "missing column")
    unknown = [h for h in header if h not in REQUIRED[kind] + OPTIONAL[kind]]
    for column in unknown:
        rows.bad(1, column, f"unknown column; known: "
                            f"{', '.join(REQUIRED[kind] + OPTIONAL[kind])}")
    if not records and not rows.problems:
        rows.bad(2, None, "the file has no rows")
    if len(records) > MAX_ROWS:
        rows.bad(MAX_ROWS + 2, None, f"more than {MAX_ROWS} rows; split the file")
    if rows.problems:
        _reject(kind, rows)
    objects: list[Any] = {"doctors": _doctors, "sessions": _sessions,
                          "convocations": _convocations}[kind](session, records, rows, today)
    if rows.problems:
        _reject(kind, rows)
    for obj in objects:
        session.add(obj)
    session.flush()
    entity = {"doctors": "doctor", "sessions": "doctor_session",
              "convocations": "convocation"}[kind]
    for obj in objects:
        audit(session, user_id, "create", entity, obj.id, after=snapshot(obj),
              note=f"{kind} import")
    audit(session, user_id, "import", kind, len(objects), note=f"{len(objects)} rows")
    return len(records)


def _reject(kind: str, rows: _Rows) -> None:
    n = len(rows.problems)
    raise Invalid(f"the {kind} file has {n} problem{'s' if n != 1 else ''}; nothing was "
                  "imported", problems=rows.problems)


def _doctors(session: Session, records: list[dict[str, str]], rows: _Rows,
             _today: date | None) -> list[Any]:
    existing = set(session.exec(select(Doctor.code)).all())
    seen: dict[str, int] = {}
    out = []
    for i, rec in enumerate(records, start=2):
        code = rows.get(rec, i, "code", _code)
        if code in existing:
            rows.bad(i, "code", f"doctor {code} exists already")
        elif code in seen:
            rows.bad(i, "code", f"{code} is also on row {seen[code]}")
        elif code:
            seen[code] = i
        name = rows.get(rec, i, "name", str)
        langs = rows.get(rec, i, "languages", _languages)
        specs = rows.get(rec, i, "specialties", _list, required=False) or ["general"]
        limit = rows.get(rec, i, "max_exams_per_day", _int(1, 40), required=False) or 12
        email = rows.get(rec, i, "email", str, required=False)
        phone = rows.get(rec, i, "phone", landline_or_mobile, required=False)
        out.append(Doctor(code=code or "", name=name or "", languages=langs or [],
                          specialties=specs, max_exams_per_day=limit, email=email,
                          phone=phone))
    return out


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _opening(centre: Centre) -> list[tuple[int, int]]:
    out = []
    for part in centre.opening.split(";"):
        a, b = part.split("-")
        out.append((_minutes(time.fromisoformat(a)), _minutes(time.fromisoformat(b))))
    return out


def _sessions(session: Session, records: list[dict[str, str]], rows: _Rows,
              _today: date | None) -> list[Any]:
    doctors = {d.code: d for d in session.exec(select(Doctor)).all()}
    centres = {c.id: c for c in session.exec(select(Centre)).all()}
    booked: dict[tuple[int, date], list[tuple[int, int, int]]] = {}
    for s in session.exec(select(DoctorSession)).all():
        booked.setdefault((s.doctor_id, s.day), []).append(
            (_minutes(s.start), _minutes(s.end), 0))
    out = []
    for i, rec in enumerate(records, start=2):
        code = rows.get(rec, i, "doctor", str)
        doctor = doctors.get(code) if code else None
        if code and doctor is None:
            rows.bad(i, "doctor", f"unknown doctor {code!r}")
        where = rows.get(rec, i, "centre", str)
        centre = None
        if where and where.lower() != "home":
            centre = centres.get(where)
            if centre is None:
                rows.bad(i, "centre", f"unknown centre {where!r}; known: "
                                      f"{', '.join(sorted(centres))}, home")
        base = rows.get(rec, i, "base", str, required=bool(where and where.lower() == "home"))
        if base and base not in centres:
            rows.bad(i, "base", f"unknown centre {base!r}")
        day = rows.get(rec, i, "date", _date)
        if day and day.weekday() >= 5:
            rows.bad(i, "date", f"{day} is a {day:%A}; sessions are on working days")
        start = rows.get(rec, i, "start", _time)
        end = rows.get(rec, i, "end", _time)
        if start and end and end <= start:
            rows.bad(i, "end", f"{end:%H:%M} is not after the start {start:%H:%M}")
        elif start and end and centre is not None and not any(
                a <= _minutes(start) and _minutes(end) <= b for a, b in _opening(centre)):
            rows.bad(i, "end", f"{start:%H:%M}-{end:%H:%M} is outside the opening hours of "
                               f"{centre.id} ({centre.opening})")
        elif start and end and doctor is not None and day:
            mine = booked.setdefault((doctor.id or 0, day), [])
            a, b = _minutes(start), _minutes(end)
            clash = next((r for _, _, r in ((x, y, r) for x, y, r in mine if x < b and a < y)),
                         None)
            if clash is not None:
                rows.bad(i, "start", f"overlaps another session of {code} on {day}"
                                     + (f" (row {clash})" if clash else ""))
            mine.append((a, b, i))
        if doctor is not None and day and start and end:
            out.append(DoctorSession(doctor_id=doctor.id or 0,
                                     centre_id=centre.id if centre else None,
                                     base_centre_id=base if centre is None else None,
                                     day=day, start=start, end=end))
    return out


def _convocations(session: Session, records: list[dict[str, str]], rows: _Rows,
                  today: date | None) -> list[Any]:
    victims = {v.national_number: v for v in session.exec(select(Victim)).all()}
    refs = set(session.exec(select(Convocation.reference)).all())
    first_ref = next_reference(session)
    counter = int(first_ref[1:])
    new_victims: dict[str, Victim] = {}
    out: list[Any] = []
    convs: list[tuple[Convocation, str]] = []
    for i, rec in enumerate(records, start=2):
        number = rows.get(rec, i, "national_number", national_number)
        name = rows.get(rec, i, "name", str)
        language = rows.get(rec, i, "language", _language)
        postcode = rows.get(rec, i, "postcode", str)
        locality = rows.get(rec, i, "locality", str, required=False)
        where = None
        if postcode:
            try:
                where = locate(postcode, locality)
            except ValueError as exc:
                rows.bad(i, "postcode", str(exc))
        phone = rows.get(rec, i, "phone", e164, required=False)
        email = rows.get(rec, i, "email", email_address, required=False)
        home = rows.get(rec, i, "home_visit", _bool, required=False) or False
        accident = rows.get(rec, i, "accident_date", _date, required=False)
        request = rows.get(rec, i, "request_date", _date)
        followup = rows.get(rec, i, "followup_number", _int(0, 40), required=False) or 0
        max_travel = rows.get(rec, i, "max_travel_min", _int(10, 300), required=False) or 90
        reference = rows.get(rec, i, "reference", _code, required=False)
        if reference and reference in refs:
            rows.bad(i, "reference", f"{reference} exists already or is repeated")
        if reference:
            refs.add(reference)
        if not reference:
            while f"C{counter:06d}" in refs:
                counter += 1
            reference = f"C{counter:06d}"
            refs.add(reference)
        injury = (rec.get("injury") or "").strip()
        if request is None or not injury:
            if not injury:
                rows.bad(i, "injury", "required")
            continue
        data = ConvocationCreate(
            victim_id=0, injury=injury, request_date=request, accident_date=accident,
            complexity=(rec.get("complexity") or "").strip() or None,
            priority=(rec.get("priority") or "").strip() or None,  # type: ignore[arg-type]
            specialty=(rec.get("specialty") or "").strip() or None, home_visit=home,
            followup_number=followup, max_travel_min=max_travel) if _priority_ok(
                rec, i, rows) else None
        if data is None:
            continue
        try:
            conv = build_convocation(data, reference, today=today)
        except InputError as exc:
            for line in exc.problems:
                column, _, reason = line.partition(": ")
                rows.bad(i, column, reason)
            continue
        if number and name and language and where:
            victim = victims.get(number) or new_victims.get(number)
            if victim is None:
                victim = Victim(national_number=number, name=name, language=language,
                                postcode=postcode, locality=locality, phone=phone,
                                email=email, lat=where[0], lon=where[1])
                new_victims[number] = victim
            convs.append((conv, number))
    if rows.problems:
        return []
    for victim in new_victims.values():
        session.add(victim)
    session.flush()
    for conv, number in convs:
        victim = victims.get(number) or new_victims[number]
        conv.victim_id = victim.id or 0
        out.append(conv)
    return out


def _priority_ok(rec: dict[str, str], row: int, rows: _Rows) -> bool:
    value = (rec.get("priority") or "").strip()
    if value and value not in ("high", "normal", "low"):
        rows.bad(row, "priority", f"unknown {value!r}; known: high, normal, low")
        return False
    return True
