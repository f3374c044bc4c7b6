"""`lexmap serve --workers N`: several processes over one store (an oxigraph server owning it),
whose caches stay coherent after writes and ingests; the data token; writes that take turns
across processes; the compiled mapping validation."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ingest.config import PROJECT_ROOT
from ingest.store import OxigraphStore, RemoteSparqlStore, StoreError
from ingest.store_server import OWNER_FILE, WRITE_LOCK, StoreServer, running, shared

from .conftest import CORPUS, free_port, make_settings

B = "https://lexmap.org"
RU_KONST = "eli/ru/konst/1993/1993-12-12"
BY_KONST = "eli/by/konst/1994/1994-03-15"
WORKER = "x-lexmap-worker"


@pytest.fixture(scope="module")
def two_constitutions(tmp_path_factory, manifest):
    """A data directory with both constitutions loaded and indexed, no store left open."""
    from ingest.index.indexer import open_backend, sync
    from ingest.load import ingest
    from ingest.store import open_store
    settings = make_settings(tmp_path_factory.mktemp("workers") / "var")
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find("ru-konst"), manifest.find("by-konst")],
                     progress=lambda m: None)
    assert {r.status for r in reports} == {"loaded"}, [(r.key, r.errors[:3]) for r in reports]
    backend = open_backend(settings)
    sync(store, backend)
    backend.close()
    store.close()
    return settings


def _copy(settings, tmp_path: Path):
    """A data directory of the test's own: the store (checkpoint) and the index copied."""
    import shutil
    own = replace(settings, data_dir=tmp_path / "var")
    source = OxigraphStore(settings.store_dir, read_only=True)
    source.snapshot(own.store_dir)
    source.close()
    shutil.copytree(settings.index_dir, own.index_dir)
    return own


