"""Search benchmark over the whole default corpus: relevance and latency, in one run.

    .venv/bin/python bench/search.py [--skip-http] [--skip-whoosh] [--url http://127.0.0.1:8000]
                                     [--serve-workers N]

Needs the default corpus ingested (`lexmap ingest`); builds whichever search
index is missing. Prints:

1. relevance (recall@10, MRR per jurisdiction) of the judged queries in
   tests/relevance/queries.toml against SQLite FTS5 (unicode61 tokenizer, the
   baseline of many lawyers' tools; all words, then any word), whoosh and
   tantivy — the latter two share lexmap's Russian analysis;
2. latency p50/p95 of each engine in process (single client); for tantivy, per
   query and interleaved (so the machine's noise hits all alike): the service
   (api.search, caches emptied first), the straightforward reference path
   (tests/search_reference.py: every candidate decoded, facets over the ranking
   query, full snippets) and tantivy's own search of the same compiled query
   (the engine alone, the floor), wall time and process CPU time;
3. latency and throughput through the HTTP API with 1 and 8 concurrent clients,
   against the server at --url, or a `lexmap serve` started here; each run asks
   queries no earlier run asked, so no answer comes from a cache.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import search as S  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.index.documents import act_documents  # noqa: E402
from ingest.index.indexer import open_backend, sync  # noqa: E402
from ingest.index.querylang import Thesaurus  # noqa: E402
from ingest.index.relevance import evaluate, load  # noqa: E402
from ingest.store import open_store  # noqa: E402
from tests import search_reference  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class Fts5:
    """The baseline: SQLite FTS5, unicode61 tokenizer, bm25 ranking, latest redactions."""

    def __init__(self, store, works: list[str]):
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE VIRTUAL TABLE p USING fts5(title, text, jurisdiction UNINDEXED, "
                        "article UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
        rows = []
        for w in works:
            for d in act_documents(store, w):
                if d.latest and d.status == "in_force":
                    rows.append((" ".join(x for x in (d.label, d.title) if x), d.text, d.jurisdiction, d.article))
        self.db.executemany("INSERT INTO p VALUES (?, ?, ?, ?)", rows)
        self.docs = len(rows)

    def search(self, q: str, jur: str, any_word: bool = False, k: int = 10) -> list[str]:
        words = [w for w in re.findall(r"\w+", q.lower())]
        if not words:
            return []
        expr = (" OR " if any_word else " ").join(f'"{w}"' for w in words)
        cur = self.db.execute("SELECT article FROM p WHERE p MATCH ? AND jurisdiction = ? "
                              "ORDER BY bm25(p, 3.0, 1.0) LIMIT 200", (expr, jur))
        out: list[str] = []
        for (a,) in cur:
            if a not in out:
                out.append(a)
            if len(out) == k:
                break
        return out


def latency_queries(store, judged, n: int = 150, seed: int = 7) -> list[str]:
    """The judged queries and article titles drawn at random: what lawyers type."""
    titles = [r["t"] for r in store.select('SELECT ?t WHERE { ?pe lexmap:label ?l ; eli:title ?t . '
                                           'FILTER(STRSTARTS(?l, "Статья")) }')]
    rnd = random.Random(seed)
    return [j.q for j in judged] + [" ".join(t.split()[:6]) for t in rnd.sample(titles, min(n, len(titles)))]


def tantivy_latency(store, backend, queries: list[str], th, known) -> None:
    """Service, reference and engine alone, per query, interleaved; wall and CPU time."""
    from ingest.index.querylang import parse
    from api import citations
    engine_q = []
    for q in queries:                      # the engine's input: the compiled query of the words
        cits = citations.find(q)
        rest = citations.strip(q, cits) if cits else q
        try:
            node = parse(rest, th) if rest and re.search(r"\w", rest) else None
        except Exception:
            node = None
        engine_q.append(None if node is None else search_reference._tantivy_query(
            backend, node, S.make_filters(store, S.Request(q=q), None, known)))
    searcher = backend.index.searcher()
    for q, eq in zip(queries, engine_q):   # warm the postings and the analysis (a running server's
        if eq is not None:                 # vocabulary) once for all three, untimed
            searcher.search(eq, limit=60, count=False)
        for fn in (S.search, search_reference.search):
            try:
                fn(store, backend, S.Request(q=q), None, th, known)
            except S.SearchError:
                pass
    backend.reload()                       # then forget every answer: no facets,
    backend._queries.clear()               # no compiled
    S._PARSED.clear()                      # nor parsed queries
    wall: dict[str, list[float]] = {"service": [], "reference": [], "engine": []}
    cpu: dict[str, list[float]] = {k: [] for k in wall}

    def timed(name: str, fn) -> None:
        t, c = time.perf_counter(), time.process_time()
        try:
            fn()
        except S.SearchError:
            pass
        wall[name].append(time.perf_counter() - t)
        cpu[name].append(time.process_time() - c)

    for n, (q, eq) in enumerate(zip(queries, engine_q)):
        pair = [("service", S.search), ("reference", search_reference.search)]
        for name, fn in pair[::1 - 2 * (n % 2)]:       # who goes first alternates
            timed(name, lambda: fn(store, backend, S.Request(q=q), None, th, known))
        if eq is not None:
            timed("engine", lambda: searcher.search(eq, limit=60, count=False))
    for name, label in (("service", "tantivy service"), ("reference", "  reference path"),
                        ("engine", "  tantivy alone")):
        print(f"{label:<16} p50 {pct(wall[name], 50) * 1000:7.2f} ms   p95 {pct(wall[name], 95) * 1000:7.2f} ms   "
              f"CPU p50 {pct(cpu[name], 50) * 1000:6.2f} ms  mean {sum(cpu[name]) / len(cpu[name]) * 1000:6.2f} ms")
    e = pct(wall["engine"], 50)
    print(f"service p50 = {pct(wall['service'], 50) / e:.2f} x tantivy alone "
          f"(reference path {pct(wall['reference'], 50) / e:.2f} x); service {pct(wall['reference'], 50) / pct(wall['service'], 50):.1f}x "
          f"faster than the reference path at p50, {pct(wall['reference'], 95) / pct(wall['service'], 95):.1f}x at p95")
    print(f"  (the engine alone: the ranking query's top 60, as the service asks; {len(engine_q)} queries, "
          f"{len(wall['engine'])} with words)")


def http_latency(base: str, queries: list[str], clients: int) -> tuple[list[float], float]:
    import httpx
    times: list[float] = []
    lock = threading.Lock()
    work = list(queries)

    def run() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while True:
                with lock:
                    if not work:
                        return
                    q = work.pop()
                t = time.perf_counter()
                r = c.get("/search", params={"q": q, "limit": 10})
                dt = time.perf_counter() - t
                assert r.status_code in (200, 400), r.text
                with lock:
                    times.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return times, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-whoosh", action="store_true", help="no whoosh latency (minutes on the full corpus)")
    ap.add_argument("--url", help="a running `lexmap serve` to measure over HTTP (else one is started here)")
    ap.add_argument("--serve-workers", type=int, default=1, help="--workers of the server started here")
    args = ap.parse_args()
    settings = load_settings()
    store = open_store(settings)
    works = [r["w"] for r in store.select("SELECT ?w WHERE { ?w a lexmap:Act }")]
    if not works:
        print("the store is empty: run `lexmap ingest` first")
        return 1
    articles = store.select('SELECT (COUNT(*) AS ?n) WHERE { ?a lexmap:subdivisionKind "article" }')[0]["n"]
    print(f"corpus: {len(works)} acts, {articles} articles")
    judged = load()
    th = Thesaurus.load(settings.thesaurus)
    backends = {}
    for name in (("tantivy",) if args.skip_whoosh else ("whoosh", "tantivy")):
        b = open_backend(settings, name)
        t = time.perf_counter()
        done = sync(store, b)
        if done:
            print(f"built the {name} index: {sum(done.values())} documents in {time.perf_counter() - t:.1f} s")
        backends[name] = b
    t = time.perf_counter()
    fts = Fts5(store, works)
    print(f"built the FTS5 baseline: {fts.docs} documents in {time.perf_counter() - t:.1f} s")
    base = settings.base_iri + "/"

    def lexmap_fn(name: str):
        def fn(q: str, jur: str) -> list[str]:
            data = S.search(store, backends[name], S.Request(q=q, jurisdiction=(jur,), limit=10), None, th)
            return [r["article"]["iri"][len(base):] for r in data["results"]]
        return fn

    engines = {
        "fts5 all words": lambda q, j: [a[len(base):] for a in fts.search(q, j)],
        "fts5 any word": lambda q, j: [a[len(base):] for a in fts.search(q, j, any_word=True)],
        "whoosh": lexmap_fn("whoosh"),
        "tantivy": lexmap_fn("tantivy"),
    }
    if args.skip_whoosh:
        del engines["whoosh"]
    print(f"\n1. relevance: {len(judged)} judged queries (tests/relevance/queries.toml), k=10, per jurisdiction")
    print(f"{'engine':<16} {'RU recall@10':>12} {'RU MRR':>7} {'BY recall@10':>12} {'BY MRR':>7}")
    scores = {}
    for name, fn in engines.items():
        sc = evaluate(fn, judged)
        scores[name] = sc
        print(f"{name:<16} {sc['ru'].recall:>12.3f} {sc['ru'].mrr:>7.3f} {sc['by'].recall:>12.3f} {sc['by'].mrr:>7.3f}")
    for jur in ("ru", "by"):
        b, t = scores["fts5 all words"][jur], scores["tantivy"][jur]
        print(f"gain of lexmap (tantivy) over FTS5 all words, {jur.upper()}: recall x{t.recall / max(b.recall, 1e-9):.2f}, "
              f"MRR x{t.mrr / max(b.mrr, 1e-9):.2f}")
    for jur in ("ru", "by"):
        for m in scores["tantivy"][jur].misses:
            print(f"  tantivy miss {m}")

    queries = list(dict.fromkeys(latency_queries(store, judged)))
    print(f"\n2. latency in process, single client, {len(queries)} queries (judged + article titles), limit 10")
    known = S.known_values(store)
    lat = {}
    engines_timed = [("fts5 all words", lambda q: fts.search(q, "ru") + fts.search(q, "by"))]
    if not args.skip_whoosh:
        engines_timed.append(("whoosh", lambda q: S.search(store, backends["whoosh"], S.Request(q=q), None, th, known)))
    for name, fn in engines_timed:
        times = []
        for q in queries:
            t = time.perf_counter()
            try:
                fn(q)
            except S.SearchError:
                pass
            times.append(time.perf_counter() - t)
        lat[name] = times
        print(f"{name:<16} p50 {pct(times, 50) * 1000:7.1f} ms   p95 {pct(times, 95) * 1000:7.1f} ms")
    tantivy_latency(store, backends["tantivy"], queries, th, known)

    http_queries = [q for q in dict.fromkeys(latency_queries(store, [], 900, seed=8)) if q not in set(queries)]
    for b in backends.values():
        b.close()
    store.close()
    if args.skip_http:
        return 0
    import httpx
    proc = None
    base = args.url.rstrip("/") if args.url else None
    if base is None:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [str(ROOT / ".venv" / "bin" / "lexmap"), "serve", "--port", str(port)]
        if args.serve_workers > 1:
            cmd += ["--workers", str(args.serve_workers)]
        proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # three disjoint sets: warm-up, 1 client, 8 clients (no answer served from a cache)
        warm, rest = http_queries[:40], http_queries[40:]
        half = len(rest) // 3
        runs = {1: rest[:half], 8: rest[half:]}
        http_latency(base, warm, 2)
        who = f"the server at {args.url}" if args.url else f"`lexmap serve` started here, {args.serve_workers} worker(s)"
        print(f"\n3. through the HTTP API ({who}, tantivy), GET /search?q=…&limit=10")
        for clients, qs in runs.items():
            times, wall = http_latency(base, qs, clients)
            print(f"{clients} client(s): {len(qs)} queries  p50 {pct(times, 50) * 1000:6.1f} ms  "
                  f"p95 {pct(times, 95) * 1000:6.1f} ms  {len(times) / wall:6.0f} queries/s")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
