"""Read services over the store: acts, provisions, their redactions and text.

Plain functions used by the HTTP routes, the CLI and the tests alike.
"""
from __future__ import annotations

from dataclasses import dataclass

from ingest.config import Settings
from ingest.identifiers import EliPath, parse_eli_path
from ingest.store import GraphStore
from ingest.text import provision_redactions, provision_text, sparql_literal as _lit, status_name
from ingest.query import date_literal, iriref

class NotFound(LookupError):
    """The identifier is well-formed but names nothing in the store."""


def list_acts(store: GraphStore, jurisdiction: str | None = None, as_of: str | None = None) -> list[dict]:
    """Every act in the store with its latest redaction (or the one in force on `as_of`) and article count."""
    flt = f"FILTER(?j = {_lit(jurisdiction)})" if jurisdiction else ""
    if as_of:
        flt += f' FILTER(?d <= {date_literal(as_of)})'   # acts with a redaction on that day
    rows = store.select(f"""
        SELECT ?w ?id ?j ?type ?num ?title ?adopted (MAX(?d) AS ?latest) (COUNT(DISTINCT ?e) AS ?redactions)
        WHERE {{
            ?w a lexmap:Act ; dcterms:identifier ?id ; lexmap:jurisdiction ?j ; lexmap:actType ?type ;
               eli:number ?num ; eli:title ?title ; eli:date_document ?adopted ; eli:is_realized_by ?e .
            ?e eli:version_date ?d .
            {flt}
        }} GROUP BY ?w ?id ?j ?type ?num ?title ?adopted ORDER BY ?j ?type ?adopted""")
    # articles of the redaction shown (an act's article list changes between redactions)
    counts = {(r["w"], r["d"]): int(r["n"]) for r in store.select("""
        SELECT ?w ?d (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a lexmap:act ?w ; lexmap:subdivisionKind "article" .
            ?pe eli:realizes ?a ; eli:version_date ?d }
        GROUP BY ?w ?d""")}
    return [{
        "iri": r["w"], "eli": r["id"], "jurisdiction": r["j"], "type": r["type"], "number": r["num"],
        "title": r["title"], "adopted": r["adopted"],
        "latest_redaction" if not as_of else "redaction": r["latest"],
        "redactions": int(r["redactions"]), "articles": counts.get((r["w"], r["latest"]), 0),
    } for r in rows]


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
    if not store.ask(f"ASK {{ {iriref(work)} a lexmap:Act }}"):
        raise NotFound(f"no act {eli.work.path} in the store")
    rows = store.select(f"""SELECT DISTINCT ?e ?d WHERE {{ {iriref(work)} eli:is_realized_by ?e . ?e eli:version_date ?d }}
                            ORDER BY DESC(?d)""")
    wanted = eli.version or as_of
    if eli.version:
        rows = [r for r in rows if r["d"] == eli.version and (eli.lang is None or r["e"].endswith("/" + eli.lang))]
        if not rows:
            raise NotFound(f"act {eli.work.path} has no redaction of {eli.version}")
    elif wanted:
        rows = [r for r in rows if r["d"] <= wanted]
        if not rows:
            raise NotFound(f"act {eli.work.path} has no redaction on or before {wanted}")
    expr, version = rows[0]["e"], rows[0]["d"]
    iri = f"{work}/{eli.eid}" if eli.eid else work
    if eli.eid and not store.ask(f"ASK {{ {iriref(iri)} a lexmap:Provision }}"):
        raise NotFound(f"act {eli.work.path} has no provision {eli.eid}")
    return Resolved(eli, work, iri, expr, version)


