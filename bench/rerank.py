"""Fit search's reranker (ingest/index/rerank.py) on the dev part of the everyday sets, with
k-fold cross-validation; prints the held-out figures beside search without the reranker.

    .venv/bin/python bench/rerank.py [--folds 5] [--l2 0.01] [--candidates 50] [--without F,G] [--write]

Every dev query (all kinds: statute-worded and everyday, so the model keeps the former) is
searched once per jurisdiction it is judged in, with the reranker off, and the features of its
candidates are collected (api/search.RERANK_SINK): the engine's blended articles and the
`--candidates` nearest in meaning (each article's counterparts as an app context weighs
them: api/pair_search.search_counterparts). A linear model is fitted by a listwise softmax
loss (the probability the model gives the accepted articles among the candidates; Adam, L2),
folds by a hash of the query text (both jurisdictions of a query in the same fold);
`--without` holds features at 0 (an ablation: their fitted weights stay 0). Printed: recall@10
and MRR per jurisdiction, everyday and statute-worded apart, for search as it is (no reranker) and
for the held-out folds; then the project's own queries.toml ranked by the model fitted on all
of dev (a check: it was not fitted on them). --write stores the model fitted on all of dev in
ingest/index/rerank_model.json (the test part is never read here: bench/search.py measures it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["LEXMAP_SEARCH_RERANK"] = "0"       # collect with the reranker off

from api import search as S  # noqa: E402
from api.context import AppContext  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.index import rerank as rr  # noqa: E402
from ingest.index.indexer import open_backend, sync  # noqa: E402
from ingest.index.querylang import Thesaurus  # noqa: E402
from ingest.index.relevance import EVERYDAY_KINDS, Judged, evaluate, load, load_everyday  # noqa: E402
from ingest.store import open_store  # noqa: E402


class Case:
    """One query in one jurisdiction: its candidates, their features, what search shows now."""

    def __init__(self, jq: Judged, jur: str, base: str, data: dict | None, sink: tuple | None):
        self.judged, self.q, self.jur, self.kind, self.own = jq, jq.q, jur, jq.kind, not jq.part
        self.group = "own" if self.own else ("everyday" if self.kind in EVERYDAY_KINDS else "statute")
        self.expected = jq.expected[jur]
        strip = lambda iri: iri[len(base):] if iri and iri.startswith(base) else iri  # noqa: E731
        results = data["results"] if data else []
        self.shown = [strip(r["article"]["iri"]) for r in results]
        self.cited = [strip(r["article"]["iri"]) for r in results if r["citation"]]
        self.cands = [strip(i) for i in sink[0]] if sink else []
        self.x = sink[1] if sink else np.zeros((0, len(rr.FEATURES)), np.float32)
        self.y = np.array([1.0 if a in self.expected else 0.0 for a in self.cands], np.float32)

    def ranked(self, w: np.ndarray | None) -> list[str]:
        """What search shows with weights `w` (None: as it is)."""
        if w is None or not self.cands:
            return self.shown
        order = np.argsort(-(self.x @ w), kind="stable")
        return list(dict.fromkeys(self.cited + [self.cands[i] for i in order if self.cands[i]]))


def collect(limit_candidates: int) -> list[Case]:
    settings = load_settings()
    store = open_store(settings)
    th = Thesaurus.load(settings.thesaurus)
    backend = open_backend(settings, "tantivy")
    sync(store, backend)
    # as the app: the reranker weighs the articles' counterparts (mappings and the suggester's best)
    ctx = AppContext.build(settings, store, backend)
    ctx.search_counterparts()
    known = S.known_values(store)
    base = settings.base_iri + "/"
    rr.CANDIDATES = limit_candidates
    cases = []
    for jq in load() + load_everyday("dev"):
        for jur in jq.expected:
            S.RERANK_SINK = []
            try:
                data = S.search(store, backend, S.Request(q=jq.q, jurisdiction=(jur,), limit=10), None, th, known,
                                ctx.search_counterparts)
            except S.SearchError:
                data = None
            cases.append(Case(jq, jur, base, data, S.RERANK_SINK[-1] if S.RERANK_SINK else None))
    S.RERANK_SINK = None
    store.close()
    return cases


def fit(cases: list[Case], l2: float, steps: int = 400, lr: float = 0.05) -> np.ndarray:
    """Weights minimising the mean listwise softmax loss -log P(an accepted article) + l2 |w|^2 / 2."""
    data = [(c.x, c.y) for c in cases if 0 < c.y.sum() < len(c.y)]
    d = len(rr.FEATURES)
    w, m, v = np.zeros(d), np.zeros(d), np.zeros(d)
    for t in range(1, steps + 1):
        g = l2 * w
        for x, y in data:
            s = x @ w
            e = np.exp(s - s.max())
            p, pr = e / e.sum(), e * y / (e * y).sum()
            g = g + x.T @ (p - pr) / len(data)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def figures(cases: list[Case], ranked: dict[int, list[str]]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(group, jurisdiction) -> (recall@10, MRR, queries), as ingest.index.relevance.evaluate counts them."""
    shown = {(c.group, c.q, c.jur): ranked[id(c)] for c in cases}
    groups: dict[str, dict[int, Judged]] = {}
    for c in cases:
        groups.setdefault(c.group, {})[id(c.judged)] = c.judged
    out = {}
    for g, judged in groups.items():
        scores = evaluate(lambda q, jur, g=g: shown[(g, q, jur)], list(judged.values()))
        out.update({(g, jur): (s.recall, s.mrr, s.queries) for jur, s in scores.items()})
    return out


