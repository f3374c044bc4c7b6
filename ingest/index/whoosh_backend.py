"""The whoosh backend (pure Python, whoosh-reloaded): the design card's engine.

Analysed fields arrive pre-analysed as "term|term term ~ term": blanks separate
positions, "|" separates the dictionary forms sharing a position, "~" is a
dropped stop word. The tokenizer below only decodes that, so whoosh indexes
exactly what tantivy indexes. It is a module-level class because whoosh
pickles the schema with its analyzer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import orjson
from whoosh import index as windex
from whoosh import query as wq
from whoosh import sorting
from whoosh.analysis import Token as WToken, Tokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.scoring import BM25F

from .analysis import Token
from .backend import (ANALYSED_FIELDS, Facets, Filters, Hit, QueryCompiler, SearchBackend, analysed_fields,
                      stored_fields)
from .documents import OPEN_END, SearchDoc
from .querylang import Node

_KEYWORDS = ("work", "act", "jurisdiction", "act_type", "kind", "status", "article", "iri", "unit")


class PreAnalyzedTokenizer(Tokenizer):
    """Decodes the pre-analysed form written by `encode`."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = WToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, item in enumerate(value.split(" ")):
            if item in ("", "~"):
                continue
            for term in item.split("|"):
                t.text = term
                t.boost = 1.0
                t.stopped = False
                if positions:
                    t.pos = start_pos + pos
                if chars:
                    t.startchar = t.endchar = start_char
                yield t


def encode(tokens: list[Token]) -> str:
    """Tokens as the pre-analysed string PreAnalyzedTokenizer reads."""
    out: list[str] = []
    for tok in tokens:
        while len(out) < tok.position:
            out.append("~")
        out.append("|".join(t.replace(" ", "_").replace("|", "_") for t in tok.terms))
    return " ".join(out)


def _schema() -> Schema:
    fields = {name: ID(stored=False, sortable=name in ("jurisdiction", "act")) for name in _KEYWORDS}
    for name in ANALYSED_FIELDS:
        fields[name] = TEXT(analyzer=PreAnalyzedTokenizer(), phrase=True)
    fields["valid_from"] = NUMERIC(int, bits=32, signed=False)
    fields["valid_to"] = NUMERIC(int, bits=32, signed=False)
    fields["stored"] = STORED()
    return Schema(**fields)


class _Compiler(QueryCompiler[wq.Query]):
    def term(self, fld: str, value: str) -> wq.Query:
        return wq.Term(fld, value)

    def phrase(self, fld: str, words: list[tuple[int, str]], slop: int = 0) -> wq.Query:
        gaps = words[-1][0] - words[0][0] - (len(words) - 1)
        return wq.Phrase(fld, [w for _, w in words], slop=1 + slop + gaps)

    def prefix(self, fld: str, prefix: str) -> wq.Query:
        return wq.Prefix(fld, prefix)

    def boolean(self, must=(), should=(), must_not=()) -> wq.Query:
        must, should, must_not = list(must), list(should), list(must_not)
        if must:
            base = must[0] if len(must) == 1 else wq.And(must)
            if should:
                base = wq.AndMaybe(base, should[0] if len(should) == 1 else wq.Or(should))
        elif should:
            base = should[0] if len(should) == 1 else wq.Or(should)
        else:
            base = wq.Every()
        if must_not:
            base = wq.AndNot(base, must_not[0] if len(must_not) == 1 else wq.Or(must_not))
        return base

    def boost(self, q: wq.Query, factor: float) -> wq.Query:
        return q if factor == 1.0 else q.with_boost(q.boost * factor)

    def everything(self) -> wq.Query:
        return wq.Every()


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, directory: Path):
        super().__init__(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if windex.exists_in(str(directory)):
            self.index = windex.open_dir(str(directory))
        else:
            self.index = windex.create_in(str(directory), _schema())
        self.compiler = _Compiler()
        self._searcher = None

    def _replace(self, work: str, docs: Iterable[SearchDoc]) -> int:
        writer = self.index.writer(limitmb=256)
        n = 0
        try:
            writer.delete_by_term("work", work)
            for d in docs:
                fields = {name: getattr(d, name) for name in _KEYWORDS}
                for name, toks in analysed_fields(d).items():
                    fields[name] = encode(toks)
                fields.update(valid_from=d.valid_from, valid_to=d.valid_to,
                              stored=orjson.dumps(stored_fields(d)).decode())
                writer.add_document(**fields)
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self.reload()
        return n

    def clear(self) -> None:
        self.index = windex.create_in(str(self.directory), _schema())
        self.reload()
        self._save_state({})

    def _searcher_(self):
        if self._searcher is None:
            self._searcher = self.index.searcher(weighting=BM25F())
        return self._searcher

    def _filter(self, filters: Filters) -> wq.Query:
        parts: list[wq.Query] = []
        for fld, values in (("jurisdiction", filters.jurisdictions), ("act", filters.acts),
                            ("act_type", filters.types), ("status", filters.statuses), ("kind", filters.kinds)):
            if values:
                parts.append(wq.Or([wq.Term(fld, v) for v in values]))
        if filters.as_of is None:
            parts.append(wq.NumericRange("valid_to", OPEN_END, OPEN_END))
        else:
            parts.append(wq.NumericRange("valid_from", 0, filters.as_of))
            parts.append(wq.NumericRange("valid_to", filters.as_of, OPEN_END, startexcl=True))
        return wq.And(parts)

    def search(self, query: Node, filters: Filters, limit: int) -> list[Hit]:
        s = self._searcher_()
        res = s.search(self.compiler.compile(query), limit=limit, filter=self._filter(filters))
        return [Hit(hit.score, orjson.loads(hit["stored"])) for hit in res]

    def facets(self, query: Node, filters: Filters) -> Facets:
        # Counted over articles and headings only, as in the tantivy backend.
        s = self._searcher_()
        flt = wq.And([self._filter(filters), wq.Term("unit", "1")])
        res = s.search(self.compiler.compile(query), limit=1, filter=flt, scored=False,
                       groupedby={"jurisdiction": sorting.FieldFacet("jurisdiction", maptype=sorting.Count),
                                  "act": sorting.FieldFacet("act", maptype=sorting.Count)})
        jur = {str(k): int(v) for k, v in res.groups("jurisdiction").items()}
        return Facets(total=sum(jur.values()), jurisdiction=jur,
                      act={str(k): int(v) for k, v in res.groups("act").items()})

    def doc_freq(self, term: str) -> int:
        s = self._searcher_()
        return s.doc_frequency("t_text", term) or s.doc_frequency("t_title", term)

    def vocabulary(self, min_df: int = 1) -> list[tuple[str, int]]:
        reader = self._searcher_().reader()
        out = [(t.decode() if isinstance(t, bytes) else t, info.doc_frequency())
               for t, info in reader.iter_field("t_text")]
        return sorted(((t, n) for t, n in out if n >= min_df), key=lambda tn: (-tn[1], tn[0]))

    def lookup(self, iris: list[str], filters: Filters) -> list[Hit]:
        if not iris:
            return []
        s = self._searcher_()
        flt = self._filter(Filters(as_of=filters.as_of, statuses=()))
        res = s.search(wq.Or([wq.Term("iri", i) for i in iris]), limit=len(iris) * 4, filter=flt)
        hits = [Hit(1.0, orjson.loads(h["stored"])) for h in res]
        order = {iri: i for i, iri in enumerate(iris)}
        return sorted(hits, key=lambda h: order.get(h.doc["iri"], len(order)))

    def reload(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None

    def close(self) -> None:
        self.reload()
