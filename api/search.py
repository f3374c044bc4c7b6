"""Search as lawyers use it: citations first, then ranked text hits, one line per article.

The backend returns documents; this layer resolves citations, collapses parts
into their article (the best-scoring document of an article stands for it),
reorders them by meaning too (dense retrieval, ingest/index/semantic.py: "переработки
оплачиваются в двойном размере" finds "Оплата сверхурочной работы"; on both backends
alike, LEXMAP_SEARCH_SEMANTIC=0 turns it off) and by a fitted model over whole-article
features (ingest/index/rerank.py; LEXMAP_SEARCH_RERANK=0 turns it off), pages, highlights
and counts facets.
Bad requests raise SearchError (a 4xx).
"""
from __future__ import annotations

import html
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from collections.abc import Callable
from typing import Any, NamedTuple

from ingest.index.analysis import fold, terms_of
from ingest.index.backend import Filters, Hit, SearchBackend
from ingest.index.derived import PerIndex
from ingest.index.querylang import (MAX_DEPTH, Node, QueryError, Thesaurus, all_terms, check_text,  # noqa: F401
                                     parse, rewrites_of)
from ingest.index.understand import Expansion, Understanding, Understood, correct_word, replace_words
from ingest.config import env_flag
from ingest.identifiers import eli_of
from ingest.query import catalog as q
from ingest.store import GraphStore

from . import citations, snippet_table
from .snippets import _BLANKS, SNIPPET_WORDS, Highlighter, snippet, snippet_source, warm_vocabulary  # noqa: F401

MAX_LIMIT = 100
MAX_OFFSET = 1000
STATUSES = ("in_force", "repealed", "excluded")
# A chapter of a code opens with its general rules (the concept, the general
# term) and goes on to special cases: between equally good matches, the article
# earlier in its chapter is usually the one a lawyer looks for.
# Score x (1 + PRIOR x (1 - position in chapter)).
POSITION_PRIOR = 0.25


class SearchError(ValueError):
    """A request that cannot be answered as asked: the message says why and what to do."""


@dataclass(frozen=True)
class Request:
    q: str
    jurisdiction: tuple[str, ...] = ()
    act: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    status: tuple[str, ...] = ("in_force",)
    date: str | None = None
    limit: int = 10
    offset: int = 0
    max_depth: int = MAX_DEPTH   # nesting allowed in the query language (Limits.query_max_depth)


def known_values(store: GraphStore) -> dict[str, Any]:
    """Acts, jurisdictions and types the store holds (sets, what filters may name) and the acts
    a citation may name ("citable": citations.read_acts; ~10 ms to read, so a citation in a
    query no longer reads them): the app context keeps it per ingest."""
    rows = q.select(store, "known_values")
    return {"act": {r["id"] for r in rows}, "jurisdiction": {r["j"] for r in rows}, "type": {r["t"] for r in rows},
            "citable": citations.read_acts(store)}


def make_filters(store: GraphStore, req: Request, aliases: dict[str, str] | None = None,
                 known: dict[str, Any] | None = None) -> Filters:
    """Check every filter value against what the store holds; SearchError names the bad one."""
    known = known if known is not None else known_values(store)
    acts = tuple((aliases or {}).get(a, a).strip("/") for a in req.act)
    for name, values in (("jurisdiction", req.jurisdiction), ("act", acts), ("type", req.type)):
        bad = [v for v in values if v not in known[name]]
        if bad:
            raise SearchError(f"unknown {name} {bad[0]!r}; known: {', '.join(sorted(known[name]))}")
    statuses = req.status
    if "all" in statuses:
        statuses = ()
    elif any(s not in STATUSES for s in statuses):
        bad = next(s for s in statuses if s not in STATUSES)
        raise SearchError(f"unknown status {bad!r}; use one of {', '.join(STATUSES)} or all")
    as_of = None
    if req.date:
        try:
            as_of = int(date.fromisoformat(req.date).strftime("%Y%m%d"))
        except ValueError:
            raise SearchError(f"date {req.date!r} is not a date; write it as YYYY-MM-DD") from None
    if not 1 <= req.limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= req.offset <= MAX_OFFSET:
        raise SearchError(f"offset must be between 0 and {MAX_OFFSET}; narrow the query with filters instead")
    return Filters(jurisdictions=req.jurisdiction, acts=acts, types=req.type, statuses=statuses, as_of=as_of)


