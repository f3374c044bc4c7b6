"""Clause mappings: reads are open, writes need an API key with a role (checked before the body is read)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from .. import auth, context
from .. import mappings as svc
from ..params import split as _split
from ..problems import problem_response
from ..schemas import MappingIn, MappingList, MappingOut, MappingWithHistory, ReviewIn, PartSuggestions, Suggestions, documented

router = APIRouter(tags=["mappings"])


def _ctx(request: Request) -> svc.Context:
    return context.of(request).mappings


def _key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    return problem_response(status, title, detail, str(request.url.path), **extra)


def _guard(request: Request, role: str) -> auth.KeyHolder:
    return auth.authenticate(context.of(request).settings.api_keys, _key(request), role)


def _if_match(request: Request) -> tuple[str, ...] | None:
    """The entity tags of If-Match; None when absent or `*` (any current version will do).

    A weak tag (W/"…") stays as written and so never matches: If-Match compares strongly."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    return tuple(t.strip() for t in raw.split(",") if t.strip())


def _with_etag(body: dict) -> JSONResponse:
    """A mapping's JSON with its version as the ETag header."""
    return JSONResponse(body, headers={"ETag": body["version"]})


# what a mapping id can be (the SSSOM reader's rule); anything else is refused before a query
RecordId = Path(..., pattern=r"^[a-z0-9][a-z0-9-]{5,63}$", description="the mapping's record id")


@router.get("/mappings", summary="List clause mappings", responses=documented(MappingList))
def list_(request: Request, source: str | None = Query(None, description="act of the subject (ELI path or key)"),
          target: str | None = Query(None, description="act of the object"),
          act: str | None = Query(None, description="either end in this act"),
          provision: str | None = Query(None, description="either end is this provision (ELI path)"),
          status: list[str] = Query([], description="proposed, accepted, rejected, stale"),
          relation: list[str] = Query([], description="equal, subset_of, superset_of, intersects_with, not_related"),
          harmonization: list[str] = Query([], description="unified, harmonized, divergent"),
          limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=1_000_000)) -> Any:
    """Mappings with who made them, why, how sure, and their review status."""
    return svc.list_mappings(_ctx(request), source, target, act, provision, _split(status), _split(relation),
                             _split(harmonization), limit, offset)

@router.get("/mappings/suggest", summary="Candidate counterparts of a provision",
            responses=documented(Suggestions))
def suggest(request: Request, source: str = Query(..., description="ELI path of the provision"),
            target_act: str = Query(..., description="ELI path of the act of the other jurisdiction"),
            limit: int = Query(5, ge=1, le=50)) -> Any:
    """Top candidates with their score and evidence (shared lemmas, title and text similarity,
    position between accepted mappings, chapter, shared defined terms)."""
    return svc.suggest(_ctx(request), context.of(request).suggester, source, target_act, limit)

@router.get("/mappings/suggest/parts", summary="Part- and point-level counterparts inside two articles",
            responses=documented(PartSuggestions))
def suggest_parts(request: Request, source: str = Query(..., description="ELI path of an article (or a provision in it)"),
                  target: str = Query(..., description="ELI path of an article of the other jurisdiction"),
                  limit: int = Query(3, ge=1, le=10)) -> Any:
    """For each part, point and sub-point of the source article: the best units of the target article
    with their evidence (text, position, mutual best, level) and the one proposed, or none.
    Machine suggestions, not reviewed."""
    return svc.suggest_parts(_ctx(request), context.of(request).suggester, source, target, limit)

@router.get("/mappings/export", summary="Export mappings as SSSOM TSV, CSV, Turtle or JSON-LD",
       response_class=Response,
       responses={200: {"content": {**{m.split(";")[0]: {"schema": {"type": "string"}}
                                       for m in svc.EXPORT_FORMATS.values() if "json" not in m},
                                    "application/ld+json": {}}}})
def export(request: Request, format: Literal["sssom", "csv", "ttl", "jsonld"] = "sssom", source_act: str | None = None,
           target_act: str | None = None) -> Response:
    body, media = svc.export(_ctx(request), format, source_act, target_act)
    if format == "csv":   # a byte order mark, a filename, Russian labels beside the codes (api/docx.py)
        from ..docx import csv_response
        return csv_response(body, "lexmap-mappings")
    ext = {"sssom": "sssom.tsv", "csv": "csv", "ttl": "ttl", "jsonld": "jsonld"}[format]
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'inline; filename="lexmap-mappings.{ext}"'})

@router.get("/mappings/{record_id}", summary="One mapping with its PROV history",
            responses=documented(MappingWithHistory))
def one(request: Request, record_id: str = RecordId) -> Any:
    """The mapping, its history, and its version as the ETag a review's If-Match can name."""
    try:
        return _with_etag(svc.get_mapping(_ctx(request), record_id))
    except KeyError:
        return _problem(404, "Not found", f"no mapping {record_id!r}", request)

@router.post("/mappings", summary="Propose a mapping (editor key)", status_code=201,
             responses={201: {"model": MappingOut}})
def create(request: Request, body: MappingIn) -> Any:
    """Creates a `proposed` mapping; `object: null` records that the subject has no counterpart."""
    holder = _guard(request, "editor")
    agent = holder.agent_iri(context.of(request).settings.base_iri)
    return svc.create_mapping(_ctx(request), body.model_dump(exclude_unset=True), agent,
                              holder.label or holder.name)

@router.post("/mappings/{record_id}/review", summary="Accept or reject a mapping (reviewer key)",
             responses=documented(MappingWithHistory))
def review(request: Request, body: ReviewIn, record_id: str = RecordId) -> Any:
    """Only a proposed or stale mapping is reviewed (else 409); with If-Match, only the
    version it names (else 412). Of two racing reviews one is stored, the other gets 409/412."""
    holder = _guard(request, "reviewer")
    agent = holder.agent_iri(context.of(request).settings.base_iri)
    try:
        return _with_etag(svc.review_mapping(_ctx(request), record_id, body.decision, agent,
                                             body.comment, holder.label or holder.name,
                                             if_match=_if_match(request)))
    except KeyError:
        return _problem(404, "Not found", f"no mapping {record_id!r}", request)


