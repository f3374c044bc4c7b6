"""The same app over a shared remote store: Virtuoso open source (Debian's virtuoso-opensource, the
engine behind EUR-Lex's CELLAR) and the oxigraph server, each started on 127.0.0.1 by the tests.

- Virtuoso's own pitfalls: updates only through /sparql-auth (digest) or a grant, ~500 triples per
  INSERT DATA, a non-atomic Graph Store PUT, its literal datatypes — each checked here.
- The API answers over each remote store are the answers over the embedded store (acts list,
  provision JSON, search index rebuilt from the graph, gap analysis), and mappings are created and
  reviewed through them.
- Two API processes (`lexmap serve`) share one store: acts ingested by `lexmap ingest` are read
  through both; a mapping written through one is seen and reviewed through the other.

Skipped only where the package is not installed (`apt-get install -y virtuoso-opensource`); with
LEXMAP_REQUIRE_VIRTUOSO=1 (CI) a missing binary fails instead.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from ingest.config import PROJECT_ROOT
from ingest.store import JOURNAL, RemoteSparqlStore, StoreError, count_graph, open_store

from .conftest import free_port, make_settings
from .test_remote_store import oxigraph_server, wait_http

# Small acts (both family codes, which the curated RU–BY set maps, and the BY constitution).
ACTS = ["ru-sk", "by-kobs", "by-konst"]
CURATED = PROJECT_ROOT / "corpus" / "mappings" / "ru-sk-by-kobs.sssom.tsv"
USER, PASSWORD = "dba", "dba"      # a private instance's initial account

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = {d}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
ThreadsPerQuery = 2
CheckpointInterval = 60
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 600
MaxQueryCostEstimationTime = 600
"""


def virtuoso_binary() -> str:
    """The Virtuoso server binary, or skip (fail in CI) saying how to install it."""
    found = shutil.which("virtuoso-t") or next((p for p in ("/usr/bin/virtuoso-t", "/usr/local/bin/virtuoso-t",
                                                             "/usr/local/virtuoso-opensource/bin/virtuoso-t")
                                                if os.path.exists(p)), None)
    if not found:
        why = "virtuoso-t not found: apt-get install -y virtuoso-opensource (Debian/Ubuntu)"
        if os.environ.get("LEXMAP_REQUIRE_VIRTUOSO") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return found


@contextmanager
def virtuoso_server(directory: Path) -> Iterator[str]:
    """A private Virtuoso instance (own database, ini and ports on 127.0.0.1); yields its base URL."""
    binary = virtuoso_binary()
    directory.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=directory, sql_port=free_port(), http_port=http_port))
    proc = subprocess.Popen([binary, "+configfile", str(ini), "+foreground"], cwd=directory,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(f"{base}/sparql?query=ASK%7B%7D", proc, "virtuoso-t", seconds=120)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def remote_settings(data_dir: Path, kind: str, base: str):
    """Settings of a lexmap installation over the server `kind` at `base`."""
    if kind == "virtuoso":
        settings = make_settings(data_dir, store="sparql", sparql_query=f"{base}/sparql",
                                 sparql_update=f"{base}/sparql-auth")
        return replace(settings, remote=replace(settings.remote, user=USER, password=PASSWORD, auth="digest"))
    return make_settings(data_dir, store="sparql", sparql_query=f"{base}/query", sparql_update=f"{base}/update")


def remote_env(settings) -> dict[str, str]:
    """The environment a lexmap process needs for `settings` (a remote store)."""
    env = {**os.environ, "LEXMAP_STORE": "sparql", "LEXMAP_SPARQL_QUERY": settings.sparql_query,
           "LEXMAP_SPARQL_UPDATE": settings.sparql_update or "", "LEXMAP_DATA_DIR": str(settings.data_dir),
           "LEXMAP_CORPUS_ROOT": str(settings.corpus_root)}
    if settings.remote.user:
        env.update(LEXMAP_SPARQL_USER=settings.remote.user, LEXMAP_SPARQL_PASSWORD=settings.remote.password or "",
                   LEXMAP_SPARQL_AUTH=settings.remote.auth)
    return env


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory) -> Iterator[str]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as base:
        yield base


# ------------------------------------------------------------------ Virtuoso as a store

