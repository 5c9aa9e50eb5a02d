"""Request dependencies as ``Annotated`` aliases: the session, the settings, the user.

The application's state (settings, database, job runner, tokens, notices) hangs on
``app.state.medex``, built by :func:`api.app.create_app`; nothing is global.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

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


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.medex
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, else rolled back."""
    with state.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def token_of(request: Request, state: AppState) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(state.settings.session_cookie)


def user_from_request(request: Request, state: AppState, session: Session) -> User | None:
    token = token_of(request, state)
    if not token:
        return None
    found = state.tokens.read(token)
    if found is None:
        return None
    user = session.get(User, found[0])
    if user is None or not user.active or user.password_hash[-12:] != found[1]:
        return None
    return user


CSRF_HEADER = "x-medex"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def current_user(request: Request, state: StateDep, session: SessionDep) -> User:
    user = user_from_request(request, state, session)
    if user is None:
        raise Unauthorized("log in first: a session cookie or an Authorization: Bearer token")
    cookie_only = not request.headers.get("authorization", "").lower().startswith("bearer ")
    if cookie_only and request.method not in SAFE_METHODS and \
            request.headers.get(CSRF_HEADER) != "1":
        raise Forbidden("a change made with the session cookie needs the header X-Medex: 1 "
                        "(cross-site request protection)")
    return user


CurrentUser = Annotated[User, Depends(current_user)]

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
