"""The real twilio client against the fake Twilio server; errors translated at the boundary."""

from __future__ import annotations

import base64
import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notify.errors import (
    DeliveryInDoubt,
    PermanentDeliveryError,
    RecipientUnsubscribed,
    TransientDeliveryError,
)
from notify.model import Channel, Kind
from notify.outbox import OutboxMessage
from notify.senders import ConsoleSender, FileSender
from notify.sms import RedirectingHttpClient, TwilioSender, TwilioSettings
from tests.notify.conftest import ACCOUNT_SID, AUTH_TOKEN, NOW
from tests.notify.fake_twilio import FakeTwilio

CALLBACK = "https://medex.example/twilio/status"
START = datetime.now(UTC)


def sms(n: int = 1, to: str = "+32470000001") -> OutboxMessage:
    return OutboxMessage(f"A{n}", Kind.REMINDER, 1, Channel.SMS, to, f"Medex reminder {n}",
                         created_at=START)


def sender(fake: FakeTwilio, **kw: object) -> TwilioSender:
    settings = dict(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_="Medex",
                    base_url=fake.base_url, status_callback=CALLBACK, timeout=2.0)
    settings.update(kw)
    return TwilioSender(TwilioSettings(**settings))  # type: ignore[arg-type]


def test_sends_with_the_real_client(fake: FakeTwilio) -> None:
    sid = sender(fake).send(sms(), attempt=1)
    assert sid.startswith("SM")
    [req] = fake.requests
    assert req.method == "POST"
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert req.headers["User-Agent"].startswith("twilio-python/")
    token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert req.headers["Authorization"] == f"Basic {token}"
    assert req.form["To"] == "+32470000001"
    assert req.form["From"] == "Medex"
    assert req.form["Body"] == "Medex reminder 1"
    assert req.form["StatusCallback"] == f"{CALLBACK}?key=A1%3Areminder%3A1%3Asms"
    assert req.form["Attempt"] == "1"
    assert req.form["ValidityPeriod"] == "14400"
    assert fake.accepted_keys() == ["A1:reminder:1:sms"]


def test_messaging_service_instead_of_a_number(fake: FakeTwilio) -> None:
    sender(fake, from_=None, messaging_service_sid="MG" + "1" * 32).send(sms(), 1)
    form = fake.requests[0].form
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form
    with pytest.raises(ValueError, match="sender"):
        TwilioSettings(ACCOUNT_SID, AUTH_TOKEN)


@pytest.mark.parametrize(("status", "code", "error", "in_doubt"), [
    (500, None, TransientDeliveryError, True),
    (502, None, TransientDeliveryError, True),
    (503, None, TransientDeliveryError, False),
    (429, 20429, TransientDeliveryError, False),
    (400, 21211, PermanentDeliveryError, False),
    (400, 21614, PermanentDeliveryError, False),
    (400, 21610, RecipientUnsubscribed, False),
    (400, 21408, PermanentDeliveryError, False),
    (400, 21602, PermanentDeliveryError, False),
])
def test_errors_are_translated(fake: FakeTwilio, status: int, code: int | None,
                               error: type[Exception], in_doubt: bool) -> None:
    fake.fail_next(status, code)
    with pytest.raises(error) as info:
        sender(fake).send(sms(), 1)
    assert isinstance(info.value, DeliveryInDoubt) is in_doubt
    assert info.value.code == str(code or status)  # type: ignore[attr-defined]
    assert info.value.__cause__ is not None  # translated, not swallowed


def test_invalid_number_answered_by_the_server_is_permanent(fake: FakeTwilio) -> None:
    with pytest.raises(PermanentDeliveryError, match="21211"):
        sender(fake).send(sms(to="0470"), 1)
    fake.fail_number("+32470999999", 400, 21610)
    with pytest.raises(RecipientUnsubscribed):
        sender(fake).send(sms(to="+32470999999"), 1)


