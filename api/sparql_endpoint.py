"""The public SPARQL endpoint's executor: one query cannot hurt the service.

Every query runs in a worker process (multiprocessing, spawn) over a read-only snapshot of
the store; the event loop only waits on the worker's pipe. A worker is killed (SIGKILL) and
replaced when its query passes ``limits.sparql_timeout``, when its memory passes
``limits.sparql_worker_mb`` or when the HTTP client goes away. At most ``sparql_workers``
queries run and ``sparql_queue`` wait; answers stop at ``sparql_max_rows`` rows (triples) and
``sparql_max_bytes`` bytes. SERVICE is refused unless its endpoint is allow-listed, and with
an empty allow list the workers run without a network (a network namespace of their own,
where the kernel allows it).

Where the workers read:
- embedded on-disk store: a RocksDB checkpoint (``Store.backup``, hard links) per write
  generation under ``data_dir/sparql-snapshot/<executor>/<generation>``, opened with
  ``Store.read_only``; a write makes the next query take a new checkpoint;
- in-memory store: an N-Quads dump per generation, loaded by each worker;
- remote store: no workers, the query is forwarded with httpx under the same limits.

The time limit counts from the moment the worker starts the query (not the wait in the
queue). Answers other than results (problem+json):

  400 Missing query / Invalid SPARQL query / SERVICE refused / Query failed (an evaluation error)
  403 Updates refused            413 Query too long (text over QUERY_MAX_BYTES)
  422 Query too expensive: members ``limit`` (sparql_timeout, sparql_max_rows, sparql_max_bytes
      or sparql_worker_mb) and ``value``; the detail says to add LIMIT or narrow the patterns
  503 Too many queries (with Retry-After) / Store unavailable
  500 Query worker failed (the worker died on its own)

This module is imported by the workers: keep its top-level imports to the standard library
and pyoxigraph. Workers are started with the spawn method, which re-runs the parent's main
script (as multiprocessing always does): a script that builds the app must do so under
``if __name__ == "__main__":`` (``lexmap serve`` and ``uvicorn`` do).
"""
from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator
from xml.sax.saxutils import escape as _xml_escape

import pyoxigraph as ox

QUERY_MAX_BYTES = 100_000      # longer query texts answer 413
POLL = 0.1                     # seconds between checks of deadline, client and memory
OPEN_TIMEOUT = 120.0           # seconds a worker may take to open a snapshot (not counted in the query's time)
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}

Disconnected = Callable[[], Awaitable[bool]]


