"""Learning to rank: the first page of a plain-word query ordered by a small fitted model.

The engine ranks parts (BM25 over lemmas, thesaurus, bonuses for all words and proximity)
and api/search.py blends in dense retrieval (semantic.py). Neither sees the whole article as
one document: a question's words are often spread over an article's parts, each too weak alone
(the plain BM25 over Snowball-stemmed whole articles of bench/search.py beat lexmap on
everyday queries). The reranker scores each candidate article — the engine's first DEPTH blended
ones and the CANDIDATES nearest in meaning — by a linear model of a few features:

- ``engine``: the engine's score (after the position prior) / the best one, 0 when the words
  did not bring the article;
- ``engine_rank``: 1 / (its place in the blended order + 1), 0 when absent;
- ``dense``: its cosine with the query, rescaled as `api.search.blend` does (the nearest
  article 1, the SEMANTIC_FLOOR-th nearest 0);
- ``bm25``: Okapi BM25 of the query's Snowball stems over the whole article (heading and
  text; idf and mean length of its jurisdiction) / the best candidate's of the jurisdiction;
- ``coverage`` and ``title_coverage``: the idf-weighted share of the query's stems the article
  (its heading) holds;
- ``act_share``: the share of the engine's SHARE_OF first and the SHARE_OF nearest candidates
  that come from the article's act (a question's answers cluster in the code it is about);
- ``title_named``: 1 when the query holds every stem of the article's heading ("необходимая
  оборона" names "Необходимая оборона", "оферта и акцепт" names "Оферта"): the article a
  lawyer names by its heading, rather than the longer ones that mention it;
- ``cp_dense`` and ``cp_coverage``: the article's counterparts in the other jurisdiction
  (`Counterparts`: reviewed mappings, and the mapping suggester's best candidate weighted by
  its calibrated probability) vouch for it: the best, times the link's weight, of their
  cosine with the query (rescaled as ``dense``) and of their coverage of the query's stems.
  Both codes' wordings then count ("испытательный срок" is the BY heading's "предварительное
  испытание" and the RU one's "испытание при приеме на работу").

The weights are fitted on the development part of the everyday sets with a listwise softmax
loss and k-fold cross-validation by `bench/rerank.py` (`--write` stores them in
rerank_model.json beside this module). The stems of every article in force are kept as
postings over the article vectors' rows, built from the index's stored documents in ~3 s and
cached on disk like the vectors (derived.py); a query computes its features for its few hundred
candidates only (~0.3 ms, and ~0.25 ms more for their counterparts' rows, measured interleaved
with and without them). Without counterparts (a search not given the app context's
`search_counterparts`: api/search.search) their two features are 0 and the other weights still rank.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import derived
from .analysis import STOP_WORDS, _stemmer
from .backend import SearchBackend
from .derived import PerIndex

FEATURES = ("engine", "engine_rank", "dense", "bm25", "coverage", "title_coverage", "act_share", "title_named",
            "cp_dense", "cp_coverage")
MODEL_PATH = Path(__file__).with_name("rerank_model.json")
TERMS_VERSION = "1"
# Okapi BM25 as rank_bm25 (the baseline of bench/search.py) has it.
K1, B = 1.5, 0.75
# The nearest articles in meaning added to the engine's when features are collected for a fit
# (bench/rerank.py --candidates); the fitted model says how many it was fitted with.
CANDIDATES = 50
# ... and how many of the engine's blended articles are reranked, the rest following them as
# blended (on dev: all of them, up to 200, held out the same within ±0.01 and took longer).
DEPTH = 50
# act_share looks at the engine's first and the nearest SHARE_OF candidates.
SHARE_OF = 20

_WORD = re.compile(r"[^\W_]+")


def stems(text: str) -> list[str]:
    """The Snowball stems of a text's words (lower case, ё as е, stop words dropped)."""
    stem = _stemmer().stemWord
    return [stem(w) for w in _WORD.findall(text.lower().replace("ё", "е")) if w not in STOP_WORDS]


