"""Suggestion quality on the reviewed mapping sets, by cross-validation; calibration; coverage of
every code pair; with --reads, the speed of the mapping reads instead.

    .venv/bin/python bench/mappings.py [--folds 5] [--seed 7] [--fit [--write]] [--plot docs/reliability.png]
                                       [--fitter grid] [--misses]
    .venv/bin/python bench/mappings.py --coverage   # reviewed / suggested / none per code pair
    .venv/bin/python bench/mappings.py --reads      # store of LEXMAP_DATA_DIR (default var/)

Quality: for each reviewed set (corpus/mappings/*.sssom.tsv) whose acts are in the store, its
source articles (with a counterpart, or reviewed as having none) are split into folds by
article (seed 7; --seed draws other folds, to see how much a figure owes to the draw: on the same
code, anchored, seeds 7 / 8 / 9 put 815 / 814 / 816 of 858 right, 381 / 381 / 382 of 424 where titles
differ); fold k of every set is held out together, and on the other folds of all
sets only: the feature weights are fitted (--fitter) and the calibration (a logistic model
of P(counterpart), ingest/mappings/calibration.py) is fitted on their top-5 candidates. The
held-out fold is then ranked with anchors from the other folds ("anchored": a pair with
reviewed mappings) and with no anchors at all ("no anchors": a pair nobody has reviewed yet),
and its candidates' probabilities are scored. Prints top-1 / recall@5 per set, for pairs
whose titles are the same and for those whose titles differ, and the expected calibration
error (ECE) with the reliability table of the held-out probabilities; --plot draws the
reliability diagram (needs matplotlib: `pip install -e .[bench]`).
--fit fits weights and calibration on all sets (both conditions); --write ships them as
ingest/mappings/suggester_model.json, the file the suggester loads.
--ablate also scores the variants named in the README (context as a ranking weight, no sure pairs).
--fitter: how the feature weights are fitted on the training folds (and by --fit): "softmax"
(default) by maximum likelihood of the right counterpart among all the act's articles
(evaluate.fit_weights_softmax), every feature weighted as the data supports; "grid" searches
evaluate.WEIGHT_GRID for the most right top-1. They scored alike on the seven features before
block / opening / text_rel (0.934 both); the grid over ten features takes ~10x longer.
--misses prints, for each held-out anchored miss, the source article, its reviewed counterparts
and the chosen one, with the first 200 characters of each text.

--reads: for the act pair with the most mappings, times /mappings?source=, ?act=, ?provision=
and every export format as served (TestClient, the mapping table kept by the app context's
memo; the first request after a write shown apart), beside the reference measured in the same
run: the same selection by the mapping query (`MappingRepository.list`, what these routes
ran before the table).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402
from ingest.mappings import calibration as cal  # noqa: E402
from ingest.mappings.curated import MAPPINGS_DIR  # noqa: E402
from ingest.mappings.evaluate import (CONTEXT_GRID, TOP_K, Gold, anchor_counts, calibration_rows,  # noqa: E402
                                      evaluate, fit_weights_multi, fit_weights_softmax, gold_pairs, query_features,
                                      without_counterpart)
from ingest.mappings.sssom_tsv import parse  # noqa: E402
from ingest.mappings.suggest import FEATURES, PROPOSE_MIN_PROBABILITY, PairModel, Suggester  # noqa: E402
from ingest.store import open_store  # noqa: E402

CONDITIONS = ("anchored", "no anchors")


@dataclass
class SetData:
    """A reviewed set as the bench scores it."""

    name: str
    model: PairModel
    gold: Gold
    queries: list[str]              # gold queries and articles reviewed as having no counterpart
    folds: list[list[str]]
    unanchored: dict                # query -> features with no anchors (the same in every fold)


def load_sets(settings, sug: Suggester, n_folds: int, seed: int = 7) -> list[SetData]:
    """Every reviewed set whose acts are loaded, with its folds by source article (shuffled with `seed`)."""
    out = []
    for path in sorted(MAPPINGS_DIR.glob("*.sssom.tsv")):
        mset = parse(path.read_text(), str(path), settings.base_iri)
        src_work = str(mset.meta["subject_source"]).replace("https://lexmap.org", settings.base_iri)
        tgt_work = str(mset.meta["object_source"]).replace("https://lexmap.org", settings.base_iri)
        model = sug.pair(src_work, tgt_work)
        if not model.source.articles or not model.target.articles:
            print(f"{path.name}: acts not loaded, skipped")
            continue
        gold = gold_pairs(mset.mappings, model.source, model.target)
        queries = sorted(gold) + without_counterpart(mset.mappings, model.source, gold)
        random.Random(seed).shuffle(queries)
        folds = [queries[i::n_folds] for i in range(n_folds)]
        out.append(SetData(path.name.removesuffix(".sssom.tsv"), model, gold, queries, folds,
                           query_features(model, queries, {})))
    return out


def _features(s: SetData, queries: list[str], pool: Gold, condition: str) -> tuple[dict, dict]:
    if condition == "no anchors":
        return {q: s.unanchored[q] for q in queries}, {q: 0 for q in queries}
    return query_features(s.model, queries, pool), anchor_counts(s.model, queries, pool)


def _fit(parts: list, grid=None, fitter: str = "softmax") -> dict[str, float]:
    """Feature weights fitted on `parts` ((model, gold, features) per set): grid search, or softmax."""
    if fitter == "softmax":
        return fit_weights_softmax(parts)
    return fit_weights_multi(parts, grid)


def cross_validate(sets: list[SetData], n_folds: int, grid=None, quiet: bool = False,
                   fitter: str = "softmax") -> dict:
    """Held-out figures: per set and condition the EvalResults, and held-out (prob, label, first)."""
    results: dict = {(s.name, c): [] for s in sets for c in CONDITIONS}
    held = {c: ([], [], []) for c in CONDITIONS}
    sets_held = {c: {"single": [0, 0, 0], "multi": [0, 0, 0]} for c in CONDITIONS}
    for k in range(n_folds):
        train_sets, train_rows = [], []
        tests = []
        for s in sets:
            test = s.folds[k]
            train = [q for q in s.queries if q not in set(test)]
            pool = {q: s.gold[q] for q in train if q in s.gold}
            for c in CONDITIONS:
                feats, counts = _features(s, train, pool, c)
                train_sets.append((s, feats, counts))
                tests.append((s, c, *_features(s, test, pool, c)))
        w = _fit([(s.model, s.gold, f) for s, f, _ in train_sets], grid, fitter)
        rows, labels = [], []
        for s, f, counts in train_sets:
            x, y, _ = calibration_rows(s.model, s.gold, f, counts, w)
            rows.append(x)
            labels.append(y)
        calibrator = cal.fit(np.vstack(rows), np.concatenate(labels))
        for s, c, feats, counts in tests:
            results[(s.name, c)].append(evaluate(s.model, s.gold, feats, w))
            _count_sets(sets_held[c], s, feats, counts, w, calibrator)
            x, y, first = calibration_rows(s.model, s.gold, feats, counts, w)
            if len(y):
                held[c][0].append(calibrator.probabilities(x))
                held[c][1].append(y)
                held[c][2].append(first)
        if not quiet:
            print(f"  fold {k + 1}/{n_folds}: weights {w}", flush=True)
    return {"results": results, "sets": sets_held,
            "held": {c: tuple(np.concatenate(v) if v else np.zeros(0) for v in held[c]) for c in CONDITIONS}}


def _count_sets(tally: dict, s: SetData, feats: dict, counts: dict, w: dict, calibrator) -> None:
    """Many-to-many: the counterparts proposed for an article are its top candidate and every
    other of the top 5 whose calibrated probability reaches PROPOSE_MIN_PROBABILITY (as
    `Suggester.propose_set` does). Adds [right proposed, proposed, gold] per kind of article
    ("multi": two or more reviewed counterparts)."""
    wv = np.array([w[f] for f in FEATURES], dtype=np.float32)
    target = s.model.target.articles
    for q, fm in feats.items():
        gold = s.gold.get(q)
        if not gold:
            continue
        scores = fm @ wv
        top = np.argsort(-scores)[:TOP_K]
        probs = calibrator.probabilities(cal.candidate_rows(scores, fm, top, counts.get(q, 0)))
        got = {target[int(j)].iri for n, (j, p) in enumerate(zip(top, probs)) if n == 0 or p >= PROPOSE_MIN_PROBABILITY}
        t = tally["multi" if len(gold) > 1 else "single"]
        t[0] += len(got & gold)
        t[1] += len(got)
        t[2] += len(gold)


def _agg(rs: list) -> dict:
    a = {"n": 0, "top1": 0.0, "r5": 0.0, "same": [0, 0.0, 0.0], "diff": [0, 0.0, 0.0]}
    for r in rs:
        if not r.queries:
            continue
        a["n"] += r.queries
        a["top1"] += r.top1 * r.queries
        a["r5"] += r.recall5 * r.queries
        for key, part in (("same", r.same_title), ("diff", r.diff_title)):
            if part[0]:
                a[key][0] += part[0]
                a[key][1] += part[1] * part[0]
                a[key][2] += part[2] * part[0]
    return a


def _line(a: dict) -> str:
    d = lambda x, n: x / n if n else float("nan")  # noqa: E731
    return (f"{a['n']:>5} {d(a['top1'], a['n']):>6.3f} {d(a['r5'], a['n']):>6.3f} | {a['same'][0]:>10} "
            f"{d(a['same'][1], a['same'][0]):>6.3f} {d(a['same'][2], a['same'][0]):>6.3f} | "
            f"{a['diff'][0]:>10} {d(a['diff'][1], a['diff'][0]):>6.3f} {d(a['diff'][2], a['diff'][0]):>6.3f}")


def print_quality(sets: list[SetData], cv: dict) -> None:
    for c in CONDITIONS:
        print(f"\n{c}: held-out folds")
        print(f"{'set':<16} {'pairs':>5} {'top-1':>6} {'R@5':>6} | {'same title':>10} {'top-1':>6} {'R@5':>6} | "
              f"{'diff title':>10} {'top-1':>6} {'R@5':>6}")
        allr = []
        for s in sets:
            rs = cv["results"][(s.name, c)]
            allr += rs
            print(f"{s.name:<16} {_line(_agg(rs))}")
        print(f"{'all':<16} {_line(_agg(allr))}")


def print_sets(cv: dict) -> None:
    print("\nmany-to-many: counterparts proposed per article (top-1, and more where P >= "
          f"{PROPOSE_MIN_PROBABILITY}), held-out folds")
    for c in CONDITIONS:
        for kind, (right, proposed, gold) in cv["sets"][c].items():
            print(f"  {c:<11} {kind:<6} articles' counterparts {gold:>4}: precision {right / max(1, proposed):.3f}, "
                  f"recall {right / max(1, gold):.3f}")


def print_calibration(cv: dict) -> None:
    print("\ncalibration of the held-out probabilities (top-5 candidates of each held-out article)")
    for c in CONDITIONS:
        p, y, first = cv["held"][c]
        print(f"{c}: {len(p)} candidates, ECE {cal.expected_calibration_error(p, y):.4f}; "
              f"top-1 only: {int(first.sum())} candidates, ECE {cal.expected_calibration_error(p[first], y[first]):.4f}, "
              f"mean P {p[first].mean():.3f} vs right {y[first].mean():.3f}")
    p = np.concatenate([cv["held"][c][0] for c in CONDITIONS])
    y = np.concatenate([cv["held"][c][1] for c in CONDITIONS])
    print(f"both: ECE {cal.expected_calibration_error(p, y):.4f}\n{'bin':>11} {'count':>6} {'mean P':>7} {'right':>7}")
    for lo, hi, n, mp, fr in cal.reliability(p, y):
        print(f"{lo:.1f}–{hi:.1f} {n:>10} {mp:>7.3f} {fr:>7.3f}" if n else f"{lo:.1f}–{hi:.1f} {n:>10}")


def plot(cv: dict, path: Path) -> None:
    """The reliability diagram of the held-out probabilities, both conditions."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 5.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect calibration")
    for c, colour in zip(CONDITIONS, ("#1f5fa8", "#c0392b")):
        p, y, _ = cv["held"][c]
        pts = [(mp, fr, n) for _, _, n, mp, fr in cal.reliability(p, y) if n]
        ax.plot([x for x, _, _ in pts], [f for _, f, _ in pts], marker="o", color=colour,
                label=f"{c}: ECE {cal.expected_calibration_error(p, y):.3f} ({len(p)} candidates)")
    ax.set_xlabel("predicted probability (held-out folds)")
    ax.set_ylabel("share that are real counterparts")
    ax.set_title("Suggester calibration, 5-fold CV by article")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    print(f"reliability diagram: {path}")


