"""The graph store: embedded Oxigraph on disk by default, a remote SPARQL 1.1 server otherwise.

Backends are chosen by name (like rdflib's store plugins). Both keep each act
redaction in its own named graph, replaced in one transaction, and answer
queries over the union of all graphs.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, Protocol

import httpx
import pyoxigraph as ox

from ontology import SPARQL_PREFIXES
from .config import Settings
from .query import iriref

Row = dict[str, str]

JSON_RESULTS = "application/sparql-results+json"
MEDIA_TYPES = {
    "json": JSON_RESULTS,
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
}


class StoreError(RuntimeError):
    """The store could not be opened, read or written; says which and what to do."""


class GraphStore(Protocol):
    """What lexmap needs of a triple store."""

    def replace_graph(self, graph: str, ntriples: str) -> None:
        """Replace the content of a named graph atomically."""

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph (no error if absent)."""

    def graphs(self) -> list[str]:
        """Names of the named graphs."""

    def update(self, sparql: str) -> None:
        """Run one SPARQL 1.1 update (one transaction); durable when it returns."""

    def select(self, sparql: str) -> list[Row]:
        """Rows of a SELECT over the union graph, each value as its lexical form."""

    def ask(self, sparql: str) -> bool:
        """Answer of an ASK over the union graph."""

    def construct(self, sparql: str) -> str:
        """N-Triples of a CONSTRUCT/DESCRIBE over the union graph."""

    def raw_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        """Serialized results for the SPARQL protocol endpoint (bytes, media type)."""

    def close(self) -> None:
        """Release the store."""


def _distinct(rows: list[Row]) -> list[Row]:
    """Rows without repeats, in their order.

    The union default graph is a bag of quads: a work-level triple (an act's
    title, a provision's eId) is stated in the graph of each redaction and
    comes back once per redaction. lexmap reads the dataset as a set.
    """
    seen: set = set()
    out = []
    for r in rows:
        key = tuple(sorted(r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _prefixed(sparql: str) -> str:
    return SPARQL_PREFIXES + sparql


class OxigraphStore:
    """Embedded, persistent Oxigraph store (pyoxigraph), no server needed."""

    def __init__(self, path: Path | None, read_only: bool = False):
        self.path, self.read_only = path, read_only
        # Bumped after every write through this object: the SPARQL endpoint's
        # worker snapshots compare it to know when they are stale.
        self._generation, self._generation_lock = 0, threading.Lock()
        # Oxigraph's on-disk store evaluates an update on a snapshot and commits it without
        # conflict detection: two conditional updates in parallel threads could both pass their
        # WHERE. This process's writes take turns, so each sees the other's commit (no other
        # process can open the same on-disk store for writing).
        self._write_lock = threading.Lock()
        try:
            if path is None:
                self.store = ox.Store()
            elif read_only:
                self.store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self.store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}. Another lexmap process (a running "
                             f"'lexmap serve'?) may hold it; stop it or use LEXMAP_DATA_DIR.") from None

    def replace_graph(self, graph: str, ntriples: str) -> None:
        # One SPARQL update = one transaction: readers see the old graph or the
        # new one, never a half-loaded act.
        update = f"DROP SILENT GRAPH {iriref(graph)} ;\nINSERT DATA {{ GRAPH {iriref(graph)} {{\n{ntriples}\n}} }}"
        try:
            with self._write_lock:
                self.store.update(update)
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"loading graph {graph} failed: {exc}") from None
        finally:
            self._wrote()

    def drop_graph(self, graph: str) -> None:
        try:
            with self._write_lock:
                self.store.update(f"DROP SILENT GRAPH {iriref(graph)}")
        finally:
            self._wrote()

    @property
    def generation(self) -> int:
        """How many writes went through this object; a snapshot of generation g holds them all."""
        return self._generation

    def _wrote(self) -> None:
        with self._generation_lock:
            self._generation += 1

    def snapshot(self, target: Path) -> int:
        """Copy the current content to the new directory ``target`` for read-only readers in other
        processes; returns the write generation the copy includes (at least).

        On disk: a RocksDB checkpoint (``Store.backup``: hard links, cheap), opened with
        ``Store.read_only``. In memory: ``target/data.nq`` (N-Quads), loaded by the reader.
        """
        generation = self.generation   # read first: a write during the copy makes the copy look stale
        if self.path is None:
            target.mkdir(parents=True)
            self.store.dump(str(target / "data.nq"), ox.RdfFormat.N_QUADS)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.store.backup(str(target))
        return generation

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def update(self, sparql: str) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only; writes go through the running 'lexmap serve'")
        try:
            with self._write_lock:
                self.store.update(_prefixed(sparql))
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"update failed: {exc}") from None
        finally:
            self._wrote()
        if hasattr(self.store, "flush"):
            self.store.flush()   # a write acknowledged to a user survives a crash

    def _query(self, sparql: str):
        try:
            return self.store.query(_prefixed(sparql), use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValueError(f"SPARQL syntax error: {exc}") from None

    def select(self, sparql: str) -> list[Row]:
        result = self._query(sparql)
        names = [v.value for v in result.variables]
        return _distinct([{n: s[n].value for n in names if s[n] is not None} for s in result])

    def ask(self, sparql: str) -> bool:
        return bool(self._query(sparql))

    def construct(self, sparql: str) -> str:
        result = self._query(sparql)
        return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in result)

    def raw_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        try:
            result = self.store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise ValueError(f"SPARQL syntax error: {exc}") from None
        if isinstance(result, ox.QueryTriples):
            fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD}.get(
                accept, ox.RdfFormat.N_TRIPLES)
            return result.serialize(format=fmt), fmt.media_type
        fmt = {"application/sparql-results+xml": ox.QueryResultsFormat.XML, "text/csv": ox.QueryResultsFormat.CSV,
               "text/tab-separated-values": ox.QueryResultsFormat.TSV}.get(accept, ox.QueryResultsFormat.JSON)
        return result.serialize(format=fmt), fmt.media_type

    def close(self) -> None:
        if not self.read_only and hasattr(self.store, "flush"):
            self.store.flush()
        del self.store


