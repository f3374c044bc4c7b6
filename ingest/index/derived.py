"""What is derived from a search index, in memory and on disk.

- `PerIndex`: a value (query understanding, article vectors) kept while the index's state
  stamp stays, built again from the previous one after a commit;
- the cache files under ``<data dir>/cache/<name>/`` (article vectors, the snippets'
  vocabulary): named by `index_digest` — what the index holds (every act's stamp), the
  analysis and the maker's own version — written whole (`write_whole`) and, once a newer one
  is written, the others pruned (`prune`).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable, Generic, TypeVar

from .analysis import ANALYSIS_VERSION
from .backend import SearchBackend

V = TypeVar("V")


class PerIndex(Generic[V]):
    """A value derived from one backend's index (query understanding, article vectors), kept
    while the index's state stamp stays; after a commit the next call builds it again, given
    the value before (what did not change can be kept)."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[SearchBackend, Any, V]] = {}
        self._lock = threading.Lock()

    def get(self, backend: SearchBackend, build: Callable[[V | None], V]) -> V:
        """The value for `backend`'s index as it is now: kept, or `build(previous or None)`."""
        stamp = backend.state_stamp()
        held = self._held.get(id(backend))
        if held is not None and held[0] is backend and held[1] == stamp:
            return held[2]
        with self._lock:
            held = self._held.get(id(backend))
            if held is not None and held[0] is backend and held[1] == stamp:
                return held[2]
            value = build(held[2] if held is not None and held[0] is backend else None)
            self._held[id(backend)] = (backend, stamp, value)
            return value

    def peek(self, backend: SearchBackend) -> V | None:
        """The value kept for `backend`'s index as it is now, or None (nothing is built)."""
        held = self._held.get(id(backend))
        if held is not None and held[0] is backend and held[1] == backend.state_stamp():
            return held[2]
        return None

    def clear(self) -> None:
        """Forget every value (the benches time the cold path with it)."""
        with self._lock:
            self._held.clear()


def index_digest(backend: SearchBackend, maker: str) -> str:
    """What a file derived from this index is keyed by: every act's stamp, the analysis and
    `maker` (its kind and version: an act re-ingested, or a new way of making it, changes it)."""
    h = hashlib.sha256(f"{maker} analysis {ANALYSIS_VERSION}\n".encode())
    h.update(json.dumps(sorted(backend.indexed().items())).encode())
    return h.hexdigest()[:32]


def cache_dir(backend: SearchBackend, name: str) -> Path:
    """``<data dir>/cache/<name>`` (the index lives in ``<data dir>/index/<backend>``)."""
    return backend.directory.parent.parent / "cache" / name


def write_whole(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """`write` into a temporary file renamed into place: readers never see half a file.
    OSError when the directory cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def prune(keep: Path, age: float = 3600.0) -> None:
    """Remove the files beside `keep` of the same kind (suffix) made for other index states and
    not written within `age` seconds (another process may still be writing or reading one)."""
    for other in keep.parent.glob(f"*{keep.suffix}"):
        if other != keep and time.time() - other.stat().st_mtime > age:
            other.unlink(missing_ok=True)


def read_or_build(path: Path, load: Callable[[Path], V], build: Callable[[], V | None],
                  save: Callable[[V, Path], None]) -> V | None:
    """What `path` holds (`load`), else `build()` written there by `save` (older files of its
    kind pruned); None when there is nothing to build. A read-only data directory keeps the
    built value in memory only."""
    try:
        return load(path)
    except (OSError, ValueError, KeyError):
        value = build()
        if value is not None:
            try:
                save(value, path)
                prune(path)
            except OSError:
                pass
        return value
