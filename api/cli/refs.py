"""`lexmap refs PATH` (the references in a provision's text) and `lexmap refs --cited-by PATH`
(what cites it), over the service of GET /references (api.references)."""
from __future__ import annotations

import argparse

from .context import CliContext, print_json
from .read import eli_path


def cmd_refs(args: argparse.Namespace, ctx: CliContext) -> int:
    """References of a provision, or what cites it: a table, or the JSON of GET /references."""
    from .. import references
    path = eli_path(ctx.act_path(args.path))
    fn = references.incoming if args.cited_by else references.outgoing
    data = ctx.read(lambda store: fn(store, ctx.settings, path, args.date))
    if args.json:
        print_json(data)
        return 0
    refs = data["references"]
    head = "cited by" if args.cited_by else "references"
    print(f"{len(refs)} {head} — {data.get('target') or data.get('source')}"
          + (f" (редакция {data['date']})" if data.get("date") else ""))
    for r in refs:
        where = r["provision"].rsplit("/", 1)[-1]
        if args.cited_by:
            print(f"  {r['provision']}  «{r['quote']}»")
            continue
        if r["targets"]:
            what = ", ".join(t.rsplit("/", 1)[-1] for t in r["targets"][:6]) + (" …" if len(r["targets"]) > 6 else "")
            if r.get("act") and r["act"] not in r["targets"][0]:
                what = r["act"] + " " + what
        elif r.get("external"):
            what = f"external: {r['external']}"
        else:
            what = f"unresolved: {r.get('reason') or '?'}"
        print(f"  {where:<28} {r['start']:>5}-{r['end']:<5} {r['kind']:<9} «{r['quote']}» → {what}")
    return 0


def add_refs(sub: argparse._SubParsersAction) -> None:
    """`lexmap refs PATH [--cited-by] [--date D] [--json]`."""
    p = sub.add_parser("refs", help="references in a provision's text, or what cites it (--cited-by)")
    p.add_argument("path", help="ELI path of a provision or act (eli/ru/kodeks/1994/51-fz/art_196)")
    p.add_argument("--cited-by", action="store_true", help="list what cites the provision instead")
    p.add_argument("--date", default=None, help="as of this date (YYYY-MM-DD): the redaction in force then")
    p.add_argument("--json", action="store_true", help="the JSON of GET /references")
    p.set_defaults(fn=cmd_refs)
