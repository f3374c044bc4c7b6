"""`lexmap serve --workers N`: the app in N uvicorn processes that share one store.

One process (N = 1) serves as always: it owns the embedded store. With N > 1:

- embedded store (``LEXMAP_STORE=oxigraph``): the Oxigraph server binary is started as the one
  owner of ``data_dir/store`` (ingest.store_server.StoreServer; pyoxigraph has no secondary
  mode) and every worker is a client of it (``LEXMAP_STORE=sparql`` with its URLs on
  127.0.0.1); it is stopped after the workers. A command run meanwhile (``lexmap ingest``, a
  curated load) reaches the store through it too (ingest.store_server.shared);
- remote store (``LEXMAP_STORE=sparql``): the workers share the configured server. Racing
  conditional writes (two reviews) are then kept apart only if that server serializes updates
  (an oxigraph server does not: serve its directory with the embedded store instead);
- in-memory store: refused (each process would have a store of its own).

Each worker opens the search index for reading only and reloads it when an ingest rewrote it
(``SearchBackend.refresh_if_changed``, through ``AppContext.refresh``). Caches stay coherent
through ``AppContext.data_token``, read on every use: every write through the server, by any
worker or command, replaces the store's token in its own transaction (ingest.store.STATE_GRAPH),
and on this machine the writers, which take turns on ``data_dir/store-server.lock`` (an oxigraph
server does not serialize updates, and mapping writes are conditional), keep a stamp file that
the workers read instead of asking the server (RemoteSparqlStore.data_token says why that is
safe when a writer dies). Every answer of a worker names it in the X-Lexmap-Worker header.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ingest.config import Settings
from ingest.store import StoreError
from ingest.store_server import StoreServer

log = logging.getLogger("lexmap.serve")


@dataclass(frozen=True)
class Plan:
    """How to serve: worker count and the environment the worker processes read their settings from."""

    workers: int
    env: dict[str, str]
    own_server: bool       # start the store server first


def plan(settings: Settings, workers: int) -> Plan:
    """What `serve` does for these settings; StoreError when N > 1 cannot share the store."""
    if workers < 1:
        raise StoreError(f"--workers {workers}: give 1 or more")
    env = {"LEXMAP_DATA_DIR": str(settings.data_dir), "LEXMAP_MANIFEST": str(settings.manifest)}
    env.update({var: str(settings.extra[key]) for key, var in (("api_keys", "LEXMAP_API_KEYS"),
                                                                ("thesaurus", "LEXMAP_THESAURUS"))
                if settings.extra.get(key)})
    if workers == 1:
        return Plan(1, env, False)
    if settings.store == "memory":
        raise StoreError("--workers N needs a store the processes share; the in-memory store is one per "
                         "process: use LEXMAP_STORE=oxigraph (the default) or sparql, or --workers 1")
    return Plan(workers, env, settings.store == "oxigraph")


def serve(settings: Settings, host: str, port: int, workers: int = 1, log_level: str = "info") -> int:
    """Serve until stopped (Ctrl-C, SIGTERM); see the module docstring."""
    import uvicorn

    how = plan(settings, workers)
    if how.workers == 1:
        from .app import create_app
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
        return 0
    server = StoreServer(settings) if how.own_server else None
    env = dict(how.env)
    try:
        if server is not None:
            endpoint = server.start()
            log.info("store server (oxigraph, pid %s) owns %s at %s", endpoint.pid, settings.store_dir,
                     endpoint.query)
            env.update(LEXMAP_STORE="sparql", LEXMAP_SPARQL_QUERY=endpoint.query,
                       LEXMAP_SPARQL_UPDATE=endpoint.update)
        os.environ.update(env)     # the workers (spawned) build their settings from the environment
        uvicorn.run("api.workers:worker_app", factory=True, host=host, port=port, workers=how.workers,
                    log_level=log_level)
    finally:
        if server is not None:
            server.stop()
    return 0


WORKER_HEADER = "X-Lexmap-Worker"


def worker_app() -> "_Named":
    """The app of one worker process (uvicorn's factory): settings from the environment, and
    every HTTP answer names the process that gave it (WORKER_HEADER, its process id), so that
    clients and tests can tell the workers apart."""
    from .app import create_app
    _answer_without_delay()
    return _Named(create_app(), str(os.getpid()).encode())


def _answer_without_delay() -> None:
    """Set TCP_NODELAY on every connection of this worker.

    asyncio sets it only on sockets whose protocol reads as TCP; the listening socket uvicorn
    hands its worker processes reads as protocol 0, so without this an answer written in two
    parts waits for the client's delayed ACK: 44 ms per request on a kept-alive connection
    (measured: 23 requests/s per connection instead of ~600)."""
    import asyncio.base_events as base_events
    import socket

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
    base_events._set_nodelay = set_nodelay


class _Named:
    """An ASGI app that adds WORKER_HEADER to every HTTP answer of the app it wraps (the
    lifespan and other scopes pass through)."""

    def __init__(self, app, tag: bytes):
        self.app, self.tag = app, tag
        self.header = (WORKER_HEADER.lower().encode(), tag)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_named(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)
        return await self.app(scope, receive, send_named)
