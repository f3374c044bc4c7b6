"""FastAPI application: thin routes over the read services; errors as problem+json."""
from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, ORJSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.config import Settings, load_settings
from ingest.index.backend import SearchBackend
from ingest.index.indexer import open_backend
from ingest.index.querylang import Thesaurus
from ingest.sources import load_manifest
from ingest.query import InvalidTerm
from ingest.store import GraphStore, StoreError, open_store
from . import auth, guard, static_docs
from . import mapping_routes, mappings as mapping_service, page, resources, search as search_service
from . import compare as compare_service, sparql_endpoint
from .params import parse_date, split as _split
from .problems import PROBLEM_RESPONSES, problem_response
from .suggest import Suggester

log = logging.getLogger("lexmap.api")


class Problem(Exception):
    """An error answered as RFC 9457 application/problem+json."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def _act_aliases(settings: Settings) -> dict[str, str]:
    """Manifest keys (ru-gk-1) -> ELI work paths, so filters accept either."""
    try:
        return {a.key: a.work.path for a in load_manifest(settings).acts}
    except Exception:  # noqa: BLE001 - no manifest: filters take ELI paths only
        return {}


def create_app(settings: Settings | None = None, store: GraphStore | None = None,
               backend: SearchBackend | None = None) -> FastAPI:
    """Build the app; tests pass their own settings, store and search backend."""
    settings = settings or load_settings()
    auth.check_keys_file(settings.api_keys)   # a damaged keys file stops start-up with what to fix
    owns_store, owns_backend = store is None, backend is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = store if store is not None else open_store(settings)
        app.state.backend = backend if backend is not None else open_backend(settings)
        app.state.suggester = Suggester(app.state.store)
        if owns_store:
            _warm_up(app.state)
        app.state.sparql = sparql_endpoint.SparqlExecutor(settings, app.state.store)
        await app.state.sparql.start()
        yield
        await app.state.sparql.close()
        if owns_backend:
            app.state.backend.close()
        if owns_store:
            app.state.store.close()

    app = FastAPI(title="lexmap", version="0.1.0", default_response_class=ORJSONResponse, lifespan=lifespan,
                  docs_url=None, redoc_url=None, responses=PROBLEM_RESPONSES,
                  description="Legislation of two jurisdictions as a validated RDF graph: acts, provisions, "
                              "redactions and SPARQL. Identifiers follow ELI: /eli/{jurisdiction}/{type}/{year}/{number}/{eId}.")
    app.state.settings = settings
    app.state.aliases = _act_aliases(settings)
    app.state.thesaurus = Thesaurus.load(settings.thesaurus)
    if store is not None:
        app.state.store = store
    if backend is not None:
        app.state.backend = backend
    mapping_routes.install(app)
    app.include_router(page.build_router())
    static_docs.install(app)
    limits = settings.limits
    # the last added is the outermost: headers on every answer, then rate, key, size
    app.add_middleware(guard.BodyLimit, limit=lambda: limits.max_body_bytes)
    app.add_middleware(guard.WriteGate, keys_file=lambda: settings.api_keys)
    app.add_middleware(guard.RateLimit, rate=limits.rate_limit, window=limits.rate_window)
    app.add_middleware(guard.SecurityHeaders)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, str(request.url.path), **exc.extra)

    @app.exception_handler(resources.NotFound)
    async def _not_found(request: Request, exc: resources.NotFound) -> JSONResponse:
        return problem_response(404, "Not found", str(exc), str(request.url.path))

    @app.exception_handler(search_service.SearchError)
    async def _bad_search(request: Request, exc: search_service.SearchError) -> JSONResponse:
        return problem_response(400, "Invalid search", str(exc), str(request.url.path))

    @app.exception_handler(auth.AuthFileError)
    async def _keys_file(request: Request, exc: auth.AuthFileError) -> JSONResponse:
        return problem_response(503, "Keys file unusable", str(exc), str(request.url.path))

    @app.exception_handler(InvalidTerm)
    async def _bad_term(request: Request, exc: InvalidTerm) -> JSONResponse:
        return problem_response(400, "Malformed identifier", str(exc), str(request.url.path))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # a bug, not the caller's fault: logged with its traceback, answered without it
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, "Internal error", "the server failed on this request; it has been logged",
                                str(request.url.path))

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        return problem_response(503, "Store unavailable", str(exc), str(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
        return problem_response(422, "Invalid request", "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                                    for e in errors), str(request.url.path), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail), str(request.url.path))

    def st(request: Request) -> GraphStore:
        return request.app.state.store

    def check_date(date: str | None, name: str = "date") -> str | None:
        try:
            return parse_date(date, name)
        except ValueError as exc:
            raise Problem(400, "Invalid date", str(exc)) from None

    @app.get("/acts", summary="List acts", tags=["acts"])
    def acts(request: Request, jurisdiction: str | None = Query(None, pattern="^[a-z]{2}$"),
             date: str | None = Query(None, description="as of this date: the redaction in force then")) -> Any:
        """Every act in the store, optionally of one jurisdiction (ru, by) and as of a date."""
        if check_date(date) is None:   # the common question, answered from the act list kept per ingest
            return {"date": None, "acts": [a for a in page.all_acts(request)
                                           if jurisdiction is None or a["jurisdiction"] == jurisdiction]}
        return {"date": date, "acts": resources.list_acts(st(request), jurisdiction, date)}

    @app.get("/eli/{path:path}", summary="Resolve an ELI identifier", tags=["acts"],
             responses={200: {"content": {"application/json": {}, "text/turtle": {}, "application/ld+json": {},
                                          "text/html": {}}}})
    def eli(request: Request, path: str, format: str | None = Query(None, pattern="^(json|ttl|turtle|jsonld|html|akn)$"),
            date: str | None = None) -> Any:
        """An act or provision by its ELI path: JSON by default, Turtle or JSON-LD by Accept (or ?format=)."""
        check_date(date)
        full = f"eli/{path}"
        try:
            fmt = format or _negotiate(request.headers.get("accept", ""))
            if fmt == "akn":
                from .akn_export import export_act
                res = resources.resolve(st(request), settings, full, date)
                if res.path.eid:
                    raise Problem(400, "Not an act", "Akoma Ntoso export is of a whole act: drop the eId from the path")
                body = export_act(st(request), res.work, res.expression)
                name = res.work.split("/eli/", 1)[1].replace("/", "_")
                return Response(body, media_type="application/akn+xml",
                                headers={"Content-Disposition": f'inline; filename="{name}_{res.version}.akn.xml"'})
            if fmt in ("ttl", "turtle", "jsonld"):
                nt = resources.describe(st(request), settings, full, date)
                return _rdf_response(nt, "jsonld" if fmt == "jsonld" else "turtle")
            data = resources.get_act(st(request), settings, full, date)
            if data.get("kind") != "act":
                data["mappings"] = mapping_service.for_provision(mapping_service.Context.of(request.app.state),
                                                                 data["iri"])
        except ValueError as exc:
            raise Problem(400, "Malformed identifier", str(exc)) from None
        if fmt == "html":
            return page.provision_page(request, data)
        return data

    @app.get("/search", summary="Full-text search over every provision", tags=["search"])
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
        be: SearchBackend = request.app.state.backend
        be.refresh_if_changed()
        req = search_service.Request(q=q, jurisdiction=_split(jurisdiction), act=_split(act), type=_split(type),
                                     status=_split(status) or ("in_force",), date=check_date(date), limit=limit,
                                     offset=offset, max_depth=settings.limits.query_max_depth)
        return search_service.search(st(request), be, req, request.app.state.aliases, request.app.state.thesaurus)

    @app.get("/resolve", summary="Resolve a citation to provision identifiers", tags=["search"])
    def resolve_cite(request: Request, cite: str = Query(..., max_length=500), jurisdiction: list[str] = Query([])) -> Any:
        """'ст. 196 ГК РФ', 'п. 1 ст. 42 Трудового кодекса Республики Беларусь', 'статья 9101 ГК' -> IRIs.
        404 with the reason when the citation names nothing in the store."""
        try:
            found = search_service.resolve_citation(st(request), cite, _split(jurisdiction))
        except search_service.QueryError as exc:
            raise Problem(400, "Invalid citation", str(exc)) from None
        if not found:
            raise Problem(404, "No citation", f"no citation found in {cite[:200]!r}; write it as 'ст. 196 ГК РФ' or "
                                              "'ч. 2 ст. 81 ТК РФ'")
        body = [{"text": r.citation.text, "iris": r.iris, "notes": r.notes} for r in found]
        if not any(r.iris for r in found):
            raise Problem(404, "Citation names nothing", "; ".join(n for r in found for n in r.notes), citations=body)
        base = settings.base_iri + "/"
        return {"cite": cite, "citations": body,
                "iris": [i for r in found for i in r.iris],
                "eli": [i[len(base):] for r in found for i in r.iris if i.startswith(base)]}

    sparql_doc = dict(summary="SPARQL 1.1 query endpoint (read-only)", tags=["sparql"],
                      responses={200: {"content": {m: {} for m in _SPARQL_MEDIA}},
                                 422: {"description": "the query hit a limit (time, rows, bytes, memory)"},
                                 503: {"description": "too many queries at once (see Retry-After)"}})

    @app.get("/sparql", operation_id="sparql_query_get", **sparql_doc)
    async def sparql_get(request: Request, query: str | None = None) -> Response:
        """SPARQL 1.1 Protocol query (?query=) over the union of all graphs, in a worker process.
        Updates, and SERVICE to endpoints that are not allow-listed, are refused; time, rows, bytes
        and memory are limited (LEXMAP_SPARQL_*)."""
        if "update" in request.query_params:
            raise Problem(403, "Updates refused", "this endpoint is read-only; SPARQL updates are refused")
        return await _sparql(request, query)

    @app.post("/sparql", operation_id="sparql_query_post", openapi_extra=_SPARQL_POST_BODY, **sparql_doc)
    async def sparql_post(request: Request, query: str | None = None) -> Response:
        """SPARQL 1.1 Protocol query by POST: application/sparql-query, or a form with query=."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update":
            raise Problem(403, "Updates refused", "this endpoint is read-only; SPARQL updates are refused")
        if ctype == "application/sparql-query":
            query = (await _limited_body(request, sparql_endpoint.QUERY_MAX_BYTES)).decode("utf-8", "replace")
        elif ctype == "application/x-www-form-urlencoded":
            # Percent-encoding at most triples the text; parsed here rather than by request.form(), to bound it.
            form = parse_qs((await _limited_body(request, 3 * sparql_endpoint.QUERY_MAX_BYTES)).decode("utf-8", "replace"),
                            keep_blank_values=True)
            if "update" in form:
                raise Problem(403, "Updates refused", "this endpoint is read-only; SPARQL updates are refused")
            query = (form.get("query") or [""])[0]
        return await _sparql(request, query)

    @app.exception_handler(compare_service.CompareError)
    async def _compare_error(request: Request, exc: compare_service.CompareError) -> JSONResponse:
        return problem_response(exc.status, "Cannot compare", str(exc), str(request.url.path))

    def _act_ref(request: Request, ref: str, name: str) -> str:
        try:
            return mapping_service.act_iri(mapping_service.Context.of(request.app.state), ref)
        except mapping_service.BadRequest as exc:
            raise compare_service.CompareError(f"{name}: {exc}", 404) from None

    @app.get("/diff", summary="Redline of two provisions", tags=["compare"])
    def diff(request: Request, left: str, right: str, mode: str = Query("words", pattern="^(words|lemmas)$"),
             format: str | None = Query(None, pattern="^(json|html)$", description="json (default) or html; a "
                                        "browser asking for text/html gets the page"),
             left_date: str | None = None, right_date: str | None = None) -> Any:
        """Word-level redline (insertions, deletions, replacements; lemma mode shows inflections) and a similarity."""
        check_date(left_date, "left_date")
        check_date(right_date, "right_date")
        result = compare_service.diff_provisions(st(request), settings, left, right, mode, left_date, right_date)
        if _wants_html(request, format):
            return page.diff_page(request, result, {"left": left, "right": right, "mode": mode,
                                                    "left_date": left_date, "right_date": right_date})
        return result

    @app.get("/compare", summary="Gap analysis of two acts", tags=["compare"])
    def compare(request: Request, left_act: str, right_act: str,
                format: str | None = Query(None, pattern="^(json|html|csv)$"),
                show: str | None = Query(None, pattern="^(matched|diverging|missing)$",
                                         description="html: only rows of this status")) -> Any:
        """Provisions aligned through accepted mappings, then suggestions (marked); the gap register both
        ways; a per-chapter summary (matched, diverging, missing). CSV is a correlation table."""
        left_iri, right_iri = _act_ref(request, left_act, "left_act"), _act_ref(request, right_act, "right_act")
        result = compare_service.compare_acts(st(request), left_iri, right_iri, request.app.state.suggester,
                                              settings.base_iri)
        if format == "csv":
            return Response(compare_service.compare_csv(result), media_type="text/csv; charset=utf-8")
        if _wants_html(request, format):
            return page.compare_page(request, result, {"left_act": left_act, "right_act": right_act}, show)
        return result

    @app.get("/changes", summary="What changed between two redactions of an act", tags=["compare"])
    def changes(request: Request, act: str, from_: str = Query(..., alias="from"), to: str = Query(...),
                format: str | None = Query(None, pattern="^(json|html)$")) -> Any:
        """Articles added, repealed, changed (with redlines), renumbered or moved between two dates."""
        check_date(from_, "from")
        check_date(to, "to")
        iri = _act_ref(request, act, "act")
        result = compare_service.changes(st(request), settings, iri, from_, to)
        if _wants_html(request, format):
            return page.changes_page(request, result, {"act": act, "from": from_, "to": to})
        return result

    @app.get("/health", tags=["meta"], summary="Liveness and store statistics")
    def health(request: Request) -> Any:
        executor = getattr(request.app.state, "sparql", None)
        return {"status": "ok", "store": settings.store, "base": settings.base_iri,
                "sparql": executor.status() if executor is not None else None}

    return app