class SparqlError(Exception):
    """An answer other than results: status, title, detail, headers and extra problem+json members."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers, self.extra = headers or {}, extra


def too_expensive(limit: str, value: Any, what: str) -> SparqlError:
    """422 for a query that hit one of the limits: which, its value, and what to do."""
    return SparqlError(422, "Query too expensive",
                       f"{what} (limit {limit} = {value}). Add a LIMIT, narrow the patterns (bind a subject, "
                       f"a predicate or a graph) or drop ORDER BY / aggregates over everything.",
                       limit=limit, value=value)


# --------------------------------------------------------------------------- query text checks
# A small SPARQL tokenizer: comments, strings and IRIs are single tokens, so a SERVICE keyword
# cannot hide in them and a SERVICE inside them is not one. Linear time; no parser involved.
_PN_CHARS = r"[\w\-\u00b7\u0300-\u036f\u203f\u2040]"
_TOKEN = re.compile(rf"""
    (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]{_PN_CHARS}+)
  | (?P<bnode>_:(?:{_PN_CHARS}|\.)*{_PN_CHARS})
  | (?P<pname>(?:[^\W\d_](?:(?:{_PN_CHARS}|\.)*{_PN_CHARS})?)?:
              (?:(?:[\w:]|%[0-9A-Fa-f]{{2}}|\\[^\s])(?:(?:{_PN_CHARS}|[.:]|%[0-9A-Fa-f]{{2}}|\\[^\s])*
                 (?:{_PN_CHARS}|:|%[0-9A-Fa-f]{{2}}|\\[^\s]))?)?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
""", re.X | re.S)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SERVICE = re.compile("service", re.I)


def tokens(query: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every token but comments, lazily."""
    return ((m.lastgroup, m.group()) for m in _TOKEN.finditer(query) if m.lastgroup != "comment")


def _unescaped(query: str) -> str:
    """The query with \\u/\\U escapes replaced, as the SPARQL grammar applies them before parsing."""
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _UCHAR.sub(char, query)


def _variants(query: str) -> list[str]:
    # Whether or not the engine applies \u escapes before parsing, both readings are checked.
    return [query, _unescaped(query)] if "\\u" in query or "\\U" in query else [query]


def is_update(query: str) -> bool:
    """A SPARQL update (INSERT, DELETE, LOAD, CLEAR, DROP, ...) rather than a query: the first
    keyword after the BASE/PREFIX declarations decides."""
    for text in _variants(query):
        skip = 0
        for kind, tok in tokens(text):
            if skip:
                skip -= 1
            elif kind == "word" and tok.upper() in ("BASE", "PREFIX"):
                skip = 1 if tok.upper() == "BASE" else 2
            else:
                if kind == "word" and tok.upper() in UPDATE_KEYWORDS:
                    return True
                break
    return False


def service_endpoints(query: str) -> list[str | None]:
    """Endpoints of every SERVICE in the query: the IRI, or None when it is a variable, relative,
    or not written as an IRI or a declared prefixed name."""
    found: list[str | None] = []
    for text in _variants(query):
        if not _SERVICE.search(text):
            continue   # the common case, without tokenizing
        toks = list(tokens(text))
        prefixes: dict[str, set[str]] = {}
        for i in range(len(toks) - 2):
            if (toks[i][0] == "word" and toks[i][1].upper() == "PREFIX" and toks[i + 1][0] == "pname"
                    and toks[i + 1][1].endswith(":") and toks[i + 2][0] == "iri"):
                prefixes.setdefault(toks[i + 1][1][:-1], set()).add(toks[i + 2][1][1:-1])
        for i, (kind, tok) in enumerate(toks):
            if kind == "word" and tok.upper() == "SERVICE":
                j = i + 1
                if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                    j += 1
                found.append(_endpoint(toks[j] if j < len(toks) else ("other", ""), prefixes))
    return found


def _endpoint(tok: tuple[str, str], prefixes: dict[str, set[str]]) -> str | None:
    kind, text = tok
    if kind == "iri":
        iri = text[1:-1]
    elif kind == "pname" and "\\" not in text and "%" not in text:
        prefix, _, local = text.partition(":")
        if len(prefixes.get(prefix, ())) != 1:   # undeclared, or declared twice differently
            return None
        iri = next(iter(prefixes[prefix])) + local
    else:
        return None
    return iri if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri) else None   # relative IRIs depend on BASE


def check_query(query: str, service_allow: tuple[str, ...]) -> None:
    """Refuse, before running anything: over-long texts (413), updates (403), SERVICE to an
    endpoint not in ``service_allow`` (400)."""
    if len(query.encode("utf-8")) > QUERY_MAX_BYTES:
        raise SparqlError(413, "Query too long", f"the query text is over {QUERY_MAX_BYTES} bytes")
    if is_update(query):
        raise SparqlError(403, "Updates refused", "this endpoint is read-only; SPARQL updates are refused")
    for endpoint in service_endpoints(query):
        if endpoint is None or endpoint not in service_allow:
            allowed = ", ".join(service_allow) or "none"
            raise SparqlError(400, "SERVICE refused",
                              f"federated queries may only call allow-listed endpoints, written as absolute IRIs "
                              f"(LEXMAP_SPARQL_SERVICE_ALLOW; allowed: {allowed}); "
                              f"{'SERVICE with a variable or a relative IRI' if endpoint is None else endpoint} "
                              f"is not allowed")


