"""A fake Twilio REST server on the loopback interface, for the real ``twilio`` client.

It speaks the part of the 2010-04-01 API that ``notify.sms`` uses: create a message
(``POST /2010-04-01/Accounts/{sid}/Messages.json``), list messages (``GET`` on the same path,
``To`` filter, newest first) and fetch one.  It checks HTTP basic auth, records every
request and every message it accepted, and fails on demand:

* ``fail_next(status, code, times)``: the next ``times`` creates answer an error;
* ``time_out_next(seconds, accept, times)``: the next creates answer only after
  ``seconds`` (longer than the client's time-out), having accepted the message or not;
* ``fail_number(to, status, code)``: every create to ``to`` fails (an invalid or
  unsubscribed number);
* ``hold_after(count, seconds)``: the ``count``-th accepted message is answered late (a
  moment to kill the client while the message is accepted but not yet recorded).

Use it as a context manager; ``base_url`` is ``http://127.0.0.1:<random port>``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass
class Fault:
    status: int = 500
    code: int | None = None
    delay: float = 0.0
    accept: bool = False
    """With a delay: the message is created before the (too late) answer."""


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Recorded] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    numbers: dict[str, Fault] = field(default_factory=dict)
    hold_at: int | None = None
    hold_seconds: float = 0.0
    held: threading.Event = field(default_factory=threading.Event)


def _now() -> str:
    from datetime import UTC, datetime

    return format_datetime(datetime.now(UTC), usegmt=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (time-out) or was killed
            pass

    def _error(self, status: int, code: int | None, message: str) -> None:
        self._reply(status, {"code": code, "message": message, "status": status,
                             "more_info": f"https://www.twilio.com/docs/errors/{code}"})

    def _record(self, form: dict[str, str]) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        rec = Recorded(self.command, parts.path, form, query,
                       {k: v for k, v in self.headers.items()}, time.time())
        with self.server.state.lock:
            self.server.state.requests.append(rec)
        return parts.path, query

    def _authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(
            f"{self.server.account_sid}:{self.server.auth_token}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._error(401, 20003, "Authenticate")
            return False
        return True

    def _base(self) -> str:
        return f"/2010-04-01/Accounts/{self.server.account_sid}/Messages"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        path, _ = self._record(form)
        if not self._authorised():
            return
        if path != self._base() + ".json":
            self._error(404, 20404, "The requested resource was not found")
            return
        state = self.server.state
        to = form.get("To", "")
        with state.lock:
            fault = state.faults.popleft() if state.faults else state.numbers.get(to)
        if fault is not None and fault.delay:
            if fault.accept:
                self._create(form)
            time.sleep(fault.delay)
            self._error(fault.status, fault.code, "late answer")
            return
        if fault is not None:
            self._error(fault.status, fault.code, "fault on demand")
            return
        if self.server.latency:
            time.sleep(self.server.latency)
        if not to.startswith("+") or not to[1:].isdigit():
            self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            return
        created = self._create(form)
        with state.lock:
            hold = state.hold_at is not None and len(state.messages) == state.hold_at
        if hold:  # accepted, the answer held back: the client is in doubt
            state.held.set()
            time.sleep(state.hold_seconds)
        self._reply(201, created)

    def _create(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        now = _now()
        message = {
            "sid": sid, "account_sid": self.server.account_sid, "to": form.get("To"),
            "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
            "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now,
            "date_updated": now, "date_sent": None, "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "num_media": "0",
            "uri": f"{self._base()}/{sid}.json", "subresource_uris": {},
            "_status_callback": form.get("StatusCallback"),
        }
        with self.server.state.lock:
            self.server.state.messages.append(message)
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def do_GET(self) -> None:
        path, query = self._record({})
        if not self._authorised():
            return
        state = self.server.state
        if path == self._base() + ".json":
            size = int(query.get("PageSize", "50"))
            with state.lock:
                found = [m for m in reversed(state.messages)
                         if "To" not in query or m["to"] == query["To"]][:size]
            page = [{k: v for k, v in m.items() if not k.startswith("_")} for m in found]
            self._reply(200, {"messages": page, "page": 0, "page_size": size,
                              "first_page_uri": self.path, "next_page_uri": None,
                              "previous_page_uri": None, "uri": self.path, "start": 0,
                              "end": len(page)})
            return
        if path.startswith(self._base() + "/") and path.endswith(".json"):
            sid = path.rsplit("/", 1)[1][:-5]
            with state.lock:
                match = next((m for m in state.messages if m["sid"] == sid), None)
            if match is not None:
                self._reply(200, {k: v for k, v in match.items() if not k.startswith("_")})
                return
        self._error(404, 20404, "The requested resource was not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many clients connecting at once are queued, not reset

    def __init__(self, account_sid: str, auth_token: str, latency: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.state = _State()
        self.account_sid = account_sid
        self.auth_token = auth_token


class FakeTwilio:
    """The fake server; ``with FakeTwilio() as fake: ... fake.base_url ...``."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *,
                 latency: float = 0.0):
        """``latency``: seconds each create takes, as a distant API would."""
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._server = _Server(account_sid, auth_token, latency)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- faults
    def fail_next(self, status: int = 500, code: int | None = None, times: int = 1) -> None:
        with self._server.state.lock:
            self._server.state.faults.extend(Fault(status, code) for _ in range(times))

    def time_out_next(self, seconds: float, *, accept: bool, times: int = 1) -> None:
        with self._server.state.lock:
            self._server.state.faults.extend(Fault(504, None, seconds, accept)
                                             for _ in range(times))

    def fail_number(self, to: str, status: int = 400, code: int | None = 21211) -> None:
        with self._server.state.lock:
            self._server.state.numbers[to] = Fault(status, code)

    def hold_after(self, count: int, seconds: float) -> threading.Event:
        """Hold back the answer to the ``count``-th accepted message for ``seconds``; the
        returned event is set once it is accepted (a moment to kill the client)."""
        with self._server.state.lock:
            self._server.state.hold_at, self._server.state.hold_seconds = count, seconds
            self._server.state.held.clear()
        return self._server.state.held

    # -- what it saw
    @property
    def requests(self) -> list[Recorded]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The messages accepted, in order, each with ``_status_callback``."""
        with self._server.state.lock:
            return [dict(m) for m in self._server.state.messages]

    def accepted_count(self) -> int:
        with self._server.state.lock:
            return len(self._server.state.messages)

    def accepted_keys(self) -> list[str]:
        """The outbox keys of the accepted messages (from their status-callback URLs)."""
        out = []
        for m in self.messages:
            url = m.get("_status_callback") or ""
            out.append(parse_qs(urlsplit(url).query).get("key", [""])[0])
        return out
