"""Pair search benchmark (issue 23): is the right RU↔BY pair in the top 5, and what the pair view
costs against plain search, in one run.

    .venv/bin/python bench/pairs.py [--k 5] [--misses]

Needs the default corpus ingested (`lexmap ingest`). Prints:

1. on tests/relevance/pairs.toml (statute-worded queries, each naming the pair of articles a
   reviewed mapping links, written by reading both articles): how often the judged pair (or
   one of its `also` pairs) is among the first k pairs of GET /search/pairs (goal: k = 5,
   >= 95%), hit@1 and MRR, per kind and per topic;
2. as an extra report, JUDGE-A/B's everyday sets (tests/relevance/everyday_*.toml) where an
   entry names articles on both sides: a pair counts when its RU article is among the
   entry's `ru` and its BY article among its `by` (test part, then dev part);
3. latency in process, per query interleaved (who goes first alternates, so the machine's
   noise hits both alike), after one untimed warm pass and with the engine's answers
   forgotten (compiled queries, parsed queries, facet counts): plain search (api.search, a
   page of 10), the /search answer with counterparts (plain search + each hit's
   counterparts, not the per-page memo entry), and the pair view (a page of 10 pairs);
   p50/p95 and the ratio pair view / plain search (goal <= 2x). The mapping table's index
   is kept as a running server keeps it (built once per data version) and the suggester's
   act pairs are warm, as after the server's warm-up; the suggestions remembered in the index
   are forgotten before the timed pass, so a query's suggestions are computed afresh unless
   an earlier timed query met the same articles (as in a running server).
"""
from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import pair_search as P, search as S  # noqa: E402
from api.context import AppContext  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.identifiers import eli_of, top_unit_of  # noqa: E402
from ingest.index.indexer import open_backend  # noqa: E402
from ingest.index.relevance import EVERYDAY_SETS, DEFAULT_SET, load  # noqa: E402
from ingest.store import open_store  # noqa: E402