def test_virtuoso_is_checked_and_refused_with_what_to_set(virtuoso, tmp_path):
    settings = remote_settings(tmp_path, "virtuoso", virtuoso)
    store = open_store(settings)
    assert store.virtuoso and store.chunk_size() == 500 and store.graph_store_url().endswith("/sparql-graph-crud-auth")
    store.close()
    # The anonymous endpoint may read but not write (unless SPARQL_UPDATE is granted to "SPARQL").
    anonymous = replace(settings, sparql_update=f"{virtuoso}/sparql", remote=replace(settings.remote, user=None))
    with pytest.raises(StoreError, match="cannot be written") as err:
        open_store(anonymous)
    assert "SPARQL_UPDATE" in str(err.value) and "/sparql-auth" in str(err.value)
    wrong = replace(settings, remote=replace(settings.remote, password="not-the-password"))
    with pytest.raises(StoreError, match="LEXMAP_SPARQL_PASSWORD"):
        open_store(wrong)
    open_store(replace(settings, sparql_update=None), read_only=True).close()


@pytest.mark.parametrize("graph_store", [None, "none"], ids=["graph-store-put", "insert-chunks"])
def test_virtuoso_loads_large_acts_all_or_nothing(virtuoso, tmp_path, manifest, graph_store):
    """RU Civil Code part 1 (~40,000 triples, far beyond one INSERT DATA on Virtuoso) replaced whole by
    either staged path, read back triple for triple; a broken load leaves it as it was."""
    from ingest.load import prepare
    settings = remote_settings(tmp_path, "virtuoso", virtuoso)
    store = open_store(replace(settings, remote=replace(settings.remote, graph_store=graph_store)))
    act = manifest.find("ru-gk-1")
    expr = max(act.expressions, key=lambda e: e.date)
    prepared = prepare(act, expr, manifest, settings)
    graph, nt = prepared.report.graph, prepared.ntriples
    store.replace_graph(graph, nt)
    assert count_graph(store, graph) == prepared.report.triples > 20 * store.chunk_size()
    art = "https://lexmap.org/eli/ru/kodeks/1994/51-fz/art_196__para_1"
    before = store.select(f"SELECT ?t WHERE {{ ?pe <http://data.europa.eu/eli/ontology#realizes> <{art}> ; "
                          f"lexmap:text ?t }}")
    assert before and "три года" in " ".join(r["t"] for r in before)
    cut = len(nt) // 2
    with pytest.raises(StoreError):
        store.replace_graph(graph, nt[:cut] + '\n<urn:x:s> <urn:x:p> "unterminated .\n' + nt[cut:])
    assert count_graph(store, graph) == prepared.report.triples
    assert store.select(f"SELECT ?t WHERE {{ ?pe <http://data.europa.eu/eli/ontology#realizes> <{art}> ; "
                        f"lexmap:text ?t }}") == before
    assert not store.select(f"SELECT ?s WHERE {{ GRAPH <{JOURNAL}> {{ ?s ?p ?o }} }}")
    assert not [g for g in store.graphs() if g.startswith("urn:lexmap:")]
    store.drop_graph(graph)
    store.close()


def test_virtuoso_literals_read_like_the_embedded_store(virtuoso, tmp_path):
    """Typed literals, language strings, booleans, counts and long IRIs come back as the same lexical forms."""
    long_iri = "https://lexmap.org/eli/ru/kodeks/1994/51-fz/" + "/".join(f"part_{i}" for i in range(60))
    nt = (f'<{long_iri}> <urn:x:date> "2023-08-04"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
          f'<{long_iri}> <urn:x:when> "2026-11-22T10:15:30Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
          f'<{long_iri}> <urn:x:flag> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .\n'
          f'<{long_iri}> <urn:x:conf> "0.75"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
          f'<{long_iri}> <urn:x:n> "607"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
          f'<{long_iri}> <urn:x:text> "Статья 1. «Право» — \\"текст\\"\\nвторая строка"@ru .\n'
          f'<{long_iri}> <urn:x:plain> "ru-gk-1" .\n')
    # DATATYPE of a language string is unbound on Virtuoso (SPARQL 1.0): no named query asks for it.
    query = ("SELECT ?p ?o (LANG(?o) AS ?lang) (IF(LANG(?o) = '', DATATYPE(?o), 'ls') AS ?dt) WHERE { ?s ?p ?o "
             "FILTER(STRSTARTS(STR(?p), 'urn:x:')) } ORDER BY ?p")
    from ingest.store import OxigraphStore
    embedded = OxigraphStore(None)
    embedded.replace_graph("urn:x:g", nt)
    store = open_store(remote_settings(tmp_path, "virtuoso", virtuoso))
    store.replace_graph("urn:x:g", nt)
    assert store.select(query) == embedded.select(query)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:x:g> { ?s ?p ?o } }"
    assert store.select(count) == embedded.select(count) == [{"n": "7"}]
    assert store.select(f"SELECT ?o WHERE {{ <{long_iri}> <urn:x:flag> ?o }}") == [{"o": "true"}]
    store.drop_graph("urn:x:g")
    store.close()