def _result(hit: Hit, highlight: Highlighter, cited: bool = False) -> dict:
    d = hit.doc
    source = snippet_source(d)
    return {
        "iri": d["iri"], "act": d["act"], "act_title": d["act_title"], "jurisdiction": d["jurisdiction"],
        "kind": d["kind"], "number": d["number"] or None, "label": d["label"] or None,
        "title": d["title"] or None, "status": d["status"], "path": d["path"], "redaction": d["version"],
        "article": {"iri": d["article"], "label": d["article_label"]},
        "snippet": (highlight(source, d["id"]) if not cited or highlight.terms
                    else html.escape(_BLANKS.sub(" ", source[:300]))),
        "score": round(hit.score, 4), "citation": cited,
    }


def resolve_citation(store: GraphStore, cite: str, jurisdictions: tuple[str, ...] = (),
                     acts: tuple[str, ...] = (), citable: list[dict] | None = None) -> list[citations.Resolved]:
    """Every citation in `cite`, resolved (for /resolve; `citable`: known_values' "citable")."""
    check_text(cite)
    return [citations.resolve(store, c, jurisdictions, acts, citable) for c in citations.find(cite)]


class InvalidCitation(SearchError):
    """A citation text that cannot be read (400)."""


class CitationNotFound(SearchError):
    """A citation text that names nothing in the store (404); `citations` says what was read."""

    def __init__(self, title: str, detail: str, citations: list[dict] | None = None):
        super().__init__(detail)
        self.title, self.citations = title, citations


def citation_answer(store: GraphStore, cite: str, jurisdictions: tuple[str, ...] = (),
                    citable: list[dict] | None = None) -> dict:
    """What GET /resolve and the MCP tool answer: each citation of `cite` with the IRIs and ELI
    paths it names. InvalidCitation when the text cannot be read, CitationNotFound when it holds no
    citation or its citations name nothing (with the reasons)."""
    try:
        found = resolve_citation(store, cite, jurisdictions, citable=citable)
    except QueryError as exc:
        raise InvalidCitation(str(exc)) from None
    if not found:
        raise CitationNotFound("No citation", f"no citation found in {cite[:200]!r}; write it as 'ст. 196 ГК РФ' "
                                              "or 'ч. 2 ст. 81 ТК РФ'")
    body = [{"text": r.citation.text, "iris": r.iris, "eli": [eli_of(i) for i in r.iris], "notes": r.notes}
            for r in found]
    if not any(r.iris for r in found):
        raise CitationNotFound("Citation names nothing", "; ".join(n for r in found for n in r.notes), body)
    return {"cite": cite, "citations": body, "iris": [i for b in body for i in b["iris"]],
            "eli": [e for b in body for e in b["eli"]]}


_COUNTING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexmap-facets")


class _InFlight:
    """How many searches this process is answering now. Counting and the dense cosines run
    beside the ranking only when this one is alone: then the answer waits for the longer of
    them, not the sum; when others run too, the cores are busy with them anyway and handing
    work to another thread only adds its cost (~0.3 ms of CPU per query, measured interleaved
    on 1,200 heading queries from four threads)."""

    def __init__(self) -> None:
        self.n, self.lock = 0, threading.Lock()

    def __enter__(self) -> bool:
        with self.lock:
            self.n += 1
            return self.n == 1

    def __exit__(self, *exc) -> None:
        with self.lock:
            self.n -= 1


_IN_FLIGHT = _InFlight()


class _Done:
    """A value computed at once, read like the Future of a thread's work."""

    def __init__(self, fn, *args) -> None:
        try:
            self.value, self.error = fn(*args), None
        except Exception as exc:  # noqa: BLE001 - raised again where the result is read, as a Future does
            self.value, self.error = None, exc

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value
_PARSED: dict[tuple, tuple] = {}       # (id of thesaurus, text, depth) -> (thesaurus, node)
_PARSED_MAX = 2048
_PARSED_LOCK = threading.Lock()


_PARENS = re.compile(r"[()]")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT)\b|[|&\"*]|(?:^|\s)-")


def _pasted(text: str) -> bool:
    """Words with a stray parenthesis and no operator, as when a heading is pasted cut short
    ("Отвод секретаря судебного заседания (секретаря судебного"): its parentheses group nothing
    and are read as blanks. A query with operators, or opening with "(", means its grouping:
    an unbalanced one is still refused with where it opened."""
    return not text.lstrip().startswith("(") and not _OPERATORS.search(text)


