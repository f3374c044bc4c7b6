"""Suggestion quality on the curated mapping sets, by cross-validation.

    .venv/bin/python bench/mappings.py [--folds 5] [--fit]

For each curated set (corpus/mappings/*.sssom.tsv) whose acts are in the store:
the source articles with a real counterpart are split into folds (seed 7); for
each fold the weights are fitted on the other folds only (grid search, anchors
= the other folds' mappings, each query's own excluded) and the fold is scored
with anchors from the other folds. Prints top-1 accuracy and recall@5 overall,
for pairs whose article titles are identical and for those whose titles differ.
--fit also prints the weights fitted on all pairs (the shipped defaults).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.mappings.curated import MAPPINGS_DIR  # noqa: E402
from ingest.mappings.evaluate import (evaluate, fit_weights, fit_weights_multi, gold_pairs,  # noqa: E402
                                      query_features)
from ingest.mappings.sssom_tsv import parse  # noqa: E402
from ingest.mappings.suggest import DEFAULT_WEIGHTS, PairModel, Suggester  # noqa: E402
from ingest.store import open_store  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    store = open_store(settings, read_only=True)
    sug = Suggester(store)
    totals = {"n": 0, "top1": 0.0, "r5": 0.0, "same": [0, 0.0, 0.0], "diff": [0, 0.0, 0.0]}
    print(f"{'set':<16} {'pairs':>5} {'top-1':>6} {'R@5':>6} | {'same title':>10} {'top-1':>6} {'R@5':>6} | "
          f"{'diff title':>10} {'top-1':>6} {'R@5':>6}")
    all_misses = []
    fitted = []
    for path in sorted(MAPPINGS_DIR.glob("*.sssom.tsv")):
        mset = parse(path.read_text(), str(path), settings.base_iri)
        src_work = str(mset.meta["subject_source"]).replace("https://lexmap.org", settings.base_iri)
        tgt_work = str(mset.meta["object_source"]).replace("https://lexmap.org", settings.base_iri)
        t = time.perf_counter()
        model: PairModel = sug.pair(src_work, tgt_work)
        gold = gold_pairs(mset.mappings, model.source, model.target)
        queries = sorted(gold)
        random.Random(7).shuffle(queries)
        folds = [queries[i::args.folds] for i in range(args.folds)]
        agg = {"n": 0, "top1": 0.0, "r5": 0.0, "same": [0, 0.0, 0.0], "diff": [0, 0.0, 0.0]}
        for k, test in enumerate(folds):
            train = [q for q in queries if q not in set(test)]
            pool = {q: gold[q] for q in train}
            w = fit_weights(model, gold, query_features(model, train, pool))
            r = evaluate(model, gold, query_features(model, test, pool), w)
            all_misses += [f"{path.name}: {m}" for m in r.misses]
            for a in (agg, totals):
                a["n"] += r.queries
                a["top1"] += r.top1 * r.queries
                a["r5"] += r.recall5 * r.queries
                for key, part in (("same", r.same_title), ("diff", r.diff_title)):
                    if part[0]:
                        a[key][0] += part[0]
                        a[key][1] += part[1] * part[0]
                        a[key][2] += part[2] * part[0]
        line = lambda a: (f"{a['n']:>5} {a['top1'] / a['n']:>6.3f} {a['r5'] / a['n']:>6.3f} | {a['same'][0]:>10} "  # noqa: E731
                          f"{a['same'][1] / max(1, a['same'][0]):>6.3f} {a['same'][2] / max(1, a['same'][0]):>6.3f} | "
                          f"{a['diff'][0]:>10} {a['diff'][1] / max(1, a['diff'][0]):>6.3f} "
                          f"{a['diff'][2] / max(1, a['diff'][0]):>6.3f}")
        print(f"{path.name.removesuffix('.sssom.tsv'):<16} {line(agg)}   ({time.perf_counter() - t:.1f} s)")
        if args.fit:
            fitted.append((model, gold, query_features(model, queries, gold)))
    print(f"{'all':<16} {line(totals)}")
    if args.fit:
        print("weights fitted on all pairs of all sets (ship these as DEFAULT_WEIGHTS):", fit_weights_multi(fitted))
    print(f"\n{args.folds}-fold cross-validation; weights fitted on the training folds only; default weights {DEFAULT_WEIGHTS}")
    print(f"misses ({len(all_misses)}):")
    for m in all_misses:
        print("  ", m)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