# ------------------------------------------------------------------ the app over each remote store

def _load(store, settings, manifest) -> dict:
    """Ingest ACTS and the curated RU–BY family-code set into `store`, build the search index from the
    graph; returns what was loaded (reports, index counts)."""
    from ingest.index.indexer import open_backend, sync
    from ingest.load import ingest
    from ingest.mappings.curated import load_curated
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in ACTS], workers=1, progress=lambda m: None)
    assert [r.status for r in reports] == ["loaded"] * len(reports), [(r.key, r.errors[:2]) for r in reports]
    curated = load_curated(store, settings, [CURATED])
    assert all(r.status == "loaded" for r in curated), [(r.name, r.violations[:3]) for r in curated]
    backend = open_backend(settings, "tantivy")
    counts = sync(store, backend)
    return {"reports": reports, "backend": backend, "indexed": counts}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, manifest):
    """The same acts in the embedded store: the answers every remote store must give."""
    settings = make_settings(tmp_path_factory.mktemp("embedded"))
    store = open_store(settings)
    loaded = _load(store, settings, manifest)
    yield settings, store, loaded
    loaded["backend"].close()
    store.close()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def remote(request, tmp_path_factory, manifest):
    """(kind, settings, store, loaded) for a freshly started server of each kind with ACTS loaded."""
    kind = request.param
    tmp = tmp_path_factory.mktemp(kind)
    server = (virtuoso_server(tmp / "server") if kind == "virtuoso"
              else oxigraph_server(tmp / "server", "--union-default-graph"))
    with server as base:
        settings = remote_settings(tmp / "var", kind, base)
        store = open_store(settings)
        loaded = _load(store, settings, manifest)
        yield kind, settings, store, loaded
        loaded["backend"].close()
        store.close()


def _client(settings, store, backend, keys: Path | None = None):
    from fastapi.testclient import TestClient

    from api.app import create_app
    if keys is not None:
        settings = replace(settings, extra={**settings.extra, "api_keys": str(keys)})
    return TestClient(create_app(settings, store, backend))


def _provisions(client) -> list[str]:
    """ELI paths of some provisions of every loaded act: first, middle and last of its table of contents."""
    def articles(nodes: list[dict]) -> list[str]:
        found = []
        for n in nodes:
            found += [n["eid"], *articles(n.get("children") or [])]
        return found
    paths = []
    for act in client.get("/acts").json()["acts"]:
        arts = articles(client.get(f"/{act['eli']}").json()["contents"])
        paths += [f"{act['eli']}/{arts[0]}", f"{act['eli']}/{arts[len(arts) // 2]}", f"{act['eli']}/{arts[-1]}"]
    return paths


def test_same_acts_and_reads_counted_back(remote, reference):
    kind, settings, store, loaded = remote
    ref_reports = {(r.key, r.date): r for r in reference[2]["reports"]}
    for rep in loaded["reports"]:
        assert count_graph(store, rep.graph) == rep.triples == ref_reports[(rep.key, rep.date)].triples
    with _client(settings, store, loaded["backend"]) as c, _client(*reference[:2], reference[2]["backend"]) as ref:
        acts = c.get("/acts")
        assert acts.status_code == 200
        got, want = acts.json(), ref.get("/acts").json()
        # field by field, so a difference names its act and field (it once differed in a full run
        # and never alone; the whole-dict diff pytest prints was cut before the difference)
        assert [a["eli"] for a in got["acts"]] == [a["eli"] for a in want["acts"]]
        assert [(a["eli"], k, a.get(k), b.get(k)) for a, b in zip(got["acts"], want["acts"])
                for k in a.keys() | b.keys() if a.get(k) != b.get(k)] == []
        assert got == want
        assert c.get("/acts", params={"as_of": "2010-01-01"}).json() == ref.get("/acts", params={"as_of": "2010-01-01"}).json()


def test_same_provision_json(remote, reference):
    kind, settings, store, loaded = remote
    with _client(settings, store, loaded["backend"]) as c, _client(*reference[:2], reference[2]["backend"]) as ref:
        paths = _provisions(ref)
        assert len(paths) >= 9
        for path in paths:
            got = c.get(f"/{path}")
            assert got.status_code == 200, (path, got.text[:300])
            assert got.json() == ref.get(f"/{path}").json(), path


