"""Check the colloquial lexicon (corpus/colloquial.toml) against the codes' own wording.

    .venv/bin/python bench/colloquial.py [--prune] [--show N]

Counts, with the index's own phrase query, how many articles in force hold each `typed` phrase
(ingest/index/colloquial.in_codes) and lists those in MAX_IN_CODES or more: the codes' wording,
which a rewrite must not touch. --prune removes them from the file (an entry left without a
typed phrase goes) and says what it removed. Exits 1 when such phrases remain (without --prune).
Queries are never read here.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.index import colloquial as C  # noqa: E402
from ingest.index.indexer import open_backend  # noqa: E402
from ingest.index.querylang import COLLOQUIAL_FILE  # noqa: E402


def prune(path: Path, drop: set[str]) -> tuple[int, int]:
    """Remove the `drop` phrases from the file's typed lists, and the entries left with none;
    the rest of the file (comments, order) stays. Returns (phrases removed, entries removed)."""
    blocks = re.split(r"(?m)^(?=\[\[colloquial\]\]\n)", path.read_text(encoding="utf-8"))
    out, phrases, gone = [], 0, 0
    for block in blocks:
        m = re.search(r"(?m)^typed = (\[.*\])$", block)
        if not block.startswith("[[colloquial]]") or m is None:
            out.append(block)
            continue
        typed = json.loads(m.group(1))
        kept = [t for t in typed if t not in drop]
        phrases += len(typed) - len(kept)
        if not kept:
            gone += 1
            # keep what follows the entry (a section comment) but not the entry itself
            tail = block.split("\n\n", 1)
            out.append(tail[1] if len(tail) > 1 else "")
            continue
        out.append(block[:m.start(1)] + json.dumps(kept, ensure_ascii=False) + block[m.end(1):])
    path.write_text("".join(out), encoding="utf-8")
    return phrases, gone


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prune", action="store_true", help="remove the phrases the codes hold from the file")
    ap.add_argument("--show", type=int, default=20, help="how many of the most frequent phrases to print")
    args = ap.parse_args()
    settings = load_settings()
    path = settings.thesaurus.with_name(COLLOQUIAL_FILE)
    backend = open_backend(settings)
    counts = C.in_codes(backend, path)
    wording = C.codes_wording(counts)
    n_entries = len(C.entries(path))
    print(f"{path}: {n_entries} entries, {len(counts)} typed phrases; "
          f"{len(wording)} held by >= {C.MAX_IN_CODES} articles in force, "
          f"{sum(1 for p in counts if p.articles)} by at least one")
    for p in counts[:args.show]:
        print(f"  {p.articles:5d}  {p.typed}  ->  {p.statute}")
    if args.prune and wording:
        phrases, gone = prune(path, {p.typed for p in wording})
        print(f"pruned: {phrases} phrases, {gone} entries left without one removed; "
              f"{len(C.entries(path))} entries remain")
        return 0
    return 1 if wording else 0


if __name__ == "__main__":
    sys.exit(main())
