"""`lexmap show | search | export`: reading acts and provisions (api.resources, api.search)."""
from __future__ import annotations

import argparse
import html
import re
import sys

from ingest.identifiers import eli_of

from ..params import split
from .context import CliContext, err, print_json
from .ingest import BACKEND_HELP


def cmd_show(args: argparse.Namespace, ctx: CliContext) -> int:
    """An act (its contents) or a provision (breadcrumb, text, notes) by ELI path, or its RDF."""
    from .. import rdf_formats, resources
    path = eli_path(args.path)
    if args.format in ("ttl", "jsonld"):
        nt = ctx.read(lambda store: resources.describe(store, ctx.settings, path, args.date), read_only=False)
        print(rdf_formats.to_turtle(nt) if args.format == "ttl" else rdf_formats.to_jsonld(nt))
        return 0
    data = ctx.read(lambda store: resources.get_act(store, ctx.settings, path, args.date), read_only=False)
    if args.format == "json":
        print_json(data)
    elif data.get("kind") == "act":
        print(f"{data['title']} ({data['number']}, {data['adopted']}) — редакция {data['redaction']}")
        for c in data["contents"]:
            print(f"  {c['label'] or c['eid']}{'. ' + c['title'] if c.get('title') else ''}")
    else:
        print(" › ".join((c.get("label") or "") + (". " + c["title"] if c.get("title") else "") for c in data["breadcrumb"]))
        print(f"[{data['iri']}] редакция {data['redaction']}, {data['status']}")
        print(data["full_text"])
        for n in data["notes"]:
            print(f"  ({n})" if not n.startswith("(") else f"  {n}")
    return 0


def eli_path(ref: str) -> str:
    """'eli/…' from an ELI path, a full IRI or a path without its 'eli/'."""
    path = ref.strip("/")
    if path.startswith("http"):
        path = eli_of(path)
    return path if path.startswith("eli/") else "eli/" + path


def cmd_search(args: argparse.Namespace, ctx: CliContext) -> int:
    """Full-text search, citations first, each hit with its counterparts in the other jurisdiction; or,
    with --pairs, RU↔BY pairs (as GET /search/pairs). A table, or the JSON of the HTTP answer."""
    from ingest.index.indexer import open_backend

    from .. import pair_search, search as search_service
    from ..context import AppContext
    with ctx.open_store(read_only=True) as store:
        backend = open_backend(ctx.settings, args.backend)
        try:
            app = AppContext.build(ctx.settings, store, backend)
            if args.pairs:
                req = pair_search.parse_request(app, args.query, split(args.relation or []),
                                                split(args.harmonization or []), split(args.review or []),
                                                split(args.acts or []), args.stale, args.limit, args.offset)
                data = pair_search.search_pairs(app, req)
            else:
                req = search_service.Request(q=args.query, jurisdiction=split(args.jurisdiction or []),
                                             act=split(args.act or []), type=split(args.type or []),
                                             status=split(args.status or []) or ("in_force",), date=args.date,
                                             limit=args.limit, offset=args.offset)
                data = search_service.search(store, backend, req, app.aliases, app.thesaurus,
                                             counterparts=app.search_counterparts)
                if not args.no_counterparts:
                    pair_search.counterparts(app, data["results"])
        except search_service.SearchError as exc:
            err(str(exc))
            return 2
        finally:
            backend.close()
    if args.json:
        print_json(data)
    elif args.pairs:
        print(format_pairs(data, colour=sys.stdout.isatty()))
    else:
        print(format_results(data, colour=sys.stdout.isatty()))
    return 0


def _highlight(snippet: str, colour: bool) -> str:
    hi, lo = ("\033[1;33m", "\033[0m") if colour else ("[", "]")
    return html.unescape(re.sub(r"<mark>(.*?)</mark>", lambda m: hi + m.group(1) + lo, snippet))


def counterpart_line(c: dict) -> str:
    """'↔ ст. 197 ГК РБ · harmonized · intersects_with' (a mapping) or '↔ ст. 9 СК РФ · suggested P 0.93'."""
    if c["no_counterpart"]:
        return f"↔ no counterpart ({c['lifecycle']})"
    if c["source"] == "suggestion":
        p = f" P {c['probability']:.2f}" if c["probability"] is not None else ""
        return f"↔ {c['cite']} · suggested{p}"
    extra = "" if c["lifecycle"] == "accepted" else f" · {c['lifecycle']}"
    return f"↔ {c['cite']} · {c['harmonization']} · {c['relation']}{extra}"