class Server:
    """`lexmap serve --workers 2` in a process of its own, on 127.0.0.1."""

    def __init__(self, settings, keys: Path, workers: int = 2):
        self.settings, self.port = settings, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LEXMAP_DATA_DIR": str(settings.data_dir), "LEXMAP_STORE": "oxigraph",
                    "LEXMAP_CORPUS_ROOT": str(CORPUS), "LEXMAP_API_KEYS": str(keys), "LEXMAP_RATE_LIMIT": "0"}
        self.log = settings.data_dir.parent / "serve.log"     # the workers' log, shown when a check fails
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--workers", str(workers),
                                          "--port", str(self.port)], cwd=PROJECT_ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"lexmap serve stopped: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("lexmap serve --workers 2 did not answer within 120 s")
            time.sleep(0.3)

    def fresh(self, method: str, path: str, **kw) -> httpx.Response:
        """One request on a new connection (so any worker may take it)."""
        with httpx.Client(base_url=self.url, timeout=60) as c:
            return c.request(method, path, **kw)

    def until_each_worker(self, path: str, check, **kw) -> dict[str, int]:
        """Read `path` through fresh connections until both workers answered at least twice;
        `check(response)` must hold for every answer. Returns answers per worker."""
        seen: dict[str, int] = {}
        for _ in range(200):
            r = self.fresh("GET", path, **kw)
            assert r.status_code == 200, (r.text, self.log.read_text()[-4000:])
            assert check(r), (r.headers.get(WORKER), r.text[:500])
            seen[r.headers[WORKER]] = seen.get(r.headers[WORKER], 0) + 1
            if len(seen) >= 2 and min(seen.values()) >= 2:
                return seen
        pytest.fail(f"fresh connections reached only the workers {seen}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def _keys(path: Path) -> dict[str, str]:
    from api import auth
    return {"editor": auth.add_key(path, "ivanova", ["editor"], "Иванова И. И."),
            "reviewer": auth.add_key(path, "petrov", ["reviewer"], "Петров П. П.")}


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ------------------------------------------------------------------ the multi-process server

def test_writes_and_ingests_are_seen_by_every_worker(two_constitutions, tmp_path):
    settings = _copy(two_constitutions, tmp_path)
    keys = _keys(tmp_path / "keys.toml")
    server = Server(settings, tmp_path / "keys.toml")
    try:
        owner = json.loads((settings.data_dir / OWNER_FILE).read_text())
        workers = server.until_each_worker("/mappings", lambda r: r.json()["total"] == 0, params={"act": BY_KONST})
        assert str(owner["pid"]) not in workers      # the store's owner is the oxigraph server, not a worker

        # every worker has the (empty) mapping list of the act cached; a write through one ...
        body = {"subject": f"{RU_KONST}/art_19", "object": f"{BY_KONST}/art_22", "relation": "intersects_with",
                "harmonization": "harmonized", "confidence": 0.8}
        with httpx.Client(base_url=server.url, timeout=60) as c:
            created = c.post("/mappings", json=body, headers=_bearer(keys["editor"]))
            assert created.status_code == 201, created.text
            writer = created.headers[WORKER]
        rid = created.json()["id"]
        # ... is seen by the next request in any worker
        seen = server.until_each_worker("/mappings", lambda r: [m["id"] for m in r.json()["mappings"]] == [rid],
                                        params={"act": BY_KONST})
        assert writer in seen
        server.until_each_worker(f"/mappings/{rid}", lambda r: r.json()["lifecycle"] == "proposed")

        # a review through one worker: every worker answers the new state and version
        version = server.fresh("GET", f"/mappings/{rid}").json()["version"]
        reviewed = server.fresh("POST", f"/mappings/{rid}/review", json={"decision": "accept"},
                                headers={**_bearer(keys["reviewer"]), "If-Match": version})
        assert reviewed.status_code == 200, reviewed.text
        server.until_each_worker(f"/mappings/{rid}", lambda r: r.json()["lifecycle"] == "accepted"
                                 and r.json()["version"] == reviewed.json()["version"] != version)
        # the same review again, in any worker, is a conflict: the state is shared, not per process
        again = server.fresh("POST", f"/mappings/{rid}/review", json={"decision": "reject"},
                             headers=_bearer(keys["reviewer"]))
        assert again.status_code == 409

        # the SPARQL endpoint answers from the shared store in every worker
        ask = f"ASK {{ <{B}/mapping/{rid}> ?p ?o }}"
        server.until_each_worker("/sparql", lambda r: r.json()["boolean"] is True, params={"query": ask},
                                 headers={"Accept": "application/sparql-results+json"})

        # an ingest run while serving goes through the server (the store is the server's) ...
        acts_before = {a["eli"] for a in server.fresh("GET", "/acts").json()["acts"]}
        assert len(acts_before) == 2
        done = subprocess.run([sys.executable, "-m", "api.cli", "ingest", "ru-sk", "--workers", "1"], cwd=PROJECT_ROOT,
                              env=server.env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        # ... and every worker lists the new act and finds its text
        server.until_each_worker("/acts", lambda r: {a["eli"] for a in r.json()["acts"]} > acts_before
                                 and any(a["eli"].startswith("eli/ru/kodeks/1995/223-fz") for a in r.json()["acts"]))
        server.until_each_worker("/search", lambda r: r.json()["total"] > 0 and all(
            "/eli/ru/kodeks/1995/223-fz/" in h["iri"] for h in r.json()["results"]),
            params={"q": "брачный договор", "act": "ru-sk"})
    finally:
        code = server.stop()
    assert code == 0
    # the server stopped with the workers, and said so: no owner left behind
    assert not (settings.data_dir / OWNER_FILE).exists()
    assert running(settings) is None
    with pytest.raises(ProcessLookupError):
        os.kill(owner["pid"], 0)
    # the store is whole and the embedded engine opens it again, with every write
    store = OxigraphStore(settings.store_dir)
    try:
        assert store.ask(f"ASK {{ <{B}/mapping/{rid}> <https://w3id.org/lexmap/ontology#lifecycle> ?l }}")
        assert "urn:lexmap:state" not in store.graphs()
    finally:
        store.close()


def test_workers_refuse_a_store_they_cannot_share(tmp_path):
    env = {**os.environ, "LEXMAP_DATA_DIR": str(tmp_path / "var"), "LEXMAP_STORE": "memory"}
    done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(free_port())],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "in-memory store is one per process" in done.stderr


# ------------------------------------------------------------------ the store server and the data token

@pytest.fixture
def store_server(tmp_path):
    settings = make_settings(tmp_path / "var")
    server = StoreServer(settings)
    server.start()
    yield settings, server
    server.stop()


def test_store_server_owns_the_store_and_other_commands_go_through_it(store_server):
    settings, server = store_server
    assert running(settings).pid == server.proc.pid
    with pytest.raises(StoreError, match="cannot open the store"):
        OxigraphStore(settings.store_dir)               # RocksDB's lock: the server owns it
    from ingest.store import open_store
    store = open_store(settings)                        # LEXMAP_STORE=oxigraph, yet a client of the server
    try:
        assert isinstance(store, RemoteSparqlStore) and store.write_lock_file is not None
        store.replace_graph("urn:g", "<urn:a> <urn:b> <urn:c> .")
        assert store.graphs() == ["urn:g"]
    finally:
        store.close()
    # a second server over the same directory is refused with the reason
    with pytest.raises(Exception, match="already serves"):
        StoreServer(settings).start()


def test_data_token_moves_with_every_write_and_only_then(store_server):
    settings, _ = store_server
    local = shared(settings)                     # stamp file path (same machine)
    remote = RemoteSparqlStore(local.query_url, local.update_url)   # store token path (any machine)
    try:
        tokens = [(local.data_token(), remote.data_token())]
        for write in (lambda s: s.replace_graph("urn:g", "<urn:a> <urn:b> 1 ."),
                      lambda s: s.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 2 } }"),
                      lambda s: s.drop_graph("urn:g")):
            assert local.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1") is not None   # reads change nothing
            assert (local.data_token(), remote.data_token()) == tokens[-1]
            write(local)
            tokens.append((local.data_token(), remote.data_token()))
            assert tokens[-1][0] != tokens[-2][0] and tokens[-1][1] != tokens[-2][1]
        # a write by a process that keeps no stamp (another machine) moves the store's token
        remote_writer = RemoteSparqlStore(local.query_url, local.update_url)
        remote_writer.update("INSERT DATA { GRAPH <urn:h> { <urn:a> <urn:b> 3 } }")
        assert remote.data_token() != tokens[-1][1]
        remote_writer.close()
        # a stamp left dirty (a writer died between sending and the answer) is not trusted
        stamp = (settings.data_dir / WRITE_LOCK).with_suffix(".stamp")
        for left in (f"dirty {'0' * 32}", "clean 0123", ""):     # dirty, or caught half-written
            stamp.write_text(left)
            assert local.data_token() == remote.data_token()
    finally:
        local.close()
        remote.close()


