"""Learn the acronyms table of search (ingest/index/acronyms.py) from the codes' own texts.

    .venv/bin/python bench/acronyms.py [--write] [--show KEY,KEY]

Keys: the words navec's vocabulary holds that look like abbreviations (acronyms.is_abbreviation)
and that the search index does not hold, except the words of the acts' short titles in the
manifest (ГК, ТК, УПК, КоАП, РФ …: they name acts, which the citations resolve; navec, trained on
news, would read "ГК" as "государственная компания"). Candidates: the runs of the articles in force whose
initials spell a key (acronyms.build). Choice: the candidate nearest the key in meaning
(acronyms.choose). Prints how many keys, candidates and choices there are and the table;
--write stores it in ingest/index/acronyms.json. Queries are never read here.

Search serves only the entries judged "yes" in ingest/index/acronyms_review.tsv (acronyms.table()),
so the run ends with how many of the table's (acronym, expansion) pairs are judged yes, no and not
yet, and lists the unjudged ones: after regenerating, a maintainer judges those (adds rows to the
review) before they are served. --check reports that for the stored acronyms.json without learning.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.index import acronyms as A  # noqa: E402
from ingest.index import semantic  # noqa: E402
from ingest.index.analysis import fold, terms_of, words_of  # noqa: E402
from ingest.index.indexer import open_backend  # noqa: E402
from ingest.sources import load_manifest  # noqa: E402
from ingest.store import open_store  # noqa: E402
from ingest.index.indexer import sync  # noqa: E402


def report_review(chosen: dict[str, str]) -> None:
    """Print how many of the table's pairs acronyms_review.tsv judges yes / no / not yet, and the unjudged."""
    judged = A.verdicts()
    by: dict[str, list[str]] = {"yes": [], "no": [], "unjudged": []}
    for k, run in sorted(chosen.items()):
        v = judged.get((k, run))          # a pair regenerated with another expansion is unjudged
        by[v if v in ("yes", "no") else "unjudged"].append(k)
    print(f"review ({A.REVIEW_PATH.name}): {len(by['yes'])} yes (served), {len(by['no'])} no, "
          f"{len(by['unjudged'])} not yet judged (not served)")
    for k in by["unjudged"]:
        print(f"  unjudged {k:<8} {chosen[k]}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help=f"store the table in {A.ACRONYMS_PATH.name}")
    ap.add_argument("--show", default="", help="print the candidates of these keys")
    ap.add_argument("--check", action="store_true", help=f"only report the review of the stored {A.ACRONYMS_PATH.name}")
    args = ap.parse_args()
    if args.check:
        report_review(A.learned())
        return 0
    settings = load_settings()
    store = open_store(settings)
    backend = open_backend(settings, "tantivy")
    sync(store, backend)
    store.close()
    t = time.perf_counter()
    nv = semantic.navec()
    if nv is None:
        print("natasha's word vectors are not installed")
        return 1
    acts = {fold(w) for act in load_manifest(settings).acts for _, w in words_of(act.short)}
    keys = {w for w in nv.vocab.words
            if A.is_abbreviation(w) and w not in acts and not any(backend.doc_freq(x) for x in terms_of(w))}
    docs = semantic.in_force_articles(backend)
    texts = (x for d in docs for x in (d.get("title") or "", d.get("text") or ""))
    cands = A.build(texts, keys)
    lex = semantic._lexicon()
    chosen = {k: run for k in sorted(cands) if (run := A.choose(k, cands[k], lex.vector)) is not None}
    print(f"{len(keys)} keys, {len(cands)} with candidates, {len(chosen)} chosen, "
          f"{time.perf_counter() - t:.1f} s over {len(docs)} articles")
    for k in [k for k in args.show.split(",") if k]:
        print(f"  {k}: {cands.get(k, [])[:A.CANDIDATES]} -> {chosen.get(k)}")
    for k, run in chosen.items():
        print(f"  {k:<8} {run}")
    if args.write:
        A.ACRONYMS_PATH.write_text(json.dumps({
            "about": "acronym -> the words of the codes it stands for; learned by bench/acronyms.py from the "
                     "articles in force (initials) and navec's word vectors (meaning), never from queries",
            "acronyms": chosen}, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        print(f"wrote {A.ACRONYMS_PATH.relative_to(ROOT)}")
    report_review(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
