"""Dense retrieval over articles: what an everyday query means, not only the words it shares.

A citizen says "кража", "развод", "затопили"; the codes say "хищение", "расторжение брака",
"залив". Word vectors (navec, trained on Russian news, shipped inside natasha's wheel: nothing
is downloaded) put such words near each other (cosine кража~хищение 0.37, развод~расторжение
0.28, затопить~залив 0.19, against ~0.05 for unrelated words), and an article's mean vector near
the questions it answers.

- **articles**: each article in force (its latest redaction) is the mean of the unit navec
  vectors of its lemmas, each weighted by its count times its idf over the articles (the
  heading's lemmas TITLE_WEIGHT times more: the heading names the rule), L2-normalised: one row
  of a float32 matrix (~13k articles x 300, ~15 MB), a jurisdiction's rows together.
  (Subtracting the mean article, the direction all legal text shares, was tried and lost);
- **the query**: the idf-weighted mean of its words' vectors (a word the codes never use, such
  as "пьянка", weighs as the rarest word does), normalised;
- **scores**: one matrix-vector product over the rows the jurisdiction filter allows (~1 ms,
  numpy's own loop rather than BLAS, whose threads fight the engine's for two cores).

The matrix is built from the search index's own stored documents (any backend) in a few seconds
and kept on disk under the data directory's cache (``cache/search-vectors``), keyed by a digest
of what the index holds (every act's stamp) and of this module's version: an ingest that changes
an act changes the key, and the next search builds the matrix afresh (files of other keys an hour
old are removed then: one per ingest would pile up). How the cosine is blended
with the engine's score is api/search.py's business (`blend`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

from .analysis import fold, tokenize
from . import derived
from .backend import Filters, SearchBackend
from .derived import PerIndex
from .querylang import All, Any, Node, Phrase, Ranked, Word

# Bump when how the vectors are made changes: matrices on disk of another version are not read.
SEMANTIC_VERSION = "1"
# The heading's lemmas weigh this many times a lemma of the body.
TITLE_WEIGHT = 4.0
_NAVEC_FILE = ("data", "emb", "navec_news_v1_1B_250K_300d_100q.tar")


@lru_cache(maxsize=1)
def navec():
    """The navec word vectors inside natasha's wheel (loaded once, ~0.5 s), or None when natasha
    is not installed (dense retrieval is then off, and search answers by its words alone)."""
    try:
        import natasha
        from navec import Navec
    except ImportError:
        return None
    path = Path(natasha.__file__).parent.joinpath(*_NAVEC_FILE)
    return Navec.load(str(path)) if path.exists() else None


def available() -> bool:
    """Whether the word vectors can be loaded."""
    return navec() is not None


class _Lexicon:
    """Unit word vectors of lemmas, looked up once each."""

    def __init__(self):
        self.nv = navec()
        self.ids: dict[str, int] = self.nv.vocab.word_ids
        self._memo: dict[str, np.ndarray | None] = {}

    def index(self, word: str) -> int:
        """The navec row of a word, -1 when navec does not know it."""
        return self.ids.get(word, -1)

    def vector(self, word: str) -> np.ndarray | None:
        """The unit vector of one word (remembered), None when navec does not know it."""
        v = self._memo.get(word, False)
        if v is False:
            i = self.index(word)
            v = self.vectors(np.array([i], dtype=np.int64))[0] if i >= 0 else None
            if len(self._memo) > 100_000:      # a bound for hostile queries of made-up words
                self._memo.clear()
            self._memo[word] = v
        return v

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """Unit vectors of navec rows (product-quantised: decoded from their codes)."""
        pq = self.nv.pq
        idx = pq.indexes[ids]
        m = np.concatenate([pq.codes[k][idx[:, k]] for k in range(pq.qdim)], axis=1).astype(np.float32)
        return m / (np.linalg.norm(m, axis=1, keepdims=True) + 1e-9)


def _lemma_bag(text: str) -> dict[str, int]:
    """Lemma -> count: the most likely normal form of every word (numbers skipped)."""
    bag: dict[str, int] = {}
    for tok in tokenize(text):
        t = tok.terms[0]
        if not t[0].isdigit():
            bag[t] = bag.get(t, 0) + 1
    return bag


@dataclass
class ArticleVectors:
    """One unit vector per article in force, with what the filters need to mask rows."""

    matrix: np.ndarray            # (n, 300) float32, rows unit length, a jurisdiction's rows together
    iris: list[str]               # the article IRI of each row
    jurisdiction: np.ndarray      # (n,) str
    act: np.ndarray               # (n,) str: the act's ELI path
    act_type: np.ndarray          # (n,) str
    idf: dict[str, float]         # lemma -> idf over the articles
    max_idf: float
    keys: list | None = None      # the backend's article key of each row (set when opened for a backend)
    row_of: dict | None = None    # ... and the row of each key

    @classmethod
    def build(cls, docs: Iterable[dict]) -> "ArticleVectors":
        """Vectors of the given stored article documents (the index's latest in-force articles)."""
        lex = _lexicon()
        docs = sorted(docs, key=lambda d: d["jurisdiction"])     # a jurisdiction's rows: one slice
        bags = [(_lemma_bag(d.get("text") or ""), _lemma_bag(d.get("title") or "")) for d in docs]
        df: dict[str, int] = {}
        for text, title in bags:
            for t in text.keys() | title.keys():
                df[t] = df.get(t, 0) + 1
        n = max(len(docs), 1)
        idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        lemmas = [t for t in df if lex.index(t) >= 0]
        col = {t: i for i, t in enumerate(lemmas)}
        vecs = lex.vectors(np.array([lex.index(t) for t in lemmas], dtype=np.int64)) if lemmas else \
            np.zeros((0, 300), np.float32)
        out = np.zeros((len(docs), vecs.shape[1] if len(vecs) else 300), dtype=np.float32)
        for i, (text, title) in enumerate(bags):
            weights: dict[int, float] = {}
            for bag, boost in ((text, 1.0), (title, TITLE_WEIGHT)):
                for t, c in bag.items():
                    j = col.get(t)
                    if j is not None:
                        weights[j] = weights.get(j, 0.0) + boost * c * idf[t]
            if weights:
                js = np.fromiter(weights.keys(), dtype=np.int64)
                ws = np.fromiter(weights.values(), dtype=np.float32)
                v = ws @ vecs[js]
                out[i] = v / (np.linalg.norm(v) + 1e-9)
        return cls(out, [d["article"] for d in docs],
                   np.array([d["jurisdiction"] for d in docs], dtype=str),
                   np.array([d["act"] for d in docs], dtype=str),
                   np.array([d["act_type"] for d in docs], dtype=str),
                   idf, math.log((n + 1) / 0.5))

    # on disk ---------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write to `path`, whole (derived.write_whole: readers never see half a file)."""
        derived.write_whole(path, lambda f: np.savez(
            f, matrix=self.matrix, iris=np.array(self.iris, dtype=str), jurisdiction=self.jurisdiction,
            act=self.act, act_type=self.act_type, idf_terms=np.array(list(self.idf), dtype=str),
            idf=np.array(list(self.idf.values()), dtype=np.float32), max_idf=np.float32(self.max_idf)))

    @classmethod
    def load(cls, path: Path) -> "ArticleVectors":
        """Read what `save` wrote (OSError or ValueError when it cannot)."""
        with np.load(path, allow_pickle=False) as z:
            return cls(z["matrix"], z["iris"].tolist(), z["jurisdiction"], z["act"], z["act_type"],
                       dict(zip(z["idf_terms"].tolist(), z["idf"].tolist())), float(z["max_idf"]))

    # asking ------------------------------------------------------------------
    def query_vector(self, words: list[tuple[str, str]]) -> np.ndarray | None:
        """The unit vector of a query's (lemma, surface) words, or None when navec knows none."""
        lex = _lexicon()
        v = None
        for lemma, surface in dict.fromkeys(words):
            w = lex.vector(lemma)
            if w is None:
                w = lex.vector(surface)
            if w is not None:
                w = w * self.idf.get(lemma, self.max_idf)
                v = w if v is None else v + w
        if v is None:
            return None
        norm = np.linalg.norm(v)
        return v / norm if norm > 1e-6 else None

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Rows the filters allow (None: all of them)."""
        m = None
        for values, column in ((filters.jurisdictions, self.jurisdiction), (filters.acts, self.act),
                               (filters.types, self.act_type)):
            if values:
                ok = np.isin(column, list(values))
                m = ok if m is None else m & ok
        return m

    def scores(self, qv: np.ndarray, filters: Filters | None = None) -> np.ndarray:
        """Every article's cosine with the query vector; with `filters` of one jurisdiction, only
        its rows are computed (the others hold -2)."""
        js = filters.jurisdictions if filters is not None else ()
        if len(js) == 1:
            lo, hi = (int(np.searchsorted(self.jurisdiction, js[0], side=side)) for side in ("left", "right"))
            out = np.full(len(self.matrix), -2.0, dtype=np.float32)
            out[lo:hi] = _matvec(self.matrix[lo:hi], qv)
            return out
        return _matvec(self.matrix, qv)


def _matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """m @ v in this thread: einsum's own loop, not BLAS, whose threads spin against the search
    engine's for the two cores (a 13k x 300 product took 10 ms through OpenBLAS under load, 1.5 ms
    here)."""
    return np.einsum("ij,j->i", m, v)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    return _Lexicon()


def query_words(node: Node | None) -> list[tuple[str, str]]:
    """(lemma, folded surface) of every positive word of a query tree, phrases' words included."""
    out: list[tuple[str, str]] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Word):
            if not n.terms[0][0].isdigit():
                out.append((n.terms[0], fold(n.surface)))
        elif isinstance(n, Phrase):
            for _, ts in n.words:
                out.append((ts[0], ts[0]))
        elif isinstance(n, (All, Any, Ranked)):
            for c in n.items:
                walk(c)

    walk(node)
    return out