def _increment(data_dir: str, rounds: int, go) -> None:
    """Read a counter and write it plus one by a conditional update (as mapping_write.rq is
    conditional on the state read), through the server; a write that applied leaves a mark."""
    from ingest.config import load_settings
    store = shared(replace(load_settings(), data_dir=Path(data_dir), store="oxigraph"))
    go.wait()
    for i in range(rounds):
        n = int(store.select("SELECT ?n WHERE { GRAPH <urn:c> { <urn:c> <urn:n> ?n } }")[0]["n"])
        store.update(f"DELETE {{ GRAPH <urn:c> {{ <urn:c> <urn:n> ?n }} }} "
                     f"INSERT {{ GRAPH <urn:c> {{ <urn:c> <urn:n> ?m ; <urn:took> \"{os.getpid()}-{i}\" }} }} "
                     f"WHERE {{ GRAPH <urn:c> {{ <urn:c> <urn:n> ?n }} FILTER(?n = {n}) BIND(?n + 1 AS ?m) }}")
    store.close()


def test_conditional_writes_from_several_processes_take_turns(store_server):
    """An oxigraph server runs updates side by side (two conditional updates can both pass their
    WHERE and both apply). Through `shared` stores they take turns: every write that applied
    (left its mark) added exactly one to the counter."""
    settings, _ = store_server
    store = shared(settings)
    store.update("INSERT DATA { GRAPH <urn:c> { <urn:c> <urn:n> 0 } }")
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_increment, args=(str(settings.data_dir), 40, go)) for _ in range(3)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    counter = store.select("SELECT ?n WHERE { GRAPH <urn:c> { <urn:c> <urn:n> ?n } }")
    took = store.select("SELECT ?t WHERE { GRAPH <urn:c> { <urn:c> <urn:took> ?t } }")
    store.close()
    assert len(counter) == 1 and int(counter[0]["n"]) == len(took) >= 40


