"""The victims' JSON API on both databases: what the victim sees (nothing medical), the
slots and their filters, booking (409 with fresh alternatives when taken), reschedule,
cancel, preferences and the waitlist, through the link and for an HR user; every error an
``ErrorOut`` naming the field, and nothing half saved."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import select as select_rows

from api.tables import OUTBOX, Appointment, AuditEntry, Convocation, Victim
from tests.api.conftest import WEEK, LiveServer
from tests.api.victim_fixtures import Victims, victims_fixture  # noqa: F401

MEDICAL = ("sprain", "injury", "specialty", "complexity", "orthopaedics", "priority",
           "duration")


def _no_medical(text: str) -> None:
    for word in MEDICAL:
        assert word not in text.lower(), word


def _slots(v: Victims, key: str, **params: Any) -> list[dict[str, Any]]:
    r = v.client.get(v.v(key, "/slots"), params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _problem_fields(r: Any) -> set[str]:
    return {p["field"] for p in r.json()["problems"]}


def _count(v: Victims, what: Any) -> int:
    with v.svc.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(what)).scalar_one())


def _audit_entry(v: Victims, action: str) -> AuditEntry | None:
    with v.svc.db.session() as s:
        return s.exec(select_rows(AuditEntry).where(AuditEntry.action == action)).first()


def _book(v: Victims, key: str, slot: dict[str, Any], **kw: Any) -> Any:
    return v.client.post(v.v(key, "/booking"), json={
        "doctor": slot["doctor"], "centre": slot["centre"], "start": slot["start"], **kw})


# ------------------------------------------------------------------ what the victim sees


def test_the_victim_sees_when_where_with_whom_and_how_to_get_there(victims: Victims
                                                                    ) -> None:
    r = victims.client.get(victims.v("ann"))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    got = r.json()
    assert got["name"] == "Ann Aerts" and got["language"] == "nl"
    assert got["status"] == "scheduled" and got["status_text"]
    appt = got["appointment"]
    assert appt["start"] == f"{WEEK + timedelta(1)}T09:00:00"
    assert appt["doctor"] == "Dr. Peeters" and appt["travel_min"] == 25
    place = appt["place"]
    assert place["home"] is False and place["centre_id"] == "BRU"
    assert place["name"] == "Medex Brussel/Bruxelles"
    assert place["station"]["name"] == "Brussel-Zuid/Bruxelles-Midi"
    assert 1 <= place["station"]["walk_min"] <= 30
    assert {b["code"] for b in got["bring"]} == {"identity_card", "convocation",
                                                 "medical_documents"}
    assert got["can_change"] is True and got["waitlist"] is False
    assert got["link_expires"] == str(date(2026, 12, 1) + timedelta(days=90))
    _no_medical(r.text.replace("medical_documents", "").replace(
        "Any medical reports", ""))


def test_a_pending_file_has_no_appointment_and_says_so(victims: Victims) -> None:
    got = victims.client.get(victims.v("bert")).json()
    assert got["status"] == "pending" and got["appointment"] is None
    assert "Waiting" in got["status_text"]


def test_the_invite_of_the_appointment_and_none_before_one_is_booked(victims: Victims
                                                                     ) -> None:
    r = victims.client.get(victims.v("ann", "/invite.ics"))
    assert r.status_code == 200 and b"METHOD:REQUEST" in r.content
    assert b"sprain" not in r.content
    none = victims.client.get(victims.v("bert", "/invite.ics"))
    assert none.status_code == 404 and none.json()["code"] == "not_found"


# ------------------------------------------------------------------ slots


def test_slots_are_ranked_by_travel_then_how_soon(victims: Victims) -> None:
    slots = _slots(victims, "bert", limit=50)
    assert slots
    keys = [(s["travel_min"], s["start"]) for s in slots]
    assert keys == sorted(keys)
    assert all(s["doctor_name"] and s["centre_name"].startswith("Medex ") for s in slots)
    assert all(s["start"] > "2026-12-01T09:00" for s in slots)


def test_slots_filter_by_centre_day_and_part_of_the_day(victims: Victims) -> None:
    wednesday = WEEK + timedelta(days=2)
    on_day = _slots(victims, "bert", day=str(wednesday))
    assert on_day and all(s["start"].startswith(str(wednesday)) for s in on_day)
    morning = _slots(victims, "bert", part="morning")
    afternoon = _slots(victims, "bert", part="afternoon")
    assert morning and all(s["start"][11:13] < "12" for s in morning)
    assert afternoon and all(s["start"][11:13] >= "12" for s in afternoon)
    assert all(s["centre"] == "BRU" for s in _slots(victims, "bert", centre="BRU"))
    assert _slots(victims, "bert", centre="GNT") == []  # no sessions there


def test_nonsense_filters_are_422_naming_the_field(victims: Victims) -> None:
    cases: dict[str, list[dict[str, Any]]] = {
        "day": [{"day": "2026-02-30"}, {"day": "tomorrow"}, {"day": "2026-11-30"},
                {"day": "2027-06-01"}],
        "centre": [{"centre": "XYZ"}],
        "part": [{"part": "evening"}],
        "limit": [{"limit": 0}, {"limit": 500}]}
    for field, params_list in cases.items():
        for params in params_list:
            r = victims.client.get(victims.v("bert", "/slots"), params=params)
            assert r.status_code == 422, (params, r.text)
            body = r.json()
            assert body["code"] == "invalid" and field in _problem_fields(r), (params, body)
    past = victims.client.get(victims.v("bert", "/slots"), params={"day": "2026-11-30"})
    assert "past" in past.text


# ------------------------------------------------------------------ booking


def test_a_victim_books_an_offered_slot_and_gets_the_convocation_notice(victims: Victims
                                                                        ) -> None:
    slot = _slots(victims, "bert")[0]
    before = _count(victims, OUTBOX)
    r = _book(victims, "bert", slot)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "scheduled"
    assert got["appointment"]["start"] == slot["start"]
    assert got["appointment"]["revision"] == 1
    # the answer (built from the rows the booking was made of) is what a reading shows
    assert got == victims.client.get(victims.v("bert")).json()
    assert _count(victims, OUTBOX) > before  # the SMS (and e-mail) of the convocation
    entry = _audit_entry(victims, "book")
    assert entry is not None and "personal link" in entry.note
    assert slot["start"] not in {s["start"] for s in _slots(victims, "bert")
                                 if s["doctor"] == slot["doctor"]}


def test_a_slot_taken_meanwhile_is_409_with_fresh_alternatives(victims: Victims) -> None:
    slot = _slots(victims, "bert")[0]
    assert _book(victims, "bert", slot).status_code == 200
    rows = _count(victims, Appointment)
    r = _book(victims, "dirk", slot)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "slot_taken" and "someone else" in body["detail"]
    assert body["alternatives"] and slot["start"] not in [
        a["start"] for a in body["alternatives"] if a["doctor"] == slot["doctor"]]
    assert _count(victims, Appointment) == rows
    assert victims.client.get(victims.v("dirk")).json()["appointment"] is None
    again = _book(victims, "dirk", body["alternatives"][0])
    assert again.status_code == 200, again.text


def test_a_slot_never_offered_is_refused_naming_the_rule_or_the_field(victims: Victims
                                                                      ) -> None:
    slot = _slots(victims, "bert")[0]
    sunday = datetime.fromisoformat(slot["start"]) - timedelta(
        days=datetime.fromisoformat(slot["start"]).weekday() + 1)
    r = _book(victims, "bert", {**slot, "start": sunday.isoformat()})
    assert r.status_code == 409 and r.json()["rule"]
    assert _problem_fields(r) == {"start"}, r.text
    past = datetime.fromisoformat(slot["start"]).replace(day=1)  # 1 December: the present
    r = _book(victims, "bert", {**slot, "start": past.isoformat()})
    assert r.status_code == 409 and _problem_fields(r) == {"start"}, r.text
    assert r.json()["problems"][0]["reason"] in r.json()["detail"]
    r = _book(victims, "bert", {**slot, "doctor": "D999"})
    assert r.status_code == 422 and "doctor" in _problem_fields(r)
    r = _book(victims, "bert", {**slot, "centre": "XYZ"})
    assert r.status_code == 422 and "centre" in _problem_fields(r)
    r = victims.client.post(victims.v("bert", "/booking"), json={"doctor": "D001"})
    assert r.status_code == 422 and {"centre", "start"} <= _problem_fields(r)
    r = victims.client.post(victims.v("bert", "/booking"), json={
        **{k: slot[k] for k in ("doctor", "centre")}, "start": "2026-13-45T99:00"})
    assert r.status_code == 422 and "start" in _problem_fields(r)
    assert victims.client.get(victims.v("bert")).json()["appointment"] is None


def test_reschedule_needs_a_reason_and_bumps_the_revision(victims: Victims) -> None:
    slot = _slots(victims, "ann")[0]
    r = _book(victims, "ann", slot)
    assert r.status_code == 422 and "reason" in _problem_fields(r)
    r = _book(victims, "ann", slot, reason="I work that morning")
    assert r.status_code == 200, r.text
    appt = r.json()["appointment"]
    assert appt["start"] == slot["start"] and appt["revision"] == 2
    assert r.json() == victims.client.get(victims.v("ann")).json()


def test_cancel_with_a_reason_frees_the_file(victims: Victims) -> None:
    url = victims.v("ann", "/booking")
    r = victims.client.request("DELETE", url, json={})
    assert r.status_code == 422 and "reason" in _problem_fields(r)
    r = victims.client.request("DELETE", url, json={"reason": "I am on holiday"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["appointment"] is None
    r = victims.client.request("DELETE", url, json={"reason": "again"})
    assert r.status_code == 409


def test_the_cut_off_refuses_a_late_change(victims: Victims) -> None:
    victims.svc.app.state.medex.settings.victim_cutoff_hours = 24 * 30
    r = victims.client.request("DELETE", victims.v("ann", "/booking"),
                               json={"reason": "too late"})
    assert r.status_code == 409 and r.json()["code"] == "too_late"
    assert victims.client.get(victims.v("ann")).json()["can_change"] is False
    assert _slots(victims, "ann") == []  # nothing is offered that could not be booked


def test_slots_are_offered_until_the_appointments_cut_off(victims: Victims) -> None:
    """Ann's appointment is on Tuesday 8 December at 09:00; the present is a week before."""
    settings = victims.svc.app.state.medex.settings
    settings.victim_cutoff_hours = 24 * 7 - 1  # until 1 December, 10:00: an hour from now
    assert victims.client.get(victims.v("ann")).json()["can_change"] is True
    slots = _slots(victims, "ann")
    assert slots and all(s["start"] >= "2026-12-08T08:00" for s in slots)
    settings.victim_cutoff_hours = 24 * 7 + 1  # until 1 December, 08:00: an hour ago
    assert victims.client.get(victims.v("ann")).json()["can_change"] is False
    assert _slots(victims, "ann") == []