# --------------------------------------------------------------------------- result writers (worker side)
class _LimitHit(Exception):
    """The answer passed max_rows ("rows") or max_bytes ("bytes")."""


def _json_term(term: Any) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate), "object": _json_term(term.object)}}


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml(term.language)}">{_xml(term.value)}</literal>'
        if term.datatype.value != XSD_STRING:
            return f'<literal datatype="{_xml(term.datatype.value)}">{_xml(term.value)}</literal>'
        return f"<literal>{_xml(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
            f"</predicate><object>{_xml_term(term.object)}</object></triple>")


def _xml(text: str) -> str:
    # a raw CR would come back as LF from any XML parser
    return _xml_escape(text, {'"': "&quot;", "'": "&apos;", "\r": "&#13;"})


def _csv_field(term: Any) -> str:
    if term is None:
        return ""
    text = term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in '",\r\n') else text


# Turtle's short forms, which the TSV format allows for these datatypes (as oxigraph writes them).
_TURTLE_SHORT = {XSD + "integer": re.compile(r"[+-]?[0-9]+"), XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
                 XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
                 XSD + "boolean": re.compile(r"true|false")}
_TSV_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"})


def _tsv_term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if not term.language and datatype in _TURTLE_SHORT and _TURTLE_SHORT[datatype].fullmatch(term.value):
            return term.value
        quoted = '"' + term.value.translate(_TSV_ESCAPES) + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        return quoted if datatype == XSD_STRING else f"{quoted}^^<{datatype}>"
    if isinstance(term, (ox.NamedNode, ox.BlankNode)):
        return str(term)
    return f"<< {_tsv_term(term.subject)} {_tsv_term(term.predicate)} {_tsv_term(term.object)} >>"


class _Writer:
    """One SPARQL 1.1 results format for SELECT: head, one chunk per row, tail."""

    def __init__(self, variables: list[str]):
        self.variables = variables

    def head(self) -> str:
        raise NotImplementedError

    def row(self, terms: list[Any]) -> str:
        raise NotImplementedError

    def tail(self) -> str:
        return ""


class _JsonWriter(_Writer):
    media = "application/sparql-results+json"
    first = True

    def head(self) -> str:
        return '{"head":{"vars":' + json.dumps(self.variables, ensure_ascii=False, separators=(",", ":")) + '},"results":{"bindings":['

    def row(self, terms: list[Any]) -> str:
        chunk = json.dumps({v: _json_term(t) for v, t in zip(self.variables, terms) if t is not None},
                           ensure_ascii=False, separators=(",", ":"))
        chunk, self.first = (chunk if self.first else "," + chunk), False
        return chunk

    def tail(self) -> str:
        return "]}}"


class _XmlWriter(_Writer):
    media = "application/sparql-results+xml"

    def head(self) -> str:
        names = "".join(f'<variable name="{_xml(v)}"/>' for v in self.variables)
        return f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{names}</head><results>'

    def row(self, terms: list[Any]) -> str:
        return "<result>" + "".join(f'<binding name="{_xml(v)}">{_xml_term(t)}</binding>'
                                    for v, t in zip(self.variables, terms) if t is not None) + "</result>"

    def tail(self) -> str:
        return "</results></sparql>"


class _CsvWriter(_Writer):
    media = "text/csv; charset=utf-8"

    def head(self) -> str:
        return ",".join(self.variables) + "\r\n"

    def row(self, terms: list[Any]) -> str:
        return ",".join(_csv_field(t) for t in terms) + "\r\n"


class _TsvWriter(_Writer):
    media = "text/tab-separated-values; charset=utf-8"

    def head(self) -> str:
        return "\t".join("?" + v for v in self.variables) + "\n"

    def row(self, terms: list[Any]) -> str:
        return "\t".join(_tsv_term(t) for t in terms) + "\n"


_WRITERS: dict[str, type[_Writer]] = {"application/sparql-results+xml": _XmlWriter, "text/csv": _CsvWriter,
                                      "text/tab-separated-values": _TsvWriter}
