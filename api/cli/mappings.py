"""`lexmap mappings export|import|list|suggest|suggest-parts|propose` (api.mappings) and `lexmap keys add|list|revoke`
(api.auth)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.store import GraphStore

from .context import CliContext, emit, err, print_json

SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def cmd_mappings(args: argparse.Namespace, ctx: CliContext) -> int:
    """One mapping action; only `import` and `propose --load` write."""
    from .. import mappings as svc
    try:
        if args.action == "import":
            return _import(args, ctx)
        writes = args.action == "propose" and (args.load or args.all)
        with ctx.open_store(read_only=not writes) as store:
            return READERS[args.action](args, ctx, store)
    except svc.BadRequest as exc:
        err(str(exc))
        return 2


def _parse_set(file: str, ctx: CliContext):
    """The SSSOM TSV `file` parsed, or None after printing its problems line by line."""
    from ingest.mappings.sssom_tsv import MappingFileError, parse
    try:
        return parse(Path(file).read_text(encoding="utf-8"), file, ctx.settings.base_iri)
    except (MappingFileError, UnicodeDecodeError, OSError) as exc:
        for p in getattr(exc, "problems", [str(exc)]):
            err(p)
        return None


def _export(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    from .. import mappings as svc
    body, _ = svc.export(ctx.mappings(store), args.format, args.source_act, args.target_act)
    emit(body, args.output)
    return 0


def _list(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    from .. import mappings as svc
    data = svc.list_mappings(ctx.mappings(store), args.source_act, args.target_act, provision=args.provision,
                             limit=1000)
    for m in data["mappings"]:
        obj = m["object"]["label"] if m["object"] else "— нет соответствия —"
        print(f"{m['id']}  {m['lifecycle']:<8} {m['relation'] or '':<15} {m['confidence']:<4} "
              f"{m['subject']['label']}  →  {obj}")
    print(f"{data['total']} mapping(s)")
    return 0


def _suggest(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    from .. import mappings as svc
    from ingest.mappings.suggest import Suggester
    data = svc.suggest(ctx.mappings(store), Suggester(store, ctx.settings.bag_dir), args.source, args.target_act, args.limit)
    if args.json:
        print_json(data)
        return 0
    for i, c in enumerate(data["candidates"], 1):
        ev = c["evidence"]
        print(f"{i}. {c['score']:.3f}  {c['label']}. {c['title']}  [{c['iri']}]")
        print(f"   text {ev['text']:.2f}  title {ev['title']:.2f}  position {ev['position']:.2f}  "
              f"chapter {ev['chapter']:.2f}; shared: {', '.join(ev['shared_lemmas'][:8])}")
    return 0


def _suggest_parts(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    from .. import mappings as svc
    from ingest.mappings.suggest import Suggester
    data = svc.suggest_parts(ctx.mappings(store), Suggester(store, ctx.settings.bag_dir), args.source, args.target,
                             args.limit)
    if args.json:
        print_json(data)
        return 0
    am = data["article_mapping"]
    print(f"{data['note']}; article mapping: " + (f"{am['relation']} ({am['lifecycle']})" if am else "none reviewed"))
    for u in data["units"]:
        p = u["proposed"]
        print(f"{u['source']['eid']:<32} -> {p['eid'] if p else '—':<32} "
              + (f"{p['score']:.2f}" if p else "no counterpart"))
    return 0


def _propose(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    from ingest.mappings.repository import MappingRepository
    from ingest.mappings.sssom_tsv import write

    from .. import mappings as svc
    from ingest.mappings.suggest import Suggester
    base = ctx.settings.base_iri
    if args.load or args.all:
        return _load_proposals(args, ctx, store)
    if not (args.source_act and args.target_act):
        err("propose: give --source-act and --target-act (or --all --load for every code pair)")
        return 2
    mctx = ctx.mappings(store)
    src, tgt = svc.act_iri(mctx, args.source_act), svc.act_iri(mctx, args.target_act)
    repo = MappingRepository(store, base)
    proposed = Suggester(store, ctx.settings.bag_dir).propose_set(src, tgt, args.min_score, author=repo.agent_iri("suggester"))
    meta = {"mapping_set_id": f"{base}/mappings/proposed", "license": SSSOM_LICENSE, "subject_source": src,
            "object_source": tgt,
            "mapping_set_description": "Proposed by the lexmap suggester; every row needs review."}
    emit(write(proposed, meta, svc.curie_prefixes(mctx, proposed), base), args.output)
    print(f"{len(proposed)} proposed mapping(s), "
          f"{sum(1 for m in proposed if m.no_counterpart)} without counterpart", file=sys.stderr)
    return 0


def _load_proposals(args: argparse.Namespace, ctx: CliContext, store: GraphStore) -> int:
    """`propose --load`: the code pairs' tables loaded as `proposed` records (all, or the pair
    whose RU act is --source-act)."""
    from ingest.mappings.proposals import load_tables, pair_works
    if not args.load:
        err("propose --all writes into the store only with --load")
        return 2
    names = [n for n, _, _ in pair_works(ctx.settings)]
    pairs = None if args.all else [n for n in names if n.split("→")[0] == args.source_act
                                   and (not args.target_act or n.split("→")[1] == args.target_act)]
    if pairs is not None and not pairs:
        err(f"propose --load: no code pair for {args.source_act!r}; the pairs are: {', '.join(names)}")
        return 2
    reports = load_tables(store, ctx.settings, pairs, progress=lambda m: print(m, file=sys.stderr))
    return 1 if any(r.violations for r in reports) else 0


def _import(args: argparse.Namespace, ctx: CliContext) -> int:
    """Load an SSSOM TSV as one mapping set, all or nothing; a file that does not parse is
    refused before the store is touched."""
    from ingest.mappings.repository import MappingRepository
    mset = _parse_set(args.file, ctx)
    if mset is None:
        return 1
    path = Path(args.file)
    name = args.name or path.name.removesuffix(".sssom.tsv").removesuffix(".tsv")
    with ctx.open_store() as store:
        repo = MappingRepository(store, ctx.settings.base_iri)
        rep = repo.load_set(mset, name, repo.agent_iri(args.agent), str(path))
    if rep.violations:
        for v in rep.violations:
            err(v)
        err(f"{len(rep.violations)} problem(s); nothing was imported")
        return 1
    print(f"imported {rep.loaded} mapping(s) as set {name}")
    return 0


READERS = {"export": _export, "list": _list, "suggest": _suggest, "suggest-parts": _suggest_parts, "propose": _propose}


def cmd_keys(args: argparse.Namespace, ctx: CliContext) -> int:
    """lexmap keys add|list|revoke: API keys of editors and reviewers (stored hashed)."""
    action = {"add": _add_key, "list": _list_keys, "revoke": _revoke_key}[args.action]
    try:
        return action(args, ctx.settings.api_keys)
    except ValueError as exc:   # a bad name, role or label; a damaged keys file (auth.KeysFileError)
        err(str(exc))
        return 2


def _add_key(args: argparse.Namespace, path: Path) -> int:
    from .. import auth
    roles = args.role or ["editor"]
    key = auth.add_key(path, args.name, roles, args.label or "")
    print(key)
    print(f"key for {args.name} ({', '.join(roles)}) stored hashed in {path}; it is shown only now", file=sys.stderr)
    return 0


def _list_keys(args: argparse.Namespace, path: Path) -> int:
    from .. import auth
    for r in auth.load_keys(path):
        print(f"{r['name']:<20} {', '.join(r['roles']):<18} {r['label']}")
    return 0


def _revoke_key(args: argparse.Namespace, path: Path) -> int:
    from .. import auth
    if not auth.revoke_key(path, args.name):
        err(f"no key named {args.name!r} in {path}")
        return 2
    print(f"revoked {args.name}")
    return 0


def add_mappings(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mappings", help="clause mappings: export, import, list, suggest, suggest-parts, propose")
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
    q = msub.add_parser("suggest-parts", help="part- and point-level counterparts inside two articles")
    q.add_argument("source", help="ELI path of an article")
    q.add_argument("target", help="ELI path of an article of the other jurisdiction")
    q.add_argument("--limit", type=int, default=3)
    q.add_argument("--json", action="store_true")
    q = msub.add_parser("propose", help="batch: a proposed mapping set for a pair of acts (SSSOM TSV), or "
                                         "--load: the code pairs' tables into the store as proposals to review")
    q.add_argument("--source-act", help="manifest key or ELI path (with --load: the RU act of a code pair)")
    q.add_argument("--target-act")
    q.add_argument("--load", action="store_true", help="load as `proposed` mapping records (agent: suggester)")
    q.add_argument("--all", action="store_true", help="with --load: every code pair")
    q.add_argument("--min-score", type=float, default=0.35)
    q.add_argument("-o", "--output")
    p.set_defaults(fn=cmd_mappings)


def add_keys(sub: argparse._SubParsersAction) -> None:
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
