"""Victims online on a busy week: offered slots per victim, and bookings under load.

Run: ``.venv/bin/python bench/victim_slots.py [--appointments 5000] [--victims 200]
[--clients 50] [--bookings 200] [--postgres URL | --postgres-env]``.

Per database (an SQLite file always; PostgreSQL too with ``--postgres`` or, with
``--postgres-env``, at ``MEDEX_BENCH_POSTGRES_URL``, an admin URL on which a scratch
database is created and dropped):

1. *build*: the demo data (the real centres, ~240 doctors, 6,000 convocations), the week
   planned by hand and its first ``--appointments`` assignments written as confirmed
   appointments, then the tables' statistics (:func:`statistics_for_planner`);
2. *slots*: :func:`api.offers.slots_for` for ``--victims`` convocations (half pending,
   half with an appointment), each in its own transaction as a request has it;
3. *book (service)*: ``--clients`` threads calling :func:`api.booking.book` at once, each
   for its own victim and a slot offered to it just before;
4. *book (HTTP)*: the service under uvicorn in a child process on the loopback interface,
   ``--clients`` HTTP clients each posting ``POST /api/v/{token}/booking`` for victims of
   their own, ``--bookings`` in all (after 20 by one client alone: the latency without
   load), first back to back (each client posts its next booking as soon as the last is
   answered: a saturating load), then paced (each client waits a random 0 to 2 x
   ``--think`` seconds before each request, as people do).  Each round's slots are offered
   just before it (in this process, not timed): a victim books what they were just offered,
   not what an earlier round has taken since.  A 409 (the slot went to another client
   meanwhile, e.g. a room; its answer carries fresh alternatives) is counted apart, and the
   latencies of each status are also given apart.  With ``--browse N`` each paced client
   first loads its offered slots N times (``GET .../slots``, thinking before each), as
   victims look before they book.  After each round: the server's CPU per request (its
   processes only, not PostgreSQL's).

Prints medians and 95th percentiles in milliseconds, the machine's load and core count.

The server is ``medex serve``'s: the app built from the ``MEDEX_*`` variables, with its
thread pool (``MEDEX_HTTP_THREADS``; ``--server-threads`` overrides it) and, on SQLite, its
writers queued first come first served before ``BEGIN IMMEDIATE`` (:mod:`api.db`).  On
PostgreSQL ``--server-workers N`` serves from N processes (``medex serve --workers N``).
No assertion on times: this is a measurement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from api.booking import Actor, SlotChoice, SlotTaken, book
from api.config import Settings
from api.db import Database, make_engine
from api.migrate import upgrade
from api.notices import Notices
from api.offers import slots_for
from api.planning import build_week
from api.seed import load_demo
from api.tables import Appointment, Convocation
from scheduler.demo import next_demo_monday
from scheduler.domain import HOME
from scheduler.heuristic import plan_by_hand
from scheduler.slots import Slot
from scheduler.travel import resolve_travel

SECRET = "bench-secret-0123456789abcdef"


def machine_speed() -> float:
    """Seconds this machine takes for a plain Python loop of 10 million additions (the
    same work on every run: a slow or shared virtual machine shows here first)."""
    began = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - began


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def summary(name: str, ms: list[float], extra: str = "") -> None:
    print(f"  {name:<22} n={len(ms):4d}  median {statistics.median(ms):7.1f} ms   "
          f"p95 {pct(ms, 0.95):7.1f} ms   max {max(ms):7.1f} ms  {extra}", flush=True)


def settings_for(url: str) -> Settings:
    values: dict[str, Any] = {"environment": "test", "database_url": url,
                              "secret_key": SECRET, "feed_secret": SECRET, "_env_file": None}
    return Settings(**values)


# ------------------------------------------------------------------ the week


def build(db: Database, appointments: int, monday: date) -> None:
    started = time.perf_counter()
    load_demo(db, convocations=int(appointments * 1.2), seed=1, week_start=monday)
    with db.session() as s:
        built = build_week(s, monday)
    plan = plan_by_hand(built.week, resolve_travel(built.week))
    chosen = list(plan.assignments)[:appointments]
    rows = [{"convocation_id": built.convocations[a.convocation],
             "doctor_id": built.doctors[a.doctor],
             "centre_id": None if a.centre == HOME else a.centre, "start": a.start,
             "end": a.end, "travel_min": a.travel_min, "status": "confirmed", "revision": 1,
             "change_reason": "bench", "updated_at": datetime.now(UTC).replace(tzinfo=None)}
            for a in chosen]
    with db.session() as s:
        s.execute(insert(Appointment), rows)
        s.execute(update(Convocation).where(col(Convocation.id).in_(
            [r["convocation_id"] for r in rows])).values(status="scheduled"))
    statistics_for_planner(db)
    print(f"  build: {len(rows)} confirmed appointments in {time.perf_counter() - started:.1f} s",
          flush=True)


def statistics_for_planner(db: Database) -> None:
    """The tables' statistics after the bulk load, as a database in use has them: SQLite's
    the service computes at its start (:meth:`api.db.Database.analyze`), PostgreSQL's its
    autovacuum computes within a minute or so of a bulk load; the benchmark does not wait
    for it.  Without them PostgreSQL guesses a handful of rows for every condition and
    reads the waitlist by the status index (1.7 ms instead of 0.02 ms a reschedule)."""
    if db.is_sqlite:
        db.analyze()
        return
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def victims(db: Database, n: int, seed: int = 7) -> list[int]:
    with db.session() as s:
        pending = list(s.exec(select(Convocation.id).where(Convocation.status == "pending")))
        scheduled = list(s.exec(select(Convocation.id).where(
            Convocation.status == "scheduled")))
    rnd = random.Random(seed)
    half = min(len(pending), n // 2)
    return [int(x or 0) for x in rnd.sample(pending, half) + rnd.sample(scheduled, n - half)]


# ------------------------------------------------------------------ measures


def bench_slots(db: Database, ids: list[int], now: datetime) -> dict[int, list[Slot]]:
    ms: list[float] = []
    found: dict[int, list[Slot]] = {}
    for cid in ids:
        t = time.perf_counter()
        with db.session() as s:
            found[cid] = slots_for(s, cid, now=now)
        ms.append((time.perf_counter() - t) * 1000)
    counts = [len(v) for v in found.values()]
    summary("slots_for", ms, f"(slots per victim: median {statistics.median(counts):.0f}, "
                             f"none for {counts.count(0)})")
    return found


def _distinct_picks(found: dict[int, list[Slot]], ids: list[int]) -> list[tuple[int, Slot]]:
    """One slot per victim, no two on the same doctor and start (rooms may still clash)."""
    used: set[tuple[str, datetime]] = set()
    out = []
    for cid in ids:
        for slot in found.get(cid, []):
            if (slot.doctor, slot.start) not in used:
                used.add((slot.doctor, slot.start))
                out.append((cid, slot))
                break
    return out


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def go(i: int) -> None:
        barrier.wait()
        out[i] = work(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def bench_book_service(db: Database, settings: Settings, picks: list[tuple[int, Slot]],
                       clients: int) -> None:
    notices = Notices.from_settings(settings)
    picks = picks[:clients]

    def work(i: int) -> tuple[float, str]:
        cid, slot = picks[i]
        t = time.perf_counter()
        try:
            with db.session() as s:
                book(s, cid, SlotChoice(slot.doctor, slot.centre, slot.start),
                     Actor.victim(cid), reason="bench", notices=notices, settings=settings)
            outcome = "ok"
        except SlotTaken:
            outcome = "taken"
        return (time.perf_counter() - t) * 1000, outcome

    got = _together(len(picks), work)
    taken = sum(1 for _, o in got if o == "taken")
    summary(f"book, {len(picks)} threads", [m for m, _ in got], f"({taken} taken)")


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its descendants
    (Linux ``/proc``; 0 elsewhere): the server's cost per request, whatever else runs."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVE = """
