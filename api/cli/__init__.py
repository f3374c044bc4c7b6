"""The `lexmap` command: the parser and the dispatch; the commands, grouped one module each,
are a few lines over the services.

    ingest.py    ingest, validate, stats, reindex     (ingest.pipeline)
    read.py      show, search, export                  (api.resources, api.search, ingest.akoma_ntoso)
    mappings.py  mappings …, keys …                    (api.mappings, api.auth)
    compare.py   diff, compare, changes                (api.compare)
    serve.py     serve                                 (api.app)
    sources.py   sources list|add|update|remove        (ingest.sources: the local overlay)
    dump.py      dump                                  (api.dumps: bulk files and their DCAT catalog)
    mcp.py       mcp                                   (api.mcp_server over stdio)
    drafts.py    check-draft                           (api.drafts: a draft against both jurisdictions)
    context.py   CliContext (settings, the store for one command), output helpers

Settings come from the LEXMAP_* environment (ingest.config); `main(argv, settings=…, store=…)`
lets a caller (the tests) give its own settings and an open store instead.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ingest.adapters.safe_io import SourceError
from ingest.config import Settings, load_settings
from ingest.store import GraphStore, StoreError

from . import compare, drafts, dump, effects, ingest, mappings, mcp, read, refs, serve, sources
from .context import CliContext, Refused, err

# Every command, in the order `lexmap --help` lists them.
COMMANDS = (ingest.add_ingest, ingest.add_validate, ingest.add_stats, read.add_show, read.add_search,
            ingest.add_reindex, mappings.add_mappings, mappings.add_keys, read.add_export, compare.add_diff,
            compare.add_compare, compare.add_changes, refs.add_refs, effects.add_effects, effects.add_impact,
            serve.add_serve, sources.add_sources,
            dump.add_dump, mcp.add_mcp, drafts.add_check_draft)


def build_parser() -> argparse.ArgumentParser:
    """The `lexmap` argument parser: one sub-command per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog="lexmap", description="RU/BY legislation knowledge base")
    parser.add_argument("--manifest", type=Path, default=None,
                        help="the manifest of acts to use (default: LEXMAP_MANIFEST or corpus/sources.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None, *, settings: Settings | None = None, store: GraphStore | None = None) -> int:
    """Run `lexmap ARGV` (default: the command line); returns the exit status.

    `settings` default to the LEXMAP_* environment; a given `store` is used by every command
    and left open."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings or load_settings()
        if args.manifest is not None:
            settings = replace(settings, manifest=args.manifest.resolve())
        return args.fn(args, CliContext(settings, store))
    except (SourceError, StoreError, KeyError, Refused) as exc:
        err(str(exc).strip('"'))
        return 2


if __name__ == "__main__":
    sys.exit(main())
