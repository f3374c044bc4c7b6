"""The graph store: embedded Oxigraph on disk by default, a remote SPARQL 1.1 server otherwise.

Backends are chosen by name (like rdflib's store plugins). Both keep each act
redaction in its own named graph, replaced in one transaction, and answer
queries over the union of all graphs.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Protocol

import httpx
import pyoxigraph as ox

from ontology import SPARQL_PREFIXES
from .config import Settings
from .journal import LoadJournal
from .query import iriref, literal

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
        """Names of the named graphs (lexmap's own STATE_GRAPH left out)."""

    def data_token(self) -> str:
        """A value that changes with every write to the data, cheap to read (cache keys)."""

    def texts_token(self) -> str:
        """A value that changes with every write that may change the legislation (acts, their
        references and effects), but not with a write of mappings only (`update(..., texts=False)`):
        what views of the texts are cached by. A store that cannot tell them apart returns its
        data token."""

    def local_token(self) -> str | None:
        """The data token when it can be read without a round trip to a server, else None
        (what decides whether a request may be answered on the event loop: api/routes/search.py)."""

    def update(self, sparql: str, texts: bool = True) -> None:
        """Run one SPARQL 1.1 update (one transaction); durable when it returns. `texts=False`:
        the update writes mappings only (the caller's promise), so the texts token stays."""

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


# The data token of a shared (remote) store: a triple that every write through lexmap replaces
# with a fresh random value in the same update request, so in the same transaction as the
# write. Caches of every process reading the store (API workers, replicas on other machines)
# compare it to know whether any write happened since they were built: it moves with the data
# (a write that is lost in a crash loses its token change too) and needs no clock or shared
# disk. The graph is lexmap's own bookkeeping and is left out of `graphs()`.
STATE_GRAPH = "urn:lexmap:state"
_STATE = iriref(STATE_GRAPH)
_TOKEN = f"{_STATE} {iriref('urn:lexmap:dataToken')}"
_TOKEN_READ = f"SELECT ?t WHERE {{ GRAPH {_STATE} {{ {_TOKEN} ?t }} }}"


def _token_update() -> str:
    """The operation, appended to a write's update request, that gives the data token a new value."""
    return (f"DELETE WHERE {{ GRAPH {_STATE} {{ {_TOKEN} ?t }} }} ;\n"
            f"INSERT DATA {{ GRAPH {_STATE} {{ {_TOKEN} {literal(uuid.uuid4().hex)} }} }}")


class OxigraphStore:
    """Embedded, persistent Oxigraph store (pyoxigraph), no server needed."""

    def __init__(self, path: Path | None, read_only: bool = False):
        self.path, self.read_only = path, read_only
        # Bumped after every write through this object: the SPARQL endpoint's
        # worker snapshots compare it to know when they are stale.
        self._generation, self._generation_lock = 0, threading.Lock()
        # Bumped with it, except by writes of mappings only: the cached views of the texts
        # (a provision's history, its references, the reading view) outlive a reviewer's write.
        self._texts_generation = 0
        # Group commit: a flush makes every write committed before it durable, so a writer whose
        # write an ongoing or later flush covers does not flush again (see `_durable`).
        self._flushed, self._flush_lock = 0, threading.Lock()
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
        # Bulk loads not committed before a crash: rolled back now (writer) or reported (reader).
        self.journal = LoadJournal(path) if path is not None else None
        self.recovered = self._recover() if self.journal is not None else []

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

    # A re-load that changes at most this share of a graph's triples is written as its difference.
    DELTA_SHARE = 0.5

    def load_graph(self, graph: str, ntriples: str) -> None:
        """Replace a named graph like `replace_graph`, all or nothing, the fastest safe way:

        - a graph already there whose triples mostly stay (a changed act re-ingested): only the
          difference, in one transaction (`DELETE DATA … ; INSERT DATA …`);
        - otherwise Oxigraph's bulk loader (about three times faster than one transaction, but not
          transactional), guarded by the load journal (ingest/journal.py): a load that fails is
          rolled back at once, one cut short by a crash when the store is next opened, so the graph
          holds its old content or its new content, never part of either.

        In memory (nothing survives a crash) it is `replace_graph`.

        While the load runs, readers of this same object may see part of the graph; `lexmap
        ingest` is the only writer of an on-disk store, and serves no reader meanwhile."""
        if self.journal is None:
            self.replace_graph(graph, ntriples)
            return
        if self.read_only:
            raise StoreError("the store is open read-only; writes go through the running 'lexmap serve'")
        try:
            node = ox.NamedNode(graph)
        except ValueError as exc:
            raise StoreError(f"loading graph {graph} failed: {exc}") from None
        try:
            with self._write_lock:
                had_old = self.store.contains_named_graph(node)
                old = self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=node) if had_old else b""
                try:
                    if had_old and self._load_difference(graph, old, ntriples):
                        return
                except SyntaxError as exc:   # one transaction: nothing was written
                    raise StoreError(f"loading graph {graph} failed: {exc}; the store was left as it was") from None
                save_old = (lambda path: path.write_bytes(old)) if had_old else None
                entry = self.journal.begin(graph, save_old)
                try:
                    if had_old:
                        self.store.remove_graph(node)
                    self.store.bulk_load(ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=node)
                    if had_old:
                        self.store.flush()   # the removal reaches disk before the record goes
                except (SyntaxError, OSError, ValueError) as exc:
                    self._roll_back(entry)
                    raise StoreError(f"loading graph {graph} failed: {exc}; its previous content was "
                                     f"restored") from None
                self.journal.commit(entry)
        except OSError as exc:   # the journal itself (disk full, permissions)
            raise StoreError(f"loading graph {graph} failed: {exc} (journal {self.journal.directory}); "
                             f"reopen the store to roll back an interrupted load") from None
        finally:
            self._wrote()

    def _load_difference(self, graph: str, old: bytes, ntriples: str) -> bool:
        """Turn the graph's N-Triples `old` into `ntriples` by one update of their difference, when it
        is small and holds no blank node; False (nothing done) otherwise.

        Lines are compared as text: a triple the two sides write differently (escapes) is deleted
        and inserted again by the same update, which still leaves it there."""
        before = set(old.decode("utf-8").splitlines())
        after = {line for line in ntriples.splitlines() if line.strip() and not line.startswith("#")}
        removed, added = before - after, after - before
        if len(removed) + len(added) > self.DELTA_SHARE * max(len(after), 1):
            return False
        if any(line.startswith("_:") or " _:" in line for line in removed | added):
            return False             # DELETE DATA cannot name blank nodes
        parts = []
        if removed:
            parts.append(f"DELETE DATA {{ GRAPH {iriref(graph)} {{\n" + "\n".join(removed) + "\n} }")
        if added:
            parts.append(f"INSERT DATA {{ GRAPH {iriref(graph)} {{\n" + "\n".join(added) + "\n} }")
        if parts:
            self.store.update(" ;\n".join(parts))     # one transaction
        return True

    def _roll_back(self, entry) -> None:
        """Put a journaled graph back as it was before its load began, in one transaction each way."""
        node = ox.NamedNode(entry.graph)
        self.store.remove_graph(node)
        if entry.backup is not None:
            self.store.load(path=str(entry.backup), format=ox.RdfFormat.N_TRIPLES, to_graph=node)
        self.store.flush()
        self.journal.commit(entry)

    def _recover(self) -> list[str]:
        """Roll back the bulk loads a crash cut short; returns the graphs put back as they were.
        A read-only opener cannot write: it logs the graphs that may be half-loaded."""
        try:
            pending = self.journal.pending()
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        if self.read_only:
            if pending:
                logging.getLogger("lexmap.store").warning(
                    "%d graph load(s) in %s are not committed (a load is running, or one was cut short: open "
                    "the store for writing once, e.g. `lexmap ingest`, to roll them back): %s",
                    len(pending), self.journal.directory, ", ".join(e.graph for e in pending))
            return []
        for entry in pending:
            try:
                self._roll_back(entry)
            except (OSError, SyntaxError, ValueError) as exc:
                raise StoreError(f"rolling back the interrupted load of {entry.graph} failed: {exc} "
                                 f"(journal {self.journal.directory})") from None
            logging.getLogger("lexmap.store").warning(
                "the load of %s was cut short; its previous content was put back", entry.graph)
        self.journal.clean()
        return [e.graph for e in pending]

    @property
    def generation(self) -> int:
        """How many writes went through this object; a snapshot of generation g holds them all."""
        return self._generation

    def _wrote(self, texts: bool = True) -> int:
        with self._generation_lock:
            self._generation += 1
            self._texts_generation += texts
            return self._generation

    def data_token(self) -> str:
        """What changes with every write to the data: only this process can write an embedded
        store (RocksDB's lock), so the in-process write generation is exact and costs nothing."""
        return f"{id(self):x}-{self._generation}"

    def texts_token(self) -> str:
        """What changes with every write but those of mappings only (see GraphStore.texts_token)."""
        return f"{id(self):x}-t{self._texts_generation}"

    def local_token(self) -> str | None:
        """The data token read without asking any server (always, here): see RemoteSparqlStore."""
        return self.data_token()

    def writes_between(self, before: str, after: str) -> int | None:
        """How many writes went through this store between two of its data tokens (None: not
        two tokens of this store): 1 tells a writer that the write it made between reading
        them was the only one, so what it kept for `before` plus its own change is the state
        at `after` (api.context.AppContext.carry)."""
        mine = f"{id(self):x}-"
        if not (before.startswith(mine) and after.startswith(mine)):
            return None
        try:
            return int(after[len(mine):]) - int(before[len(mine):])
        except ValueError:
            return None

    def _durable(self, generation: int) -> None:
        """Flush RocksDB so that write `generation` (and every earlier one) survives a crash;
        one flush serves all writers that committed before it began (group commit)."""
        if self.path is None or not hasattr(self.store, "flush"):
            return
        with self._flush_lock:
            if self._flushed >= generation:
                return              # a flush that began after this write committed covered it
            upto = self._generation
            self.store.flush()
            self._flushed = max(self._flushed, upto)

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
        return sorted(g.value for g in self.store.named_graphs() if g.value != STATE_GRAPH)

    def update(self, sparql: str, texts: bool = True) -> None:
        if self.read_only:
            raise StoreError("the store is open read-only; writes go through the running 'lexmap serve'")
        try:
            with self._write_lock:
                self.store.update(_prefixed(sparql))
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"update failed: {exc}") from None
        finally:
            generation = self._wrote(texts)
        self._durable(generation)   # a write acknowledged to a user survives a crash

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


