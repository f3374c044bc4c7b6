"""The `lexmap` command: the parser and the dispatch; the commands, grouped one module each,
are a few lines over the services.

    ingest.py    ingest, validate, stats, reindex     (ingest.pipeline)
    read.py      show, search, export                  (api.resources, api.search, ingest.akoma_ntoso)
    mappings.py  mappings …, keys …                    (api.mappings, api.auth)
    compare.py   diff, compare, changes                (api.compare)
    serve.py     serve                                 (api.app)
    context.py   CliContext (settings, the store for one command), output helpers

Settings come from the LEXMAP_* environment (ingest.config); `main(argv, settings=…, store=…)`
lets a caller (the tests) give its own settings and an open store instead.
"""
from __future__ import annotations

import argparse
import sys

from ingest.adapters.safe_io import SourceError
from ingest.config import Settings, load_settings
from ingest.store import GraphStore, StoreError

from . import compare, ingest, mappings, read, serve
from .context import CliContext, err

# Every command, in the order `lexmap --help` lists them.
COMMANDS = (ingest.add_ingest, ingest.add_validate, ingest.add_stats, read.add_show, read.add_search,
            ingest.add_reindex, mappings.add_mappings, mappings.add_keys, read.add_export, compare.add_diff,
            compare.add_compare, compare.add_changes, serve.add_serve)


def build_parser() -> argparse.ArgumentParser:
    """The `lexmap` argument parser: one sub-command per entry of COMMANDS."""
    parser = argparse.ArgumentParser(prog="lexmap", description="RU/BY legislation knowledge base")
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
        return args.fn(args, CliContext(settings or load_settings(), store))
    except (SourceError, StoreError, KeyError) as exc:
        err(str(exc).strip('"'))
        return 2


if __name__ == "__main__":
    sys.exit(main())
