"""Bulk import of CSV files: doctors, sessions, convocations; all or nothing."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, UploadFile

from api.deps import Planner, SessionDep
from api.errors import Invalid, responses
from api.imports import import_csv
from api.schemas import ImportResult

router = APIRouter(prefix="/api/imports", tags=["imports"], responses=responses(401, 403))
MAX_BYTES = 10 * 1024 * 1024


@router.post("/{kind}", response_model=ImportResult, status_code=201,
             responses=responses(422),
             summary="Import a CSV file; a file with any bad row is rejected whole, with "
                     "every problem by row and column")
def import_file(session: SessionDep, user: Planner,
                      kind: Literal["doctors", "sessions", "convocations"],
                      file: Annotated[UploadFile, File(description="UTF-8 CSV with header")]
                      ) -> Any:
    content = file.file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise Invalid(f"file: larger than {MAX_BYTES // (1024 * 1024)} MB")
    n = import_csv(session, kind, content, user.id)
    return ImportResult(kind=kind, rows=n, created=n)
