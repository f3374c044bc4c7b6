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
        mapping_failures = _sync_mappings(store, settings, reports, force=args.force)
    finally:
        store.close()
    print(summary_table(reports))
    warnings = sum(1 for r in reports for p in r.problems if p.severity == "warning")
    print(f"{time.perf_counter() - t:.1f} s; {warnings} warning(s) (see `lexmap validate ACT` for details)")
    failed = [r for r in reports if r.status == "failed"]
    if mapping_failures:
        _err(f"{mapping_failures} mapping set(s) failed and were left as they were (see above)")
        if not args.keep_going:
            return 1
    if failed:
        _err(f"{len(failed)} act(s) failed and were left as they were in the store: "
             + ", ".join(f"{r.key} ({r.date})" for r in failed))
        return 0 if args.keep_going else 1
    return 0


def _sync_mappings(store, settings, reports, force: bool = False) -> int:
    """Flag mappings on changed texts as stale, then load curated sets whose file changed."""
    from ingest.mappings.curated import load_curated
    from ingest.mappings.repository import MappingRepository
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    changed = {r.graph.rsplit("/", 2)[0] for r in reports if r.status == "loaded"}
    if changed:
        stale = MappingRepository(store, settings.base_iri).mark_stale(changed)
        if stale:
            say(f"mappings: {len(stale)} flagged stale (the text of an end changed): {', '.join(stale[:10])}")
    results = load_curated(store, settings, force=force, progress=say)
    for r in results:
        for v in r.violations[:20]:
            say(f"  {v}")
    return sum(1 for r in results if r.status == "failed")


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


def _mapping_ctx(settings, store):
    from . import mappings as svc
    from .app import _act_aliases
    return svc.Context(store, settings.base_iri, _act_aliases(settings))