def format_results(data: dict, colour: bool = False) -> str:
    """Search results as a readable table: rank, jurisdiction, act, article, snippet, counterparts."""
    lines = [f"{data['total']} found; " + ", ".join(f"{k}: {v}" for k, v in data["facets"]["jurisdiction"].items())]
    for c in data["citations"]:
        for n in c["notes"]:
            lines.append(f"  note: {n}")
    # what the query was also searched as: an acronym's words, the codes' words for everyday ones
    for a in data.get("acronyms") or []:
        lines.append(f"  {a['typed']}: searched as «{a['searched']}»")
    for w in data.get("rewrites") or []:
        lines.append(f"  {w['typed']}: also searched «{w['searched']}»")
    for i, r in enumerate(data["results"], data["offset"] + 1):
        where = r["article"]["label"] or r["label"] or r["kind"]
        if r["iri"] != r["article"]["iri"]:
            where += f" › {r['label'] or r['kind']}"
        mark = "→ " if r["citation"] else ""
        lines.append(f"{i:>3}. {mark}{r['jurisdiction'].upper()}  {r['act_title']}  {where}  ({r['score']})")
        lines.append("     " + _highlight(r["snippet"], colour))
        lines.append("     " + r["iri"])
        for c in r.get("counterparts") or []:
            lines.append("     " + counterpart_line(c))
    return "\n".join(lines)


def format_pairs(data: dict, colour: bool = False) -> str:
    """RU↔BY pairs as a readable list: rank, both articles, what links them, the pair's URL."""
    f = data["facets"]
    lines = [f"{data['total']} pairs; " + "; ".join(f"{k}: " + ", ".join(f"{v} {n}" for v, n in f[k].items())
                                                  for k in ("harmonization", "relation", "review") if f[k])]
    for i, p in enumerate(data["pairs"], data["offset"] + 1):
        ln = p["link"]
        how = (f"suggested P {ln['probability']:.2f}" if ln["review"] == "suggested" and ln["probability"] is not None
               else "suggested" if ln["review"] == "suggested"
               else f"{ln['harmonization']} · {ln['relation']} · {ln['lifecycle']}")
        lines.append(f"{i:>3}. {p['ru']['cite']} ↔ {p['by']['cite']}  ({how}; {p['score']})")
        for j in ("ru", "by"):
            s = p[j]
            lines.append(f"     {j.upper()} {s['label'] or ''}" + ("" if s["matched"] else "  [via the mapping]"))
            if s["matched"] and s["snippet"]:
                lines.append("        " + _highlight(s["snippet"], colour))
        lines.append(f"     {p['url']}")
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace, ctx: CliContext) -> int:
    """Akoma Ntoso 3.0 of an act in one redaction, to a file or standard output."""
    from ingest.akoma_ntoso.writer import export_act

    from .. import resources

    def akn(store):
        res = resources.resolve(store, ctx.settings, ctx.act_path(args.act).strip("/"), args.date)
        return export_act(store, res.work, res.expression)
    body = ctx.read(akn)
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(body)
        print(f"{args.output}: {res.work} as of {res.version}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
    return 0


def add_show(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="print an act or provision by its ELI path")
    p.add_argument("path", help="e.g. eli/ru/kodeks/1994/51-fz/art_196")
    p.add_argument("--format", choices=["text", "json", "ttl", "jsonld"], default="text")
    p.add_argument("--date", help="as of YYYY-MM-DD (latest redaction not after it)")
    p.set_defaults(fn=cmd_show)


def add_search(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="full-text search; citations such as 'ст. 196 ГК РФ' resolve first")
    p.add_argument("query")
    p.add_argument("--jurisdiction", action="append", help="ru, by (repeat or comma-separate)")
    p.add_argument("--act", action="append", help="manifest key (ru-gk-1) or ELI path of an act")
    p.add_argument("--type", action="append", help="act type: kodeks, konst, zakon …")
    p.add_argument("--status", action="append", help="in_force (default), repealed, excluded or all")
    p.add_argument("--date", help="as of YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--backend", choices=["tantivy", "whoosh"], help=BACKEND_HELP)
    p.add_argument("--json", action="store_true", help="the same JSON as GET /search (or /search/pairs)")
    p.add_argument("--no-counterparts", action="store_true", help="hits without their counterparts")
    p.add_argument("--pairs", action="store_true", help="RU↔BY pairs of provisions (GET /search/pairs)")
    p.add_argument("--relation", action="append", help="--pairs: equal, subset_of, superset_of, intersects_with")
    p.add_argument("--harmonization", action="append", help="--pairs: unified, harmonized, divergent")
    p.add_argument("--review", action="append", help="--pairs: reviewed or suggested")
    p.add_argument("--acts", action="append", help="--pairs: an act pair, e.g. ru-tk,by-tk")
    p.add_argument("--stale", help="--pairs: true (only stale mappings) or false (none)")
    p.set_defaults(fn=cmd_search)


def add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="an act in a standard format (Akoma Ntoso 3.0)")
    p.add_argument("act", help="ELI path (eli/ru/kodeks/1994/51-fz) or manifest key (ru-gk-1)")
    p.add_argument("--akn", action="store_true", required=True, help="Akoma Ntoso 3.0 XML")
    p.add_argument("--date", help="the redaction in force on this date (default: the latest)")
    p.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_export)