import sys, uvicorn
uvicorn.run("api.app:from_environment", factory=True, workers=int(sys.argv[2]),
            host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""
"""The service as ``medex serve`` runs it: the app built from the ``MEDEX_*`` variables, in
one process or (``--server-workers``) several."""


Round = tuple[str, int, float, list[int]]
"""(name, clients, mean think time in s between a client's requests, the victims who book)."""
Offer = Callable[[list[int]], list[tuple[int, Slot]]]
"""The slot each victim is offered now (one each, no two on the same doctor and start)."""


def bench_book_http(url: str, settings: Settings, rounds: list[Round], offer: Offer,
                    threads: int = 0, workers: int = 1, browse: int = 0) -> None:
    """The rounds of HTTP bookings against the service in a child process; each round's
    slots are offered just before it (not timed), as a victim books what they were just
    offered, not what an earlier round has taken since."""
    import httpx

    from api.links import VictimLinks

    links = VictimLinks.from_settings(settings)
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]),
               MEDEX_ENVIRONMENT="test", MEDEX_DATABASE_URL=url, MEDEX_SECRET_KEY=SECRET,
               MEDEX_FEED_SECRET=SECRET)
    if threads:
        env["MEDEX_HTTP_THREADS"] = str(threads)
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(workers)],
                              env=env, cwd=Path(__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for name, clients, think, who in rounds:
            picks = offer(who)
            cpu = _tree_cpu(server.pid)
            n = _http_round(base, links, name, think, picks, clients, browse)
            spent = _tree_cpu(server.pid) - cpu
            print(f"  {'':<22} server CPU {1000 * spent / max(1, n):.1f} ms per request",
                  flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _http_round(base: str, links: Any, name: str, think: float, picks: list[tuple[int, Slot]],
                clients: int, browse: int = 0) -> int:
    """One round of HTTP bookings by ``clients`` clients (paced ones first look at their
    slots ``browse`` times); prints the latencies, returns how many requests were made."""
    per_client = [picks[i::clients] for i in range(clients)]
    ms: list[float] = []
    looked: list[float] = []
    codes: dict[int, int] = {}
    by_status: dict[int, list[float]] = {}
    lock = threading.Lock()
    rnd = random.Random(3)

    host, port = base.removeprefix("http://").split(":")

    def work(i: int) -> None:
        # the standard library's client, one kept-alive connection per client: the load
        # generator shares the machine's cores with the server, and takes little of them
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            for cid, slot in per_client[i]:
                if think:
                    time.sleep(rnd.uniform(0, 2 * think))
                body = json.dumps({"doctor": slot.doctor, "centre": slot.centre,
                                   "start": slot.start.isoformat(), "reason": "bench"})
                path = f"/api/v/{links.token(cid, generation=0)}/booking"
                for _ in range(browse if think else 0):  # the victim looks at the slots
                    began = time.perf_counter()
                    conn.request("GET", f"/api/v/{links.token(cid, generation=0)}/slots")
                    conn.getresponse().read()
                    with lock:
                        looked.append((time.perf_counter() - began) * 1000)
                    time.sleep(rnd.uniform(0, 2 * think))
                t = time.perf_counter()
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                took = (time.perf_counter() - t) * 1000
                with lock:
                    ms.append(took)
                    codes[r.status] = codes.get(r.status, 0) + 1
                    by_status.setdefault(r.status, []).append(took)
        finally:
            conn.close()

    started = time.perf_counter()
    _together(clients, work)
    wall = time.perf_counter() - started
    summary(f"HTTP {name}", ms,
            f"(status {dict(sorted(codes.items()))}, {len(ms) / wall:.0f} req/s)")
    for status, took in sorted(by_status.items()):
        if len(by_status) > 1 and len(took) >= 5:  # e.g. 409: a failed attempt and its
            summary(f"  of which {status}", took)   # fresh alternatives
    if looked:
        summary("HTTP GET slots between", looked)
    return len(ms) + len(looked)


# ------------------------------------------------------------------ one database


def run(url: str, args: argparse.Namespace) -> None:
    print(f"{make_url(url).get_backend_name()}:", flush=True)
    upgrade(url)
    settings = settings_for(url)
    pool = {} if url.startswith("sqlite") else {"pool_size": args.clients, "max_overflow": 5}
    db = Database(url, engine=make_engine(url, **pool))
    try:
        monday = next_demo_monday()
        build(db, args.appointments, monday)
        now = datetime.now(UTC)
        ids = victims(db, args.victims + args.clients + 2 * args.bookings + 20)
        found = bench_slots(db, ids[:args.victims], now)
        rest = ids[args.victims:]
        found.update({cid: slots_for_quiet(db, cid, now) for cid in rest})
        picks = _distinct_picks(found, ids[args.victims:])
        bench_book_service(db, settings, picks[:args.clients], args.clients)
        if not args.no_http:
            more = [cid for cid, _ in picks[args.clients:]]
            solo, more = more[:20], more[20:]
            k = len(more) // 2
            n = args.clients

            def offer(ids: list[int]) -> list[tuple[int, Slot]]:
                at = datetime.now(UTC)
                return _distinct_picks({cid: slots_for_quiet(db, cid, at) for cid in ids},
                                       ids)

            bench_book_http(url, settings, [
                ("1 client (no load)", 1, 0.0, solo),
                (f"{n} clients back to back", n, 0.0, more[:k]),
                (f"{n} clients ~{args.think:g} s apart", n, args.think, more[k:])], offer,
                args.server_threads, 1 if url.startswith("sqlite") else args.server_workers,
                args.browse)
    finally:
        db.dispose()


def slots_for_quiet(db: Database, cid: int, now: datetime) -> list[Slot]:
    with db.session() as s:
        return slots_for(s, cid, now=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=5000)
    parser.add_argument("--victims", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--bookings", type=int, default=200,
                        help="HTTP bookings per round (back to back, then paced)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds between a paced client's requests")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server")
    parser.add_argument("--postgres-env", action="store_true",
                        help="the admin URL from MEDEX_BENCH_POSTGRES_URL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--server-threads", type=int, default=0,
                        help="the server's thread pool for sync routes and dependencies "
                             "(0: as shipped, MEDEX_HTTP_THREADS's default)")
    parser.add_argument("--server-workers", type=int, default=1,
                        help="server processes on PostgreSQL (medex serve --workers; "
                             "SQLite always serves from one)")
    parser.add_argument("--browse", type=int, default=0,
                        help="paced clients first load their slots this many times per "
                             "booking (GET /slots, with the think time before each)")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"10M-addition loop {machine_speed():.2f} s", flush=True)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    admin_url = args.postgres or (os.environ.get("MEDEX_BENCH_POSTGRES_URL")
                                  if args.postgres_env else None)
    if admin_url:
        name = f"medex_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(make_url(admin_url).set(database=name).render_as_string(hide_password=False),
                args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    load = os.getloadavg()
    print(f"machine after: load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"10M-addition loop {machine_speed():.2f} s", flush=True)


if __name__ == "__main__":
    main()