def cmd_mappings(args: argparse.Namespace) -> int:
    """lexmap mappings export|import|suggest|propose|list."""
    from ingest.mappings.repository import MappingRepository
    from ingest.mappings.sssom_tsv import MappingFileError, parse, write

    from . import mappings as svc
    from .suggest import Suggester
    settings = load_settings()
    writes = args.action == "import"
    if writes:   # a file that does not parse is refused before the store is touched
        from pathlib import Path
        try:
            mset = parse(Path(args.file).read_text(encoding="utf-8"), args.file, settings.base_iri)
        except (MappingFileError, UnicodeDecodeError, OSError) as exc:
            for p in getattr(exc, "problems", [str(exc)]):
                _err(p)
            return 1
    store = open_store(settings, read_only=not writes)
    ctx = _mapping_ctx(settings, store)
    try:
        if args.action == "export":
            body, _ = svc.export(ctx, args.format, args.source_act, args.target_act)
            _emit(body, args.output)
        elif args.action == "list":
            data = svc.list_mappings(ctx, args.source_act, args.target_act, provision=args.provision, limit=1000)
            for m in data["mappings"]:
                obj = m["object"]["label"] if m["object"] else "— нет соответствия —"
                print(f"{m['id']}  {m['lifecycle']:<8} {m['relation'] or '':<15} {m['confidence']:<4} "
                      f"{m['subject']['label']}  →  {obj}")
            print(f"{data['total']} mapping(s)")
        elif args.action == "suggest":
            data = svc.suggest(ctx, Suggester(store), args.source, args.target_act, args.limit)
            if args.json:
                print(json.dumps(data, ensure_ascii=False, indent=1))
            else:
                for i, c in enumerate(data["candidates"], 1):
                    ev = c["evidence"]
                    print(f"{i}. {c['score']:.3f}  {c['label']}. {c['title']}  [{c['iri']}]")
                    print(f"   text {ev['text']:.2f}  title {ev['title']:.2f}  position {ev['position']:.2f}  "
                          f"chapter {ev['chapter']:.2f}; shared: {', '.join(ev['shared_lemmas'][:8])}")
        elif args.action == "propose":
            src, tgt = svc.act_iri(ctx, args.source_act), svc.act_iri(ctx, args.target_act)
            repo = MappingRepository(store, settings.base_iri)
            proposed = Suggester(store).propose_set(src, tgt, args.min_score, author=repo.agent_iri("suggester"))
            meta = {"mapping_set_id": f"{settings.base_iri}/mappings/proposed", "license":
                    "https://creativecommons.org/licenses/by/4.0/", "subject_source": src, "object_source": tgt,
                    "mapping_set_description": "Proposed by the lexmap suggester; every row needs review."}
            _emit(write(proposed, meta, svc._prefixes(ctx, proposed), settings.base_iri), args.output)
            print(f"{len(proposed)} proposed mapping(s), "
                  f"{sum(1 for m in proposed if m.no_counterpart)} without counterpart", file=sys.stderr)
        elif args.action == "import":
            from pathlib import Path
            path = Path(args.file)
            repo = MappingRepository(store, settings.base_iri)
            name = args.name or path.name.removesuffix(".sssom.tsv").removesuffix(".tsv")
            rep = repo.load_set(mset, name, repo.agent_iri(args.agent), str(path))
            if rep.violations:
                for v in rep.violations:
                    _err(v)
                _err(f"{len(rep.violations)} problem(s); nothing was imported")
                return 1
            print(f"imported {rep.loaded} mapping(s) as set {name}")
    except svc.BadRequest as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    return 0


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def cmd_keys(args: argparse.Namespace) -> int:
    """lexmap keys add|list|revoke: API keys of editors and reviewers (stored hashed)."""
    from . import auth
    path = load_settings().api_keys
    if args.action == "add":
        try:
            key = auth.add_key(path, args.name, args.role or ["editor"], args.label or "")
        except ValueError as exc:
            _err(str(exc))
            return 2
        print(key)
        print(f"key for {args.name} ({', '.join(args.role or ['editor'])}) stored hashed in {path}; "
              "it is shown only now", file=sys.stderr)
    elif args.action == "list":
        try:
            records = auth.load_keys(path)
        except auth.KeysFileError as exc:
            _err(str(exc))
            return 2
        for r in records:
            print(f"{r['name']:<20} {', '.join(r['roles']):<18} {r['label']}")
    elif args.action == "revoke":
        try:
            revoked = auth.revoke_key(path, args.name)
        except auth.KeysFileError as exc:
            _err(str(exc))
            return 2
        if not revoked:
            _err(f"no key named {args.name!r} in {path}")
            return 2
        print(f"revoked {args.name}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """lexmap export --akn ACT [--date D] [-o FILE]: Akoma Ntoso 3.0 of an act in one redaction."""
    from . import resources
    from .app import _act_aliases
    from .akn_export import export_act
    settings = load_settings()
    store = open_store(settings, read_only=True)
    try:
        path = args.act if args.act.startswith("eli/") else _act_aliases(settings).get(args.act, args.act)
        res = resources.resolve(store, settings, path.strip("/"), args.date)
        body = export_act(store, res.work, res.expression)
    except (resources.NotFound, ValueError) as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(body)
        print(f"{args.output}: {res.work} as of {res.version}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """lexmap diff LEFT RIGHT: a coloured redline of two provisions."""
    from . import compare
    from .redline import to_terminal
    settings = load_settings()
    store = open_store(settings, read_only=True)
    try:
        result = compare.diff_provisions(store, settings, args.left, args.right, args.mode, args.left_date,
                                         args.right_date)
    except compare.CompareError as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    l, r = result["left"], result["right"]
    print(f"{l['label']}. {l['title'] or ''} ({l['redaction']})  →  {r['label']}. {r['title'] or ''} ({r['redaction']})")
    s = result["stats"]
    print(f"similarity {result['similarity']:.2f}; words inserted {s['inserted']}, deleted {s['deleted']}, "
          f"replaced {s['replaced']}, inflected {s['inflected']}\n")
    print(to_terminal(result, colour=sys.stdout.isatty() and not args.plain))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """lexmap compare LEFT_ACT RIGHT_ACT: the gap register and correlation table of two acts."""
    from . import compare, resources
    from . import mappings as svc
    from .suggest import Suggester
    settings = load_settings()
    store = open_store(settings, read_only=True)
    ctx = _mapping_ctx(settings, store)
    try:
        left, right = svc.act_iri(ctx, args.left_act), svc.act_iri(ctx, args.right_act)
        result = compare.compare_acts(store, left, right, Suggester(store), settings.base_iri)
        acts = {a["iri"]: a for a in resources.list_acts(store)}
    except (compare.CompareError, svc.BadRequest) as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    if args.format == "csv":
        _emit(compare.compare_csv(result), args.output)
    elif args.format == "html":
        from .templating import render
        _emit(render("compare.html", c=result, rows=result["pairs"], show=None, query={},
                     left=acts.get(left, {}), right=acts.get(right, {})), args.output)
    elif args.format == "json":
        _emit(json.dumps(result, ensure_ascii=False, indent=1), args.output)
    else:
        s = result["summary"]
        print(f"{s['left_articles']} articles vs {s['right_articles']}: matched {s['matched']}, diverging "
              f"{s['diverging']}, no counterpart {s['missing']} (right side without counterpart: "
              f"{s['right_without_counterpart']}); {s['from_mappings']} from mappings, {s['from_suggestions']} suggested")
        for c in result["chapters"]:
            print(f"  {c['chapter']:<24} matched {c['matched']:>3}  diverging {c['diverging']:>3}  missing {c['missing']:>3}")
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    """lexmap changes ACT --from D1 --to D2: what changed between two redactions."""
    from . import compare
    from .app import _act_aliases
    from .redline import to_terminal
    settings = load_settings()
    store = open_store(settings, read_only=True)
    path = args.act if args.act.startswith("eli/") else _act_aliases(settings).get(args.act, args.act)
    try:
        result = compare.changes(store, settings, path, args.date_from, args.date_to)
    except compare.CompareError as exc:
        _err(str(exc))
        return 2
    finally:
        store.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"{result['act']}: {result['from']['redaction']} → {result['to']['redaction']}: " +
          ", ".join(f"{k} {v}" for k, v in result["summary"].items()))
    for x in result["renumbered"]:
        print(f"  renumbered {x['from']['label']} → {x['to']['label']} {x['to']['title'] or ''}")
    for x in result["added"]:
        print(f"  + {x['label']} {x['title'] or ''}")
    for x in result["repealed"]:
        print(f"  × {x['label']} {x['title'] or ''} ({x['status']})")
    if args.redlines:
        for c in result["changed"]:
            print(f"\n~ {c['label']}. {c['title'] or ''}\n" + to_terminal(c, colour=sys.stdout.isatty()))
    else:
        for c in result["changed"]:
            print(f"  ~ {c['label']} {c['title'] or ''} (similarity {c['similarity']:.2f})")
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
    p = sub.add_parser("mappings", help="clause mappings: export, import, list, suggest, propose")
    msub = p.add_subparsers(dest="action", required=True)
    q = msub.add_parser("export", help="mappings as SSSOM TSV, CSV, Turtle or JSON-LD")
    q.add_argument("--format", choices=["sssom", "csv", "ttl", "jsonld"], default="sssom")
    q.add_argument("--source-act")
    q.add_argument("--target-act")
    q.add_argument("-o", "--output", help="file to write (default: standard output)")
    q = msub.add_parser("import", help="validate an SSSOM TSV and load it as one mapping set (all or nothing)")
    q.add_argument("file")
    q.add_argument("--name", help="set name (default: the file name)")
    q.add_argument("--agent", default="cli", help="who imports (agent name in the PROV trail)")
    q = msub.add_parser("list", help="mappings of two acts or of one provision")
    q.add_argument("--source-act")
    q.add_argument("--target-act")
    q.add_argument("--provision")
    q = msub.add_parser("suggest", help="candidate counterparts of a provision in an act of the other jurisdiction")
    q.add_argument("source", help="ELI path of the provision")
    q.add_argument("--target-act", required=True)
    q.add_argument("--limit", type=int, default=5)
    q.add_argument("--json", action="store_true")
    q = msub.add_parser("propose", help="batch: a proposed mapping set for a pair of acts (SSSOM TSV)")
    q.add_argument("--source-act", required=True)
    q.add_argument("--target-act", required=True)
    q.add_argument("--min-score", type=float, default=0.35)
    q.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_mappings)

    p = sub.add_parser("keys", help="API keys of editors and reviewers")
    ksub = p.add_subparsers(dest="action", required=True)
    q = ksub.add_parser("add", help="create a key (printed once)")
    q.add_argument("name")
    q.add_argument("--role", action="append", choices=["editor", "reviewer"])
    q.add_argument("--label", help="the person's name as shown in mappings")
    ksub.add_parser("list")
    q = ksub.add_parser("revoke")
    q.add_argument("name")
    p.set_defaults(fn=cmd_keys)

    p = sub.add_parser("export", help="an act in a standard format (Akoma Ntoso 3.0)")
    p.add_argument("act", help="ELI path (eli/ru/kodeks/1994/51-fz) or manifest key (ru-gk-1)")
    p.add_argument("--akn", action="store_true", required=True, help="Akoma Ntoso 3.0 XML")
    p.add_argument("--date", help="the redaction in force on this date (default: the latest)")
    p.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser("diff", help="redline of two provisions (any acts, any jurisdictions)")
    p.add_argument("left", help="ELI path of a provision")
    p.add_argument("right")
    p.add_argument("--mode", choices=["words", "lemmas"], default="words")
    p.add_argument("--left-date")
    p.add_argument("--right-date")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plain", action="store_true", help="[-deleted-]{+inserted+} instead of colours")
    p.set_defaults(fn=cmd_diff)

    p = sub.add_parser("compare", help="gap analysis of two acts (mappings first, then suggestions)")
    p.add_argument("left_act")
    p.add_argument("right_act")
    p.add_argument("--format", choices=["summary", "json", "csv", "html"], default="summary")
    p.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_compare)

    p = sub.add_parser("changes", help="what changed in an act between two dates (two redactions)")
    p.add_argument("act")
    p.add_argument("--from", dest="date_from", required=True)
    p.add_argument("--to", dest="date_to", required=True)
    p.add_argument("--redlines", action="store_true", help="print the redline of every changed article")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_changes)

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