def test_wrong_credentials_are_transient(fake: FakeTwilio) -> None:
    with pytest.raises(TransientDeliveryError, match="20003") as info:
        sender(fake, auth_token="wrong").send(sms(), 1)
    assert not isinstance(info.value, DeliveryInDoubt)


def test_time_out_is_in_doubt_and_find_sent_settles_it(fake: FakeTwilio) -> None:
    s = sender(fake, timeout=0.3)
    fake.time_out_next(1.0, accept=True)
    with pytest.raises(DeliveryInDoubt, match="in time"):
        s.send(sms(), 1)
    assert fake.accepted_count() == 1
    sid = s.find_sent(sms(), START)
    assert sid == fake.messages[0]["sid"]
    # a time-out where Twilio did not take it: nothing found, so it must be sent again
    fake.time_out_next(1.0, accept=False)
    with pytest.raises(DeliveryInDoubt):
        s.send(sms(2, to="+32470000002"), 1)
    assert s.find_sent(sms(2, to="+32470000002"), START) is None


def test_find_sent_matches_number_and_text(fake: FakeTwilio) -> None:
    s = sender(fake)
    s.send(sms(1), 1)
    assert s.find_sent(sms(1), START) is not None
    assert s.find_sent(sms(1, to="+32470000009"), START) is None
    other_text = OutboxMessage("A1", Kind.CHANGE, 2, Channel.SMS, "+32470000001", "other",
                               created_at=NOW)
    assert s.find_sent(other_text, START) is None
    lookups = [r for r in fake.requests if r.method == "GET"]
    assert lookups and lookups[0].query["To"] == "+32470000001"
    # a message older than the outbox row is not this one (measured from now: the module's
    # START may be minutes old in a long run)
    assert s.find_sent(sms(1), datetime.now(UTC) + timedelta(minutes=5)) is None


def test_connection_refused_is_transient_not_in_doubt() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = TwilioSender(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_="Medex",
                                    base_url=f"http://127.0.0.1:{port}", timeout=1.0))
    with pytest.raises(TransientDeliveryError) as info:
        s.send(sms(), 1)
    assert not isinstance(info.value, DeliveryInDoubt)


def test_redirecting_client_refuses_a_bad_base_url() -> None:
    with pytest.raises(ValueError, match="base_url"):
        RedirectingHttpClient("127.0.0.1:80")


def test_file_sender_writes_json_lines_and_knows_what_it_wrote(tmp_path: Path) -> None:
    path = tmp_path / "out" / "sms.jsonl"
    s = FileSender(Channel.SMS, path)
    assert s.find_sent(sms(), START) is None
    assert s.send(sms(), 1) == "file:A1:reminder:1:sms"
    mail = OutboxMessage("A1", Kind.CONVOCATION, 1, Channel.EMAIL, "v@example.be", "Body",
                         subject="Subject", attachment=b"BEGIN:VCALENDAR\r\n", created_at=NOW)
    FileSender(Channel.EMAIL, path).send(mail, 2)
    with path.open("a") as f:
        f.write('{"torn": ')  # a crash mid-line
    lines = [json.loads(line) for line in path.read_text().splitlines()[:2]]
    assert lines[0]["to"] == "+32470000001" and lines[0]["body"] == "Medex reminder 1"
    assert base64.b64decode(lines[1]["attachment"]) == b"BEGIN:VCALENDAR\r\n"
    assert s.find_sent(sms(), START) == "file:A1:reminder:1:sms"
    assert s.keys() == ["A1:reminder:1:sms", "A1:convocation:1:email"]


def test_console_sender_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="notify.console"):
        assert ConsoleSender(Channel.SMS).send(sms(), 1) == "console:A1:reminder:1:sms"
    assert "Medex reminder 1" in caplog.text and "+32470000001" in caplog.text
    assert ConsoleSender(Channel.SMS).find_sent(sms(), START) is None
