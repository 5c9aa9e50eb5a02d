"""A victim's personal link issued again by Medex, with the earlier ones withdrawn or not.

A victim whose link expired, who lost the phone that received it, or whose letter went to
the wrong address calls Medex, as every link error tells them to.  A planner then issues a
new link (``POST /api/convocations/{id}/link``) and gives it by phone, letter or e-mail.
With ``withdraw`` (the default) the convocation's ``link_generation`` is raised: every
link issued before stops working at once (:mod:`api.links`; the former per-appointment
links too, :mod:`api.pages`), and every later message carries a link of the new
generation.  Without it, the earlier links stay valid until their own last day (a link
that only expired).  Either is audited, with who did it; nothing medical is involved.
:func:`convocation_of` opens a link: the convocation it names, if the link is of its
current generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from api.db import lock_rows
from api.errors import NotFound
from api.links import PATH, LinkInvalid, Opened, VictimLinks
from api.services import audit
from api.tables import Convocation


@dataclass(frozen=True)
class IssuedLink:
    convocation_id: int
    url: str
    last_day: date
    """The last day the new link is valid."""
    withdrawn: bool
    """The earlier links were withdrawn."""


def issue_link(session: Session, links: VictimLinks, convocation_id: int, user_id: int | None,
               *, withdraw: bool = True) -> IssuedLink:
    """A new personal link for the convocation, in the caller's transaction (the row is
    locked: two planners withdrawing at once raise the generation twice, never lose one)."""
    lock_rows(session, Convocation, [convocation_id])
    conv = session.get(Convocation, convocation_id, populate_existing=True)
    if conv is None:
        raise NotFound(f"no convocation {convocation_id}")
    before = conv.link_generation
    if withdraw:
        conv.link_generation = before + 1
        session.add(conv)
    token = links.token(convocation_id, generation=conv.link_generation)
    last = links.opened(token).last_day
    audit(session, user_id, "withdraw_links" if withdraw else "issue_link", "convocation",
          convocation_id, before={"link_generation": before},
          after={"link_generation": conv.link_generation, "last_day": last.isoformat()},
          note=("earlier personal links withdrawn, a new one issued" if withdraw
                else "a new personal link issued; earlier ones still valid"))
    return IssuedLink(convocation_id, f"{links.base_url}{PATH}{token}", last, withdraw)


def convocation_of(session: Session, links: VictimLinks, token: str
                   ) -> tuple[Convocation, Opened]:
    """The convocation of a genuine, unexpired personal link of its current generation
    (that still exists), and the link read; else :class:`~api.links.LinkInvalid`,
    :class:`~api.links.LinkWithdrawn` or :class:`~api.links.LinkExpired`.  The signature
    is checked before the database is read: a forgery never opens a transaction."""
    opened = links.opened(token)
    conv = session.get(Convocation, opened.convocation_id)
    if conv is None:
        raise LinkInvalid(links.contact)
    links.check_generation(opened, conv.link_generation)
    return conv, opened