# ------------------------------------------------------------------ preferences, waitlist


def test_preferences_are_stored_as_windows_and_unavailable_days(victims: Victims) -> None:
    r = victims.client.put(victims.v("bert", "/preferences"), json={
        "weekly": [{"weekday": 1, "part": "morning"}],
        "unavailable": [{"first": str(WEEK + timedelta(days=7)),
                         "last": str(WEEK + timedelta(days=11))}]})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["preferred"] and all(date.fromisoformat(w["date"]).weekday() == 1
                                    for w in got["preferred"])
    assert str(WEEK + timedelta(days=8)) in got["unavailable"]


def test_bad_preferences_are_422_naming_the_field_and_nothing_is_saved(victims: Victims
                                                                       ) -> None:
    before = victims.client.get(victims.v("bert")).json()
    for body, field in (
            ({"windows": [{"date": "2026-11-02", "start": "09:00", "end": "12:00"}]},
             "windows.0.date"),
            ({"windows": [{"date": str(WEEK), "start": "12:00", "end": "09:00"}]},
             "windows.0.end"),
            ({"weekly": [{"weekday": 6}]}, "weekly.0.weekday"),
            ({"unavailable": [{"first": str(WEEK), "last": "2026-12-01x"}]},
             "unavailable.0.last"),
            ({"weekly": [{"weekday": 1}], "windows": [
                {"date": str(WEEK), "start": "12:00", "end": "09:00"}]}, "windows.0.end")):
        r = victims.client.put(victims.v("bert", "/preferences"), json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in _problem_fields(r), (body, r.json())
    after = victims.client.get(victims.v("bert")).json()
    assert after["preferred"] == before["preferred"] == []


def test_a_day_with_the_appointment_cannot_be_made_unavailable(victims: Victims) -> None:
    """Marking unavailable the day of one's own appointment would leave it standing on a
    day the victim cannot come: refused, naming the field, until it is moved."""
    view = victims.client.get(victims.v("ann")).json()
    day = date.fromisoformat(view["appointment"]["start"][:10])
    r = victims.client.put(victims.v("ann", "/preferences"), json={
        "unavailable": [{"first": str(day), "last": str(day + timedelta(days=1))}]})
    assert r.status_code == 422, r.text
    assert "unavailable.0.first" in _problem_fields(r)
    assert "appointment" in r.json()["problems"][0]["reason"]
    assert victims.client.get(victims.v("ann")).json()["unavailable"] == view["unavailable"]
    other = day + timedelta(days=1)
    r = victims.client.put(victims.v("ann", "/preferences"), json={
        "unavailable": [{"first": str(other), "last": str(other)}]})
    assert r.status_code == 200, r.text
    assert r.json()["unavailable"] == [str(other)]


def test_the_waitlist_is_joined_and_left(victims: Victims) -> None:
    r = victims.client.put(victims.v("ann", "/waitlist"), json={"on": True})
    assert r.status_code == 200 and r.json()["waitlist"] is True
    r = victims.client.put(victims.v("ann", "/waitlist"), json={"on": False})
    assert r.status_code == 200 and r.json()["waitlist"] is False
    r = victims.client.put(victims.v("ann", "/waitlist"), json={"on": "maybe"})
    assert r.status_code == 422 and "on" in _problem_fields(r)


# ------------------------------------------------------------------ for an HR user


def test_hr_lists_and_acts_for_its_own_employees(victims: Victims) -> None:
    hr = victims.hr["hr_a"]
    listed = victims.client.get("/api/hr/convocations", headers=hr)
    assert listed.status_code == 200
    names = {c["name"] for c in listed.json()["items"]}
    assert names == {"Ann Aerts", "Bert Bosmans"}
    _no_medical(listed.text.replace("medical_documents", "").replace(
        "Any medical reports", ""))
    bert = victims.conv["bert"]
    slots = victims.client.get(f"/api/hr/convocations/{bert}/slots", headers=hr).json()
    slot = slots["items"][0]
    r = victims.client.post(f"/api/hr/convocations/{bert}/booking", headers=hr, json={
        "doctor": slot["doctor"], "centre": slot["centre"], "start": slot["start"]})
    assert r.status_code == 200, r.text
    assert r.json()["appointment"]["start"] == slot["start"]
    entry = _audit_entry(victims, "book")
    assert entry is not None and "hr@a.example" in entry.note and entry.user_id
    me = victims.client.get("/api/hr/me", headers=hr).json()
    assert me["employer_name"] == "Employer A"
    pending = victims.client.get("/api/hr/convocations", params={"status": "pending"},
                                 headers=hr).json()
    assert pending["items"] == []


def test_hr_writes_with_the_session_cookie_need_the_x_medex_header(victims: Victims
                                                                   ) -> None:
    browser = victims.cookie_client("hr@a.example")
    url = f"/api/hr/convocations/{victims.conv['bert']}/waitlist"
    assert browser.get(f"/api/hr/convocations/{victims.conv['bert']}").status_code == 200
    refused = browser.put(url, json={"on": True})
    assert refused.status_code == 403 and "X-Medex" in refused.json()["detail"]
    assert victims.client.get(victims.v("bert")).json()["waitlist"] is False
    ok = browser.put(url, json={"on": True}, headers={"X-Medex": "1"})
    assert ok.status_code == 200 and ok.json()["waitlist"] is True


# ------------------------------------------------------------------ a race over HTTP


def _clones(v: Victims, n: int) -> list[int]:
    """``n`` more pending convocations like Bert's (other victims, same needs)."""
    with v.svc.db.session() as s:
        model = s.get(Convocation, v.conv["bert"])
        person = s.get(Victim, v.victim["bert"])
        assert model is not None and person is not None
        ids = []
        for i in range(n):
            victim = Victim(**{**person.model_dump(exclude={"id"}),
                               "national_number": f"9{i:010d}", "name": f"Racer {i}"})
            s.add(victim)
            s.flush()
            conv = Convocation(**{**model.model_dump(exclude={"id", "reference"}),
                                  "reference": f"R{i:06d}", "victim_id": victim.id})
            s.add(conv)
            s.flush()
            ids.append(conv.id or 0)
    return ids


def test_victims_racing_for_one_slot_over_http_exactly_one_wins(victims: Victims,
                                                                live: LiveServer) -> None:
    racers = _clones(victims, 24)
    slot = _slots(victims, "bert")[0]
    body = {k: slot[k] for k in ("doctor", "centre", "start")}

    def attempt(convocation_id: int) -> tuple[int, dict[str, Any]]:
        url = f"{live.url}/api/v/{victims.links.token(convocation_id, generation=0)}/booking"
        r = httpx.post(url, json=body, timeout=60)
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, racers))
    codes = sorted(code for code, _ in results)
    assert codes.count(200) == 1, codes
    assert set(codes) == {200, 409}, results
    losers = [b for code, b in results if code == 409]
    assert all(b["code"] == "slot_taken" and b["alternatives"] for b in losers)
    with victims.svc.db.session() as s:
        booked = s.exec(select_rows(Appointment).where(
            Appointment.status == "confirmed",
            Appointment.start == datetime.fromisoformat(slot["start"]))).all()
    assert len([a for a in booked if a.doctor_id == victims.svc.ids[slot["doctor"]]]) == 1


