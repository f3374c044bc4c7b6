"""Draft-check benchmark (issue 20): real articles altered as a drafter would, checked as drafts.

    LEXMAP_DATA_DIR=/tmp/lexmap-bench/var .venv/bin/python bench/drafts.py [--n 60] [--runs 5]

Takes the articles with a reviewed counterpart (accepted mappings of corpus/mappings/*.tsv, both
directions: the RU article drafted in ru, the BY one in by), a deterministic sample of `--n`
among those that set a number, and alters each as a drafter would: every draft changes one number
(a period, amount, count or share the article sets: the value changes, the unit stays), and in
turn also drops its last sentence, adds a sentence, or rewords a few common words. Each is
submitted as a one-article draft through api.drafts (the same path as POST /drafts/check: a new
Checker per request over one app context and its memo, search included) and scored:

- counterpart first: the first counterpart the check ranks is a reviewed counterpart of the
  article (the suggester's ranking with the draft's text in the article's place; the article's
  own reviewed mapping is left out of the anchors, so this is not read off the reviewed set);
- counterpart in the top 3;
- amended provision found: the first own-jurisdiction provision is the article itself;
- number divergence: the altered number is among the divergences from the amended provision.

Speed: one-article drafts and a 10-article draft (ten of the altered articles of one jurisdiction)
after a warm-up, medians over `--runs`, beside a reference measured in the same run: a plain
search (api.search.search) for each article's title. Goals: first ≥ 0.9, divergence ≥ 0.95,
10 articles ≤ 2 s, one article ≤ 300 ms.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import draft_files, drafts  # noqa: E402
from api import search as search_service  # noqa: E402
from api.context import AppContext  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.identifiers import top_unit_of, work_of  # noqa: E402
from ingest.index.indexer import open_backend  # noqa: E402
from ingest.mappings.curated import MAPPINGS_DIR  # noqa: E402
from ingest.mappings.sssom_tsv import parse  # noqa: E402
from ingest.parameters import extract_parameters  # noqa: E402
from ingest.store import open_store  # noqa: E402

UNIT_WORDS = {"year": "лет", "month": "месяцев", "day": "дней", "working_day": "рабочих дней", "week": "недель",
              "hour": "часов", "percent": "процентов", "base_unit": "базовых величин", "rub": "рублей",
              "times": "раз", "person": "человек", "mrot": "минимальных размеров оплаты труда"}
ADDED = "Порядок применения настоящей статьи определяется законодательством."
REWORD = [("устанавливается", "определяется"), ("может", "вправе"), ("в течение", "на протяжении"),
          ("является", "признается"), ("осуществляется", "производится"), ("имеет право", "вправе")]


def reviewed_articles() -> dict[str, set[str]]:
    """Article IRI -> its reviewed counterparts (accepted, with a relation), both directions."""
    settings = load_settings()
    out: dict[str, set[str]] = {}
    for path in sorted(MAPPINGS_DIR.glob("*.sssom.tsv")):
        for m in parse(path.read_text(encoding="utf-8"), str(path), settings.base_iri).mappings:
            if m.no_counterpart or m.lifecycle != "accepted" or m.relation in (None, "not_related"):
                continue
            if top_unit_of(m.subject) != m.subject or top_unit_of(m.object) != m.object:
                continue
            out.setdefault(m.subject, set()).add(m.object)
            out.setdefault(m.object, set()).add(m.subject)
    return out


def alter(text: str, n: int) -> tuple[str, str | None, str]:
    """(altered text, the new number's words or None, what else was done)."""
    params = [p for p in extract_parameters(text) if p.kind in ("period", "amount", "count", "share")
              and p.unit in UNIT_WORDS]
    new_words = None
    if params:
        p = params[0]
        value = int(p.value * 2 + 3) if p.value >= 1 else 7
        new_words = f"{value} {UNIT_WORDS[p.unit]}"
        text = text[:p.start] + new_words + text[p.end:]
    kind = ("drop", "add", "reword", "number only")[n % 4]
    if kind == "drop":
        sentences = re.split(r"(?<=[.;])\s+(?=[А-ЯЁ0-9])", text)
        if len(sentences) > 2:
            last = sentences[-1]
            if not new_words or new_words not in last:
                text = text[: text.rfind(last)].rstrip()
    elif kind == "add":
        text = text.rstrip() + "\n" + ADDED
    elif kind == "reword":
        for old, new in REWORD:
            text = text.replace(old, new)
    return text, new_words, kind


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=60, help="articles to alter (half RU, half BY)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per speed figure")
    args = ap.parse_args()
    settings = load_settings()
    store = open_store(settings, read_only=True)
    ctx = AppContext.build(settings, store, open_backend(settings, settings.search_backend))
    reviewed = reviewed_articles()
    t0 = time.perf_counter()
    ck = drafts.checker_for(ctx)
    texts = {}
    for jur in ("ru", "by"):
        for w, _ in ck.mapped_works(jur):
            texts.update(ck.texts(w))
    print(f"articles with a reviewed counterpart: {len(reviewed)}; read their acts in {time.perf_counter() - t0:.1f} s")

    # a deterministic sample, half each jurisdiction, of articles that set a number
    pool: dict[str, list[str]] = {"ru": [], "by": []}
    for iri in sorted(reviewed, key=lambda x: hashlib.sha1(x.encode()).hexdigest()):
        a = texts.get(iri)
        if a is None or not a.text.strip():
            continue
        jur = ck.jurisdiction(work_of(iri))
        if jur in pool and len(pool[jur]) < args.n // 2 and alter(a.text, 0)[1]:
            pool[jur].append(iri)
    cases = []
    for jur, iris in pool.items():
        for n, iri in enumerate(iris):
            a = texts[iri]
            body, new, kind = alter(a.text, n)
            cases.append({"iri": iri, "jur": jur, "kind": kind, "new": new,
                          "draft": f"{a.label}. {a.title}\n{body}" if a.title else f"{a.label}\n{body}"})

    # warm-up: what the served app builds once per data version (spaces, definitions, numberings)
    t0 = time.perf_counter()
    for jur in ("ru", "by"):
        for w, targets in ck.mapped_works(jur):
            for t in targets:
                ck.space(w, t)
    ck.definitions()
    drafts.check(ck, draft_files.split_text(cases[0]["draft"]), cases[0]["jur"], budget=600)
    drafts.check(ck, draft_files.split_text(cases[-1]["draft"]), cases[-1]["jur"], budget=600)
    print(f"warm-up (first checks after start: act spaces, definitions): {time.perf_counter() - t0:.1f} s\n")

    first = top3 = own_found = div = with_number = 0
    by_kind: dict[str, list[int]] = {}
    misses = []
    one_times = []
    for c in cases:
        arts = draft_files.split_text(c["draft"])
        t = time.perf_counter()
        rep = drafts.check(drafts.checker_for(ctx), arts, c["jur"], budget=600)     # a new Checker per request
        one_times.append(time.perf_counter() - t)
        art = rep["articles"][0]
        cps = [x["iri"] for x in art["counterparts"]]
        ok = bool(cps) and cps[0] in reviewed[c["iri"]]
        first += ok
        top3 += any(x in reviewed[c["iri"]] for x in cps[:3])
        own_found += bool(art["own"]) and art["own"][0]["iri"] == c["iri"]
        by_kind.setdefault(c["kind"], []).append(int(ok))
        if not ok:
            misses.append((c["iri"], cps[:1], sorted(reviewed[c["iri"]])[:2]))
        if c["new"]:
            with_number += 1
            found = any(c["new"] in d["draft"]["quote"] or d["draft"]["quote"] in c["new"]
                        for d in (art["parameters"].get("own") or {}).get("divergent", []))
            div += found
            if not found:
                misses.append((c["iri"], "number", c["new"]))
    n = len(cases)
    print(f"drafts: {n} ({sum(1 for c in cases if c['jur'] == 'ru')} ru, {sum(1 for c in cases if c['jur'] == 'by')} by)")
    print(f"reviewed counterpart first:      {first / n:.3f}  ({first}/{n})   goal >= 0.9")
    print(f"reviewed counterpart in top 3:   {top3 / n:.3f}  ({top3}/{n})")
    print(f"amended article found first:     {own_found / n:.3f}  ({own_found}/{n})")
    print(f"altered number is a divergence:  {div / max(1, with_number):.3f}  ({div}/{with_number})   goal >= 0.95")
    print("first, by alteration:  " + ", ".join(f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(by_kind.items())))
    for m in misses[:12]:
        print("  miss:", m)

    # speed: one article, a 10-article draft, and the reference (plain search), same run
    ten = {j: "\n".join([c["draft"] for c in cases if c["jur"] == j][:10]) for j in ("ru", "by")}
    ten_times = {j: [] for j in ten}
    search_times = []
    reqs = [search_service.Request(q=texts[c["iri"]].title or "срок", jurisdiction=(c["jur"],), limit=10)
            for c in cases if texts[c["iri"]].title][:20]
    known = ctx.known_filters()
    for _ in range(args.runs):
        for j, text in ten.items():
            arts = draft_files.split_text(text)
            t = time.perf_counter()
            drafts.check(drafts.checker_for(ctx), arts, j, budget=600)
            ten_times[j].append(time.perf_counter() - t)
        for r in reqs:
            t = time.perf_counter()
            try:
                search_service.search(store, ctx.backend, r, ctx.aliases, ctx.thesaurus, known)
            except search_service.SearchError:
                pass
            search_times.append(time.perf_counter() - t)
    med = statistics.median
    print(f"\nspeed (medians; 2 cores shared):")
    print(f"  one-article draft:   {med(one_times) * 1000:.0f} ms (p90 {sorted(one_times)[int(0.9 * len(one_times))] * 1000:.0f} ms)"
          f"   goal <= 300 ms")
    for j, ts in ten_times.items():
        print(f"  10-article draft {j}: {med(ts):.2f} s   goal <= 2 s")
    print(f"  reference, plain search of a title: {med(search_times) * 1000:.1f} ms "
          f"(one-article check = {med(one_times) / med(search_times):.0f}x a search)")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
