"""`lexmap serve`: the API and the web page (api.app) under uvicorn."""
from __future__ import annotations

import argparse

from .context import CliContext


def cmd_serve(args: argparse.Namespace, ctx: CliContext) -> int:
    """Serve until stopped; the app opens (and closes) the store itself."""
    import uvicorn

    from ..app import create_app
    uvicorn.run(create_app(ctx.settings), host=args.host, port=args.port, log_level="info")
    return 0


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the API and the web page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(fn=cmd_serve)
