"""Amendment effects and impact benchmark (issue 16, items 5–6): quality on the judged notes,
extraction cost against ingest, and GET /impact speed.

    .venv/bin/python bench/effects.py [--timing-acts ru-gk-1,by-gk] [--impact N] [--skip-impact] [--corpus]

Prints:

1. precision and recall on the judged notes (tests/effects/judged.tsv), per jurisdiction and in
   all, at two levels: "act" (kind, amending act number and date) and "exact" (and the affected
   provision's eId). Every judged holder is judged exhaustively: an effect read where none is
   judged counts against precision;
2. what the effects add to ingest prepare (ingest.load.prepare: parse, triples, references,
   effects, SHACL of all of them): prepare with the effects and without them (their writer
   replaced by one writing nothing), interleaved, 5 rounds, the fastest and the median of each;
   with --corpus, the whole corpus ingested into fresh stores with and without the effects, each
   twice in a process of its own: wall time (the fastest of each) and triples;
3. impact (api.impact.impact, depth 1–3) over the store of LEXMAP_DATA_DIR (use a copy: one
   process per store) for the N most-cited provisions, warm (the latest-graphs map and the
   accepted mappings built once, as the app keeps them), p50/p95/max in ms, beside the "cited
   by" query of GET /references?target= for the same provisions (the reference in this run).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.effects import corpus_acts, document_effects, effects_ntriples  # noqa: E402
from ingest.load import parse_source, prepare  # noqa: E402
from ingest.sources import load_manifest, read_source  # noqa: E402

JUDGED = ROOT / "tests" / "effects" / "judged.tsv"


def load_judged(path: Path = JUDGED) -> list[dict]:
    """The judged rows: act, redaction, holder, expected effects (a set of 'kind/eid/number/date')."""
    rows = []
    header = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        row = dict(zip(header, cells))
        exp = row["expected"].strip()
        row["expected"] = set() if exp == "none" else {x.strip() for x in exp.split(" ; ") if x.strip()}
        rows.append(row)
    return rows


def found_for(rows: list[dict], settings, manifest, notes: dict[int, str] | None = None) -> dict[int, set[str]]:
    """What the extraction reads for each judged holder, as 'kind/eid/number/date' keys; `notes`,
    when given, receives the holder's notes as the source has them today (to check the set)."""
    docs: dict[tuple[str, str], list] = {}
    texts: dict[tuple[str, str], tuple[list[str], dict[str, str]]] = {}
    out = {}
    for i, row in enumerate(rows):
        key = (row["act"], row["redaction"])
        if key not in docs:
            act = manifest.find(row["act"])
            expr = next(e for e in act.expressions if e.date.isoformat() == row["redaction"])
            doc = parse_source(expr, read_source(manifest, expr, settings))
            docs[key] = document_effects(doc, act.jurisdiction, act.number, act.adopted.isoformat())
            texts[key] = (doc.notes, {p.eid: " ".join(p.notes) for p in doc.walk() if p.notes})
        holder = row["holder"]
        if notes is not None:
            own, provs = texts[key]
            notes[i] = own[int(holder[1:])] if holder.startswith("@") and int(holder[1:]) < len(own) \
                else provs.get(holder, "")
        if holder.startswith("@"):
            effs = [e for e in docs[key] if e.holder == "" and e.note_index == int(holder[1:])]
        else:
            effs = [e for e in docs[key] if e.holder == holder]
        out[i] = {f"{e.effect.kind}/{e.eid}/{e.effect.act.number if e.effect.act else '-'}/"
                  f"{e.effect.act.date if e.effect.act else '-'}" for e in effs}
    return out


def _coarse(key: str) -> str:
    kind, _eid, number, date = key.split("/")
    return f"{kind}/{number}/{date}"


def scores(rows: list[dict], found: dict[int, set[str]]) -> dict[str, dict[str, Counter]]:
    """TP/FP/FN per jurisdiction ("ru", "by", "all") and level ("act", "exact")."""
    out: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for i, row in enumerate(rows):
        j = row["act"][:2]
        for level, f in (("exact", lambda s: s), ("act", lambda s: {_coarse(x) for x in s})):
            exp, got = f(row["expected"]), f(found[i])
            for scope in (j, "all"):
                out[scope][level]["tp"] += len(exp & got)
                out[scope][level]["fp"] += len(got - exp)
                out[scope][level]["fn"] += len(exp - got)
    return out


