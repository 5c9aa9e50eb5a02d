"""Twilio's callbacks: signatures checked (a forged one changes nothing), delivery reports
recorded, STOP and START honoured."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from notify.callbacks import (
    EMPTY_TWIML,
    CallbackRequest,
    OptAction,
    TwilioCallbacks,
    opt_action,
)
from notify.errors import ForgedCallback
from notify.model import Channel, Kind
from notify.outbox import (
    Dispatcher,
    MemoryOptOuts,
    OptOuts,
    OutboxMessage,
    OutboxStore,
    State,
)
from notify.outbox_sql import SqlOptOuts, SqlOutboxStore, sqlite_engine
from tests.notify.conftest import AUTH_TOKEN, NOW

STATUS_URL = "https://medex.example/twilio/status?key=A1%3Areminder%3A1%3Asms"
INBOUND_URL = "https://medex.example/twilio/inbound"
PHONE = "+32470000001"


def signed(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> CallbackRequest:
    return CallbackRequest(url, params, RequestValidator(token).compute_signature(url, params))


def status_params(status: str, sid: str = "SM1", error: str | None = None) -> dict[str, str]:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1", "To": PHONE,
              "From": "Medex", "ApiVersion": "2010-04-01"}
    if error:
        params["ErrorCode"] = error
    return params


@pytest.fixture
def opt_outs() -> OptOuts:
    return MemoryOptOuts()


def _sent(store: OutboxStore) -> None:
    message = OutboxMessage("A1", Kind.REMINDER, 1, Channel.SMS, PHONE, "text",
                            created_at=NOW)
    store.add([message])
    [claimed] = store.claim(NOW, 1, timedelta(minutes=5))
    store.mark_sent(message.key, claimed.claim, "SM1", NOW)


def test_delivery_report_is_recorded(store: OutboxStore, opt_outs: OptOuts) -> None:
    _sent(store)
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs, clock=lambda: NOW)
    result = callbacks.status(signed(STATUS_URL, status_params("delivered")))
    assert result.recorded and result.key == "A1:reminder:1:sms" and result.status == "delivered"
    callbacks.status(signed(STATUS_URL, status_params("sent")))  # late, out of order
    record = store.get("A1:reminder:1:sms")
    assert record is not None and record.provider_status == "delivered"


def test_undelivered_is_shown_and_21610_opts_out(store: OutboxStore, opt_outs: OptOuts) -> None:
    _sent(store)
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs, clock=lambda: NOW)
    callbacks.status(signed(STATUS_URL, status_params("undelivered", error="21610")))
    [problem] = store.problems()
    assert problem.provider_status == "undelivered" and problem.error_code == "21610"
    assert opt_outs.is_opted_out(PHONE)


def test_report_without_key_found_by_sid(store: OutboxStore, opt_outs: OptOuts) -> None:
    _sent(store)
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs, clock=lambda: NOW)
    url = "https://medex.example/twilio/status"
    assert callbacks.status(signed(url, status_params("delivered"))).recorded
    assert not callbacks.status(signed(url, status_params("delivered", sid="SM9"))).recorded


@pytest.mark.parametrize("forge", ["no signature", "wrong token", "altered status",
                                   "altered key", "added field", "other host"])
def test_forged_status_callback_is_refused_and_changes_nothing(
        store: OutboxStore, opt_outs: OptOuts, forge: str) -> None:
    _sent(store)
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs, clock=lambda: NOW)
    good = signed(STATUS_URL, status_params("delivered"))
    params = dict(good.params)
    url, signature = good.url, good.signature
    if forge == "no signature":
        signature = None
    elif forge == "wrong token":
        signature = signed(STATUS_URL, params, token="guessed").signature
    elif forge == "altered status":
        params["MessageStatus"] = "undelivered"
    elif forge == "altered key":
        url = STATUS_URL.replace("A1", "A2")
    elif forge == "added field":
        params["ErrorCode"] = "30003"
    else:
        url = url.replace("medex.example", "attacker.example")
    with pytest.raises(ForgedCallback):
        callbacks.status(CallbackRequest(url, params, signature))
    record = store.get("A1:reminder:1:sms")
    assert record is not None and record.provider_status is None


def test_status_callback_needs_sid_and_status(store: OutboxStore, opt_outs: OptOuts) -> None:
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs)
    with pytest.raises(ForgedCallback, match="MessageSid"):
        callbacks.status(signed(STATUS_URL, {"MessageStatus": "sent"}))
    with pytest.raises(ValueError, match="auth token"):
        TwilioCallbacks("", store, opt_outs)


@pytest.mark.parametrize(("body", "action"), [
    ("STOP", OptAction.STOP), (" stop ", OptAction.STOP), ("Stop.", OptAction.STOP),
    ("UNSUBSCRIBE", OptAction.STOP), ("cancel", OptAction.STOP), ("STOPALL", OptAction.STOP),
    ("arrêt", OptAction.STOP), ("START", OptAction.START), ("unstop", OptAction.START),
    ("yes", OptAction.START), ("Please stop sending", OptAction.NONE),
    ("Kan ik mijn afspraak verzetten?", OptAction.NONE), ("", OptAction.NONE),
])
def test_opt_words(body: str, action: OptAction) -> None:
    assert opt_action(body) is action


def test_advanced_opt_out_type_wins() -> None:
    assert opt_action("STOPPEN", "STOP") is OptAction.STOP
    assert opt_action("STOP", "HELP") is OptAction.NONE
    assert opt_action("hello", "START") is OptAction.START


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_stop_then_start(store: OutboxStore, tmp_path: Path, kind: str) -> None:
    opt_outs: OptOuts
    if kind == "memory":
        opt_outs = MemoryOptOuts()
    else:
        engine = sqlite_engine(str(tmp_path / "optouts.db"))
        SqlOutboxStore(engine).create_tables()
        opt_outs = SqlOptOuts(engine)
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs, clock=lambda: NOW)
    stop = callbacks.inbound(signed(INBOUND_URL, {"From": PHONE, "Body": "STOP",
                                                  "MessageSid": "SM5"}))
    assert stop.action is OptAction.STOP and stop.twiml == EMPTY_TWIML
    assert opt_outs.is_opted_out(PHONE)

    class Recording:
        channel = Channel.SMS

        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, message: OutboxMessage, attempt: int) -> str:
            self.sent.append(message.key)
            return "SM"

        def find_sent(self, message: OutboxMessage, since: object) -> None:
            return None

    sender = Recording()
    store.add([OutboxMessage("A1", Kind.REMINDER, 1, Channel.SMS, PHONE, "t", created_at=NOW)])
    Dispatcher(store, [sender], opt_outs=opt_outs, clock=lambda: NOW).drain()
    record = store.get("A1:reminder:1:sms")
    assert record is not None and record.state is State.FAILED and sender.sent == []
    assert "unsubscribed" in (record.error or "")

    start = callbacks.inbound(signed(INBOUND_URL, {"From": PHONE, "Body": "START"}))
    assert start.action is OptAction.START and not opt_outs.is_opted_out(PHONE)
    store.add([OutboxMessage("A1", Kind.CHANGE, 2, Channel.SMS, PHONE, "t", created_at=NOW)])
    Dispatcher(store, [sender], opt_outs=opt_outs, clock=lambda: NOW).drain()
    assert sender.sent == ["A1:change:2:sms"]


def test_forged_stop_is_refused(store: OutboxStore, opt_outs: OptOuts) -> None:
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs)
    forged = signed(INBOUND_URL, {"From": "+32470999999", "Body": "START"})
    with pytest.raises(ForgedCallback):
        callbacks.inbound(CallbackRequest(forged.url, {"From": PHONE, "Body": "STOP"},
                                          forged.signature))
    assert not opt_outs.is_opted_out(PHONE)


def test_other_inbound_text_is_ignored(store: OutboxStore, opt_outs: OptOuts) -> None:
    callbacks = TwilioCallbacks(AUTH_TOKEN, store, opt_outs)
    result = callbacks.inbound(signed(INBOUND_URL, {"From": PHONE, "Body": "ok bedankt"}))
    assert result.action is OptAction.NONE and not opt_outs.is_opted_out(PHONE)