def parsed(text: str, thesaurus: Thesaurus | None, max_depth: int) -> Node | None:
    """parse(), remembered per (text, thesaurus, depth): the same words asked again (the next
    page, a popular query) are not analysed again. QueryError as parse() raises it, except for
    a stray parenthesis in plain words (`_pasted`), read as a blank."""
    key = (id(thesaurus), text, max_depth)
    hit = _PARSED.get(key)
    if hit is not None and hit[0] is thesaurus:
        return hit[1]
    try:
        node = parse(text, thesaurus, max_depth)
    except QueryError as exc:
        if not (str(exc).startswith(("unbalanced parenthesis", "unexpected ')'")) and _pasted(text)):
            raise
        node = parse(_PARENS.sub(" ", text), thesaurus, max_depth)
    with _PARSED_LOCK:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = (thesaurus, node)
    return node


# Query understanding (question words, typos, "did you mean"); bench/search.py turns it off to
# measure what it costs.
UNDERSTAND = True
_UNDERSTANDING: PerIndex[Understanding] = PerIndex()
# A query answered by fewer articles than this is worth a "did you mean" check.
FEW_HITS = 3
# ... and a rare word's correction is suggested when it is in this many times more documents.
SUGGEST_RATIO = 20


def expansion_enabled() -> bool:
    """Whether query words are expanded by word vectors (LEXMAP_SEARCH_EXPANSION=1)."""
    return env_flag("LEXMAP_SEARCH_EXPANSION", False)


def understanding(backend: SearchBackend) -> Understanding:
    """The query understanding over this backend's vocabulary, kept while the index stays
    the same (an ingest that commits starts it afresh)."""
    def build(old: Understanding | None) -> Understanding:
        expansion = None
        if expansion_enabled():
            expansion = old.expansion if old is not None and old.expansion is not None else \
                Expansion(backend.vocabulary(min_df=3))
        return Understanding(backend.doc_freq, expansion)
    return _UNDERSTANDING.get(backend, build)


def _suggestion(backend: SearchBackend, req: Request, node: Node | None, understood, filters: Filters,
                total: int, thesaurus: Thesaurus | None) -> dict | None:
    """ "Did you mean": the query with its corrected words and how many articles it finds.

    Words the index does not hold were corrected already (the answer is that of the corrected
    query); a query with few hits is also checked for a rare word with a far more frequent
    neighbour, counted with one extra facet pass."""
    if understood.corrections:
        return {"q": understood.corrected_text(req.q), "hits": total}
    if total >= FEW_HITS or node is None:
        return None
    from ingest.index.querylang import Ranked, Word
    words = [n for n in (node.items if isinstance(node, Ranked) else (node,)) if isinstance(n, Word)]
    fixes: dict[str, str] = {}
    for w in words:
        df = max((backend.doc_freq(t) for t in w.terms), default=0)
        if df > 2:
            continue
        fixed = _correct_rare(w.surface, backend)
        if fixed is not None and max(backend.doc_freq(t) for t in terms_of(fold(fixed))) >= SUGGEST_RATIO * max(df, 1):
            fixes[w.surface] = fixed
    if not fixes:
        return None
    text = replace_words(req.q, fixes)
    try:
        alt = parsed(text, thesaurus, req.max_depth)
    except QueryError:
        return None
    hits = backend.facets(understanding(backend)(alt, thesaurus).node, filters).total if alt is not None else 0
    return {"q": text, "hits": hits} if hits > total else None


def _correct_rare(word: str, backend: SearchBackend) -> str | None:
    """A correction of a word the index holds but rarely (a typo that is itself a word)."""
    own = set(terms_of(fold(word)))

    def df(term: str) -> int:
        return 0 if term in own else backend.doc_freq(term)
    return correct_word(word, df)


