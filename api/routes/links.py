"""A victim's personal link issued again by a planner (:mod:`api.personal_links`).

``POST /api/convocations/{id}/link`` (planner or admin; with the session cookie it needs
``X-Medex: 1``, as every staff change): a new link for the victim to be given by phone,
letter or e-mail; ``{"withdraw": true}`` (the default) withdraws every earlier link.
"""

from typing import Any

from fastapi import APIRouter

from api.deps import Planner, SessionDep, StateDep
from api.errors import responses
from api.personal_links import issue_link
from api.schemas import Int64, LinkIssue, LinkIssued

router = APIRouter(prefix="/api/convocations", tags=["convocations"],
                   responses=responses(401, 403))


@router.post("/{key}/link", response_model=LinkIssued, responses=responses(404, 422),
             summary="Issue the victim a new personal link (withdrawing the earlier ones)")
def new_link(session: SessionDep, state: StateDep, user: Planner, key: Int64,
             body: LinkIssue | None = None) -> Any:
    issued = issue_link(session, state.notices.links, key, user.id,
                        withdraw=(body or LinkIssue()).withdraw)
    return LinkIssued(convocation_id=issued.convocation_id, url=issued.url,
                      last_day=issued.last_day, withdrawn=issued.withdrawn)
