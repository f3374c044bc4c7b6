"""Search benchmark over the whole default corpus: relevance and latency, in one run.

    .venv/bin/python bench/search.py [--skip-http] [--skip-whoosh] [--url http://127.0.0.1:8000]
                                     [--serve-workers N] [--relevance-only | --latency-only] [--parts dev,test]
                                     [--misses]

Needs the default corpus ingested (`lexmap ingest`); builds whichever search
index is missing. Prints:

1. relevance (recall@10, MRR per jurisdiction, per group of query kinds) of
   the judged sets: tests/relevance/queries.toml (the project's own) and the
   everyday sets everyday_*.toml (issue 21), their dev and test parts apart
   (`--parts dev` while tuning: the test part is reported, never tuned on),
   against two baselines built from the same article texts in the same run —
   SQLite FTS5 (unicode61 tokenizer, all words, then any word) and BM25
   (rank_bm25's Okapi BM25 over Snowball-stemmed article titles and texts, what
   Elasticsearch's `russian` analyzer does) — and lexmap on whoosh and tantivy
   (with dense retrieval blended in, api/search.py; LEXMAP_SEARCH_SEMANTIC=0 for
   the words alone);
2. latency p50/p95 of each engine in process (single client); for tantivy, per
   query and interleaved (so the machine's noise hits all alike): the service
   (api.search, caches emptied first), the straightforward reference path
   (tests/search_reference.py: every candidate decoded, facets over the ranking
   query, full snippets) and tantivy's own search of the same compiled query
   (the engine alone, the floor), wall time and process CPU time;
3. latency and throughput through the HTTP API with 1 client (httpx) and 8
   concurrent clients (wrk, a C client that leaves the cores to the server; httpx
   when wrk is missing), against the server at --url, or a `lexmap serve` started
   here once its start-up warm-up is over; each run asks queries no earlier run
   asked, so no answer comes from a cache; the server's CPU per query is printed.
   `--http-only` runs this section alone.
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

from api import search as S, snippet_table  # noqa: E402
from api.context import AppContext  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.index.documents import act_documents  # noqa: E402
from ingest.index.indexer import open_backend, sync  # noqa: E402
from ingest.index.querylang import Thesaurus  # noqa: E402
from ingest.index.relevance import (EVERYDAY_KINDS, KINDS, STATUTE_KINDS, Judged, Score,  # noqa: E402
                                    evaluate, group, load, load_everyday)
from ingest.store import open_store  # noqa: E402
from tests import search_reference  # noqa: E402



# Each backend's app context's counterparts, which the reranker weighs as in the app (set in main).
COUNTERPARTS: dict[int, object] = {}


def service_search(store, backend, req, aliases, th, known=None) -> dict:
    """api.search.search as the app calls it: with the backend's app context's counterparts."""
    return S.search(store, backend, req, aliases, th, known, COUNTERPARTS.get(id(backend)))

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


class Bm25Baseline:
    """The strong baseline of issue 21: Okapi BM25 (rank_bm25, k1 1.5, b 0.75) over Snowball-stemmed
    article documents (heading and whole text), one index per jurisdiction, latest redactions in
    force; lower case, ё as е, the same function words dropped as lexmap drops. No thesaurus, no
    citations, no lemmas: what an engineer gets from Elasticsearch's `russian` analyzer."""

    def __init__(self, store, works: list[str]):
        import snowballstemmer
        from rank_bm25 import BM25Okapi
        from ingest.index.analysis import STOP_WORDS
        self.stem = snowballstemmer.stemmer("russian").stemWord
        self.stop = STOP_WORDS
        docs: dict[str, list[tuple[str, list[str]]]] = {}
        for w in works:
            for d in act_documents(store, w):
                if d.latest and d.status == "in_force" and d.kind == "article":
                    text = " ".join(x for x in (d.label, d.title, d.text) if x)
                    docs.setdefault(d.jurisdiction, []).append((d.article, self.tokens(text)))
        self.articles = {j: [a for a, _ in ds] for j, ds in docs.items()}
        self.bm25 = {j: BM25Okapi([t for _, t in ds]) for j, ds in docs.items()}
        self.docs = sum(len(ds) for ds in docs.values())

    def tokens(self, text: str) -> list[str]:
        words = re.findall(r"[^\W_]+", text.lower().replace("ё", "е"))
        return [self.stem(w) for w in words if w not in self.stop]

    def search(self, q: str, jur: str, k: int = 10) -> list[str]:
        terms = [t for t in dict.fromkeys(self.tokens(q)) if t in self.bm25[jur].idf]
        if not terms or jur not in self.bm25:
            return []
        import numpy as np
        scores = self.bm25[jur].get_scores(terms)
        top = np.argsort(-scores)[:k]
        return [self.articles[jur][i] for i in top if scores[i] > 0]


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
        for fn in (service_search, search_reference.search):
            try:
                fn(store, backend, S.Request(q=q), None, th, known)
            except S.SearchError:
                pass
    backend.reload()                       # then forget every answer: no facets,
    backend._queries.clear()               # no compiled
    S._PARSED.clear()                      # nor parsed queries
    S._UNDERSTANDING.clear()               # nor understood ones
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
        pair = [("service", service_search), ("reference", search_reference.search)]
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