# Dense retrieval (ingest/index/semantic.py) blended with the engine's score, for queries of
# plain words (no operators, quotes or prefixes: those ask for exact matching) over the articles
# in force. The engine's first BLEND_DOCS documents (an everyday query's article is often below
# the first few dozen) are re-scored: engine score / the best engine score + SEMANTIC_WEIGHT x the
# article's cosine with the query, rescaled so that the nearest article of all has 1 and the
# SEMANTIC_FLOOR-th nearest 0 (queries spread their cosines differently: a long question is near
# many articles, a rare word near few). The results stay the articles the words match (the
# counts and facets stay exact); only their order changes. Measured on the dev part of the
# everyday sets (bench/search.py --parts dev): a heavier weight finds more everyday answers but
# pushes statute-worded ones down; adding the nearest articles the words do not match found
# little more (recall@10 +0.02 RU) and would make the counts inexact.
SEMANTIC_WEIGHT = 0.5
SEMANTIC_FLOOR = 100
BLEND_DOCS = 200
# The DENSE_SLOTS nearest articles among those are on the first page (within the first
# SLOTS_WITHIN) even when the engine's words outrank them: a page shows what the words match
# and what the meaning does (on dev: everyday recall@10 +0.02 RU / +0.04 BY, statute-worded
# queries unchanged).
DENSE_SLOTS = 3
SLOTS_WITHIN = 10


def semantic_enabled() -> bool:
    """Whether search blends in dense retrieval (on unless LEXMAP_SEARCH_SEMANTIC=0; off by
    itself when natasha's word vectors are not installed)."""
    return env_flag("LEXMAP_SEARCH_SEMANTIC", True)


def _plain(node: Node | None) -> bool:
    """A query of juxtaposed words (what dense retrieval is blended into)."""
    from ingest.index.querylang import Ranked, Word
    if isinstance(node, Word):
        return True
    return isinstance(node, Ranked) and all(isinstance(c, Word) for c in node.items)


def _default_view(filters: Filters) -> bool:
    """The articles in force today: what the dense vectors hold."""
    return filters.as_of is None and tuple(filters.statuses) == ("in_force",) and not filters.kinds


class Near(NamedTuple):
    """What dense retrieval knows of a query (`nearness`), computed beside the engine's ranking."""

    vectors: object             # the index's ArticleVectors
    cos: "np.ndarray"           # every article's cosine with the query, -2 where the filters forbid it
    floor: float                # the SEMANTIC_FLOOR-th nearest allowed article's cosine
    span: float                 # the nearest one's minus that (> 0)
    nearest: list[int]          # the rows of the NEAREST nearest allowed articles, nearest first
    query: "np.ndarray"         # the query's unit vector


# How many nearest articles `nearness` lists (the reranker's candidates beside the engine's).
NEAREST = 50


def nearness(backend: SearchBackend, node: Node, filters: Filters) -> Near | None:
    """What dense retrieval says of the query (`Near`), or None when it has nothing to say (no
    word vectors installed, no word of the query known to them, fewer than two articles
    allowed). Runs in a thread beside the engine: the partitions over every article are here."""
    import numpy as np
    from ingest.index import semantic
    vectors = semantic.article_vectors(backend)
    qv = vectors.query_vector(semantic.query_words(node)) if vectors is not None else None
    if qv is None:
        return None
    cos = vectors.scores(qv, filters)
    mask = vectors.mask(filters)
    allowed = len(cos) if mask is None else int(mask.sum())
    floor_k = min(SEMANTIC_FLOOR, allowed - 1)
    if floor_k <= 0:
        return None
    if mask is not None:
        cos = np.where(mask, cos, np.float32(-2.0))
    # one partition: the floor_k + 1 nearest, the floor's cosine last among them
    top = np.argpartition(-cos, floor_k)[:floor_k + 1]
    c_floor = float(cos[top[floor_k]])
    nearest: list[int] = []
    if RERANK_SINK is not None or rerank_enabled():      # the reranker's candidates beside the engine's
        k = min(NEAREST, floor_k)
        head = top[np.argpartition(-cos[top], k - 1)[:k]] if k < len(top) else top
        nearest = [int(r) for r in head[np.argsort(-cos[head], kind="stable")] if cos[r] > -2.0]
    return Near(vectors, cos, c_floor, max(float(cos.max()) - c_floor, 1e-6), nearest, qv)


def _nearness_result(future) -> Near | None:
    """What `nearness` found; None when it failed (the answer is then the engine's alone: dense
    retrieval adds to search, it must never break it)."""
    try:
        return future.result()
    except Exception:      # noqa: BLE001 - e.g. an unreadable word-vector file; logged, not raised
        import logging
        logging.getLogger("lexmap.search").exception("dense retrieval failed; answering by words alone")
        return None


