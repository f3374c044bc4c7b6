"""Search: full text with citations first, and citation resolution."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse

from ingest.identifiers import eli_of

from .. import context, search as search_service
from ..errors import Problem
from ..params import split
from ..schemas import ResolveAnswer, SearchAnswer, documented
from .params import checked_date

router = APIRouter(tags=["search"])


@router.get("/search", summary="Full-text search over every provision", responses=documented(SearchAnswer))
def search(request: Request, q: str = Query(..., description="words, \"phrases\", AND/OR/NOT, prefix*, or a "
                                                               "citation such as 'ч. 2 ст. 81 ТК РФ'"),
           jurisdiction: list[str] = Query([]), act: list[str] = Query([], description="ELI path or manifest key"),
           type: list[str] = Query([]), status: list[str] = Query(["in_force"], description="in_force, repealed, "
                                                                                          "excluded or all"),
           date: str | None = Query(None, description="answer as of this date (YYYY-MM-DD)"),
           limit: int = Query(10, ge=1, le=search_service.MAX_LIMIT),
           offset: int = Query(0, ge=0, le=search_service.MAX_OFFSET)) -> Any:
    """Ranked provisions, one per article (a hit in a part shows its article); cited provisions come first.
    Facets count matching articles per jurisdiction and per act."""
    ctx = context.of(request)
    known = ctx.known_filters()       # refreshes the context (and the index reader) after an ingest
    req = search_service.Request(q=q, jurisdiction=split(jurisdiction), act=split(act), type=split(type),
                                 status=split(status) or ("in_force",), date=checked_date(date), limit=limit,
                                 offset=offset, max_depth=ctx.settings.limits.query_max_depth)
    # The answer is plain JSON values: serialised once by orjson, not walked by jsonable_encoder first.
    return ORJSONResponse(search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus, known))


@router.get("/resolve", summary="Resolve a citation to provision identifiers", responses=documented(ResolveAnswer))
def resolve_cite(request: Request, cite: str = Query(..., max_length=500), jurisdiction: list[str] = Query([])) -> Any:
    """'ст. 196 ГК РФ', 'п. 1 ст. 42 Трудового кодекса Республики Беларусь', 'статья 9101 ГК' -> IRIs.
    404 with the reason when the citation names nothing in the store."""
    ctx = context.of(request)
    try:
        found = search_service.resolve_citation(ctx.store, cite, split(jurisdiction))
    except search_service.QueryError as exc:
        raise Problem(400, "Invalid citation", str(exc)) from None
    if not found:
        raise Problem(404, "No citation", f"no citation found in {cite[:200]!r}; write it as 'ст. 196 ГК РФ' or "
                                          "'ч. 2 ст. 81 ТК РФ'")
    body = [{"text": r.citation.text, "iris": r.iris, "notes": r.notes} for r in found]
    if not any(r.iris for r in found):
        raise Problem(404, "Citation names nothing", "; ".join(n for r in found for n in r.notes), citations=body)
    return {"cite": cite, "citations": body, "iris": [i for r in found for i in r.iris],
            "eli": [eli_of(i) for r in found for i in r.iris]}
