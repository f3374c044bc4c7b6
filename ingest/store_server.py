"""The Oxigraph server that owns the embedded store while several processes use it.

Only one process can open the on-disk store (RocksDB) for writing, and pyoxigraph 0.5.13 has no
secondary mode (``Store.read_only`` beside a writer is undefined). So when several processes
need the store at once (``lexmap serve --workers N``), the Oxigraph server binary (PyPI
``oxigraph``, the same 0.5.13 storage: it opens a directory pyoxigraph wrote) owns the
directory and every process reaches it over SPARQL 1.1 on 127.0.0.1 as a RemoteSparqlStore.

While it runs, ``data_dir/store-server.json`` names it, so other lexmap commands (an ingest,
a curated load) go through the server instead of failing on the lock (see `running`).
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .config import Settings

OWNER_FILE = "store-server.json"
WRITE_LOCK = "store-server.lock"   # writes through the server take turns on it (see RemoteSparqlStore._writing)
START_TIMEOUT = 60.0       # seconds the server may take to open a large store
QUERY_TIMEOUT_S = 120      # the server stops any query after this (RemoteSparqlStore waits as long)


class StoreServerError(RuntimeError):
    """The store server could not be started; says why and what to do."""


@dataclass(frozen=True)
class Endpoint:
    """Where a running store server answers."""

    query: str
    update: str
    pid: int


def oxigraph_binary() -> str:
    """The `oxigraph` server program installed with this Python (PyPI `oxigraph`)."""
    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        raise StoreServerError("the oxigraph server program is missing: pip install oxigraph "
                               "(or run with --workers 1)")
    return found


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:   # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if lexmap dies without stopping it (kill -9)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether a SPARQL query endpoint answers (store_alive.rq)."""
    from .query import catalog as q
    from .store import RemoteSparqlStore, StoreError
    store = RemoteSparqlStore(url, None, timeout=timeout)
    try:
        return q.ask(store, "store_alive")
    except (StoreError, ValueError):
        return False
    finally:
        store.close()


class StoreServer:
    """An Oxigraph server over ``settings.store_dir``, started and stopped by lexmap."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1"):
        self.settings, self.host = settings, host
        self.proc: subprocess.Popen | None = None
        self.endpoint: Endpoint | None = None
        self.owner_file = settings.data_dir / OWNER_FILE

    def start(self) -> Endpoint:
        """Start the server, wait until it answers, record it in the owner file."""
        other = running(self.settings)
        if other is not None:
            raise StoreServerError(f"a store server (pid {other.pid}) already serves {self.settings.store_dir}; "
                                   f"stop the 'lexmap serve' that started it")
        self.settings.store_dir.mkdir(parents=True, exist_ok=True)
        port = _free_port(self.host)
        base = f"http://{self.host}:{port}"
        log = (self.settings.data_dir / "store-server.log").open("ab")
        try:
            self.proc = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(self.settings.store_dir), "--union-default-graph",
                 "--bind", f"{self.host}:{port}", "--timeout-s", str(QUERY_TIMEOUT_S)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=_die_with_parent)
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(f"{base}/query", timeout=1.0):
            if self.proc.poll() is not None:
                raise StoreServerError(f"the oxigraph server stopped at start (exit {self.proc.returncode}); "
                                       f"see {self.settings.data_dir / 'store-server.log'}. Another process "
                                       f"(a running 'lexmap serve' or ingest?) may hold {self.settings.store_dir}.")
            if time.monotonic() > deadline:
                self.stop()
                raise StoreServerError(f"the oxigraph server did not answer within {START_TIMEOUT:.0f} s")
            time.sleep(0.1)
        self.endpoint = Endpoint(f"{base}/query", f"{base}/update", self.proc.pid)
        # No write is under way through a server that just started (no one knows it yet): the data
        # token's stamp (RemoteSparqlStore.data_token) starts clean, whatever a crashed run left.
        stamp = (self.settings.data_dir / WRITE_LOCK).with_suffix(".stamp")
        tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}")
        tmp.write_text(f"clean {uuid.uuid4().hex}")     # the record RemoteSparqlStore._set_stamp writes
        os.replace(tmp, stamp)
        tmp = self.owner_file.with_name(f".{OWNER_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps({"query": self.endpoint.query, "update": self.endpoint.update,
                                   "pid": self.proc.pid}))
        os.replace(tmp, self.owner_file)
        return self.endpoint

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (it flushes the store on SIGTERM) and remove the owner file."""
        if self.endpoint is not None:
            try:
                if json.loads(self.owner_file.read_text()).get("pid") == self.endpoint.pid:
                    self.owner_file.unlink()
            except (OSError, ValueError):
                pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def running(settings: Settings) -> Endpoint | None:
    """The store server that owns ``settings.store_dir`` now, if one does (its owner file names
    a live process that answers); None otherwise (a stale file is ignored)."""
    path = settings.data_dir / OWNER_FILE
    try:
        data = json.loads(path.read_text())
        endpoint = Endpoint(str(data["query"]), str(data["update"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(endpoint.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass     # alive, another user's
    return endpoint if answers(endpoint.query) else None


def shared(settings: Settings, read_only: bool = False):
    """A RemoteSparqlStore over the store server that owns this data directory's store, when one
    runs (``lexmap serve --workers N``), else None: so a command run beside the server (an
    ingest, a curated load) writes through it, taking turns with the workers (lock file).

    Embedded store configured (``LEXMAP_STORE=oxigraph``): the server's endpoints; the workers
    themselves run with ``LEXMAP_STORE=sparql`` and the server's URLs, and get the lock file too."""
    from .store import RemoteSparqlStore
    if settings.store not in ("oxigraph", "sparql") or not (settings.data_dir / OWNER_FILE).exists():
        return None
    endpoint = running(settings)
    if endpoint is None or (settings.store == "sparql" and settings.sparql_query != endpoint.query):
        return None
    store = RemoteSparqlStore(endpoint.query, None if read_only else endpoint.update,
                              timeout=float(QUERY_TIMEOUT_S))
    store.write_lock_file = settings.data_dir / WRITE_LOCK
    return store
