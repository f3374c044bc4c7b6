"""The search service called directly, as the search tests do (with the `search_env` fixture of
conftest.py: settings, store, both indexes and the thesaurus over the API acts)."""
from __future__ import annotations

from api import search as S


def run(search_env, q: str, backend: str = "tantivy", aliases: dict[str, str] | None = None, **kw) -> dict:
    """The answer of `api.search.search` for `q` on one backend ("tantivy" or "whoosh")."""
    settings, store, indexes, th = search_env
    return S.search(store, indexes[backend], S.Request(q=q, **kw), aliases, th)