def fit_all(sets: list[SetData], fitter: str = "softmax") -> cal.SuggesterModel:
    """Weights and calibration fitted on every reviewed pair (both conditions)."""
    parts = []
    for s in sets:
        pool = {q: s.gold[q] for q in s.queries if q in s.gold}
        for c in CONDITIONS:
            parts.append((s, *_features(s, s.queries, pool, c)))
    w = _fit([(s.model, s.gold, f) for s, f, _ in parts], fitter=fitter)
    xs, ys = zip(*[calibration_rows(s.model, s.gold, f, n, w)[:2] for s, f, n in parts])
    calibrator = cal.fit(np.vstack(xs), np.concatenate(ys))
    return cal.SuggesterModel(w, calibrator, {
        "made_by": "bench/mappings.py --fit --write" + (f" --fitter {fitter}" if fitter != "softmax" else ""),
        "date": date.today().isoformat(),
        "fitted_on": {s.name: len(s.queries) for s in sets}, "top_k": TOP_K})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7, help="the folds' shuffle (7: the figures in README.md)")
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--write", action="store_true", help="with --fit: write ingest/mappings/suggester_model.json")
    ap.add_argument("--plot", type=Path, help="write the reliability diagram (PNG) here")
    ap.add_argument("--ablate", action="store_true", help="also score without the context feature / sure pairs")
    ap.add_argument("--coverage", action="store_true", help="only the coverage per code pair")
    ap.add_argument("--reads", action="store_true", help="time the mapping lists and exports instead")
    ap.add_argument("--fitter", choices=("grid", "softmax"), default="softmax", help="how the weights are fitted")
    ap.add_argument("--misses", action="store_true", help="print the held-out anchored misses with their texts")
    args = ap.parse_args()
    if args.reads:
        return reads()
    settings = load_settings()
    store = open_store(settings, read_only=True)
    try:
        if args.coverage:
            return coverage(settings, store)
        sug = Suggester(store)
        t = time.perf_counter()
        sets = load_sets(settings, sug, args.folds, args.seed)
        print(f"{len(sets)} reviewed set(s), {sum(len(s.queries) for s in sets)} articles "
              f"({sum(len(s.gold) for s in sets)} with a counterpart); profiles {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        cv = cross_validate(sets, args.folds, fitter=args.fitter)
        print(f"cross-validation {time.perf_counter() - t:.1f} s")
        print_quality(sets, cv)
        print_sets(cv)
        print_calibration(cv)
        if args.plot:
            plot(cv, args.plot)
        misses = [f"{name}: {m}" for (name, c), rs in cv["results"].items() if c == "anchored" for r in rs
                  for m in r.misses]
        print(f"\nanchored misses ({len(misses)}):")
        for m in misses:
            print("  ", m)
        if args.misses:
            print_misses(sug, sets, cv)
        if args.ablate:
            ablate(sets, args.folds)
        if args.fit:
            model = fit_all(sets, args.fitter)
            print("\nfitted on all reviewed pairs:", model.weights)
            if args.write:
                model.save()
                print(f"written {cal.MODEL_FILE.relative_to(ROOT)}")
    finally:
        store.close()
    return 0


def print_misses(sug: Suggester, sets: list[SetData], cv: dict, chars: int = 200) -> None:
    """Each held-out anchored miss: the source, its reviewed counterparts and the chosen target,
    with their titles and the first `chars` characters of their texts (what told them apart?)."""
    for s in sets:
        texts = {a.iri: a for work in (s.model.source.work, s.model.target.work) for a in sug.articles.latest(work)}

        def show(role: str, work: str, eid: str) -> None:
            a = texts.get(f"{work}/{eid}")
            body = a.text[:chars].replace("\n", " / ") if a else "(not in force)"
            print(f"  {role:<6} {a.label if a else eid}. {a.title if a else ''}\n         {body}")

        for r in cv["results"][(s.name, "anchored")]:
            for m in r.misses:
                src, rest = m.split(" -> ", 1)
                got, gold = rest.split(" (gold ", 1)
                print(f"\n{s.name}")
                show("source", s.model.source.work, src)
                for g in gold.rstrip(")").split(", "):
                    show("gold", s.model.target.work, g)
                show("chosen", s.model.target.work, got)


def ablate(sets: list[SetData], n_folds: int) -> None:
    """Held-out figures of the variants: with the context feature as a ranking weight, without
    sure pairs, and the suggester as it was before both (no context, no sure pairs)."""
    variants = [("context as a ranking weight", CONTEXT_GRID, True), ("without sure pairs", None, False)]
    for label, grid, sure in variants:
        for s in sets:
            s.model.use_sure = sure
            s.unanchored = query_features(s.model, s.queries, {})
        cv = cross_validate(sets, n_folds, grid, quiet=True, fitter="grid" if grid else "softmax")
        print(f"\nablation: {label}")
        for c in CONDITIONS:
            a = _agg([r for (name, cc), rs in cv["results"].items() if cc == c for r in rs])
            print(f"  {c:<11} {_line(a)}   ECE {cal.expected_calibration_error(*cv['held'][c][:2]):.4f}")
    for s in sets:
        s.model.use_sure = True
        s.unanchored = query_features(s.model, s.queries, {})


def coverage(settings, store) -> int:
    """Reviewed / suggested / none per code pair (articles in force of the RU act)."""
    from ingest.mappings.proposals import coverage_table
    print(f"{'pair':<26} {'RU articles':>11} {'reviewed':>9} {'suggested':>10} {'none':>6} {'mean P':>7}")
    for row in coverage_table(store, settings):
        print(f"{row['pair']:<26} {row['articles']:>11} {row['reviewed']:>9} {row['suggested']:>10} {row['none']:>6} "
              f"{row['mean_probability']:>7.3f}")
    return 0


def _ms(f, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append((time.perf_counter() - t) * 1000)
    return sorted(out)


def _fmt(xs: list[float]) -> str:
    return f"p50 {xs[len(xs) // 2]:8.1f} ms  max {xs[-1]:8.1f} ms"


def reads() -> int:
    """Mapping lists and exports of the largest act pair: as served vs the mapping query."""
    from collections import Counter

    from fastapi.testclient import TestClient

    from api.app import create_app
    from ingest.identifiers import eli_of, work_of
    from ingest.mappings.repository import Filters, MappingRepository
    from ingest.mappings.model import NO_TERM_FOUND

    from dataclasses import replace

    settings = load_settings()
    # exports are rate-limited per client; the bench is one client asking many times
    app = create_app(replace(settings, limits=replace(settings.limits, rate_limit=10**9)))
    with TestClient(app) as c:
        ctx = app.state.ctx
        repo = MappingRepository(ctx.store, ctx.settings.base_iri)
        t = time.perf_counter()
        table = repo.table()
        print(f"mapping table read: {(time.perf_counter() - t) * 1000:.0f} ms ({len(table.mappings)} mappings)")
        pairs = Counter((work_of(m.subject), work_of(m.object)) for m in table.mappings
                        if m.object != NO_TERM_FOUND)
        (src, tgt), n = pairs.most_common(1)[0]
        s, o = eli_of(src), eli_of(tgt)
        prov = next(m.subject for m in table.mappings if work_of(m.subject) == src)
        print(f"largest pair: {s} -> {o} ({n} mappings)\n")
        cases = [(f"/mappings?source={s}&limit=1000", Filters(source_act=src)),
                 (f"/mappings?source={s}&target={o}&limit=1000", Filters(source_act=src, target_act=tgt)),
                 (f"/mappings?act={o}&limit=1000", Filters(act=tgt)),
                 (f"/mappings?provision={eli_of(prov)}", Filters(provision=prov))]
        cases += [(f"/mappings/export?format={fmt}&source_act={s}&target_act={o}", Filters(source_act=src, target_act=tgt))
                  for fmt in ("csv", "sssom", "ttl", "jsonld")]
        print(f"{'':72s} {'as served':>28s} | {'first after a write':>20s} | {'reference: mapping query':>28s}")
        for url, f in cases:
            ok = lambda: c.get(url).raise_for_status()  # noqa: E731
            after_write = _ms(lambda: (ctx.drop_memo(), ok()), 2)
            served = _ms(ok, 20)
            reference = _ms(lambda: repo.list(f), 2)
            print(f"{url[:72]:72s} {_fmt(served)} | {after_write[0]:17.1f} ms | {_fmt(reference)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
