"""Search benchmark over the whole default corpus: relevance and latency, in one run.

    .venv/bin/python bench/search.py [--skip-http]

Needs the default corpus ingested (`lexmap ingest`); builds whichever search
index is missing. Prints:

1. relevance (recall@10, MRR per jurisdiction) of the judged queries in
   tests/relevance/queries.toml against SQLite FTS5 (unicode61 tokenizer, the
   baseline of many lawyers' tools; all words, then any word), whoosh and
   tantivy — the latter two share lexmap's Russian analysis;
2. latency p50/p95 of each engine in process (single client);
3. latency p50/p95 through the HTTP API with 1 and 8 concurrent clients.
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


def latency_queries(store, judged, n: int = 150) -> list[str]:
    """The judged queries and article titles drawn at random (seed 7): what lawyers type."""
    titles = [r["t"] for r in store.select('SELECT ?t WHERE { ?pe lexmap:label ?l ; eli:title ?t . '
                                           'FILTER(STRSTARTS(?l, "Статья")) }')]
    rnd = random.Random(7)
    return [j.q for j in judged] + [" ".join(t.split()[:6]) for t in rnd.sample(titles, min(n, len(titles)))]


def http_latency(port: int, queries: list[str], clients: int) -> tuple[list[float], float]:
    import httpx
    times: list[float] = []
    lock = threading.Lock()
    work = list(queries)

    def run() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
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
    for name in ("whoosh", "tantivy"):
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

    queries = latency_queries(store, judged)
    print(f"\n2. latency in process, single client, {len(queries)} queries (judged + article titles), limit 10")
    lat = {}
    for name, fn in (("fts5 all words", lambda q: fts.search(q, "ru") + fts.search(q, "by")),
                     ("whoosh", lambda q: S.search(store, backends["whoosh"], S.Request(q=q), None, th)),
                     ("tantivy", lambda q: S.search(store, backends["tantivy"], S.Request(q=q), None, th))):
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
    print(f"tantivy is x{pct(lat['whoosh'], 50) / pct(lat['tantivy'], 50):.0f} faster than whoosh at p50 "
          f"(x{pct(lat['whoosh'], 95) / pct(lat['tantivy'], 95):.0f} at p95), full service path incl. facets and snippets")

    for b in backends.values():
        b.close()
    store.close()
    if args.skip_http:
        return 0
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ)
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "lexmap"), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        http_latency(port, queries[:20], 1)       # warm up
        print(f"\n3. latency through the HTTP API (uvicorn, 1 worker, tantivy), {len(queries)} queries")
        for clients in (1, 8):
            times, wall = http_latency(port, queries, clients)
            print(f"{clients} client(s): p50 {pct(times, 50) * 1000:6.1f} ms  p95 {pct(times, 95) * 1000:6.1f} ms  "
                  f"{len(times) / wall:6.0f} queries/s")
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