class RemoteSparqlStore:
    """A SPARQL 1.1 server (Oxigraph server, Fuseki, GraphDB) reached over HTTP.

    The server must expose the union of named graphs as its default graph for
    queries (oxigraph: ``serve --union-default-graph``; Fuseki:
    ``tdb2:unionDefaultGraph true``).
    """

    def __init__(self, query_url: str, update_url: str | None, timeout: float = 120.0):
        self.query_url = query_url
        self.update_url = update_url
        self.client = httpx.Client(timeout=timeout)
        self._write_lock = threading.Lock()

    def _update(self, update: str) -> None:
        if not self.update_url:
            raise StoreError("this store is read-only: LEXMAP_SPARQL_UPDATE is not set")
        try:
            with self._write_lock:    # this process's writes take turns (the server may not serialize them)
                resp = self.client.post(self.update_url, content=update.encode("utf-8"),
                                        headers={"Content-Type": "application/sparql-update"})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server at {self.update_url} unreachable: {exc}") from None
        if resp.status_code >= 300:
            raise StoreError(f"SPARQL update refused by {self.update_url}: HTTP {resp.status_code} {resp.text[:300]}")

    def replace_graph(self, graph: str, ntriples: str) -> None:
        self._update(f"DROP SILENT GRAPH {iriref(graph)} ;\nINSERT DATA {{ GRAPH {iriref(graph)} {{\n{ntriples}\n}} }}")

    def drop_graph(self, graph: str) -> None:
        self._update(f"DROP SILENT GRAPH {iriref(graph)}")

    def update(self, sparql: str) -> None:
        self._update(_prefixed(sparql))

    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"] for r in rows)

    def _post(self, sparql: str, accept: str) -> httpx.Response:
        try:
            resp = self.client.post(self.query_url, content=sparql.encode("utf-8"),
                                    headers={"Content-Type": "application/sparql-query", "Accept": accept})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server at {self.query_url} unreachable: {exc}") from None
        if resp.status_code == 400:
            raise ValueError(f"SPARQL error: {resp.text[:300]}")
        if resp.status_code >= 300:
            raise StoreError(f"SPARQL query failed at {self.query_url}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp

    def select(self, sparql: str) -> list[Row]:
        data = json.loads(self._post(_prefixed(sparql), JSON_RESULTS).content)
        return _distinct([{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]])

    def ask(self, sparql: str) -> bool:
        return bool(json.loads(self._post(_prefixed(sparql), JSON_RESULTS).content)["boolean"])

    def construct(self, sparql: str) -> str:
        return self._post(_prefixed(sparql), "application/n-triples").text

    def raw_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        resp = self._post(sparql, accept)
        return resp.content, resp.headers.get("content-type", accept).split(";")[0]

    def close(self) -> None:
        self.client.close()


BACKENDS: dict[str, Callable[[Settings, bool], GraphStore]] = {
    "oxigraph": lambda s, ro: OxigraphStore(s.store_dir, read_only=ro),
    "memory": lambda s, ro: OxigraphStore(None),
    "sparql": lambda s, ro: RemoteSparqlStore(_need(s.sparql_query, "LEXMAP_SPARQL_QUERY"),
                                              None if ro else s.sparql_update),
}


def _need(value: str | None, name: str) -> str:
    if not value:
        raise StoreError(f"LEXMAP_STORE=sparql needs {name} (the endpoint URL)")
    return value


def open_store(settings: Settings, read_only: bool = False) -> GraphStore:
    """Open the configured store backend."""
    try:
        factory = BACKENDS[settings.store]
    except KeyError:
        raise StoreError(f"unknown store backend {settings.store!r}; use one of {', '.join(BACKENDS)}") from None
    return factory(settings, read_only)


def rdflib_dataset(store: GraphStore):
    """An rdflib Dataset over an embedded store, for programmatic use (oxrdflib)."""
    if not isinstance(store, OxigraphStore):
        raise StoreError("rdflib access is offered for the embedded store only; use SPARQL for a remote one")
    from oxrdflib import OxigraphStore as RdflibOxigraph
    from rdflib import Dataset
    return Dataset(store=RdflibOxigraph(store=store.store), default_union=True)
