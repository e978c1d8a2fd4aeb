"""No NUL character in any text a request brings: PostgreSQL cannot store one in a text or JSON
column (it failed as a 500), SQLite would store it silently, and no name, note or label needs it.

One app-wide dependency checks the path, the query, a JSON body (keys and values) and a form's
fields and file names, and refuses the first NUL found with 422 naming where it is. File contents
are bytes and left alone; what an importer reads from them is its own concern.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from caseweave.errors import Invalid

NUL = "\x00"


def _nul_in(value: Any, where: str) -> str | None:
    """Where the first NUL in a parsed JSON value is, or None."""
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return where
            if found := _nul_in(item, f"{where}.{key}"):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _nul_in(item, f"{where}.{index}"):
                return found
    return None


async def _body_nul(request: Request) -> str | None:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            parsed = json.loads(await request.body())  # read once already by FastAPI: cached
        except ValueError:
            return None  # malformed JSON: FastAPI answers it
        return _nul_in(parsed, "body")
    if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in (await request.form()).multi_items():  # parsed already: cached
            if NUL in name:
                return "body"
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            if NUL in text:
                return f"body.{name}"
    return None


async def refuse_nul_characters(request: Request) -> None:
    """422 for a NUL character anywhere in the request's text."""
    where = next((f"path.{k}" for k, v in request.path_params.items() if NUL in str(v)), None)
    query = request.query_params.multi_items()
    where = where or next((f"query.{k}" if NUL not in k else "query" for k, v in query if NUL in k + v), None)
    if request.method not in ("GET", "HEAD"):
        where = where or await _body_nul(request)
    if where:
        raise Invalid(f"{where}: text must not contain NUL (0x00) characters", field=where)
