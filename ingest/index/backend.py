"""The one small interface every search engine sits behind.

A backend stores SearchDocs under pre-analysed terms and answers a parsed
query tree with filters. Ranking is BM25 over three analysed fields with
boosts (a title match weighs more than a text match); collapsing parts into
their article, snippets and citations are done above, once for all backends.
"""
from __future__ import annotations

import json
import os
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Hashable, Iterable, TypeVar

from .analysis import ANALYSIS_VERSION, Token, tokenize
from .documents import SearchDoc
from .querylang import All, Any as AnyOf, Node, Not, Phrase, Prefix, Ranked, Word, phrase_variants

# Bump when a backend's fields change: an index on disk of another layout is rebuilt.
SCHEMA_VERSION = "2"      # 2: t_lost

# Analysed fields and their weight in the score (BM25F-style field boosts). t_lost: the list items
# an article's source lost, read from an earlier redaction (SearchDoc.recovered) — a field of its
# own, so they neither lengthen the text the article's own words are scored in nor outweigh them.
FIELD_BOOSTS = {"t_title": 3.0, "t_text": 1.0, "t_act": 0.3, "t_lost": 0.5}
ANALYSED_FIELDS = tuple(FIELD_BOOSTS)
# A document matching every word of a ranked query gets this much more.
ALL_WORDS_BOOST = 2.0
# A document with the words next to each other (within this slop) gets a bonus too.
PROXIMITY_SLOP = 3
PROXIMITY_BOOST = 1.5
# The words as a phrase in an article's title (the title names the rule).
TITLE_PHRASE_SLOP = 2
TITLE_PHRASE_BOOST = 2.0
# A thesaurus term weighs this much of the word it stands for.
RELATED_WEIGHT = 0.6