def blend(ranked: list[Hit], near: Near | None) -> list[Hit]:
    """The engine's articles (best first, one hit each) by the blended score, with the nearest
    in meaning (as `nearness` gave them) on the first page."""
    import numpy as np
    if near is None or not ranked:
        return ranked
    vectors, cos, c_floor, span = near.vectors, near.cos, near.floor, near.span
    best = ranked[0].score if ranked[0].score > 0 else 1.0
    # one numpy pass over the candidates (float64, the same operations in the same order as
    # the per-hit formula, so the same scores): a Python loop over 200 hits took ~0.5 ms
    row_of = vectors.row_of
    rows = np.fromiter((row_of.get(h.article, -1) for h in ranked), dtype=np.int64, count=len(ranked))
    close = np.where(rows >= 0, cos[rows].astype(np.float64), -2.0)
    engine = np.fromiter((h.score for h in ranked), dtype=np.float64, count=len(ranked))
    scores = engine / best + SEMANTIC_WEIGHT * np.maximum(0.0, (close - c_floor) / span)
    for h, v in zip(ranked, scores.tolist()):
        h.score = v
    order = np.argsort(-scores, kind="stable").tolist()
    out = [ranked[i] for i in order]
    if DENSE_SLOTS and len(out) > SLOTS_WITHIN:
        # the nearest DENSE_SLOTS (ties: the better blended first) not on the first page already
        by_near = np.argsort(-close[order], kind="stable")[:DENSE_SLOTS].tolist()
        late_at = [k for k in by_near if close[order[k]] > -2.0 and k >= SLOTS_WITHIN]
        if late_at:
            late = [out[k] for k in late_at]
            rest = [h for k, h in enumerate(out) if k not in late_at]
            at = SLOTS_WITHIN - len(late)
            for h in late:             # a reserved place shows the score of the place it takes
                h.score = rest[at].score
            out = rest[:at] + late + rest[at:]
    return out


# Learning to rank (ingest/index/rerank.py): the blended articles, with the articles nearest in
# meaning the words did not bring, ordered by the fitted model (the page shows both; the total and
# the facets count what the words match), on both backends; LEXMAP_SEARCH_RERANK=0 turns it off.
# bench/rerank.py sets RERANK_SINK to a list to collect the features (with the candidates' IRIs).
RERANK_SINK: list | None = None


def rerank_enabled() -> bool:
    """Whether plain-word queries are reordered by the fitted model (on unless
    LEXMAP_SEARCH_RERANK=0; without the model file or the word vectors search skips it)."""
    return env_flag("LEXMAP_SEARCH_RERANK", True)


def rerank(backend: SearchBackend, node: Node, ranked: list[Hit], engine: dict[int, float],
           near: Near | None, counterparts: Callable[[], object] | None = None) -> list[Hit]:
    """The blended articles (best first): the model's `depth` first of them and its number of
    nearest articles in meaning ordered by the model (rerank.FEATURES), the others after them in
    the blended order. `engine`: id(hit) -> its score before the blend. A nearest article the
    words did not bring has no stored document yet (`_placeholders` reads those shown)."""
    import numpy as np
    from ingest.index import rerank as rr
    from ingest.index import semantic
    m = rr.model()
    if near is None or not ranked or (RERANK_SINK is None and (m is None or not rerank_enabled())):
        return ranked
    vectors = near.vectors
    terms = rr.article_terms(backend, vectors)
    if terms is None:
        return ranked
    depth = rr.DEPTH if RERANK_SINK is not None or m is None else m.depth
    extra = rr.CANDIDATES if RERANK_SINK is not None or m is None else m.candidates
    nearest = near.nearest[:extra]
    rows_all = [vectors.row_of.get(h.article, -1) for h in ranked]
    # the candidates: the blended first `depth`, and the nearest (those the words brought later
    # with their engine features, the others added); the rest follow in the blended order
    wanted = set(nearest)
    place = [i for i, r in enumerate(rows_all) if i < depth or r in wanted]
    chosen = set(place)
    rest = [h for i, h in enumerate(ranked) if i not in chosen]
    have = set(rows_all)                # the blended articles, candidates or not
    new = [r for r in nearest if r not in have]
    cands = [ranked[i] for i in place] + [Hit(0.0, None, vectors.keys[r], 1.0, None) for r in new]
    rows = np.array([rows_all[i] for i in place] + new, dtype=np.int64)
    x = np.zeros((len(cands), len(rr.FEATURES)), np.float32)
    eng = np.array([engine.get(id(h), -1.0) for h in cands], np.float32)
    brought = eng >= 0                  # by the words (the rest: added as nearest)
    x[:, 0] = np.where(brought, eng / max(float(eng.max()), 1e-9), 0.0)
    x[:len(place), 1] = 1.0 / (np.array(place, np.float32) + 1)
    known = rows >= 0
    x[known, 2] = np.maximum(0.0, (near.cos[rows[known]] - near.floor) / near.span)
    words = [w for _, surface in semantic.query_words(node) for w in rr.stems(surface)]
    f = terms.features(words, rows)
    x[:, 3:6] = f[:, :3]
    x[:, 6] = terms.act_share(x, rows)
    x[:, 7] = f[:, 3]
    cps = _counterparts(counterparts, vectors)
    if cps is not None:
        # the counterparts' cosines: their rows only (another jurisdiction's, which the filter left out)
        x[:, 8:10] = cps.features(rows, lambda r: semantic._matvec(vectors.matrix[r], near.query), near.floor,
                                  near.span, terms, words)
    if RERANK_SINK is not None:
        RERANK_SINK.append(([vectors.iris[r] if r >= 0 else None for r in rows.tolist()], x))
    if m is None or not rerank_enabled():
        return ranked
    for h, sc in zip(cands, m.score(x).tolist()):
        h.score = sc
    out = sorted(cands, key=lambda h: -h.score)
    floor = out[-1].score if out else 0.0
    for h in rest:                      # below every candidate, in the blended order
        h.score = floor
    return out + rest