def test_search_index_rebuilt_from_the_remote_graph(remote, reference):
    kind, settings, store, loaded = remote
    assert loaded["indexed"] == reference[2]["indexed"] and sum(loaded["indexed"].values()) > 1000
    with _client(settings, store, loaded["backend"]) as c, _client(*reference[:2], reference[2]["backend"]) as ref:
        for q in ("брак", "алименты на содержание детей", "\"президент республики\""):
            got = c.get("/search", params={"q": q, "limit": 10})
            assert got.status_code == 200 and got.json()["total"] > 0, q
            assert got.json() == ref.get("/search", params={"q": q, "limit": 10}).json(), q


def test_gap_analysis_over_the_remote_store(remote, reference):
    kind, settings, store, loaded = remote
    params = {"left_act": "ru-sk", "right_act": "by-kobs"}
    with _client(settings, store, loaded["backend"]) as c, _client(*reference[:2], reference[2]["backend"]) as ref:
        got = c.get("/compare", params=params)
        assert got.status_code == 200
        body = got.json()
        assert body == ref.get("/compare", params=params).json()
        assert any(p["source"] == "mapping" for p in body["pairs"])


def test_mapping_created_and_reviewed_over_the_remote_store(remote, tmp_path):
    from api import auth
    kind, settings, store, loaded = remote
    keys = tmp_path / "keys.toml"
    editor = auth.add_key(keys, "ivanova", ["editor"], "Иванова И. И.")
    reviewer = auth.add_key(keys, "petrov", ["reviewer"])
    body = {"subject": "eli/ru/kodeks/1995/223-fz/art_89", "object": "eli/by/kodeks/1999/278-z/art_100",
            "relation": "intersects_with", "harmonization": "harmonized", "confidence": 0.6, "comment": "алименты"}
    with _client(settings, store, loaded["backend"], keys) as c:
        r = c.post("/mappings", json=body, headers={"Authorization": f"Bearer {editor}"})
        assert r.status_code == 201, r.text
        m = r.json()
        assert m["lifecycle"] == "proposed" and m["author"]["label"] == "Иванова И. И."
        r = c.post(f"/mappings/{m['id']}/review", json={"decision": "accept", "comment": "сверено"},
                   headers={"Authorization": f"Bearer {reviewer}"})
        assert r.status_code == 200 and r.json()["lifecycle"] == "accepted", r.text
        hist = c.get(f"/mappings/{m['id']}").json()["history"]
        assert [h["action"] for h in hist] == ["create", "review"] and hist[1]["comment"] == "сверено"
        listed = c.get("/mappings", params={"source": "ru-sk"}).json()
        assert m["id"] in {x["id"] for x in listed["mappings"]}


def test_mapping_lists_answer_as_the_embedded_store(remote, reference):
    """Every list filter, paged and unpaged, gives the embedded store's rows (mapping_list.rq with
    its UNDEF filters and mapping_list_all.rq; Virtuoso refused the unpaged LIMIT 2^63-1, SQ074)."""
    from ingest.mappings.repository import Filters, MappingRepository
    kind, settings, store, loaded = remote
    repo, ref = MappingRepository(store, settings.base_iri), MappingRepository(reference[1], reference[0].base_iri)
    sk, kobs = (f"{settings.base_iri}/eli/ru/kodeks/1995/223-fz", f"{settings.base_iri}/eli/by/kodeks/1999/278-z")
    # the curated set's mappings (the test above adds one through the API to the remote store only)
    key = lambda ms: sorted((m.record_id, m.lifecycle, m.subject, m.object) for m in ms  # noqa: E731
                            if not m.mapping_set.endswith("/api"))
    filters = [Filters(), Filters(source_act=sk), Filters(target_act=kobs), Filters(act=kobs),
               Filters(source_act=kobs), Filters(lifecycle=("accepted",), relation=("equal", "intersects_with")),
               Filters(provision=f"{sk}/art_89")]
    nonempty = 0
    for f in filters:
        got = repo.list(f)
        assert key(got) == key(ref.list(f)), f
        nonempty += bool(got)
    assert nonempty >= 4
    whole = repo.list(Filters(source_act=sk))
    assert [m.record_id for m in repo.list(Filters(source_act=sk), 5, 3)] == [m.record_id for m in whole[3:8]]
    assert len(whole) >= 8


