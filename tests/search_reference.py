"""The search service computed the straightforward way, to check the optimised one against.

What api.search.search did before it was made fast, kept as the specification: every
candidate's stored document decoded, ranked and collapsed by its stored fields; facets from
one aggregation per facet over the full ranking query; each snippet from a full
tokenisation of its text with a memo of its own. Used by tests/test_search_fast.py (the
same answers) and bench/search.py (the same run's reference timing).
"""
from __future__ import annotations

import html
import re

import orjson
import tantivy

from api import citations
from api import search as service
from api.search import POSITION_PRIOR, SNIPPET_WORDS, Request, SearchError, _suggestion, make_filters, understanding
from ingest.index.analysis import _TOKEN, STOP_WORDS, fold, terms_of
from ingest.index import semantic
from ingest.index.backend import Facets, Filters, Hit, SearchBackend
from ingest.index.querylang import Node, QueryError, Thesaurus, all_terms, check_text, parse, rewrites_of


def snippet(text: str, terms: set[str], prefixes: list[str], width: int = SNIPPET_WORDS) -> str:
    """The passage of `text` with most query words, HTML-escaped, matches in <mark>."""
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


def _tantivy_query(backend, node: Node, filters: Filters) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, backend.compiler.compile(node))]
                                       + [(tantivy.Occur.Must, f) for f in backend._filter(filters)])


def ranked_pool(backend: SearchBackend, node: Node, filters: Filters, limit: int) -> list[Hit]:
    """The best `limit` documents with every stored document decoded."""
    if backend.name != "tantivy":
        return backend.search(node, filters, limit)
    searcher = backend.index.searcher()
    res = searcher.search(_tantivy_query(backend, node, filters), limit=limit, count=False)
    return [Hit(score, orjson.loads(searcher.doc(addr).get_first("stored"))) for score, addr in res.hits]


def facets(backend: SearchBackend, node: Node, filters: Filters) -> Facets:
    """Matching articles and headings per jurisdiction and act, over the ranking query itself."""
    if backend.name != "tantivy":
        return backend.facets(node, filters)
    searcher = backend.index.searcher()
    q = tantivy.Query.boolean_query([(tantivy.Occur.Must, _tantivy_query(backend, node, filters)),
                                     (tantivy.Occur.Must, tantivy.Query.term_query(backend.schema, "unit", "1"))])
    agg = searcher.aggregate(q, {"jurisdiction": {"terms": {"field": "jurisdiction", "size": 500}},
                                 "act": {"terms": {"field": "act", "size": 500}}})
    jur = {b["key"]: int(b["doc_count"]) for b in agg["jurisdiction"]["buckets"]}
    return Facets(total=sum(jur.values()), jurisdiction=jur,
                  act={b["key"]: int(b["doc_count"]) for b in agg["act"]["buckets"]})


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


def search(store, backend: SearchBackend, req: Request, aliases: dict[str, str] | None = None,
           thesaurus: Thesaurus | None = None, known: dict[str, set[str]] | None = None) -> dict:
    """api.search.search, the straightforward way."""
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
        node = parse(rest, thesaurus, req.max_depth) if rest and re.search(r"\w", rest) else None
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    if node is None and not cits:
        raise SearchError("the query holds only stop words; add a word that says what you look for")
    # query understanding (question words, typos) precedes ranking: the same step as the service's
    typed = node
    understood = understanding(backend)(node, thesaurus)
    node = understood.node
    terms, prefixes = all_terms(node)
    cited = backend.lookup(cited_iris, filters) if cited_iris else []
    seen = {h.doc["article"] for h in cited}
    ranked: list[Hit] = []
    found = None
    added = 0
    near = None                 # dense retrieval, when the query has it
    if node is not None:
        want = req.offset + req.limit
        dense = service.semantic_enabled() and service._plain(typed) and service._default_view(filters)
        depth = max(want * 4 + 20, service.BLEND_DOCS) if dense else want * 4 + 20
        pool = ranked_pool(backend, node, filters, min(2000, depth))
        # dense retrieval (the same blend: what is checked here is the plumbing around it): the
        # first BLEND_DOCS documents blended, computed in this thread, the rest as the engine ranks
        head = pool[:service.BLEND_DOCS] if dense else pool
        for part in (head, pool[len(head):]):
            for h in part:
                h.score *= 1 + POSITION_PRIOR * (1 - float(h.doc.get("position", 1.0)))
                h.article = backend.article_key(h.doc["article"])
            part.sort(key=lambda h: -h.score)
            got = []
            for h in part:
                if h.doc["article"] not in seen:
                    seen.add(h.doc["article"])
                    got.append(h)
            if part is head and dense:
                best = got[0].score if got and got[0].score > 0 else 1.0
                engine = {id(h): h.score for h in got}
                near = service.nearness(backend, node, filters)
                got = service.rerank(backend, node, service.blend(got, near), engine, near)
                added = sum(h.doc is None for h in got)
                vectors = semantic.article_vectors(backend)      # the nearest articles it added
                seen.update(vectors.iris[vectors.row_of[h.article]] for h in got if h.doc is None)
                floor = got[-1].score if got else 1.0
            elif dense:
                for h in got:
                    h.score = min(h.score / best, floor)
            ranked += got
        found = facets(backend, node, filters)
    rows = [(h, True) for h in cited] + [(h, False) for h in ranked]
    page = rows[req.offset:req.offset + req.limit]
    service._placeholders(backend, near, [h for h, _ in page], filters)
    page = [(h, c) for h, c in page if h.doc is not None]
    total = (found.total if found else 0) + len(cited)
    return {
        "query": req.q, "total": max(total, len(rows) - added),
        "offset": req.offset, "limit": req.limit,
        "date": req.date,
        "citations": [{"text": r.citation.text, "iris": r.iris, "notes": r.notes} for r in resolved],
        "results": [_result(h, terms, prefixes, cited=c) for h, c in page],
        "facets": {"jurisdiction": found.jurisdiction if found else {}, "act": found.act if found else {}},
        "suggestion": (_suggestion(backend, req, typed, understood, filters, total, thesaurus)
                       if node is not None else None),
        "acronyms": [{"typed": k, "searched": v} for k, v in understood.expanded.items()],
        "rewrites": [{"typed": r.typed, "searched": r.adds} for r in rewrites_of(rest, thesaurus)] if node else [],
    }
