"""How good the suggester is on reviewed mappings, and the weights and calibration that make it so.

The reviewed sets give the gold pairs (source article -> its counterparts with a
real relation) and the articles reviewed as having no counterpart. A query's features
are computed with anchors from a pool of gold pairs minus the query itself (or with no
anchors at all, as for an act pair nobody has reviewed), so a fold scored here never sees
its own answers; `fit_weights_multi` grid-searches the feature weights on training folds
(`fit_weights_softmax` fits them by maximum likelihood instead, bench/mappings.py --fitter softmax),
`calibration_rows` turns the top candidates of training queries into the rows the
probability model (ingest.mappings.calibration) is fitted on, and `evaluate` scores top-1
and recall@5 on the held-out ones, separately for pairs whose titles are the same and pairs
whose titles differ. bench/mappings.py runs the cross-validation (folds by source article)
and writes the model the suggester loads.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from ..index.analysis import fold
from .calibration import candidate_rows
from .model import Mapping
from .suggest import DEFAULT_WEIGHTS, FEATURES, ActProfile, PairModel

# The grid `fit_weights_multi` searches (bench/mappings.py --fitter grid), one tuple of values per
# feature. In the grid the context feature as a ranking weight lost 0.3 points of held-out top-1
# (bench/mappings.py --ablate), so the grid keeps it for calibration only; CONTEXT_GRID is the
# variant the ablation measures. The softmax fitter (the bench's default) weighs every feature,
# context included, as the data supports.
WEIGHT_GRID = {"text": (0.3, 0.45, 0.6), "title": (0.1, 0.25, 0.4), "position": (0.0, 0.1, 0.2, 0.35, 0.5),
               "chapter": (0.0, 0.05, 0.15), "defined": (0.0, 0.05), "context": (0.0,),
               "mutual": (0.0, 0.1, 0.2, 0.35), "block": (0.0, 0.1), "opening": (0.0, 0.05), "text_rel": (0.0, 0.2)}
CONTEXT_GRID = {**WEIGHT_GRID, "context": (0.0, 0.1, 0.2, 0.35)}
TOP_K = 5                                # candidates shown per query, and calibrated

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
    """Source article -> its counterparts among reviewed mappings with a real relation."""
    gold: Gold = {}
    for m in mappings:
        if m.relation in (None, "not_related") or m.lifecycle == "rejected":
            continue
        if m.subject in source.by_iri and m.object in target.by_iri:
            gold.setdefault(m.subject, set()).add(m.object)
    return gold


def without_counterpart(mappings: list[Mapping], source: ActProfile, gold: Gold) -> list[str]:
    """Source articles reviewed as having no counterpart (and none elsewhere in the set):
    every suggestion for them is wrong, which the calibration must learn too."""
    return sorted({m.subject for m in mappings if m.no_counterpart and m.lifecycle != "rejected"
                   and m.subject in source.by_iri and m.subject not in gold})


def _pool_pairs(anchor_pool: Gold) -> list[tuple[str, str]]:
    return [(s, o) for s, objs in anchor_pool.items() for o in objs]


def query_features(model: PairModel, queries: list[str], anchor_pool: Gold) -> Features:
    """Feature matrices of the queries, anchors from `anchor_pool` minus the query itself."""
    pairs = _pool_pairs(anchor_pool)
    return {q: model.features(model.source.by_iri[q], model.anchors_from(pairs, exclude=q)) for q in queries}


def anchor_counts(model: PairModel, queries: list[str], anchor_pool: Gold) -> dict[str, int]:
    """How many anchors each query's features were computed with (see `query_features`)."""
    pairs = _pool_pairs(anchor_pool)
    return {q: len(model.anchors_from(pairs, exclude=q)) for q in queries}


def _rate(hits: float, n: int) -> float:
    return hits / n if n else float("nan")


def _miss(eid: str, got: str, gold: set[str]) -> str:
    return f"{eid} -> {got.rsplit('/', 1)[-1]} (gold {', '.join(sorted(x.rsplit('/', 1)[-1] for x in gold))})"


def same_title(model: PairModel, query: str, gold: Gold) -> bool:
    """Whether one of the query's counterparts has the same title (case, ё/е aside). Untitled
    articles (the constitutions') have no title to share: they count with the titles that differ."""
    src = model.source.by_iri[query]
    if not src.title.strip():
        return False
    return any(fold(model.target.by_iri[o].title) == fold(src.title) for o in gold[query])


def evaluate(model: PairModel, gold: Gold, feats: Features, weights: dict[str, float]) -> EvalResult:
    """Top-1 and recall@5 of the gold queries whose features are given."""
    w = np.array([weights[f] for f in FEATURES], dtype=np.float32)
    # [queries, top-1 hits, recall@5 hits] for same-title (True) and different-title (False) pairs
    stats = {True: [0, 0, 0], False: [0, 0, 0]}
    misses = []
    target = model.target.articles
    for q, fm in feats.items():
        if q not in gold:
            continue
        top = np.argsort(-(fm @ w))[:TOP_K]
        got = [target[int(j)].iri for j in top]
        st = stats[same_title(model, q, gold)]
        st[0] += 1
        st[1] += got[0] in gold[q]
        st[2] += bool(set(got) & gold[q])
        if got[0] not in gold[q]:
            misses.append(_miss(model.source.by_iri[q].eid, got[0], gold[q]))
    n = stats[True][0] + stats[False][0]
    return EvalResult(
        queries=n, top1=_rate(stats[True][1] + stats[False][1], n), recall5=_rate(stats[True][2] + stats[False][2], n),
        same_title=(stats[True][0], _rate(stats[True][1], stats[True][0]), _rate(stats[True][2], stats[True][0])),
        diff_title=(stats[False][0], _rate(stats[False][1], stats[False][0]), _rate(stats[False][2], stats[False][0])),
        misses=misses)


