"""The public SPARQL 1.1 query endpoint: GET and POST over one handler; the work is done by
worker processes under limits (api/sparql_endpoint.py)."""
from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import context, sparql_endpoint
from ..errors import Problem

router = APIRouter(tags=["sparql"])

MEDIA = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
         "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json")
_POST_BODY = {"requestBody": {"content": {
    "application/sparql-query": {"schema": {"type": "string"}},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}}}}}
_DOC = dict(summary="SPARQL 1.1 query endpoint (read-only)",
            responses={200: {"content": {m: {} for m in MEDIA}},
                       422: {"description": "the query hit a limit (time, rows, bytes, memory)"},
                       503: {"description": "too many queries at once (see Retry-After)"}})
_UPDATES_REFUSED = ("Updates refused", "this endpoint is read-only; SPARQL updates are refused")


@router.get("/sparql", operation_id="sparql_query_get", **_DOC)
async def sparql_get(request: Request, query: str | None = None) -> Response:
    """SPARQL 1.1 Protocol query (?query=) over the union of all graphs, in a worker process.
    Updates, and SERVICE to endpoints that are not allow-listed, are refused; time, rows, bytes
    and memory are limited (LEXMAP_SPARQL_*)."""
    if "update" in request.query_params:
        raise Problem(403, *_UPDATES_REFUSED)
    return await _answer(request, query)


@router.post("/sparql", operation_id="sparql_query_post", openapi_extra=_POST_BODY, **_DOC)
async def sparql_post(request: Request, query: str | None = None) -> Response:
    """SPARQL 1.1 Protocol query by POST: application/sparql-query, or a form with query=."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/sparql-update":
        raise Problem(403, *_UPDATES_REFUSED)
    if ctype == "application/sparql-query":
        query = (await _limited_body(request, sparql_endpoint.QUERY_MAX_BYTES)).decode("utf-8", "replace")
    elif ctype == "application/x-www-form-urlencoded":
        # Percent-encoding at most triples the text; parsed here rather than by request.form(), to bound it.
        form = parse_qs((await _limited_body(request, 3 * sparql_endpoint.QUERY_MAX_BYTES)).decode("utf-8", "replace"),
                        keep_blank_values=True)
        if "update" in form:
            raise Problem(403, *_UPDATES_REFUSED)
        query = (form.get("query") or [""])[0]
    return await _answer(request, query)


def accepted_media(accept: str) -> str:
    """The first results format of MEDIA that the Accept header names (JSON otherwise)."""
    return next((m for m in MEDIA if m in accept), "application/sparql-results+json")


async def _answer(request: Request, query: str | None) -> Response:
    """The one handler of GET and POST: checks, then a worker process."""
    if not query:
        raise Problem(400, "Missing query", "pass the SPARQL query as ?query= or in the POST body")
    ctx = context.of(request)
    if ctx.sparql is None:          # an app run without its lifespan (some tests): made on first use
        ctx.sparql = sparql_endpoint.SparqlExecutor(ctx.settings, ctx.store)
        await ctx.sparql.start()
    body, media = await ctx.sparql.execute(query, accepted_media(request.headers.get("accept", "")),
                                           request.is_disconnected)
    return Response(body, media_type=media)


async def _limited_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 past ``limit`` bytes (counted as it streams)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Query too long", f"the request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