# ------------------------------------------------------------------ the embedded store's group commit

def test_every_acknowledged_write_is_flushed(tmp_path):
    """Group commit: when a write returns, a RocksDB flush that began after its commit has
    finished; writers share flushes but none returns before one covered it."""
    store = OxigraphStore(tmp_path / "store")
    flushes: list[int] = []

    class Counting:
        """The pyoxigraph store, counting flushes (and the generation each began at)."""

        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        def flush(self):
            flushes.append(store.generation)
            self.real.flush()
    store.store = Counting(store.store)
    mine = threading.local()
    counted = store._wrote

    def wrote(texts: bool = True) -> int:
        mine.generation = counted(texts)     # this thread's write's generation
        return mine.generation
    store._wrote = wrote
    covered: list[bool] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        store.update(f"INSERT DATA {{ GRAPH <urn:g> {{ <urn:s{i}> <urn:p> {i} }} }}")
        with lock:   # a flush that began after this write's commit had finished when it returned
            covered.append(store._flushed >= mine.generation)
    threads = [threading.Thread(target=write, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.generation == 40 and store._flushed == 40 and all(covered)
    assert 1 <= len(flushes) <= 40 and flushes == sorted(flushes)
    store.store = store.store.real
    store.close()
    again = OxigraphStore(tmp_path / "store")
    assert len(again.select("SELECT ?s WHERE { GRAPH <urn:g> { ?s ?p ?o } }")) == 40
    again.close()


# ------------------------------------------------------------------ the mapping validation of a write

def test_compiled_mapping_validation_reports_what_the_reference_does(two_constitutions):
    """Each write validates only its mapping and its ends' facts, with shapes compiled once:
    the violations are those of the reference (the shapes parsed again, pyshacl's own entry)."""
    from ingest.mappings.model import NO_TERM_FOUND, Mapping, to_graph
    from ingest.mappings.repository import MappingRepository
    from ingest.validate import validate_graph
    from ontology import LEXMAP, MAPPING_SHAPES_PATH
    from rdflib import Literal, URIRef
    store = OxigraphStore(two_constitutions.store_dir, read_only=True)
    repo = MappingRepository(store, B)
    ru, by = f"{B}/{RU_KONST}", f"{B}/{BY_KONST}"
    good = Mapping(subject=f"{ru}/art_19", object=f"{by}/art_22", relation="intersects_with",
                   harmonization="harmonized", confidence=0.8, author=f"{B}/agent/t", mapping_date="2026-11-22",
                   record_id="goodmapping1")
    cases = {
        "good": good,
        "gap": good.with_changes(object=NO_TERM_FOUND, relation=None, harmonization="divergent"),
        "same jurisdiction": good.with_changes(object=f"{ru}/art_20"),
        "object not in the store": good.with_changes(object=f"{by}/art_9999"),   # inside sh:or
        "subject not in the store": good.with_changes(subject=f"{ru}/art_9999"),
        "confidence": good.with_changes(confidence=1.5),
        "accepted unreviewed": good.with_changes(lifecycle="accepted"),
        "record id": good.with_changes(record_id="Bad Id"),
        "relation": good.with_changes(relation="similar_to"),
    }
    try:
        for name, m in cases.items():
            ends = repo.ends({m.subject, m.object})
            new = repo.validate([m], ends)
            reference_graph = to_graph([m], B, repo._end_facts(ends))
            for prop, end in ((LEXMAP.subjectJurisdiction, m.subject), (LEXMAP.objectJurisdiction, m.object)):
                if end in ends:
                    reference_graph.add((URIRef(f"{B}/mapping/{m.record_id}"), prop, Literal(ends[end].jurisdiction)))
            reference = validate_graph(reference_graph, engine_name="pyshacl", shapes=MAPPING_SHAPES_PATH)
            assert sorted(map(str, new)) == sorted(map(str, reference)), name
            assert bool(new) == (name not in ("good", "gap")), (name, new)
    finally:
        store.close()
