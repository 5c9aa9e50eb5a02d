"""Log in (bearer token or session cookie), log out, who am I."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from sqlmodel import select

from api.deps import CurrentUser, SessionDep, StateDep
from api.errors import Unauthorized, responses
from api.schemas import Token, UserPublic
from api.security import verify_password
from api.tables import User

router = APIRouter(prefix="/api/auth", tags=["auth"])


def authenticate(session: SessionDep, email: str, password: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise Unauthorized("wrong e-mail or password")
    return user


@router.post("/token", response_model=Token, responses=responses(401, 422),
             summary="A bearer token for the API (OAuth2 password form: username, password)")
def token(session: SessionDep, state: StateDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()]) -> Any:
    user = authenticate(session, username, password)
    return Token(access_token=state.tokens.issue(user))


@router.post("/login", status_code=204, responses=responses(401, 422),
             summary="Log in with a session cookie (HttpOnly, SameSite=Lax)")
def login(session: SessionDep, state: StateDep, response: Response,
          username: Annotated[str, Form()], password: Annotated[str, Form()]) -> None:
    user = authenticate(session, username, password)
    set_session_cookie(response, state, state.tokens.issue(user))


@router.post("/logout", status_code=204, summary="End the cookie session")
def logout(state: StateDep, response: Response) -> None:
    response.delete_cookie(state.settings.session_cookie, path="/")


@router.get("/me", response_model=UserPublic, responses=responses(401))
def me(user: CurrentUser) -> Any:
    return UserPublic.model_validate(user)


def set_session_cookie(response: Response, state: StateDep, token: str) -> None:
    response.set_cookie(state.settings.session_cookie, token, httponly=True, samesite="lax",
                        secure=state.settings.secure_cookies,
                        max_age=state.settings.session_max_age_s, path="/")
