"""Search results as RU↔BY pairs (issue 23): each hit's counterparts, and the pair view.

Two services over what the app context keeps:

- `counterparts(ctx, results)`: for each search hit, its counterparts in the other
  jurisdiction — the stored mappings first (relation, harmonization, review status, stale
  flag), then, for a counterpart act no mapping of the article names, the suggester's best
  candidate marked `suggested` with its calibrated probability. One read of the mapping
  table per data version (ctx.memo), one suggester call per act pair per page.
- `search_pairs(ctx, req)`: RU↔BY pairs for a query. Both jurisdictions' matches (one
  candidate pool from the engine, collapsed per article) are joined through the mappings and,
  marked, through suggestions; a pair scores by the evidence on both sides (each side's
  score over the best of its jurisdiction, summed) times the link's weight (a reviewed
  mapping counts fully, a suggestion by its probability). Filters: relation, harmonization,
  review (reviewed | suggested), an act pair, stale; facets by harmonization, relation and
  review over the pairs the other filters leave.

Every request value is parsed by `parse_request` into a `PairRequest`; a bad one raises
PairError, a SearchError (400 problem+json through api/errors.py).
"""
from __future__ import annotations

import html
import json
import re
import threading
from collections import defaultdict
from collections.abc import Container, Hashable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from ingest.config import Settings
from ingest.identifiers import ELI_MARK, eli_of, parse_iri, top_unit_of, work_of
from ingest.index.backend import Filters as IndexFilters
from ingest.index.querylang import QueryError, all_terms, check_text
from ingest.mappings.model import HARMONIZATION, RELATIONS, Mapping
from ingest.mappings.repository import MappingTable
# beside a mapped counterpart, a suggestion is shown only if the suggester would propose it
from ingest.mappings.suggest import PROPOSE_MIN_PROBABILITY as SHOW_BESIDE_MAPPING

from . import citations, mappings as mapping_service, search as search_service
from .context import AppContext

# reviewed: a stored mapping accepted (or flagged stale since); proposed: stored, not reviewed yet;
# suggested: the suggester's best candidate, not stored
REVIEW = ("reviewed", "proposed", "suggested")
JURISDICTIONS = ("ru", "by")
MAX_LIMIT = 100
MAX_OFFSET = 1000
POOL = 240                  # engine documents read (no stored fields) per pair query
FETCHED = 30                # best articles whose documents are read to learn unmapped ones' place
SUGGESTED_FOR = 6           # best unmapped articles of each side that get a suggested counterpart
SUGGEST_MIN_EVIDENCE = 0.5  # ... if they match at least half as well as their side's best (else they rank low)
CITED = 1.5                 # side evidence of a provision the query cites (a text match is at most 1)
# How much a link vouches for a pair: a reviewed mapping fully, one flagged stale (a text changed
# since) a little less, an unreviewed proposal less; a suggestion by its calibrated probability.
LINK_WEIGHT = {"accepted": 1.0, "stale": 0.9, "proposed": 0.8}
SUGGESTION_WEIGHT = 0.8
LIFECYCLE_ORDER = {"accepted": 0, "stale": 1, "proposed": 2}
_ARTICLE_NO = re.compile(r"^\s*Стать[яи]\s+([\w.\-]+?)\.?(?:\s|$)")


class PairError(search_service.SearchError):
    """A pair request that cannot be answered as asked (400): the message names the value."""


# ------------------------------------------------------------------ the mapping index

@dataclass(frozen=True)
class Link:
    """One stored mapping as seen from one of its articles."""

    mapping: Mapping
    other: str | None        # the other end (None: the mapping says there is no counterpart)


@dataclass
class PairIndex:
    """The mapping table arranged for search: per article its mappings, per search-engine article
    key the article it stands for, per act the acts mappings pair it with."""

    by_article: dict[str, list[Link]] = field(default_factory=dict)
    by_key: dict[Hashable, tuple[str, str]] = field(default_factory=dict)   # -> (article, jurisdiction)
    partners: dict[str, list[str]] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)      # act IRI -> "ГК РБ"
    # filled as requests need them, valid as long as the index (the memo drops both at a write):
    # the accepted pairs of an act pair (the suggester's anchors), and an article's best
    # candidate in an act (None: none), so a query asked again costs no suggester call
    anchors: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    best: dict[tuple[str, str], object] = field(default_factory=dict)


