"""`lexmap serve`: the API and the web page (api.app) under uvicorn, in one process or several
(``--workers N``, see api.workers)."""
from __future__ import annotations

import argparse

from .context import CliContext, err


def cmd_serve(args: argparse.Namespace, ctx: CliContext) -> int:
    """Serve until stopped; the app opens (and closes) the store itself."""
    from ingest.store import StoreError
    from ingest.store_server import StoreServerError

    from ..workers import serve
    try:
        return serve(ctx.settings, args.host, args.port, workers=args.workers)
    except (StoreError, StoreServerError) as exc:
        err(str(exc))
        return 2


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the API and the web page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="processes serving requests (default 1). With more than one and the embedded store, "
                        "an oxigraph server owns the store and the workers share it")
    p.set_defaults(fn=cmd_serve)
