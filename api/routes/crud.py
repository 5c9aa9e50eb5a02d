"""A router of the usual five endpoints for one table, with filters in the OpenAPI.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations,
which name the schemas passed to the factory.
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from api.deps import AppState, SessionDep, StateDep, require
from api.errors import Conflict, responses
from api.schemas import Int64, Page
from api.services import audit, get_or_404, snapshot
from api.tables import Role, User

MAX_PAGE = 500


def flush_or_conflict(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise Conflict(f"{what}: {reason}") from None


def crud_router(
    *, model: type[SQLModel], name: str, create: type[Any], update: type[Any],
    public: type[Any], filters: dict[str, tuple[type, Any]] | None = None,
    read_roles: tuple[Role, ...], write_roles: tuple[Role, ...],
    key_type: Any = Int64, make: Callable[[Session, Any, User], SQLModel] | None = None,
    order: Any = None, to_public: Callable[[Session, Any], Any] | None = None,
    after_update: Callable[[Session, Any, User, AppState], None] | None = None,
    prepare_update: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> APIRouter:
    """``GET /`` (paginated, filtered), ``POST /``, ``GET /{id}``, ``PATCH /{id}``,
    ``DELETE /{id}``; every change is written to the audit log.

    ``prepare_update`` checks and normalises a PATCH's fields before they are applied;
    ``after_update`` follows up on a changed row in the same transaction (with the
    service's state: its notices and settings as the request sees them)."""
    router = APIRouter(prefix=f"/api/{name}", tags=[name],
                       responses=responses(401, 403, 422))
    Reader = Annotated[User, Depends(require(*read_roles))]
    Writer = Annotated[User, Depends(require(*write_roles))]
    entity = model.__name__.lower()
    key_column = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    show = to_public or (lambda _s, row: public.model_validate(row))
    filters = filters or {}

    def list_rows(session: SessionDep, _user: Reader, offset: int = 0, limit: int = 50,
                  **kw: Any) -> Any:
        stmt = select(model)
        for fname, (_, column) in filters.items():
            value = kw.get(fname)
            if value is not None:
                stmt = stmt.where(column == value)
        stmt = stmt.order_by(order if order is not None else key_column)
        from api.services import page
        items, total = page(session, stmt, offset, limit)
        return Page[public](items=[show(session, r) for r in items], total=total,  # type: ignore[valid-type]
                            offset=offset, limit=limit)

    params = [
        inspect.Parameter("session", inspect.Parameter.KEYWORD_ONLY, annotation=SessionDep),
        inspect.Parameter("_user", inspect.Parameter.KEYWORD_ONLY, annotation=Reader),
        inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[Int64, Query(ge=0)], default=0),
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[int, Query(ge=1, le=MAX_PAGE)], default=50),
    ]
    for fname, (ftype, _) in filters.items():
        ftype = Int64 if ftype is int else ftype
        params.append(inspect.Parameter(fname, inspect.Parameter.KEYWORD_ONLY,
                                        annotation=Annotated[ftype | None, Query()],
                                        default=None))
    list_rows.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    router.add_api_route("", list_rows, methods=["GET"], response_model=Page[public],  # type: ignore[valid-type]
                         summary=f"List {name} (paginated, filtered)")

    def create_row(session: SessionDep, user: Writer, body: create) -> Any:  # type: ignore[valid-type]
        row = make(session, body, user) if make else model.model_validate(body)
        if not make:
            session.add(row)
            flush_or_conflict(session, entity)
            audit(session, user.id, "create", entity, getattr(row, key_column.name),
                  after=snapshot(row))
        return show(session, row)

    router.add_api_route("", create_row, methods=["POST"], response_model=public,
                         status_code=201, summary=f"Create a {entity}",
                         responses=responses(409))

    def get_row(session: SessionDep, _user: Reader, key: key_type) -> Any:
        return show(session, get_or_404(session, model, key))

    router.add_api_route("/{key}", get_row, methods=["GET"], response_model=public,
                         summary=f"One {entity}", responses=responses(404))

    def update_row(session: SessionDep, state: StateDep, user: Writer, key: key_type,
                   body: update) -> Any:  # type: ignore[valid-type]
        row = get_or_404(session, model, key)
        before = snapshot(row)
        changes = body.model_dump(mode="json", exclude_unset=True)  # type: ignore[attr-defined]
        if prepare_update is not None:
            changes = prepare_update(changes)
        merged = model.model_validate({**row.model_dump(), **changes})
        for k in changes:
            setattr(row, k, getattr(merged, k))
        session.add(row)
        flush_or_conflict(session, entity)
        audit(session, user.id, "update", entity, key, before=before, after=snapshot(row))
        if after_update is not None:
            after_update(session, row, user, state)
        return show(session, row)

    router.add_api_route("/{key}", update_row, methods=["PATCH"], response_model=public,
                         summary=f"Change a {entity}", responses=responses(404, 409))

    def delete_row(session: SessionDep, user: Writer, key: key_type) -> None:
        row = get_or_404(session, model, key)
        before = snapshot(row)
        session.delete(row)
        flush_or_conflict(session, f"{entity} {key} is still in use")
        audit(session, user.id, "delete", entity, key, before=before)

    router.add_api_route("/{key}", delete_row, methods=["DELETE"], status_code=204,
                         summary=f"Delete a {entity}", responses=responses(404, 409))
    return router


def order_of(column: Any) -> Any:
    return col(column)
