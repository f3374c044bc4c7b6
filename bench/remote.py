"""The same app over each store engine in one run: embedded (pyoxigraph on disk, the reference),
the oxigraph server and Virtuoso open source, each started on 127.0.0.1 in a temporary directory:

    .venv/bin/python bench/remote.py [--acts ru-gk-1 by-gk] [--rounds 3]

Per store: ingest of the acts (parse and SHACL are the same work for every store, so the load
step, writing to the store and reading the counts back, is shown apart, as triples/s) and the
curated mapping set of the pair (seconds, mappings loaded: the RU–BY civil code set
is staged and applied in one request on Virtuoso); the search index built from the store's graph (what
`lexmap reindex` does on a replica); then through the API (the app in process, one client):
provision JSON, search and the gap analysis of the two acts, p50 / p95 in ms, each also as a
ratio to the embedded store measured in the same run; served (the app's memo kept, as after the
first visit) and cold (the memo dropped before each request, as after a write: every query of
the view goes to the store). Needs `virtuoso-t` (apt-get install -y
virtuoso-opensource) for the Virtuoso column; without it that column is left out and said so.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402  (the test helpers start the servers; pytest.skip/fail raise)
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from ingest.index.indexer import open_backend, sync  # noqa: E402
from ingest.load import ingest  # noqa: E402
from ingest.mappings.curated import load_curated  # noqa: E402
from ingest.sources import load_manifest  # noqa: E402
from ingest.store import StoreError, count_graph, open_store  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.test_remote_store import oxigraph_server  # noqa: E402
from tests.test_virtuoso import remote_settings, virtuoso_server  # noqa: E402

SEARCHES = ["исковая давность", "договор дарения", "неустойка", "право собственности", "\"юридическое лицо\""]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def timed(client: TestClient, urls: list[str], rounds: int, cold: bool = False) -> list[float]:
    """Milliseconds per request; `cold`: the app's memo dropped before each (as after a write),
    so every query of the view goes to the store."""
    out = []
    for _ in range(rounds):
        for u in urls:
            if cold:
                client.app.state.ctx.invalidate()
            t = time.perf_counter()
            r = client.get(u)
            out.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (u, r.status_code, r.text[:200])
    return out


def run(kind: str, settings, manifest, acts: list[str], curated: list[Path], rounds: int) -> dict:
    store = open_store(settings)
    t = time.perf_counter()
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in acts], workers=1, progress=lambda m: None)
    wall = time.perf_counter() - t
    bad = [(r.key, r.date, r.errors[:1]) for r in reports if r.status != "loaded"]
    assert not bad, bad
    load = sum(r.seconds.get("load", 0) for r in reports)
    triples = sum(r.triples for r in reports)
    stored = sum(count_graph(store, r.graph) for r in reports)
    assert stored == triples, (kind, stored, triples)
    t = time.perf_counter()
    try:
        sets = load_curated(store, settings, curated)
    except StoreError as exc:      # said, not hidden: the gap analysis then runs on suggestions alone
        print(f"{kind}: curated mapping sets NOT loaded: {str(exc)[:200]}", file=sys.stderr)
        sets = []
    curated_s = time.perf_counter() - t
    mappings = sum(r.loaded for r in sets if r.status == "loaded")
    backend = open_backend(settings, "tantivy")
    t = time.perf_counter()
    sync(store, backend)
    reindex = time.perf_counter() - t
    works = [f"eli/{manifest.find(k).work.iri('').split('/eli/', 1)[1]}" for k in acts]
    with TestClient(create_app(settings, store, backend)) as c:
        provisions = [f"/{w}/art_{n}" for w in works for n in (1, 10, 100, 196, 309)]
        provisions = [u for u in provisions if c.get(u).status_code == 200]
        res = {"ingest s": wall, "load s": load, "triples": triples, "load triples/s": triples / load,
               "reindex s": reindex, "curated s": curated_s, "mappings": mappings,
               "provision JSON": timed(c, provisions, rounds),
               "search": timed(c, [f"/search?q={q}" for q in SEARCHES], rounds),
               "gap analysis": timed(c, [f"/compare?left_act={acts[0]}&right_act={acts[1]}"], rounds),
               "provision JSON, cold": timed(c, provisions, rounds, cold=True),
               "gap analysis, cold": timed(c, [f"/compare?left_act={acts[0]}&right_act={acts[1]}"], rounds, cold=True)}
    backend.close()
    store.close()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acts", nargs=2, default=["ru-gk-1", "by-gk"], help="two acts with a curated set between them")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    # the curated sets between the two acts' families (ru-sk/by-kobs -> ru-sk-by-kobs.sssom.tsv)
    curated = [f for f in sorted((ROOT / "corpus" / "mappings").glob("*.sssom.tsv"))
               if f.name.startswith(args.acts[0].rsplit("-", 1)[0] if args.acts[0].count("-") > 1 else args.acts[0])]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="lexmap-bench-remote-") as tmp, ExitStack() as stack:
        tmp = Path(tmp)
        manifest = load_manifest(make_settings(tmp / "none"))
        kinds = {"embedded": lambda: make_settings(tmp / "embedded")}
        base = stack.enter_context(oxigraph_server(tmp / "ox", "--union-default-graph"))
        kinds["oxigraph server"] = lambda: remote_settings(tmp / "ox-var", "oxigraph", base)
        try:
            vbase = stack.enter_context(virtuoso_server(tmp / "virtuoso"))
            kinds["virtuoso"] = lambda: remote_settings(tmp / "v-var", "virtuoso", vbase)
        except pytest.skip.Exception as exc:
            print(f"virtuoso left out: {exc}")
        for kind, make in kinds.items():
            settings = make()
            print(f"{kind}: ingesting {' '.join(args.acts)} …", file=sys.stderr, flush=True)
            results[kind] = run(kind, settings, manifest, args.acts, curated, args.rounds)
    ref = results["embedded"]
    print(f"\nacts {' '.join(args.acts)}: {ref['triples']} triples; {args.rounds} round(s) per view; "
          f"ratios are to the embedded store in this run")
    print(f"{'store':<16} {'ingest s':>9} {'load s':>7} {'load tr/s':>10} {'reindex s':>10} {'curated s':>10} "
          f"{'mappings':>9}")
    for kind, r in results.items():
        print(f"{kind:<16} {r['ingest s']:>9.1f} {r['load s']:>7.2f} {r['load triples/s']:>10,.0f} "
              f"{r['reindex s']:>10.1f} {r['curated s']:>10.1f} {r['mappings']:>9}")
    print(f"\n{'view (ms)':<21} " + " ".join(f"{k + ' p50/p95':>30}" for k in results))
    for view in ("provision JSON", "search", "gap analysis", "provision JSON, cold", "gap analysis, cold"):
        cells = []
        for kind, r in results.items():
            p50, p95 = statistics.median(r[view]), pct(r[view], 0.95)
            ratio = p50 / statistics.median(ref[view])
            cells.append(f"{p50:8.1f} / {p95:8.1f} ({ratio:4.1f}×)")
        print(f"{view:<21} " + " ".join(f"{c:>30}" for c in cells))


if __name__ == "__main__":
    main()
