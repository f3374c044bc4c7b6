"""`lexmap ingest | validate | stats | reindex`: building the store and the index (ingest.pipeline)."""
from __future__ import annotations

import argparse
from dataclasses import replace

from ingest import pipeline

from .context import CliContext, err, print_json
from .dump import refresh_after_ingest

BACKEND_HELP = "default: LEXMAP_SEARCH_BACKEND or tantivy"


def cmd_ingest(args: argparse.Namespace, ctx: CliContext) -> int:
    """Parse, validate and load acts, then sync the index, the stale flags and the curated sets."""
    settings = replace(ctx.settings, accept_shrink=True) if args.accept_shrink else ctx.settings
    report = pipeline.run(settings, args.acts, store=ctx.lent_store, force=args.force, workers=args.workers)
    print(report.summary())
    for rep in (r for r in report.acts if r.status == "loaded"):   # an accepted shrink, said beside the table
        for p in rep.problems:
            if p.where == "plausibility" and p.severity == "warning":
                err(f"{rep.key} {rep.date}: {p.message}")
    for msg in report.failure_messages():
        err(msg)
    refresh_after_ingest(ctx)       # the bulk dumps follow the store (api.dumps), when there are any
    return report.exit_code(keep_going=args.keep_going)


def cmd_validate(args: argparse.Namespace, ctx: CliContext) -> int:
    """Parse and validate without loading: every problem with its place in the source."""
    bad = 0
    for result in pipeline.validate(ctx.settings, args.acts):
        print("\n".join(result.lines()))
        bad += not result.ok
    return 1 if bad else 0


def cmd_stats(args: argparse.Namespace, ctx: CliContext) -> int:
    """Counts of acts, articles, provisions and triples."""
    from .. import resources
    with ctx.open_store(read_only=False) as store:
        data = resources.stats(store)
    if args.json:
        print_json(data)
        return 0
    print(f"acts {data['acts']}  articles {data['articles']}  provisions {data['provisions']}  triples {data['triples']}")
    for row in data["per_act"]:
        print(f"  {row['eli']:<32} {row['articles']:>6} articles {row['provisions']:>7} provisions")
    return 0


def cmd_reindex(args: argparse.Namespace, ctx: CliContext) -> int:
    """Rebuild the search index from the graph store (or only acts whose graph changed)."""
    with ctx.open_store(read_only=True) as store:   # the index is built from the graph, which it only reads
        pipeline.sync_index(store, ctx.settings, backend_name=args.backend, rebuild=not args.changed)
    return 0


def add_ingest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="parse, validate and load acts of the manifest (all by default)")
    p.add_argument("acts", nargs="*", help="manifest keys or ELI work paths (default: every act)")
    p.add_argument("--force", action="store_true", help="reload even unchanged acts")
    p.add_argument("--keep-going", action="store_true", help="exit 0 even when some acts failed")
    p.add_argument("--accept-shrink", action="store_true",
                   help="load a redaction that holds much less than the one it replaces or the manifest's figures "
                        "(refused by default: a file cut short)")
    p.add_argument("--workers", type=int, default=None, help="parallel parse/validate processes (default 2)")
    p.set_defaults(fn=cmd_ingest)


def add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="parse and validate acts without loading; list every problem")
    p.add_argument("acts", nargs="*")
    p.set_defaults(fn=cmd_validate)


def add_stats(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="counts of acts, articles, provisions and triples in the store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_stats)


def add_reindex(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reindex", help="rebuild the search index from the graph store")
    p.add_argument("--backend", choices=["tantivy", "whoosh"], help=BACKEND_HELP)
    p.add_argument("--changed", action="store_true", help="only acts whose graph changed since indexed")
    p.set_defaults(fn=cmd_reindex)
