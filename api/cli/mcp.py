"""`lexmap mcp`: the MCP server (api.mcp_server) over standard input and output, for an AI
assistant that starts lexmap itself (Claude Desktop, an IDE…). Read-only: the store is opened
read-only, so a running `lexmap serve` or `lexmap ingest` is not disturbed."""
from __future__ import annotations

import argparse

from .context import CliContext, err


def cmd_mcp(args: argparse.Namespace, ctx: CliContext) -> int:
    """Serve the MCP tools on stdio until the client closes the pipe."""
    from ingest.index.indexer import open_backend

    from ..context import AppContext
    from ..mcp_server import run_stdio
    with ctx.open_store(read_only=True) as store:
        backend = open_backend(ctx.settings)
        try:
            run_stdio(AppContext.build(ctx.settings, store, backend))
        except KeyboardInterrupt:
            err("stopped")
        finally:
            backend.close()
    return 0


def add_mcp(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mcp", help="serve the MCP tools (search, provisions, counterparts, comparisons) on stdio")
    p.set_defaults(fn=cmd_mcp)
