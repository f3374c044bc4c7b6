"""Read services over the store: acts, provisions, their redactions and text.

Plain functions used by the HTTP routes, the CLI and the tests alike.
"""
from __future__ import annotations

from dataclasses import dataclass

from ingest.config import Settings
from ingest.identifiers import EliPath, parse_eli_path
from ingest.store import GraphStore
from ingest.query import catalog as q, rows
from ingest.text import provision_redactions, provision_text, status_name

LATEST = "9999-12-31"    # as_of of "the latest redaction"


class NotFound(LookupError):
    """The identifier is well-formed but names nothing in the store."""


def list_acts(store: GraphStore, jurisdiction: str | None = None, as_of: str | None = None) -> list[dict]:
    """Every act in the store with its latest redaction (or the one in force on `as_of`) and article count."""
    acts = q.select(store, "acts", rows.ActRow, jurisdiction=jurisdiction or "", as_of=as_of or LATEST)
    # articles of the redaction shown (an act's article list changes between redactions)
    counts = {(c.w, c.d): c.n for c in q.select(store, "article_counts", rows.ArticleCount)}
    return [{
        "iri": a.w, "eli": a.id, "jurisdiction": a.j, "type": a.type, "number": a.num, "title": a.title,
        "adopted": a.adopted, "latest_redaction" if not as_of else "redaction": a.latest,
        "redactions": a.redactions, "articles": counts.get((a.w, a.latest), 0),
    } for a in acts]


@dataclass(frozen=True)
class Resolved:
    """An ELI path resolved to the work IRI, the provision IRI (if any) and the redaction."""

    path: EliPath
    work: str
    iri: str
    expression: str
    version: str


def resolve(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> Resolved:
    """Resolve an ELI path to IRIs; NotFound with a reason when it names nothing."""
    eli = parse_eli_path(path)
    work = eli.work.iri(settings.base_iri)
    if not q.ask(store, "is_act", work=work):
        raise NotFound(f"no act {eli.work.path} in the store")
    found = q.select(store, "act_redactions", rows.Redaction, work=work)
    wanted = eli.version or as_of
    if eli.version:
        found = [r for r in found if r.d == eli.version and (eli.lang is None or r.e.endswith("/" + eli.lang))]
        if not found:
            raise NotFound(f"act {eli.work.path} has no redaction of {eli.version}")
    elif wanted:
        found = [r for r in found if r.d <= wanted]
        if not found:
            raise NotFound(f"act {eli.work.path} has no redaction on or before {wanted}")
    iri = f"{work}/{eli.eid}" if eli.eid else work
    if eli.eid and not q.ask(store, "is_provision", iri=iri):
        raise NotFound(f"act {eli.work.path} has no provision {eli.eid}")
    return Resolved(eli, work, iri, found[0].e, found[0].d)


def get_act(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """An act with its redactions and its table of contents in the chosen redaction."""
    res = resolve(store, settings, path, as_of)
    if res.path.eid:
        return get_provision(store, settings, path, as_of)
    meta = next((a for a in list_acts(store) if a["iri"] == res.work), None)
    if meta is None:
        raise NotFound(f"no act {res.path.work.path}")
    return {
        **meta, "kind": "act", "redaction": res.version, "expression": res.expression,
        "redactions": [{"iri": r.e, "date": r.d, "source": r.src, "format": r.fmt, "sha256": r.sha}
                       for r in q.select(store, "act_sources", rows.RedactionSource, work=res.work)],
        "contents": _children(store, res.work, res.expression, res.expression),
    }


def _children(store: GraphStore, parent: str, parent_expr: str, expr: str) -> list[dict]:
    children = q.select(store, "children", rows.Child, parent=parent, parent_expression=parent_expr, expression=expr)
    return [{"iri": c.c, "eid": c.eid, "kind": c.kind, "number": c.num, "label": c.label, "title": c.title,
             "status": status_name(c.st), "in_redaction": c.label is not None or c.st is not None}
            for c in children]


def get_provision(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """A provision in one redaction: identity, breadcrumb, own text, sub-provisions, full text."""
    res = resolve(store, settings, path, as_of)
    if not res.path.eid:
        return get_act(store, settings, path, as_of)
    iri, eid = res.iri, res.path.eid
    pe = f"{res.expression}/{eid}"
    ident = q.select(store, "provision_identity", rows.Identity, iri=iri, expression=res.expression)[0]
    printed = q.select(store, "provision_expression", rows.Printed, node=pe, iri=iri)
    e = printed[0] if printed else rows.Printed()
    crumbs = q.select(store, "breadcrumb", rows.Crumb, iri=iri, expression=res.expression, version=res.version)
    act_title = q.select(store, "act_title", rows.Value, work=res.work)[0].v
    breadcrumb = [{"iri": res.work, "label": act_title, "kind": "act"}] + [
        {"iri": c.a, "eid": c.eid, "kind": c.kind, "label": c.label, "title": c.title} for c in crumbs]
    return {
        "iri": iri, "kind": ident.kind, "eid": eid, "number": ident.num, "act": res.work,
        "parent": ident.parent, "redaction": res.version, "expression": pe, "in_redaction": bool(printed),
        "label": e.label, "title": e.title, "text": e.text, "wrap_up": e.wrap, "status": status_name(e.st),
        "notes": [n.v for n in q.select(store, "provision_notes", rows.Value, node=pe)],
        "source_defects": [d.v for d in q.select(store, "provision_defects", rows.Value, node=pe)],
        "breadcrumb": breadcrumb,
        "children": _children(store, iri, pe, res.expression),
        "full_text": full_text(store, res.work, res.expression, eid),
        "redactions": provision_redactions(store, res.work, eid),
    }


def full_text(store: GraphStore, work: str, expression: str, eid: str) -> str:
    """The provision's text with all its sub-provisions, as printed (labels, titles, wrap-ups)."""
    return provision_text(store, work, expression, eid)


def describe(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> str:
    """N-Triples about the resource and its chosen redaction (for Turtle / JSON-LD)."""
    res = resolve(store, settings, path, as_of)
    node = f"{res.expression}/{res.path.eid}" if res.path.eid else res.expression
    return q.construct(store, "describe", node=res.iri, expression_node=node)


def stats(store: GraphStore) -> dict:
    """Counts per act: articles, provisions, triples; and totals."""
    per_act = q.select(store, "stats_per_act", rows.ActStats)
    graphs = q.select(store, "triples_per_graph", rows.GraphSize)
    return {
        "acts": len(per_act), "graphs": len(graphs), "triples": sum(g.n for g in graphs),
        "articles": sum(a.articles for a in per_act), "provisions": sum(a.provisions for a in per_act),
        "per_act": [{"eli": a.id, "articles": a.articles, "provisions": a.provisions} for a in per_act],
    }
