"""A planner issues a victim a new personal link, withdrawing the earlier ones or not: the
old link stops working everywhere (API, pages, the former per-appointment link), the new one
works, later messages carry links of the new generation, and it is audited.  On SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.links import WITHDRAWN_KNOWN, LinkInvalid, LinkWithdrawn, VictimLinks, base36
from api.personal_links import issue_link
from api.tables import OUTBOX, Appointment, AuditEntry, Convocation
from tests.api.victim_fixtures import TODAY, Victims, victims_fixture  # noqa: F401

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


def test_a_link_reads_only_at_its_generation_and_an_earlier_one_is_withdrawn() -> None:
    links = _links()
    first, second = (links.token(7, generation=g) for g in (0, 1))
    assert first != second and len(first) == len(second)
    assert links.read(second, generation=1) == 7
    with pytest.raises(LinkWithdrawn) as caught:
        links.read(first, generation=1)
    assert "newer" in caught.value.detail and "new link" in caught.value.detail
    assert caught.value.status == 410
    with pytest.raises(LinkInvalid):  # a link of a later generation than the row's: forged
        links.read(second, generation=0)
    ident, day, sig = second.split(".")
    with pytest.raises(LinkInvalid):  # an altered one stays invalid, not withdrawn
        links.read(f"{ident}.{base36(int(day, 36) + 1)}.{sig}", generation=2)
    old = WITHDRAWN_KNOWN + 1
    with pytest.raises(LinkInvalid):  # too old to be told apart: bounded work per read
        links.read(first, generation=old)
    assert links.read(links.token(7, generation=old), generation=old) == 7
    with pytest.raises(ValueError):
        links.token(7, generation=-1)


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
        assert victims.links.read(token, generation=1) == victims.conv["bert"]
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

