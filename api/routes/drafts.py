"""POST /drafts/check: a draft checked against both jurisdictions — never stored, never logged.

The draft comes as JSON ({text, jurisdiction}) or as a multipart upload (a `file` field with a
.docx, an Akoma Ntoso .xml or a .txt, and a `jurisdiction` field); `?format=docx` answers with
the report as a Word document. Limits: the body size (413), the file type (415), hostile files
(4xx, api/draft_files.py), the number of articles (422) and a time budget (503 with Retry-After).
"""
from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from .. import context, docx
from .. import draft_files as files
from .. import drafts as svc
from ..schemas import DraftCheckIn, DraftReport, documented

router = APIRouter(tags=["drafts"])

_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": DraftCheckIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file", "jurisdiction"], "properties": {
        "file": {"type": "string", "format": "binary", "description": ".docx, Akoma Ntoso .xml or .txt"},
        "jurisdiction": {"type": "string", "enum": ["ru", "by"]}}}}}}}


def _limit(request: Request) -> int:
    return min(files.MAX_DRAFT_BYTES, context.of(request).settings.limits.max_body_bytes)


async def read_draft(request: Request) -> tuple[list[files.DraftArticle], str]:
    """(articles, jurisdiction) of the request's draft; DraftError (4xx) when it cannot be read."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = _limit(request)
    if ctype == "application/json":
        body = await request.body()
        if len(body) > limit:
            raise files.DraftError(413, "Draft too large", f"the body has {len(body):,} bytes; the limit is {limit:,}")
        try:
            data = DraftCheckIn.model_validate(json.loads(body))
        except (ValueError, ValidationError) as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()) \
                if isinstance(exc, ValidationError) else "the body is not JSON"
            raise files.DraftError(422, "Invalid draft request",
                                   f"{msg} — send {{\"text\": \"Статья 1. …\", \"jurisdiction\": \"ru\"|\"by\"}}") from None
        return await run_in_threadpool(files.split_text, data.text), data.jurisdiction
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=limit)
        except Exception as exc:  # noqa: BLE001 - python-multipart raises several kinds on a broken body
            if getattr(exc, "status_code", None) == 413:
                raise files.DraftError(413, "Draft too large", f"the upload is over {limit:,} bytes") from None
            raise files.DraftError(400, "Malformed upload", "the multipart body cannot be read; send one `file` "
                                   "field and one `jurisdiction` field") from None
        upload, jur = form.get("file"), form.get("jurisdiction")
        if jur not in ("ru", "by"):
            raise files.DraftError(422, "Unknown jurisdiction", "the `jurisdiction` field must be ru or by")
        if not isinstance(upload, UploadFile):
            raise files.DraftError(422, "No file", "the upload has no `file` field with a file")
        data = await upload.read(limit + 1)
        await upload.close()
        if len(data) > limit:
            raise files.DraftError(413, "Draft too large", f"the file is over {limit:,} bytes; check the draft "
                                   "a chapter at a time")
        arts = await run_in_threadpool(files.read_upload, data, upload.filename or "", upload.content_type or "")
        return arts, jur
    raise files.DraftError(415, "Unsupported media type",
                           f"send the draft as application/json or multipart/form-data, not {ctype or 'no type'!r}")


@router.post("/drafts/check", summary="Check a draft against both jurisdictions (nothing is stored)",
             responses=documented(DraftReport, docx.MEDIA_TYPE), openapi_extra=_BODY)
async def check(request: Request, format: Literal["json", "docx"] = Query("json", description="json or docx")) -> Any:
    """For each draft article: the closest provisions of its own jurisdiction and its counterparts
    in the other (calibrated probability, evidence, redline), the references it makes resolved,
    the terms it defines and its numbers compared. The draft is neither stored nor logged."""
    arts, jurisdiction = await read_draft(request)
    ctx = context.of(request)
    checker = await run_in_threadpool(svc.checker_for, ctx)
    report = await run_in_threadpool(svc.check, checker, arts, jurisdiction)
    if format == "docx":
        return docx.response(await run_in_threadpool(svc.report_docx, report), "proverka-proekta")
    return report


# ------------------------------------------------------------------ the page: "Проверить проект"

def _page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    from ..page import common
    from ..templating import templates
    return templates.TemplateResponse(request, "draft.html", {**common(request), "limit_kb": _limit(request) // 1024,
                                                              **extra}, status_code=status)


@router.get("/drafts", include_in_schema=False)
def draft_form(request: Request) -> HTMLResponse:
    """The form: paste a draft or upload it."""
    return _page(request)


@router.post("/drafts", include_in_schema=False)
async def draft_page(request: Request) -> Any:
    """The form's answer: the report as a page (or as a Word document); errors on the same page."""
    from ..page import message
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return message(request, 415, "Проверка проекта", "send the form of the page /drafts", back="/drafts")
    limit = _limit(request)
    try:
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=limit)
        except Exception as exc:  # noqa: BLE001 - python-multipart raises several kinds on a broken body
            raise files.DraftError(413 if getattr(exc, "status_code", None) == 413 else 400, "Malformed upload",
                                   f"the form cannot be read (the limit is {limit:,} bytes)") from None
        jur = form.get("jurisdiction")
        if jur not in ("ru", "by"):
            raise files.DraftError(422, "Unknown jurisdiction", "choose Россия or Беларусь")
        upload, text = form.get("file"), form.get("text")
        text = text if isinstance(text, str) else ""
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                raise files.DraftError(413, "Draft too large", f"the file is over {limit:,} bytes")
            arts = await run_in_threadpool(files.read_upload, data, upload.filename, upload.content_type or "")
        else:
            files.check_size(text)
            arts = await run_in_threadpool(files.split_text, text)
        ctx = context.of(request)
        checker = await run_in_threadpool(svc.checker_for, ctx)
        report = await run_in_threadpool(svc.check, checker, arts, jur)
    except files.DraftError as exc:
        return message(request, exc.status, exc.title, exc.detail, back="/drafts")
    if form.get("format") == "docx":
        return docx.response(await run_in_threadpool(svc.report_docx, report), "proverka-proekta")
    return _page(request, report=report, text=text, jurisdiction=jur)