def jurisdiction_of(iri: str) -> str:
    """'ru' or 'by' of an ELI IRI (ValueError when it is none): read off the IRI, as
    ingest.identifiers.parse_iri would give it, without parsing the whole path (hot path)."""
    _, mark, rest = iri.partition(ELI_MARK)
    j = rest.split("/", 1)[0]
    if not mark or j not in JURISDICTIONS:
        return parse_iri(iri).work.jurisdiction
    return j


def pair_index(ctx: AppContext) -> PairIndex:
    """The index of the mapping table, built once per data version (the table is read once)."""
    mctx = ctx.mappings

    def build() -> PairIndex:
        short = mctx.repo.short_titles()      # the acts the store holds
        return _build_index(mctx.table(), ctx.backend.article_key, short, code_pairs(ctx.settings, short))
    return ctx.memo("pair index", None, build)


def code_pairs(settings: Settings, held: Container[str]) -> list[tuple[str, str]]:
    """(RU work, BY work) of the manifest's code pairs (ingest.mappings.proposals.CODE_PAIRS)
    whose two acts are `held`: partners whether or not anyone has mapped them yet, so a search
    hit of any code shows its suggested counterpart and the reranker weighs it."""
    from ingest.mappings.proposals import pair_works
    return [(ru, by) for _, ru, by in pair_works(settings) if ru in held and by in held]


def _build_index(table: MappingTable, key_of, short: dict[str, str],
                 extra_pairs: list[tuple[str, str]] = ()) -> PairIndex:
    idx = PairIndex(short=short)
    for m in table.mappings:
        if m.lifecycle == "rejected":
            continue
        ends = [m.subject] if m.no_counterpart else [m.subject, m.object]
        for i, end in enumerate(ends):
            art = top_unit_of(end)
            other = None if m.no_counterpart else ends[1 - i]
            idx.by_article.setdefault(art, []).append(Link(m, other))
            try:
                idx.by_key[key_of(art)] = (art, jurisdiction_of(art))
            except ValueError:      # not an ELI IRI: nothing the search engine returns
                pass
    for art, links in idx.by_article.items():
        links.sort(key=lambda ln: (ln.other is None, ln.mapping.relation == "not_related",
                                   LIFECYCLE_ORDER.get(ln.mapping.lifecycle, 3), -(ln.mapping.confidence or 0)))
    for a, b in [*table.act_pairs(), *extra_pairs]:
        if a != b:
            idx.partners.setdefault(a, []).append(b)
            idx.partners.setdefault(b, []).append(a)
    for w in idx.partners:
        idx.partners[w] = sorted(set(idx.partners[w]))
    return idx


# ------------------------------------------------------------------ what a counterpart looks like

def cite(label: str | None, work: str, short: dict[str, str]) -> str:
    """'ст. 197 ГК РБ' from an article label ('Статья 197. …') and its act."""
    act = short.get(work, "")
    m = _ARTICLE_NO.match(label or "")
    head = f"ст. {m.group(1)}" if m else (label or "").split(".")[0]
    return f"{head} {act}".strip()