def quality(settings, manifest) -> None:
    rows = load_judged()
    found = found_for(rows, settings, manifest)
    notes = Counter(r["act"][:2] for r in rows)
    print(f"judged notes: {len(rows)} ({notes['ru']} RU, {notes['by']} BY), "
          f"{sum(len(r['expected']) for r in rows)} expected effects")
    res = scores(rows, found)
    for scope in ("ru", "by", "all"):
        for level in ("act", "exact"):
            c = res[scope][level]
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
            print(f"  {scope:<3} {level:<5} precision {p:6.3f}  recall {r:6.3f}   "
                  f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})")
    wrong = [(r, found[i]) for i, r in enumerate(rows) if found[i] != r["expected"]]
    for r, got in wrong:
        print(f"  differs: {r['act']} {r['redaction']} {r['holder']}: expected {sorted(r['expected'])}, "
              f"read {sorted(got)}")


def cost(settings, manifest, acts: list[str], rounds: int = 5) -> None:
    """What the effects add to ingest prepare: prepare with them and without them (the effects
    writer replaced by one writing nothing), interleaved, 3 rounds, medians; the difference is
    the extraction plus the SHACL validation and N-Triples of the extra triples."""
    import ingest.load as load
    print("\neffects' cost in ingest prepare (parse, triples, references, effects, SHACL): with vs without, "
          f"same acts, interleaved, {rounds} rounds, fastest (and median)")
    with_t, without_t = [], []
    real = load.effects_ntriples
    for key in acts:
        act = manifest.find(key)
        for expr in act.expressions:
            runs: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(rounds):
                for on in (True, False):
                    load.effects_ntriples = real if on else (lambda *a, **k: "")
                    try:
                        t = time.perf_counter()
                        rep = prepare(act, expr, manifest, settings).report
                        runs[on].append(time.perf_counter() - t)
                    finally:
                        load.effects_ntriples = real
                    assert rep.status == "pending", (key, rep.status, [str(p) for p in rep.errors[:3]])
            # the fastest of the rounds: the machine is shared, and noise only ever adds time
            w, wo = min(runs[True]), min(runs[False])
            wm, wom = statistics.median(runs[True]), statistics.median(runs[False])
            with_t.append((w, wm))
            without_t.append((wo, wom))
            print(f"  {key:<10} {expr.date}  without {wo:6.2f}s   with {w:6.2f}s   added {(w - wo) / wo:+6.1%}"
                  f"   (medians {wom:.2f}s / {wm:.2f}s: {(wm - wom) / wom:+.1%})")
    w, wo = sum(x for x, _ in with_t), sum(x for x, _ in without_t)
    wm, wom = sum(x for _, x in with_t), sum(x for _, x in without_t)
    print(f"  {'total':<21} without {wo:6.2f}s   with {w:6.2f}s   added {(w - wo) / wo:+6.1%} (goal ≤ 10%)"
          f"   (medians: {(wm - wom) / wom:+.1%})")
    corpus = corpus_acts(manifest, settings.base_iri)
    t_ext = []
    for key in acts:
        act = manifest.find(key)
        for expr in act.expressions:
            doc = parse_source(expr, read_source(manifest, expr, settings))
            t = time.perf_counter()
            effects_ntriples(doc, act, expr, settings.base_iri, corpus)
            t_ext.append(time.perf_counter() - t)
    print(f"  extraction alone (notes read, placed, written): {sum(t_ext) * 1000:.0f} ms for these redactions")