@dataclass
class ArticleTerms:
    """Stem postings of the articles in force, rows as in the article vectors (semantic.py)."""

    terms: dict[str, int]          # stem -> its postings' slot
    starts: np.ndarray             # (n_terms + 1,) int64: slot k's postings are [starts[k], starts[k+1])
    rows: np.ndarray               # int32: article rows, ascending within a slot
    tf: np.ndarray                 # float32: the stem's count in that article
    title_terms: dict[str, int]
    title_starts: np.ndarray
    title_rows: np.ndarray
    length: np.ndarray             # (n_articles,) float32: stems per article

    @classmethod
    def build(cls, docs: list[dict]) -> "ArticleTerms":
        """Postings of the given stored article documents, in their order."""
        body: dict[str, list[tuple[int, int]]] = {}
        title: dict[str, list[int]] = {}
        length = np.zeros(len(docs), np.float32)
        for i, d in enumerate(docs):
            words = stems(" ".join(x for x in (d.get("label"), d.get("title"), d.get("text")) if x))
            length[i] = len(words)
            counts: dict[str, int] = {}
            for w in words:
                counts[w] = counts.get(w, 0) + 1
            for w, c in counts.items():
                body.setdefault(w, []).append((i, c))
            for w in dict.fromkeys(stems(d.get("title") or "")):
                title.setdefault(w, []).append(i)
        terms = {w: k for k, w in enumerate(body)}
        starts = np.zeros(len(body) + 1, np.int64)
        starts[1:] = np.cumsum([len(p) for p in body.values()])
        rows = np.fromiter((r for p in body.values() for r, _ in p), np.int32, int(starts[-1]))
        tf = np.fromiter((c for p in body.values() for _, c in p), np.float32, int(starts[-1]))
        title_terms = {w: k for k, w in enumerate(title)}
        title_starts = np.zeros(len(title) + 1, np.int64)
        title_starts[1:] = np.cumsum([len(p) for p in title.values()])
        title_rows = np.fromiter((r for p in title.values() for r in p), np.int32, int(title_starts[-1]))
        return cls(terms, starts, rows, tf, title_terms, title_starts, title_rows, length)

    def save(self, path: Path) -> None:
        """Write to `path`, whole."""
        derived.write_whole(path, lambda f: np.savez(
            f, terms=np.array(list(self.terms), dtype=str), starts=self.starts, rows=self.rows, tf=self.tf,
            title_terms=np.array(list(self.title_terms), dtype=str), title_starts=self.title_starts,
            title_rows=self.title_rows, length=self.length))

    @classmethod
    def load(cls, path: Path) -> "ArticleTerms":
        """Read what `save` wrote (OSError or ValueError when it cannot)."""
        with np.load(path, allow_pickle=False) as z:
            return cls({w: k for k, w in enumerate(z["terms"].tolist())}, z["starts"], z["rows"], z["tf"],
                       {w: k for k, w in enumerate(z["title_terms"].tolist())}, z["title_starts"],
                       z["title_rows"], z["length"])

    def place(self, jurisdiction: np.ndarray, act: np.ndarray) -> "ArticleTerms":
        """Learn each row's jurisdiction slice and act (the article vectors' columns, same rows)."""
        self.slices = [(int(np.searchsorted(jurisdiction, j, side="left")),
                        int(np.searchsorted(jurisdiction, j, side="right"))) for j in np.unique(jurisdiction)]
        self.avg = {s: float(self.length[s[0]:s[1]].mean()) or 1.0 for s in self.slices}
        self.act_id = np.unique(act, return_inverse=True)[1].astype(np.int64)
        # the distinct stems of each heading (its title postings)
        self.title_length = np.bincount(self.title_rows, minlength=len(self.length)).astype(np.int64)
        return self

    def features(self, query: list[str], rows: np.ndarray, coverage_only: bool = False) -> np.ndarray:
        """(len(rows), 4) for the given rows (-1: no article, all 0): BM25 of the query's stems
        over the whole article (idf and mean length of its jurisdiction) / the best of the rows
        of that jurisdiction, the idf-weighted share of the stems the article and its heading
        hold, and 1 where the query holds every stem of the heading (`title_named`);
        `coverage_only`: the article's share alone (column 1; the others 0, their postings not
        read). Only the rows asked for are looked up: the stems' postings are joined into one
        sorted array of keys (stem's place x rows + row), searched once for all of them."""
        out = np.zeros((len(rows), 4), np.float32)
        stems_ = list(dict.fromkeys(query))
        ok = rows >= 0
        if not stems_ or not ok.any():
            return out
        n_all = len(self.length)
        r = rows[ok]
        lows = np.array([lo for lo, _ in self.slices], np.int64)
        his = np.array([hi for _, hi in self.slices], np.int64)
        sl = np.searchsorted(his, r, side="right")          # each candidate's jurisdiction slice
        keys, tfs, t_keys, places = [], [], [], []
        for place, stem in enumerate(stems_):
            k = self.terms.get(stem)
            if k is None:
                continue
            a, b = int(self.starts[k]), int(self.starts[k + 1])
            keys.append(self.rows[a:b] + place * n_all)
            tfs.append(self.tf[a:b])
            places.append(place)
            t = None if coverage_only else self.title_terms.get(stem)
            if t is not None:
                t_keys.append(self.title_rows[int(self.title_starts[t]):int(self.title_starts[t + 1])] + place * n_all)
        if not places:
            return out
        key = np.concatenate(keys).astype(np.int64, copy=False)      # sorted: places ascend
        p = np.array(places, np.int64)[:, None]
        # document frequency of each stem in each jurisdiction: (stems, slices)
        df = (np.searchsorted(key, p * n_all + his[None, :]) - np.searchsorted(key, p * n_all + lows[None, :]))
        n = (his - lows)[None, :]
        idf = np.where(df > 0, np.log((n - df + 0.5) / (df + 0.5) + 1), 0.0).astype(np.float32)[:, sl]
        want = p * n_all + r[None, :]                        # (stems, candidates)
        at = np.minimum(np.searchsorted(key, want), len(key) - 1)
        hit = key[at] == want
        total = idf.sum(0)
        total = np.where(total > 0, total, 1.0)
        x = np.zeros((len(r), 4), np.float32)
        x[:, 1] = (idf * hit).sum(0) / total
        if coverage_only:
            out[ok] = x
            return out
        f = np.where(hit, np.concatenate(tfs)[at], 0.0)
        avg = np.array([self.avg[s] for s in self.slices], np.float32)[sl]
        bm = (idf * f * (K1 + 1) / (f + K1 * (1 - B + B * self.length[r] / avg))).sum(0)
        best = np.zeros(len(self.slices), np.float32)
        np.maximum.at(best, sl, bm)
        x[:, 0] = bm / np.maximum(best[sl], 1e-6)
        if t_keys:
            tk = np.concatenate(t_keys).astype(np.int64, copy=False)       # sorted: places ascend
            t_at = np.minimum(np.searchsorted(tk, want), len(tk) - 1)
            in_title = tk[t_at] == want
            x[:, 2] = (idf * in_title).sum(0) / total
            heading = self.title_length[r]
            x[:, 3] = (heading > 0) & (in_title.sum(0) == heading)
        out[ok] = x
        return out

    def act_share(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each candidate's share of the engine's SHARE_OF first (x[:, 1] > 0, in order) and the
        SHARE_OF nearest (by x[:, 2]) candidates that come from its act: a question about a
        divorce is answered by the family code, where most of its best candidates are, not by
        the one tax article that shares its words."""
        acts = np.where(rows >= 0, self.act_id[np.maximum(rows, 0)], -1)
        engine = np.flatnonzero(x[:, 1] > 0)[:SHARE_OF]
        dense = np.argsort(-x[:, 2], kind="stable")[:SHARE_OF]
        chosen = np.concatenate([acts[engine], acts[dense]])
        counts = np.bincount(chosen[chosen >= 0], minlength=int(self.act_id.max()) + 1 if len(self.act_id) else 1)
        share = counts[np.maximum(acts, 0)] / max(len(engine) + len(dense), 1)
        return np.where(acts >= 0, share, 0.0).astype(np.float32)


@dataclass
class Counterparts:
    """Each article row's counterparts in the other jurisdiction (rows of the same article
    vectors) and how much each link vouches for the pair (a reviewed mapping 1, a suggestion
    its calibrated probability). Built from the mapping table once per data version by the
    app (api/pair_search.search_counterparts): a query only looks its candidates' rows up."""

    starts: np.ndarray             # (n_rows + 1,) int64: row r's counterparts are [starts[r], starts[r+1])
    rows: np.ndarray               # int64: the counterpart rows
    weight: np.ndarray             # float32
    iris: list                     # the article vectors' iris the rows are of (checked before use)

    @classmethod
    def build(cls, links, iris: list[str]) -> "Counterparts":
        """From (article IRI, article IRI, weight) links, read both ways; a link naming an
        article the rows do not hold (repealed, not ingested) is left out, and of two links
        between the same articles the heavier stands."""
        row = {iri: i for i, iri in enumerate(iris)}
        best: dict[tuple[int, int], float] = {}
        for a, b, w in links:
            ra, rb = row.get(a), row.get(b)
            if ra is None or rb is None or ra == rb or w <= 0:
                continue
            for k in ((ra, rb), (rb, ra)):
                if w > best.get(k, 0.0):
                    best[k] = w
        pairs = sorted(best)
        src = np.array([a for a, _ in pairs], np.int64)
        starts = np.searchsorted(src, np.arange(len(iris) + 1), side="left").astype(np.int64)
        return cls(starts, np.array([b for _, b in pairs], np.int64),
                   np.array([best[k] for k in pairs], np.float32), iris)

    def __len__(self) -> int:
        return len(self.rows)

    def features(self, rows: np.ndarray, cosines, floor: float, span: float, terms: ArticleTerms,
                 query: list[str]) -> np.ndarray:
        """(len(rows), 2) for the candidates' rows (-1: none): the best, times the link's weight,
        among each one's counterparts of their cosine with the query rescaled by the query
        jurisdiction's `floor` and `span` (`cosines(rows)` gives the raw ones), and of their
        idf-weighted coverage of the query's stems (idf of the counterpart's jurisdiction)."""
        out = np.zeros((len(rows), 2), np.float32)
        ok = np.flatnonzero(rows >= 0)
        if not len(ok) or not len(self.rows):
            return out
        lo, hi = self.starts[rows[ok]], self.starts[rows[ok] + 1]
        n = hi - lo
        total = int(n.sum())
        if not total:
            return out
        owner = np.repeat(ok, n)
        # the positions lo..hi-1 of every candidate, one array
        at = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(total)
        other, w = self.rows[at], self.weight[at]
        vals = np.empty((total, 2), np.float32)
        vals[:, 0] = np.maximum(0.0, (cosines(other) - floor) / span)
        vals[:, 1] = terms.features(query, other, coverage_only=True)[:, 1]
        np.maximum.at(out, owner, vals * w[:, None])
        return out


