"""`lexmap dump`: the bulk files and their DCAT catalog (api.dumps) in LEXMAP_DATA_DIR/dumps."""
from __future__ import annotations

import argparse
import time

from .context import CliContext, err, print_json


def cmd_dump(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write every dump file (or only when the data changed, with --if-stale) and print the catalog's figures."""
    from .. import dumps
    started = time.perf_counter()
    with ctx.open_store(read_only=True) as store:
        if args.if_stale and not dumps.is_stale(store, ctx.settings):
            print(f"dumps in {dumps.directory(ctx.settings)} are up to date")
            return 0
        try:
            done = dumps.write_all(store, ctx.settings, progress=lambda m: err(f"dump: {m}") if args.verbose else None)
        except dumps.DumpError as exc:
            err(str(exc))
            return 2
    if args.json:
        print_json(done)
        return 0
    for f in done["files"]:
        count = f.get("triples", f.get("rows"))
        unit = "triples" if "triples" in f else "rows"
        print(f"{f['file']:<22} {f['bytes']:>12,} bytes {count:>10,} {unit}  sha256 {f['sha256'][:16]}…")
    print(f"catalog: {dumps.path_of(ctx.settings, dumps.DumpFile.catalog)} ({time.perf_counter() - started:.1f} s)")
    return 0


def add_dump(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dump", help="write the bulk dumps (N-Quads, TriG, SSSOM, JSON-LD, JSONL) and their DCAT catalog")
    p.add_argument("--if-stale", action="store_true", help="only when the data changed since the last dump")
    p.add_argument("--json", action="store_true", help="print the catalog's figures as JSON")
    p.add_argument("--verbose", action="store_true", help="say each step on standard error")
    p.set_defaults(fn=cmd_dump)


def refresh_after_ingest(ctx: CliContext) -> None:
    """After `lexmap ingest`: rewrite the dumps if there are any and the data changed (an
    installation that never ran `lexmap dump` pays nothing)."""
    from .. import dumps
    if dumps.state(ctx.settings) is None:
        return
    with ctx.open_store(read_only=True) as store:
        try:
            if dumps.refresh(store, ctx.settings) is not None:
                err(f"dumps refreshed in {dumps.directory(ctx.settings)}")
        except dumps.DumpError as exc:
            err(f"{exc}; the previous dumps stay in place")
