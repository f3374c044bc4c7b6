"""Candidate counterparts of a provision in an act of another jurisdiction.

Each candidate article of the target act gets a score from five kinds of
evidence, all computed on lemmas from the search analysis (so inflection and
ё/е do not matter) and all shown to the user:

- text: cosine of TF-IDF vectors of the two articles' texts;
- title: cosine of their titles' TF-IDF vectors;
- position: where the candidate stands against where the source "should" land,
  interpolated between anchors — already accepted mappings between the two
  acts (the codes follow a common model, so order is mostly kept); without
  anchors, the relative place in the act; or against where the counterparts of the
  source's nearest mapped neighbours stand, crossing pairs included, whichever is nearer:
  a block of articles the other code moved elsewhere (the BY Labour Code puts pay before
  working time) keeps its neighbours (held-out top-1 +0.6 points, +10 on the moved labour
  articles, bench/mappings.py);
- chapter: cosine of the titles of the chapters that hold them;
- defined terms: overlap of the terms each article defines («…», "понимается");
- context: how alike the neighbours are (the source's previous article against the
  candidate's previous one, next against next): codes that keep a sequence of
  articles but renumber or retitle them still line up;
- mutual: how close the candidate's text and title come to the best any source article
  reaches with that candidate (1 when the source is the candidate's own best match): a
  target article that another source article fits clearly better is probably that one's
  counterpart (held-out top-1 +0.9 points, bench/mappings.py).
- block: where the other mapped articles of the source's chapter went: the share of them
  whose counterparts stand in the candidate's chapter (accepted pairs; sure pairs where none
  is accepted). Codes move whole chapters (ТК РБ puts pay before working time, the BY
  Constitution its courts and prosecutors in sections of their own);
- opening: both articles open their chapters (the article that states a chapter's subject or
  its general rule opens it in both codes: 51 of 79 reviewed pairs with an opening source);
- text_rel: the text similarity as a share of the best the source reaches in the target act:
  cosines run lower between the constitutions than between the civil codes, a share ranks
  alike in both (block, opening and text_rel together: held-out top-1 +1 point overall,
  +2 where titles differ, bench/mappings.py).

Where the source of an act lost the list items of an article (the text stops at the colon that
opens the list, a defect recorded at ingest: 98 of 405 articles of the BY Labour Code in its
2019 redaction), its words are taken from the newest earlier redaction in the store whose line
opening the list reads alike (`Suggester.completed`); only the evidence reads them, the article
shown is the latest.

Where the pair has few accepted mappings, the position is also interpolated between
"sure" pairs the texts give (mutual best matches well ahead of their runner-up, in
order), so an act pair nobody has reviewed still gets order alignment.

The weights and the calibration that turns a score into a probability (ingest.mappings.
calibration) are fitted on the reviewed sets by bench/mappings.py --fit --write, which also
scores them by cross-validation, never on the pairs it fitted on; they ship as
`suggester_model.json` beside this module.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import date
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

# One BLAS thread: the suggester multiplies small matrices (one article against an act), where
# OpenBLAS's worker threads only wait for each other; on 2 busy cores (the server's other
# requests and workers) they made a provision's suggestions 8x slower (23 ms instead of 2.9 ms)
# and a gap analysis 10x slower. Scores are the same to the last bit. Effective only before
# numpy is first imported, which this module is (see `python -X importtime -c "import api.app"`).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from ..articles import Article as ReadArticle, ArticleShelf, is_text_defect, strip_head
from ..index.analysis import STOP_WORDS, fold, terms_of
from ..index.analysis import _TOKEN  # the same tokens the index sees
from ..query import catalog as q
from ..store import GraphStore
from ..text import provision_texts
from .calibration import Calibrator, candidate_rows, load_model
from .model import NO_TERM_FOUND, Mapping

FEATURES = ("text", "title", "position", "chapter", "defined", "context", "mutual", "block", "opening", "text_rel")
# Used only when suggester_model.json is absent; the shipped weights are fitted on the reviewed
# sets (bench/mappings.py --fit --write); cross-validated figures in the README.
_FALLBACK_WEIGHTS = {"text": 0.6, "title": 0.25, "position": 0.2, "chapter": 0.05, "defined": 0.0, "context": 0.0,
                     "mutual": 0.0, "block": 0.0, "opening": 0.0, "text_rel": 0.0}
MODEL = load_model(fallback=_FALLBACK_WEIGHTS)
DEFAULT_WEIGHTS = {f: MODEL.weights.get(f, 0.0) for f in FEATURES}
# "Sure" pairs the texts give, used as anchors where reviewed ones are missing: mutual best
# matches at least this alike and this far ahead of the runner-up on both sides.
SURE_SIMILARITY = 0.5
SURE_LEAD = 0.1
# Mapped neighbours farther than this many articles from the source say nothing of where it lands.
NEIGHBOUR_REACH = 10
# The blend of text and title similarity that "sure" pairs and the mutual feature compare, and how
# fast the mutual feature falls off below the candidate's best source (0 at 1/MUTUAL_SLOPE behind).
TEXT_SHARE = 0.8
MUTUAL_SLOPE = 3.0
# Words that name the state and its bodies: they differ by construction between
# jurisdictions and say nothing about the rule.
JURISDICTION_WORDS = frozenset(
    "российский федерация рф республика беларусь белорусский рб федеральный федеральное "
    "закон законодательство законодательный акт правовой иной настоящий кодекс статья пункт часть".split())
# What a code defines, as both jurisdictions write it: "Заработная плата (оплата труда работника) -
# вознаграждение …" or "должность служащего – род …" opening a line (a paragraph, a list item, after
# "1." or "а)"), "под … понимается", "(далее – …)". The pattern before (any quoted phrase) found no
# defined term in any of the 405 articles of the BY Labour Code and in 12 of 1135 of the BY Civil
# Code: the feature had nothing to weigh.
_DEFINED = re.compile(
    r"(?:^|\n)[ \t]*(?:\d+[.)]|[а-я]\))?[ \t]*(?P<dash>[\w«»\"-]+(?:[ \t]+[\w«»\"-]+){0,5})[ \t]*"
    r"(?:\([^()\n]{1,80}\))?[ \t]+[—–-][ \t]+(?:это[ \t]+)?(?P<def>[^\n]{10})"
    r"|под\s+(?P<under>[\w\s«»\"-]{3,60}?)\s+(?:в\s+настоящ\w+\s+\w+\s+)?понима"
    r"|\(далее\s*[—–-]\s*(?P<later>[^()\n]{3,60})\)")
# "Кража - наказывается …": a sanction after the dash, not a definition
_SANCTION = re.compile(r"(?:наказыва|влеч|карает)", re.I)
# How alike (Jaccard of lemmas) an earlier redaction's line must be to the line that opens a lost
# list for the earlier list to stand in for it ("могут быть расторгнуты" / "может быть расторгнут").
SAME_INTRO = 0.7


@dataclass
class Article:
    """An article of an act as the suggester sees it."""

    iri: str
    eid: str
    label: str
    title: str
    order: int                 # index among the act's articles
    chapter: str               # title of the enclosing chapter or section
    text_terms: Counter
    title_terms: Counter
    chapter_terms: Counter
    defined: frozenset[str]


@dataclass
class Candidate:
    """A target article ranked for a source article, with the evidence behind its score."""

    iri: str
    label: str
    title: str
    score: float
    features: dict[str, float]
    evidence: dict = field(default_factory=dict)
    # calibrated P(this candidate is a real counterpart); None without a shipped calibration
    probability: float | None = None

    def as_dict(self) -> dict:
        """The candidate as the API and the CLI show it (scores rounded to 4 places)."""
        return {"iri": self.iri, "label": self.label, "title": self.title, "score": round(self.score, 4),
                "probability": None if self.probability is None else round(self.probability, 4),
                "evidence": {**{k: round(v, 4) for k, v in self.features.items()}, **self.evidence}}


# A pure function of the word (the analysis and the word lists are fixed at import): safe to
# cache process-wide.
@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str | None:
    w = fold(word)
    if w in STOP_WORDS or w[0].isdigit():
        return None
    lemma = terms_of(w)[0]
    return None if lemma in JURISDICTION_WORDS or len(lemma) < 2 else lemma


def lemmas(text: str) -> Counter:
    """Bag of lemmas of a text (stop words, numbers and jurisdiction names left out)."""
    out: Counter = Counter()
    for m in _TOKEN.finditer(text):
        lemma = _lemma(m.group())
        if lemma:
            out[lemma] += 1
    return out


def _defined_terms(text: str) -> frozenset[str]:
    """The terms a text defines (see _DEFINED), each as its sorted lemmas."""
    terms = set()
    for m in _DEFINED.finditer(text):
        if m.group("dash") and _SANCTION.match(m.group("def")):
            continue
        key = " ".join(sorted(lemmas(m.group("dash") or m.group("under") or m.group("later"))))
        if key:
            terms.add(key)
    return frozenset(terms)


def is_cut(d: "ReadArticle") -> bool:
    """Whether the source lost the list items of the article (its text stops at their colon)."""
    return d.text.rstrip().endswith(":") and any(is_text_defect(x) for x in d.defects)


def list_after(cut: str, earlier: str) -> str:
    """The list items that follow, in `earlier` (an earlier redaction's text of the article), the
    line opening the list that `cut` lost (its last line), when that line is there worded alike."""
    intro = set(lemmas(cut.rstrip().rsplit("\n", 1)[-1]))
    if not intro:
        return ""
    lines = earlier.split("\n")
    best, at = 0.0, -1
    for n, line in enumerate(lines[:-1]):
        if line.rstrip().endswith(":"):
            words = set(lemmas(line))
            share = len(intro & words) / len(intro | words)
            if share > best:
                best, at = share, n
    return "\n".join(lines[at + 1:]).strip() if best >= SAME_INTRO else ""


# Bumped whenever `lemmas` or `_defined_terms` would give other bags for the same text.
BAGS_VERSION = "2"


class BagCache:
    """The lemma bags of an act's articles on disk, keyed by a digest of exactly the text they
    were made from: lemmatising a code takes ~0.5 s of pymorphy per act on every start (the
    cold gap analysis waited for it); reading them back takes milliseconds. A changed redaction
    has another digest, so a cached entry is never stale; `root` None keeps nothing."""

    def __init__(self, root: Path | None):
        self.root = root

    @staticmethod
    def key(read: "list[ReadArticle]", extra: str = "") -> str:
        """The digest of the texts (and of `extra`: what else the bags were made from)."""
        h = hashlib.sha256(f"bags {BAGS_VERSION} {extra}".encode())
        for d in read:
            h.update("\x1f".join((d.iri, d.title, d.chapter_title or "", d.text)).encode("utf-8"))
            h.update(b"\x1e")
        return h.hexdigest()

    def get(self, key: str) -> list | None:
        """The bags stored under `key`, or None (absent or unreadable: they are made again)."""
        if self.root is None:
            return None
        try:
            return json.loads((self.root / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, bags: list) -> None:
        """Keep `bags` under `key` (written to a temporary file, then renamed: readers never see
        half a file); a read-only or full disk only costs the next start its time."""
        if self.root is None:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(bags, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.root / f"{key}.json")
        except OSError:
            pass


def _bags(d: "ReadArticle") -> list:
    return [lemmas(d.text), lemmas(d.title), lemmas(d.chapter_title or ""), sorted(_defined_terms(d.text))]


class ActProfile:
    """The in-force articles of one act (latest redaction) with their vectors."""

    def __init__(self, work: str, read: "list[ReadArticle]", cache: BagCache | None = None,
                 complete: "Callable[[list[ReadArticle]], list[ReadArticle]] | None" = None, made_from: str = ""):
        """`complete`: gives `read` with what its source lost restored (only when its bags are
        not in `cache`); `made_from`: what, besides `read`'s texts, that restoring reads (the
        cache key)."""
        self.work = work
        self.articles: list[Article] = []
        key = BagCache.key(read, made_from) if cache is not None else ""
        stored = cache.get(key) if cache is not None else None
        if stored is not None and len(stored) == len(read):
            bags = stored
        else:
            bags = [_bags(d) for d in (complete(read) if complete is not None else read)]
            if cache is not None:
                cache.put(key, bags)
        for i, (d, (text, title, chapter, defined)) in enumerate(zip(read, bags)):
            self.articles.append(Article(
                iri=d.iri, eid=d.eid, label=d.label, title=d.title, order=i, chapter=d.chapter_title or d.chapter,
                text_terms=Counter(text), title_terms=Counter(title), chapter_terms=Counter(chapter),
                defined=frozenset(defined)))
        self.by_iri = {a.iri: a for a in self.articles}


def _tfidf(bags: list[Counter], vocab: dict[str, int], idf: np.ndarray) -> np.ndarray:
    m = np.zeros((len(bags), len(vocab)), dtype=np.float32)
    for i, bag in enumerate(bags):
        for term, n in bag.items():
            j = vocab.get(term)
            if j is not None:
                m[i, j] = (1 + math.log(n)) * idf[j]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return m / norms


class PairModel:
    """Vectors of two acts in one vocabulary, ready to score source -> target."""

    def __init__(self, source: ActProfile, target: ActProfile):
        self.source, self.target = source, target
        arts = source.articles + target.articles
        self.mats = {}
        for name, attr in (("text", "text_terms"), ("title", "title_terms"), ("chapter", "chapter_terms")):
            bags = [getattr(a, attr) for a in arts]
            df = Counter(t for b in bags for t in b)
            vocab = {t: i for i, t in enumerate(sorted(df))}
            idf = np.array([math.log((1 + len(bags)) / (1 + df[t])) + 1 for t in sorted(df)], dtype=np.float32)
            self.mats[name] = (_tfidf([getattr(a, attr) for a in source.articles], vocab, idf),
                               _tfidf([getattr(a, attr) for a in target.articles], vocab, idf))
        self.n_target = len(target.articles)
        self.block_s, self.opens_s = _blocks(source.articles)
        self.block_t, self.opens_t = _blocks(target.articles)
        self._sure: list[tuple[int, int]] | None = None
        self._sure_all: list[tuple[int, int]] = []     # the sure pairs, crossing ones included
        self._sims: dict[str, np.ndarray] = {}
        self.use_sure = True        # the bench turns it off to measure what sure pairs give

    def sims(self, name: str) -> np.ndarray:
        """Cosine similarity of every source article to every target article (sources x targets)
        for "text", "title" or "chapter": one matrix product per pair of acts (about 0.3 s for the
        two civil codes), after which a query's features are rows of it."""
        if name not in self._sims:
            s, t = self.mats[name]
            self._sims[name] = s @ t.T
        return self._sims[name]

    def blend(self) -> np.ndarray:
        """Text and title similarity blended (sources x targets)."""
        if "blend" not in self._sims:
            self._sims["blend"] = TEXT_SHARE * self.sims("text") + (1 - TEXT_SHARE) * self.sims("title")
        return self._sims["blend"]

    def mutual(self) -> np.ndarray:
        """For each (source, target): 1 - MUTUAL_SLOPE x (the target's best blend over all sources -
        this source's blend), clipped to [0, 1] (sources x targets)."""
        if "mutual" not in self._sims:
            b = self.blend()
            best = b.max(axis=0, keepdims=True) if b.size else b
            self._sims["mutual"] = np.clip(1 - (best - b) * MUTUAL_SLOPE, 0, 1).astype(np.float32)
        return self._sims["mutual"]

    def sure_pairs(self) -> list[tuple[int, int]]:
        """(source order, target order) of the pairs the texts alone make sure of, in order:
        mutual best matches (text and title) clearly ahead of their runner-ups."""
        if self._sure is None:
            sim = self.blend()
            pts = []
            if sim.size and min(sim.shape) > 1:
                best_t = sim.argmax(axis=1)
                best_s = sim.argmax(axis=0)
                top2_row = -np.partition(-sim, 1, axis=1)[:, :2]
                top2_col = -np.partition(-sim, 1, axis=0)[:2, :]
                for i, j in enumerate(best_t):
                    if best_s[j] == i and sim[i, j] >= SURE_SIMILARITY and \
                            top2_row[i, 0] - top2_row[i, 1] >= SURE_LEAD and top2_col[0, j] - top2_col[1, j] >= SURE_LEAD:
                        pts.append((i, int(j)))
            self._sure_all = pts
            self._sure = _increasing(pts)
        return self._sure

    def _with_sure(self, i: int, anchors: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`anchors` and, between them, the sure pairs that agree with them (never source i's own)."""
        if not self.use_sure:
            return anchors
        xs = [a for a, _ in anchors]
        taken = set(xs)
        extra = []
        for x, y in self.sure_pairs():
            if x == i or x in taken:
                continue
            k = bisect_left(xs, x)
            if (k == 0 or anchors[k - 1][1] < y) and (k == len(anchors) or y < anchors[k][1]):
                extra.append((x, y))
        return sorted(anchors + extra) if extra else anchors

    def context(self, i: int) -> np.ndarray:
        """For each target j: mean text similarity of (i-1, j-1) and (i+1, j+1)."""
        sim = self.sims("text")
        out = np.zeros(self.n_target, dtype=np.float32)
        n = 0
        if i > 0:
            out[1:] += sim[i - 1, :-1]
            n += 1
        if i + 1 < len(self.source.articles):
            out[:-1] += sim[i + 1, 1:]
            n += 1
        return out / max(1, n)

    def features(self, src: Article, anchors: list[tuple[int, int]]) -> np.ndarray:
        """Feature matrix (targets x FEATURES) for one source article."""
        i = src.order
        cols = []
        for name in ("text", "title"):
            cols.append(self.sims(name)[i])
        cols.append(self.position(i, anchors))
        cols.append(self.sims("chapter")[i])
        if src.defined:
            cols.append(np.array([len(src.defined & a.defined) / len(src.defined | a.defined) if a.defined else 0.0
                                  for a in self.target.articles], dtype=np.float32))
        else:
            cols.append(np.zeros(self.n_target, dtype=np.float32))
        cols.append(self.context(i))
        cols.append(self.mutual()[i])
        cols.append(self.block_votes(i, anchors))
        cols.append(self.opens_t if self.opens_s[i] else np.zeros(self.n_target, dtype=np.float32))
        cols.append(relative(cols[0]))
        return np.stack(cols, axis=1)

    def _placed_points(self, anchors: list[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]]]:
        """Every accepted pair (crossing ones included) and, for source articles none is accepted
        for, the sure pairs the texts give; sorted, with their x: the same for every source
        article of one set of anchors, so made once per Anchors."""
        key = (id(self), self.use_sure)
        kept = getattr(anchors, "_placed", None)
        if kept is None or kept[0] != key:
            pts = sorted(getattr(anchors, "points", anchors))
            if self.use_sure:
                self.sure_pairs()
                taken = {x for x, _ in pts}
                pts = sorted(pts + [p for p in self._sure_all if p[0] not in taken])
            kept = (key, [x for x, _ in pts], pts)
            if isinstance(anchors, Anchors):
                anchors._placed = kept      # the same for every source article: made once
        return kept[1], kept[2]

    def block_votes(self, i: int, anchors: list[tuple[int, int]]) -> np.ndarray:
        """For each target: the share of the mapped articles of source article i's chapter (its
        run of articles under one chapter title; i itself left out) whose counterparts stand in
        the target's chapter. Codes move whole chapters (the BY Labour Code puts pay before
        working time, the BY Constitution its courts and prosecutors in other sections): where
        the chapter's other articles went, the article most likely went too."""
        xs, pts = self._placed_points(anchors)
        b = self.block_s[i]
        # the source chapter's articles are contiguous: their pairs are one slice of the sorted points
        start, end = np.searchsorted(self.block_s, b, "left"), np.searchsorted(self.block_s, b, "right")
        lo, hi = bisect_left(xs, int(start)), bisect_left(xs, int(end))
        ys = [y for x, y in pts[lo:hi] if x != i]
        if not ys or not self.n_target:
            return np.zeros(self.n_target, dtype=np.float32)
        votes = np.bincount(self.block_t[ys], minlength=int(self.block_t[-1]) + 1).astype(np.float32)
        return votes[self.block_t] / len(ys)

    def position(self, i: int, anchors: list[tuple[int, int]]) -> np.ndarray:
        """The position feature of source article i (one value per target): within ~10 articles
        of where the monotone anchors say it should land, or of where the counterparts of its
        nearest mapped neighbours stand, whichever is nearer."""
        idx = np.arange(self.n_target, dtype=np.float32)
        pos = np.exp(-np.abs(idx - self.expected_position(i, self._with_sure(i, anchors))) / 10.0)
        for near in self.neighbour_positions(i, anchors):
            pos = np.maximum(pos, np.exp(-np.abs(idx - near) / 10.0))
        return pos

    def neighbour_positions(self, i: int, anchors: list[tuple[int, int]]) -> list[float]:
        """Where source article i lands beside the counterparts of its nearest mapped neighbour
        on either side (y + i - x for each pair (x, y) of theirs), at most NEIGHBOUR_REACH
        articles away. Every accepted pair counts, also those the monotone anchors leave out
        as crossing (`Anchors.points`), and the sure pairs the texts give where none is
        accepted: a block of articles the other code moved elsewhere is found by its neighbours
        even though the line through the anchors does not pass there."""
        xs, pts = self._placed_points(anchors)
        below, above = bisect_left(xs, i) - 1, bisect_right(xs, i)     # i's own pairs skipped
        out = []
        if below >= 0 and i - xs[below] <= NEIGHBOUR_REACH:
            out += [float(y + i - x) for x, y in pts[bisect_left(xs, xs[below]):below + 1]]
        if above < len(xs) and xs[above] - i <= NEIGHBOUR_REACH:
            out += [float(y + i - x) for x, y in pts[above:bisect_right(xs, xs[above])]]
        return out

    def expected_position(self, i: int, anchors: list[tuple[int, int]]) -> float:
        """Where source article i should land in the target, between the nearest anchors."""
        n_src = len(self.source.articles)
        if not anchors:
            return i / max(1, n_src - 1) * (self.n_target - 1)
        xs = [a for a, _ in anchors]
        k = bisect_left(xs, i)
        if k < len(anchors) and xs[k] == i:
            return float(anchors[k][1])
        if k == 0:
            x1, y1 = anchors[0]
            return max(0.0, y1 - (x1 - i))
        if k == len(anchors):
            x0, y0 = anchors[-1]
            return min(self.n_target - 1.0, y0 + (i - x0))
        (x0, y0), (x1, y1) = anchors[k - 1], anchors[k]
        return y0 + (y1 - y0) * (i - x0) / (x1 - x0)

    def anchors_from(self, pairs: list[tuple[str, str]], exclude: str | None = None) -> list[tuple[int, int]]:
        """Monotone anchors (source order, target order) from accepted mapping pairs."""
        pts = sorted({(self.source.by_iri[s].order, self.target.by_iri[o].order) for s, o in pairs
                      if s != exclude and s in self.source.by_iri and o in self.target.by_iri})
        # keep the longest increasing run so a crossing pair does not bend the line (the others
        # still place their neighbours: `neighbour_positions`)
        return Anchors(_increasing(pts), pts)

    def rank(self, src: Article, anchors: list[tuple[int, int]], weights: dict[str, float],
             k: int = 5, calibrator: Calibrator | None = None) -> list[Candidate]:
        """The k best target articles for `src` under `weights`, best first, with their evidence
        and the probability `calibrator` (default: the shipped one) gives each."""
        feats = self.features(src, anchors)
        w = np.array([weights[f] for f in FEATURES], dtype=np.float32)
        scores = feats @ w
        top = np.argsort(-scores)[:k]
        cal = calibrator or MODEL.calibrator
        probs = cal.probabilities(candidate_rows(scores, feats, top, len(anchors))) if cal is not None else None
        out = []
        for n_, j in enumerate(top):
            a = self.target.articles[int(j)]
            shared = [t for t, _ in (src.text_terms & a.text_terms).most_common(10)]
            out.append(Candidate(
                iri=a.iri, label=a.label, title=a.title, score=float(scores[j]),
                features={f: float(feats[j, n]) for n, f in enumerate(FEATURES)},
                evidence={"shared_lemmas": shared, "shared_defined_terms": sorted(src.defined & a.defined),
                          "source_chapter": src.chapter, "target_chapter": a.chapter,
                          "anchors": len(anchors)},
                probability=None if probs is None else float(probs[n_])))
        return out


def relative(text: np.ndarray) -> np.ndarray:
    """The text similarity as a share of the best the source reaches in the target act (the
    "text_rel" feature): cosines run lower between codes that word things differently (the
    constitutions) than between close ones (the civil codes); the share ranks alike in both."""
    top = float(text.max()) if text.size else 0.0
    return (text / top).astype(np.float32) if top > 0 else np.zeros_like(text, dtype=np.float32)


def _blocks(articles: list[Article]) -> tuple[np.ndarray, np.ndarray]:
    """(chapter number of each article, 1.0 where an article opens its chapter): a chapter is a
    run of consecutive articles under one chapter title (codes repeat "Общие положения")."""
    block = np.zeros(len(articles), dtype=np.int64)
    opens = np.zeros(len(articles), dtype=np.float32)
    k = -1
    for n, a in enumerate(articles):
        if n == 0 or a.chapter != articles[n - 1].chapter:
            k += 1
            opens[n] = 1.0
        block[n] = k
    return block, opens


class Anchors(list):
    """The monotone anchors (source order, target order), a list as before, and in `points`
    every accepted pair they were chosen from, crossing ones included."""

    def __init__(self, monotone: list[tuple[int, int]], points: list[tuple[int, int]]):
        super().__init__(monotone)
        self.points = points
        self._placed: tuple | None = None      # PairModel.neighbour_positions' sorted points


def _increasing(pts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pts` (sorted by x) whose y increases too."""
    best: list[tuple[int, int]] = []
    tails: list[int] = []
    prev: list[int] = []
    idx_at: list[int] = []
    for n, (_, y) in enumerate(pts):
        k = bisect_left(tails, y)
        if k == len(tails):
            tails.append(y)
            idx_at.append(n)
        else:
            tails[k] = y
            idx_at[k] = n
        prev.append(idx_at[k - 1] if k else -1)
    n = idx_at[-1] if idx_at else -1
    while n >= 0:
        best.append(pts[n])
        n = prev[n]
    return best[::-1]


class Suggester:
    """Suggestions over a store, with act profiles cached per act redaction."""

    def __init__(self, store: GraphStore, bag_dir: Path | None = None):
        """`bag_dir`: where lemma bags are kept between runs (BagCache); None keeps them in memory only."""
        self.store = store
        self.bags = BagCache(bag_dir)
        self.articles = ArticleShelf(store)     # the gap analysis reads the same shelf
        self._profiles: dict[tuple[str, str], ActProfile] = {}
        self._pairs: dict[tuple[str, str], PairModel] = {}
        self._latest_seen: tuple[object, dict[str, str]] = (None, {})

    def _latest(self, work: str) -> str:
        """The act's latest redaction date, read once per data token (a search page asks for
        its acts' pairs several times; over a remote store each read is a round trip)."""
        token_of = getattr(self.store, "data_token", None)
        token = token_of() if token_of is not None else None
        seen_token, dates = self._latest_seen
        if token is None or token != seen_token:
            dates = {}
            if token is not None:
                self._latest_seen = (token, dates)
        if work not in dates:
            rows = q.select(self.store, "latest_redaction_date", work=work)
            dates[work] = rows[0].get("d", "") if rows else ""
        return dates[work]

    def profile(self, work: str) -> ActProfile:
        """The act's profile, rebuilt when its latest redaction changes."""
        key = (work, self._latest(work))
        if key not in self._profiles:
            read = self.articles.latest(work)
            earlier = self._earlier(work) if any(is_cut(d) for d in read) else []
            self._profiles[key] = ActProfile(
                work, read, self.bags, complete=(lambda r: self.completed(work, r, earlier)) if earlier else None,
                made_from=" ".join(f"{e}={fp}" for e, fp in earlier))
        return self._profiles[key]

    def _earlier(self, work: str) -> list[tuple[str, str]]:
        """(expression, build fingerprint) of the act's redactions before the latest, newest first."""
        fps = {r["e"]: r["fp"] for r in q.select(self.store, "build_fingerprints")}
        return [(r["e"], fps.get(r["e"], "")) for r in q.select(self.store, "act_redactions", work=work)[1:]]

    def completed(self, work: str, read: "list[ReadArticle]",
                  earlier: list[tuple[str, str]]) -> "list[ReadArticle]":
        """`read` with the list items its source lost (`is_cut`) taken from the newest of the
        `earlier` redactions whose line opening the list reads alike (`list_after`). Only the
        suggester's evidence reads them (held-out top-1 +0.6 points, +1.2 where titles differ:
        7 of the 48 misses before had a counterpart cut so, bench/mappings.py)."""
        cut = {d.eid: d for d in read if is_cut(d)}
        found: dict[str, str] = {}
        for e, _ in earlier:
            for eid, text in provision_texts(self.store, work, e, set(cut) - set(found)).items():
                rest = list_after(cut[eid].text, strip_head(text))
                if rest:
                    found[eid] = f"{cut[eid].text.rstrip()}\n{rest}"
            if len(found) == len(cut):
                break
        return [replace(d, text=found[d.eid]) if d.eid in found else d for d in read]

    def pair(self, source_work: str, target_work: str) -> PairModel:
        """The two acts' vectors in one vocabulary (kept while both profiles are)."""
        s, t = self.profile(source_work), self.profile(target_work)
        key = (id(s), id(t))
        if key not in self._pairs:
            self._pairs[key] = PairModel(s, t)
        return self._pairs[key]

    def accepted_pairs(self, source_work: str, target_work: str) -> list[tuple[str, str]]:
        """(source, target) article pairs of the accepted mappings between the two acts, either way."""
        rows = q.select(self.store, "accepted_article_pairs", source=source_work, target=target_work)
        rows += [{"s": r["o"], "o": r["s"]}
                 for r in q.select(self.store, "accepted_article_pairs", source=target_work, target=source_work)]
        return [(r["s"], r["o"]) for r in rows]

    def suggest(self, source_iri: str, source_work: str, target_work: str, k: int = 5,
                weights: dict[str, float] | None = None,
                pairs: list[tuple[str, str]] | None = None) -> list[Candidate]:
        """Top-k counterparts of an article (or of the article holding a provision). `pairs`: the
        accepted (source, target) pairs to anchor on, when the caller has them (else read here)."""
        model = self.pair(source_work, target_work)
        article_iri = source_iri
        while article_iri not in model.source.by_iri and "__" in article_iri:
            article_iri = article_iri.rsplit("__", 1)[0]
        src = model.source.by_iri.get(article_iri)
        if src is None:
            raise KeyError(f"{source_iri} is not an article in force of {source_work} (nor inside one)")
        if pairs is None:
            pairs = self.accepted_pairs(source_work, target_work)
        anchors = model.anchors_from(pairs, exclude=src.iri)
        return model.rank(src, anchors, weights or DEFAULT_WEIGHTS, k)

    def suggest_many(self, source_iris: list[str], source_work: str, target_work: str, k: int = 1,
                     weights: dict[str, float] | None = None,
                     pairs: list[tuple[str, str]] | None = None) -> dict[str, list[Candidate]]:
        """Suggestions for many articles of one act, anchors computed once (`pairs` as in `suggest`)."""
        model = self.pair(source_work, target_work)
        if pairs is None:
            pairs = self.accepted_pairs(source_work, target_work)
        anchors = model.anchors_from(pairs)
        out = {}
        for iri in source_iris:
            src = model.source.by_iri.get(iri)
            if src is not None:
                out[iri] = model.rank(src, anchors, weights or DEFAULT_WEIGHTS, k)
        return out

    def propose_set(self, source_work: str, target_work: str, min_score: float = 0.35,
                    weights: dict[str, float] | None = None, author: str = "",
                    reviewed: frozenset[str] | None = None,
                    pairs: list[tuple[str, str]] | None = None) -> list[Mapping]:
        """A `proposed` mapping for every in-force source article not in `reviewed`: its best
        candidate (and every other of its top 5 whose calibrated probability reaches
        PROPOSE_MIN_PROBABILITY: an article split over several) with the calibrated probability
        as confidence, or no counterpart when that
        probability is under PROPOSE_MIN_PROBABILITY (without a shipped calibration: the score
        under `min_score`). Never `accepted`: a machine proposal is not a review. `pairs`: the
        accepted pairs used as anchors (default: read from the store); `reviewed` defaults to
        their source articles, so a proposal never stands beside a reviewed mapping."""
        model = self.pair(source_work, target_work)
        pairs = self.accepted_pairs(source_work, target_work) if pairs is None else pairs
        reviewed = frozenset(a for a, _ in pairs) if reviewed is None else reviewed
        anchors = model.anchors_from(pairs)
        w = weights or DEFAULT_WEIGHTS
        out = []
        for src in model.source.articles:
            if src.iri in reviewed:
                continue
            cands = model.rank(src, anchors, w, 5)
            best = proposal(src, cands, w, min_score, author)
            out.append(best)
            if not best.no_counterpart:
                # an article split over two or more: every further candidate as likely as not
                out += [proposal(src, [c], w, min_score, author) for c in cands[1:]
                        if c.probability is not None and c.probability >= PROPOSE_MIN_PROBABILITY]
        return out


# A proposal's best candidate below this calibrated probability is no counterpart.
PROPOSE_MIN_PROBABILITY = 0.5


def proposal(src: Article, cands: list[Candidate], weights: dict[str, float], min_score: float = 0.35,
             author: str = "") -> Mapping:
    """The proposed mapping of `src` from its ranked candidates (best first).

    The relation claimed is the weakest real one, `intersects_with`, unless the texts and titles
    are the same (then `equal`, harmonization unified): a machine cannot tell "суд может возложить"
    from "гражданин вправе требовать", a reviewer can. Justification: semapv:LexicalMatching
    when the text and title similarity carry the score, semapv:CompositeMatching when position,
    chapter or context did."""
    best = cands[0]
    p = best.probability
    has = p >= PROPOSE_MIN_PROBABILITY if p is not None else best.score >= min_score
    f = best.features
    lexical = sum(weights.get(k, 0) * f.get(k, 0.0) for k in ("text", "title", "text_rel"))
    same = f["text"] > 0.97 and f["title"] > 0.99
    relation = ("equal" if same else "intersects_with") if has else None
    none_p = max(0.0, 1.0 - sum(c.probability or 0.0 for c in cands))     # no counterpart among the top 5
    ref = best.iri.rsplit("/", 1)[-1]
    if has:
        comment = (f"machine proposal, not reviewed: P {p:.2f}; text {f['text']:.2f}, title {f['title']:.2f}, "
                   f"position {f['position']:.2f}" if p is not None else
                   f"machine proposal, not reviewed: score {best.score:.2f}; text {f['text']:.2f}, title {f['title']:.2f}")
    else:
        comment = (f"machine proposal, not reviewed: no candidate likely enough (best {ref}, P {p:.2f})"
                   if p is not None else f"no candidate above {min_score} (best {ref} {best.score:.2f})")
    confidence = (p if has else none_p) if p is not None else min(1.0, max(0.0, best.score))
    return Mapping(
        subject=src.iri, object=best.iri if has else NO_TERM_FOUND, relation=relation,
        harmonization="unified" if same and has else "harmonized" if has else "divergent",
        confidence=round(confidence, 3), author=author, mapping_date=date.today().isoformat(),
        justification="semapv:LexicalMatching" if has and lexical >= 0.8 * best.score else "semapv:CompositeMatching",
        lifecycle="proposed", comment=comment,
        subject_label=f"{src.label}. {src.title}".strip(". "),
        object_label=(f"{best.label}. {best.title}".strip(". ") if has else None))