def show(title: str, fig: dict) -> None:
    cells = "  ".join(f"{g} {j.upper()} {fig[(g, j)][0]:.3f}/{fig[(g, j)][1]:.3f}"
                      for g in ("everyday", "statute", "own") for j in ("ru", "by") if (g, j) in fig)
    print(f"{title:<34} {cells}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--candidates", type=int, default=50, help="nearest articles in meaning added")
    ap.add_argument("--depth", type=int, default=rr.DEPTH, help="the engine's blended articles reranked")
    ap.add_argument("--write", action="store_true", help=f"store the model fitted on all of dev in {rr.MODEL_PATH.name}")
    ap.add_argument("--without", default="", help="features left out (comma-separated names): held at 0")
    args = ap.parse_args()
    rr.DEPTH = args.depth
    cases = collect(args.candidates)
    unknown = [f for f in args.without.split(",") if f and f not in rr.FEATURES]
    if unknown:
        ap.error(f"--without: no feature {unknown[0]!r}; the features are {', '.join(rr.FEATURES)}")
    off = [rr.FEATURES.index(f) for f in args.without.split(",") if f]
    for c in cases:
        c.x[:, off] = 0.0
    dev = [c for c in cases if not c.own]
    own = [c for c in cases if c.own]
    fold = {c.q: int(hashlib.sha1(c.q.encode()).hexdigest(), 16) % args.folds for c in dev}
    print("recall@10 / MRR (dev part of the everyday sets; queries.toml as a check)")
    show("search without the reranker", figures(cases, {id(c): c.ranked(None) for c in cases}))
    held: dict[int, list[str]] = {}
    for k in range(args.folds):
        w = fit([c for c in dev if fold[c.q] != k], args.l2)
        for c in dev:
            if fold[c.q] == k:
                held[id(c)] = c.ranked(w)
    w = fit(dev, args.l2)
    for c in own:
        held[id(c)] = c.ranked(w)
    fig = figures(cases, held)
    show(f"reranked, {args.folds}-fold held out", fig)
    print("weights (all of dev): " + "  ".join(f"{f} {x:+.3f}" for f, x in zip(rr.FEATURES, w)))
    if args.write:
        rr.MODEL_PATH.write_text(json.dumps({
            "features": list(rr.FEATURES), "weights": [round(float(x), 4) for x in w],
            "candidates": args.candidates, "depth": args.depth, "l2": args.l2, "folds": args.folds,
            "fitted_on": f"dev part of {', '.join(p.name for p in (ROOT / 'tests' / 'relevance').glob('everyday_*.toml'))}: "
                         f"{len(dev)} query-jurisdiction pairs",
            "held_out": {f"{g} {j}": {"recall@10": round(r, 3), "mrr": round(m, 3), "n": n}
                         for (g, j), (r, m, n) in sorted(fig.items())},
        }, ensure_ascii=False, indent=1) + "\n")
        print(f"wrote {rr.MODEL_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
