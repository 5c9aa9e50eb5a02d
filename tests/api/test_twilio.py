"""The service with Twilio: SMS through the real twilio client to the fake Twilio server,
delivery reports and STOP/START at the callback routes, signed (a forged one is refused)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.outbox import make_dispatcher
from api.tables import OUTBOX, SMS_OPT_OUT
from notify.outbox import State
from notify.outbox_sql import SqlOutboxStore
from tests.api.conftest import Service
from tests.api.test_notices import outbox, publish_week
from tests.notify.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

pytestmark = pytest.mark.slow
PUBLIC = "https://planner.medex.example"
UNSUBSCRIBING = "+32470112202"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def twilio_service(db_url: str, fake: FakeTwilio) -> Iterator[Service]:
    svc = Service(db_url, sms_backend="twilio", twilio_account_sid=ACCOUNT_SID,
                  twilio_auth_token=AUTH_TOKEN, twilio_from="Medex",
                  twilio_base_url=fake.base_url, public_base_url=PUBLIC)
    yield svc
    svc.close()


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def post(svc: Service, url: str, params: dict[str, str],
         headers: dict[str, str]) -> httpx.Response:
    parts = urlsplit(url)
    return svc.client.post(parts.path + (f"?{parts.query}" if parts.query else ""),
                           data=params, headers=headers)


def test_sms_go_through_twilio_and_delivery_reports_come_back_signed(
        twilio_service: Service, fake: FakeTwilio) -> None:
    svc = twilio_service
    publish_week(svc)
    fake.fail_number(UNSUBSCRIBING, 400, 21211)
    report = make_dispatcher(svc.settings, svc.db.engine).drain()
    assert report.sent == 1 + 2 and report.failed == 1  # 2 SMS (one refused), 2 e-mails
    [accepted] = fake.messages
    assert accepted["to"] == "+32470112201" and accepted["from"] == "Medex"
    callback = accepted["_status_callback"]
    assert callback.startswith(f"{PUBLIC}/twilio/status?key=")
    key = fake.accepted_keys()[0]
    store = SqlOutboxStore(svc.db.engine)

    params = {"MessageSid": accepted["sid"], "MessageStatus": "delivered",
              "AccountSid": ACCOUNT_SID, "To": accepted["to"], "From": "Medex"}
    # signed for the URL the app sees behind the proxy, not the public one: refused
    as_seen = "http://testserver" + callback[len(PUBLIC):]
    r = post(svc, callback, params, signed(as_seen, params))
    assert r.status_code == 403
    forged = post(svc, callback, {**params, "MessageStatus": "undelivered"},
                  signed(callback, params))
    assert forged.status_code == 403
    assert post(svc, callback, params, {}).status_code == 403
    record = store.get(key)
    assert record is not None and record.provider_status is None

    ok = post(svc, callback, params, signed(callback, params))
    assert ok.status_code == 204, ok.text
    record = store.get(key)
    assert record is not None and record.state is State.SENT
    assert record.provider_status == "delivered" and record.provider_id == accepted["sid"]

    # an undelivered report shows to planners next to the refused number
    late = {**params, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    assert post(svc, callback, late, signed(callback, late)).status_code == 204
    problems = svc.client.get("/api/outbox/problems", headers=svc.as_("planner")).json()
    codes = sorted(p["error_code"] for p in problems["problems"])
    assert codes == ["21211", "30005"]


def test_stop_is_honoured_and_start_undoes_it(twilio_service: Service,
                                              fake: FakeTwilio) -> None:
    svc = twilio_service
    inbound = f"{PUBLIC}/twilio/inbound"
    stop = {"From": UNSUBSCRIBING, "To": "Medex", "Body": "STOP", "MessageSid": "SM1",
            "AccountSid": ACCOUNT_SID}
    forged = post(svc, inbound, stop, signed(inbound, {**stop, "From": "+32470000000"}))
    assert forged.status_code == 403
    r = post(svc, inbound, stop, signed(inbound, stop))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/xml")
    assert "<Response>" in r.text
    with svc.db.engine.connect() as conn:
        rows = conn.execute(select(SMS_OPT_OUT)).all()
    assert [(x.phone, x.opted_out) for x in rows] == [(UNSUBSCRIBING, True)]

    publish_week(svc)
    make_dispatcher(svc.settings, svc.db.engine).drain()
    assert UNSUBSCRIBING not in {m["to"] for m in fake.messages}
    stopped = [x for x in outbox(svc) if x.recipient == UNSUBSCRIBING]
    assert [x.state for x in stopped] == ["failed"] and "STOP" in (stopped[0].error or "")

    start = {**stop, "Body": "START", "MessageSid": "SM2"}
    assert post(svc, inbound, start, signed(inbound, start)).status_code == 200
    first = svc.client.get("/api/appointments", headers=svc.as_("planner")).json()["items"]
    target = next(a for a in first if any(
        x.appointment_id == str(a["id"]) for x in stopped))
    moved = svc.client.post(f"/api/appointments/{target['id']}/move",
                            headers=svc.as_("planner"),
                            json={"start": target["start"][:11] + "11:00", "reason": "call"})
    assert moved.status_code == 200, moved.text
    make_dispatcher(svc.settings, svc.db.engine).drain()
    assert UNSUBSCRIBING in {m["to"] for m in fake.messages}


def test_callbacks_are_refused_without_twilio_settings(service: Service) -> None:
    r = service.client.post("/twilio/status", data={"MessageSid": "SM1",
                                                    "MessageStatus": "delivered"},
                            headers={"X-Twilio-Signature": "x"})
    assert r.status_code == 403 and "MEDEX_TWILIO_AUTH_TOKEN" in r.json()["detail"]
    with service.db.engine.connect() as conn:
        assert conn.execute(select(OUTBOX)).all() == []
