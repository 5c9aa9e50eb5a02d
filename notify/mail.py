"""E-mail through SMTP, with the calendar invite attached.

Each message is a ``text/plain`` body with the ``.ics`` attached as
``text/calendar; method=REQUEST`` (or ``CANCEL``), so mail programs offer to add it to the
calendar.  The ``Message-ID`` is derived from the outbox key: a message sent twice after
a crash carries the same id, which mail programs use to hide duplicates.

Errors are translated at this boundary: a 5xx refusal of the recipient is a
:class:`~notify.errors.PermanentDeliveryError`; 4xx replies, refused or dropped connections
and time-outs are transient, a time-out after the data was handed over in doubt.  SMTP
cannot be asked whether a message arrived, so :meth:`SmtpSender.find_sent` never knows.
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate

from notify.errors import (
    DeliveryError,
    DeliveryInDoubt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from notify.model import Channel
from notify.outbox import OutboxMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = "Medex <noreply@medex.belgium.be>"
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    """STARTTLS after connecting (port 587); ``ssl`` for implicit TLS (port 465)."""
    ssl: bool = False
    timeout: float = 20.0
    reply_to: str | None = None
    message_id_domain: str = "medex.belgium.be"


def build_email(message: OutboxMessage, settings: SmtpSettings) -> EmailMessage:
    """The MIME message of an outbox e-mail, invite attached."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@{settings.message_id_domain}>"
    if settings.reply_to:
        mail["Reply-To"] = settings.reply_to
    if message.language:
        mail["Content-Language"] = message.language
    mail.set_content(message.body)
    if message.attachment:
        method = "CANCEL" if b"METHOD:CANCEL" in message.attachment else "REQUEST"
        mail.add_attachment(message.attachment, maintype="text", subtype="calendar",
                            filename="medex.ics",
                            params={"method": method, "charset": "utf-8"})
    return mail


def _smtp_error(exc: Exception, after_data: bool) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = f"recipient refused: {exc.recipients}"
        if codes and all(c >= 500 for c in codes):
            return PermanentDeliveryError(text, str(codes[0]))
        return TransientDeliveryError(text, str(codes[0]) if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return TransientDeliveryError(f"SMTP login refused (check the settings): {text}",
                                          str(exc.smtp_code))
        if exc.smtp_code >= 500 and isinstance(exc, smtplib.SMTPDataError):
            return PermanentDeliveryError(text, str(exc.smtp_code))
        return TransientDeliveryError(text, str(exc.smtp_code))
    if after_data and isinstance(exc, (TimeoutError, socket.timeout,
                                       smtplib.SMTPServerDisconnected)):
        return DeliveryInDoubt(f"SMTP connection lost after the data: {exc}", "timeout")
    return TransientDeliveryError(f"SMTP server unreachable: {exc}", "connection")


class SmtpSender:
    """Sends outbox e-mails through one SMTP server, a connection per message."""

    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.ssl:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.starttls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, message: OutboxMessage, attempt: int) -> str:
        mail = build_email(message, self.settings)
        after_data = False
        try:
            with self._connect() as smtp:
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                after_data = True
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc, after_data) from exc
        return str(mail["Message-ID"])

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        return None