STAGING = "urn:lexmap:staging:"    # graphs being loaded: urn:lexmap:staging:<unix seconds>:<random>
JOURNAL = "urn:lexmap:journal"     # one named graph: <staging> <urn:lexmap:journal#target> <act graph>
PROBE = "urn:lexmap:probe:"        # scratch graphs of the check when a store is opened
STAGING_TTL = 3600.0               # seconds after which an unfinished staging graph counts as abandoned
VIRTUOSO_CHUNK = 500               # triples per INSERT DATA: Virtuoso's SPARQL compiler gives up on ~2000
_TARGET = f"<{JOURNAL}#target>"

UNION_HINT = ("lexmap keeps each act in a named graph and queries without FROM, so the server must answer over "
              "the union of its named graphs: start oxigraph with `serve --union-default-graph`; in Fuseki set "
              "`tdb2:unionDefaultGraph true` on the dataset; Virtuoso does it by default (do not set a default "
              "graph on the endpoint)")
UPDATE_HINT = ("give LEXMAP_SPARQL_UPDATE an endpoint that accepts SPARQL 1.1 Update: oxigraph `serve` (not "
               "`serve-read-only`) at /update; Fuseki /<dataset>/update on a writable dataset; Virtuoso /sparql-auth "
               "with LEXMAP_SPARQL_USER and LEXMAP_SPARQL_PASSWORD of an account granted SPARQL_UPDATE; or unset "
               "LEXMAP_SPARQL_UPDATE to open the store read-only")