_HELD: PerIndex[tuple[str, ArticleTerms | None]] = PerIndex()


def article_terms(backend: SearchBackend, vectors) -> ArticleTerms | None:
    """The stem postings of this index's articles in force, in the rows of `vectors` (the
    index's ArticleVectors): kept in memory, read from <data dir>/cache/search-terms, else built."""
    def build(held: tuple[str, ArticleTerms | None] | None) -> tuple[str, ArticleTerms | None]:
        from . import semantic
        digest = derived.index_digest(backend, f"terms {TERMS_VERSION} vectors {semantic.SEMANTIC_VERSION}")
        if held is not None and held[0] == digest:
            return held
        def fresh() -> ArticleTerms | None:
            by_iri = {d["article"]: d for d in semantic.in_force_articles(backend)}
            return ArticleTerms.build([by_iri.get(iri, {}) for iri in vectors.iris]) if by_iri else None
        terms = derived.read_or_build(derived.cache_dir(backend, "search-terms") / f"{digest}.npz",
                                      ArticleTerms.load, fresh, ArticleTerms.save)
        return digest, terms.place(vectors.jurisdiction, vectors.act) if terms is not None else None
    return _HELD.get(backend, build)[1]


@dataclass(frozen=True)
class Model:
    """A linear model over FEATURES (what bench/rerank.py fitted)."""

    weights: np.ndarray
    candidates: int            # the nearest articles in meaning added to the engine's
    depth: int                 # the engine's blended articles reranked

    def score(self, x: np.ndarray) -> np.ndarray:
        """The model's score of each row of a (n, len(FEATURES)) feature matrix."""
        return x @ self.weights


@lru_cache(maxsize=1)
def model() -> Model | None:
    """The fitted model (rerank_model.json), None when there is none."""
    try:
        data = json.loads(MODEL_PATH.read_text())
    except (OSError, ValueError):
        return None
    if tuple(data.get("features", ())) != FEATURES:
        return None
    return Model(np.array(data["weights"], np.float32), int(data.get("candidates", 0)), int(data.get("depth", DEPTH)))
