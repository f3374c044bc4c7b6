"""Parameter extraction benchmark (issue 20, item 2): quality on the judged set, speed over whole codes.

    .venv/bin/python bench/parameters.py [--part test|dev|all] [--acts ru-gk-1,by-koap] [--misses]

Reads the corpus sources (no store needed). Prints:

1. precision and recall on value + unit over the judged parameters (tests/parameters/judged.tsv)
   of the held-out part (test by default; dev is the part the extractor was tuned on), and the
   share of matched parameters whose kind (period, age, amount, count, share) is also right;
2. per act: articles, parameters found and how they split by kind and unit;
3. extraction speed over each whole act (characters per second, ms per article), against a
   reference measured in the same run on the same texts: splitting them into words with one
   regular expression (the least any extractor does), so the ratio is stable on a noisy machine.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.parameters import extract_parameters  # noqa: E402
from ingest.parameters.corpus import articles, jurisdiction_of  # noqa: E402
from ingest.parameters.evaluate import evaluate, load  # noqa: E402

GOAL = 0.95
_WORDS = re.compile(r"\w+")


def quality(part: str | None, show_misses: bool) -> None:
    """Precision, recall and kind accuracy on one part of the judged set."""
    rows = load()
    fig = evaluate(rows, part)
    name = part or "all"
    print(f"judged set, part {name}: {fig.articles} articles, {fig.judged} judged parameters, "
          f"{fig.found} found, {fig.matched} matched")
    print(f"  precision (value + unit) {fig.precision:.3f}   recall {fig.recall:.3f}   "
          f"kind right {fig.kind_accuracy:.3f}   goal {GOAL}")
    if show_misses:
        for article, what in fig.misses:
            print(f"  missed  {article}: {what}")
        for article, what in fig.extras:
            print(f"  extra   {article}: {what}")


def speed(acts: list[str], rounds: int = 3) -> None:
    """Extraction over whole acts, timed against splitting the same texts into words."""
    print(f"\n{'act':12} {'articles':>8} {'chars':>9} {'params':>7} {'ms/article':>10} {'Mchar/s':>8} "
          f"{'× words split':>13}  kinds")
    for act in acts:
        arts = articles(act)
        texts = [a.text for a in arts]
        jur = jurisdiction_of(act)
        chars = sum(len(t) for t in texts)
        for t in texts:                  # warm the analyzer's caches once, as a running service has them
            extract_parameters(t, jur)
        best, ref = float("inf"), float("inf")
        found: list = []
        for _ in range(rounds):          # interleaved: the reference sees the same machine load
            t0 = time.perf_counter()
            for t in texts:
                _WORDS.findall(t)
            ref = min(ref, time.perf_counter() - t0)
            t0 = time.perf_counter()
            found = [p for t in texts for p in extract_parameters(t, jur)]
            best = min(best, time.perf_counter() - t0)
        kinds = Counter(p.kind for p in found)
        units = Counter(p.unit for p in found)
        print(f"{act:12} {len(arts):8} {chars:9} {len(found):7} {1000 * best / max(1, len(arts)):10.2f} "
              f"{chars / best / 1e6:8.2f} {best / ref:13.1f}  "
              + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + " | "
              + ", ".join(f"{k} {n}" for k, n in units.most_common(6)))


def cold(act: str) -> None:
    """The first pass over an act, analyzer caches empty (a fresh process pays this once)."""
    from ingest.parameters import numbers
    numbers.lemmas.cache_clear()
    texts = [a.text for a in articles(act)]
    t0 = time.perf_counter()
    for t in texts:
        extract_parameters(t, jurisdiction_of(act))
    print(f"\ncold pass over {act} (word analyses not cached yet): {time.perf_counter() - t0:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="test", choices=["test", "dev", "all"])
    ap.add_argument("--acts", default="ru-gk-1,by-gk,ru-uk,by-koap")
    ap.add_argument("--misses", action="store_true", help="list what was missed and what was found beyond the judged")
    args = ap.parse_args()
    quality(None if args.part == "all" else args.part, args.misses)
    acts = [a for a in args.acts.split(",") if a]
    cold(acts[0])
    speed(acts)


if __name__ == "__main__":
    main()