def _label_only(label: str | None) -> str | None:
    """A mapping's end label without the act in brackets: 'Статья 197. Общий срок …'."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", label) if label else label


def pair_url(ru: str, by: str) -> str:
    """The permanent URL of a pair (its page for a browser, its JSON otherwise)."""
    return f"/search/pair?ru={quote(eli_of(ru), safe='/')}&by={quote(eli_of(by), safe='/')}"


def redline_url(left: str, right: str) -> str:
    """The side-by-side redline of two provisions."""
    return f"/diff?left={quote(eli_of(left), safe='/')}&right={quote(eli_of(right), safe='/')}&format=html"


def _from_mapping(link: Link, here: str, short: dict[str, str]) -> dict:
    m = link.mapping
    if link.other is None:
        return {"source": "mapping", "review": "reviewed" if m.lifecycle in ("accepted", "stale") else "proposed",
                "no_counterpart": True, "iri": None, "eli": None, "cite": None, "label": None, "act": None,
                "relation": None, "harmonization": m.harmonization, "lifecycle": m.lifecycle,
                "stale": m.lifecycle == "stale", "confidence": m.confidence, "probability": None,
                "mapping": m.record_id, "comment": m.comment, "compare": None, "pair": None}
    other = link.other
    mine_is_subject = top_unit_of(m.subject) == here
    label = _label_only(m.object_label if mine_is_subject else m.subject_label)
    work = work_of(other)
    return {"source": "mapping", "review": "reviewed" if m.lifecycle in ("accepted", "stale") else "proposed",
            "no_counterpart": False, "iri": other, "eli": eli_of(other), "cite": cite(label, work, short),
            "label": label, "act": eli_of(work), "relation": m.relation, "harmonization": m.harmonization,
            "lifecycle": m.lifecycle, "stale": m.lifecycle == "stale", "confidence": m.confidence,
            "probability": None, "mapping": m.record_id, "comment": m.comment,
            "compare": redline_url(here, other), "pair": _pair_url_any(here, other)}


def _pair_url_any(a: str, b: str) -> str | None:
    try:
        ja, jb = jurisdiction_of(a), jurisdiction_of(b)
    except ValueError:
        return None
    if {ja, jb} != set(JURISDICTIONS):
        return None
    return pair_url(a, b) if ja == "ru" else pair_url(b, a)


def _from_candidate(c, here: str, work: str, short: dict[str, str]) -> dict:
    label = ". ".join(x for x in (c.label, c.title) if x)
    return {"source": "suggestion", "review": "suggested", "no_counterpart": False, "iri": c.iri,
            "eli": eli_of(c.iri), "cite": cite(c.label, work, short), "label": label, "act": eli_of(work),
            "relation": None, "harmonization": None, "lifecycle": None, "stale": False, "confidence": None,
            "probability": None if c.probability is None else round(c.probability, 4), "mapping": None,
            "comment": None, "compare": redline_url(here, c.iri), "pair": _pair_url_any(here, c.iri)}


# ------------------------------------------------------------------ counterparts of search hits

def _suggestions(ctx: AppContext, idx: PairIndex, articles: Iterable[str]) -> dict[tuple[str, str], object]:
    """(article, counterpart act) -> the suggester's best candidate for each article: the likeliest
    over the acts mappings pair its act with that none of its mappings names (one `ranked_many`
    per act pair). None for an article a mapping says has no counterpart; and where the article
    has a mapped counterpart already, only a candidate at least SHOW_BESIDE_MAPPING likely
    (a Belarusian civil-code article is mapped into one part of the Russian code: the other
    parts' best guesses would be noise)."""
    want: dict[tuple[str, str], list[str]] = defaultdict(list)
    mapped: set[str] = set()
    for art in articles:
        links = idx.by_article.get(art, [])
        if any(ln.other is None for ln in links):
            continue
        if links:
            mapped.add(art)
        named = {work_of(ln.other) for ln in links}
        try:
            work = work_of(art)
        except ValueError:
            continue
        for other in idx.partners.get(work, ()):
            if other not in named:
                want[(work, other)].append(art)
    best: dict[str, tuple[str, object]] = {}
    if not want:
        return {}
    for (work, other), arts in want.items():
        for art, cand in _best_candidates(ctx, idx, arts, work, other).items():
            if cand is None:
                continue
            p = cand.probability if cand.probability is not None else 0.0
            if art in mapped and p < SHOW_BESIDE_MAPPING:
                continue
            had = best.get(art)
            if had is None or p > (had[1].probability or 0.0):
                best[art] = (other, cand)
    return {(art, other): cand for art, (other, cand) in best.items()}


def _best_candidates(ctx: AppContext, idx: PairIndex, arts: list[str], work: str, other: str) -> dict[str, object]:
    """Article -> its best candidate in `other` (None: not an article in force the suggester knows),
    as api.mappings.ranked_many ranks them (anchored on the table's accepted pairs), remembered in
    the index."""
    missing = [a for a in arts if (a, other) not in idx.best]
    if missing:
        key = (work, other)
        if key not in idx.anchors:
            idx.anchors[key] = ctx.mappings.table().accepted_pairs(work, other)
        ranked = ctx.suggester.suggest_many(missing, work, other, k=1, pairs=idx.anchors[key])
        for a in missing:
            cands = ranked.get(a)
            idx.best[(a, other)] = cands[0] if cands else None
    return {a: idx.best[(a, other)] for a in arts}


def warm_counterparts(ctx: AppContext) -> int:
    """Work out, before the first searches, every article's best suggestion in each act mappings
    pair its act with (what a search hit shows beside its mappings): a page of ten articles met
    for the first time costs ~1 ms of the suggester, the largest part of a search request's
    CPU after the engine's (measured by bench/search.py's HTTP section). Kept in the pair index,
    so a write starts them afresh (and requests fill them again as they come). Returns how
    many (article, act) pairs were ranked."""
    idx = pair_index(ctx)
    n = 0
    for work, others in sorted(idx.partners.items()):
        try:
            arts = [a.iri for a in ctx.suggester.profile(work).articles]
        except Exception:      # noqa: BLE001 - an act the store no longer holds: left to requests
            continue
        for other in others:
            n += len(arts)
            _best_candidates(ctx, idx, arts, work, other)
    return n


SUGGESTIONS_VERSION = "search suggestions 2"   # 2: every code pair of the manifest
_SUGGESTING = threading.Lock()


def _suggested_links(ctx: AppContext) -> tuple:
    """(article, its suggested counterpart, calibrated probability) of every article of the acts
    mappings pair, as `warm_counterparts` ranks them: kept in memory while the index stays, and on
    disk under <data dir>/cache/search-suggestions keyed by what the index holds, so a restart
    reads them (ms) instead of ranking them again (~10 s on the default corpus, once per ingest).
    A review since does not rank them again: the reranker weighs them, the page shows fresh ones."""
    version = ctx.data_version()
    held = ctx.search_suggestions
    if held is not None and held[0] == version:
        return held[1]
    with _SUGGESTING:                       # one ranking for concurrent first searches and the warm-up
        held = ctx.search_suggestions
        if held is not None and held[0] == version:
            return held[1]
        from ingest.index import derived

        def fresh() -> list:
            warm_counterparts(ctx)
            return [[art, top_unit_of(c.iri), round(float(c.probability), 4)]
                    for (art, _), c in pair_index(ctx).best.items() if c is not None and c.probability]
        path = derived.cache_dir(ctx.backend, "search-suggestions") / \
            f"{derived.index_digest(ctx.backend, SUGGESTIONS_VERSION)}.json"
        def save(value: list, to) -> None:
            derived.write_whole(to, lambda out: out.write(json.dumps(value).encode()))
        links = derived.read_or_build(path, lambda f: json.loads(f.read_text()), fresh, save)
        ctx.search_suggestions = (version, tuple((a, b, float(w)) for a, b, w in links or ()))
        return ctx.search_suggestions[1]


def search_counterparts(ctx: AppContext):
    """Each article's counterparts as the search's reranker weighs them (ingest.index.rerank.
    Counterparts over the article vectors' rows): its stored mappings (not rejected, not
    "not related") by LINK_WEIGHT, and the suggester's best candidate in each act mappings
    pair its act with, by its calibrated probability (`_suggested_links`). Built once per data
    version (~1 s; a search then looks its candidates' rows up)."""
    from ingest.index import rerank, semantic
    vectors = semantic.article_vectors(ctx.backend)
    if vectors is None:
        return None
    suggested = _suggested_links(ctx)

    def build() -> rerank.Counterparts:
        idx = pair_index(ctx)
        links = [(art, ln.other, LINK_WEIGHT.get(ln.mapping.lifecycle, 0.0))
                 for art, lns in idx.by_article.items() for ln in lns
                 if ln.other is not None and ln.mapping.relation != "not_related"]
        return rerank.Counterparts.build([(a, top_unit_of(b), w) for a, b, w in links] + list(suggested),
                                         vectors.iris)
    # data-wide (key None): a flood of distinct searches must not evict it; the article vectors
    # change only with the index, which changes the data token too
    return ctx.memo("reranker counterparts", None, build)


def counterparts(ctx: AppContext, results: list[dict], suggest: bool = True) -> None:
    """Add `counterparts` to each search hit (in place): its article's mappings, best first, then
    the best suggestion per counterpart act no mapping covers. Kept per page until the next write."""
    articles = tuple(dict.fromkeys((r.get("article") or {}).get("iri") or r["iri"] for r in results))
    if not articles:
        return
    found = ctx.memo("search counterparts", (articles, suggest), lambda: _counterparts(ctx, articles, suggest))
    for r in results:
        art = (r.get("article") or {}).get("iri") or r["iri"]
        r["counterparts"] = found.get(art, [])


def _counterparts(ctx: AppContext, articles: tuple[str, ...], suggest: bool) -> dict[str, list[dict]]:
    idx = pair_index(ctx)
    out: dict[str, list[dict]] = {}
    for art in articles:
        out[art] = [_from_mapping(ln, art, idx.short) for ln in idx.by_article.get(art, [])]
    if suggest:
        for (art, other), cand in _suggestions(ctx, idx, articles).items():
            out[art].append(_from_candidate(cand, art, other, idx.short))
    return out


# ------------------------------------------------------------------ the pair view: request

@dataclass(frozen=True)
class PairRequest:
    """A pair search, every value checked."""

    q: str
    relation: tuple[str, ...] = ()
    harmonization: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    acts: tuple[str, str] | None = None      # (RU act IRI, BY act IRI)
    stale: bool | None = None
    limit: int = 10
    offset: int = 0
    max_depth: int = search_service.MAX_DEPTH


_TRUE, _FALSE = ("true", "1", "yes", "да"), ("false", "0", "no", "нет")


def _closed(values: tuple[str, ...], allowed: Iterable[str], name: str) -> tuple[str, ...]:
    allowed = tuple(allowed)
    for v in values:
        if v not in allowed:
            raise PairError(f"unknown {name} {v[:60]!r}; use one of {', '.join(allowed)}")
    return tuple(dict.fromkeys(values))


def parse_request(ctx: AppContext, q: str, relation: tuple[str, ...] = (), harmonization: tuple[str, ...] = (),
                  review: tuple[str, ...] = (), acts: tuple[str, ...] = (), stale: str | None = None,
                  limit: int = 10, offset: int = 0) -> PairRequest:
    """A PairRequest from the raw values of a request; PairError names the first bad one."""
    if not isinstance(q, str) or not q.strip():
        raise PairError("q is empty; write the words to look for, e.g. q=исковая давность")
    try:
        check_text(q)
    except QueryError as exc:
        raise PairError(str(exc)) from None
    pair = None
    if acts:
        if len(acts) != 2:
            raise PairError(f"acts names {len(acts)} acts; name an act pair, one Russian and one Belarusian act, "
                            "e.g. acts=ru-gk-1,by-gk")
        found: dict[str, str] = {}
        for ref in acts:
            try:
                iri = mapping_service.act_iri(ctx.mappings, ref)
            except (mapping_service.BadRequest, ValueError) as exc:
                raise PairError(f"acts: {exc}") from None
            found[jurisdiction_of(iri)] = iri
        if set(found) != set(JURISDICTIONS):
            raise PairError("acts must name one Russian and one Belarusian act, e.g. acts=ru-gk-1,by-gk")
        pair = (found["ru"], found["by"])
    flag = None
    if stale is not None and stale != "":
        low = stale.strip().lower()
        if low not in _TRUE + _FALSE:
            raise PairError(f"stale {stale[:40]!r} is not true or false")
        flag = low in _TRUE
    if not 1 <= limit <= MAX_LIMIT:
        raise PairError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise PairError(f"offset must be between 0 and {MAX_OFFSET}; narrow the query with filters instead")
    return PairRequest(q=q, relation=_closed(relation, RELATIONS, "relation"),
                       harmonization=_closed(harmonization, HARMONIZATION, "harmonization"),
                       review=_closed(review, REVIEW, "review"), acts=pair, stale=flag, limit=limit, offset=offset,
                       max_depth=ctx.settings.limits.query_max_depth)


# ------------------------------------------------------------------ the pair view: search

@dataclass
class _Side:
    """What the query found of one article."""

    iri: str
    jurisdiction: str
    evidence: float = 0.0       # its score over the best of its jurisdiction (CITED when cited)
    hit: object = None          # the engine's hit (its document read when shown)


@dataclass
class _Pair:
    """A candidate pair: what filters and facets read, and how to build its link's JSON (only for
    the pairs shown)."""

    ru: str
    by: str
    review: str                 # reviewed | proposed | suggested
    stale: bool
    relation: str | None
    harmonization: str | None
    weight: float
    source: Mapping | object    # the mapping, or the suggester's candidate
    other_act: str = ""         # a suggestion: the act of the candidate
    score: float = 0.0

    def link(self, short: dict[str, str]) -> dict:
        """The link's JSON, seen from the RU side (its `iri`, `cite`, `label` name the BY article)."""
        if isinstance(self.source, Mapping):
            return _from_mapping(Link(self.source, self.by), self.ru, short)
        if jurisdiction_of(self.source.iri) == "by":
            return _from_candidate(self.source, self.ru, self.other_act, short)
        link = _from_candidate(self.source, self.by, self.other_act, short)   # found from the BY side
        return {**link, "iri": self.by, "eli": eli_of(self.by), "act": eli_of(work_of(self.by)),
                "cite": None, "label": None, "compare": redline_url(self.ru, self.by)}


def _matches(ctx: AppContext, req: PairRequest):
    """(node, articles found {iri: _Side}) of the query, over both jurisdictions."""
    acts = tuple(eli_of(a) for a in req.acts) if req.acts else ()
    sreq = search_service.Request(q=req.q, act=acts, limit=1, max_depth=req.max_depth)
    known = ctx.known_filters()
    filters = search_service.make_filters(ctx.store, sreq, ctx.aliases, known)
    cits = citations.find(req.q)
    resolved = [citations.resolve(ctx.store, c, filters.jurisdictions, filters.acts, known.get("citable"))
                for c in cits]
    rest = citations.strip(req.q, cits) if cits else req.q
    try:
        node = (search_service.parsed(rest, ctx.thesaurus, req.max_depth)
                if rest and re.search(r"\w", rest) else None)
    except QueryError as exc:
        raise PairError(str(exc)) from None
    if node is None and not cits:
        raise PairError("the query holds only stop words; add a word that says what you look for")
    if node is not None and search_service.UNDERSTAND:
        # as plain search does: question words dropped, words the index lacks corrected
        node = search_service.understanding(ctx.backend)(node, ctx.thesaurus).node
    idx = pair_index(ctx)
    found: dict[str, _Side] = {}
    for iri in (i for r in resolved for i in r.iris):
        art = top_unit_of(iri)
        try:
            found[art] = _Side(art, jurisdiction_of(art), CITED)
        except ValueError:
            continue
    if node is None:
        return node, found
    pool = ctx.backend.candidates(node, filters, limit=POOL)
    best: dict[Hashable, object] = {}
    for h in pool:
        h.score *= 1 + search_service.POSITION_PRIOR * (1 - h.position)
        if h.article not in best or h.score > best[h.article].score:
            best[h.article] = h
    ranked = sorted(best.values(), key=lambda h: -h.score)
    # the best articles are read (a few ms) so unmapped ones can get suggestions; the rest count
    # only if a mapping names them (their article is known from the index without reading)
    unknown = [h for h in ranked[:FETCHED] if h.article not in idx.by_key]
    ctx.backend.fetch(unknown)
    sides: list[_Side] = []
    for h in ranked:
        known = idx.by_key.get(h.article)
        if known is not None:
            art, jur = known
        elif h.doc is not None:
            art = h.doc["article"]
            try:
                jur = jurisdiction_of(art)
            except ValueError:
                continue
        else:
            continue
        if art in found:
            continue
        side = _Side(art, jur, h.score, h)
        sides.append(side)
        found[art] = side
    top = {j: max((s.evidence for s in sides if s.jurisdiction == j), default=0.0) for j in JURISDICTIONS}
    for s in sides:
        s.evidence = s.evidence / top[s.jurisdiction] if top.get(s.jurisdiction) else 0.0
    return node, found


def _candidate_pairs(ctx: AppContext, req: PairRequest, found: dict[str, _Side]) -> list[_Pair]:
    idx = pair_index(ctx)
    pairs: dict[tuple[str, str], _Pair] = {}

    def add(p: _Pair) -> None:
        had = pairs.get((p.ru, p.by))
        if had is None or p.weight > had.weight:
            pairs[(p.ru, p.by)] = p

    want_mapped = not req.review or bool({"reviewed", "proposed"} & set(req.review))
    want_suggested = (not req.review or "suggested" in req.review) and not req.relation and not req.harmonization \
        and not req.stale
    if want_mapped:
        for art, side in found.items():
            for ln in idx.by_article.get(art, ()):
                if ln.other is None:
                    continue
                m = ln.mapping
                try:
                    theirs = jurisdiction_of(ln.other)
                except ValueError:
                    continue
                if {side.jurisdiction, theirs} != set(JURISDICTIONS):
                    continue
                other = top_unit_of(ln.other)
                ru, by = (art, other) if side.jurisdiction == "ru" else (other, art)
                review = "reviewed" if m.lifecycle in ("accepted", "stale") else "proposed"
                add(_Pair(ru, by, review, m.lifecycle == "stale", m.relation, m.harmonization,
                          LINK_WEIGHT.get(m.lifecycle, 0.5), m))
    if want_suggested:
        # suggestions for the best matched articles no mapping covers (a mapped article's pairs
        # come from its mappings; its other acts' guesses would be noise in a pair list)
        per_side = defaultdict(list)
        for s in sorted(found.values(), key=lambda s: -s.evidence):
            if s.evidence >= SUGGEST_MIN_EVIDENCE and s.iri not in idx.by_article \
                    and len(per_side[s.jurisdiction]) < SUGGESTED_FOR:
                per_side[s.jurisdiction].append(s.iri)
        for (art, other), cand in _suggestions(ctx, idx, [a for v in per_side.values() for a in v]).items():
            mine = found[art].jurisdiction
            try:
                if {mine, jurisdiction_of(cand.iri)} != set(JURISDICTIONS):
                    continue
            except ValueError:
                continue
            ru, by = (art, cand.iri) if mine == "ru" else (cand.iri, art)
            p = cand.probability
            add(_Pair(ru, by, "suggested", False, None, None,
                      SUGGESTION_WEIGHT * (p if p is not None else 0.5), cand, other))
    out = []
    for p in pairs.values():
        if req.acts and (work_of(p.ru) != req.acts[0] or work_of(p.by) != req.acts[1]):
            continue
        ev = (found[p.ru].evidence if p.ru in found else 0.0) + (found[p.by].evidence if p.by in found else 0.0)
        p.score = round(p.weight * ev, 4)
        out.append(p)
    return out


def _passes(p: _Pair, req: PairRequest, skip: str | None = None) -> bool:
    """Whether the pair passes the request's filters (`skip`: one filter left out, for its facet).
    A mapping saying two articles are not related is no pair unless the relation filter asks for
    it (its facet still counts it, so the lawyer can)."""
    if p.relation == "not_related" and skip != "relation" and "not_related" not in req.relation:
        return False
    if req.review and p.review not in req.review:
        return False
    if req.stale is not None and p.stale != req.stale:
        return False
    if skip != "relation" and req.relation and p.relation not in req.relation:
        return False
    if skip != "harmonization" and req.harmonization and p.harmonization not in req.harmonization:
        return False
    return True


def _facets(pairs: list[_Pair], req: PairRequest) -> dict[str, dict[str, int]]:
    """Counts per harmonization status and per relation, each over the pairs the other filters
    leave (so a chosen value's siblings still show their counts), and per review state."""
    out: dict[str, dict[str, int]] = {"harmonization": {}, "relation": {}, "review": {}}
    for p in pairs:
        if p.score <= 0:
            continue
        for name in ("harmonization", "relation"):
            value = getattr(p, name)
            if value and _passes(p, req, skip=name):
                out[name][value] = out[name].get(value, 0) + 1
        if _passes(p, req):
            out["review"][p.review] = out["review"].get(p.review, 0) + 1
    return {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for k, v in out.items()}


def search_pairs(ctx: AppContext, req: PairRequest) -> dict:
    """RU↔BY pairs for a query, best first, with facets; PairError/SearchError for a bad request."""
    node, found = _matches(ctx, req)
    every = _candidate_pairs(ctx, req, found)
    kept = [p for p in every if _passes(p, req) and p.score > 0]
    kept.sort(key=lambda p: (-p.score, p.ru, p.by))
    page = kept[req.offset:req.offset + req.limit]
    terms, prefixes = all_terms(node) if node is not None else (set(), [])
    return {"query": req.q, "view": "pairs", "total": len(kept), "offset": req.offset, "limit": req.limit,
            "filters": {"relation": list(req.relation), "harmonization": list(req.harmonization),
                        "review": list(req.review),
                        "acts": [eli_of(a) for a in req.acts] if req.acts else [], "stale": req.stale},
            "facets": _facets(every, req),
            "pairs": _shown(ctx, page, found, terms, prefixes)}


def _opening(text: str, words: int = 28) -> str:
    """The first `words` words of a text (with … when cut)."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _shown(ctx: AppContext, page: list[_Pair], found: dict[str, _Side], terms: set[str],
           prefixes: list[str]) -> list[dict]:
    """The page's pairs with both sides' labels and snippets: matched sides from their hits, the
    others read in one lookup."""
    hits = {s.iri: s.hit for s in found.values() if s.hit is not None}
    need = [x for p in page for x in (p.ru, p.by) if x not in hits]
    ctx.backend.fetch([hits[x] for p in page for x in (p.ru, p.by) if x in hits])
    docs = {iri: h.doc for iri, h in hits.items() if h.doc is not None}
    if need:
        for h in ctx.backend.lookup(list(dict.fromkeys(need)), IndexFilters(statuses=())):
            docs.setdefault(h.doc["iri"], h.doc)
    highlight = search_service.Highlighter(terms, prefixes, width=28)
    idx = pair_index(ctx)
    out = []
    for p in page:
        sides = {}
        for j, iri in (("ru", p.ru), ("by", p.by)):
            d = docs.get(iri) or {}
            text = d.get("text") or ""
            # a matched side's document may be a part of the article: the article names the pair
            label = d.get("article_label") or d.get("label")
            work = work_of(iri)
            sides[j] = {"iri": iri, "eli": eli_of(iri), "act": eli_of(work), "act_title": d.get("act_title"),
                        "cite": cite(label, work, idx.short), "label": label, "matched": iri in found and found[iri].evidence > 0,
                        "evidence": round(found[iri].evidence, 4) if iri in found else 0.0,
                        # the side found only through its counterpart: its opening words, unmarked
                        "snippet": (highlight(text) if iri in hits else html.escape(_opening(text))) if text else ""}
        out.append({"ru": sides["ru"], "by": sides["by"], "link": p.link(idx.short), "score": p.score,
                    "url": pair_url(p.ru, p.by), "compare": redline_url(p.ru, p.by)})
    return out


# ------------------------------------------------------------------ one pair (its permanent URL)

def one_pair(ctx: AppContext, ru_ref: str, by_ref: str) -> dict:
    """A pair by its two provisions: both texts, the mappings between them, and the suggester's
    probability when no mapping links them. PairError when either is no provision of its side."""
    from . import resources
    sides = {}
    for j, ref in (("ru", ru_ref), ("by", by_ref)):
        try:
            iri = mapping_service.provision_iri(ctx.mappings, ref)[0]
        except (mapping_service.BadRequest, ValueError) as exc:
            raise PairError(f"{j}: {exc}") from None
        try:
            side_j = jurisdiction_of(iri)
        except ValueError:
            side_j = None
        if side_j != j:
            raise PairError(f"{j}: {ref[:200]!r} is not a provision of the {j.upper()} side")
        try:
            data = resources.get_act(ctx.store, ctx.settings, eli_of(iri))
        except (resources.NotFound, ValueError) as exc:
            raise PairError(f"{j}: {exc}") from None
        work = work_of(iri)
        idx = pair_index(ctx)
        crumbs = data.get("breadcrumb") or [{}]
        sides[j] = {"iri": iri, "eli": eli_of(iri), "act": eli_of(work), "act_title": crumbs[0].get("label"),
                    "cite": cite(data.get("label"), work, idx.short), "label": data.get("label"),
                    "title": data.get("title"), "redaction": data.get("redaction"), "status": data.get("status"),
                    "text": data.get("full_text") or ""}
    idx = pair_index(ctx)
    ru, by = sides["ru"]["iri"], sides["by"]["iri"]
    links = [_from_mapping(ln, top_unit_of(ru), idx.short) for ln in idx.by_article.get(top_unit_of(ru), ())
             if ln.other is not None and top_unit_of(ln.other) == top_unit_of(by)]
    if not links:
        try:
            cands = mapping_service.ranked(ctx.mappings.table(), ctx.suggester, top_unit_of(ru), work_of(ru),
                                           work_of(by), k=20)
        except KeyError:
            cands = []
        hit = next((c for c in cands if c.iri == top_unit_of(by)), None)
        if hit is not None:
            links = [_from_candidate(hit, ru, work_of(by), idx.short)]
    return {"ru": sides["ru"], "by": sides["by"], "links": links, "url": pair_url(ru, by),
            "compare": redline_url(ru, by)}


# ------------------------------------------------------------------ CSV for a memo

CSV_COLUMNS = ["rank", "ru_cite", "ru_label", "by_cite", "by_label", "review", "relation", "harmonization",
               "lifecycle", "stale", "probability", "score", "comment", "ru_url", "by_url", "pair_url"]


def pairs_csv(result: dict, base: str) -> str:
    """The pair list as CSV (codes; api.docx.csv_response writes Russian labels beside them)."""
    import csv
    import io
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for n, p in enumerate(result["pairs"], result["offset"] + 1):
        ln = p["link"]
        w.writerow([n, p["ru"]["cite"], p["ru"]["label"] or "", p["by"]["cite"], p["by"]["label"] or "",
                    ln["review"], ln["relation"] or "", ln["harmonization"] or "", ln["lifecycle"] or "",
                    "yes" if ln["stale"] else "no", "" if ln["probability"] is None else ln["probability"],
                    p["score"], ln["comment"] or "", f"{base}/{p['ru']['eli']}", f"{base}/{p['by']['eli']}",
                    base + p["url"]])
    return out.getvalue()


__all__ = ["PairError", "PairRequest", "counterparts", "one_pair", "pair_index", "pairs_csv", "parse_request",
           "search_pairs"]