def _warm_up(state: Any) -> None:
    """Build, in the background, what the first requests would wait for: the act list of the
    page, and the articles and suggestion profiles of mapped acts (a cold gap analysis takes
    seconds, a warm one ~1 s)."""
    import threading
    suggester = state.suggester

    def work() -> None:
        try:
            page.all_acts(state)
            for a, b in sorted(mapping_service.Context.of(state).repo.act_pairs()):
                suggester.pair(a, b)
        except Exception:  # noqa: BLE001 - a warm-up failure only means a slower first request
            pass

    threading.Thread(target=work, name="lexmap-warm-up", daemon=True).start()


def _wants_html(request: Request, fmt: str | None) -> bool:
    """format=html, or no format and a browser's Accept (text/html before JSON)."""
    if fmt:
        return fmt == "html"
    return _negotiate(request.headers.get("accept", "")) == "html"


def _negotiate(accept: str) -> str:
    accept = accept.lower()
    if "text/turtle" in accept:
        return "ttl"
    if "application/ld+json" in accept:
        return "jsonld"
    if "application/akn+xml" in accept:
        return "akn"
    if "text/html" in accept and "application/json" not in accept:
        return "html"
    return "json"


_SPARQL_MEDIA = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                 "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json")
_SPARQL_POST_BODY = {"requestBody": {"content": {
    "application/sparql-query": {"schema": {"type": "string"}},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}}}}}


