"""How good the suggester is on curated mappings, and the weights that make it so.

The curated sets give the gold pairs (source article -> its counterparts with a
real relation). A query's features are computed with anchors from a pool of
gold pairs minus the query itself, so a fold scored here never sees its own
answers; `fit_weights` grid-searches the feature weights on training folds and
`evaluate` scores top-1 and recall@5 on the held-out ones, separately for pairs
whose titles are the same and pairs whose titles differ. bench/mappings.py runs
the cross-validation; the suggester at run time (ingest.mappings.suggest) only
reads the shipped DEFAULT_WEIGHTS.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from ..index.analysis import fold
from .model import Mapping
from .suggest import DEFAULT_WEIGHTS, FEATURES, ActProfile, PairModel

# The grid `fit_weights` searches, one tuple of values per feature.
WEIGHT_GRID = {"text": (0.3, 0.45, 0.6), "title": (0.1, 0.25, 0.4), "position": (0.0, 0.1, 0.2, 0.35, 0.5),
               "chapter": (0.0, 0.05, 0.15), "defined": (0.0, 0.05)}

Gold = dict[str, set[str]]               # source article IRI -> its counterparts' IRIs
Features = dict[str, np.ndarray]         # query IRI -> its feature matrix (targets x FEATURES)


@dataclass
class EvalResult:
    """Top-1 and recall@5 of a set of queries, overall and split by same / different titles.

    `same_title` and `diff_title` are (queries, top-1, recall@5); `misses` one line per
    query whose best candidate is not a gold counterpart."""

    queries: int
    top1: float
    recall5: float
    same_title: tuple[int, float, float]
    diff_title: tuple[int, float, float]
    misses: list[str]


def gold_pairs(mappings: list[Mapping], source: ActProfile, target: ActProfile) -> Gold:
    """Source article -> its counterparts among curated mappings with a real relation."""
    gold: Gold = {}
    for m in mappings:
        if m.relation in (None, "not_related") or m.lifecycle == "rejected":
            continue
        if m.subject in source.by_iri and m.object in target.by_iri:
            gold.setdefault(m.subject, set()).add(m.object)
    return gold


def query_features(model: PairModel, queries: list[str], anchor_pool: Gold) -> Features:
    """Feature matrices of the queries, anchors from `anchor_pool` minus the query itself."""
    pairs = [(s, o) for s, objs in anchor_pool.items() for o in objs]
    return {q: model.features(model.source.by_iri[q], model.anchors_from(pairs, exclude=q)) for q in queries}


def _rate(hits: float, n: int) -> float:
    return hits / n if n else float("nan")


def _miss(eid: str, got: str, gold: set[str]) -> str:
    return f"{eid} -> {got.rsplit('/', 1)[-1]} (gold {', '.join(sorted(x.rsplit('/', 1)[-1] for x in gold))})"


def evaluate(model: PairModel, gold: Gold, feats: Features, weights: dict[str, float]) -> EvalResult:
    """Top-1 and recall@5 of the queries whose features are given."""
    w = np.array([weights[f] for f in FEATURES], dtype=np.float32)
    # [queries, top-1 hits, recall@5 hits] for same-title (True) and different-title (False) pairs
    stats = {True: [0, 0, 0], False: [0, 0, 0]}
    misses = []
    target = model.target.articles
    for q, fm in feats.items():
        src = model.source.by_iri[q]
        top = np.argsort(-(fm @ w))[:5]
        got = [target[int(j)].iri for j in top]
        same = any(fold(model.target.by_iri[o].title) == fold(src.title) for o in gold[q])
        st = stats[same]
        st[0] += 1
        st[1] += got[0] in gold[q]
        st[2] += bool(set(got) & gold[q])
        if got[0] not in gold[q]:
            misses.append(_miss(src.eid, got[0], gold[q]))
    n = stats[True][0] + stats[False][0]
    return EvalResult(
        queries=n, top1=_rate(stats[True][1] + stats[False][1], n), recall5=_rate(stats[True][2] + stats[False][2], n),
        same_title=(stats[True][0], _rate(stats[True][1], stats[True][0]), _rate(stats[True][2], stats[True][0])),
        diff_title=(stats[False][0], _rate(stats[False][1], stats[False][0]), _rate(stats[False][2], stats[False][0])),
        misses=misses)


def fit_weights(model: PairModel, gold: Gold, feats: Features) -> dict[str, float]:
    """The grid weights with the best top-1 (then recall@5) on the given query features."""
    return fit_weights_multi([(model, gold, feats)])


def fit_weights_multi(sets: list[tuple[PairModel, Gold, Features]]) -> dict[str, float]:
    """Grid search over several act pairs at once: most correct top-1, then recall@5."""
    best, best_key = DEFAULT_WEIGHTS, (-1.0, -1.0)
    for combo in product(*(WEIGHT_GRID[f] for f in FEATURES)):
        w = dict(zip(FEATURES, combo))
        hits = r5 = 0.0
        for model, gold, feats in sets:
            r = evaluate(model, gold, feats, w)
            hits += r.top1 * r.queries
            r5 += r.recall5 * r.queries
        if (hits, r5) > best_key:
            best, best_key = w, (hits, r5)
    return best
