"""The victims' messages wired into the service, on both databases: written to the outbox in
the transaction of the change (publish, move, re-plan, cancel), never twice, sent by the
worker, visible to planners when they fail, and the personal link they carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import select as select_rows

from api.notices import Notices, to_notice
from api.outbox import make_dispatcher
from api.planning import move_appointment
from api.schemas import MoveRequest
from api.tables import OUTBOX, Appointment, AppointmentStatus, Centre, Victim
from notify.outbox import State
from notify.outbox_sql import SqlOutboxStore
from tests.api.conftest import WEEK, Service, make_settings, national_number
from tests.api.helpers import run_plan

pytestmark = pytest.mark.slow

HEADER = "national_number,name,language,postcode,phone,email,injury,accident_date,request_date\n"
VICTIMS = [  # (language, phone, e-mail)
    ("nl", "0470 11 22 01", ""),
    ("fr", "+32 470 11 22 02", "marie.dubois@example.be"),
    ("nl", "", "jan.peeters@example.be"),
    ("fr", "", ""),
]


def victims_csv() -> str:
    rows = [f"{national_number('850730', 40 + i)},Victim {i},{lang},1000,{phone},{email},"
            "sprain,2026-11-20,2026-12-01" for i, (lang, phone, email) in enumerate(VICTIMS)]
    return HEADER + "\n".join(rows) + "\n"


def publish_week(svc: Service) -> dict[str, Any]:
    r = svc.client.post("/api/imports/convocations", headers=svc.as_("planner"),
                        files={"file": ("c.csv", victims_csv(), "text/csv")})
    assert r.status_code == 201, r.text
    plan = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 1})
    assert plan["status"] == "done" and plan["scheduled"] == len(VICTIMS), plan
    pub = svc.client.post(f"/api/plans/{plan['id']}/publish", headers=svc.as_("planner"))
    assert pub.status_code == 200, pub.text
    return dict(pub.json())


def outbox(svc: Service) -> list[Any]:
    with svc.db.engine.connect() as conn:
        return list(conn.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all())


def appointments(svc: Service) -> dict[str, dict[str, Any]]:
    r = svc.client.get("/api/appointments", params={"limit": 100}, headers=svc.as_("planner"))
    return {a["reference"]: a for a in r.json()["items"]}


def test_a_published_week_writes_one_convocation_notice_per_reachable_victim(
        service: Service) -> None:
    svc = service
    assert publish_week(svc)["created"] == 4
    rows = outbox(svc)
    by_channel = sorted((r.channel, r.language, r.recipient) for r in rows)
    assert by_channel == [("email", "fr", "marie.dubois@example.be"),
                          ("email", "nl", "jan.peeters@example.be"),
                          ("sms", "fr", "+32470112202"), ("sms", "nl", "+32470112201")]
    assert {(r.kind, r.revision, r.state) for r in rows} == {("convocation", 1, "pending")}
    booked = appointments(svc)
    assert {r.appointment_id for r in rows} <= {str(a["id"]) for a in booked.values()}
    sms = next(r for r in rows if r.recipient == "+32470112201")
    assert "Medex" in sms.body and "/v/" in sms.body and "sprain" not in sms.body
    mail = next(r for r in rows if r.recipient == "jan.peeters@example.be")
    assert mail.subject and b"METHOD:REQUEST" in mail.attachment

    # planning and publishing the week again moves nothing and writes nothing
    again = run_plan(svc, {"week_start": WEEK.isoformat(), "time_limit_s": 1})
    pub = svc.client.post(f"/api/plans/{again['id']}/publish", headers=svc.as_("planner"))
    assert pub.status_code == 200 and pub.json()["unchanged"] == 4, pub.text
    assert len(outbox(svc)) == 4


def test_a_move_writes_the_change_notice_and_a_rolled_back_one_writes_nothing(
        service: Service) -> None:
    svc = service
    publish_week(svc)
    first = sorted(appointments(svc).values(), key=lambda a: a["start"])[0]
    before = len(outbox(svc))
    notices = Notices.from_settings(svc.settings)
    request = MoveRequest(start=datetime.fromisoformat(first["start"]).replace(hour=11),
                          reason="asked by phone")
    with pytest.raises(RuntimeError), svc.db.session() as s:
        move_appointment(s, first["id"], request, None, notices=notices)
        written = s.execute(select(func.count()).select_from(OUTBOX)).scalar_one()
        assert written > before  # in the change's own transaction...
        raise RuntimeError("the request fails after the move")
    assert len(outbox(svc)) == before  # ...so the rollback took the messages too

    r = svc.client.post(f"/api/appointments/{first['id']}/move", headers=svc.as_("planner"),
                        json={"start": request.start.isoformat(), "reason": "asked by phone"})
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2
    changes = [row for row in outbox(svc) if row.kind == "change"]
    assert changes and {row.appointment_id for row in changes} == {str(first["id"])}
    assert {row.revision for row in changes} == {2}
    assert all("11:" in row.body for row in changes)


def test_a_cancelled_convocation_sends_the_cancellation_notice(service: Service) -> None:
    svc = service
    publish_week(svc)
    booked = appointments(svc)
    emailed = next(a for a in booked.values()
                   if any(r.appointment_id == str(a["id"]) and r.channel == "email"
                          for r in outbox(svc)))
    r = svc.client.patch(f"/api/convocations/{emailed['convocation_id']}",
                         json={"status": "cancelled"}, headers=svc.as_("planner"))
    assert r.status_code == 200, r.text
    cancels = [row for row in outbox(svc) if row.kind == "cancellation"]
    assert cancels and {row.revision for row in cancels} == {2}
    mail = next(row for row in cancels if row.channel == "email")
    assert b"METHOD:CANCEL" in mail.attachment and b"SEQUENCE:2" in mail.attachment


def _file_settings(svc: Service, tmp_path: Path, **kw: Any) -> Any:
    return make_settings(svc.url, sms_backend="file", outbox_file=tmp_path / "sent.jsonl",
                         **kw)


def test_the_worker_sends_to_the_file_and_the_link_opens_the_appointment(
        service: Service, tmp_path: Path) -> None:
    svc = service
    publish_week(svc)
    settings = _file_settings(svc, tmp_path)
    report = make_dispatcher(settings, svc.db.engine).drain()
    assert report.sent == 4 and report.failed == 0
    lines = [json.loads(x) for x in (tmp_path / "sent.jsonl").read_text().splitlines()]
    assert sorted(x["channel"] for x in lines) == ["email", "email", "sms", "sms"]
    assert make_dispatcher(settings, svc.db.engine).drain().claimed == 0
    assert SqlOutboxStore(svc.db.engine).counts()[State.SENT] == 4

    sms = next(x for x in lines if x["to"] == "+32470112201")
    link = sms["body"].rsplit(" ", 1)[1]
    assert link.startswith(svc.settings.public_base_url + "/v/")
    token = link[len(svc.settings.public_base_url) + 3:]
    seen = svc.client.get(f"/api/v/{token}")
    assert seen.status_code == 200 and seen.json()["language"] == "nl"
    assert seen.json()["appointment"]["start"].startswith(WEEK.isoformat()[:7])
    invite = svc.client.get(f"/api/v/{token}/invite.ics")
    assert invite.status_code == 200 and invite.headers["content-type"].startswith(
        "text/calendar") and b"METHOD:REQUEST" in invite.content
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert svc.client.get(f"/api/v/{forged}").status_code == 404


def test_a_link_of_a_message_already_sent_leads_to_the_convocations_page(
        service: Service) -> None:
    svc = service
    publish_week(svc)
    appt = next(iter(appointments(svc).values()))
    notices = svc.app.state.medex.notices
    old = notices.link(appt["id"])[len(svc.settings.public_base_url):]
    moved = svc.client.get(old, follow_redirects=False)
    assert moved.status_code == 303
    token = moved.headers["location"].removeprefix("/v/")
    assert notices.links.read(token) == appt["convocation_id"]
    invite = svc.client.get(old + ".ics")
    assert invite.status_code == 200 and b"METHOD:REQUEST" in invite.content
    forged = old[:-3] + ("AAA" if not old.endswith("AAA") else "BBB")
    assert svc.client.get(forged, follow_redirects=False).status_code == 404


def test_planners_see_the_messages_that_did_not_arrive(service: Service) -> None:
    svc = service
    publish_week(svc)
    store = SqlOutboxStore(svc.db.engine)
    now = datetime.now(UTC)
    claimed = store.claim(now, 100, timedelta(minutes=5))
    sms = next(c for c in claimed if c.message.recipient == "+32470112201")
    store.mark_failed(sms.message.key, sms.claim, "Twilio 400 error 21614: not a mobile",
                      "21614", now)
    r = svc.client.get("/api/outbox/problems", headers=svc.as_("planner"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["counts"]["failed"] == 1 and data["counts"]["sending"] == len(claimed) - 1
    [problem] = data["problems"]
    assert problem["error_code"] == "21614" and problem["kind"] == "convocation"
    assert problem["reference"] in appointments(svc)
    assert svc.client.get("/api/outbox/problems",
                          headers=svc.as_("doctor")).status_code == 403

    svc.client.post("/login", data={"username": "planner@medex.test",
                                    "password": "correct horse battery", "next": "/"})
    week = svc.client.get(f"/week?start={WEEK}")
    assert 'id="messages-link"' in week.text and "1</b> message not delivered" in week.text
    page = svc.client.get("/messages")
    assert page.status_code == 200 and "21614" in page.text
    assert problem["reference"] in page.text


def test_a_doctor_sees_their_private_feed_url_and_the_feed(service: Service) -> None:
    svc = service
    publish_week(svc)
    svc.client.post("/login", data={"username": "d001@medex.test",
                                    "password": "correct horse battery", "next": "/"})
    agenda = svc.client.get("/agenda")
    assert agenda.status_code == 200 and 'id="feed-url"' in agenda.text
    url = agenda.text.split('id="feed-url" value="', 1)[1].split('"', 1)[0]
    assert url.startswith(svc.settings.public_base_url + "/calendar/D001/")
    svc.client.cookies.clear()
    feed = svc.client.get(url[len(svc.settings.public_base_url):])
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    with svc.db.session() as s:
        mine = s.exec(select_rows(Appointment).where(
            Appointment.doctor_id == svc.ids["D001"])).all()
    assert feed.content.count(b"BEGIN:VEVENT") == len(mine)
    assert b"Victim" not in feed.content and b"sprain" not in feed.content
    wrong = url[len(svc.settings.public_base_url):].replace("/D001/", "/D002/")
    assert svc.client.get(wrong).status_code == 404


def test_rows_become_what_notify_sees() -> None:
    victim = Victim(id=1, national_number="85073003328", name="An", language="fr",
                    postcode="1000", locality="Bruxelles", lat=50.8, lon=4.3,
                    phone="0470 12 34 56", email="an@example.be")
    centre = Centre(id="GNT", name="Gent", address="Kortrijksesteenweg 1, 9000 Gent",
                    postcode="9000", lat=51.0, lon=3.7, rooms=2, opening="08:30-16:30",
                    languages=["nl"])
    appt = Appointment(id=7, convocation_id=1, doctor_id=1, centre_id="GNT",
                       start=datetime(2026, 12, 8, 9, 30), end=datetime(2026, 12, 8, 10, 0),
                       revision=3, status=AppointmentStatus.CANCELLED)
    notice = to_notice(appt, "C000001", "D001", victim, centre, "https://x/a/7/t")
    assert (notice.id, notice.revision, notice.cancelled) == ("7", 3, True)
    assert notice.contact.phone is None  # not E.164 in the row: no SMS, no crash
    assert notice.contact.email == "an@example.be" and notice.contact.language == "fr"
    assert notice.venue.address == "Kortrijksesteenweg 1, 9000 Gent"
    assert notice.start.tzinfo is not None and notice.start.hour == 9
    home = to_notice(Appointment(id=8, convocation_id=2, doctor_id=1, centre_id=None,
                                 start=appt.start, end=appt.end), "C000002", "D001",
                     victim, None, "https://x/a/8/t")
    assert home.venue.is_home and home.venue.address == "1000 Bruxelles"
    assert not home.cancelled