def table(title: str, engines: dict, queries: list[Judged], cache: dict) -> dict[str, dict]:
    """recall@10 and MRR per jurisdiction of every engine on some queries, printed as a table."""
    if not queries:
        return {}
    print(f"{title} ({len(queries)} queries)")
    print(f"  {'engine':<15} {'RU n':>4} {'RU R@10':>8} {'RU MRR':>7} {'BY n':>5} {'BY R@10':>8} {'BY MRR':>7}")
    out = {}
    for name, fn in engines.items():
        def cached(q: str, jur: str, fn=fn, name=name) -> list[str]:
            key = (name, q, jur)
            if key not in cache:
                cache[key] = fn(q, jur)
            return cache[key]
        sc = evaluate(cached, queries)
        out[name] = sc
        cells = "".join(f" {sc[j].queries:>4} {sc[j].recall:>8.3f} {sc[j].mrr:>7.3f}" if j in sc else f" {'':>4} {'-':>8} {'-':>7}"
                        for j in ("ru", "by"))
        print(f"  {name:<15}{cells}")
    return out


def relevance(engines: dict, judged: list[Judged], args) -> None:
    """Section 1: every set and part, by group of kinds and by kind, baselines beside lexmap."""
    cache: dict = {}
    parts = [p for p in args.parts.split(",") if p]
    print(f"\n1. relevance, k=10, per jurisdiction (recall@10: all accepted articles found in queries.toml, "
          f"one of them in the everyday sets)")
    old = table("\nqueries.toml, the project's own set", engines, judged, cache)
    for jur in ("ru", "by"):
        for m in old.get("tantivy", {}).get(jur, Score()).misses if args.misses else ():
            print(f"    tantivy miss {m}")
    try:
        sets = {p: load_everyday(p) for p in parts}
    except ValueError as exc:
        print(f"\nthe everyday sets cannot be read: {exc}")
        return
    for part, qs in sets.items():
        if not qs:
            print(f"\neveryday sets, {part} part: no queries yet")
            continue
        print(f"\n--- everyday sets (issue 21), {part} part ---")
        res = {}
        for label, kinds in (("statute-worded (words, inflected)", STATUTE_KINDS),
                             ("everyday (paraphrase, question, slang, multi)", EVERYDAY_KINDS)):
            res[label] = table(f"{part}: {label}", engines, group(qs, kinds), cache)
        for kind in KINDS:
            table(f"{part}: kind {kind}", engines, group(qs, (kind,)), cache)
        every = res["everyday (paraphrase, question, slang, multi)"]
        if "tantivy" in every and "bm25 snowball" in every:
            for jur in ("ru", "by"):
                t, b = every["tantivy"].get(jur), every["bm25 snowball"].get(jur)
                if t and b:
                    print(f"  {part} everyday {jur.upper()}: tantivy MRR {t.mrr:.3f} = x{t.mrr / max(b.mrr, 1e-9):.2f} "
                          f"the BM25 baseline's, recall@10 x{t.recall / max(b.recall, 1e-9):.2f}")
        if args.misses and part == "dev" and "tantivy" in every:
            for jur in ("ru", "by"):
                for m in every["tantivy"].get(jur, Score()).misses:
                    print(f"    tantivy miss {m}")