class RemoteSparqlStore:
    """A SPARQL 1.1 server (oxigraph server, Virtuoso, Fuseki) reached over HTTP.

    Queries and updates are sent form-encoded (``query=``/``update=``), the one request form every
    server takes (Virtuoso 7.2 never answers a POST of ``application/sparql-query``). Updates may
    carry credentials (Virtuoso's ``/sparql-auth`` wants HTTP digest); reads go without them.

    ``check()`` (run by ``open_store``) proves the server fits before anything is written: a probe
    triple written into a scratch named graph must come back through the query URL both from that
    graph and from the default graph, i.e. the server unions its named graphs (oxigraph
    ``--union-default-graph``, Fuseki ``unionDefaultGraph``, Virtuoso's default) and accepts updates.

    Replacing an act graph is all-or-nothing, in one of two ways:

    - small enough for one update (always on oxigraph and Fuseki; up to ``chunk`` triples, 500 by
      default on Virtuoso): ``DROP SILENT GRAPH g ; INSERT DATA {...}`` in one request, which the
      server runs as one transaction.
    - larger (Virtuoso's SPARQL compiler runs out of memory on ~2000 triples in one INSERT DATA):
      loaded into a fresh staging graph (by a Graph Store Protocol PUT when a graph store URL is
      known, else by INSERT DATA chunks), its triple count read back and compared with what was
      sent, then swapped in by one update ``DROP SILENT GRAPH g ; MOVE staging TO g``. A staging
      graph is first written into a journal graph and leaves it in the same update as the swap, so a
      load killed half-way leaves no partial act graph, only a staging graph the journal names;
      ``recover()`` (run by ``check()``) drops those older than ``STAGING_TTL``. Chosen over a PUT
      straight into the act graph because Virtuoso's PUT is not atomic (a failed PUT leaves a
      half graph), and over chunks into the act graph because those leave the old redaction
      half-deleted for readers and after a crash. The cost: while a large act loads, readers of
      the union graph also see its staging triples (the same IRIs, read as a set).
    """

    def __init__(self, query_url: str, update_url: str | None, timeout: float = 120.0, *,
                 graph_store: str | None = None, user: str | None = None, password: str | None = None,
                 auth: str = "digest", chunk: int = 0):
        self.query_url = query_url
        self.update_url = update_url
        self.client = httpx.Client(timeout=timeout)      # reads: no credentials needed
        credentials: httpx.Auth | None = None
        if user:
            credentials = (httpx.DigestAuth if auth == "digest" else httpx.BasicAuth)(user, password or "")
        self.writer = httpx.Client(timeout=timeout, auth=credentials)
        self.server: str | None = None                  # the Server header, seen on the first answer
        self._graph_store, self._chunk = graph_store, chunk
        self._write_lock = threading.Lock()
        # Set when every writer of the server is a lexmap process of this machine (the server
        # 'lexmap serve --workers N' owns, see ingest.store_server): writes take turns on this lock
        # file, since an oxigraph server does not serialize updates (two conditional updates can
        # both pass their WHERE), and keep a stamp file beside it for `data_token`.
        self.write_lock_file: Path | None = None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's writes take turns, and with `write_lock_file` those of other processes;
        the stamp says "dirty" from before the write is sent until it was answered (committed)."""
        with self._write_lock:
            if self.write_lock_file is None:
                yield
                return
            with open(self.write_lock_file, "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)      # released when the file is closed (or the process dies)
                self._set_stamp("dirty")
                yield
                self._set_stamp("clean")            # not reached when the write failed: the stamp stays dirty

    def _set_stamp(self, state: str) -> None:
        # Written in place, one fixed-length record (a rename costs ~2 ms here): a reader that
        # catches it half-written reads a state or value that is not "clean" and a full new value,
        # so it asks the store, or sees a new value; never an old clean value after the write.
        fd = os.open(self.write_lock_file.with_suffix(".stamp"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, f"{state} {uuid.uuid4().hex}".encode(), 0)
        finally:
            os.close(fd)

    # ---- what kind of server
    @property
    def virtuoso(self) -> bool:
        """Whether the server is Virtuoso (its answers say so in the Server header)."""
        if self.server is None:
            self._post("ASK { }", JSON_RESULTS)
        return (self.server or "").lower().startswith("virtuoso")

    def chunk_size(self) -> int:
        """Triples per INSERT DATA; 0 = any size in one update."""
        return self._chunk or (VIRTUOSO_CHUNK if self.virtuoso else 0)

    def graph_store_url(self) -> str | None:
        """The Graph Store Protocol URL for staging loads: configured, or Virtuoso's beside its update URL."""
        if self._graph_store == "none":      # LEXMAP_SPARQL_GRAPH_STORE=none: INSERT DATA chunks only
            return None
        if self._graph_store or not self.update_url or not self.virtuoso:
            return self._graph_store
        base, _, tail = self.update_url.rstrip("/").rpartition("/")
        return f"{base}/sparql-graph-crud-auth" if tail == "sparql-auth" else f"{base}/sparql-graph-crud"

    # ---- the check when opened
    def check(self) -> None:
        """Refuse a server lexmap cannot work with, saying what to set (see the class docstring)."""
        self._post("ASK { }", JSON_RESULTS)                  # reachable, and speaks SPARQL
        if self.update_url:
            self._probe_write()
            self.recover()
        else:
            self._probe_read()

    def _probe_write(self) -> None:
        graph = f"{PROBE}{uuid.uuid4().hex}"
        triple = f"{iriref(graph)} {iriref(PROBE + 'value')} \"{graph[-12:]}\""
        try:
            self._update(f"INSERT DATA {{ GRAPH {iriref(graph)} {{ {triple} }} }}", token=False)
        except StoreError as exc:
            raise StoreError(f"the store cannot be written: {exc}. {UPDATE_HINT}") from None
        try:
            in_graph = self.ask(f"ASK {{ GRAPH {iriref(graph)} {{ {triple} }} }}")
            in_union = self.ask(f"ASK {{ {triple} }}")
        finally:
            self._update(f"DROP SILENT GRAPH {iriref(graph)}", token=False)
        if not in_graph:
            raise StoreError(f"a probe written through {self.update_url} is not read back through {self.query_url}: "
                             f"LEXMAP_SPARQL_QUERY and LEXMAP_SPARQL_UPDATE must be endpoints of the same dataset")
        if not in_union:
            raise StoreError(f"the SPARQL server at {self.query_url} does not query the union of its named graphs "
                             f"(a probe in a named graph is not in its default graph). {UNION_HINT}")

    def _probe_read(self) -> None:
        # Read-only: nothing to write, but a triple of some named graph must be in the default graph.
        rows = self.select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && isIRI(?o)) } LIMIT 1")
        if rows and not self.ask(f"ASK {{ {iriref(rows[0]['s'])} {iriref(rows[0]['p'])} {iriref(rows[0]['o'])} }}"):
            raise StoreError(f"the SPARQL server at {self.query_url} does not query the union of its named graphs "
                             f"(a triple of a named graph is not in its default graph). {UNION_HINT}")

    def recover(self, max_age: float = STAGING_TTL) -> list[str]:
        """Drop staging graphs the journal names that are older than ``max_age`` seconds (a load that
        was killed); returns them. Younger ones may belong to a load running in another process."""
        rows = self.select(f"SELECT ?st ?g WHERE {{ GRAPH {iriref(JOURNAL)} {{ ?st {_TARGET} ?g }} }}")
        dropped = []
        for r in rows:
            started = r["st"][len(STAGING):].split(":", 1)[0]
            if not started.isdigit() or time.time() - int(started) >= max_age:
                self._discard(r["st"], r["g"])
                dropped.append(r["st"])
        return dropped

    # ---- writes
    def _update(self, update: str, token: bool = True) -> None:
        """One update request; ``token``: also give the data token a new value in it (see STATE_GRAPH),
        for every write of data, not for the store's own bookkeeping (probe, journal, staging)."""
        if not self.update_url:
            raise StoreError("this store is read-only: LEXMAP_SPARQL_UPDATE is not set")
        if token:
            update = f"{update}\n;\n{_token_update()}"   # same request, same transaction
        with self._writing():    # writes take turns (the server may not serialize them)
            self._send(self.writer.post, self.update_url, data={"update": update})

    def _send(self, method: Callable[..., httpx.Response], url: str, **kw) -> httpx.Response:
        try:
            resp = method(url, **kw)
        except httpx.TimeoutException:
            raise StoreError(f"SPARQL server at {url} did not answer in time; raise LEXMAP_SPARQL_STORE_TIMEOUT "
                             f"or look at the server's load") from None
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server at {url} unreachable: {exc}") from None
        self.server = self.server or resp.headers.get("server", "")
        if resp.status_code in (401, 403):
            raise StoreError(f"SPARQL update refused by {url}: HTTP {resp.status_code} (credentials: set "
                             f"LEXMAP_SPARQL_USER, LEXMAP_SPARQL_PASSWORD and LEXMAP_SPARQL_AUTH=digest|basic)")
        if resp.status_code >= 300:
            raise StoreError(f"SPARQL update refused by {url}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp

    def replace_graph(self, graph: str, ntriples: str) -> None:
        lines = [ln for ln in ntriples.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        chunk = self.chunk_size()
        if not chunk or len(lines) <= chunk:
            self._update(f"DROP SILENT GRAPH {iriref(graph)} ;\nINSERT DATA {{ GRAPH {iriref(graph)} {{\n{ntriples}\n}} }}")
        else:
            self._staged_replace(graph, lines, chunk)

    def _staged_replace(self, graph: str, lines: list[str], chunk: int) -> None:
        gsp = self.graph_store_url()
        if gsp is None and any(ln.startswith("_:") or " _:" in ln for ln in lines):
            raise StoreError(f"graph {graph} has blank nodes, which cannot be split over several updates; set "
                             f"LEXMAP_SPARQL_GRAPH_STORE (the server's Graph Store Protocol URL) to load it whole")
        staging = f"{STAGING}{int(time.time())}:{uuid.uuid4().hex}"
        self._update(f"INSERT DATA {{ GRAPH {iriref(JOURNAL)} {{ {iriref(staging)} {_TARGET} {iriref(graph)} }} }}", token=False)
        try:
            if gsp is not None:
                with self._writing():
                    self._send(self.writer.put, gsp, params={"graph": staging}, content="\n".join(lines).encode(),
                               headers={"Content-Type": "application/n-triples"})
            else:
                for i in range(0, len(lines), chunk):
                    body = "\n".join(lines[i:i + chunk])
                    self._update(f"INSERT DATA {{ GRAPH {iriref(staging)} {{\n{body}\n}} }}", token=False)
            sent, stored = len(set(lines)), self.count_graph(staging)
            if stored != sent:
                raise StoreError(f"loading graph {graph}: the server holds {stored} of the {sent} triples sent; "
                                 f"the act was left as it was")
            self._update(f"DROP SILENT GRAPH {iriref(graph)} ;\nMOVE {iriref(staging)} TO {iriref(graph)} ;\n"
                         f"DELETE DATA {{ GRAPH {iriref(JOURNAL)} {{ {iriref(staging)} {_TARGET} {iriref(graph)} }} }}")
        except BaseException:
            try:
                self._discard(staging, graph)
            except StoreError:
                pass       # the journal still names it: the next open drops it
            raise

    def _discard(self, staging: str, graph: str) -> None:
        self._update(f"DROP SILENT GRAPH {iriref(staging)} ;\n"
                     f"DELETE DATA {{ GRAPH {iriref(JOURNAL)} {{ {iriref(staging)} {_TARGET} {iriref(graph)} }} }}", token=False)

    def drop_graph(self, graph: str) -> None:
        self._update(f"DROP SILENT GRAPH {iriref(graph)}")

    def update(self, sparql: str, texts: bool = True) -> None:
        self._update(_prefixed(sparql))      # one token for every write: see texts_token

    # ---- reads
    def count_graph(self, graph: str) -> int:
        """Triples the server holds in one named graph (what an ingest reports, read back)."""
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iriref(graph)} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"]) if rows else 0

    def graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"] for r in rows if r["g"] != STATE_GRAPH and not r["g"].startswith((STAGING, PROBE, JOURNAL)))

    def data_token(self) -> str:
        """A value that changes with every write: the store's data token (see STATE_GRAPH), read
        from the server with one small query (~1.5 ms), so a write by any process or machine is
        seen by the next call anywhere.

        When every writer is a lexmap process of this machine (`write_lock_file` set), the stamp
        file beside the lock is read instead (~20 µs): writers set it to "dirty <random>" under
        the lock before sending a write and to "clean <random>" once it was answered. A clean
        stamp therefore names the state after the last write; a dirty one (a write under way,
        or a writer that died between sending and the answer, which may or may not have
        committed) is not trusted and the store's token is read. Writers elsewhere (another
        machine) do not touch the file: then `write_lock_file` must stay unset. Not covered: a
        write this client gave up on (timeout, stamp left dirty) that the server commits only
        after a later write set the stamp clean; caches then wait for the next write."""
        local = self.local_token()
        if local is not None:
            return local
        data = json.loads(self._post(_TOKEN_READ, JSON_RESULTS).content)
        return ",".join(sorted(b["t"]["value"] for b in data["results"]["bindings"])) or "-"

    def local_token(self) -> str | None:
        """The data token when this machine's stamp file tells it (every writer a lexmap process
        here and the stamp clean: see data_token), else None: then only the server can."""
        if self.write_lock_file is None:
            return None
        try:
            state, _, value = self.write_lock_file.with_suffix(".stamp").read_text().partition(" ")
        except OSError:
            return None
        return f"stamp:{value}" if state == "clean" and len(value) == 32 else None

    def texts_token(self) -> str:
        """The data token: a shared store keeps one token for every write (a second one would
        cost every reader a second read or a second stamp), so here a write of mappings also
        drops the cached views of the texts."""
        return self.data_token()

    def _post(self, sparql: str, accept: str) -> httpx.Response:
        try:
            resp = self.client.post(self.query_url, data={"query": sparql}, headers={"Accept": accept})
        except httpx.TimeoutException:
            raise StoreError(f"SPARQL server at {self.query_url} did not answer in time; raise "
                             f"LEXMAP_SPARQL_STORE_TIMEOUT or look at the server's load") from None
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL server at {self.query_url} unreachable: {exc}") from None
        self.server = self.server or resp.headers.get("server", "")
        if resp.status_code == 400:
            raise ValueError(f"SPARQL error: {resp.text[:300]}")
        if resp.status_code >= 300:
            raise StoreError(f"SPARQL query failed at {self.query_url}: HTTP {resp.status_code} {resp.text[:300]}")
        # Virtuoso cuts answers short without an error: at [SPARQL] ResultSetMaxRows, or when a query
        # runs past MaxQueryExecutionTime ("anytime" partial answer); both are flagged in headers.
        if "x-sparql-maxrows" in resp.headers or "x-sql-state" in resp.headers:
            raise StoreError(f"the SPARQL server at {self.query_url} returned a partial answer "
                             f"({resp.headers.get('x-sql-state') or 'row limit ' + resp.headers['x-sparql-maxrows']}); "
                             f"raise ResultSetMaxRows and MaxQueryExecutionTime in virtuoso.ini [SPARQL]")
        return resp

    def select(self, sparql: str) -> list[Row]:
        data = json.loads(self._post(_prefixed(sparql), JSON_RESULTS).content)
        return _distinct([{k: _lexical(v) for k, v in b.items()} for b in data["results"]["bindings"]])

    def ask(self, sparql: str) -> bool:
        return bool(json.loads(self._post(_prefixed(sparql), JSON_RESULTS).content)["boolean"])

    def construct(self, sparql: str) -> str:
        return self._post(_prefixed(sparql), "application/n-triples").text

    def raw_query(self, sparql: str, accept: str) -> tuple[bytes, str]:
        resp = self._post(sparql, accept)
        return resp.content, resp.headers.get("content-type", accept).split(";")[0]

    def close(self) -> None:
        self.client.close()
        self.writer.close()


_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def _lexical(term: dict) -> str:
    """A JSON result term's lexical form as the embedded store gives it: Virtuoso keeps booleans
    as numbers and answers "1"/"0" for "true"/"false"."""
    value = term["value"]
    if term.get("datatype") == _BOOLEAN and value in ("1", "0"):
        return "true" if value == "1" else "false"
    return value


def _remote(settings: Settings, read_only: bool) -> RemoteSparqlStore:
    r = settings.remote
    return RemoteSparqlStore(_need(settings.sparql_query, "LEXMAP_SPARQL_QUERY"),
                             None if read_only else settings.sparql_update, timeout=r.timeout,
                             graph_store=r.graph_store, user=r.user, password=r.password, auth=r.auth, chunk=r.chunk)


BACKENDS: dict[str, Callable[[Settings, bool], GraphStore]] = {
    "oxigraph": lambda s, ro: OxigraphStore(s.store_dir, read_only=ro),
    "memory": lambda s, ro: OxigraphStore(None),
    "sparql": _remote,
}


def _need(value: str | None, name: str) -> str:
    if not value:
        raise StoreError(f"LEXMAP_STORE=sparql needs {name} (the endpoint URL)")
    return value


def open_store(settings: Settings, read_only: bool = False) -> GraphStore:
    """Open the configured store backend; a remote one is checked first (``RemoteSparqlStore.check``)."""
    try:
        factory = BACKENDS[settings.store]
    except KeyError:
        raise StoreError(f"unknown store backend {settings.store!r}; use one of {', '.join(BACKENDS)}") from None
    from .store_server import shared   # the server of 'lexmap serve --workers N', when one owns the store
    store = shared(settings, read_only) or factory(settings, read_only)
    check = getattr(store, "check", None)
    if check is not None:
        try:
            check()
        except BaseException:
            store.close()
            raise
    return store


def count_graph(store: GraphStore, graph: str) -> int:
    """Triples the store holds in ``graph``, read back (ingest reports this, not what it sent)."""
    own = getattr(store, "count_graph", None)
    if own is not None:
        return own(graph)
    rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iriref(graph)} {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"]) if rows else 0


def rdflib_dataset(store: GraphStore):
    """An rdflib Dataset over an embedded store, for programmatic use (oxrdflib)."""
    if not isinstance(store, OxigraphStore):
        raise StoreError("rdflib access is offered for the embedded store only; use SPARQL for a remote one")
    from oxrdflib import OxigraphStore as RdflibOxigraph
    from rdflib import Dataset
    return Dataset(store=RdflibOxigraph(store=store.store), default_union=True)
