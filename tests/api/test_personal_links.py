"""A planner issues a victim a new personal link, withdrawing the earlier ones or not: the
old link stops working everywhere (API, pages, the former per-appointment link), the new one
works, later messages carry links of the new generation, and it is audited.  On SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from api.links import LinkInvalid, LinkWithdrawn, VictimLinks
from api.personal_links import issue_link
from api.tables import OUTBOX, Appointment, AuditEntry, Convocation
from tests.api.victim_fixtures import NOW, TODAY, Victims, victims_fixture  # noqa: F401

# ------------------------------------------------------------------ the link itself


def _links() -> VictimLinks:
    return VictimLinks(b"k" * 32, "https://medex.belgium.be", 90, today=lambda: TODAY)


def test_generation_zero_signs_what_links_signed_before() -> None:
    import base64
    import hashlib
    import hmac

    links = _links()
    token = links.token(48213, generation=0)
    ident, day, sig = token.split(".")
    key = hmac.new(b"k" * 32, b"medex victim personal link v1", hashlib.sha256).digest()
    before = hmac.new(key, f"{ident}.{day}".encode(), hashlib.sha256).digest()[:8]
    assert sig == base64.urlsafe_b64encode(before).decode().rstrip("=")


def test_a_link_carries_its_generation_and_an_earlier_one_is_withdrawn() -> None:
    links = _links()
    first, second = (links.token(7, generation=g) for g in (0, 1))
    assert first.count(".") == 2 and second.count(".") == 3  # generation 0 is not written
    assert second.split(".")[2] == "1" and len(second) == len(first) + 2
    opened = links.opened(second)
    assert (opened.convocation_id, opened.generation) == (7, 1)
    links.check_generation(opened, 1)
    with pytest.raises(LinkWithdrawn) as caught:
        links.check_generation(links.opened(first), 1)
    assert "newer" in caught.value.detail and "new link" in caught.value.detail
    assert caught.value.status == 410
    with pytest.raises(LinkInvalid):  # a link of a later generation than the row's
        links.check_generation(opened, 0)
    assert links.opened(links.token(7, generation=36 ** 6 - 1)).generation == 36 ** 6 - 1
    ident, day, generation, sig = second.split(".")
    for bad in (f"{ident}.{day}.2.{sig}",            # another generation, same signature
                f"{ident}.{day}.{sig}",              # the generation dropped
                f"{ident}.{day}.01.{sig}",           # not written as the signer writes it
                f"{ident}.{day}.0.{sig}", f"{ident}.{day}..{sig}",
                f"{ident}.{day}.{generation}.{first.split('.')[2]}"):
        with pytest.raises(LinkInvalid):
            links.read(bad)
    for impossible in (-1, 36 ** 6):
        with pytest.raises(ValueError):
            links.token(7, generation=impossible)


# ------------------------------------------------------------------ through the service


def _issue(v: Victims, key: str, who: str = "planner", **body: object) -> dict[str, object]:
    r = v.client.post(f"/api/convocations/{v.conv[key]}/link", json=body or None,
                      headers=v.svc.as_(who))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _token_of(url: object) -> str:
    return str(url).rsplit("/v/", 1)[1]


def _generation(v: Victims, key: str) -> int:
    with v.svc.db.session() as s:
        row = s.get(Convocation, v.conv[key])
        assert row is not None
        return row.link_generation


def test_withdrawing_stops_the_old_link_everywhere_and_the_new_one_works(victims: Victims
                                                                         ) -> None:
    old = victims.token("ann")
    assert victims.client.get(f"/api/v/{old}").status_code == 200
    issued = _issue(victims, "ann")
    new = _token_of(issued["url"])
    assert issued["withdrawn"] is True and new != old
    assert issued["last_day"] == (TODAY + timedelta(days=90)).isoformat()
    assert str(issued["url"]).startswith(victims.svc.settings.public_base_url + "/v/")
    assert _generation(victims, "ann") == 1
    r = victims.client.get(f"/api/v/{old}")
    assert r.status_code == 410 and r.json()["code"] == "link_withdrawn", r.text
    assert "Ann" not in r.text
    for path in ("/slots", "/invite.ics"):
        assert victims.client.get(f"/api/v/{old}{path}").status_code == 410, path
    r = victims.client.request("DELETE", f"/api/v/{old}/booking", json={"reason": "no"})
    assert r.status_code == 410
    page = victims.client.get(f"/v/{old}")
    assert page.status_code == 410 and "Deze link is vervangen" in page.text  # Ann reads Dutch
    assert "Ann Aerts" not in page.text
    assert victims.client.get(f"/api/v/{new}").json()["id"] == victims.conv["ann"]
    assert victims.client.get(f"/v/{new}").status_code == 200
    with victims.svc.db.engine.connect() as conn:
        entry = conn.execute(select(AuditEntry).where(
            AuditEntry.action == "withdraw_links")).one()
    assert entry.entity_id == str(victims.conv["ann"])
    assert entry.before == {"link_generation": 0}
    assert entry.after["link_generation"] == 1
    assert entry.user_id is not None


def test_an_older_link_withdrawn_twice_is_still_told_apart(victims: Victims) -> None:
    old = victims.token("bert")
    middle = _token_of(_issue(victims, "bert")["url"])
    newest = _token_of(_issue(victims, "bert")["url"])
    for token in (old, middle):
        assert victims.client.get(f"/api/v/{token}").json()["code"] == "link_withdrawn"
    assert victims.client.get(f"/api/v/{newest}").status_code == 200
    assert _generation(victims, "bert") == 2
    assert _generation(victims, "ann") == 0  # only that convocation's links


def test_a_new_link_without_withdrawing_leaves_the_old_one_valid(victims: Victims) -> None:
    old = victims.token("bert")
    issued = _issue(victims, "bert", withdraw=False)
    assert issued["withdrawn"] is False
    assert victims.client.get(f"/api/v/{old}").status_code == 200
    assert victims.client.get(f"/api/v/{_token_of(issued['url'])}").status_code == 200
    assert _generation(victims, "bert") == 0


def test_messages_after_a_withdrawal_carry_a_link_of_the_new_generation(victims: Victims
                                                                       ) -> None:
    new = _token_of(_issue(victims, "bert")["url"])
    slots = victims.client.get(f"/api/v/{new}/slots").json()["items"]
    assert slots
    slot = slots[0]
    r = victims.client.post(f"/api/v/{new}/booking", json={
        "doctor": slot["doctor"], "centre": slot["centre"], "start": slot["start"]})
    assert r.status_code == 200, r.text
    with victims.svc.db.engine.connect() as conn:
        bodies = [b for (b,) in conn.execute(select(OUTBOX.c.body).where(
            OUTBOX.c.kind == "convocation"))]
    base = victims.svc.settings.public_base_url + "/v/"
    tokens = {b[b.index(base) + len(base):].split()[0] for b in bodies if base in b}
    assert tokens
    for token in tokens:
        assert victims.links.opened(token).generation == 1
        assert victims.links.read(token) == victims.conv["bert"]
        r = victims.client.get(f"/api/v/{token}")
        assert r.status_code == 200, r.text


def test_the_former_per_appointment_link_stops_once_links_are_withdrawn(victims: Victims
                                                                       ) -> None:
    with victims.svc.db.session() as s:
        appt = s.exec(select(Appointment).where(  # type: ignore[call-overload]
            Appointment.convocation_id == victims.conv["ann"])).one()[0]
    notices = victims.svc.app.state.medex.notices
    former = f"/a/{appt.id}/{notices.link_token(appt.id)}"
    r = victims.client.get(former, follow_redirects=False)
    assert r.status_code == 303
    assert victims.client.get(f"{former}.ics").status_code == 200
    _issue(victims, "ann")
    assert victims.client.get(former, follow_redirects=False).status_code == 404
    assert victims.client.get(f"{former}.ics").status_code == 404


def test_only_planners_issue_links_and_bad_input_is_refused(victims: Victims) -> None:
    url = f"/api/convocations/{victims.conv['ann']}/link"
    for who in ("manager", "doctor"):
        r = victims.client.post(url, headers=victims.svc.as_(who))
        assert r.status_code == 403, (who, r.text)
    assert victims.client.post(url).status_code == 401
    assert victims.client.post(url, headers=victims.hr["hr_a"]).status_code == 403
    r = victims.client.post(url, json={"withdraw": "perhaps"},
                            headers=victims.svc.as_("planner"))
    assert r.status_code == 422 and "withdraw" in r.text
    r = victims.client.post(url, json={"withdraw": True, "extra": 1},
                            headers=victims.svc.as_("planner"))
    assert r.status_code == 422 and "extra" in r.text
    r = victims.client.post("/api/convocations/999999/link",
                            headers=victims.svc.as_("planner"))
    assert r.status_code == 404
    assert _generation(victims, "ann") == 0  # nothing was withdrawn by any of these
    cookie = victims.cookie_client("planner@medex.test")
    assert cookie.post(url).status_code == 403  # a browser's change needs X-Medex: 1
    assert cookie.post(url, headers={"X-Medex": "1"}).status_code == 200


def test_withdrawals_at_once_each_raise_the_generation(victims: Victims) -> None:
    links = victims.links
    n = 8
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait()
            with victims.svc.db.session() as s:
                issue_link(s, links, victims.conv["cleo"], None)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _generation(victims, "cleo") == n



def test_a_forged_link_is_refused_before_any_transaction(victims: Victims) -> None:
    """The signature is checked first: a forgery never takes SQLite's write lock (nor a
    PostgreSQL connection's transaction), so forged requests cannot queue real bookings."""
    from sqlalchemy import event

    ident, day, _sig = victims.token("bert").split(".")
    forged = f"{ident}.{day}.AAAAAAAAAAA"
    began: list[int] = []

    def count(_conn: object) -> None:
        began.append(1)

    event.listen(victims.svc.db.engine, "begin", count)
    try:
        for method, path, body in (
                ("POST", f"/api/v/{forged}/booking", {"doctor": "D001", "centre": "BRU",
                                                      "start": "2026-12-09T09:00"}),
                ("DELETE", f"/api/v/{forged}/booking", {"reason": "x"}),
                ("PUT", f"/api/v/{forged}/waitlist", {"on": True}),
                ("GET", f"/api/v/{forged}", None)):
            r = victims.client.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.text)
        r = victims.client.post(f"/v/{forged}/book", data={"slot": "D001|BRU|2026-12-09T09:00"})
        assert r.status_code == 404
    finally:
        event.remove(victims.svc.db.engine, "begin", count)
    assert began == []


