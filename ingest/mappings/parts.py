"""Part- and point-level counterparts inside two matched articles.

An accepted article mapping says "ст. 81 ТК РФ ↔ ст. 42 ТК РБ"; a lawyer then asks which
part of one answers which part of the other ("п. 6 ч. 1 ст. 81 ↔ п. 7 ст. 42"). Each
sub-provision (part, point, sub-point) of the source article is scored against every
sub-provision of the target article on evidence shown to the user:

- text: cosine of TF-IDF lemma vectors of the two units' printed texts (their own sub-units
  included), idf taken from both acts' articles so a word common in the codes counts little;
- position: how near their relative places in their articles are (articles of a common model
  keep the order of their parts);
- mutual: how close the pair comes to the best any source unit reaches with that target unit
  (a target unit another source unit fits clearly better is probably that one's);
- level: whether both are at the same depth (part with part, point with point).

The best target unit is proposed when its text similarity reaches NONE_BELOW, else "no
counterpart" (position, mutual best and level order the candidates but cannot make two
unrelated texts counterparts).
The weights and the threshold are fitted on the development half of the judged set
tests/mappings/part_pairs.tsv (bench/parts.py); the figures are those of its test half.
Suggestions only: nothing here is stored or counted as reviewed.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..identifiers import work_of
from ..query import catalog as q
from ..store import GraphStore
from ..text import render
from .suggest import MUTUAL_SLOPE, Suggester, lemmas

FEATURES = ("text", "position", "mutual", "level")
# Fitted on the development half of tests/mappings/part_pairs.tsv by bench/parts.py --fit.
WEIGHTS = {"text": 0.4, "position": 0.35, "mutual": 0.35, "level": 0.05}
NONE_BELOW = 0.3       # text similarity under which the best unit is no counterpart


@dataclass(frozen=True)
class Unit:
    """A sub-provision of an article as the aligner sees it."""

    iri: str
    eid: str
    label: str
    text: str
    depth: int             # 1 for a part of the article, 2 for a point of a part …
    place: float           # relative position among the article's units, 0 … 1
    terms: Counter


@dataclass
class PartCandidate:
    """A target unit ranked for a source unit, with the evidence behind its score."""

    iri: str
    eid: str
    label: str
    score: float
    features: dict[str, float]

    def as_dict(self) -> dict:
        return {"iri": self.iri, "eid": self.eid, "label": self.label, "score": round(self.score, 4),
                "evidence": {k: round(v, 4) for k, v in self.features.items()}}


@dataclass
class PartSuggestion:
    """A source unit with its ranked target units, and the one proposed (None: no counterpart)."""

    source: Unit
    candidates: list[PartCandidate]
    proposed: PartCandidate | None

    def as_dict(self) -> dict:
        return {"source": {"iri": self.source.iri, "eid": self.source.eid, "label": self.source.label,
                           "text": self.source.text[:300]},
                "proposed": self.proposed.as_dict() if self.proposed else None,
                "candidates": [c.as_dict() for c in self.candidates]}


def article_units(store: GraphStore, article_iri: str) -> list[Unit]:
    """The sub-provisions of an article in its act's latest redaction, in document order."""
    work = work_of(article_iri)
    eid = article_iri[len(work) + 1:]
    found = q.select(store, "latest_redaction", work=work)
    if not found:
        return []
    rows = sorted(q.select(store, "provision_subtree", expression=found[0]["e"], provision=article_iri, eid=eid,
                           eid_prefix=eid + "__"), key=lambda r: int(r["sort"]))
    subs = [r for r in rows if r["eid"] != eid]
    out = []
    for n, r in enumerate(subs):
        own = [x for x in subs if x["eid"] == r["eid"] or x["eid"].startswith(r["eid"] + "__")]
        text = render(own)
        out.append(Unit(iri=f"{work}/{r['eid']}", eid=r["eid"], label=r.get("label") or "", text=text,
                        depth=r["eid"].count("__"), place=n / max(1, len(subs) - 1), terms=lemmas(text)))
    return out


class IdfTable:
    """Inverse document frequencies of lemmas over the articles of two acts."""

    def __init__(self, articles_terms: list[Counter]):
        df: Counter = Counter()
        for bag in articles_terms:
            df.update(bag.keys())
        self.n = len(articles_terms)
        self.df = df

    def __call__(self, term: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(term, 0))) + 1


def _vectors(units: list[Unit], vocab: dict[str, int], idf: IdfTable) -> np.ndarray:
    m = np.zeros((len(units), len(vocab)), dtype=np.float32)
    for i, u in enumerate(units):
        for t, c in u.terms.items():
            m[i, vocab[t]] = (1 + math.log(c)) * idf(t)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return m / norms


def feature_tensor(src: list[Unit], tgt: list[Unit], idf: IdfTable) -> np.ndarray:
    """Features of every (source unit, target unit): sources x targets x FEATURES."""
    vocab = {t: i for i, t in enumerate(sorted({t for u in src + tgt for t in u.terms}))}
    text = _vectors(src, vocab, idf) @ _vectors(tgt, vocab, idf).T if vocab else np.zeros((len(src), len(tgt)))
    pos = 1 - np.abs(np.array([u.place for u in src])[:, None] - np.array([u.place for u in tgt])[None, :])
    best = text.max(axis=0, keepdims=True) if text.size else text
    mutual = np.clip(1 - (best - text) * MUTUAL_SLOPE, 0, 1)
    level = (np.array([u.depth for u in src])[:, None] == np.array([u.depth for u in tgt])[None, :]).astype(np.float32)
    return np.stack([text, pos, mutual, level], axis=2).astype(np.float32)


def align(src: list[Unit], tgt: list[Unit], idf: IdfTable, weights: dict[str, float] | None = None,
          none_below: float = NONE_BELOW, k: int = 3) -> list[PartSuggestion]:
    """For each source unit: its k best target units and the one proposed (or none)."""
    if not src:
        return []
    if not tgt:
        return [PartSuggestion(u, [], None) for u in src]
    w = np.array([(weights or WEIGHTS)[f] for f in FEATURES], dtype=np.float32)
    feats = feature_tensor(src, tgt, idf)
    scores = feats @ w
    out = []
    for i, u in enumerate(src):
        top = np.argsort(-scores[i])[:k]
        cands = [PartCandidate(tgt[j].iri, tgt[j].eid, tgt[j].label, float(scores[i, j]),
                               {f: float(feats[i, j, n]) for n, f in enumerate(FEATURES)}) for j in top]
        out.append(PartSuggestion(u, cands, cands[0] if cands[0].features["text"] >= none_below else None))
    return out


def pair_idf(suggester: Suggester, source_work: str, target_work: str) -> IdfTable:
    """The idf table of two acts' articles (kept on the suggester's pair model while it lives)."""
    model = suggester.pair(source_work, target_work)
    table = getattr(model, "_part_idf", None)
    if table is None:
        table = IdfTable([a.text_terms for a in model.source.articles + model.target.articles])
        model._part_idf = table
    return table


def suggest_parts(store: GraphStore, suggester: Suggester, source_article: str, target_article: str,
                  k: int = 3) -> list[PartSuggestion]:
    """Part/point-level counterparts of `source_article`'s units inside `target_article`."""
    idf = pair_idf(suggester, work_of(source_article), work_of(target_article))
    return align(article_units(store, source_article), article_units(store, target_article), idf, k=k)
