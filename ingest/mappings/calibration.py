"""A suggestion's score turned into the probability that the candidate is a real counterpart.

The suggester's score is a weighted sum of similarities: it orders candidates but says
nothing about how often a candidate with that score is right. A logistic model over the
candidate's evidence (its score, its lead over the next candidate, its rank, the
ranking features, how many anchors the pair has) turns it into a probability, fitted on the
reviewed mapping sets by bench/mappings.py (cross-validated there, folds by article, never
fitted on the fold it reports) and shipped as the data file `suggester_model.json` beside
this module, which the suggester loads at import.

Plain numpy (Newton's method with a small ridge): no machine-learning dependency for a
model of ten coefficients.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("suggester_model.json")
# What the logistic model reads of a candidate, in this order (see `candidate_rows`).
CAL_FEATURES = ("score", "lead", "first", "second", "text", "title", "position", "chapter", "defined", "context",
                "mutual", "block", "opening", "text_rel", "anchors")
N_RANKING = len(CAL_FEATURES) - 5      # the suggester's own features, between "second" and "anchors"
ANCHORS_FULL = 50      # anchors past which a pair counts as fully anchored


@dataclass
class Calibrator:
    """Logistic regression over standardised candidate evidence."""

    coef: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]
    features: tuple[str, ...] = CAL_FEATURES

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """P(counterpart) for each row of `candidate_rows`."""
        z = ((rows - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def as_dict(self) -> dict:
        return {"features": list(self.features), "coef": [round(c, 6) for c in self.coef],
                "intercept": round(self.intercept, 6), "mean": [round(m, 6) for m in self.mean],
                "scale": [round(s, 6) for s in self.scale]}

    @classmethod
    def from_dict(cls, d: dict) -> "Calibrator":
        feats = tuple(d["features"])
        if feats != CAL_FEATURES:
            raise ValueError(f"calibration over {feats}, the suggester gives {CAL_FEATURES}: refit with "
                             "`bench/mappings.py --fit --write`")
        return cls([float(x) for x in d["coef"]], float(d["intercept"]), [float(x) for x in d["mean"]],
                   [float(x) for x in d["scale"]], feats)


@dataclass
class SuggesterModel:
    """The shipped model: feature weights of the ranking and the calibration of its scores."""

    weights: dict[str, float]
    calibrator: Calibrator | None
    meta: dict = field(default_factory=dict)

    def save(self, path: Path = MODEL_FILE) -> None:
        data = {"weights": self.weights, "calibration": self.calibrator.as_dict() if self.calibrator else None,
                **self.meta}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_model(path: Path = MODEL_FILE, fallback: dict[str, float] | None = None) -> SuggesterModel:
    """The shipped model; without the file, `fallback` weights and no calibration."""
    if not path.exists():
        return SuggesterModel(dict(fallback or {}), None, {})
    data = json.loads(path.read_text(encoding="utf-8"))
    cal = data.get("calibration")
    try:
        calibrator = Calibrator.from_dict(cal) if cal else None
    except ValueError as exc:
        # a model fitted for other features: rank with its weights, claim no probability (the
        # bench that refits it must still start); tests/test_calibration.py fails on a stale file
        warnings.warn(f"{path.name}: {exc}", stacklevel=2)
        calibrator = None
    return SuggesterModel({k: float(v) for k, v in data["weights"].items()}, calibrator,
                          {k: v for k, v in data.items() if k not in ("weights", "calibration")})


def candidate_rows(scores: np.ndarray, feats: np.ndarray, top: np.ndarray, anchors: int) -> np.ndarray:
    """The calibration rows of the candidates `top` (indices into `scores`, best first).

    `lead` is a candidate's score minus the best score of the others: positive only for
    the first, by how much it beats the second — a clear winner is more often right."""
    order = np.argsort(-scores)
    best, second = scores[order[0]], scores[order[1]] if len(order) > 1 else 0.0
    out = np.zeros((len(top), len(CAL_FEATURES)), dtype=np.float64)
    a = min(anchors, ANCHORS_FULL) / ANCHORS_FULL
    for n, j in enumerate(top):
        s = scores[j]
        lead = s - (second if j == order[0] else best)
        out[n, :4] = (s, lead, float(j == order[0]), float(len(order) > 1 and j == order[1]))
        out[n, 4:4 + N_RANKING] = feats[j, :N_RANKING]
        out[n, 4 + N_RANKING] = a
    return out


def fit(rows: np.ndarray, labels: np.ndarray, ridge: float = 1.0, iterations: int = 50) -> Calibrator:
    """Logistic regression by Newton's method (ridge on the coefficients, not the intercept)."""
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
    y = labels.astype(np.float64)
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], ridge)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Calibrator([float(c) for c in w[:-1]], float(w[-1]), [float(m) for m in mean], [float(s) for s in scale])


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[tuple[float, float, int, float, float]]:
    """(bin low, bin high, count, mean predicted, observed frequency) per equal-width bin."""
    out = []
    edges = np.linspace(0, 1, bins + 1)
    for k in range(bins):
        lo, hi = edges[k], edges[k + 1]
        sel = (probs >= lo) & ((probs < hi) if k < bins - 1 else (probs <= hi))
        n = int(sel.sum())
        out.append((float(lo), float(hi), n, float(probs[sel].mean()) if n else float("nan"),
                    float(labels[sel].mean()) if n else float("nan")))
    return out


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE: the count-weighted mean gap between predicted and observed frequency over the bins."""
    n = len(probs)
    if not n:
        return float("nan")
    return sum(c / n * abs(p - f) for _, _, c, p, f in reliability(probs, labels, bins) if c)