Q = TypeVar("Q")


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return; empty lists mean "any"."""

    jurisdictions: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()              # ELI work paths
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("in_force",)
    kinds: tuple[str, ...] = ()
    as_of: int | None = None                # yyyymmdd; None: the latest redaction


@dataclass
class Hit:
    score: float
    doc: dict[str, Any] | None              # the stored fields of the SearchDoc; None until fetched
    article: Hashable = None                # its article, as SearchBackend.article_key gives it
    position: float = 1.0                   # its article's place in its chapter (SearchDoc.position)
    ref: Any = None                         # where the backend fetches the stored fields from


@dataclass
class Facets:
    total: int                               # distinct articles (or headings) matched
    jurisdiction: dict[str, int] = field(default_factory=dict)
    act: dict[str, int] = field(default_factory=dict)


def stored_fields(doc: SearchDoc) -> dict[str, Any]:
    """What a hit carries back: everything but the analysed forms and the list items the source
    lost (`recovered`: indexed in t_lost to be found by, never shown as the provision's text)."""
    return {k: v for k, v in doc.__dict__.items() if k != "recovered"}


def analysed_fields(doc: SearchDoc) -> dict[str, list[Token]]:
    """The analysed fields of a document (ANALYSED_FIELDS)."""
    title = " ".join(x for x in (doc.label, doc.title) if x)
    return {"t_title": tokenize(title), "t_text": tokenize(doc.text), "t_act": tokenize(doc.act_title),
            "t_lost": tokenize(doc.recovered)}


class QueryCompiler(ABC, Generic[Q]):
    """Turns a query tree into a backend query through a few primitives."""

    @abstractmethod
    def term(self, fld: str, value: str) -> Q: ...

    @abstractmethod
    def phrase(self, fld: str, words: list[tuple[int, str]], slop: int = 0) -> Q: ...

    @abstractmethod
    def prefix(self, fld: str, prefix: str) -> Q: ...

    @abstractmethod
    def boolean(self, must: list[Q] = (), should: list[Q] = (), must_not: list[Q] = ()) -> Q: ...

    @abstractmethod
    def boost(self, q: Q, factor: float) -> Q: ...

    @abstractmethod
    def everything(self) -> Q: ...

    def fields(self, make) -> Q:
        """The same condition on every analysed field, weighted by the field's boost."""
        return self.boolean(should=[self.boost(make(f), b) for f, b in FIELD_BOOSTS.items()])

    def compile(self, node: Node) -> Q:
        if isinstance(node, Word):
            if len(node.terms) == 1 and not node.related and not node.weighted:
                return self.fields(lambda f: self.term(f, node.terms[0]))
            return self.fields(lambda f: self.boolean(
                should=[self.term(f, t) for t in node.terms]
                + [self.boost(self.term(f, r), RELATED_WEIGHT) for r in node.related]
                + [self.boost(self.term(f, r), w) for r, w in node.weighted]))
        if isinstance(node, Prefix):
            return self.fields(lambda f: self.prefix(f, node.prefix))
        if isinstance(node, Phrase):
            variants = phrase_variants(node)
            return self.fields(lambda f: self.boolean(should=[self.phrase(f, v) for v in variants]))
        if isinstance(node, Not):
            return self.boolean(must=[self.everything()], must_not=[self.compile(node.item)])
        if isinstance(node, All):
            pos = [self.compile(c) for c in node.items if not isinstance(c, Not)]
            neg = [self.compile(c.item) for c in node.items if isinstance(c, Not)]
            return self.boolean(must=pos or [self.everything()], must_not=neg)
        if isinstance(node, AnyOf):
            return self.boolean(should=[self.compile(c) for c in node.items])
        if isinstance(node, Ranked):
            pos = [c for c in node.items if not isinstance(c, Not)]
            neg = [self.compile(c.item) for c in node.items if isinstance(c, Not)]
            required = [self.compile(c) for c in pos if isinstance(c, All)]
            optional = [c for c in pos if not isinstance(c, All)]
            compiled = [self.compile(c) for c in optional]     # each word compiled once, used twice
            should = list(compiled)
            if len(optional) > 1:
                should.append(self.boost(self.boolean(must=compiled), ALL_WORDS_BOOST))
                words = [c for c in optional if isinstance(c, Word)]
                if len(words) == len(optional):
                    near = [(i, c.terms[0]) for i, c in enumerate(words)]
                    should.append(self.boost(self.phrase("t_text", near, PROXIMITY_SLOP), PROXIMITY_BOOST))
                    should.append(self.boost(self.phrase("t_title", near, TITLE_PHRASE_SLOP), TITLE_PHRASE_BOOST))
            if not required and not should:
                required = [self.everything()]
            if required and should:
                # required parts decide the match; optional words only rank
                return self.boolean(must=required + [self.boolean(should=should + [self.everything()])],
                                    must_not=neg)
            return self.boolean(must=required, should=should, must_not=neg)
        raise TypeError(f"unknown query node {node!r}")

    def matching(self, node: Node) -> Q:
        """A query matching exactly the documents `compile(node)` matches, without what only
        ranks (the all-words and proximity bonuses of juxtaposed words, which a document can
        only earn by matching one of the words anyway): for counting, where scores are unused."""
        if isinstance(node, (Word, Prefix, Phrase)):
            return self.compile(node)
        if isinstance(node, Not):
            return self.boolean(must=[self.everything()], must_not=[self.matching(node.item)])
        if isinstance(node, All):
            pos = [self.matching(c) for c in node.items if not isinstance(c, Not)]
            neg = [self.matching(c.item) for c in node.items if isinstance(c, Not)]
            return self.boolean(must=pos or [self.everything()], must_not=neg)
        if isinstance(node, AnyOf):
            return self.boolean(should=[self.matching(c) for c in node.items])
        if isinstance(node, Ranked):
            pos = [c for c in node.items if not isinstance(c, Not)]
            neg = [self.matching(c.item) for c in node.items if isinstance(c, Not)]
            required = [self.matching(c) for c in pos if isinstance(c, All)]
            if required:            # compile(): the required parts decide, optional words only rank
                return self.boolean(must=required, must_not=neg)
            optional = [self.matching(c) for c in pos]
            if not optional:
                return self.boolean(must=[self.everything()], must_not=neg)
            return self.boolean(should=optional, must_not=neg)
        raise TypeError(f"unknown query node {node!r}")


class SearchBackend(ABC):
    """A search index in a directory of its own, rebuilt per act."""

    name: str = ""
    schema_version: str = SCHEMA_VERSION    # a backend whose own fields changed says so here
    counts_in_parallel: bool = False        # facets() releases the GIL: worth a thread beside search()

    def __init__(self, directory: Path):
        self.directory = directory
        self.state_file = directory / "acts.json"
        self._prepare_directory()
        # the index opened after this reads at least this state (a commit precedes its state file)
        self._seen_state: tuple | None = self.state_stamp()

    def _prepare_directory(self) -> None:
        """An index is derived data: one of another layout is wiped, and re-filled from the graph."""
        layout = f"{self.name} schema {self.schema_version} analysis {ANALYSIS_VERSION}\n"
        marker = self.directory / "LAYOUT"
        if self.directory.exists() and (not marker.exists() or marker.read_text() != layout):
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        if not marker.exists():
            marker.write_text(layout)

    def state_stamp(self) -> tuple | None:
        """The state file's identity: every commit rewrites it (a new file, replaced)."""
        try:
            st = self.state_file.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def refresh_if_changed(self) -> tuple | None:
        """Reload the searcher when another process (an ingest) committed since; returns the
        state stamp the searcher now reflects (what a cache of answers may be keyed by)."""
        stamp = self.state_stamp()
        if stamp != self._seen_state:
            self._seen_state = stamp
            self.reload()
        return stamp

    # what is indexed ---------------------------------------------------
    def indexed(self) -> dict[str, str]:
        """Act IRI -> the stamp of what its documents were built from."""
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        if data.get("analysis") != ANALYSIS_VERSION or data.get("backend") != self.name:
            return {}
        return data.get("acts", {})

    def _save_state(self, acts: dict[str, str]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"backend": self.name, "analysis": ANALYSIS_VERSION, "acts": acts}, indent=1))
        os.replace(tmp, self.state_file)

    def replace_act(self, work: str, docs: Iterable[SearchDoc], stamp: str) -> int:
        """Swap all documents of an act for these, in one commit; returns how many."""
        n = self._replace(work, docs)
        acts = self.indexed()
        acts[work] = stamp
        self._save_state(acts)
        return n

    def remove_act(self, work: str) -> None:
        self._replace(work, [])
        acts = self.indexed()
        acts.pop(work, None)
        self._save_state(acts)

    @abstractmethod
    def _replace(self, work: str, docs: Iterable[SearchDoc]) -> int: ...

    @abstractmethod
    def clear(self) -> None:
        """Drop every document (a full rebuild follows)."""

    # what is asked -----------------------------------------------------
    @abstractmethod
    def search(self, query: Node, filters: Filters, limit: int) -> list[Hit]:
        """The best `limit` documents, best first, with their stored fields."""

    def candidates(self, query: Node, filters: Filters, limit: int) -> list[Hit]:
        """The best `limit` documents, best first, with `article` and `position` set; `doc` may
        be None until `fetch` (a backend that can rank without reading stored documents does)."""
        hits = self.search(query, filters, limit)
        for h in hits:
            h.article = self.article_key(h.doc["article"])
            h.position = float(h.doc.get("position", 1.0))
        return hits

    def fetch(self, hits: list[Hit]) -> None:
        """Read the stored fields of the hits that have none yet (those shown)."""

    def article_key(self, article: str) -> Hashable:
        """What `Hit.article` holds for an article IRI (equal keys: the same article)."""
        return article

    @abstractmethod
    def facets(self, query: Node, filters: Filters) -> Facets:
        """How many articles match, in all and per jurisdiction and act."""

    @abstractmethod
    def doc_freq(self, term: str) -> int:
        """In how many documents an index term occurs (text or heading): the index's own vocabulary."""

    @abstractmethod
    def vocabulary(self, min_df: int = 1) -> list[tuple[str, int]]:
        """Every term of the texts with its document frequency, the most frequent first."""

    @abstractmethod
    def lookup(self, iris: list[str], filters: Filters) -> list[Hit]:
        """Documents of the given provisions (for citations), in the redaction the filters choose."""

    def reload(self) -> None:
        """See commits made by other processes (an ingest running beside the server)."""

    def close(self) -> None:
        """Release files and locks."""