def misspell(q: str, rnd: random.Random) -> str:
    """The query with its longest word misspelt as people do: an unstressed vowel swapped."""
    words = q.split()
    if not words:
        return q
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    spots = [k for k, ch in enumerate(w) if ch in "аоеи"]
    if not spots:
        return q
    k = rnd.choice(spots)
    words[i] = w[:k] + {"а": "о", "о": "а", "е": "и", "и": "е"}[w[k]] + w[k + 1:]
    return " ".join(words)


def understanding_cost(store, backend, queries: list[str], questions: list[str], th, known) -> None:
    """What query understanding (question words, typo correction, "did you mean") costs: the
    service with it and without it, interleaved, on ordinary queries, on the same queries
    misspelt and on everyday questions."""
    rnd = random.Random(11)
    sets = {"ordinary": queries, "misspelt": [misspell(q, rnd) for q in queries], "questions": questions}
    for name, qs in sets.items():
        if not qs:
            continue
        times: dict[bool, list[float]] = {True: [], False: []}
        cpu: dict[bool, list[float]] = {True: [], False: []}
        for q in qs:                       # warm both paths (analysis, corrections) untimed
            for on in (True, False):
                S.UNDERSTAND = on
                try:
                    service_search(store, backend, S.Request(q=q), None, th, known)
                except S.SearchError:
                    pass
        backend.reload()
        backend._queries.clear()
        S._PARSED.clear()
        S._UNDERSTANDING.clear()
        for n, q in enumerate(qs):
            for on in ((True, False) if n % 2 else (False, True)):
                S.UNDERSTAND = on
                t, c = time.perf_counter(), time.process_time()
                try:
                    service_search(store, backend, S.Request(q=q), None, th, known)
                except S.SearchError:
                    pass
                times[on].append(time.perf_counter() - t)
                cpu[on].append(time.process_time() - c)
        S.UNDERSTAND = True
        on, off = pct(times[True], 50), pct(times[False], 50)
        print(f"{name:<10} {len(qs):>4} queries  understanding on p50 {on * 1000:6.2f} ms p95 "
              f"{pct(times[True], 95) * 1000:6.2f} ms   off p50 {off * 1000:6.2f} ms p95 "
              f"{pct(times[False], 95) * 1000:6.2f} ms   on/off p50 x{on / off:.2f}   CPU p50 on "
              f"{pct(cpu[True], 50) * 1000:5.2f} ms off {pct(cpu[False], 50) * 1000:5.2f} ms")


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


_WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("LEXMAP_WRK_PATHS")) do paths[#paths + 1] = line end
local threads, counter = tonumber(os.getenv("LEXMAP_WRK_THREADS")), 0
local tid = 0
function setup(thread) thread:set("id", tid); tid = tid + 1 end
function init(args) counter = id end
request = function()
  local p = paths[(counter % #paths) + 1]
  counter = counter + threads
  return wrk.format("GET", p, {["Accept"] = "application/json"})
end
"""


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            f = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
        todo += children.get(p, [])
    return total


def wrk_throughput(base: str, queries: list[str], clients: int, seconds: int, server_pid: int | None) -> str | None:
    """Distinct queries (none asked twice while they last) through `wrk -t2 -c<clients>`, a C
    client that leaves the two cores to the server; None when wrk is not installed."""
    import shutil
    import tempfile
    import urllib.parse
    if not shutil.which("wrk"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "paths.txt"
        paths.write_text("".join(f"/search?limit=10&q={urllib.parse.quote(q)}\n" for q in queries))
        script = Path(tmp) / "distinct.lua"
        script.write_text(_WRK_SCRIPT)
        cpu0 = _tree_cpu(server_pid) if server_pid else None
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), base],
                             capture_output=True, text=True, env={**os.environ, "LEXMAP_WRK_PATHS": str(paths),
                                                                  "LEXMAP_WRK_THREADS": "2"}).stdout
        cpu = _tree_cpu(server_pid) - cpu0 if server_pid else None
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    line = (f"{clients} clients (wrk, {seconds} s): {n} queries  p50 {lat.get('50', '?'):>8}  p99 {lat.get('99', '?'):>8}"
            f"  {rate:6.0f} queries/s")
    if n > len(queries):
        line += f"  (queries repeated after {len(queries)})"
    if cpu is not None:
        line += f"  server CPU {cpu / max(n, 1) * 1000:.1f} ms per query"
    if non2xx:
        line += f"  non-2xx {non2xx.group(1)}"
    return line


def wait_warm(base: str) -> None:
    """Until the server answers /health and its start-up warm-up is over (done or failed)."""
    import httpx
    for _ in range(1200):
        try:
            r = httpx.get(f"{base}/health", timeout=2)
            if r.status_code == 200 and r.json().get("warm_up", {}).get("status") not in ("running", "not started"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.25)


def http_section(args, http_queries: list[str]) -> int:
    """Section 3: a `lexmap serve` (or --url), warmed, then 1 client and 8 clients."""
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
        wait_warm(base)
        # disjoint sets: warm-up, 1 client, 8 clients (no answer served from a cache)
        warm, rest = http_queries[:40], http_queries[40:]
        one, many = rest[:300], rest[300:]
        http_latency(base, warm, 2)
        who = f"the server at {args.url}" if args.url else f"`lexmap serve` started here, {args.serve_workers} worker(s)"
        print(f"\n3. through the HTTP API ({who}, tantivy), GET /search?q=…&limit=10, distinct queries")
        times, wall = http_latency(base, one, 1)
        print(f"1 client (httpx): {len(one)} queries  p50 {pct(times, 50) * 1000:6.1f} ms  "
              f"p95 {pct(times, 95) * 1000:6.1f} ms  {len(times) / wall:6.0f} queries/s")
        line = wrk_throughput(base, many, 8, args.seconds, proc.pid if proc is not None else None)
        if line is None:               # no wrk: Python clients (they take CPU from the server)
            times, wall = http_latency(base, many, 8)
            line = (f"8 clients (httpx): {len(many)} queries  p50 {pct(times, 50) * 1000:6.1f} ms  "
                    f"p95 {pct(times, 95) * 1000:6.1f} ms  {len(times) / wall:6.0f} queries/s")
        print(line)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-whoosh", action="store_true", help="no whoosh latency (minutes on the full corpus)")
    ap.add_argument("--url", help="a running `lexmap serve` to measure over HTTP (else one is started here)")
    ap.add_argument("--serve-workers", type=int, default=1, help="--workers of the server started here")
    ap.add_argument("--relevance-only", action="store_true", help="section 1 only")
    ap.add_argument("--latency-only", action="store_true", help="section 2 only (tantivy, no baselines)")
    ap.add_argument("--parts", default="dev,test", help="parts of the everyday sets to report (dev while tuning)")
    ap.add_argument("--misses", action="store_true", help="list tantivy's misses (queries.toml and the dev part)")
    ap.add_argument("--http-only", action="store_true", help="section 3 only")
    ap.add_argument("--seconds", type=int, default=10, help="length of the 8-client HTTP run (wrk)")
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
    if args.http_only:
        http_queries = list(dict.fromkeys(latency_queries(store, [], 9000, seed=8)))
        store.close()
        return http_section(args, http_queries)
    th = Thesaurus.load(settings.thesaurus)
    backends = {}
    for name in (("tantivy",) if args.skip_whoosh else ("whoosh", "tantivy")):
        b = open_backend(settings, name)
        t = time.perf_counter()
        done = sync(store, b)
        if done:
            print(f"built the {name} index: {sum(done.values())} documents in {time.perf_counter() - t:.1f} s")
        backends[name] = b
    # as the app: the reranker weighs each article's counterparts (an app context's, warmed up)
    for b in backends.values():
        ctx = AppContext.build(settings, store, b)
        ctx.search_counterparts()
        COUNTERPARTS[id(b)] = ctx.search_counterparts
        snippet_table.table(b)          # and the snippets' term vectors, as the app's warm-up
    if args.latency_only:
        known = S.known_values(store)
        queries = list(dict.fromkeys(latency_queries(store, judged)))
        print(f"\n2. latency in process, single client, {len(queries)} queries (judged + article titles), limit 10")
        tantivy_latency(store, backends["tantivy"], queries, th, known)
        print("\nquery understanding, tantivy service, cold caches, interleaved (first run of each query untimed)")
        understanding_cost(store, backends["tantivy"], queries,
                           [j.q for j in load_everyday() if j.kind in EVERYDAY_KINDS], th, known)
        return 0
    t = time.perf_counter()
    fts = Fts5(store, works)
    print(f"built the FTS5 baseline: {fts.docs} documents in {time.perf_counter() - t:.1f} s")
    base = settings.base_iri + "/"

    def lexmap_fn(name: str):
        def fn(q: str, jur: str) -> list[str]:
            try:
                data = service_search(store, backends[name], S.Request(q=q, jurisdiction=(jur,), limit=10), None, th)
            except S.SearchError:          # a query of stop words only
                return []
            return [r["article"]["iri"][len(base):] for r in data["results"]]
        return fn

    t = time.perf_counter()
    bm25 = Bm25Baseline(store, works)
    print(f"built the BM25 baseline (Snowball stems): {bm25.docs} articles in {time.perf_counter() - t:.1f} s")
    engines = {
        "fts5 all words": lambda q, j: [a[len(base):] for a in fts.search(q, j)],
        "fts5 any word": lambda q, j: [a[len(base):] for a in fts.search(q, j, any_word=True)],
        "bm25 snowball": lambda q, j: [a[len(base):] for a in bm25.search(q, j)],
        "whoosh": lexmap_fn("whoosh"),
        "tantivy": lexmap_fn("tantivy"),
    }
    if args.skip_whoosh:
        del engines["whoosh"]
    relevance(engines, judged, args)
    if args.relevance_only:
        return 0

    queries = list(dict.fromkeys(latency_queries(store, judged)))
    print(f"\n2. latency in process, single client, {len(queries)} queries (judged + article titles), limit 10")
    known = S.known_values(store)
    lat = {}
    engines_timed = [("fts5 all words", lambda q: fts.search(q, "ru") + fts.search(q, "by"))]
    if not args.skip_whoosh:
        engines_timed.append(("whoosh", lambda q: service_search(store, backends["whoosh"], S.Request(q=q), None, th, known)))
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
    print("\nquery understanding, tantivy service, cold caches, interleaved (first run of each query untimed)")
    everyday_texts = [j.q for j in load_everyday() if j.kind in EVERYDAY_KINDS]
    understanding_cost(store, backends["tantivy"], queries, everyday_texts, th, known)

    http_queries = [q for q in dict.fromkeys(latency_queries(store, [], 9000, seed=8)) if q not in set(queries)]
    for b in backends.values():
        b.close()
    store.close()
    if args.skip_http:
        return 0
    return http_section(args, http_queries)




if __name__ == "__main__":
    sys.exit(main())