def corpus_ingest(workers: int) -> None:
    """The whole default corpus ingested into fresh stores with and without the effects, each in
    a process of its own (as bench/ingest.py runs its modes): wall time and triples."""
    import json
    import subprocess
    print(f"\nwhole-corpus ingest into fresh stores, with and without effects ({workers} worker(s))")
    res = {}
    for mode in ("without", "with", "without", "with"):
        out = subprocess.run([sys.executable, __file__, "--_ingest-once", mode, "--workers", str(workers)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        res.setdefault(mode, []).append(r)
        print(f"  {mode:<8} wall {r['wall']:6.1f} s   prepare (summed) {r['prepare']:6.1f} s   "
              f"load {r['load']:5.1f} s   triples {r['triples']}")
    w = min(r["wall"] for r in res["with"])
    wo = min(r["wall"] for r in res["without"])
    tw, two = res["with"][0]["triples"], res["without"][0]["triples"]
    print(f"  added by effects: wall {(w - wo) / wo:+.1%} (fastest of two each; goal ≤ 10%), "
          f"triples {(tw - two) / two:+.1%} ({tw - two})")


def _ingest_once(mode: str, workers: int) -> None:
    import json
    import tempfile
    from dataclasses import replace

    import ingest.load as load
    from ingest.store import open_store
    if mode == "without":
        load.effects_ntriples = lambda *a, **k: ""      # the worker processes are forked: they see it
    settings = load_settings()
    manifest = load_manifest(settings)
    with tempfile.TemporaryDirectory(prefix="lexmap-bench-effects-") as tmp:
        s = replace(settings, data_dir=Path(tmp))
        store = open_store(s)
        t = time.perf_counter()
        reports = load.ingest(store, manifest, s, manifest.acts, workers=workers, progress=lambda m: None)
        wall = time.perf_counter() - t
        store.close()
    prep = sum(v for r in reports for k, v in r.seconds.items() if k != "load")
    print(json.dumps({"wall": wall, "prepare": prep, "load": sum(r.seconds.get("load", 0) for r in reports),
                      "triples": sum(r.triples for r in reports),
                      "failed": [r.key for r in reports if r.status == "failed"]}))


def impact_speed(settings, n: int) -> None:
    from api import impact, mappings as mapping_service, references
    from ingest.store import open_store
    print(f"\nimpact over the store at {settings.data_dir} (warm indexes), {n} most-cited provisions")
    store = open_store(settings, read_only=True)
    try:
        t = time.perf_counter()
        graphs = impact.latest_graphs(store)
        accepted = impact.accepted_counterparts(
            mapping_service.Context(store, settings.base_iri, {}, lambda kind, key, build: build()).table())
        print(f"  indexes (latest graphs, accepted mappings) built once: {(time.perf_counter() - t) * 1000:.0f} ms")
        # the most cited articles of the latest redactions: what a drafter would ask about first
        provisions = _most_cited(store, graphs, n)
        ref_ms = []
        for p in provisions:
            path = "eli/" + p.split("/eli/", 1)[1]
            t = time.perf_counter()
            references.incoming(store, settings, path)
            ref_ms.append((time.perf_counter() - t) * 1000)
        for depth in (1, 2, 3):
            ms, sizes = [], []
            for p in provisions:
                t = time.perf_counter()
                res = impact.impact(store, p, depth, graphs, accepted)
                ms.append((time.perf_counter() - t) * 1000)
                sizes.append(res["total"])
            print(f"  depth {depth}: p50 {statistics.median(ms):7.1f} ms  p95 {_p95(ms):7.1f} ms  max {max(ms):7.1f} ms"
                  f"   provisions found: median {statistics.median(sizes):.0f}, max {max(sizes)}"
                  + ("   (goal ≤ 200 ms)" if depth == 3 else ""))
        print(f"  reference, 'cited by' (GET /references?target=) same provisions: p50 "
              f"{statistics.median(ref_ms):7.1f} ms  p95 {_p95(ref_ms):7.1f} ms")
    finally:
        store.close()


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def _most_cited(store, graphs: dict[str, str], n: int) -> list[str]:
    from api import impact
    from ingest.identifiers import top_unit_of
    from ingest.query import catalog as q
    counts: Counter = Counter()
    # citers of each act's articles, via the impact service's own step on a sample of articles
    arts = []
    for act in sorted(set(graphs.values())):
        arts += [f"{act}/{r['eid']}" for r in q.select(store, "act_numbered_units", work=act)
                 if r["eid"].startswith("art_") and "__" not in r["eid"]]
    step = max(1, len(arts) // (n * 8))
    sample = arts[::step]
    for i in range(0, len(sample), 200):
        chunk = sample[i:i + 200]
        for x, _t, _p, _q in impact.citers(store, chunk, graphs):
            counts[top_unit_of(x)] += 1
    return [a for a, _ in counts.most_common(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--timing-acts", default="ru-gk-1,by-gk",
                    help="acts whose ingest prepare time the extraction time is compared with")
    ap.add_argument("--impact", type=int, default=30, help="provisions timed for impact (default 30)")
    ap.add_argument("--skip-impact", action="store_true", help="no store needed: quality and cost only")
    ap.add_argument("--corpus", action="store_true",
                    help="also ingest the whole corpus into fresh stores with and without effects (minutes)")
    ap.add_argument("--workers", type=int, default=2, help="ingest workers for --corpus (default 2)")
    ap.add_argument("--_ingest-once", dest="ingest_once", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ingest_once:
        _ingest_once(args.ingest_once, args.workers)
        return
    settings = load_settings()
    manifest = load_manifest(settings)
    quality(settings, manifest)
    cost(settings, manifest, args.timing_acts.split(","))
    if args.corpus:
        corpus_ingest(args.workers)
    if not args.skip_impact:
        impact_speed(settings, args.impact)


if __name__ == "__main__":
    main()
