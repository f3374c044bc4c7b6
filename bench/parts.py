"""Part- and point-level suggestions inside matched articles, on the judged set
tests/mappings/part_pairs.tsv (read from both texts; its `part` column splits it by article
into a development and a test half, fixed before anything was fitted).

    .venv/bin/python bench/parts.py            # figures with the shipped weights
    .venv/bin/python bench/parts.py --fit      # grid-search weights and threshold on "dev" only

For every judged source unit: right when the proposed target unit is the judged one (or when
none is proposed and the judges found none). Prints, per half: accuracy, precision (proposed
pairs that are right) and recall (judged pairs found), and the time per article pair. The
figures to quote are those of the test half with weights fitted on the dev half.
The store is that of LEXMAP_DATA_DIR (default var/).
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.mappings import parts  # noqa: E402
from ingest.mappings.suggest import Suggester  # noqa: E402
from ingest.identifiers import work_of  # noqa: E402
from ingest.store import open_store  # noqa: E402

JUDGED = ROOT / "tests" / "mappings" / "part_pairs.tsv"
GRID = {"text": (0.4, 0.6, 0.8), "position": (0.0, 0.1, 0.2, 0.35), "mutual": (0.0, 0.1, 0.2, 0.35),
        "level": (0.0, 0.05, 0.15)}
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.05, 0.5, 0.05))


def read_judged(path: Path = JUDGED) -> list[dict]:
    """The judged rows (comment lines skipped)."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def gold_by_pair(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """(ru article, by article) -> {"part": dev|test, "gold": {ru unit eId: set of by unit eIds (empty: none)}}."""
    out: dict = {}
    for r in rows:
        key = (r["ru_article"], r["by_article"])
        entry = out.setdefault(key, {"part": r["part"], "gold": {}})
        found = entry["gold"].setdefault(r["ru_part"], set())
        if r.get("by_part") and r.get("relation", "") != "none":
            found.add(r["by_part"])
    return out


def score(pairs: dict, data: dict, weights: dict[str, float], none_below: float, half: str) -> dict:
    """Accuracy, precision and recall of one half under `weights` and `none_below`."""
    n = right = proposed = proposed_right = judged = found = 0
    w = np.array([weights[f] for f in parts.FEATURES], dtype=np.float32)
    for key, entry in pairs.items():
        if entry["part"] != half or key not in data:
            continue
        src, tgt, feats = data[key]
        if feats is None:
            continue
        scores = feats @ w
        index = {u.eid: i for i, u in enumerate(src)}
        for eid, gold in entry["gold"].items():
            i = index.get(eid)
            if i is None:
                continue
            n += 1
            j = int(np.argmax(scores[i]))
            got = tgt[j].eid if feats[i, j, 0] >= none_below else None
            right += (got in gold) if gold else (got is None)
            judged += bool(gold)
            if got is not None:
                proposed += 1
                proposed_right += got in gold
                found += got in gold
    return {"units": n, "accuracy": right / n if n else float("nan"),
            "precision": proposed_right / proposed if proposed else float("nan"),
            "recall": found / judged if judged else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", action="store_true", help="grid-search weights and threshold on the dev half")
    args = ap.parse_args()
    settings = load_settings()
    store = open_store(settings)
    base = settings.base_iri
    pairs = gold_by_pair(read_judged())
    sug = Suggester(store, settings.bag_dir)
    data, times = {}, []
    for ru, by in pairs:
        s_iri, t_iri = f"{base}/{ru}", f"{base}/{by}"
        idf = parts.pair_idf(sug, work_of(s_iri), work_of(t_iri))
        t = time.perf_counter()
        src, tgt = parts.article_units(store, s_iri), parts.article_units(store, t_iri)
        feats = parts.feature_tensor(src, tgt, idf) if src and tgt else None
        times.append(time.perf_counter() - t)
        data[(ru, by)] = (src, tgt, feats)
    halves = {h: sum(len(e["gold"]) for e in pairs.values() if e["part"] == h) for h in ("dev", "test")}
    print(f"judged set: {len(pairs)} article pairs, {halves['dev']} dev units, {halves['test']} test units "
          f"({JUDGED.relative_to(ROOT)})")
    weights, none_below = parts.WEIGHTS, parts.NONE_BELOW
    if args.fit:
        best = None
        for combo in product(*(GRID[f] for f in parts.FEATURES)):
            w = dict(zip(parts.FEATURES, combo))
            for th in THRESHOLDS:
                r = score(pairs, data, w, th, "dev")
                key = (r["accuracy"], r["recall"])
                if best is None or key > best[0]:
                    best = (key, w, th)
        _, weights, none_below = best
        print(f"fitted on dev: weights {weights}, none below {none_below}")
    for half in ("dev", "test"):
        r = score(pairs, data, weights, none_below, half)
        print(f"{half:>4}: {r['units']} units  accuracy {r['accuracy']:.3f}  precision {r['precision']:.3f}  "
              f"recall {r['recall']:.3f}")
    print(f"units and features per article pair: median {np.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