# ------------------------------------------------------------------ the link in every message


def _bodies(v: Victims, kind: str) -> list[str]:
    with v.svc.db.engine.connect() as conn:
        rows = conn.execute(select(OUTBOX.c.body).where(OUTBOX.c.kind == kind)).all()
    return [r.body for r in rows]


def _link_of(v: Victims, body: str) -> int:
    base = v.svc.settings.public_base_url + "/v/"
    token = body[body.index(base) + len(base):].split()[0]
    return v.links.read(token)


def test_every_message_carries_the_convocations_own_link(victims: Victims) -> None:
    bert = victims.conv["bert"]
    first, second = _slots(victims, "bert")[:2]
    assert _book(victims, "bert", first).status_code == 200
    assert _book(victims, "bert", second, reason="another day suits me").status_code == 200
    r = victims.client.request("DELETE", victims.v("bert", "/booking"),
                               json={"reason": "I am better"})
    assert r.status_code == 200
    for kind in ("convocation", "change", "cancellation"):
        bodies = _bodies(victims, kind)
        assert bodies, kind
        assert {_link_of(victims, b) for b in bodies} == {bert}, kind
        assert all("/a/" not in b for b in bodies)
    from api.notices import remind_context

    context = remind_context(victims.svc.db, victims.svc.settings)
    reminded = context.source(WEEK, WEEK + timedelta(days=6))
    ann = next(a for a in reminded if a.contact.name == "Ann Aerts")
    assert victims.links.read(ann.link.rsplit("/", 1)[1]) == victims.conv["ann"]


