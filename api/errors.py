"""The service's errors and their HTTP mapping, documented in one place.

``NotFound`` (404), ``Conflict`` (409: a unique value taken, a plan not finished...),
``BookingRefused`` (409: a move or a publish would break a hard rule, named in ``rule``),
``Forbidden`` (403), ``Unauthorized`` (401), and the domain's ``InputError`` (422, one
problem per field or per CSV cell).  Every response body is an :class:`ErrorOut`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorOut, Problem
from scheduler.errors import InputError


class ServiceError(Exception):
    status = 400
    code = "error"

    def __init__(self, detail: str, *, problems: list[Problem] | None = None,
                 rule: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        self.rule = rule


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class BookingRefused(ServiceError):
    status, code = 409, "rule_broken"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Invalid(ServiceError):
    """Bad input found by the service (a CSV file, a postcode...): 422 with every problem."""

    status, code = 422, "invalid"


def problems_of(exc: InputError) -> list[Problem]:
    out = []
    for line in exc.problems:
        field, sep, reason = line.partition(": ")
        out.append(Problem(field=field, reason=reason) if sep else Problem(reason=line))
    return out


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for these error codes, each with the :class:`ErrorOut` body."""
    text = {400: "Bad request", 401: "Not logged in", 403: "The role may not do this",
            404: "No such resource", 409: "Conflict with the current state or a hard rule",
            422: "Invalid input: every problem with its field (or CSV row and column)"}
    return {c: {"model": ErrorOut, "description": text.get(c, "Error")} for c in codes}


def _body(status: int, code: str, detail: str, problems: list[Problem] | None = None,
          rule: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    out = ErrorOut(detail=detail, code=code, problems=problems or [], rule=rule)
    return JSONResponse(out.model_dump(), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _body(exc.status, exc.code, exc.detail, exc.problems, exc.rule, headers)

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError) -> JSONResponse:
        return _body(422, "invalid", "; ".join(exc.problems), problems_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":  # its "location" is a character position
                where = [x for x in err.get("loc", ()) if isinstance(x, int)]
                at = f" at character {where[0]}" if where else ""
                problems.append(Problem(field=None, reason=(
                    f"the request body is not valid JSON{at}: "
                    f"{(err.get('ctx') or {}).get('error', err.get('msg'))}")))
                continue
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
            problems.append(Problem(field=".".join(loc) or None, reason=str(err.get("msg"))))
        detail = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason
                           for p in problems)
        return _body(422, "invalid", detail, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _body(exc.status_code, "http", str(exc.detail))
