"""Shared fixtures: settings pointing at temporary stores, the real corpus, a loaded store that
tests only read (`loaded`, `indexes`, `client`, `make_client`), and copies of it for tests that
write (`own_store`, `api`)."""
from __future__ import annotations

import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.config import PROJECT_ROOT, Settings, load_settings
from ingest.sources import load_manifest

CORPUS = Path(os.environ.get("LEXMAP_CORPUS_ROOT", PROJECT_ROOT.parent / "shared" / "corpus")).resolve()
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Acts loaded once for the API and search tests: both civil codes (RU parts 1, 2 and 4, which the
# curated sets map), labour, criminal and family codes, both constitutions.
API_ACTS = ["ru-konst", "ru-gk-1", "ru-gk-2", "ru-gk-4", "ru-tk", "ru-uk", "ru-sk", "by-konst", "by-gk", "by-tk",
            "by-uk", "by-kobs"]


def make_settings(tmp: Path, **kw) -> Settings:
    base = load_settings()
    return replace(base, data_dir=tmp, corpus_root=kw.pop("corpus_root", CORPUS), store=kw.pop("store", "oxigraph"),
                   **kw)


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}; set LEXMAP_CORPUS_ROOT")
    return CORPUS


@pytest.fixture(scope="session")
def manifest(corpus_root):
    settings = make_settings(Path("/nonexistent"))
    return load_manifest(settings)


@pytest.fixture(scope="session")
def loaded(tmp_path_factory, manifest):
    """(settings, store) with API_ACTS and the curated mapping sets loaded into a fresh embedded store.

    Shared by the whole session and only read: a test that writes (mappings, reviews, keys,
    sessions) takes `own_store` (or a store it builds itself), so no answer depends on test order.
    """
    from ingest.load import ingest
    from ingest.mappings.curated import load_curated
    from ingest.references import names_for
    from ingest.references.store_pass import resolve_pending
    from ingest.store import open_store
    tmp = tmp_path_factory.mktemp("store")
    settings = make_settings(tmp)
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in API_ACTS], progress=lambda m: None)
    expected = sum(len(manifest.find(k).expressions) for k in API_ACTS)
    assert [r.status for r in reports] == ["loaded"] * expected, [(r.key, r.date, r.errors[:3]) for r in reports
                                                                  if r.status != "loaded"]
    # references into other acts are resolved after every act is loaded, as the pipeline does
    resolve_pending(store, names_for(manifest, settings.base_iri))
    curated = load_curated(store, settings)
    assert all(r.status in ("loaded", "unchanged") for r in curated), [(r.name, r.violations[:3]) for r in curated]
    yield settings, store
    store.close()


@pytest.fixture
def own_store(loaded, tmp_path):
    """(settings, store) of a test's own: a copy of the loaded store (a RocksDB checkpoint, hard
    links) in a data directory of its own (keys, session secret, revoked sessions), for tests that write."""
    from ingest.store import open_store
    settings, store = loaded
    own = replace(settings, data_dir=tmp_path / "own")
    store.snapshot(own.store_dir)
    copy = open_store(own)
    yield own, copy
    copy.close()


@pytest.fixture(scope="session")
def indexes(loaded):
    """Both search backends built from the loaded store: {"tantivy": ..., "whoosh": ...}."""
    from ingest.index.indexer import BACKENDS, open_backend, sync
    settings, store = loaded
    built = {}
    for name in BACKENDS:
        backend = open_backend(settings, name)
        sync(store, backend)
        built[name] = backend
    yield built
    for backend in built.values():
        backend.close()


@pytest.fixture(scope="session")
def make_client(loaded, indexes):
    """make_client(settings=None, store=None, keys=None, **limits) -> TestClient (enter it to run the
    lifespan): the app (tantivy search) over the loaded store or `store`, with `settings`, the API
    keys file `keys` and changed `limits` (Limits fields) instead of the loaded store's."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    def make(settings: Settings | None = None, store=None, keys: Path | None = None, **limits) -> TestClient:
        settings = loaded[0] if settings is None else settings
        if keys is not None:
            settings = replace(settings, extra={**settings.extra, "api_keys": str(keys)})
        if limits:
            settings = replace(settings, limits=replace(settings.limits, **limits))
        return TestClient(create_app(settings, loaded[1] if store is None else store, indexes["tantivy"]))
    return make


@pytest.fixture(scope="module")
def client(make_client):
    """The app over the loaded store (API_ACTS, the curated mapping sets, tantivy search), for tests
    that only read; one per module, so each module starts with fresh rate-limit buckets."""
    with make_client() as c:
        yield c


@pytest.fixture
def api(own_store, make_client):
    """(TestClient, {role: key}) for tests that write through the API: the app over `own_store`
    with a keys file for ivanova (editor), petrov (reviewer) and sidorova (both)."""
    from api import auth
    settings, store = own_store
    path = settings.data_dir / "test-keys.toml"
    keys = {"editor": auth.add_key(path, "ivanova", ["editor"], "Иванова И. И."),
            "reviewer": auth.add_key(path, "petrov", ["reviewer"], "Петров П. П."),
            "both": auth.add_key(path, "sidorova", ["editor", "reviewer"])}
    with make_client(settings, store, keys=path) as c:
        yield c, keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def search_env(loaded, indexes):
    """(settings, store, both indexes, thesaurus) for calling the search service directly
    (tests/searching.run)."""
    from ingest.index.querylang import Thesaurus
    settings, store = loaded
    return settings, store, indexes, Thesaurus.load(settings.thesaurus)
