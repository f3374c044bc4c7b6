"""Shared fixtures: settings pointing at temporary stores, the real corpus, a loaded store."""
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
# Acts loaded once for the API and search tests: both civil codes (RU part 1),
# labour, criminal and family codes, both constitutions.
API_ACTS = ["ru-konst", "ru-gk-1", "ru-tk", "ru-uk", "ru-sk", "by-konst", "by-gk", "by-tk", "by-uk", "by-kobs"]


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
    """(settings, store) with API_ACTS ingested into a fresh embedded store."""
    from ingest.load import ingest
    from ingest.store import open_store
    tmp = tmp_path_factory.mktemp("store")
    settings = make_settings(tmp)
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in API_ACTS], progress=lambda m: None)
    expected = sum(len(manifest.find(k).expressions) for k in API_ACTS)
    assert [r.status for r in reports] == ["loaded"] * expected, [(r.key, r.date, r.errors[:3]) for r in reports
                                                                  if r.status != "loaded"]
    yield settings, store
    store.close()


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


@pytest.fixture(scope="module")
def curated_client(loaded, indexes):
    """The app over the loaded store, with the curated mapping sets in it (tantivy search)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ingest.mappings.curated import load_curated
    settings, store = loaded
    load_curated(store, settings)
    with TestClient(create_app(settings, store, indexes["tantivy"])) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
