"""Senders that need no account: the default of the embedded set-up.

* :class:`ConsoleSender` logs each message (logger ``notify.console``).
* :class:`FileSender` appends each message as one JSON line to a file (e-mail attachments
  base64-encoded), so a developer or a test can read what would have left; it can answer
  :meth:`find_sent`, so a re-run after a crash does not write a message twice.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from notify.model import Channel
from notify.outbox import OutboxMessage

console_log = logging.getLogger("notify.console")


class ConsoleSender:
    """Logs messages of ``channel`` instead of sending them."""

    def __init__(self, channel: Channel):
        self.channel = channel

    def send(self, message: OutboxMessage, attempt: int) -> str:
        console_log.info("%s to %s [%s]%s\n%s", message.channel.value.upper(),
                         message.recipient, message.key,
                         f" {message.subject!r}" if message.subject else "", message.body)
        return f"console:{message.key}"

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        return None


class FileSender:
    """Appends messages of ``channel`` to ``path`` as JSON lines (one ``fsync`` each)."""

    def __init__(self, channel: Channel, path: str | Path):
        self.channel = channel
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage, attempt: int) -> str:
        record = {
            "key": message.key, "channel": message.channel.value, "to": message.recipient,
            "subject": message.subject, "body": message.body, "attempt": attempt,
            "attachment": (base64.b64encode(message.attachment).decode()
                           if message.attachment else None),
            "written_at": datetime.now(UTC).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        return f"file:{message.key}"

    def find_sent(self, message: OutboxMessage, since: datetime) -> str | None:
        return f"file:{message.key}" if message.key in self.keys() else None

    def keys(self) -> list[str]:
        """The keys written so far, in order (a torn last line is skipped)."""
        if not self.path.exists():
            return []
        out = []
        with self._lock, self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    out.append(json.loads(line)["key"])
                except (ValueError, KeyError):
                    continue
        return out
