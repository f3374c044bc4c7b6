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


def _env_float(name: str, default: float, low: float, high: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number; unset it or give a number in [{low}, {high}]") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={raw!r} is outside [{low}, {high}]")
    return value


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_flag(name: str, default: bool) -> bool:
    """A switch read from the environment: 1/true/yes/on or 0/false/no/off (any case); unset,
    empty or anything else leaves the default (read per call: a test or bench may flip it)."""
    value = os.environ.get(name, "").strip().lower()
    return True if value in _ON else False if value in _OFF else default


def _env_int(name: str, default: int, low: int, high: int) -> int:
    return int(_env_float(name, default, low, high))


@dataclass(frozen=True)
class Limits:
    """What one request may cost; every limit is an environment variable (README, Security)."""

    sparql_timeout: float = 10.0           # LEXMAP_SPARQL_TIMEOUT: seconds a public query may run
    sparql_max_rows: int = 10_000          # LEXMAP_SPARQL_MAX_ROWS: rows (or triples) of one answer
    sparql_max_bytes: int = 16 << 20       # LEXMAP_SPARQL_MAX_BYTES: bytes of one answer
    sparql_workers: int = 2                # LEXMAP_SPARQL_WORKERS: queries run at once (one process each)
    sparql_queue: int = 4                  # LEXMAP_SPARQL_QUEUE: queries that may wait for a worker
    sparql_worker_mb: int = 1024           # LEXMAP_SPARQL_WORKER_MB: memory of a query worker before it is killed
    sparql_service_allow: tuple[str, ...] = ()   # LEXMAP_SPARQL_SERVICE_ALLOW: endpoints SERVICE may call
    max_body_bytes: int = 1 << 20          # LEXMAP_MAX_BODY_BYTES: request bodies
    rate_limit: int = 30                   # LEXMAP_RATE_LIMIT: expensive requests per client ...
    rate_window: float = 60.0              # LEXMAP_RATE_WINDOW: ... per this many seconds (0 requests = off)
    query_max_depth: int = 20              # LEXMAP_QUERY_MAX_DEPTH: nesting of a search query

    @classmethod
    def from_env(cls) -> "Limits":
        """The limits of this process, checked: a bad value stops start-up with the variable's name."""
        allow = tuple(u for u in _env("LEXMAP_SPARQL_SERVICE_ALLOW", "").replace(",", " ").split() if u)
        return cls(
            sparql_timeout=_env_float("LEXMAP_SPARQL_TIMEOUT", cls.sparql_timeout, 0.1, 3600),
            sparql_max_rows=_env_int("LEXMAP_SPARQL_MAX_ROWS", cls.sparql_max_rows, 1, 10_000_000),
            sparql_max_bytes=_env_int("LEXMAP_SPARQL_MAX_BYTES", cls.sparql_max_bytes, 1024, 1 << 34),
            sparql_workers=_env_int("LEXMAP_SPARQL_WORKERS", cls.sparql_workers, 1, 64),
            sparql_queue=_env_int("LEXMAP_SPARQL_QUEUE", cls.sparql_queue, 0, 1000),
            sparql_worker_mb=_env_int("LEXMAP_SPARQL_WORKER_MB", cls.sparql_worker_mb, 64, 1 << 20),
            sparql_service_allow=allow,
            max_body_bytes=_env_int("LEXMAP_MAX_BODY_BYTES", cls.max_body_bytes, 1024, 1 << 34),
            rate_limit=_env_int("LEXMAP_RATE_LIMIT", cls.rate_limit, 0, 1_000_000),
            rate_window=_env_float("LEXMAP_RATE_WINDOW", cls.rate_window, 0.1, 86400),
            query_max_depth=_env_int("LEXMAP_QUERY_MAX_DEPTH", cls.query_max_depth, 1, 200),
        )


@dataclass(frozen=True)
class RemoteStore:
    """How to reach a remote SPARQL store (LEXMAP_STORE=sparql) beyond its two URLs (README, Deployment)."""

    graph_store: str | None = None   # LEXMAP_SPARQL_GRAPH_STORE: Graph Store Protocol URL for staging loads
                                     # (Virtuoso: derived from the update URL when unset; "none": never)
    user: str | None = None          # LEXMAP_SPARQL_USER: account for updates (Virtuoso /sparql-auth)
    password: str | None = None      # LEXMAP_SPARQL_PASSWORD
    auth: str = "digest"             # LEXMAP_SPARQL_AUTH: "digest" (Virtuoso) | "basic" (Fuseki, proxies)
    chunk: int = 0                   # LEXMAP_SPARQL_CHUNK: triples per INSERT DATA (0 = server default:
                                     # one request, 500 on Virtuoso); bigger acts go through a staging graph
    timeout: float = 120.0           # LEXMAP_SPARQL_STORE_TIMEOUT: seconds one store request may take

    @classmethod
    def from_env(cls) -> "RemoteStore":
        """The remote-store settings of this process, checked."""
        auth = _env("LEXMAP_SPARQL_AUTH", cls.auth).lower()
        if auth not in ("digest", "basic"):
            raise ValueError(f"LEXMAP_SPARQL_AUTH={auth!r}: use digest (Virtuoso) or basic")
        return cls(graph_store=os.environ.get("LEXMAP_SPARQL_GRAPH_STORE") or None,
                   user=os.environ.get("LEXMAP_SPARQL_USER") or None,
                   password=os.environ.get("LEXMAP_SPARQL_PASSWORD") or None, auth=auth,
                   chunk=_env_int("LEXMAP_SPARQL_CHUNK", cls.chunk, 0, 10_000_000),
                   timeout=_env_float("LEXMAP_SPARQL_STORE_TIMEOUT", cls.timeout, 1, 86400))


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
    limits: Limits = field(default_factory=Limits)
    remote: RemoteStore = field(default_factory=RemoteStore)   # LEXMAP_SPARQL_* beyond the URLs
    shrink_tolerance: float = 0.05    # LEXMAP_SHRINK_TOLERANCE: share of articles a redaction may lose (ingest.plausibility)
    accept_shrink: bool = False       # `lexmap ingest --accept-shrink`: load a redaction that lost more, with a warning
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def bag_dir(self) -> Path:
        """Lemma bags of the acts' articles for the suggester, kept between runs (ingest.mappings.suggest.BagCache)."""
        return self.data_dir / "cache" / "lemma-bags"

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
        limits=Limits.from_env(),
        remote=RemoteStore.from_env(),
        shrink_tolerance=_env_float("LEXMAP_SHRINK_TOLERANCE", 0.05, 0.0, 1.0),
        extra={k: os.environ[v] for k, v in (("thesaurus", "LEXMAP_THESAURUS"), ("api_keys", "LEXMAP_API_KEYS"))
               if os.environ.get(v)},
    )