def test_public_sparql_endpoint_over_the_remote_store(remote, reference):
    """/sparql is forwarded form-encoded (Virtuoso never answers application/sparql-query) and keeps
    the endpoint's limits: rows counted on the answer, bytes while reading it."""
    kind, settings, store, loaded = remote
    count = ("SELECT (COUNT(*) AS ?n) WHERE { ?m a <https://w3id.org/lexmap/ontology#Mapping> ; "
             f"<https://w3id.org/lexmap/ontology#mappingSet> <{settings.base_iri}/mappings/ru-sk-by-kobs> }}")
    with _client(settings, store, loaded["backend"]) as c, _client(*reference[:2], reference[2]["backend"]) as ref:
        accept = {"Accept": "application/sparql-results+json"}
        got = c.get("/sparql", params={"query": count}, headers=accept)
        assert got.status_code == 200, got.text[:500]
        want = ref.get("/sparql", params={"query": count}, headers=accept).json()
        assert [b["n"]["value"] for b in got.json()["results"]["bindings"]] == \
               [b["n"]["value"] for b in want["results"]["bindings"]] != ["0"]
        post = c.post("/sparql", data={"query": count}, headers=accept)
        assert post.status_code == 200 and post.json() == got.json()
    few = "SELECT ?m WHERE { ?m a <https://w3id.org/lexmap/ontology#Mapping> } LIMIT 20"
    for media in ("application/sparql-results+json", "text/csv", "text/tab-separated-values",
                  "application/sparql-results+xml"):
        small = replace(settings, limits=replace(settings.limits, sparql_max_rows=19))
        with _client(small, store, loaded["backend"]) as c:
            r = c.get("/sparql", params={"query": few}, headers={"Accept": media})
            assert r.status_code == 422 and r.json()["limit"] == "sparql_max_rows", (media, r.text[:300])
        exact = replace(settings, limits=replace(settings.limits, sparql_max_rows=20))
        with _client(exact, store, loaded["backend"]) as c:
            assert c.get("/sparql", params={"query": few}, headers={"Accept": media}).status_code == 200, media
    tiny = replace(settings, limits=replace(settings.limits, sparql_max_bytes=1000))
    with _client(tiny, store, loaded["backend"]) as c:
        r = c.get("/sparql", params={"query": few.replace("LIMIT 20", "LIMIT 200")})
        assert r.status_code == 422 and r.json()["limit"] == "sparql_max_bytes", r.text[:300]


def test_large_curated_set_loaded_all_or_nothing(virtuoso, tmp_path, manifest):
    """The RU–BY civil code set (refused in one request by Virtuoso, SQ199) is staged and applied in
    one request: every row loaded, one import per mapping in the trail, no staging graph left; a
    re-load changes nothing; a failed apply leaves the store as it was; a mapping reviewed between
    the load's read and its write keeps its review."""
    from ingest.load import ingest
    from ingest.mappings import repository as repository_module
    from ingest.mappings.curated import load_curated
    from ingest.mappings.repository import MappingRepository
    from ingest.mappings.sssom_tsv import parse
    civil = PROJECT_ROOT / "corpus" / "mappings" / "ru-gk-by-gk.sssom.tsv"
    settings = remote_settings(tmp_path, "virtuoso", virtuoso)
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in ("ru-gk-1", "by-gk")], workers=1,
                     progress=lambda m: None)
    assert [r.status for r in reports] == ["loaded"] * len(reports)
    repo = MappingRepository(store, settings.base_iri)
    rows = len(parse(civil.read_text(encoding="utf-8"), str(civil), settings.base_iri).mappings)

    real_update = MappingRepository._update
    def failing_apply(self, ops):
        if ops[-1][0] == "mapping_stage_apply":
            raise StoreError("the apply request failed (test)")
        return real_update(self, ops)
    repository_module.MappingRepository._update = failing_apply
    try:
        with pytest.raises(StoreError, match="apply request failed"):
            load_curated(store, settings, [civil])
    finally:
        repository_module.MappingRepository._update = real_update
    assert repo.list() == [] and not store.select(f"SELECT ?s WHERE {{ GRAPH <{JOURNAL}> {{ ?s ?p ?o }} }}")
    assert not [g for g in _all_graphs(store) if g.startswith("urn:lexmap:staging:")]

    report, = load_curated(store, settings, [civil])
    assert report.status == "loaded", (report.violations[:3], report.note)
    loaded = repo.list()
    assert len(loaded) == rows > 200
    trails = repo._trails(m.record_id for m in loaded)
    assert all([a for _, a in trails[m.record_id]] == ["import"] for m in loaded)
    assert not [g for g in _all_graphs(store) if g.startswith("urn:lexmap:staging:")]
    assert load_curated(store, settings, [civil], force=True)[0].status in ("loaded", "unchanged")
    assert repo.list() == loaded and repo._trails(m.record_id for m in loaded) == trails

    # a review lands between the load's read of the trails and its write: that mapping keeps it
    target = next(m for m in loaded if m.lifecycle == "accepted" and m.comment)
    real_trails = MappingRepository._trails
    def trails_then_review(self, ids):
        read = real_trails(self, ids)
        node_graph = self.graph_of(target.record_id)
        self._write(target.with_changes(lifecycle="stale", stale_from="accepted"), node_graph, "stale check",
                    self.agent_iri("lexmap"), ["lifecycle: accepted -> stale"],
                    repository_module.Expected("accepted", frozenset(a for a, _ in read.get(target.record_id, []))))
        return read
    edited = civil.read_text(encoding="utf-8").replace(target.comment, target.comment + " (правка)")
    changed = tmp_path / civil.name
    changed.write_text(edited, encoding="utf-8")
    repository_module.MappingRepository._trails = trails_then_review
    try:
        report, = load_curated(store, settings, [changed], force=True)
    finally:
        repository_module.MappingRepository._trails = real_trails
    now = {m.record_id: m for m in repo.list()}
    assert now[target.record_id].lifecycle == "stale"           # the review stood; the set's write did not apply
    assert any("changed by someone else" in n for n in report.notes), report.notes
    store.close()


