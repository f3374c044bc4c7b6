"""Reference extraction benchmark (issue 16): quality on the judged set, coverage per act, cost.

    .venv/bin/python bench/references.py [--fold B] [--acts ru-gk-1,by-gk,...]

Reads the corpus sources (no store needed). Prints:

1. precision and recall on the judged references (tests/references/judged.tsv) of the held-out
   fold (B by default; fold A is the one the grammar was developed on and is shown apart),
   at article level (the cited article, or the cited act outside the corpus) and at the exact
   target (part, point, sub-point as the graph has them). Every judged provision is judged
   exhaustively, so a reference found where none is judged counts against precision;
2. per act redaction: references found, their kinds and the unresolved share, resolved as they
   are once every act is loaded (the other acts' numbering from their parsed sources, as the
   cross-act pass reads it from the store);
3. extraction time as a share of ingest prepare time (ingest.load.prepare: parse, triples,
   SHACL), both measured in this run on the same acts, interleaved.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.load import parse_source, prepare  # noqa: E402
from ingest.references import Numbering, Resolver, extract, find, names_for, references_ntriples  # noqa: E402
from ingest.references import resolver_for  # noqa: E402
from ingest.sources import load_manifest, read_source  # noqa: E402

JUDGED = ROOT / "tests" / "references" / "judged.tsv"


def load_judged(path: Path = JUDGED) -> list[dict]:
    """The judged rows: fold, act, date, provision, quote, expected (list of target keys)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("fold\t"):
            continue
        fold, act, date, prov, quote, expected = line.split("\t")
        targets = [] if expected == "unresolved" else expected.split(";")
        rows.append({"fold": fold, "act": act, "date": date, "provision": prov, "quote": quote, "expected": targets})
    return rows


def article_of(key: str) -> str:
    """'ru-gk-1:art_200__para_2' -> 'ru-gk-1:art_200'; external and whole-act keys unchanged."""
    if key.startswith(("external:", "act:")):
        return key
    act, _, eid = key.partition(":")
    return f"{act}:{eid.split('__', 1)[0]}"


def predicted_keys(ref, work_keys: dict[str, str]) -> list[str]:
    """The target keys of a resolved reference, in the judged set's notation."""
    if ref.targets:
        return [f"{work_keys[ref.target_work]}:{t}" for t in ref.targets]
    if ref.external:
        return ["external:" + (ref.external_number or ref.external)]
    if ref.target_work and not ref.spec:
        return [f"act:{work_keys[ref.target_work]}"]
    return []


def corpus(manifest, settings, keys: set[str] | None = None):
    """Parsed documents of every RU/BY redaction (or of `keys`), and every act's numbering
    (union of its redactions, as the store holds it)."""
    docs, numberings = {}, {}
    for act in manifest.acts:
        if act.jurisdiction not in ("ru", "by"):
            continue
        for expr in act.expressions:
            doc = parse_source(expr, read_source(manifest, expr, settings))
            if keys is None or act.key in keys:
                docs[(act.key, expr.date.isoformat())] = (act, expr, doc)
            union = numberings.setdefault(act.work.iri(settings.base_iri), Numbering())

            def visit(node, parent, union=union):
                union.add(node.eid, node.kind, node.num, node.label is not None, bool(node.text), parent)
                for child in node.children:
                    visit(child, node.eid)
            for top in doc.children:
                visit(top, None)
    return docs, {w: n.done() for w, n in numberings.items()}


def quality(rows: list[dict], docs, numberings, names, work_keys) -> dict:
    """Precision and recall at article and exact level over the judged rows."""
    counts = {lvl: Counter() for lvl in ("article", "exact")}
    by_prov: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        by_prov[(r["act"], r["date"], r["provision"])].append(r)
    for (act_key, date, eid), judged in by_prov.items():
        act, expr, doc = docs[(act_key, date)]
        node = next(p for p in doc.walk() if p.eid == eid)
        own = {**numberings, act.work.iri(names_base(names, act_key)): Numbering.of_document(doc)}
        resolver = Resolver(names, own)
        refs = [resolver.resolve(c, act_key, eid) for c in find(node.text, names, act.jurisdiction)]
        # where each judged quote is (successive occurrences for repeated quotes)
        spans, seen = [], Counter()
        for r in judged:
            start = -1
            for _ in range(seen[r["quote"]] + 1):
                start = node.text.find(r["quote"], start + 1)
            seen[r["quote"]] += 1
            if start < 0:
                raise SystemExit(f"judged quote not in the text of {act_key} {date} {eid}: {r['quote']!r}")
            spans.append((start, start + len(r["quote"])))
        used = set()
        for r, (s, e) in zip(judged, spans):
            hits = [i for i, ref in enumerate(refs) if ref.start < e and s < ref.end]
            used.update(hits)
            pred = [k for i in hits for k in predicted_keys(refs[i], work_keys)]
            for lvl, f in (("exact", lambda k: k), ("article", article_of)):
                p, x = set(map(f, pred)), set(map(f, r["expected"]))
                counts[lvl]["tp"] += len(p & x)
                counts[lvl]["fp"] += len(p - x)
                counts[lvl]["fn"] += len(x - p)
        for i, ref in enumerate(refs):
            if i not in used:      # found where nothing is judged: spurious
                keys = predicted_keys(ref, work_keys)
                counts["exact"]["fp"] += len(set(keys))
                counts["article"]["fp"] += len(set(map(article_of, keys)))
                counts["exact"]["spurious"] += 1
    out = {}
    for lvl, c in counts.items():
        prec = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        rec = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        out[lvl] = (prec, rec, c)
    return out