def get_act(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """An act with its redactions and its table of contents in the chosen redaction."""
    res = resolve(store, settings, path, as_of)
    if res.path.eid:
        return get_provision(store, settings, path, as_of)
    meta = next((a for a in list_acts(store) if a["iri"] == res.work), None)
    if meta is None:
        raise NotFound(f"no act {res.path.work.path}")
    redactions = store.select(f"""
        SELECT DISTINCT ?e ?d ?src ?fmt ?sha WHERE {{ {iriref(res.work)} eli:is_realized_by ?e . ?e eli:version_date ?d .
            OPTIONAL {{ ?e dcterms:source ?src }} OPTIONAL {{ ?e lexmap:sourceFormat ?fmt }}
            OPTIONAL {{ ?e lexmap:sourceChecksum ?sha }} }} ORDER BY ?d""")
    return {
        **meta, "kind": "act", "redaction": res.version, "expression": res.expression,
        "redactions": [{"iri": r["e"], "date": r["d"], "source": r.get("src"), "format": r.get("fmt"),
                        "sha256": r.get("sha")} for r in redactions],
        "contents": _children(store, res.work, res.expression, res.expression),
    }


def _children(store: GraphStore, parent: str, parent_expr: str, expr: str) -> list[dict]:
    rows = store.select(f"""
        SELECT DISTINCT ?c ?eid ?kind ?num ?sort ?label ?title ?st WHERE {{
            GRAPH {iriref(expr)} {{ ?c eli:is_part_of {iriref(parent)} ; lexmap:sortKey ?sort }}
            ?c lexmap:eId ?eid ; lexmap:subdivisionKind ?kind .
            OPTIONAL {{ ?c eli:number ?num }}
            OPTIONAL {{ ?ce eli:realizes ?c ; eli:is_part_of {iriref(parent_expr)} .
                       OPTIONAL {{ ?ce lexmap:label ?label }} OPTIONAL {{ ?ce eli:title ?title }}
                       OPTIONAL {{ ?ce lexmap:status ?st }} }}
        }} ORDER BY ?sort""")
    return [{"iri": r["c"], "eid": r["eid"], "kind": r["kind"], "number": r.get("num"), "label": r.get("label"),
             "title": r.get("title"), "status": status_name(r.get("st")), "in_redaction": "label" in r or "st" in r}
            for r in rows]


def get_provision(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """A provision in one redaction: identity, breadcrumb, own text, sub-provisions, full text."""
    res = resolve(store, settings, path, as_of)
    if not res.path.eid:
        return get_act(store, settings, path, as_of)
    iri, eid = res.iri, res.path.eid
    pe = f"{res.expression}/{eid}"
    ident = store.select(f"""SELECT ?kind ?num ?parent ?sort WHERE {{ {iriref(iri)} lexmap:subdivisionKind ?kind ;
        eli:is_part_of ?parent ; lexmap:sortKey ?sort . OPTIONAL {{ {iriref(iri)} eli:number ?num }}
        OPTIONAL {{ GRAPH ?g {{ {iriref(iri)} lexmap:sortKey ?sort }} FILTER(?g = {iriref(res.expression)}) }} }}
        ORDER BY DESC(BOUND(?g)) LIMIT 1""")[0]
    expr_rows = store.select(f"""SELECT ?label ?title ?text ?wrap ?st WHERE {{ {iriref(pe)} eli:realizes {iriref(iri)} .
        OPTIONAL {{ {iriref(pe)} lexmap:label ?label }} OPTIONAL {{ {iriref(pe)} eli:title ?title }}
        OPTIONAL {{ {iriref(pe)} lexmap:text ?text }} OPTIONAL {{ {iriref(pe)} lexmap:wrapUp ?wrap }}
        OPTIONAL {{ {iriref(pe)} lexmap:status ?st }} }} LIMIT 1""")
    in_redaction = bool(expr_rows)
    e = expr_rows[0] if expr_rows else {}
    notes = [r["n"] for r in store.select(f"SELECT ?n WHERE {{ {iriref(pe)} lexmap:note ?n }}")]
    defects = [r["d"] for r in store.select(f"SELECT ?d WHERE {{ {iriref(pe)} lexmap:sourceDefect ?d }}")]
    crumbs = store.select(f"""SELECT DISTINCT ?a ?eid ?kind ?sort ?label ?title WHERE {{
        GRAPH {iriref(res.expression)} {{ {iriref(iri)} eli:is_part_of+ ?a . ?a lexmap:sortKey ?sort }}
        ?a lexmap:eId ?eid ; lexmap:subdivisionKind ?kind .
        OPTIONAL {{ ?ae eli:realizes ?a ; eli:version_date ?d . FILTER(?d = {date_literal(res.version)})
                   OPTIONAL {{ ?ae lexmap:label ?label }} OPTIONAL {{ ?ae eli:title ?title }} }} }} ORDER BY ?sort""")
    act_title = store.select(f"SELECT ?t WHERE {{ {iriref(res.work)} eli:title ?t }} LIMIT 1")[0]["t"]
    breadcrumb = [{"iri": res.work, "label": act_title, "kind": "act"}] + [
        {"iri": c["a"], "eid": c["eid"], "kind": c["kind"], "label": c.get("label"), "title": c.get("title")}
        for c in crumbs]
    return {
        "iri": iri, "kind": ident["kind"], "eid": eid, "number": ident.get("num"), "act": res.work,
        "parent": ident["parent"], "redaction": res.version, "expression": pe, "in_redaction": in_redaction,
        "label": e.get("label"), "title": e.get("title"), "text": e.get("text"), "wrap_up": e.get("wrap"),
        "status": status_name(e.get("st")), "notes": notes, "source_defects": defects, "breadcrumb": breadcrumb,
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
    node = res.iri
    expr = f"{res.expression}/{res.path.eid}" if res.path.eid else res.expression
    return store.construct(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ BIND({iriref(node)} AS ?s) ?s ?p ?o }} UNION {{ BIND({iriref(expr)} AS ?s) ?s ?p ?o }} }}""")


def stats(store: GraphStore) -> dict:
    """Counts per act: articles, provisions, triples; and totals."""
    per_act = store.select("""
        SELECT ?w ?id (COUNT(DISTINCT ?p) AS ?provisions) (COUNT(DISTINCT ?a) AS ?articles) WHERE {
            ?w a lexmap:Act ; dcterms:identifier ?id . ?p lexmap:act ?w ; lexmap:subdivisionKind ?k .
            BIND(IF(?k = "article", ?p, ?unbound) AS ?a) }
        GROUP BY ?w ?id ORDER BY ?id""")
    triples = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    total = sum(int(r["n"]) for r in triples)
    return {
        "acts": len(per_act), "graphs": len(triples), "triples": total,
        "articles": sum(int(r["articles"]) for r in per_act),
        "provisions": sum(int(r["provisions"]) for r in per_act),
        "per_act": [{"eli": r["id"], "articles": int(r["articles"]), "provisions": int(r["provisions"])}
                    for r in per_act],
    }