def test_a_change_made_with_a_link_withdrawn_meanwhile_is_refused(victims: Victims) -> None:
    """The link was read at generation 0, then a planner withdrew it before the booking
    locked the file: the booking, cancel, preferences and waitlist are all refused."""
    from api.booking import (
        Actor,
        Preferences,
        SlotChoice,
        book,
        cancel,
        join_waitlist,
        set_preferences,
    )

    state = victims.svc.app.state.medex
    slot = victims.client.get(victims.v("bert", "/slots")).json()["items"][0]
    _issue(victims, "bert")  # committed before the change below locks the row
    bert, ann = victims.conv["bert"], victims.conv["ann"]
    _issue(victims, "ann")
    changes = {
        "book": lambda s: book(s, bert, SlotChoice(slot["doctor"], slot["centre"],
                                                   datetime.fromisoformat(slot["start"])),
                               Actor.victim(bert, 0), notices=state.notices,
                               settings=state.settings, now=NOW),
        "cancel": lambda s: cancel(s, ann, Actor.victim(ann, 0), reason="x",
                                   notices=state.notices, settings=state.settings, now=NOW),
        "preferences": lambda s: set_preferences(s, bert, Preferences(), Actor.victim(bert, 0),
                                                 now=NOW),
        "waitlist": lambda s: join_waitlist(s, ann, Actor.victim(ann, 0), now=NOW)}
    for name, change in changes.items():
        with pytest.raises(LinkWithdrawn), victims.svc.db.session() as s:
            change(s)
        with victims.svc.db.session() as s:  # nothing saved
            assert s.get(Convocation, bert).status == "pending", name  # type: ignore[union-attr]
            assert s.get(Convocation, ann).waitlist_since is None, name  # type: ignore[union-attr]
            assert s.exec(select(Appointment).where(  # type: ignore[call-overload]
                Appointment.convocation_id == ann, Appointment.status == "confirmed")).first()
    with victims.svc.db.session() as s:  # with the current generation it goes through
        join_waitlist(s, ann, Actor.victim(ann, 1), now=NOW)
        assert s.get(Convocation, ann).waitlist_since is not None  # type: ignore[union-attr]


