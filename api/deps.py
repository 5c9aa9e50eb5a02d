"""Request dependencies as ``Annotated`` aliases: the session, the settings, the user.

The application's state (settings, database, job runner, tokens, notices) hangs on
``app.state.medex``, built by :func:`api.app.create_app`; nothing is global.

Two kinds of account log in the same way (``/login``, ``/api/auth/token``): the service's
own people (planners, managers, admins, doctors: :data:`CurrentUser`, :data:`Staff`...)
and an employer's HR users (role ``employer``, :data:`HrUser`), who act only for their
employer's convocations under ``/api/hr/``.  Each is refused where the other belongs: an
HR user gets 403 on every staff route and is not logged in for the staff pages; a staff
account gets 403 under ``/api/hr/``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlmodel import Session

from api.config import Settings
from api.db import Database
from api.errors import Forbidden, Unauthorized
from api.jobs import JobRunner
from api.notices import Notices
from api.security import Tokens
from api.tables import Role, User


@dataclass
class AppState:
    settings: Settings
    db: Database
    runner: JobRunner
    tokens: Tokens
    notices: Notices
    booking_lane: CapacityLimiter | None = None
    """The few threads of the victims' bookings (set when the server starts: it belongs to
    the server's event loop); None, before: the server's pool."""
    read_lane: CapacityLimiter | None = None
    """The few threads of what the victims' pages and API only show; None, before: the
    server's pool."""


async def get_state(request: Request) -> AppState:
    """The application's state (async: nothing to wait for, so no trip through the thread
    pool, which every synchronous dependency makes)."""
    state: AppState = request.app.state.medex
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, else rolled back."""
    with state.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(state: StateDep) -> Iterator[Session]:
    """A read-only transaction for a request that only shows (on SQLite a snapshot that
    does not wait for the bookings' write lock)."""
    with state.db.session(read_only=True) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


def token_of(request: Request, state: AppState) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(state.settings.session_cookie)


INTERNAL_ROLES = frozenset({Role.PLANNER, Role.MANAGER, Role.ADMIN, Role.DOCTOR})
"""The service's own people: the staff pages and the staff API are theirs."""
HR_ROLES = frozenset({Role.EMPLOYER})


def user_from_request(request: Request, state: AppState, session: Session, *,
                      roles: Collection[str] | None = INTERNAL_ROLES) -> User | None:
    """The logged-in user if their role is one of ``roles`` (the service's own people by
    default, :data:`HR_ROLES` for the employers' pages, ``None``: any role)."""
    token = token_of(request, state)
    if not token:
        return None
    found = state.tokens.read(token)
    if found is None:
        return None
    user = session.get(User, found[0])
    if user is None or not user.active or user.password_hash[-12:] != found[1]:
        return None
    if roles is not None and user.role not in roles:
        return None
    return user


CSRF_HEADER = "x-medex"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def authenticated(request: Request, state: AppState, session: Session) -> User:
    """The logged-in user of any role; a change made with the session cookie alone must
    carry ``X-Medex: 1`` (a cross-site form cannot set it)."""
    user = user_from_request(request, state, session, roles=None)
    if user is None:
        raise Unauthorized("log in first: a session cookie or an Authorization: Bearer token")
    cookie_only = not request.headers.get("authorization", "").lower().startswith("bearer ")
    if cookie_only and request.method not in SAFE_METHODS and \
            request.headers.get(CSRF_HEADER) != "1":
        raise Forbidden("a change made with the session cookie needs the header X-Medex: 1 "
                        "(cross-site request protection)")
    return user


def current_user(request: Request, state: StateDep, session: SessionDep) -> User:
    """One of the service's own people; an employer's HR user is refused here."""
    user = authenticated(request, state, session)
    if user.role not in INTERNAL_ROLES:
        raise Forbidden("an employer's HR account may use only /api/hr/ (its employees' "
                        "convocations)")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def hr_user(request: Request, state: StateDep, session: SessionDep) -> User:
    """An employer's HR user, bound to an employer; anyone else is refused here."""
    user = authenticated(request, state, session)
    if user.role not in HR_ROLES:
        raise Forbidden(f"the role {user.role} may not act for an employer (needs employer)")
    if user.employer_id is None:
        raise Forbidden("this HR account belongs to no employer; ask Medex to link it")
    return user


HrUser = Annotated[User, Depends(hr_user)]
"""An HR user (role ``employer``, with an ``employer_id``): only its own employees'
convocations (``Convocation.employer_id``) are within reach."""

STAFF = (Role.PLANNER, Role.MANAGER, Role.ADMIN)
PLANNERS = (Role.PLANNER, Role.ADMIN)


def require(*roles: Role) -> Callable[..., Any]:
    allowed = {r.value for r in roles}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden(f"the role {user.role} may not do this (needs "
                            f"{' or '.join(sorted(allowed))})")
        return user

    return check


Staff = Annotated[User, Depends(require(*STAFF))]
Planner = Annotated[User, Depends(require(*PLANNERS))]
Admin = Annotated[User, Depends(require(Role.ADMIN))]