# ------------------------------------------------------------------ slots planners free


def _offers(v: Victims) -> list[Any]:
    with v.svc.db.engine.connect() as conn:
        return list(conn.execute(select(OUTBOX).where(OUTBOX.c.kind == "offer")).all())


def test_a_slot_a_planner_frees_is_offered_to_the_waitlist(victims: Victims) -> None:
    """A planner's move and a cancelled file free a slot as a victim's change does: the
    waitlisted victim for whom it is earlier and feasible is told, once per freeing."""
    friday = (WEEK + timedelta(days=4)).isoformat()
    later = [s for s in _slots(victims, "bert", day=friday) if s["doctor"] == "D001"]
    assert later, "Dr. D001 has a free Friday slot for bert"
    assert _book(victims, "bert", later[0]).status_code == 200
    assert victims.client.put(victims.v("bert", "/waitlist"), json={"on": True}
                              ).status_code == 200
    with victims.svc.db.session() as s:
        ann = s.exec(select_rows(Appointment).where(
            Appointment.convocation_id == victims.conv["ann"])).one()
    assert _offers(victims) == []
    planner = victims.svc.as_("planner")
    thursday = f"{(WEEK + timedelta(days=3)).isoformat()}T11:00"
    r = victims.client.post(f"/api/appointments/{ann.id}/move", headers=planner,
                            json={"start": thursday, "reason": "the doctor asked"})
    assert r.status_code == 200, r.text
    first = _offers(victims)
    assert first and {row.recipient for row in first} == {"+32470550062"}  # bert's phone
    assert all("/v/" in row.body for row in first)
    # the planner cancels ann's file: her Thursday slot is freed, earlier than bert's Friday
    r = victims.client.patch(f"/api/convocations/{victims.conv['ann']}", headers=planner,
                             json={"status": "cancelled"})
    assert r.status_code == 200, r.text
    second = _offers(victims)
    assert len(second) > len(first)
    assert {row.recipient for row in second} == {"+32470550062"}
    # a refused move (the appointment is cancelled now) writes no offer
    r = victims.client.post(f"/api/appointments/{ann.id}/move", headers=planner,
                            json={"start": thursday, "reason": "again"})
    assert r.status_code == 409 and len(_offers(victims)) == len(second)


def test_a_body_that_is_not_json_is_refused_as_such(victims: Victims) -> None:
    r = victims.client.post(victims.v("bert", "/booking"), content=b'{"doctor": "D001",',
                            headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    problem = r.json()["problems"][0]
    assert problem["field"] is None and "not valid JSON at character" in problem["reason"]
    assert victims.client.get(victims.v("bert")).json()["appointment"] is None
