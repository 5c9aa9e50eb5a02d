"""What Twilio calls: delivery reports and the victims' own messages (STOP, START).

Both routes are public (Twilio logs in as no one) and trust nothing but Twilio's signature,
checked by :class:`notify.callbacks.TwilioCallbacks` on the URL that Twilio called: the
configured public base URL and the path, with the query string (the outbox key), not the
URL the app sees behind a proxy.  A forged or altered callback is refused with 403 and
changes nothing.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AppState, StateDep
from api.errors import Forbidden, responses
from api.outbox import INBOUND_PATH, STATUS_PATH
from notify.callbacks import SIGNATURE_HEADER, CallbackRequest, TwilioCallbacks
from notify.errors import ForgedCallback
from notify.outbox_sql import SqlOptOuts, SqlOutboxStore

router = APIRouter(tags=["twilio"], responses=responses(403))


def _callbacks(state: AppState) -> TwilioCallbacks:
    token = state.settings.twilio_auth_token
    if token is None or not token.get_secret_value():
        raise Forbidden("Twilio callbacks are not accepted: no MEDEX_TWILIO_AUTH_TOKEN to "
                        "check their signature")
    engine = state.db.engine
    return TwilioCallbacks(token.get_secret_value(), SqlOutboxStore(engine),
                           SqlOptOuts(engine))


async def _request(request: Request, state: AppState) -> CallbackRequest:
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = state.settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return CallbackRequest(url, params, request.headers.get(SIGNATURE_HEADER))


@router.post(STATUS_PATH, status_code=204,
             summary="Twilio's delivery report of an SMS (signed by Twilio)")
async def status(request: Request, state: StateDep) -> Response:
    callbacks = _callbacks(state)
    callback = await _request(request, state)
    try:
        await run_in_threadpool(callbacks.status, callback)
    except ForgedCallback as exc:
        raise Forbidden(f"refused: {exc}") from None
    return Response(status_code=204)


@router.post(INBOUND_PATH, response_class=Response,
             responses={200: {"content": {"text/xml": {}}, "description": "TwiML"}},
             summary="An SMS from a victim (signed by Twilio): STOP and START are honoured")
async def inbound(request: Request, state: StateDep) -> Any:
    callbacks = _callbacks(state)
    callback = await _request(request, state)
    try:
        result = await run_in_threadpool(callbacks.inbound, callback)
    except ForgedCallback as exc:
        raise Forbidden(f"refused: {exc}") from None
    return Response(result.twiml, media_type="text/xml")
