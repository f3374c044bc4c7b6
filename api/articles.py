"""The in-force articles of an act's latest redaction with their printed text and chapter.

Read with two queries over the redaction's own graph and kept per redaction
build (its fingerprint changes when a re-ingest changes it): the gap analysis
and the suggester both start from here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ingest.store import GraphStore
from ingest.text import provision_texts, status_name
from ingest.query import iriref

_CACHE: dict[tuple, list] = {}


@dataclass(frozen=True)
class Article:
    iri: str
    eid: str
    label: str
    title: str
    text: str              # the body, without the "Статья N. Title" line
    chapter: str           # label of the enclosing chapter / section ("Глава 12")
    chapter_title: str = ""


def latest_articles(store: GraphStore, work: str) -> list[Article]:
    """Articles in force in the latest redaction of `work`, in document order."""
    latest = store.select(f"""SELECT ?e ?d ?fp WHERE {{ {iriref(work)} eli:is_realized_by ?e . ?e eli:version_date ?d .
                             OPTIONAL {{ ?e lexmap:buildFingerprint ?fp }} }} ORDER BY DESC(?d) LIMIT 1""")
    if not latest:
        return []
    expr = latest[0]["e"]
    key = (id(store), expr, latest[0].get("fp"))
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = _load(store, work, expr)
    return _CACHE[key]


def clear_cache() -> None:
    _CACHE.clear()


def strip_head(text: str) -> str:
    """A provision's printed text without its first line when that is its heading."""
    first, _, rest = (text or "").partition("\n")
    return rest if first.startswith(("Статья", "Article", "Section")) else text


def _load(store: GraphStore, work: str, expr: str) -> list[Article]:
    nodes = store.select(f"""SELECT ?p ?eid ?kind ?parent ?sort ?label ?title ?st WHERE {{ GRAPH {iriref(expr)} {{
        ?p lexmap:eId ?eid ; lexmap:subdivisionKind ?kind ; eli:is_part_of ?parent ; lexmap:sortKey ?sort .
        ?pe eli:realizes ?p . OPTIONAL {{ ?pe lexmap:label ?label }} OPTIONAL {{ ?pe eli:title ?title }}
        OPTIONAL {{ ?pe lexmap:status ?st }} }} }}""")
    by = {n["p"]: n for n in nodes}
    arts = sorted((n for n in nodes if n["kind"] == "article" and status_name(n.get("st")) == "in_force"),
                  key=lambda n: int(n["sort"]))
    texts = provision_texts(store, work, expr, {n["eid"] for n in arts})

    def chapter(n: dict) -> dict | None:
        up = by.get(n["parent"])
        while up is not None and up["kind"] not in ("chapter", "section", "part"):
            up = by.get(up["parent"])
        return up

    out = []
    for n in arts:
        c = chapter(n)
        out.append(Article(n["p"], n["eid"], n.get("label") or n["eid"], n.get("title") or "",
                           strip_head(texts.get(n["eid"], "")),
                           (c.get("label") or c["eid"]) if c else "", (c.get("title") or "") if c else ""))
    return out
