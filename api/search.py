"""Search as lawyers use it: citations first, then ranked text hits, one line per article.

The backend returns documents; this layer resolves citations, collapses parts
into their article (the best-scoring document of an article stands for it),
pages, highlights and counts facets. Bad requests raise SearchError (a 4xx).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

from ingest.index.analysis import _TOKEN, STOP_WORDS, fold, terms_of
from ingest.index.backend import Filters, Hit, SearchBackend
from ingest.index.querylang import MAX_DEPTH, Node, QueryError, Thesaurus, all_terms, check_text, parse  # noqa: F401
from ingest.query import catalog as q
from ingest.store import GraphStore

from . import citations

MAX_LIMIT = 100
MAX_OFFSET = 1000
STATUSES = ("in_force", "repealed", "excluded")
SNIPPET_WORDS = 36
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


def known_values(store: GraphStore) -> dict[str, set[str]]:
    """Acts, jurisdictions and types the store holds (the app context keeps it per ingest)."""
    rows = q.select(store, "known_values")
    return {"act": {r["id"] for r in rows}, "jurisdiction": {r["j"] for r in rows}, "type": {r["t"] for r in rows}}


def make_filters(store: GraphStore, req: Request, aliases: dict[str, str] | None = None,
                 known: dict[str, set[str]] | None = None) -> Filters:
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


def snippet(text: str, terms: set[str], prefixes: list[str], width: int = SNIPPET_WORDS) -> str:
    """The passage of `text` with most query words, HTML-escaped, matches in <mark>.

    Uses the index's own analysis (so a highlighted word is one that matched),
    word by word with a per-call memo: a long article costs a regex pass, not
    a full tokenization.
    """
    matches = list(_TOKEN.finditer(text))
    words = [m.group() for m in matches]
    matched: dict[str, str | None] = {}   # surface word -> the query term it matched
    for raw in set(words):
        word = fold(raw)
        ts = () if word in STOP_WORDS else terms_of(word)
        matched[raw] = next((t for t in ts if t in terms or any(t.startswith(p) for p in prefixes)), None)
    hits = [i for i, w in enumerate(words) if matched[w] is not None]
    first = [matched[words[i]] for i in hits]
    spans = [m.span() for m in matches]
    if not spans:
        return html.escape(text[:300])
    best, best_score = 0, -1
    end = 0
    for k, i in enumerate(hits or [0]):
        end = max(end, k)
        while end < len(hits) and hits[end] < i + width:
            end += 1
        score = len(set(first[k:end])) * 10 + (end - k)
        if score > best_score:
            best, best_score = max(0, i - 3), score
    lo, hi = spans[best][0], spans[min(best + width, len(spans) - 1)][1]
    if best == 0:
        lo = 0
    marks = [j for j in hits if best <= j <= best + width]
    out, cur = [], lo
    for j in marks:
        start, end = spans[j]
        out.append(html.escape(text[cur:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cur = end
    out.append(html.escape(text[cur:hi]))
    body = re.sub(r"\s+", " ", "".join(out)).strip()
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(text.rstrip()) else "")


def _result(hit: Hit, terms: set[str], prefixes: list[str], cited: bool = False) -> dict:
    d = hit.doc
    source = d["text"] or " ".join(x for x in (d["label"], d["title"]) if x)
    return {
        "iri": d["iri"], "act": d["act"], "act_title": d["act_title"], "jurisdiction": d["jurisdiction"],
        "kind": d["kind"], "number": d["number"] or None, "label": d["label"] or None,
        "title": d["title"] or None, "status": d["status"], "path": d["path"], "redaction": d["version"],
        "article": {"iri": d["article"], "label": d["article_label"]},
        "snippet": (snippet(source, terms, prefixes) if not cited or terms
                    else html.escape(re.sub(r"\s+", " ", source[:300]))),
        "score": round(hit.score, 4), "citation": cited,
    }


def resolve_citation(store: GraphStore, cite: str, jurisdictions: tuple[str, ...] = (),
                     acts: tuple[str, ...] = ()) -> list[citations.Resolved]:
    """Every citation in `cite`, resolved (for /resolve)."""
    check_text(cite)
    return [citations.resolve(store, c, jurisdictions, acts) for c in citations.find(cite)]


def search(store: GraphStore, backend: SearchBackend, req: Request,
           aliases: dict[str, str] | None = None, thesaurus: Thesaurus | None = None,
           known: dict[str, set[str]] | None = None) -> dict:
    """Run a search request; SearchError for a request that cannot be answered. `known`: the
    store's acts, jurisdictions and types when the caller keeps them (read from the store if not)."""
    try:
        check_text(req.q)
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    filters = make_filters(store, req, aliases, known)
    cits = citations.find(req.q)
    resolved = [citations.resolve(store, c, filters.jurisdictions, filters.acts) for c in cits]
    cited_iris = [iri for r in resolved for iri in r.iris]
    rest = citations.strip(req.q, cits) if cits else req.q
    try:
        node: Node | None = parse(rest, thesaurus, req.max_depth) if rest and re.search(r"\w", rest) else None
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    if node is None and not cits:
        raise SearchError("the query holds only stop words; add a word that says what you look for")
    terms, prefixes = all_terms(node)
    cited = backend.lookup(cited_iris, filters) if cited_iris else []
    seen = {h.doc["article"] for h in cited}
    ranked: list[Hit] = []
    facets = None
    if node is not None:
        want = req.offset + req.limit
        pool = backend.search(node, filters, limit=min(2000, want * 4 + 20))
        for h in pool:
            h.score *= 1 + POSITION_PRIOR * (1 - float(h.doc.get("position", 1.0)))
        pool.sort(key=lambda h: -h.score)
        for h in pool:
            if h.doc["article"] not in seen:
                seen.add(h.doc["article"])
                ranked.append(h)
        facets = backend.facets(node, filters)
    rows = [(h, True) for h in cited] + [(h, False) for h in ranked]
    page = rows[req.offset:req.offset + req.limit]
    total = (facets.total if facets else 0) + len(cited)
    return {
        "query": req.q, "total": max(total, len(rows)),
        "offset": req.offset, "limit": req.limit,
        "date": req.date,
        "citations": [{"text": r.citation.text, "iris": r.iris, "notes": r.notes} for r in resolved],
        "results": [_result(h, terms, prefixes, cited=c) for h, c in page],
        "facets": {"jurisdiction": facets.jurisdiction if facets else {}, "act": facets.act if facets else {}},
    }