def names_base(names, key: str) -> str:
    """The base IRI the names were built with (read back from an act's work IRI)."""
    work = names.get(key).work
    return work.split("/eli/", 1)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fold", default="B", help="the held-out fold to report (B); the other is shown as development")
    ap.add_argument("--timing-acts", default="ru-gk-1,ru-gk-2,ru-tk,ru-upk,ru-zhk,by-gk,by-uk,by-koap",
                    help="acts whose ingest prepare time the extraction time is compared with")
    args = ap.parse_args()
    settings = load_settings()
    manifest = load_manifest(settings)
    names = names_for(manifest, settings.base_iri)
    work_keys = {a.work: a.key for a in names.acts}
    docs, numberings = corpus(manifest, settings)
    rows = load_judged()
    print(f"judged set: {len(rows)} references, {len({(r['act'], r['provision']) for r in rows})} provisions, "
          f"{len({r['act'] for r in rows})} acts")
    for fold in sorted({r["fold"] for r in rows}, key=lambda f: f != args.fold):
        sub = [r for r in rows if r["fold"] == fold]
        res = quality(sub, docs, numberings, names, work_keys)
        tag = "HELD OUT (reported)" if fold == args.fold else "development (tuned on; not a result)"
        print(f"\nfold {fold} — {tag}: {len(sub)} references")
        for lvl in ("article", "exact"):
            p, r, c = res[lvl]
            print(f"  {lvl:<8} precision {p:.3f}  recall {r:.3f}   (tp {c['tp']}, fp {c['fp']}, fn {c['fn']}"
                  + (f", spurious references {c['spurious']}" if c["spurious"] else "") + ")")
    print("\nper act redaction: references, kinds, unresolved share (external counted as unresolved)")
    total = Counter()
    for (key, date), (act, expr, doc) in sorted(docs.items()):
        own = {**numberings, act.work.iri(settings.base_iri): Numbering.of_document(doc)}
        refs = extract(doc, key, Resolver(names, own))
        kinds = Counter(r.kind for r in refs)
        unres = sum(1 for r in refs if not r.resolved)
        total.update(kinds)
        total["unresolved"] += unres
        share = unres / len(refs) if refs else 0.0
        print(f"  {key:<17} {date}  {len(refs):>5}  unresolved {share:6.1%}   "
              + " ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    n = sum(v for k, v in total.items() if k != "unresolved")
    print(f"  {'total':<28} {n:>5}  unresolved {total['unresolved'] / max(n, 1):6.1%}")
    print("\nextraction time vs ingest prepare (same acts, interleaved, 3 rounds, medians)")
    prep_t, ext_t = [], []
    for key in args.timing_acts.split(","):
        act = manifest.find(key)
        expr = act.latest
        p_runs, e_runs = [], []
        for _ in range(3):
            t = time.perf_counter()
            prepare(act, expr, manifest, settings)
            p_runs.append(time.perf_counter() - t)
            doc = parse_source(expr, read_source(manifest, expr, settings))
            t = time.perf_counter()
            references_ntriples(doc, act, expr, settings.base_iri, resolver_for(manifest, settings.base_iri, key, doc))
            e_runs.append(time.perf_counter() - t)
        p, e = sorted(p_runs)[1], sorted(e_runs)[1]
        prep_t.append(p)
        ext_t.append(e)
        print(f"  {key:<10} prepare {p:6.2f}s   extraction {e:6.3f}s   {e / p:6.1%}")
    print(f"  {'total':<10} prepare {sum(prep_t):6.2f}s   extraction {sum(ext_t):6.3f}s   "
          f"{sum(ext_t) / sum(prep_t):6.1%} (goal ≤ 10%)")


if __name__ == "__main__":
    main()
