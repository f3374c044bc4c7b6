"""The tantivy backend (Rust, via tantivy-py): the default, ~1 ms per query.

Analysed fields are fed as pre-tokenised strings, so several dictionary forms
of one word share a position and phrases still match.

A query is ranked without reading stored documents: each document's article
(as a 64-bit key) and place in its chapter are fast fields, so collapsing parts
into articles and the position prior read columns, and only the documents
shown are decoded. Facets count with a query stripped of what only ranks, and
per act alone (an act has one jurisdiction). Compiled queries and facets are
kept per (query, filters) until the index changes.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable

import orjson
import tantivy

from .analysis import Token
from .backend import (ANALYSED_FIELDS, Facets, Filters, Hit, QueryCompiler, SearchBackend, analysed_fields,
                      stored_fields)
from .documents import OPEN_END, SearchDoc
from .querylang import Node

_KEYWORDS = ("work", "act", "jurisdiction", "act_type", "kind", "status", "article", "iri", "unit")
_FACET_SIZE = 100_000      # more than any store holds acts: the counts stay exact
_CACHE_ENTRIES = 512


def article_key(article: str) -> int:
    """The 64-bit key of an article IRI (the `article_key` fast field)."""
    return int.from_bytes(hashlib.blake2b(article.encode(), digest_size=8).digest(), "little")


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in _KEYWORDS:
        sb.add_text_field(name, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ANALYSED_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="position")
    sb.add_unsigned_field("valid_from", indexed=True, fast=True)
    sb.add_unsigned_field("valid_to", indexed=True, fast=True)
    sb.add_unsigned_field("article_key", indexed=False, fast=True)
    sb.add_float_field("position", indexed=False, fast=True)
    sb.add_bytes_field("stored", stored=True, indexed=False, fast=False)
    return sb.build()


class _Compiler(QueryCompiler[tantivy.Query]):
    def __init__(self, schema: tantivy.Schema):
        self.schema = schema

    def term(self, fld: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, fld, value)

    def phrase(self, fld: str, words: list[tuple[int, str]], slop: int = 0) -> tantivy.Query:
        return tantivy.Query.phrase_query(self.schema, fld, words, slop)

    def prefix(self, fld: str, prefix: str) -> tantivy.Query:
        import re
        return tantivy.Query.regex_query(self.schema, fld, re.escape(prefix) + ".*")

    def boolean(self, must=(), should=(), must_not=()) -> tantivy.Query:
        clauses = ([(tantivy.Occur.Must, q) for q in must] + [(tantivy.Occur.Should, q) for q in should]
                   + [(tantivy.Occur.MustNot, q) for q in must_not])
        if len(clauses) == 1 and clauses[0][0] != tantivy.Occur.MustNot:
            return clauses[0][1]
        return tantivy.Query.boolean_query(clauses)

    def boost(self, q: tantivy.Query, factor: float) -> tantivy.Query:
        return q if factor == 1.0 else tantivy.Query.boost_query(q, factor)

    def everything(self) -> tantivy.Query:
        return tantivy.Query.all_query()


def _pretokenized(text_tokens: list[Token]) -> tantivy.PreTokenizedString:
    toks = [tantivy.Token(t, tok.position, tok.start, tok.end) for tok in text_tokens for t in tok.terms]
    return tantivy.PreTokenizedString("", toks)


class _Memo:
    """A small LRU of values valid while the index state stamp stays the same."""

    def __init__(self, size: int = _CACHE_ENTRIES):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Hashable, stamp: Any, build: Callable[[], Any]) -> Any:
        with self.lock:
            entry = self.items.get(key)
            if entry is not None and entry[0] == stamp:
                self.items.move_to_end(key)
                return entry[1]
        value = build()
        with self.lock:
            self.items[key] = (stamp, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class TantivyBackend(SearchBackend):
    name = "tantivy"
    schema_version = "3"        # 2: article_key and position fast fields; 3: t_lost
    counts_in_parallel = True   # tantivy-py searches and aggregates outside the GIL

    def __init__(self, directory: Path):
        super().__init__(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(directory), reuse=True)
        self.compiler = _Compiler(self.schema)
        self._writer: tantivy.IndexWriter | None = None
        self._queries = _Memo()          # compiled queries: they depend on the schema only
        self._facets = _Memo()           # facets: valid while the index state stays
        self._act_jurisdiction: tuple[Any, dict[str, str]] | None = None
        self._searcher: tantivy.Searcher | None = None

    def _search(self) -> tantivy.Searcher:
        """The searcher of the index as last reloaded: one per reload, not one per call (asking
        the index for a searcher costs ~0.1 ms, and a query asked for six)."""
        searcher = self._searcher
        if searcher is None:
            searcher = self._searcher = self.index.searcher()
        return searcher

    def _write(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        return self._writer

    def _replace(self, work: str, docs: Iterable[SearchDoc]) -> int:
        w = self._write()
        w.delete_documents_by_term("work", work)
        n = 0
        for d in docs:
            doc = tantivy.Document()
            for name in _KEYWORDS:
                doc.add_text(name, getattr(d, name))
            for name, toks in analysed_fields(d).items():
                if toks:
                    doc.add_pre_tokenized_text(name, _pretokenized(toks))
            doc.add_unsigned("valid_from", d.valid_from)
            doc.add_unsigned("valid_to", d.valid_to)
            doc.add_unsigned("article_key", article_key(d.article))
            doc.add_float("position", float(d.position))
            doc.add_bytes("stored", orjson.dumps(stored_fields(d)))
            w.add_document(doc)
            n += 1
        w.commit()
        self.reload()
        return n

    def clear(self) -> None:
        w = self._write()
        w.delete_all_documents()
        w.commit()
        self.reload()
        self._save_state({})

    # queries -------------------------------------------------------------
    def _filter(self, filters: Filters) -> list[tantivy.Query]:
        c = self.compiler
        out: list[tantivy.Query] = []
        for fld, values in (("jurisdiction", filters.jurisdictions), ("act", filters.acts),
                            ("act_type", filters.types), ("status", filters.statuses), ("kind", filters.kinds)):
            # one value (the default view's status): a term query, whose postings the matching
            # words' are intersected with by skipping; a term set (and a range) first gathers
            # every document it holds into a bit set, per query (~0.4 ms of a ~1.4 ms query)
            if len(values) == 1:
                out.append(tantivy.Query.term_query(self.schema, fld, values[0]))
            elif values:
                out.append(tantivy.Query.term_set_query(self.schema, fld, list(values)))
        if filters.as_of is None:
            out.append(tantivy.Query.term_query(self.schema, "valid_to", OPEN_END))
        else:
            out.append(tantivy.Query.range_query(self.schema, "valid_from", tantivy.FieldType.Unsigned, 0, filters.as_of))
            out.append(tantivy.Query.range_query(self.schema, "valid_to", tantivy.FieldType.Unsigned, filters.as_of,
                                                 OPEN_END, include_lower=False))
        return [tantivy.Query.const_score_query(q, 0.0) for q in out] if out else [c.everything()]

    def _query(self, query: Node, filters: Filters) -> tantivy.Query:
        """The ranking query with the filters (compiled once per query and filters)."""
        def build() -> tantivy.Query:
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, self.compiler.compile(query))]
                                               + [(tantivy.Occur.Must, f) for f in self._filter(filters)])
        return self._queries.get(("rank", query, filters), None, build)

    def _count_query(self, query: Node, filters: Filters) -> tantivy.Query:
        """The same matches as _query, only articles and headings, nothing that only ranks."""
        def build() -> tantivy.Query:
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, self.compiler.matching(query))]
                                               + [(tantivy.Occur.Must, f) for f in self._filter(filters)]
                                               + [(tantivy.Occur.Must, self._unit)])
        return self._queries.get(("count", query, filters), None, build)

    @property
    def _unit(self) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, "unit", "1")

    def search(self, query: Node, filters: Filters, limit: int) -> list[Hit]:
        hits = self.candidates(query, filters, limit)
        self.fetch(hits)
        return hits

    def candidates(self, query: Node, filters: Filters, limit: int) -> list[Hit]:
        searcher = self._search()
        res = searcher.search(self._query(query, filters), limit=limit, count=False).hits
        addrs = [addr for _, addr in res]
        arts = searcher.fast_field_values("article_key", addrs)
        places = searcher.fast_field_values("position", addrs)
        return [Hit(score, None, art, place, (searcher, addr))
                for (score, addr), art, place in zip(res, arts, places)]

    def fetch(self, hits: list[Hit]) -> None:
        for h in hits:
            if h.doc is None:
                searcher, addr = h.ref
                h.doc = orjson.loads(searcher.doc(addr).get_first("stored"))

    def article_key(self, article: str) -> int:
        return article_key(article)

    def facets(self, query: Node, filters: Filters) -> Facets:
        # Counted over articles and headings only: a part's words are also in its
        # article's document, so each matching article is counted once, exactly.
        stamp = self.refresh_if_changed()
        return self._facets.get((query, filters), stamp, lambda: self._count(query, filters, stamp))

    def _count(self, query: Node, filters: Filters, stamp: Any) -> Facets:
        searcher = self._search()
        agg = searcher.aggregate(self._count_query(query, filters),
                                 {"act": {"terms": {"field": "act", "size": _FACET_SIZE}}})
        act = {b["key"]: int(b["doc_count"]) for b in agg["act"]["buckets"]}
        of = self._jurisdictions(searcher, stamp)
        if not of.keys() >= act.keys():       # an act committed since the map was read
            self._act_jurisdiction = None
            of = self._jurisdictions(searcher, stamp)
        jur: dict[str, int] = {}
        for a, n in act.items():
            j = of.get(a, "")
            jur[j] = jur.get(j, 0) + n
        jur = dict(sorted(jur.items(), key=lambda kv: (-kv[1], kv[0])))
        return Facets(total=sum(jur.values()), jurisdiction=jur, act=act)

    def _jurisdictions(self, searcher: tantivy.Searcher, stamp: Any) -> dict[str, str]:
        """Act -> its jurisdiction, read once per index state (every document of an act has one)."""
        known = self._act_jurisdiction
        if known is None or known[0] != stamp:
            agg = searcher.aggregate(tantivy.Query.all_query(), {"act": {
                "terms": {"field": "act", "size": _FACET_SIZE},
                "aggs": {"j": {"terms": {"field": "jurisdiction", "size": _FACET_SIZE}}}}})
            known = self._act_jurisdiction = (stamp, {b["key"]: b["j"]["buckets"][0]["key"]
                                                      for b in agg["act"]["buckets"] if b["j"]["buckets"]})
        return known[1]

    def doc_freq(self, term: str) -> int:
        searcher = self._search()
        return searcher.doc_freq("t_text", term) or searcher.doc_freq("t_title", term)

    def vocabulary(self, min_df: int = 1) -> list[tuple[str, int]]:
        return [(t, n) for t, n in self._search().terms_with_prefix("t_text", "") if n >= min_df]

    def lookup(self, iris: list[str], filters: Filters) -> list[Hit]:
        if not iris:
            return []
        searcher = self._search()
        flt = Filters(as_of=filters.as_of, statuses=())
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "iri", iris))]
                                        + [(tantivy.Occur.Must, f) for f in self._filter(flt)])
        res = searcher.search(q, limit=len(iris) * 4, count=False)
        hits = [Hit(1.0, orjson.loads(searcher.doc(addr).get_first("stored"))) for _, addr in res.hits]
        order = {iri: i for i, iri in enumerate(iris)}
        return sorted(hits, key=lambda h: order.get(h.doc["iri"], len(order)))

    def reload(self) -> None:
        self.index.reload()
        self._searcher = None
        self._facets.clear()
        self._act_jurisdiction = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None
