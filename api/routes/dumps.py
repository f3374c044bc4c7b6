"""Bulk data: GET /dumps (what is there, with figures) and GET /dumps/{file} (api.dumps).

The file is named by the DumpFile enum: a request string never becomes a path."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from .. import context, dumps
from ..errors import Problem
from ..schemas import documented

router = APIRouter(tags=["dumps"])
NO_DUMP = "no dump has been written yet; run `lexmap dump` on the server"


def _state(request: Request) -> dict:
    done = dumps.state(context.of(request).settings)
    if done is None:
        raise Problem(404, "No dump", NO_DUMP)
    return done


@router.get("/dumps", summary="The bulk dumps and their figures", responses=documented(dumps.DumpListing))
def listing(request: Request) -> Any:
    """Every dump file with its size, sha256, triple or row count; `stale` when the data changed since."""
    ctx = context.of(request)
    done = _state(request)
    current = ctx.memo("dump fingerprint", None, lambda: dumps.fingerprint(ctx.store, ctx.settings))
    return {"issued": done["issued"], "stale": done.get("fingerprint") != current,
            "catalog": f"/dumps/{dumps.DumpFile.catalog.value}",
            "files": [{**f, "url": f"/dumps/{f['file']}"} for f in done["files"]]}


@router.get("/dumps/{file}", summary="One dump file", response_class=Response,
            responses={200: {"content": {m: {} for m in sorted(set(dumps.MEDIA.values()))},
                             "description": "the file"}})
def one(request: Request, file: dumps.DumpFile) -> Any:
    """A dump file as written by `lexmap dump`; ETag is its sha256 (If-None-Match answers 304)."""
    done = _state(request)
    sha = next((f["sha256"] for f in done["files"] if f["file"] == file.value), None)
    path = dumps.path_of(context.of(request).settings, file)
    if not path.is_file():
        raise Problem(404, "No dump", NO_DUMP)
    headers = {"Cache-Control": "public, max-age=300"}
    if sha:
        headers["ETag"] = f'"{sha}"'
        if request.headers.get("if-none-match", "").strip() in (f'"{sha}"', f'W/"{sha}"', "*"):
            return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=dumps.MEDIA[file], filename=file.value, headers=headers)