def fit_weights(model: PairModel, gold: Gold, feats: Features) -> dict[str, float]:
    """The grid weights with the best top-1 (then recall@5) on the given query features."""
    return fit_weights_multi([(model, gold, feats)])


def fit_weights_multi(sets: list[tuple[PairModel, Gold, Features]],
                      grid: dict[str, tuple[float, ...]] | None = None) -> dict[str, float]:
    """Grid search over several act pairs at once: most correct top-1, then recall@5.

    Every weight combination is scored in one matrix product per query (targets x combos)."""
    grid = grid or WEIGHT_GRID
    combos = np.array(list(product(*(grid[f] for f in FEATURES))), dtype=np.float32)     # C x F
    hits = np.zeros(len(combos))
    r5 = np.zeros(len(combos))
    for _model, gold, feats in sets:
        for q, fm in feats.items():
            if q not in gold:
                continue
            target_iris = _model.target.articles
            scores = fm @ combos.T                                                       # T x C
            good = np.array([a.iri in gold[q] for a in target_iris])
            best_good = np.where(good[:, None], scores, -np.inf).max(axis=0)
            best_bad = np.where(good[:, None], -np.inf, scores).max(axis=0)
            hits += best_good > best_bad
            # recall@5: fewer than 5 wrong targets score above the best right one
            above = (np.where(good[:, None], -np.inf, scores) >= best_good[None, :]).sum(axis=0)
            r5 += above < TOP_K
    key = hits * 1e6 + r5
    best = combos[int(np.argmax(key))]
    return {f: round(float(v), 4) for f, v in zip(FEATURES, best)}


def fit_weights_softmax(sets: list[tuple[PairModel, Gold, Features]], ridge: float = 1.0,
                        iterations: int = 100) -> dict[str, float]:
    """Weights by maximum likelihood of a conditional logit: P(target | query) is the softmax of
    the scores over all the act's targets, and the likelihood of a query is the probability of its
    gold counterparts (ridge on the weights). Smooth, so every feature gets the weight the data
    supports instead of the nearest grid point; Newton steps on the convex part of the Hessian
    with a backtracking line search (the loss of many-counterpart queries is not convex)."""
    data = []
    for model, gold, feats in sets:
        target = model.target.articles
        for q, fm in feats.items():
            if q in gold:
                good = np.array([a.iri in gold[q] for a in target])
                if good.any():
                    data.append((fm.astype(np.float64), good))
    d = len(FEATURES)
    w = np.zeros(d)

    def loss_grad(w: np.ndarray, hess: bool = False) -> tuple[float, np.ndarray, np.ndarray]:
        loss, grad, h = ridge * w @ w / 2, ridge * w, ridge * np.eye(d)
        for f, good in data:
            s = f @ w
            m = s.max()
            p = np.exp(s - m)
            z = p.sum()
            pg = np.where(good, p, 0.0)
            zg = pg.sum()
            loss += np.log(z) - np.log(zg)
            mean = f.T @ p / z
            grad += mean - f.T @ pg / zg
            if hess:
                h += (f * (p / z)[:, None]).T @ f - np.outer(mean, mean)
        return loss, grad, h

    for _ in range(iterations):
        loss, grad, h = loss_grad(w, hess=True)
        step = np.linalg.solve(h, grad)
        t = 1.0
        while t > 1e-4 and loss_grad(w - t * step)[0] > loss - 1e-4 * t * grad @ step:
            t /= 2
        w = w - t * step
        if np.abs(t * step).max() < 1e-6:
            break
    # on the grid's scale (weights summing to 1, a score a weighted mean of similarities): the
    # ranking and the calibration (over standardised scores) do not change with the scale
    w = w / max(float(np.abs(w).sum()), 1e-12)
    return {f: round(float(v), 4) for f, v in zip(FEATURES, w)}


def calibration_rows(model: PairModel, gold: Gold, feats: Features, anchors: dict[str, int],
                     weights: dict[str, float], k: int = TOP_K) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, labels, is-first) of the top-k candidates of each query under `weights`:
    label 1 when the candidate is a gold counterpart (queries without one: all 0)."""
    w = np.array([weights[f] for f in FEATURES], dtype=np.float32)
    target = model.target.articles
    rows, labels, first = [], [], []
    for q, fm in feats.items():
        scores = fm @ w
        top = np.argsort(-scores)[:k]
        rows.append(candidate_rows(scores, fm, top, anchors.get(q, 0)))
        labels += [target[int(j)].iri in gold.get(q, ()) for j in top]
        first += [n == 0 for n in range(len(top))]
    if not rows:
        return np.zeros((0, 0)), np.zeros(0), np.zeros(0, dtype=bool)
    return np.vstack(rows), np.array(labels, dtype=np.float64), np.array(first, dtype=bool)


__all__ = ["DEFAULT_WEIGHTS", "EvalResult", "Features", "Gold", "TOP_K", "WEIGHT_GRID", "anchor_counts",
           "calibration_rows", "evaluate", "fit_weights", "fit_weights_multi", "fit_weights_softmax", "gold_pairs",
           "query_features", "same_title", "without_counterpart"]
