"""HTTP routes of clause mappings: reads are open, writes need an API key with a role."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response

from ingest.mappings.repository import MappingError

from . import auth
from . import mappings as svc
from .params import split as _split
from .problems import problem_response


def _ctx(request: Request) -> svc.Context:
    return svc.Context.of(request.app.state)


def _key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    return problem_response(status, title, detail, str(request.url.path), **extra)


def _guard(request: Request, role: str) -> auth.KeyHolder:
    return auth.authenticate(request.app.state.settings.api_keys, _key(request), role)


def build_router() -> APIRouter:
    r = APIRouter(tags=["mappings"])

    @r.get("/mappings", summary="List clause mappings")
    def list_(request: Request, source: str | None = Query(None, description="act of the subject (ELI path or key)"),
              target: str | None = Query(None, description="act of the object"),
              act: str | None = Query(None, description="either end in this act"),
              provision: str | None = Query(None, description="either end is this provision (ELI path)"),
              status: list[str] = Query([], description="proposed, accepted, rejected, stale"),
              relation: list[str] = Query([], description="equal, subset_of, superset_of, intersects_with, not_related"),
              harmonization: list[str] = Query([], description="unified, harmonized, divergent"),
              limit: int = 100, offset: int = 0) -> Any:
        """Mappings with who made them, why, how sure, and their review status."""
        return svc.list_mappings(_ctx(request), source, target, act, provision, _split(status), _split(relation),
                                 _split(harmonization), limit, offset)

    @r.get("/mappings/suggest", summary="Candidate counterparts of a provision")
    def suggest(request: Request, source: str = Query(..., description="ELI path of the provision"),
                target_act: str = Query(..., description="ELI path of the act of the other jurisdiction"),
                limit: int = 5) -> Any:
        """Top candidates with their score and evidence (shared lemmas, title and text similarity,
        position between accepted mappings, chapter, shared defined terms)."""
        return svc.suggest(_ctx(request), request.app.state.suggester, source, target_act, limit)

    @r.get("/mappings/export", summary="Export mappings as SSSOM TSV, CSV, Turtle or JSON-LD")
    def export(request: Request, format: str = "sssom", source_act: str | None = None,
               target_act: str | None = None) -> Response:
        body, media = svc.export(_ctx(request), format, source_act, target_act)
        ext = {"sssom": "sssom.tsv", "csv": "csv", "ttl": "ttl", "jsonld": "jsonld"}[format]
        return Response(body, media_type=media,
                        headers={"Content-Disposition": f'inline; filename="lexmap-mappings.{ext}"'})

    @r.get("/mappings/{record_id}", summary="One mapping with its PROV history")
    def one(request: Request, record_id: str) -> Any:
        try:
            return svc.get_mapping(_ctx(request), record_id)
        except KeyError:
            return _problem(404, "Not found", f"no mapping {record_id!r}", request)

    @r.post("/mappings", summary="Propose a mapping (editor key)", status_code=201)
    def create(request: Request, body: dict = Body(..., examples=[{
            "subject": "eli/ru/kodeks/1994/51-fz/art_196", "object": "eli/by/kodeks/1998/218-z/art_197",
            "relation": "intersects_with", "harmonization": "harmonized", "confidence": 0.9,
            "comment": "общий срок три года; РФ добавляет предельный срок десять лет"}])) -> Any:
        """Creates a `proposed` mapping; `object: null` records that the subject has no counterpart."""
        holder = _guard(request, "editor")
        agent = holder.agent_iri(request.app.state.settings.base_iri)
        return svc.create_mapping(_ctx(request), body, agent, holder.label or holder.name)

    @r.post("/mappings/{record_id}/review", summary="Accept or reject a mapping (reviewer key)")
    def review(request: Request, record_id: str, body: dict = Body(..., examples=[
            {"decision": "accept", "comment": "проверено по текстам обеих редакций"}])) -> Any:
        holder = _guard(request, "reviewer")
        agent = holder.agent_iri(request.app.state.settings.base_iri)
        try:
            return svc.review_mapping(_ctx(request), record_id, str(body.get("decision", "")), agent,
                                      body.get("comment"), holder.label or holder.name)
        except KeyError:
            return _problem(404, "Not found", f"no mapping {record_id!r}", request)

    return r


def install(app) -> None:
    """Add the routes and their error handlers to the app."""
    from .suggest import Suggester

    app.include_router(build_router())

    @app.exception_handler(auth.AuthError)
    async def _auth(request: Request, exc: auth.AuthError) -> JSONResponse:
        return _problem(exc.status, "Unauthorized" if exc.status == 401 else "Forbidden", str(exc), request)

    @app.exception_handler(svc.BadRequest)
    async def _bad(request: Request, exc: svc.BadRequest) -> JSONResponse:
        return _problem(400, "Invalid request", str(exc), request)

    @app.exception_handler(MappingError)
    async def _invalid(request: Request, exc: MappingError) -> JSONResponse:
        return _problem(422, "Invalid mapping", str(exc) + (": " + "; ".join(exc.problems) if exc.problems else ""),
                        request, problems=exc.problems)

    if getattr(app.state, "store", None) is not None:
        app.state.suggester = Suggester(app.state.store)
