"""`lexmap sources list | add | update | remove`: the user's own copies of sources, kept in the local
overlay of the data dir (ingest.sources), merged over the official manifest, which stays untouched."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ingest.sources import add_local_source, load_manifest, overlay_path, remove_local_source

from .context import CliContext, err


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Every redaction of the manifest (or of the acts named) with its file; local ones marked."""
    manifest = load_manifest(ctx.settings)
    acts = [manifest.find(k) for k in args.acts] if args.acts else manifest.acts
    for act in acts:
        print(f"{act.key:<20} {act.work.path}")
        for e in sorted(act.expressions, key=lambda x: x.date):
            where = "local " if e.local else "corpus"
            print(f"  {e.date}  {e.format:<14} {where}  {e.path}")
    print(f"local overlay: {manifest.overlay or overlay_path(ctx.settings)}"
          + ("" if manifest.overlay else " (none yet)"))
    return 0


def _record(args: argparse.Namespace, ctx: CliContext, replace_existing: bool) -> int:
    entry = add_local_source(ctx.settings, args.act, Path(args.file), args.date, args.format, args.note or "",
                             replace_existing=replace_existing)
    print(f"{entry.act} {entry.date}: {entry.file} ({entry.format}, sha256 {entry.sha256[:16]}…) recorded in "
          f"{overlay_path(ctx.settings)}")
    print(f"load it with: lexmap ingest {entry.act}")
    return 0


def cmd_add(args: argparse.Namespace, ctx: CliContext) -> int:
    """Record a file as a new redaction of an act."""
    return _record(args, ctx, replace_existing=False)


def cmd_update(args: argparse.Namespace, ctx: CliContext) -> int:
    """Record a file as the source of an existing redaction (default: the act's latest)."""
    return _record(args, ctx, replace_existing=True)


def cmd_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    """Drop a local entry: the redaction goes back to the manifest's file (or is no longer listed)."""
    if not remove_local_source(ctx.settings, args.act, args.date):
        err(f"no local source of {args.act} dated {args.date} in {overlay_path(ctx.settings)}")
        return 1
    print(f"{args.act} {args.date}: local source removed; what is loaded stays until the next `lexmap ingest`")
    return 0


def add_sources(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="your own copies of sources: a newer redaction, a corrected file "
                                       "(kept in the data dir, merged over the manifest)")
    ss = p.add_subparsers(dest="sources_command", required=True)
    ls = ss.add_parser("list", help="the redactions of the manifest and their files, local ones marked")
    ls.add_argument("acts", nargs="*", help="manifest keys or ELI work paths (default: every act)")
    ls.set_defaults(fn=cmd_list)
    for name, fn, help_text, date_help in (
            ("add", cmd_add, "record a file as a new redaction of an act", "the redaction's date (required)"),
            ("update", cmd_update, "record a file as the source of one of the act's redactions",
             "which redaction (default: the act's latest)")):
        c = ss.add_parser(name, help=help_text)
        c.add_argument("act", help="manifest key or ELI work path")
        c.add_argument("--file", required=True, help="the source file (checked: it must parse as its format)")
        c.add_argument("--date", type=_date, default=None, help=date_help)
        c.add_argument("--format", default=None, help="source format (default: that of the act's redaction)")
        c.add_argument("--note", default=None, help="a note kept with the redaction")
        c.set_defaults(fn=fn)
    rm = ss.add_parser("remove", help="drop a local source (the manifest's file counts again)")
    rm.add_argument("act")
    rm.add_argument("--date", type=_date, required=True)
    rm.set_defaults(fn=cmd_remove)