def _all_graphs(store) -> list[str]:
    return [r["g"] for r in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]


# ------------------------------------------------------------------ two API processes, one store

@contextmanager
def _serve(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env,
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health", proc, "lexmap serve", seconds=120)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _lexmap(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_two_api_processes_share_one_store(kind, tmp_path):
    from api import auth
    server = (virtuoso_server(tmp_path / "server") if kind == "virtuoso"
              else oxigraph_server(tmp_path / "server", "--union-default-graph"))
    keys = tmp_path / "keys.toml"
    editor = auth.add_key(keys, "ivanova", ["editor"])
    reviewer = auth.add_key(keys, "petrov", ["reviewer"])
    with server as base:
        one, two = (remote_env(remote_settings(tmp_path / name, kind, base)) for name in ("one", "two"))
        one["LEXMAP_API_KEYS"] = two["LEXMAP_API_KEYS"] = str(keys)
        out = _lexmap(one, "ingest", "by-konst", "ru-konst", "--workers", "1")      # also builds one's index
        assert "failed" not in out.split("ingesting", 1)[1].replace("0 failed", "")
        _lexmap(two, "reindex")                                                    # two's index, from the graph
        with _serve(one) as a, _serve(two) as b:
            acts = [httpx.get(f"{x}/acts", timeout=60).json() for x in (a, b)]
            assert acts[0] == acts[1] and len(acts[0]) == 2
            for x in (a, b):
                art = httpx.get(f"{x}/eli/ru/konst/1993/1993-12-12/art_1", timeout=60).json()
                assert "демократическое федеративное правовое государство" in art["full_text"]
                hits = httpx.get(f"{x}/search", params={"q": "Республика Беларусь унитарное"}, timeout=60).json()
                assert any("/eli/by/konst/" in h["iri"] for h in hits["results"]), hits
            body = {"subject": "eli/ru/konst/1993/1993-12-12/art_1", "object": "eli/by/konst/1994/1994-03-15/art_1",
                    "relation": "intersects_with", "harmonization": "harmonized", "confidence": 0.8}
            r = httpx.post(f"{a}/mappings", json=body, headers={"Authorization": f"Bearer {editor}"}, timeout=60)
            assert r.status_code == 201, r.text
            rid = r.json()["id"]
            seen = httpx.get(f"{b}/mappings/{rid}", timeout=60)
            assert seen.status_code == 200 and seen.json()["lifecycle"] == "proposed"
            r = httpx.post(f"{b}/mappings/{rid}/review", json={"decision": "accept"},
                           headers={"Authorization": f"Bearer {reviewer}", "If-Match": seen.headers.get("etag", "*")},
                           timeout=60)
            assert r.status_code == 200, r.text
            assert httpx.get(f"{a}/mappings/{rid}", timeout=60).json()["lifecycle"] == "accepted"
