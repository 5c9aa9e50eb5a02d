"""E-mail through SMTP with the invite attached, against a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from notify import ics, messages
from notify.errors import PermanentDeliveryError, TransientDeliveryError
from notify.mail import SmtpSender, SmtpSettings, build_email
from notify.model import Kind
from notify.outbox import compose
from tests.notify.conftest import NOW, ORGANIZER, make_appointment


class Recorder:
    """Accepts every message; refuses recipients named ``refused@...`` (550) and
    ``busy@...`` (451)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("refused@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def _sender(port: int) -> SmtpSender:
    return SmtpSender(SmtpSettings("127.0.0.1", port, starttls=False, timeout=5))


def _mail(kind: Kind = Kind.CONVOCATION, email: str = "victim@example.be",
          cancelled: bool = False) -> Any:
    a = make_appointment(language="nl", email=email, phone=None, revision=2,
                         cancelled=cancelled)
    [message] = compose(a, kind, organizer=ORGANIZER, now=NOW)
    return message


def test_email_with_invite_reaches_the_server(smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    message = _mail()
    message_id = _sender(port).send(message, 1)
    [(mail_from, rcpt, raw)] = recorder.received
    assert mail_from == "noreply@medex.belgium.be" and rcpt == ["victim@example.be"]
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == message_id
    assert mail["Subject"] == messages.email_text(make_appointment(), Kind.CONVOCATION).subject
    assert "https://medex.example/a/1x7Kq" in mail.get_body(("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "medex.ics"
    cal = Calendar.from_ical(attachment.get_payload(decode=True))
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal.walk("VEVENT")[0]["UID"]) == ics.uid("A1")


def test_cancellation_attaches_a_cancel(smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    _sender(port).send(_mail(Kind.CANCELLATION, cancelled=True), 1)
    mail = message_from_bytes(recorder.received[0][2], policy=policy.default)
    [attachment] = list(mail.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_param("method") == "CANCEL"


def test_same_message_same_message_id() -> None:
    settings = SmtpSettings("127.0.0.1")
    assert build_email(_mail(), settings)["Message-ID"] == \
        build_email(_mail(), settings)["Message-ID"]
    other = _mail(Kind.CHANGE)
    assert build_email(other, settings)["Message-ID"] != build_email(_mail(), settings)[
        "Message-ID"]


def test_refused_recipient_is_permanent_busy_is_transient(smtp: tuple[Recorder, int]) -> None:
    _, port = smtp
    with pytest.raises(PermanentDeliveryError, match="refused") as info:
        _sender(port).send(_mail(email="refused@example.be"), 1)
    assert info.value.code == "550"
    with pytest.raises(TransientDeliveryError) as busy:
        _sender(port).send(_mail(email="busy@example.be"), 1)
    assert not isinstance(busy.value, PermanentDeliveryError) and busy.value.code == "451"


def test_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        _sender(_free_port()).send(_mail(), 1)
    assert _sender(1).find_sent(_mail(), NOW) is None
