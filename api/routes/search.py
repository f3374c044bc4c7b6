"""Search: full text with citations first, and citation resolution."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from .. import citations, context, docx, page, pair_search, search as search_service
from ..json_response import FastJSONResponse
from ..negotiation import wants_html
from ..params import split
from ..schemas import OnePair, PairAnswer, ResolveAnswer, SearchAnswer, documented
from .params import checked_date

router = APIRouter(tags=["search"])


# The pair view's filters, shared by /search?view=pairs and /search/pairs (documented once).
RELATION_Q = Query([], description="equal, subset_of, superset_of, intersects_with, not_related (repeat or comma-separate)")
HARMONIZATION_Q = Query([], description="unified, harmonized, divergent")
REVIEW_Q = Query([], description="reviewed (a stored mapping) or suggested (the suggester's best candidate)")
ACTS_Q = Query([], description="an act pair, one Russian and one Belarusian act: acts=ru-gk-1,by-gk or ELI paths")
STALE_Q = Query(None, description="true: only pairs whose mapping is flagged stale; false: none of them")


@router.get("/search", summary="Full-text search over every provision",
            responses=documented(SearchAnswer, "text/html", "text/csv", docx.MEDIA_TYPE))
async def search(request: Request, q: str = Query(..., description="words, \"phrases\", AND/OR/NOT, prefix*, or a "
                                                                     "citation such as 'ч. 2 ст. 81 ТК РФ'"),
                 jurisdiction: list[str] = Query([]), act: list[str] = Query([], description="ELI path or manifest key"),
                 type: list[str] = Query([]), status: list[str] = Query(["in_force"], description="in_force, repealed, "
                                                                                                "excluded or all"),
                 date: str | None = Query(None, description="answer as of this date (YYYY-MM-DD)"),
                 limit: int = Query(10, ge=1, le=search_service.MAX_LIMIT),
                 offset: int = Query(0, ge=0, le=search_service.MAX_OFFSET),
                 counterparts: bool = Query(True, description="each hit's counterparts in the other jurisdiction: "
                                                               "mappings first, then the best suggestion (marked)"),
                 view: str = Query("hits", pattern="^(hits|pairs)$", description="hits (default) or pairs: RU↔BY pairs "
                                                                                 "as GET /search/pairs answers them"),
                 relation: list[str] = RELATION_Q, harmonization: list[str] = HARMONIZATION_Q,
                 review: list[str] = REVIEW_Q, acts: list[str] = ACTS_Q, stale: str | None = STALE_Q,
                 format: str | None = Query(None, pattern="^(json|html|csv|docx)$",
                                            description="view=pairs: json (default), html, csv or docx")) -> Any:
    """Ranked provisions, one per article (a hit in a part shows its article); cited provisions come first.
    Facets count matching articles per jurisdiction and per act. Each hit carries its counterparts.
    `view=pairs` answers RU↔BY pairs instead (see GET /search/pairs and its filters)."""
    if view == "pairs":
        return await run_in_threadpool(_pairs, request, q, relation, harmonization, review, acts, stale, limit,
                                       offset, format)
    ctx = context.of(request)
    args = (ctx, q, jurisdiction, act, type, status, date, limit, offset, counterparts)
    if ctx.searches_from_memory() and _ordinary(q):
        # CPU alone, a few milliseconds: answered here, on the event loop. Handing it to a worker
        # thread cost ~0.7 ms of CPU per search in thread switches and made the slowest answers
        # wait for the interpreter lock (2 workers, 8 clients: p99 139 against 98 ms, 251 against
        # 282 queries/s; bench/search.py, README)
        return _hits(*args)
    return await run_in_threadpool(_hits_warming, *args)


# A query answered on the event loop: at most this many characters and words, no citation
# (resolving one reads the store) and no prefix. Longer queries take longer (up to ~0.1 s of typo
# correction for 100 unknown words; twelve prefixes ~50 ms, twelve unknown words ~20 ms) and go
# to a worker thread, where they cannot hold up the others.
ORDINARY_CHARS = 200
ORDINARY_WORDS = 12


def _ordinary(q: str) -> bool:
    """Whether a query is short, plain words that can be answered without reading the store."""
    return (len(q) <= ORDINARY_CHARS and len(q.split()) <= ORDINARY_WORDS and "*" not in q
            and not citations.find(q))


def _hits_warming(ctx: context.AppContext, *args) -> Any:
    """_hits in a worker thread; the answer being whole, the context's caches are then built for
    the data it was read at (AppContext.searched)."""
    token = ctx.local_data_token()
    answer = _hits(ctx, *args)
    ctx.searched(token)
    return answer


def _hits(ctx: context.AppContext, q: str, jurisdiction: list[str], act: list[str], type: list[str],
          status: list[str], date: str | None, limit: int, offset: int, counterparts: bool) -> Any:
    """The ranked provisions of GET /search (view=hits)."""
    known = ctx.known_filters()       # refreshes the context (and the index reader) after an ingest
    req = search_service.Request(q=q, jurisdiction=split(jurisdiction), act=split(act), type=split(type),
                                 status=split(status) or ("in_force",), date=checked_date(date), limit=limit,
                                 offset=offset, max_depth=ctx.settings.limits.query_max_depth)
    answer = search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus, known,
                                   ctx.search_counterparts)
    if counterparts:
        pair_search.counterparts(ctx, answer["results"])
    # The answer is plain JSON values: serialised once by orjson, not walked by jsonable_encoder first.
    return FastJSONResponse(answer)


@router.get("/search/pairs", summary="RU↔BY pairs of provisions for a query",
            responses=documented(PairAnswer, "text/html", "text/csv", docx.MEDIA_TYPE))
def search_pairs(request: Request, q: str = Query(..., description="words, \"phrases\", AND/OR/NOT, or a citation"),
                 relation: list[str] = RELATION_Q, harmonization: list[str] = HARMONIZATION_Q,
                 review: list[str] = REVIEW_Q, acts: list[str] = ACTS_Q, stale: str | None = STALE_Q,
                 limit: int = Query(10, ge=1, le=pair_search.MAX_LIMIT),
                 offset: int = Query(0, ge=0, le=pair_search.MAX_OFFSET),
                 format: str | None = Query(None, pattern="^(json|html|csv|docx)$",
                                            description="json (default), html (the page), csv or docx (for a memo)")
                 ) -> Any:
    """Both jurisdictions' matches joined through the mappings (and, marked `suggested`, through the
    suggester's best candidates), ranked by the evidence on both sides; filters by relation,
    harmonization, review state, act pair and stale flag; facets by harmonization, relation, review."""
    return _pairs(request, q, relation, harmonization, review, acts, stale, limit, offset, format)


def _pairs(request: Request, q: str, relation: list[str], harmonization: list[str], review: list[str],
           acts: list[str], stale: str | None, limit: int, offset: int, format: str | None) -> Any:
    ctx = context.of(request)
    ctx.known_filters()               # refreshes the context after an ingest
    req = pair_search.parse_request(ctx, q, split(relation), split(harmonization), split(review), split(acts),
                                    stale, limit, offset)
    answer = pair_search.search_pairs(ctx, req)
    if format == "csv":
        return docx.csv_response(pair_search.pairs_csv(answer, _base(request)), "pairs")
    if format == "docx":
        return docx.response(docx.pair_list(answer, _base(request)), "pairs")
    if wants_html(request, format):
        return page.render(request, "pairs.html", p=answer, q=q, query=_pair_query(request))
    return FastJSONResponse(answer)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _pair_query(request: Request) -> dict:
    """The request's pair parameters (the page's links keep them)."""
    keep = ("q", "relation", "harmonization", "review", "acts", "stale")
    return {k: request.query_params.getlist(k) for k in keep if request.query_params.getlist(k)}


@router.get("/search/pair", summary="One RU↔BY pair: both provisions side by side",
            responses=documented(OnePair, "text/html"))
def one_pair(request: Request, ru: str = Query(..., max_length=512, description="the Russian provision (ELI path)"),
             by: str = Query(..., max_length=512, description="the Belarusian provision (ELI path)"),
             format: str | None = Query(None, pattern="^(json|html)$")) -> Any:
    """The permanent URL of a pair: both texts, the mappings between them (or the suggester's
    probability when none links them), and the links to their redline."""
    ctx = context.of(request)
    ctx.known_filters()
    answer = pair_search.one_pair(ctx, ru, by)
    if wants_html(request, format):
        return page.render(request, "pairs.html", one=answer, q="", query={})
    return FastJSONResponse(answer)


@router.get("/resolve", summary="Resolve a citation to provision identifiers", responses=documented(ResolveAnswer))
def resolve_cite(request: Request, cite: str = Query(..., max_length=500), jurisdiction: list[str] = Query([])) -> Any:
    """'ст. 196 ГК РФ', 'п. 1 ст. 42 Трудового кодекса Республики Беларусь', 'статья 9101 ГК' -> IRIs.
    404 with the reason when the citation names nothing in the store."""
    ctx = context.of(request)
    return search_service.citation_answer(ctx.store, cite, split(jurisdiction), ctx.known_filters()["citable"])
