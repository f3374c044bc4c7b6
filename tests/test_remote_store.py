"""The remote SPARQL 1.1 backend against a real Oxigraph server started on 127.0.0.1."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest.load import ingest
from ingest.store import RemoteSparqlStore, StoreError
from api import resources

from .conftest import free_port, make_settings


def _oxigraph_binary() -> str:
    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the oxigraph server binary is missing: pip install oxigraph (a test dependency)")
    return found


@pytest.fixture()
def server(tmp_path):
    port = free_port()
    proc = subprocess.Popen([_oxigraph_binary(), "serve", "--location", str(tmp_path / "ox"),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("oxigraph server did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_read_through_remote_server(server, tmp_path, manifest):
    settings = make_settings(tmp_path / "var", store="sparql", sparql_query=f"{server}/query",
                             sparql_update=f"{server}/update")
    store = RemoteSparqlStore(settings.sparql_query, settings.sparql_update)
    reports = ingest(store, manifest, settings, [manifest.find("by-konst")], workers=1, progress=lambda m: None)
    assert reports[0].status == "loaded", reports[0].problems
    art = resources.get_provision(store, settings, "eli/by/konst/1994/1994-03-15/art_1")
    assert art["children"][0]["eid"] == "art_1__para_1"
    assert "унитарное демократическое социальное правовое государство" in art["full_text"]
    acts = resources.list_acts(store)
    assert acts[0]["articles"] == 156 and acts[0]["redactions"] == 2          # the 2022 redaction
    assert resources.list_acts(store, as_of="2010-01-01")[0]["articles"] == 146   # the 2004 one
    # Unchanged act: nothing to do; the graph is in the server's named graphs.
    again = ingest(store, manifest, settings, [manifest.find("by-konst")], workers=1, progress=lambda m: None)
    assert again[0].status == "unchanged"
    assert reports[0].graph in store.graphs()
    store.close()


def test_read_only_remote_store_refuses_writes(server):
    store = RemoteSparqlStore(f"{server}/query", None)
    with pytest.raises(StoreError, match="read-only"):
        store.replace_graph("http://example.org/g", "")


def test_unreachable_server_is_a_clear_error():
    store = RemoteSparqlStore(f"http://127.0.0.1:{free_port()}/query", None, timeout=2)
    with pytest.raises(StoreError, match="unreachable"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
