"""The FastAPI application: the context, the guards, the routers and the error table.

Everything a request needs lives in one `AppContext` (api/context.py) on `app.state.ctx`;
routes are grouped one router per resource in api/routes/; errors are answered as
problem+json by one table (api/errors.py); the guards (size, key, rate, headers) are ASGI
middleware (api/guard.py).
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from ingest.config import Settings, load_settings
from ingest.index.backend import SearchBackend
from ingest.index.indexer import open_backend
from ingest.store import GraphStore, open_store

from . import auth, errors, guard, mcp_server, sparql_endpoint, static_docs
from .compression import Compression
from .context import AppContext
from .json_response import FastJSONResponse
from .problems import PROBLEM_RESPONSES
from .routes import routers

DESCRIPTION = ("Legislation of two jurisdictions as a validated RDF graph: acts, provisions, redactions, "
               "clause mappings, comparisons and SPARQL. Identifiers follow ELI: "
               "/eli/{jurisdiction}/{type}/{year}/{number}/{eId}. Errors are application/problem+json.")


def create_app(settings: Settings | None = None, store: GraphStore | None = None,
               backend: SearchBackend | None = None) -> FastAPI:
    """Build the app; tests pass their own settings, store and search backend (the app then
    leaves them open when it stops)."""
    settings = settings or load_settings()
    auth.check_keys_file(settings.api_keys)   # a damaged keys file stops start-up with what to fix

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx = AppContext.build(settings, store if store is not None else open_store(settings),
                               backend if backend is not None else open_backend(settings))
        app.state.ctx = ctx
        if store is None:
            ctx.start_warm_up()
        ctx.sparql = sparql_endpoint.SparqlExecutor(settings, ctx.store)
        await ctx.sparql.start()
        try:
            yield
        finally:
            await ctx.sparql.close()
            if backend is None:
                ctx.backend.close()
            if store is None:
                ctx.store.close()

    app = FastAPI(title="lexmap", version="0.1.0", default_response_class=FastJSONResponse, lifespan=lifespan,
                  docs_url=None, redoc_url=None, responses=PROBLEM_RESPONSES, description=DESCRIPTION)
    if store is not None and backend is not None:
        # usable without the lifespan too (a TestClient outside `with`): the same context, no warm-up
        app.state.ctx = AppContext.build(settings, store, backend)
    for router in routers():
        app.include_router(router)
    mcp_server.mount(app, settings)     # /mcp: the MCP server (streamable HTTP), read-only tools
    static_docs.install(app)
    errors.install(app)
    limits = settings.limits
    # the last added is the outermost: headers on every answer, then rate, key, size
    app.add_middleware(guard.BodyLimit, limit=lambda: limits.max_body_bytes)
    app.add_middleware(guard.WriteGate, keys_file=lambda: settings.api_keys)
    app.add_middleware(guard.RateLimit, rate=limits.rate_limit, window=limits.rate_window)
    app.add_middleware(Compression)          # gzip for those who accept it (api/compression.py)
    app.add_middleware(guard.SecurityHeaders)
    app.add_middleware(guard.HeadAsGet)     # HEAD wherever GET: outermost, every guard sees a GET
    return app