def _counterparts(provider: Callable[[], object] | None, vectors):
    """The counterparts `provider()` gives (a rerank.Counterparts), if they are of these article
    vectors' rows; None without a provider (a plain search: the counterpart features are 0)."""
    if provider is None:
        return None
    try:
        cps = provider()
    except Exception:      # noqa: BLE001 - e.g. the store unreachable: ranked without them, logged
        logging.getLogger("lexmap.search").exception("counterparts unavailable; reranking without them")
        return None
    return cps if cps is not None and cps.iris is vectors.iris else None


def _placeholders(backend: SearchBackend, near: Near | None, page: list[Hit], filters: Filters) -> None:
    """Read the stored documents of the nearest articles `rerank` added that are on the page
    (`near`: the dense retrieval they came from, None when there was none)."""
    todo = {h.article: h for h in page if h.doc is None and h.ref is None}
    if not todo or near is None:
        return
    vectors = near.vectors
    iris = [vectors.iris[vectors.row_of[k]] for k in todo]
    for found in backend.lookup(iris, Filters(as_of=filters.as_of)):
        h = todo.get(backend.article_key(found.doc["article"]))
        if h is not None and h.doc is None and found.doc["iri"] == found.doc["article"]:
            h.doc = found.doc


def _collapse(pool: list[Hit], seen: set) -> list[Hit]:
    """The best document of each article not in `seen` (which gains them), after the position
    prior, best first."""
    for h in pool:
        h.score *= 1 + POSITION_PRIOR * (1 - h.position)
    pool = sorted(pool, key=lambda h: -h.score)
    out = []
    for h in pool:
        if h.article not in seen:
            seen.add(h.article)
            out.append(h)
    return out


def search(store: GraphStore, backend: SearchBackend, req: Request,
           aliases: dict[str, str] | None = None, thesaurus: Thesaurus | None = None,
           known: dict[str, Any] | None = None, counterparts: Callable[[], object] | None = None) -> dict:
    """Run a search request; SearchError for a request that cannot be answered. `known`: the
    store's acts, jurisdictions and types when the caller keeps them (read from the store if not).
    `counterparts`: gives each article's counterparts the reranker weighs (the app context's
    `search_counterparts`); without it their features are 0.

    Ranks over the backend's candidates without their stored fields (article and place
    only), and reads, highlights and returns only the page shown."""
    try:
        check_text(req.q)
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    known = known if known is not None else known_values(store)
    filters = make_filters(store, req, aliases, known)
    cits = citations.find(req.q)
    resolved = [citations.resolve(store, c, filters.jurisdictions, filters.acts, known.get("citable"))
                for c in cits]
    rest = citations.strip(req.q, cits) if cits else req.q
    try:
        node: Node | None = parsed(rest, thesaurus, req.max_depth) if rest and re.search(r"\w", rest) else None
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    if node is None and not cits:
        raise SearchError("the query holds only stop words; add a word that says what you look for")
    typed = node
    understood = understanding(backend)(node, thesaurus) if UNDERSTAND else Understood(node)
    node = understood.node
    with _IN_FLIGHT as alone:
        answer = _answer(store, backend, req, filters, resolved, node, typed, understood, thesaurus, alone,
                         counterparts)
    # what the thesaurus added for everyday words ("коммуналка"), so the reader sees why an
    # article that never says it came up
    answer["rewrites"] = [{"typed": r.typed, "searched": r.adds} for r in rewrites_of(rest, thesaurus)] if node else []
    return answer