def _sparql_accept(accept: str) -> str:
    for media in _SPARQL_MEDIA:
        if media in accept:
            return media
    return "application/sparql-results+json"


async def _sparql(request: Request, query: str | None) -> Response:
    """The one handler of GET and POST /sparql: checks, then a worker process (api/sparql_endpoint.py)."""
    if not query:
        raise Problem(400, "Missing query", "pass the SPARQL query as ?query= or in the POST body")
    accept = _sparql_accept(request.headers.get("accept", ""))
    try:
        executor = await _sparql_executor(request.app)
        body, media = await executor.execute(query, accept, request.is_disconnected)
    except sparql_endpoint.SparqlError as exc:
        if exc.headers:   # Problem carries no headers (Retry-After)
            resp = problem_response(exc.status, exc.title, exc.detail, str(request.url.path), **exc.extra)
            resp.headers.update(exc.headers)
            return resp
        raise Problem(exc.status, exc.title, exc.detail, **exc.extra) from None
    return Response(body, media_type=media)


async def _sparql_executor(app: FastAPI) -> sparql_endpoint.SparqlExecutor:
    """The app's executor (made in the lifespan); made here when an app runs without its lifespan."""
    executor = getattr(app.state, "sparql", None)
    if executor is None:
        executor = app.state.sparql = sparql_endpoint.SparqlExecutor(app.state.settings, app.state.store)
        await executor.start()
    return executor


async def _limited_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 past ``limit`` bytes (counted as it streams)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Query too long", f"the request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _rdf_response(ntriples: str, fmt: str) -> Response:
    from rdflib import Graph

    from ontology import PREFIXES
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.parse(data=ntriples, format="nt")
    if fmt == "jsonld":
        return Response(g.serialize(format="json-ld", context=PREFIXES, indent=1), media_type="application/ld+json")
    return Response(g.serialize(format="turtle"), media_type="text/turtle")
