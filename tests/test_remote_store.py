"""The remote SPARQL 1.1 backend against a real oxigraph server started on 127.0.0.1: ingest and
read through it, the check when a store is opened (issue 22: a server without the union default
graph, a read-only endpoint), counts read back, and all-or-nothing loads on both load paths."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from ingest.config import PROJECT_ROOT
from ingest.load import ingest
from ingest.store import JOURNAL, STAGING, RemoteSparqlStore, StoreError, count_graph, open_store
from api import resources

from .conftest import free_port, make_settings


def _oxigraph_binary() -> str:
    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the oxigraph server binary is missing: pip install oxigraph (a test dependency)")
    return found


def wait_http(url: str, proc: subprocess.Popen, what: str, seconds: float = 60) -> None:
    """Poll `url` until it answers 200; fail with the server's own output if it dies or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"{what} did not answer at {url} within {seconds} s")


@contextmanager
def oxigraph_server(location: Path, *args: str, command: str = "serve") -> Iterator[str]:
    """An oxigraph server on a free 127.0.0.1 port over `location`; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([_oxigraph_binary(), command, "--location", str(location),
                             "--bind", f"127.0.0.1:{port}", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/query?query=ASK%7B%7D", proc, "oxigraph server")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def server(tmp_path):
    with oxigraph_server(tmp_path / "ox", "--union-default-graph") as base:
        yield base


def _settings(tmp_path: Path, base: str, update: bool = True, **remote):
    settings = make_settings(tmp_path / "var", store="sparql", sparql_query=f"{base}/query",
                             sparql_update=f"{base}/update" if update else None)
    return replace(settings, remote=replace(settings.remote, **remote)) if remote else settings


def test_ingest_and_read_through_remote_server(server, tmp_path, manifest):
    settings = _settings(tmp_path, server)
    store = open_store(settings)
    assert isinstance(store, RemoteSparqlStore)
    reports = ingest(store, manifest, settings, [manifest.find("by-konst")], workers=1, progress=lambda m: None)
    assert reports[0].status == "loaded", reports[0].problems
    art = resources.get_provision(store, settings, "eli/by/konst/1994/1994-03-15/art_1")
    assert art["children"][0]["eid"] == "art_1__para_1"
    assert "унитарное демократическое социальное правовое государство" in art["full_text"]
    acts = resources.list_acts(store)
    assert acts[0]["articles"] == 156 and acts[0]["redactions"] == 2          # the 2022 redaction
    assert resources.list_acts(store, as_of="2010-01-01")[0]["articles"] == 146   # the 2004 one
    # What the server holds, read back, is what the ingest made.
    for rep in reports:
        assert count_graph(store, rep.graph) == rep.triples > 1000
    # Unchanged act: nothing to do; the graph is in the server's named graphs, bookkeeping graphs are not.
    again = ingest(store, manifest, settings, [manifest.find("by-konst")], workers=1, progress=lambda m: None)
    assert again[0].status == "unchanged"
    graphs = store.graphs()
    assert reports[0].graph in graphs and not [g for g in graphs if g.startswith("urn:lexmap:")]
    store.close()


def test_server_without_union_default_graph_is_refused_when_opened(tmp_path, manifest):
    """Issue 22: such a server used to take every act ("loaded") and then show nothing."""
    with oxigraph_server(tmp_path / "ox") as base:             # no --union-default-graph
        with pytest.raises(StoreError, match="union of its named graphs") as err:
            open_store(_settings(tmp_path, base))
        assert "--union-default-graph" in str(err.value) and "unionDefaultGraph" in str(err.value)
        # The probe cleaned up after itself: the server holds nothing.
        assert httpx.post(f"{base}/query", data={"query": "ASK { GRAPH ?g { ?s ?p ?o } }"},
                          headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False
        # Read-only opening has no probe to write, but a named graph's triple missing from the
        # default graph gives the server away as soon as it holds data.
        httpx.post(f"{base}/update", data={"update": "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> } }"})
        with pytest.raises(StoreError, match="--union-default-graph"):
            open_store(_settings(tmp_path, base, update=False), read_only=True)


def test_read_only_endpoint_given_for_updates_is_refused_when_opened(tmp_path):
    location = tmp_path / "ox"
    with oxigraph_server(location, "--union-default-graph"):
        pass                                                   # create the store, then serve it read-only
    with oxigraph_server(location, command="serve-read-only") as base:
        with pytest.raises(StoreError, match="cannot be written") as err:
            open_store(_settings(tmp_path, base))
        assert "serve-read-only" in str(err.value) and "LEXMAP_SPARQL_UPDATE" in str(err.value)
        open_store(_settings(tmp_path, base, update=False), read_only=True).close()   # reading is fine


def test_read_only_remote_store_refuses_writes(server):
    store = RemoteSparqlStore(f"{server}/query", None)
    with pytest.raises(StoreError, match="read-only"):
        store.replace_graph("http://example.org/g", "")


def test_unreachable_server_is_a_clear_error(tmp_path):
    store = RemoteSparqlStore(f"http://127.0.0.1:{free_port()}/query", None, timeout=2)
    with pytest.raises(StoreError, match="unreachable"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(StoreError, match="unreachable"):
        open_store(_settings(tmp_path, f"http://127.0.0.1:{free_port()}"))


GRAPH = "https://lexmap.org/test/graph"


def _triples(n: int, tag: str) -> str:
    return "".join(f'<https://lexmap.org/test/s{i}> <https://lexmap.org/test/p> "{tag} {i} «кириллица»"@ru .\n'
                   for i in range(n))


@pytest.mark.parametrize("load", ["one update", "chunks", "graph store"])
def test_replace_graph_is_all_or_nothing(server, load):
    """Each load path replaces the graph whole, and a broken load leaves the old graph as it was
    (and no staging graph behind)."""
    kw = {"one update": {}, "chunks": {"chunk": 40}, "graph store": {"chunk": 40, "graph_store": f"{server}/store"}}[load]
    store = RemoteSparqlStore(f"{server}/query", f"{server}/update", **kw)
    store.check()
    store.replace_graph(GRAPH, _triples(150, "old"))
    store.replace_graph(GRAPH, _triples(120, "new"))
    assert store.count_graph(GRAPH) == 120
    assert store.select(f'SELECT ?o WHERE {{ <https://lexmap.org/test/s7> ?p ?o }}') == [{"o": "new 7 «кириллица»"}]
    broken = _triples(100, "bad") + '<https://lexmap.org/test/x> <https://lexmap.org/test/p> "unterminated .\n'
    with pytest.raises(StoreError):
        store.replace_graph(GRAPH, broken + _triples(300, "more"))
    assert store.count_graph(GRAPH) == 120
    assert store.select(f'SELECT ?o WHERE {{ <https://lexmap.org/test/s7> ?p ?o }}') == [{"o": "new 7 «кириллица»"}]
    assert store.graphs() == [GRAPH]
    assert not store.select(f"SELECT ?s WHERE {{ GRAPH <{JOURNAL}> {{ ?s ?p ?o }} }}")
    store.close()


def test_a_killed_staged_load_is_dropped_when_the_store_is_next_opened(server, monkeypatch):
    """A load stopped between staging and swap (as kill -9 would) leaves the act graph untouched and
    a journalled staging graph, which the next opening drops once it is old enough to be abandoned."""
    store = RemoteSparqlStore(f"{server}/query", f"{server}/update", chunk=40)
    store.replace_graph(GRAPH, _triples(60, "old"))

    def killed(*a, **kw):
        raise SystemExit("killed")        # nothing after this runs: no swap, no clean-up
    monkeypatch.setattr(store, "count_graph", killed)
    monkeypatch.setattr(store, "_discard", lambda *a: None)
    with pytest.raises(SystemExit):
        store.replace_graph(GRAPH, _triples(90, "new"))
    monkeypatch.undo()
    staged = store.select(f"SELECT ?st WHERE {{ GRAPH <{JOURNAL}> {{ ?st ?p ?g }} }}")
    assert len(staged) == 1 and staged[0]["st"].startswith(STAGING)
    assert store.count_graph(staged[0]["st"]) == 90 and store.count_graph(GRAPH) == 60
    store.check()                          # a young staging graph may be another process's load: kept
    assert store.count_graph(staged[0]["st"]) == 90
    assert store.recover(max_age=0) == [staged[0]["st"]]
    assert store.count_graph(staged[0]["st"]) == 0 and store.count_graph(GRAPH) == 60
    assert not store.select(f"SELECT ?st WHERE {{ GRAPH <{JOURNAL}> {{ ?st ?p ?g }} }}")
    store.close()


def test_a_set_larger_than_one_request_is_staged_and_applied_whole(server, tmp_path, manifest, monkeypatch):
    """A store that takes only so many triples per update (`chunk`, as Virtuoso) gets a curated set
    staged and applied in one request: the same mappings and trail as the embedded store's one
    transaction; a load killed before its apply changes no mapping and leaves a journalled staging
    graph that `recover` drops."""
    from ingest.mappings import repository as repository_module
    from ingest.mappings.curated import load_curated
    from ingest.mappings.repository import MappingRepository
    from ingest.store import OxigraphStore
    curated = PROJECT_ROOT / "corpus" / "mappings" / "ru-sk-by-kobs.sssom.tsv"
    acts = [manifest.find(k) for k in ("ru-sk", "by-kobs")]
    reference = OxigraphStore(None)
    ref_settings = make_settings(tmp_path / "ref")
    ingest(reference, manifest, ref_settings, acts, workers=1, progress=lambda m: None)
    assert load_curated(reference, ref_settings, [curated])[0].status == "loaded"
    settings = _settings(tmp_path, server, chunk=100)
    store = open_store(settings)
    ingest(store, manifest, settings, acts, workers=1, progress=lambda m: None)
    repo = MappingRepository(store, settings.base_iri)
    staged = []
    real_update = MappingRepository._update

    def killed_at_apply(self, ops):
        staged.append(ops[-1][0])
        if ops[-1][0] in ("mapping_stage_apply", "mapping_stage_drop"):
            raise SystemExit("killed")         # as kill -9: neither the apply nor any clean-up runs
        return real_update(self, ops)
    monkeypatch.setattr(repository_module.MappingRepository, "_update", killed_at_apply)
    with pytest.raises(SystemExit):
        load_curated(store, settings, [curated])
    monkeypatch.undo()
    assert staged.count("mapping_stage") > 5 and repo.list() == []
    journalled = store.select(f"SELECT ?st WHERE {{ GRAPH <{JOURNAL}> {{ ?st ?p ?g }} }}")
    assert len(journalled) == 1 and store.recover(max_age=0) == [journalled[0]["st"]]
    assert store.count_graph(journalled[0]["st"]) == 0

    assert load_curated(store, settings, [curated])[0].status == "loaded"
    key = lambda ms: [(m.record_id, m.lifecycle, m.subject, m.object, m.comment, m.confidence) for m in ms]  # noqa: E731
    ref_repo = MappingRepository(reference, ref_settings.base_iri)
    assert key(repo.list()) == key(ref_repo.list()) and len(repo.list()) > 20
    ids = [m.record_id for m in repo.list()]
    assert ({k: [a for _, a in v] for k, v in repo._trails(ids).items()}
            == {k: [a for _, a in v] for k, v in ref_repo._trails(ids).items()})
    assert not store.select(f"SELECT ?st WHERE {{ GRAPH <{JOURNAL}> {{ ?st ?p ?g }} }}")
    assert not [g for g in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
                if g["g"].startswith(STAGING)]
    store.close()
