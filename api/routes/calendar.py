"""A doctor's private calendar feed: ``GET /calendar/{doctor}/{token}.ics``.

Calendar apps subscribe to it without logging in, so the URL itself is the secret: the
token is an HMAC of the doctor's code with ``MEDEX_FEED_SECRET``
(:func:`notify.ics.feed_token`).  The feed names the convocation and the place, never the
victim or anything medical.
"""

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import select

from api.deps import SessionDep, StateDep
from api.errors import NotFound, responses
from api.notices import doctor_feed
from api.tables import Doctor
from notify.ics import check_feed_token

router = APIRouter(tags=["calendar"], responses=responses(404))


@router.get("/calendar/{doctor}/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}},
                             "description": "iCalendar feed"}},
            summary="A doctor's agenda as a calendar feed (the private URL on their agenda "
                    "page)")
def feed(session: SessionDep, state: StateDep, doctor: str, token: str) -> Response:
    secret = state.settings.feed_secret.get_secret_value().encode()
    found = session.exec(select(Doctor).where(Doctor.code == doctor)).first()
    # the same answer for an unknown doctor and a wrong token: the URL is the secret
    if found is None or not check_feed_token(secret, doctor, token):
        raise NotFound("no such calendar feed")
    return Response(doctor_feed(session, state.settings, found),
                    media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})