def _answer(store: GraphStore, backend: SearchBackend, req: Request, filters: Filters, resolved: list,
            node: Node | None, typed: Node | None, understood: Understood, thesaurus: Thesaurus | None,
            alone: bool, counterparts: Callable[[], object] | None = None) -> dict:
    """search() once the query is read: rank, page, highlight, count. `alone`: no other search
    runs in this process (counting and the cosines may then take another core)."""
    cited_iris = [iri for r in resolved for iri in r.iris]
    terms, prefixes = all_terms(node)
    # counting runs beside ranking and highlighting when the engine leaves the interpreter
    # while it counts (tantivy does): on two cores the answer waits for the longer, not the sum
    beside = _COUNTING.submit if alone else _Done
    counting = (beside(backend.facets, node, filters)
                if node is not None and backend.counts_in_parallel else None)
    dense = node is not None and semantic_enabled() and _plain(typed) and _default_view(filters)
    # the cosines are computed beside the engine's ranking too (numpy leaves the interpreter)
    near = beside(nearness, backend, node, filters) if dense else None
    cited = backend.lookup(cited_iris, filters) if cited_iris else []
    seen = {backend.article_key(h.doc["article"]) for h in cited}
    ranked: list[Hit] = []
    facets = None
    added = 0                   # articles near in meaning the reranker added: not counted in the total
    if node is not None:
        want = req.offset + req.limit
        depth = want * 4 + 20 if near is None else max(want * 4 + 20, BLEND_DOCS)
        pool = backend.candidates(node, filters, limit=min(2000, depth))
        if near is None:
            ranked = _collapse(pool, seen)
        else:
            # the engine's first BLEND_DOCS documents are blended, the rest follow as the engine
            # ranks them: every page of a query is cut from the same ranking
            ranked = _collapse(pool[:BLEND_DOCS], seen)
            best = ranked[0].score if ranked and ranked[0].score > 0 else 1.0
            engine = {id(h): h.score for h in ranked}
            near = _nearness_result(near)
            ranked = rerank(backend, node, blend(ranked, near), engine, near, counterparts)
            seen.update(h.article for h in ranked)
            added = sum(h.doc is None and h.ref is None for h in ranked)
            floor = ranked[-1].score if ranked else 1.0
            for h in (tail := _collapse(pool[BLEND_DOCS:], seen)):
                h.score = min(h.score / best, floor)
            ranked += tail
        if counting is None:
            facets = backend.facets(node, filters)
    rows = [(h, True) for h in cited] + [(h, False) for h in ranked]
    page = rows[req.offset:req.offset + req.limit]
    _placeholders(backend, near, [h for h, _ in page], filters)
    page = [(h, c) for h, c in page if h.doc is not None or h.ref is not None]   # one not found: gone
    backend.fetch([h for h, _ in page])
    highlight = Highlighter(terms, prefixes, table=snippet_table.ready(backend))
    results = [_result(h, highlight, cited=c) for h, c in page]
    if counting is not None:
        facets = counting.result()
    total = (facets.total if facets else 0) + len(cited)
    suggestion = (_suggestion(backend, req, typed, understood, filters, total, thesaurus)
                  if node is not None and UNDERSTAND else None)
    return {
        "query": req.q, "total": max(total, len(rows) - added),
        "offset": req.offset, "limit": req.limit,
        "date": req.date,
        "citations": [{"text": r.citation.text, "iris": r.iris, "notes": r.notes} for r in resolved],
        "results": results,
        "facets": {"jurisdiction": facets.jurisdiction if facets else {}, "act": facets.act if facets else {}},
        "suggestion": suggestion,
        "acronyms": [{"typed": k, "searched": v} for k, v in understood.expanded.items()],
    }