def test_the_replaced_link_page_speaks_the_victims_language(victims: Victims) -> None:
    old = victims.token("cleo")  # Cléo reads French
    _issue(victims, "cleo")
    r = victims.client.get(f"/v/{old}")
    assert r.status_code == 410 and 'lang="fr"' in r.text and "Ce lien a été remplacé" in r.text
    r = victims.client.get(f"/v/{old}?lang=de")  # the language asked for comes first
    assert r.status_code == 410 and "Dieser Link wurde ersetzt" in r.text


def test_a_deleted_files_link_never_opens_the_next_file(victims: Victims) -> None:
    """Ids are never given twice (SQLite's AUTOINCREMENT, PostgreSQL's sequence): the link
    of a deleted convocation stays dead when another is created."""
    planner = victims.svc.as_("planner")
    body = {"victim_id": victims.victim["dirk"], "injury": "sprain",
            "accident_date": "2026-11-20", "request_date": "2026-12-01"}
    r = victims.client.post("/api/convocations", json=body, headers=planner)
    assert r.status_code == 201, r.text
    last = r.json()["id"]
    link = _token_of(_issue(victims, "dirk")["url"])  # dirk's first file: still there
    old = victims.links.token(last, generation=0)
    assert victims.client.get(f"/api/v/{old}").status_code == 200
    assert victims.client.delete(f"/api/convocations/{last}", headers=planner).status_code == 204
    r = victims.client.post("/api/convocations", json={
        **body, "victim_id": victims.victim["cleo"]}, headers=planner)
    assert r.status_code == 201 and r.json()["id"] > last, r.text
    assert victims.client.get(f"/api/v/{old}").status_code == 404
    assert victims.client.get(f"/api/v/{link}").json()["name"] == "Dirk Dierckx"
