"""The public SPARQL endpoint under attack: SERVICE (SSRF, calling itself), runaway queries,
disconnecting clients, oversized answers, updates in disguise; the API keeps answering."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.index.indexer import open_backend
from ingest.store import OxigraphStore
from .conftest import free_port, make_settings
from .test_remote_store import _oxigraph_binary

TIMEOUT = 1.5
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# over every pair of literals (160,000 rows of ~3-7 ms each): runaway on any machine (over single
# literals it took 2.8 s on one machine and 1.2 s on a faster one, under the 1.5 s limit)
REGEX = ('SELECT * WHERE { ?s ?p ?x . ?t ?q ?y '
         'FILTER REGEX(CONCAT(?x, ?y), "(\\\\w{1,50}\\\\s?){1,50}$") }')
ALL = "SELECT * WHERE { ?s ?p ?o }"


def _settings(tmp: Path, **limits):
    base = make_settings(tmp)
    limits = {"sparql_timeout": TIMEOUT, "rate_limit": 0, **limits}
    return replace(base, limits=replace(base.limits, **limits))


def _fill(store: OxigraphStore, n: int = 400) -> None:
    """n triples in four graphs; ~100-character literals make the REGEX slow (3-7 ms a row)."""
    for g in range(4):
        triples = " ".join(f'<urn:s{i}> <urn:p> "text {i} {"lorem ipsum dolor " * 5}" .'
                           for i in range(g, n, 4))
        store.update(f"INSERT DATA {{ GRAPH <urn:g{g}> {{ {triples} }} }}")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sparql")
    store = OxigraphStore(tmp / "store")
    _fill(store)
    yield tmp, store
    store.close()


def _serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, thread, base
        except httpx.HTTPError:
            time.sleep(0.05)
    pytest.fail("the server did not start")


@pytest.fixture(scope="module")
def server(tiny):
    """The app on a real port: 2 workers, a queue of 4, TIMEOUT seconds a query."""
    tmp, store = tiny
    settings = _settings(tmp / "a")
    backend = open_backend(settings)
    app = create_app(settings, store, backend)
    srv, thread, base = _serve(app)
    yield base, app
    srv.should_exit = True
    thread.join(10)
    backend.close()


@pytest.fixture(scope="module")
def patient(tiny):
    """One worker, no queue, a long time limit: what stops a query there is the client leaving."""
    tmp, store = tiny
    settings = _settings(tmp / "b", sparql_timeout=60.0, sparql_workers=1, sparql_queue=0)
    backend = open_backend(settings)
    app = create_app(settings, store, backend)
    srv, thread, base = _serve(app)
    yield base, app
    srv.should_exit = True
    thread.join(10)
    backend.close()


def _client(tmp: Path, store, **limits) -> TestClient:
    return TestClient(create_app(_settings(tmp, **limits), store))


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def _wait(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


# ------------------------------------------------------------------ SERVICE
def test_service_to_itself_or_a_closed_port_is_refused_and_the_server_answers(server):
    base, _ = server
    closed = f"http://127.0.0.1:{free_port()}/sparql"
    with ThreadPoolExecutor(4) as pool:
        calls = [pool.submit(httpx.get, f"{base}/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"},
                             timeout=10) for url in (f"{base}/sparql", closed)]
        health = [httpx.get(f"{base}/health", timeout=10).status_code for _ in range(3)]
        answers = [c.result() for c in calls]
    assert health == [200, 200, 200]
    for r in answers:
        assert "SERVICE" in _problem(r, 400)["title"]
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200


HIDDEN_SERVICES = [
    "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    "select * where { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:9/>\nSELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { ?x ?y 1.SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { # SERVICE hidden? no: this comment ends here\n SeRvIcE <http://169.254.169.254/> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "BASE <http://127.0.0.1:9/>\nSELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
]


def test_service_in_any_spelling_is_refused_but_not_the_word(tiny):
    tmp, store = tiny
    benign = ('PREFIX schema: <http://schema.org/>\nSELECT ?s WHERE { ?s ?p ?o . OPTIONAL { ?s schema:Service ?z } '
              'FILTER(?o != "SERVICE <http://127.0.0.1:9/> {}" && ?s != <urn:SERVICE>) } LIMIT 1  # SERVICE <http://x/>')
    with _client(tmp / "c", store) as c:
        for query in HIDDEN_SERVICES:
            assert "SERVICE" in _problem(c.get("/sparql", params={"query": query}), 400)["title"], query
        r = c.get("/sparql", params={"query": benign})
        assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 1


@pytest.fixture()
def remote_endpoint(tmp_path):
    port = free_port()
    proc = subprocess.Popen([_oxigraph_binary(), "serve", "--location", str(tmp_path / "ox"),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait(lambda: _answers(f"{base}/query"), 10), "oxigraph server did not start"
        httpx.post(f"{base}/update", content='INSERT DATA { <urn:r> <urn:p> "from afar" }',
                   headers={"Content-Type": "application/sparql-update"}, timeout=5).raise_for_status()
        yield f"{base}/query"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, params={"query": "ASK {}"}, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_allow_listed_service_endpoint_is_called(tiny, remote_endpoint):
    tmp, store = tiny
    with _client(tmp / "d", store, sparql_service_allow=(remote_endpoint,)) as c:
        r = c.get("/sparql", params={"query": f"SELECT ?o WHERE {{ SERVICE <{remote_endpoint}> {{ <urn:r> <urn:p> ?o }} }}"})
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == [{"o": {"type": "literal", "value": "from afar"}}]
        other = remote_endpoint.replace("/query", "/store")
        _problem(c.get("/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}"}), 400)


# ------------------------------------------------------------------ runaway queries
def test_runaway_queries_are_stopped_while_the_api_answers(server):
    base, app = server
    with ThreadPoolExecutor(8) as pool:
        t0 = time.monotonic()
        slow = [pool.submit(httpx.get, f"{base}/sparql", params={"query": q}, timeout=60)
                for q in (CARTESIAN, REGEX, CARTESIAN, REGEX)]   # 2 run, 2 wait in the queue
        assert _wait(lambda: app.state.ctx.sparql.status()["running"] == 2, 10)
        others = []
        for _ in range(3):
            others += [httpx.get(f"{base}{path}", timeout=10) for path in
                       ("/acts", "/search?q=lorem", "/health")]
        answered = time.monotonic() - t0
        results = [f.result() for f in slow]
        elapsed = time.monotonic() - t0
    assert [r.status_code for r in others] == [200] * len(others)
    for r in results:
        body = _problem(r, 422)
        assert body["limit"] == "sparql_timeout" and body["value"] == TIMEOUT and "LIMIT" in body["detail"]
    # two rounds of TIMEOUT plus worker restarts; generous, it only proves the queries were stopped
    assert elapsed < 2 * TIMEOUT + 20, elapsed
    assert answered < elapsed
    assert _wait(lambda: app.state.ctx.sparql.status()["workers_alive"] == 2, 10)   # the killed were replaced
    print(f"\n4 runaway queries stopped after {elapsed:.1f} s; 9 other requests answered within {answered:.2f} s")


def test_cartesian_product_hits_the_row_limit(server):
    base, _ = server
    body = _problem(httpx.get(f"{base}/sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"},
                              timeout=30), 422)
    assert body["limit"] == "sparql_max_rows" and body["value"] == 10_000


def test_disconnected_client_kills_its_worker_and_a_full_queue_answers_503(patient):
    base, app = patient
    executor = app.state.ctx.sparql
    assert _wait(lambda: executor.status()["workers_alive"] == 1)
    [pid] = executor.worker_pids()
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /sparql?query={urllib.parse.quote(CARTESIAN)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    try:
        assert _wait(lambda: executor.status()["running"] == 1)
        busy = httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=10)
        assert _problem(busy, 503)["title"] == "Too many queries" and int(busy.headers["Retry-After"]) >= 1
    finally:
        sock.close()
    assert _wait(lambda: not Path(f"/proc/{pid}").exists(), 10), "the worker of a gone client still runs"
    assert executor.status()["killed"]["client"] == 1
    assert _wait(lambda: executor.status()["workers_alive"] == 1)
    assert httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=10).json()["boolean"] is True


def test_memory_hungry_query_is_killed(tiny):
    tmp, store = tiny
    with _client(tmp / "e", store, sparql_timeout=60.0, sparql_worker_mb=128) as c:
        q = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"   # sorts 64 M rows in memory
        body = _problem(c.get("/sparql", params={"query": q}), 422)
        assert body["limit"] == "sparql_worker_mb" and body["value"] == 128


# ------------------------------------------------------------------ answer limits and formats
ACCEPTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values"]
FORMATS = [ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
           ox.QueryResultsFormat.TSV]


def test_row_limit_in_every_format_and_answers_as_pyoxigraph_writes_them(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.update('INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "tab\\there, \\"quoted\\"\\nline"@ru , 42 , 1.5e0 , '
                 '"<&>" , true , 2.50 , "x1"^^xsd:integer , "back\\\\slash\\r" ; <urn:q> _:b . '
                 '_:b <urn:p> <urn:a> , "x"^^<urn:type> } }')
    q = "SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    with _client(tmp_path, store, sparql_max_rows=11) as c:
        for accept, fmt in zip(ACCEPTS, FORMATS):
            r = c.get("/sparql", params={"query": q}, headers={"Accept": accept})
            assert r.status_code == 200, r.text
            expected = store.store.query(q, use_default_graph_as_union=True).serialize(format=fmt)
            if fmt == ox.QueryResultsFormat.XML:   # same results; pyoxigraph leaves a CR inside a text raw
                assert _solutions(r.content, fmt) == _solutions(expected, fmt)
            else:
                assert r.content == expected, accept
            assert r.headers["content-type"].startswith(accept)
        store.update('INSERT DATA { GRAPH <urn:g> { <urn:c> <urn:p> "one more" } }')
        for accept in ACCEPTS + ["text/turtle"]:
            query = q if accept != "text/turtle" else "CONSTRUCT WHERE { ?s ?p ?o }"
            body = _problem(c.get("/sparql", params={"query": query}, headers={"Accept": accept}), 422)
            assert body["limit"] == "sparql_max_rows" and body["value"] == 11 and "11 rows" in body["detail"]
    store.close()


def _solutions(body: bytes, fmt) -> list[list]:
    results = ox.parse_query_results(body, fmt)
    return [[str(s[v]) if s[v] is not None else None for v in results.variables] for s in results]


def test_byte_limit(tiny):
    tmp, store = tiny
    with _client(tmp / "f", store, sparql_max_bytes=4096) as c:
        for q in (f"{ALL} LIMIT 100", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 100"):
            body = _problem(c.get("/sparql", params={"query": q}), 422)
            assert body["limit"] == "sparql_max_bytes" and body["value"] == 4096 and "4096 bytes" in body["detail"]
        assert c.get("/sparql", params={"query": f"{ALL} LIMIT 5"}).status_code == 200


def test_query_text_length_limit(tiny):
    tmp, store = tiny
    with _client(tmp / "c", store) as c:
        long = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_000
        _problem(c.post("/sparql", content=long, headers={"Content-Type": "application/sparql-query"}), 413)
        _problem(c.post("/sparql", data={"query": long}), 413)
        assert c.post("/sparql", data={"query": long[:90_000]}).status_code == 200   # a long comment is fine


# ------------------------------------------------------------------ protocol
UPDATES = [
    ("GET", {"params": {"update": "CLEAR ALL"}}),
    ("GET", {"params": {"query": "# a comment first\nINSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
    ("GET", {"params": {"query": "PREFIX x: <urn:x>\n\n  delete where { ?s ?p ?o }"}}),
    ("GET", {"params": {"query": "BASE <urn:x> LOAD <http://127.0.0.1:9/data.ttl>"}}),
    ("GET", {"params": {"query": "DROP ALL"}}),
    ("POST", {"data": {"update": "CLEAR ALL"}}),
    ("POST", {"data": {"query": "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"}}),
    ("POST", {"content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}),
    ("POST", {"content": "CLEAR ALL", "headers": {"Content-Type": "application/sparql-query"}}),
]


def test_updates_are_refused_in_every_form(tiny):
    tmp, store = tiny
    with _client(tmp / "c", store) as c:
        for method, kw in UPDATES:
            body = _problem(c.request(method, "/sparql", **kw), 403)
            assert "read-only" in body["detail"], (method, kw)
        assert c.get("/sparql", params={"query": "ASK { <urn:s0> ?p ?o }"}).json()["boolean"] is True


def test_get_and_post_have_their_own_operation_ids(tiny):
    tmp, store = tiny
    with _client(tmp / "c", store) as c:
        spec = c.get("/openapi.json").json()
        ids = [op["operationId"] for path in spec["paths"].values() for op in path.values() if "operationId" in op]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        assert spec["paths"]["/sparql"]["get"]["operationId"] == "sparql_query_get"
        assert spec["paths"]["/sparql"]["post"]["operationId"] == "sparql_query_post"
        form = c.post("/sparql", data={"query": "ASK { <urn:s1> ?p ?o }"})
        assert form.status_code == 200 and form.json()["boolean"] is True


@pytest.mark.parametrize("memory", [False, True])
def test_a_write_is_seen_by_the_next_query(tmp_path, memory):
    store = OxigraphStore(None if memory else tmp_path / "store")
    ask = 'ASK { <urn:a> <urn:b> "c" }'
    with _client(tmp_path, store) as c:
        executor = c.app.state.ctx.sparql
        assert c.get("/sparql", params={"query": ask}).json()["boolean"] is False
        before = executor.status()["snapshot_generation"]
        store.update('INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> "c" } }')
        assert c.get("/sparql", params={"query": ask}).json()["boolean"] is True
        assert executor.status()["snapshot_generation"] > before
        snapshots = list((tmp_path / "sparql-snapshot").glob("*/*"))
        assert len(snapshots) == 1, snapshots   # the older one is gone once no worker has it open
    assert not list((tmp_path / "sparql-snapshot").glob("*/*"))
    store.close()


def test_remote_store_is_forwarded_under_the_same_limits(remote_endpoint, tmp_path):
    from ingest.store import RemoteSparqlStore
    update = remote_endpoint.replace("/query", "/update")
    triples = " ".join(f'<urn:s{i}> <urn:p> "{"x" * 50} {i}" .' for i in range(300))
    httpx.post(update, content=f"INSERT DATA {{ {triples} }}", headers={"Content-Type": "application/sparql-update"},
               timeout=5).raise_for_status()
    store = RemoteSparqlStore(remote_endpoint, None)
    with _client(tmp_path, store, sparql_max_bytes=8192) as c:
        assert c.app.state.ctx.sparql.status()["mode"] == "remote"
        r = c.get("/sparql", params={"query": "SELECT ?o WHERE { <urn:r> <urn:p> ?o }"})
        assert r.status_code == 200 and r.json()["results"]["bindings"][0]["o"]["value"] == "from afar"
        _problem(c.get("/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{remote_endpoint}> {{ ?s ?p ?o }} }}"}), 400)
        assert _problem(c.get("/sparql", params={"query": ALL}), 422)["limit"] == "sparql_max_bytes"
        assert _problem(c.get("/sparql", params={"query": CARTESIAN}), 422)["limit"] == "sparql_timeout"
        _problem(c.get("/sparql", params={"query": "SELEKT"}), 400)
    store.close()
