"""Keeps a search index in step with the graph store, one act at a time.

Each act's documents carry a stamp made of the build fingerprints of its
redactions; an act is re-indexed only when its stamp differs from the one the
index holds (it was re-ingested, gained a redaction, or the analysis changed).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable

from ..config import Settings
from ..query import catalog as q
from ..query.rows import RedactionStamp
from ..store import GraphStore
from .backend import SearchBackend
from .documents import act_documents

BACKENDS = ("tantivy", "whoosh")


def open_backend(settings: Settings, name: str | None = None) -> SearchBackend:
    """The search index of this installation (LEXMAP_SEARCH_BACKEND, default tantivy)."""
    name = name or settings.search_backend
    directory: Path = settings.index_dir / name
    if name == "tantivy":
        from .tantivy_backend import TantivyBackend
        return TantivyBackend(directory)
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend
        return WhooshBackend(directory)
    raise ValueError(f"unknown search backend {name!r}; choose one of {', '.join(BACKENDS)}")


def act_stamps(store: GraphStore) -> dict[str, str]:
    """Act IRI -> a stamp of the redaction graphs it is built from."""
    parts: dict[str, list[str]] = {}
    for r in q.select(store, "index_act_stamps", RedactionStamp):
        parts.setdefault(r.w, []).append(f"{r.e}={r.fp or ''}")
    return {w: hashlib.sha256("|".join(sorted(p)).encode()).hexdigest()[:24] for w, p in parts.items()}


def sync(store: GraphStore, backend: SearchBackend, works: list[str] | None = None, force: bool = False,
         progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Re-index the acts whose graph changed (all acts, or the given ones); drop
    acts no longer in the store. Returns act IRI -> documents indexed."""
    say = progress or (lambda _msg: None)
    stamps = act_stamps(store)
    have = backend.indexed()
    todo = [w for w in (works if works is not None else sorted(stamps)) if w in stamps
            and (force or have.get(w) != stamps[w])]
    done: dict[str, int] = {}
    if works is None:
        for gone in set(have) - set(stamps):
            backend.remove_act(gone)
            say(f"index: removed {gone}")
    for i, work in enumerate(todo, 1):
        t = time.perf_counter()
        n = backend.replace_act(work, act_documents(store, work), stamps[work])
        done[work] = n
        say(f"index [{i:>2}/{len(todo)}] {work.rsplit('/eli/', 1)[-1]:<32} {n:>6} documents  "
            f"{time.perf_counter() - t:5.1f}s")
    return done


def rebuild(store: GraphStore, backend: SearchBackend, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Drop the index and build it again from the graph (`lexmap reindex`)."""
    backend.clear()
    return sync(store, backend, force=True, progress=progress)