PAIRS = ROOT / "tests" / "relevance" / "pairs.toml"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def load_pairs(path: Path = PAIRS) -> list[dict]:
    """The judged pairs: q, kind, topic, and the accepted answers as a set of (ru, by) ELI paths."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for e in data["pair"]:
        right = {(e["ru"], e["by"])} | {tuple(x) for x in e.get("also", [])}
        out.append({"q": e["q"], "kind": e["kind"], "topic": e.get("topic", ""), "right": right})
    return out


def ranked_pairs(ctx: AppContext, q: str, k: int) -> list[tuple[str, str]]:
    """(ru, by) ELI paths of the first k pairs the pair view answers."""
    try:
        res = P.search_pairs(ctx, P.parse_request(ctx, q, limit=k))
    except S.SearchError:
        return []
    return [(p["ru"]["eli"], p["by"]["eli"]) for p in res["pairs"]]


def relevance(ctx: AppContext, judged: list[dict], k: int, misses: bool) -> None:
    rank_of = []
    groups: dict[str, list[int | None]] = defaultdict(list)
    for e in judged:
        got = ranked_pairs(ctx, e["q"], k)
        rank = next((i for i, pair in enumerate(got, 1) if pair in e["right"]), None)
        rank_of.append(rank)
        groups["kind " + e["kind"]].append(rank)
        groups["topic " + e["topic"]].append(rank)
        if misses and rank is None:
            want = " | ".join(f"{a} ↔ {b}" for a, b in sorted(e["right"]))
            print(f"  miss: {e['q']!r}\n        want {want}\n        got  " +
                  "\n             ".join(f"{a} ↔ {b}" for a, b in got))
    n = len(rank_of)
    hits = sum(r is not None for r in rank_of)
    print(f"pairs.toml: {n} statute-worded queries; right pair in the top {k}: {hits}/{n} = {hits / n:.1%} "
          f"(goal >= 95%); top 1: {sum(r == 1 for r in rank_of) / n:.1%}; "
          f"MRR@{k} {sum(1 / r for r in rank_of if r) / n:.3f}")
    for name in sorted(groups):
        rs = groups[name]
        print(f"  {name:<20} {sum(r is not None for r in rs):>3}/{len(rs):<3} "
              f"{sum(r is not None for r in rs) / len(rs):6.1%}")


def everyday(ctx: AppContext, k: int) -> None:
    """The everyday sets, where an entry expects articles on both sides."""
    idx = P.pair_index(ctx)
    base = ctx.settings.base_iri.rstrip("/")
    for path in EVERYDAY_SETS:
        if not path.exists():
            print(f"{path.name}: not present")
            continue
        entries = [e for e in load(path) if e.expected.get("ru") and e.expected.get("by")]
        for part in ("test", "dev"):
            es = [e for e in entries if e.part == part]
            if not es:
                continue
            hit = linked = linked_hit = 0
            for e in es:
                ru, by = set(e.expected["ru"]), set(e.expected["by"])
                ok = any(a in ru and b in by for a, b in ranked_pairs(ctx, e.q, k))
                hit += ok
                # whether a stored mapping links an expected RU article to an expected BY one at all
                if any(ln.other is not None and eli_of(top_unit_of(ln.other)) in by
                       for a in ru for ln in idx.by_article.get(f"{base}/{a}", ())):
                    linked += 1
                    linked_hit += ok
            print(f"{path.name} ({part}): {len(es)} queries with both sides judged; an expected pair in the "
                  f"top {k}: {hit}/{len(es)} = {hit / len(es):.1%}; of the {linked} whose expected articles a "
                  f"stored mapping links: {linked_hit}/{linked} = {linked_hit / max(1, linked):.1%}")


def latency(ctx: AppContext, queries: list[str]) -> None:
    store, backend, th, known = ctx.store, ctx.backend, ctx.thesaurus, ctx.known_filters()

    def plain(q: str) -> dict:
        return S.search(store, backend, S.Request(q=q, limit=10), ctx.aliases, th, known)

    def with_counterparts(q: str) -> None:
        res = plain(q)
        arts = tuple(dict.fromkeys(r["article"]["iri"] for r in res["results"]))
        P._counterparts(ctx, arts, True)            # afresh: not the per-page memo entry

    def pairs(q: str) -> None:
        P.search_pairs(ctx, P.parse_request(ctx, q, limit=10))

    modes = [("plain search", plain), ("search + counterparts", with_counterparts), ("pair view", pairs)]
    for q in queries:                               # warm postings, analysis, suggester rows: untimed
        for _, fn in modes:
            try:
                fn(q)
            except S.SearchError:
                pass
    backend.reload()                                # then forget every answer of the engine
    backend._queries.clear()
    S._PARSED.clear()
    idx = P.pair_index(ctx)                         # and every remembered suggestion (a query's
    idx.best.clear()                                # articles are suggested for afresh, unless an
    idx.anchors.clear()                             # earlier timed query met them, as in a server)
    wall: dict[str, list[float]] = {name: [] for name, _ in modes}
    for n, q in enumerate(queries):
        order = modes if n % 2 == 0 else modes[::-1]
        for name, fn in order:
            t = time.perf_counter()
            try:
                fn(q)
            except S.SearchError:
                pass
            wall[name].append(time.perf_counter() - t)
    # a second pass of the pair view alone: the suggestions the first pass made are remembered
    wall["pair view, suggestions remembered"] = []
    for q in queries:
        t = time.perf_counter()
        try:
            pairs(q)
        except S.SearchError:
            pass
        wall["pair view, suggestions remembered"].append(time.perf_counter() - t)
    modes.append(("pair view, suggestions remembered", pairs))
    base = pct(wall["plain search"], 50)
    print(f"latency, {len(queries)} queries, in process (wall time):")
    for name, _ in modes:
        print(f"  {name:<34} p50 {pct(wall[name], 50) * 1000:7.2f} ms   p95 {pct(wall[name], 95) * 1000:7.2f} ms   "
              f"p50 = {pct(wall[name], 50) / base:.2f} x plain search")
    print(f"pair view / plain search at p50: {pct(wall['pair view'], 50) / base:.2f} x (goal <= 2x); at p95: "
          f"{pct(wall['pair view'], 95) / pct(wall['plain search'], 95):.2f} x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="print each query whose pair is not in the top k")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    store = open_store(settings, read_only=True)
    backend = open_backend(settings, None)
    ctx = AppContext.build(settings, store, backend)
    t = time.perf_counter()
    ctx._warm_up()                                   # as `lexmap serve` does at start
    P.pair_index(ctx)
    print(f"warm-up (act list, suggester act pairs, mapping index): {time.perf_counter() - t:.1f} s")
    judged = load_pairs()
    relevance(ctx, judged, args.k, args.misses)
    everyday(ctx, args.k)
    if not args.skip_latency:
        queries = [e["q"] for e in judged] + [j.q for j in load(DEFAULT_SET)]
        latency(ctx, queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
