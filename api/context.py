"""The application context: the one object that owns what the routes share.

The store, the search backend, the thesaurus, the act aliases, the suggester, the SPARQL
executor and every cache built from them live here, on `app.state.ctx`, and nowhere else
(no module-level caches). Caches hold what only an ingest can change; an ingest always
syncs the search index, so the index's state stamp is the data version: when it moves,
`refresh()` drops every cache at once. The warm-up that fills them at start runs in a
thread whose outcome (done, failed with the error) is logged and shown by /health.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import Request

from ingest.config import Settings
from ingest.index.backend import SearchBackend
from ingest.index.querylang import Thesaurus
from ingest.mappings.suggest import Suggester
from ingest.sources import act_aliases
from ingest.store import GraphStore

from . import mappings as mapping_service, resources, search as search_service
from .memo import MISSING, Memo

log = logging.getLogger("lexmap.api")
T = TypeVar("T")
MEMO_ENTRIES = 512      # request-keyed memo entries kept (least recently used go first)
# Memo kinds built from the legislation's texts alone (never from mappings, reviews or the
# suggester): a memo family kept by the texts token, so a reviewer's write does not drop them.
# Each was checked to read no mapping; a kind missing here is only rebuilt more often than needed.
TEXT_KINDS = frozenset({
    "resource",                   # resources.get_act: a provision's or act's text (mappings added after)
    "provision-references",       # reflinks.for_provision: its references and what cites it
    "page-references",            # reflinks.page_view: the text with its references linked
    "provision effects",          # effects.history: the amendment notes of a provision
    "effects",                    # effects.collect
    "redaction-dates",
    "latest redaction graphs",
    "reading",                    # reading.read: an act's or chapter's text to read
    "changes",                    # compare.changes: what changed between two redactions
})


@dataclass
class WarmUp:
    """What the start-up warm-up did: running, done or failed (with the error)."""

    status: str = "not started"
    error: str | None = None
    seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "seconds": self.seconds}


@dataclass
class AppContext:
    """Everything a request may use, built once per app."""

    settings: Settings
    store: GraphStore
    backend: SearchBackend
    thesaurus: Thesaurus
    aliases: dict[str, str]
    suggester: Suggester
    sparql: Any = None                       # api.sparql_endpoint.SparqlExecutor, made in the lifespan
    warm_up_state: WarmUp = field(default_factory=WarmUp)
    # (data version, suggested links) the search's reranker weighs: api/pair_search._suggested_links
    search_suggestions: tuple | None = None
    _version: object = None
    _acts: list[dict] | None = None
    _known: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _memo: Memo = field(default_factory=lambda: Memo(MEMO_ENTRIES))
    # the local data token at which a search was last answered in full in a worker thread: every
    # cache a search reads was then built for it (see searches_from_memory)
    _searched_at: object = None

    @classmethod
    def build(cls, settings: Settings, store: GraphStore, backend: SearchBackend) -> "AppContext":
        """A context over an open store and backend (the app closes them if it opened them)."""
        return cls(settings=settings, store=store, backend=backend, thesaurus=Thesaurus.load(settings.thesaurus),
                   aliases=act_aliases(settings), suggester=Suggester(store, settings.bag_dir))

    def search_counterparts(self):
        """Each article's counterparts as the search's reranker weighs them (what every search
        of the app passes to api.search.search: api.pair_search.search_counterparts)."""
        from . import pair_search
        return pair_search.search_counterparts(self)

    # ------------------------------------------------------------------ cache coherence

    def data_version(self) -> object:
        """The stamp of the search index's state, which every ingest rewrites."""
        path = getattr(self.backend, "state_file", None)
        try:
            return path.stat().st_mtime_ns if path is not None else None
        except FileNotFoundError:
            return None

    def data_token(self) -> object:
        """What every memo entry depends on: a value that changes with every write (a mapping,
        a review, a curated load, an ingest) by any process. None when the store cannot tell
        its writes: then nothing is memoised.

        Read on every call, never remembered, so the next request in any worker sees a write
        made through another. Its parts: the store's data token (embedded store: this
        process's write generation, exact since no other process can write it; remote store,
        as under `lexmap serve --workers N`: a value each write replaces in its own
        transaction, one small query — ingest.store.STATE_GRAPH says why it lives in the store
        and not in a file) and the search index's state stamp (an ingest rewrites the index
        after the store)."""
        token = getattr(self.store, "data_token", None)
        return None if token is None else (self.data_version(), token())

    def texts_token(self) -> object:
        """What the TEXT_KINDS entries depend on: like `data_token`, but a write of mappings
        only (a proposal, a review, a curated load) leaves it as it was (GraphStore.texts_token)."""
        token = getattr(self.store, "texts_token", None) or getattr(self.store, "data_token", None)
        return None if token is None else (self.data_version(), token())

    def memo(self, kind: str, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, kept under (kind, key) until the data token changes (api.memo.Memo: data-wide
        entries, key None, stay; request-keyed ones are a bounded LRU; concurrent requests for
        an entry being built wait for that build).

        The token is read before the build: a write during the build gives a new token, so
        what the build may have read before the write is never served after it. Values are
        shared between requests: callers must not change them. A kind in TEXT_KINDS is kept
        by the texts token instead (a memo family of its own)."""
        texts = kind in TEXT_KINDS
        token = self.texts_token() if texts else self.data_token()
        if token is None:
            return build()
        return self._memo.get(token, kind, key, build, family=texts)

    def carry(self, before: object, kind: str, key: Hashable, derive: Callable[[Any], Any]) -> bool:
        """After a write this process made having read the data token `before`: when the store
        tells it was the only write since (an embedded store counts them; a shared one cannot
        tell, so there nothing is carried), the entry (kind, key) kept for `before` becomes,
        through `derive`, the entry for the token after the write, instead of being built
        afresh by the next request. Whether it was carried."""
        after = self.data_token()
        between = getattr(self.store, "writes_between", None)
        if before is None or after is None or before[0] != after[0] or between is None \
                or between(before[1], after[1]) != 1:
            return False
        texts = kind in TEXT_KINDS
        old = self._memo.peek(before, kind, key, family=texts)
        if old is MISSING:
            return False
        self._memo.put(after, kind, key, derive(old), family=texts)
        return True

    def local_data_token(self) -> object:
        """The data token when it can be read without a round trip to a server (the embedded
        store; a shared one whose writers all run on this machine, its stamp clean), else None."""
        local = getattr(self.store, "local_token", None)
        token = local() if local is not None else None
        return None if token is None else (self.data_version(), token)

    def searches_from_memory(self) -> bool:
        """Whether a search can be answered from memory alone: the data has not changed (by a
        read of this machine's own state, no server asked) since a search was answered in full
        here, so every cache it reads (known filters, counterparts, article vectors, the
        reranker's terms) is built for this data. Such a search needs only CPU; a search after
        a write or an ingest may read the store and build them."""
        warm = self._searched_at
        return warm is not None and warm == self.local_data_token()

    def searched(self, token: object) -> None:
        """A search was answered in full at local data token `token` (read before it began)."""
        if token is not None and token == self.local_data_token():
            self._searched_at = token

    def drop_memo(self) -> None:
        """Forget every memo entry (the benches time the uncached path with it)."""
        self._searched_at = None
        self._memo.clear()

    def refresh(self) -> None:
        """Drop every cache if an ingest changed the data since they were built."""
        version = self.data_version()
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self.invalidate()
                    self._version = version

    def invalidate(self) -> None:
        """Forget everything built from the data (an ingest happened)."""
        self._searched_at = None
        self._acts = None
        self._known = None
        self._memo.clear()
        self.suggester = Suggester(self.store, self.settings.bag_dir)
        self.backend.refresh_if_changed()

    # ------------------------------------------------------------------ cached views

    def acts(self) -> list[dict]:
        """Every act with its latest redaction (list_acts takes ~1 s on the whole corpus)."""
        self.refresh()
        acts = self._acts
        if acts is None:
            acts = self._acts = resources.list_acts(self.store)
        return acts

    def known_filters(self) -> dict[str, Any]:
        """Acts, jurisdictions and types the store holds, for checking search filters."""
        self.refresh()
        known = self._known
        if known is None:
            known = self._known = search_service.known_values(self.store)
        return known

    @property
    def mappings(self) -> mapping_service.Context:
        """What the mapping services need (store, base IRI, aliases)."""
        return mapping_service.Context(self.store, self.settings.base_iri, self.aliases, self.memo,
                                       self.data_token, self.carry)

    # ------------------------------------------------------------------ warm-up

    def start_warm_up(self) -> threading.Thread:
        """Fill, in the background, what the first requests would wait for: the act list, the
        search's article vectors, the reranker's stem postings, the snippets' vocabulary and term
        vectors (read from the cache, or built after an ingest), the suggestion profiles of mapped acts (a cold
        gap analysis takes seconds, a warm one ~1 s), the best suggestion of every article of the
        mapped act pairs and of the manifest's code pairs (what search hits show beside their
        mappings; ranked at every start: 12.7 s for 16,010 articles, 5.6 s for the 7,629 of the
        mapped pairs alone), the counterparts the search's reranker weighs
        (api/pair_search.search_counterparts; read from the cache, else from those suggestions)
        and the draft check's act spaces and definitions."""
        thread = threading.Thread(target=self._warm_up, name="lexmap-warm-up", daemon=True)
        self.warm_up_state = WarmUp(status="running")
        thread.start()
        return thread

    def _warm_up(self) -> None:
        started = time.perf_counter()
        try:
            self.acts()
            from ingest.index import semantic      # the article vectors the search blends in
            vectors = semantic.article_vectors(self.backend)
            if vectors is not None:               # and the reranker's stem postings (same rows)
                from ingest.index import rerank
                rerank.article_terms(self.backend, vectors)
            search_service.warm_vocabulary(self.backend)
            from . import snippet_table             # the term vectors snippets are cut from
            snippet_table.table(self.backend)
            suggester = self.suggester
            for a, b in sorted(self.mappings.repo.act_pairs()):
                suggester.pair(a, b)
            from . import pair_search  # each search hit's best suggestion, ranked once
            pair_search.warm_counterparts(self)
            pair_search.search_counterparts(self)    # ... and the counterparts the search's reranker weighs
            from . import drafts       # only the warm-up needs the draft check here
            drafts.warm_up(self)
        except Exception as exc:  # noqa: BLE001 - shown in /health and logged; requests then build on demand
            log.exception("warm-up failed; the first requests will be slower")
            self.warm_up_state = WarmUp("failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
            return
        self.warm_up_state = WarmUp("done", None, round(time.perf_counter() - started, 2))


def of(request: Request) -> AppContext:
    """The context of the app serving `request`."""
    return request.app.state.ctx
