"""Settings of a lexmap installation, read from LEXMAP_* environment variables.

One place for every knob, so the CLI, the API and the tests agree on where the
store, the index and the corpus are.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where things live and which backends to use."""

    data_dir: Path
    manifest: Path
    corpus_root: Path | None          # None: use the manifest's [corpus].root
    base_iri: str
    store: str                        # "oxigraph" (embedded, on disk) | "sparql" (remote)
    sparql_query: str | None
    sparql_update: str | None
    max_source_bytes: int
    allow_download: bool
    search_backend: str = "tantivy"   # "tantivy" (default, fast) | "whoosh"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def thesaurus(self) -> Path:
        """Synonyms and query rewrites for search, authored beside the manifest."""
        return Path(self.extra.get("thesaurus") or self.manifest.parent / "thesaurus.toml")

    @property
    def api_keys(self) -> Path:
        """API keys of editors and reviewers (names, roles, sha256 of each key)."""
        return Path(self.extra.get("api_keys") or self.data_dir / "api-keys.toml")

    @property
    def state_file(self) -> Path:
        """Per-act ingest bookkeeping (checksums of what is loaded)."""
        return self.data_dir / "ingested.json"


def load_settings() -> Settings:
    """Settings from the environment, with defaults that work on a fresh clone."""
    corpus = os.environ.get("LEXMAP_CORPUS_ROOT")
    return Settings(
        data_dir=Path(_env("LEXMAP_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve(),
        manifest=Path(_env("LEXMAP_MANIFEST", str(PROJECT_ROOT / "corpus" / "sources.toml"))).resolve(),
        corpus_root=Path(corpus).resolve() if corpus else None,
        base_iri=_env("LEXMAP_BASE_IRI", "https://lexmap.org").rstrip("/"),
        store=_env("LEXMAP_STORE", "oxigraph"),
        sparql_query=os.environ.get("LEXMAP_SPARQL_QUERY") or None,
        sparql_update=os.environ.get("LEXMAP_SPARQL_UPDATE") or None,
        max_source_bytes=int(_env("LEXMAP_MAX_SOURCE_BYTES", str(64 * 1024 * 1024))),
        allow_download=_env("LEXMAP_ALLOW_DOWNLOAD", "1") not in ("0", "false", "no"),
        search_backend=_env("LEXMAP_SEARCH_BACKEND", "tantivy"),
        extra={k: os.environ[v] for k, v in (("thesaurus", "LEXMAP_THESAURUS"), ("api_keys", "LEXMAP_API_KEYS"))
               if os.environ.get(v)},
    )