_RESULTS_FORMATS = {"application/sparql-results+xml": ox.QueryResultsFormat.XML, "text/csv": ox.QueryResultsFormat.CSV,
                    "text/tab-separated-values": ox.QueryResultsFormat.TSV}
_RDF_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD}


def write_solutions(solutions: Any, accept: str, max_rows: int, max_bytes: int) -> tuple[bytes, str]:
    """Serialize SELECT solutions (JSON, XML, CSV or TSV by ``accept``), at most max_rows rows
    and max_bytes bytes, else _LimitHit. pyoxigraph serializes whole results only."""
    variables = [v.value for v in solutions.variables]
    writer = _WRITERS.get(accept, _JsonWriter)(variables)
    chunks = [writer.head().encode("utf-8")]
    size = len(chunks[0])
    width = range(len(variables))
    for n, solution in enumerate(solutions, 1):
        if n > max_rows:
            raise _LimitHit("rows")
        chunk = writer.row([solution[i] for i in width]).encode("utf-8")
        size += len(chunk)
        if size > max_bytes:
            raise _LimitHit("bytes")
        chunks.append(chunk)
    chunks.append(writer.tail().encode("utf-8"))
    if size + len(chunks[-1]) > max_bytes:
        raise _LimitHit("bytes")
    return b"".join(chunks), writer.media