def index_digest(backend: SearchBackend) -> str:
    """What the vectors of this index are keyed by (derived.index_digest: every act's stamp, the
    analysis and this module's version)."""
    return derived.index_digest(backend, f"vectors {SEMANTIC_VERSION}")


def cache_dir(backend: SearchBackend) -> Path:
    """Where the vectors of an index are kept: <data dir>/cache/search-vectors."""
    return derived.cache_dir(backend, "search-vectors")


def in_force_articles(backend: SearchBackend) -> list[dict]:
    """The stored documents of every article in force (latest redaction): an empty ranked query
    matches every document, the filters keep these."""
    hits = backend.search(Ranked(()), Filters(kinds=("article",)), limit=1_000_000)
    return [h.doc for h in hits if h.doc is not None]


_HELD: PerIndex[tuple[str, ArticleVectors | None]] = PerIndex()    # (index digest, its vectors)


def article_vectors(backend: SearchBackend) -> ArticleVectors | None:
    """The article vectors of this index: kept in memory while its state stamp stays, read from
    the cache on disk when its digest is there, else built (and written there). None when the
    word vectors are not installed or the index holds no article."""
    if not available():
        return None

    def build(held: tuple[str, ArticleVectors | None] | None) -> tuple[str, ArticleVectors | None]:
        digest = index_digest(backend)
        if held is not None and held[0] == digest:
            return held                 # a commit that changed no act: the same vectors
        def fresh() -> ArticleVectors | None:
            docs = in_force_articles(backend)
            return ArticleVectors.build(docs) if docs else None
        vectors = derived.read_or_build(cache_dir(backend) / f"{digest}.npz", ArticleVectors.load, fresh,
                                        ArticleVectors.save)
        if vectors is not None and vectors.row_of is None:
            vectors.keys = [backend.article_key(iri) for iri in vectors.iris]
            vectors.row_of = {k: i for i, k in enumerate(vectors.keys)}
        return digest, vectors
    return _HELD.get(backend, build)[1]
