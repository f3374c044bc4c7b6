"""Diff benchmark on the default corpus (needs `lexmap ingest` done):

    .venv/bin/python bench/diff.py

1. provision redline: p50/p95 over 1 000 real pairs — the curated RU/BY mapping pairs and
   the articles of the RU Civil Code part 1, RU and BY Labour Codes whose text changed
   between redactions (texts fetched first; only the redline is timed);
2. RU Civil Code part 1 vs BY Civil Code gap analysis, cold (first request after start:
   articles and suggestion profiles built, mappings read), warm (computed again with the
   profiles kept: the first request after a mapping write) and as served again (kept by the
   app context's memo until the next write);
3. the 2016 -> 2023 changes of RU Civil Code part 1 (with a redline of every changed article):
   computed (first and median of 3) and as served again (memo).

The store is that of LEXMAP_DATA_DIR (default var/).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import compare  # noqa: E402
from api.context import AppContext  # noqa: E402
from ingest.index.indexer import open_backend  # noqa: E402
from api.redline import redline  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.mappings.curated import MAPPINGS_DIR  # noqa: E402
from ingest.mappings.sssom_tsv import parse  # noqa: E402
from ingest.mappings.suggest import Suggester, _lemma  # noqa: E402
from ingest.store import open_store  # noqa: E402
from ingest.text import provision_texts  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def latest_expression(store, work: str, before: str | None = None) -> str:
    rows = store.select(f"SELECT ?e ?d WHERE {{ <{work}> eli:is_realized_by ?e . ?e eli:version_date ?d }}")
    rows = [r for r in rows if before is None or r["d"] < before]
    return max(rows, key=lambda r: r["d"])["e"]


def main() -> int:
    settings = load_settings()
    store = open_store(settings, read_only=True)
    base = settings.base_iri
    pairs: list[tuple[str, str]] = []
    texts: dict[str, dict[str, str]] = {}

    def text_of(work: str, expr: str, eids: set[str]) -> dict[str, str]:
        key = expr
        if key not in texts:
            all_eids = {r["e"] for r in store.select(f"""SELECT ?e WHERE {{ GRAPH <{expr}> {{
                ?p lexmap:eId ?e ; lexmap:subdivisionKind "article" }} }}""")}
            texts[key] = provision_texts(store, work, expr, all_eids)
        return texts[key]

    for path in sorted(MAPPINGS_DIR.glob("*.sssom.tsv")):
        mset = parse(path.read_text(), str(path), base)
        for m in mset.mappings:
            if m.no_counterpart:
                continue
            ws, wo = m.subject.rsplit("/", 1)[0], m.object.rsplit("/", 1)[0]
            a = text_of(ws, latest_expression(store, ws), set()).get(m.subject.rsplit("/", 1)[1])
            b = text_of(wo, latest_expression(store, wo), set()).get(m.object.rsplit("/", 1)[1])
            if a and b:
                pairs.append((a, b))
    for work in ("ru/kodeks/1994/51-fz", "ru/kodeks/2001/197-fz", "by/kodeks/1999/296-z", "by/kodeks/1998/218-z"):
        w = f"{base}/eli/{work}"
        new = latest_expression(store, w)
        old = latest_expression(store, w, before=new.rsplit("/", 2)[1])
        ta, tb = text_of(w, old, set()), text_of(w, new, set())
        pairs += [(ta[e], tb[e]) for e in ta if e in tb and ta[e] != tb[e]]
    pairs = pairs[:1000]
    times = []
    for a, b in pairs:
        t = time.perf_counter()
        redline(a, b)
        times.append((time.perf_counter() - t) * 1000)
    lengths = [len(a) + len(b) for a, b in pairs]
    print(f"1. provision redline, {len(pairs)} real pairs (median {statistics.median(lengths):.0f} chars per pair, "
          f"max {max(lengths)})")
    print(f"   p50 {pct(times, 50):6.2f} ms   p95 {pct(times, 95):6.2f} ms   max {max(times):6.1f} ms")

    left, right = f"{base}/eli/ru/kodeks/1994/51-fz", f"{base}/eli/by/kodeks/1998/218-z"
    sug = Suggester(store)     # a new suggester has an empty article shelf: a cold gap analysis
    t = time.perf_counter()
    result = compare.compare_acts(store, left, right, sug, base)
    cold = time.perf_counter() - t
    # cold again, as after a restart with the lemma bags kept on disk (the first run above wrote
    # none: no bag directory); the process-wide lemma cache emptied so nothing else is warm
    with tempfile.TemporaryDirectory() as bag_dir:
        Suggester(store, Path(bag_dir)).pair(left, right)          # writes the bags
        _lemma.cache_clear()
        t = time.perf_counter()
        compare.compare_acts(store, left, right, Suggester(store, Path(bag_dir)), base)
        cold_bags = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        compare.compare_acts(store, left, right, sug, base)
        warm.append(time.perf_counter() - t)
    s = result["summary"]
    ctx = AppContext.build(settings, store, open_backend(settings))
    ctx.suggester = sug
    key = (left, right)
    served = []
    for _ in range(5):
        t = time.perf_counter()
        ctx.memo("gap analysis", key, lambda: compare.compare_acts(store, left, right, sug, base, ctx.mappings.table()))
        served.append(time.perf_counter() - t)
    print(f"2. gap analysis RU Civil Code part 1 ({s['left_articles']} articles) vs BY Civil Code "
          f"({s['right_articles']}): cold {cold:.2f} s (lemma bags on disk: {cold_bags:.2f} s), warm {statistics.median(warm):.2f} s (computed again), "
          f"as served {statistics.median(served[1:]) * 1000:.1f} ms (memo; its first {served[0]:.2f} s)")
    print(f"   matched {s['matched']}, diverging {s['diverging']}, missing {s['missing']}, "
          f"{s['from_mappings']} pairs from mappings, {s['from_suggestions']} suggested, "
          f"{s['right_without_counterpart']} BY articles without counterpart")

    runs = []
    for _ in range(3):
        t = time.perf_counter()
        ch = compare.changes(store, settings, "eli/ru/kodeks/1994/51-fz", "2016-12-31", "2023-12-31")
        runs.append(time.perf_counter() - t)
    kept = []
    for _ in range(5):
        t = time.perf_counter()
        ctx.memo("changes", (left, "2016-12-31", "2023-12-31"),
                 lambda: compare.changes(store, settings, "eli/ru/kodeks/1994/51-fz", "2016-12-31", "2023-12-31"))
        kept.append(time.perf_counter() - t)
    print(f"3. changes RU Civil Code part 1, 2016-07-03 -> 2023-08-04: {statistics.median(runs):.2f} s "
          f"(first {runs[0]:.2f} s), as served again {statistics.median(kept[1:]) * 1000:.1f} ms (memo); "
          + ", ".join(f"{k} {v}" for k, v in ch["summary"].items()))
    ctx.backend.close()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
