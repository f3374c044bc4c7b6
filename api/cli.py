"""The `lexmap` command: thin over the same services as the HTTP API."""
from __future__ import annotations

import argparse
import json
import sys
import time

from ingest.adapters import get_adapter
from ingest.adapters.safe_io import SourceError
from ingest.config import load_settings
from ingest.identifiers import assign_eids
from ingest.load import check_structure, ingest, summary_table
from ingest.sources import load_manifest, read_source, sha256_hex
from ingest.store import StoreError, open_store


def _err(msg: str) -> None:
    print(f"lexmap: {msg}", file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = load_settings()
    manifest = load_manifest(settings)
    acts = [manifest.find(k) for k in args.acts] if args.acts else list(manifest.acts)
    store = open_store(settings)
    t = time.perf_counter()
    try:
        reports = ingest(store, manifest, settings, acts, force=args.force, workers=args.workers)
        _sync_index(store, settings)
    finally:
        store.close()
    print(summary_table(reports))
    warnings = sum(1 for r in reports for p in r.problems if p.severity == "warning")
    print(f"{time.perf_counter() - t:.1f} s; {warnings} warning(s) (see `lexmap validate ACT` for details)")
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        _err(f"{len(failed)} act(s) failed and were left as they were in the store: "
             + ", ".join(f"{r.key} ({r.date})" for r in failed))
        return 0 if args.keep_going else 1
    return 0


def _sync_index(store, settings, backend_name: str | None = None, force: bool = False) -> None:
    """Bring the search index in step with the store: only acts whose graph changed."""
    from ingest.index.indexer import open_backend, rebuild, sync
    backend = open_backend(settings, backend_name)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        t = time.perf_counter()
        done = rebuild(store, backend, say) if force else sync(store, backend, progress=say)
        if done:
            say(f"index ({backend.name}): {len(done)} act(s), {sum(done.values())} documents in "
                f"{time.perf_counter() - t:.1f} s")
    finally:
        backend.close()


def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild the search index from the graph store."""
    settings = load_settings()
    store = open_store(settings, read_only=True)   # the index is built from the graph, which it only reads
    try:
        _sync_index(store, settings, args.backend, force=not args.changed)
    finally:
        store.close()
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ingest.index.indexer import open_backend

    from . import search as search_service
    from .app import _act_aliases
    settings = load_settings()
    store = open_store(settings, read_only=True)
    backend = open_backend(settings, args.backend)
    split = lambda v: tuple(x for s in (v or []) for x in s.split(",") if x)  # noqa: E731
    req = search_service.Request(q=args.query, jurisdiction=split(args.jurisdiction), act=split(args.act),
                                 type=split(args.type), status=split(args.status) or ("in_force",), date=args.date,
                                 limit=args.limit, offset=args.offset)
    try:
        data = search_service.search(store, backend, req, _act_aliases(settings),
                                     search_service.Thesaurus.load(settings.thesaurus))
    except search_service.SearchError as exc:
        _err(str(exc))
        return 2
    finally:
        backend.close()
        store.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(format_results(data, colour=sys.stdout.isatty()))
    return 0


def format_results(data: dict, colour: bool = False) -> str:
    """Search results as a readable table: rank, jurisdiction, act, article, snippet."""
    import html
    import re
    hi, lo = ("\033[1;33m", "\033[0m") if colour else ("[", "]")
    lines = [f"{data['total']} found; " + ", ".join(f"{k}: {v}" for k, v in data["facets"]["jurisdiction"].items())]
    for c in data["citations"]:
        for n in c["notes"]:
            lines.append(f"  note: {n}")
    for i, r in enumerate(data["results"], data["offset"] + 1):
        where = r["article"]["label"] or r["label"] or r["kind"]
        if r["iri"] != r["article"]["iri"]:
            where += f" › {r['label'] or r['kind']}"
        mark = "→ " if r["citation"] else ""
        lines.append(f"{i:>3}. {mark}{r['jurisdiction'].upper()}  {r['act_title']}  {where}  ({r['score']})")
        snip = re.sub(r"<mark>(.*?)</mark>", lambda m: hi + m.group(1) + lo, r["snippet"])
        lines.append("     " + html.unescape(snip))
        lines.append("     " + r["iri"])
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    """Parse and validate without loading: every problem with its place in the source."""
    from ingest.to_rdf import act_to_graph
    from ingest.validate import validate_graph
    settings = load_settings()
    manifest = load_manifest(settings)
    acts = [manifest.find(k) for k in args.acts] if args.acts else list(manifest.acts)
    bad = 0
    for act in acts:
        for expr in act.expressions:
            try:
                data = read_source(manifest, expr, settings)
                doc = get_adapter(expr.format)(data, expr.path)
            except SourceError as exc:
                print(f"{act.key} {expr.date}: error [{exc.where}]: {exc.message} — {exc.hint}")
                bad += 1
                continue
            assign_eids(doc)
            check_structure(doc)
            violations = []
            if not doc.errors:
                ag = act_to_graph(act, expr, doc, settings.base_iri, sha256_hex(data))
                violations = validate_graph(ag.graph, ag.origin)
            status = "FAILED" if doc.errors or violations else "ok"
            print(f"{act.key} {expr.date}: {status} — {len(doc.articles())} articles, "
                  f"{len(doc.errors)} error(s), {len(doc.problems) - len(doc.errors)} warning(s), "
                  f"{len(violations)} SHACL violation(s)")
            for p in doc.problems:
                print(f"  {p}")
            for v in violations:
                print(f"  SHACL {v}")
            bad += status != "ok"
    return 1 if bad else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from . import resources
    store = open_store(load_settings(), read_only=False)
    try:
        data = resources.stats(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(f"acts {data['acts']}  articles {data['articles']}  provisions {data['provisions']}  triples {data['triples']}")
    for row in data["per_act"]:
        print(f"  {row['eli']:<32} {row['articles']:>6} articles {row['provisions']:>7} provisions")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from . import resources
    settings = load_settings()
    store = open_store(settings)
    path = args.path.strip("/")
    if path.startswith("http"):
        path = "eli/" + path.split("/eli/", 1)[1]
    if not path.startswith("eli/"):
        path = "eli/" + path
    try:
        if args.format in ("ttl", "jsonld"):
            from .app import _rdf_response
            resp = _rdf_response(resources.describe(store, settings, path, args.date), "turtle" if args.format == "ttl" else "jsonld")
            print(resp.body.decode())
            return 0
        data = resources.get_act(store, settings, path, args.date)
    except resources.NotFound as exc:
        _err(str(exc))
        return 2
    except ValueError as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=1))
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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lexmap", description="RU/BY legislation knowledge base")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="parse, validate and load acts of the manifest (all by default)")
    p.add_argument("acts", nargs="*", help="manifest keys or ELI work paths (default: every act)")
    p.add_argument("--force", action="store_true", help="reload even unchanged acts")
    p.add_argument("--keep-going", action="store_true", help="exit 0 even when some acts failed")
    p.add_argument("--workers", type=int, default=None, help="parallel parse/validate processes (default 2)")
    p.set_defaults(fn=cmd_ingest)
    p = sub.add_parser("validate", help="parse and validate acts without loading; list every problem")
    p.add_argument("acts", nargs="*")
    p.set_defaults(fn=cmd_validate)
    p = sub.add_parser("stats", help="counts of acts, articles, provisions and triples in the store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_stats)
    p = sub.add_parser("show", help="print an act or provision by its ELI path")
    p.add_argument("path", help="e.g. eli/ru/kodeks/1994/51-fz/art_196")
    p.add_argument("--format", choices=["text", "json", "ttl", "jsonld"], default="text")
    p.add_argument("--date", help="as of YYYY-MM-DD (latest redaction not after it)")
    p.set_defaults(fn=cmd_show)
    p = sub.add_parser("search", help="full-text search; citations such as 'ст. 196 ГК РФ' resolve first")
    p.add_argument("query")
    p.add_argument("--jurisdiction", action="append", help="ru, by (repeat or comma-separate)")
    p.add_argument("--act", action="append", help="manifest key (ru-gk-1) or ELI path of an act")
    p.add_argument("--type", action="append", help="act type: kodeks, konst, zakon …")
    p.add_argument("--status", action="append", help="in_force (default), repealed, excluded or all")
    p.add_argument("--date", help="as of YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--backend", choices=["tantivy", "whoosh"], help="default: LEXMAP_SEARCH_BACKEND or tantivy")
    p.add_argument("--json", action="store_true", help="the same JSON as GET /search")
    p.set_defaults(fn=cmd_search)
    p = sub.add_parser("reindex", help="rebuild the search index from the graph store")
    p.add_argument("--backend", choices=["tantivy", "whoosh"], help="default: LEXMAP_SEARCH_BACKEND or tantivy")
    p.add_argument("--changed", action="store_true", help="only acts whose graph changed since indexed")
    p.set_defaults(fn=cmd_reindex)
    p = sub.add_parser("serve", help="serve the API and the web page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(fn=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (SourceError, StoreError, KeyError) as exc:
        _err(str(exc).strip('"'))
        return 2


if __name__ == "__main__":
    sys.exit(main())
