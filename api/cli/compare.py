"""`lexmap diff | compare | changes`: redlines, gap analysis and changes between redactions (api.compare)."""
from __future__ import annotations

import argparse
import json
import sys

from .context import CliContext, emit, err, print_json


def cmd_diff(args: argparse.Namespace, ctx: CliContext) -> int:
    """A coloured (or --plain) redline of two provisions."""
    from .. import compare
    from ..redline import to_terminal
    try:
        with ctx.open_store(read_only=True) as store:
            result = compare.diff_provisions(store, ctx.settings, args.left, args.right, args.mode, args.left_date,
                                             args.right_date)
    except compare.CompareError as exc:
        err(str(exc))
        return 2
    if args.json:
        print_json(result)
        return 0
    l, r, s = result["left"], result["right"], result["stats"]
    print(f"{l['label']}. {l['title'] or ''} ({l['redaction']})  →  {r['label']}. {r['title'] or ''} ({r['redaction']})")
    print(f"similarity {result['similarity']:.2f}; words inserted {s['inserted']}, deleted {s['deleted']}, "
          f"replaced {s['replaced']}, inflected {s['inflected']}\n")
    print(to_terminal(result, colour=sys.stdout.isatty() and not args.plain))
    return 0


def cmd_compare(args: argparse.Namespace, ctx: CliContext) -> int:
    """The gap register and correlation table of two acts: a summary, JSON, CSV or HTML."""
    from .. import compare, resources
    from .. import mappings as svc
    from ingest.mappings.suggest import Suggester
    try:
        with ctx.open_store(read_only=True) as store:
            mctx = ctx.mappings(store)
            left, right = svc.act_iri(mctx, args.left_act), svc.act_iri(mctx, args.right_act)
            result = compare.compare_acts(store, left, right, Suggester(store, ctx.settings.bag_dir), ctx.settings.base_iri)
            acts = {a["iri"]: a for a in resources.list_acts(store)}
    except (compare.CompareError, svc.BadRequest) as exc:
        err(str(exc))
        return 2
    if args.format == "csv":
        emit(compare.compare_csv(result), args.output)
    elif args.format == "html":
        from ..templating import render
        emit(render("compare.html", c=result, rows=result["pairs"], show=None, query={},
                    left=acts.get(left, {}), right=acts.get(right, {})), args.output)
    elif args.format == "json":
        emit(json.dumps(result, ensure_ascii=False, indent=1), args.output)
    else:
        print_compare_summary(result)
    return 0


def print_compare_summary(result: dict) -> None:
    """Totals of a gap analysis, then one line per chapter."""
    s = result["summary"]
    print(f"{s['left_articles']} articles vs {s['right_articles']}: matched {s['matched']}, diverging "
          f"{s['diverging']}, no counterpart {s['missing']} (right side without counterpart: "
          f"{s['right_without_counterpart']}); {s['from_mappings']} from mappings, {s['from_suggestions']} suggested")
    for c in result["chapters"]:
        print(f"  {c['chapter']:<24} matched {c['matched']:>3}  diverging {c['diverging']:>3}  missing {c['missing']:>3}")


def cmd_changes(args: argparse.Namespace, ctx: CliContext) -> int:
    """What changed in an act between two redactions: renumbered, added, repealed, changed."""
    from .. import compare
    try:
        with ctx.open_store(read_only=True) as store:
            result = compare.changes(store, ctx.settings, ctx.act_path(args.act), args.date_from, args.date_to)
    except compare.CompareError as exc:
        err(str(exc))
        return 2
    if args.json:
        print_json(result)
    else:
        print_changes(result, redlines=args.redlines)
    return 0


def print_changes(result: dict, redlines: bool = False) -> None:
    """The changes as lines (renumbered, + added, × repealed, ~ changed), or with every redline."""
    from ..redline import to_terminal
    print(f"{result['act']}: {result['from']['redaction']} → {result['to']['redaction']}: " +
          ", ".join(f"{k} {v}" for k, v in result["summary"].items()))
    for x in result["renumbered"]:
        print(f"  renumbered {x['from']['label']} → {x['to']['label']} {x['to']['title'] or ''}")
    for x in result["added"]:
        print(f"  + {x['label']} {x['title'] or ''}")
    for x in result["repealed"]:
        print(f"  × {x['label']} {x['title'] or ''} ({x['status']})")
    for c in result["changed"]:
        if redlines:
            print(f"\n~ {c['label']}. {c['title'] or ''}\n" + to_terminal(c, colour=sys.stdout.isatty()))
        else:
            print(f"  ~ {c['label']} {c['title'] or ''} (similarity {c['similarity']:.2f})")


def add_diff(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="redline of two provisions (any acts, any jurisdictions)")
    p.add_argument("left", help="ELI path of a provision")
    p.add_argument("right")
    p.add_argument("--mode", choices=["words", "lemmas"], default="words")
    p.add_argument("--left-date")
    p.add_argument("--right-date")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plain", action="store_true", help="[-deleted-]{+inserted+} instead of colours")
    p.set_defaults(fn=cmd_diff)


def add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="gap analysis of two acts (mappings first, then suggestions)")
    p.add_argument("left_act")
    p.add_argument("right_act")
    p.add_argument("--format", choices=["summary", "json", "csv", "html"], default="summary")
    p.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_compare)


def add_changes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("changes", help="what changed in an act between two dates (two redactions)")
    p.add_argument("act")
    p.add_argument("--from", dest="date_from", required=True)
    p.add_argument("--to", dest="date_to", required=True)
    p.add_argument("--redlines", action="store_true", help="print the redline of every changed article")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_changes)