def answer(store: ox.Store, sparql: str, accept: str, max_rows: int, max_bytes: int) -> tuple:
    """Run one query; the worker's reply: ("ok", body, media) | ("limit", which) | ("error", kind, message)."""
    try:
        result = store.query(sparql, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            body, media = write_solutions(result, accept, max_rows, max_bytes)
        elif isinstance(result, ox.QueryTriples):
            triples = list(itertools.islice(result, max_rows + 1))
            if len(triples) > max_rows:
                raise _LimitHit("rows")
            fmt = _RDF_FORMATS.get(accept, ox.RdfFormat.N_TRIPLES)
            body, media = ox.serialize(triples, format=fmt), fmt.media_type
        else:
            fmt = _RESULTS_FORMATS.get(accept, ox.QueryResultsFormat.JSON)
            body, media = result.serialize(format=fmt), fmt.media_type
        if len(body) > max_bytes:
            raise _LimitHit("bytes")
        return "ok", body, media
    except _LimitHit as hit:
        return "limit", str(hit)
    except SyntaxError as exc:
        return "error", "syntax", str(exc)
    except MemoryError:
        return "limit", "memory"
    except Exception as exc:  # noqa: BLE001 - evaluation errors (a failing SERVICE, a type error) go to the user
        return "error", "failed", f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- worker process
def _die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this worker when the process (thread) that spawned it ends."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(0)


def _isolate_network() -> bool:
    """Move this process into a network namespace of its own (no interfaces up): SERVICE cannot
    reach anything, whatever the query text. Needs CAP_SYS_ADMIN or unprivileged user namespaces."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    new_user, new_net = 0x10000000, 0x40000000
    if libc.unshare(new_net) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(new_user | new_net) != 0:
        return False
    try:  # map our own ids, so that files we create keep their owner
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


def _open_snapshot(mode: str, path: str) -> ox.Store:
    if mode == "disk":
        return ox.Store.read_only(path)
    store = ox.Store()
    store.bulk_load(path=os.path.join(path, "data.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def worker_main(conn: Any, isolate: bool, parent_pid: int) -> None:
    """A query worker: (re)opens the snapshot a job names, answers, repeats until EOF or "stop"."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the whole group; the parent stops us
    _die_with_parent(parent_pid)
    isolated = _isolate_network() if isolate else False   # before any thread is started
    store, opened = None, None
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                return
            if msg[0] == "release":
                store = opened = None
                continue
            _, mode, path, sparql, accept, max_rows, max_bytes = msg
            if path != opened:
                store = opened = None
                try:
                    store, opened = _open_snapshot(mode, path), path
                except Exception as exc:  # noqa: BLE001 - a snapshot that cannot be opened
                    conn.send(("error", "open", f"{type(exc).__name__}: {exc}"))
                    continue
            conn.send(("started", isolated))
            conn.send(answer(store, sparql, accept, max_rows, max_bytes))
    except (EOFError, OSError):   # the app went away
        return


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 if gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


# --------------------------------------------------------------------------- executor (app side)
@dataclass(eq=False)
class _Worker:
    proc: Any
    conn: Any
    snapshot: str | None = None     # the snapshot this worker has open (or was told to open)
    isolated: bool | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid


class _Kill(Exception):
    """Why a running worker is killed: "timeout", "memory" or "client"."""


@dataclass
class _Pool:
    """Slots (workers, or plain tokens for the remote store) and the queue of waiting queries."""

    idle: deque = field(default_factory=deque)
    waiters: deque = field(default_factory=deque)
    running: int = 0

    def put(self, slot: Any) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(slot)
                return
        self.idle.append(slot)


class SparqlExecutor:
    """Runs public SPARQL queries under settings.limits; one per app (``app.state.ctx.sparql``)."""

    def __init__(self, settings: Any, store: Any):
        from ingest.store import OxigraphStore, RemoteSparqlStore
        self.settings, self.store, self.limits = settings, store, settings.limits
        if isinstance(store, RemoteSparqlStore):
            self.mode = "remote"
        elif isinstance(store, OxigraphStore):
            self.mode = "disk" if store.path is not None else "dump"
        else:
            raise TypeError(f"no SPARQL executor for a {type(store).__name__}")
        self.workers: list[_Worker] = []
        self.pool = _Pool()
        self.snapshot_generation: int | None = None
        self._snapshot: str | None = None
        self._snapshots: set[str] = set()
        self._dir: Path | None = None
        self._closing = False
        self._tasks: set[asyncio.Task] = set()
        self._spawner: ThreadPoolExecutor | None = None
        self._client: Any = None
        self._snapshot_lock: asyncio.Lock | None = None
        self.killed = {"timeout": 0, "memory": 0, "client": 0}

    # ---- lifecycle
    async def start(self) -> None:
        """Take the first snapshot and start the workers (remote store: open an HTTP client)."""
        self._snapshot_lock = asyncio.Lock()
        if self.mode == "remote":
            import httpx
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.limits.sparql_timeout, connect=5.0))
            for n in range(self.limits.sparql_workers):
                self.pool.put(n)
            return
        root = self.settings.data_dir / "sparql-snapshot"
        root.mkdir(parents=True, exist_ok=True)
        _remove_orphans(root)
        self._dir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="lexmap-sparql-spawn")
        await self._current_snapshot()
        for _ in range(self.limits.sparql_workers):
            self.pool.put(await self._spawn())

    async def close(self) -> None:
        """Kill the workers, fail waiting queries, remove the snapshots."""
        self._closing = True
        while self.pool.waiters:
            fut = self.pool.waiters.popleft()
            if not fut.done():
                fut.set_exception(SparqlError(503, "Shutting down", "the server is stopping; retry later"))
        for task in list(self._tasks):
            task.cancel()
        for w in list(self.workers):
            _kill(w)
        self.workers.clear()
        if self._spawner:
            self._spawner.shutdown(wait=False)
        if self._client is not None:
            await self._client.aclose()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def status(self) -> dict[str, Any]:
        """For /health: workers alive, queries running and waiting, snapshot generation."""
        known = [w.isolated for w in self.workers if w.isolated is not None]
        return {"mode": self.mode, "workers": self.limits.sparql_workers,
                "workers_alive": sum(1 for w in self.workers if w.proc.is_alive()),
                "running": self.pool.running, "waiting": sum(1 for f in self.pool.waiters if not f.done()),
                "queue": self.limits.sparql_queue, "snapshot_generation": self.snapshot_generation,
                "network_isolated": all(known) if known else None,   # None: no worker has answered yet
                "killed": dict(self.killed)}

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers."""
        return [w.pid for w in self.workers]

    # ---- one query
    async def execute(self, query: str, accept: str, disconnected: Disconnected) -> tuple[bytes, str]:
        """Check and run one query; (body, media type) or SparqlError."""
        if len(query) > 4096:   # scanning a long text: in a thread, the event loop keeps its turns
            await asyncio.to_thread(check_query, query, self.limits.sparql_service_allow)
        else:
            check_query(query, self.limits.sparql_service_allow)
        slot = await self._acquire(disconnected)
        self.pool.running += 1
        try:
            if self.mode == "remote":
                return await self._remote(query, accept, disconnected)
            return await self._in_worker(slot, query, accept, disconnected)
        finally:
            self.pool.running -= 1
            if self.mode == "remote" or slot in self.workers:
                self.pool.put(slot)

    async def _acquire(self, disconnected: Disconnected) -> Any:
        if self._closing:
            raise SparqlError(503, "Shutting down", "the server is stopping; retry later")
        if self.pool.idle:
            return self.pool.idle.popleft()
        if sum(1 for f in self.pool.waiters if not f.done()) >= self.limits.sparql_queue:
            retry = max(1, math.ceil(self.limits.sparql_timeout))
            raise SparqlError(503, "Too many queries",
                              f"{self.limits.sparql_workers} SPARQL queries are running and "
                              f"{self.limits.sparql_queue} waiting; retry in {retry} s",
                              headers={"Retry-After": str(retry)})
        fut = asyncio.get_running_loop().create_future()
        self.pool.waiters.append(fut)
        try:
            while True:
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), POLL)
                except asyncio.TimeoutError:
                    if await disconnected():
                        raise SparqlError(499, "Client went away", "the client disconnected") from None
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.pool.put(fut.result())   # handed a slot as we gave up: pass it on
            else:
                fut.cancel()
            raise

    async def _in_worker(self, w: _Worker, query: str, accept: str, disconnected: Disconnected) -> tuple[bytes, str]:
        path = await self._current_snapshot()
        if w.snapshot != path:
            w.snapshot = path   # the worker drops its older snapshot on this job: remove it unless in use
            self._collect_snapshots()
        try:
            w.conn.send(("query", self.mode, path, query, accept, self.limits.sparql_max_rows,
                         self.limits.sparql_max_bytes))
            reply = await self._reply(w, OPEN_TIMEOUT, disconnected)
            if reply[0] == "started":
                w.isolated = reply[1]
                reply = await self._reply(w, self.limits.sparql_timeout, disconnected)
        except _Kill as why:
            self._discard(w, str(why))
            raise self._killed_error(str(why)) from None
        except (EOFError, OSError):   # the worker died (killed from outside, crashed)
            w.proc.join(1)
            code = w.proc.exitcode
            self._discard(w, "died")
            raise SparqlError(500, "Query worker failed", f"the query worker died (exit code {code})") from None
        except BaseException:   # cancelled: the query may still run
            self._discard(w, "cancelled")
            raise
        return self._result(reply)

    async def _reply(self, w: _Worker, timeout: float, disconnected: Disconnected) -> tuple:
        """The worker's next message, polling deadline, client and memory meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if await _readable(w.conn, max(0.0, min(POLL, left))):
                return await asyncio.to_thread(w.conn.recv)
            if time.monotonic() >= deadline:
                raise _Kill("timeout")
            if _rss_mb(w.pid) > self.limits.sparql_worker_mb:
                raise _Kill("memory")
            if await disconnected():
                raise _Kill("client")

    def _killed_error(self, why: str) -> SparqlError:
        lim = self.limits
        if why == "timeout":
            return too_expensive("sparql_timeout", lim.sparql_timeout,
                                 f"the query ran for more than {lim.sparql_timeout:g} s and was stopped")
        if why == "memory":
            return too_expensive("sparql_worker_mb", lim.sparql_worker_mb,
                                 f"the query used more than {lim.sparql_worker_mb} MB of memory and was stopped")
        return SparqlError(499, "Client went away", "the client disconnected; the query was stopped")

    def _result(self, reply: tuple) -> tuple[bytes, str]:
        """The body and media type of an "ok" reply; SparqlError for the others."""
        if reply[0] == "ok":
            return reply[1], reply[2]
        if reply[0] == "limit":
            raise self._limit_error(reply[1])
        kind, message = reply[1], reply[2]
        if kind == "syntax":
            raise SparqlError(400, "Invalid SPARQL query", f"SPARQL syntax error: {message}")
        if kind == "open":
            raise SparqlError(503, "Store unavailable", f"the query worker could not open the store: {message}")
        raise SparqlError(400, "Query failed", message[:2000])

    def _limit_error(self, which: str) -> SparqlError:
        lim = self.limits
        if which == "rows":
            return too_expensive("sparql_max_rows", lim.sparql_max_rows,
                                 f"the answer has more than {lim.sparql_max_rows} rows (or triples)")
        if which == "bytes":
            return too_expensive("sparql_max_bytes", lim.sparql_max_bytes,
                                 f"the answer is larger than {lim.sparql_max_bytes} bytes")
        return self._killed_error("memory")

    # ---- workers
    async def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        # Spawned from one long-lived thread: PR_SET_PDEATHSIG follows the spawning thread.
        w = await loop.run_in_executor(self._spawner, self._start_process)
        self.workers.append(w)
        return w

    def _start_process(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        isolate = not self.limits.sparql_service_allow
        proc = ctx.Process(target=worker_main, args=(child, isolate, os.getpid()), name="lexmap-sparql",
                           daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def _discard(self, w: _Worker, why: str) -> None:
        """Kill a worker now; a replacement joins the pool in the background."""
        if why in self.killed:
            self.killed[why] += 1
        _kill(w)
        if w in self.workers:
            self.workers.remove(w)
        self._collect_snapshots()
        if not self._closing:
            task = asyncio.get_running_loop().create_task(self._replace())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _replace(self) -> None:
        w = await self._spawn()
        if self._closing:
            _kill(w)
        else:
            self.pool.put(w)

    # ---- snapshots
    async def _current_snapshot(self) -> str:
        """The snapshot of the store's latest write generation, taking it if needed."""
        if self.snapshot_generation == self.store.generation and self._snapshot:
            return self._snapshot
        async with self._snapshot_lock:
            generation = self.store.generation
            if self.snapshot_generation != generation or not self._snapshot:
                target = self._dir / str(generation)
                shutil.rmtree(target, ignore_errors=True)
                try:
                    got = await asyncio.to_thread(self.store.snapshot, target)
                except OSError as exc:
                    raise SparqlError(503, "Store unavailable", f"cannot snapshot the store for queries: {exc}") from None
                self._snapshot, self.snapshot_generation = str(target), got
                self._snapshots.add(str(target))
                for w in self.pool.idle:   # idle workers let go of older snapshots now
                    if w.snapshot not in (None, self._snapshot):
                        try:
                            w.conn.send(("release",))
                        except OSError:
                            pass   # dead: its next job finds out and replaces it
                        w.snapshot = None
                self._collect_snapshots()
        return self._snapshot

    def _collect_snapshots(self) -> None:
        """Remove snapshots no worker has open."""
        used = {self._snapshot} | {w.snapshot for w in self.workers}
        for path in self._snapshots - used:
            shutil.rmtree(path, ignore_errors=True)
            self._snapshots.discard(path)

    # ---- remote store
    async def _remote(self, query: str, accept: str, disconnected: Disconnected) -> tuple[bytes, str]:
        task = asyncio.ensure_future(self._fetch(query, accept))
        deadline = time.monotonic() + self.limits.sparql_timeout
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=max(0.0, min(POLL, deadline - time.monotonic())))
                if done:
                    return task.result()
                if time.monotonic() >= deadline:
                    self.killed["timeout"] += 1
                    raise self._killed_error("timeout")
                if await disconnected():
                    self.killed["client"] += 1
                    raise self._killed_error("client")
        finally:
            task.cancel()

    async def _fetch(self, query: str, accept: str) -> tuple[bytes, str]:
        import httpx
        url, limit = self.store.query_url, self.limits.sparql_max_bytes
        try:
            # form-encoded, as RemoteSparqlStore sends: Virtuoso 7.2 never answers a POST of
            # application/sparql-query (the request hangs until the time limit)
            async with self._client.stream("POST", url, data={"query": query},
                                           headers={"Accept": accept}) as resp:
                if resp.status_code >= 300:
                    text = (await _read_some(resp, 2000)).decode("utf-8", "replace")
                    if resp.status_code == 400:
                        raise SparqlError(400, "Invalid SPARQL query", f"SPARQL error: {text}")
                    raise SparqlError(503, "Store unavailable", f"SPARQL server answered HTTP {resp.status_code}: {text}")
                chunks, size = [], 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise too_expensive("sparql_max_bytes", limit, f"the answer is larger than {limit} bytes")
                    chunks.append(chunk)
                # Virtuoso cuts an answer short at its own row or time limit, and says so only here
                if "x-sparql-maxrows" in resp.headers:
                    raise self._limit_error("rows")
                if "x-sql-state" in resp.headers:
                    self.killed["timeout"] += 1
                    raise self._killed_error("timeout")
                body, media = b"".join(chunks), resp.headers.get("content-type", accept)
                rows = count_rows(body, media)
                if rows is not None and rows > self.limits.sparql_max_rows:
                    raise self._limit_error("rows")
                return body, media
        except httpx.TimeoutException:
            raise self._killed_error("timeout") from None
        except httpx.HTTPError as exc:
            raise SparqlError(503, "Store unavailable", f"SPARQL server at {url} unreachable: {exc}") from None


def count_rows(body: bytes, media: str) -> int | None:
    """Rows (solutions, or triples) of a remote answer, for the row limit the workers apply while
    writing; None where counting would mean parsing RDF (Turtle, RDF/XML: the byte limit holds)."""
    media = media.split(";")[0].strip().lower()
    try:
        if media in ("application/sparql-results+json", "application/json"):
            results = json.loads(body).get("results")
            return len(results["bindings"]) if isinstance(results, dict) else 0
        if media in ("application/sparql-results+xml", "application/xml"):
            return body.count(b"<result>") + body.count(b"<result ")
        if media == "text/csv":
            return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8", "replace")))) - 1)
        if media == "text/tab-separated-values":
            return max(0, len(body.splitlines()) - 1)      # TSV escapes newlines in values
        if media in ("application/n-triples", "application/n-quads", "text/plain"):
            return sum(1 for ln in body.splitlines() if ln.strip() and not ln.lstrip().startswith(b"#"))
    except (ValueError, KeyError, TypeError):
        return None
    return None


async def _read_some(resp: Any, limit: int) -> bytes:
    out = b""
    async for chunk in resp.aiter_bytes():
        out += chunk
        if len(out) >= limit:
            break
    return out[:limit]


async def _readable(conn: Any, timeout: float) -> bool:
    """Wait, without blocking the event loop, until the pipe has a message (or EOF)."""
    if conn.poll():
        return True
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def ready() -> None:
        if not fut.done():
            fut.set_result(True)

    loop.add_reader(conn.fileno(), ready)
    try:
        return await asyncio.wait_for(fut, timeout)
    except asyncio.TimeoutError:
        return False
    finally:
        loop.remove_reader(conn.fileno())


def _kill(w: _Worker) -> None:
    """SIGKILL: a query in Rust code does not stop for anything gentler."""
    try:
        w.proc.kill()
        w.proc.join(2)
    except (OSError, ValueError, AssertionError):
        pass
    try:
        w.conn.close()
    except OSError:
        pass


def _remove_orphans(root: Path) -> None:
    """Snapshot directories left by executors of processes that are gone (a crash, a kill -9)."""
    for d in root.iterdir():
        pid = d.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)
