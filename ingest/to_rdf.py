"""Provision tree -> RDF triples, using ontology terms only.

Works (act, provisions) carry identity and structure; redactions (expressions)
carry text, titles and status for one date, so later redactions add triples
without touching identifiers.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from ontology import ELI, EU_LANGUAGE, LEXMAP
from .identifiers import LANGUAGES, expression_iri
from .model import EXCLUDED, REPEALED, ParsedDocument, Provision
from .sources import ActEntry, ExpressionEntry

_STATUS = {"in_force": LEXMAP.InForce, REPEALED: LEXMAP.Repealed, EXCLUDED: LEXMAP.Excluded}


@dataclass
class ActGraph:
    """The triples of one act in one redaction, and where each node came from."""

    graph: Graph
    work_iri: str
    expression_iri: str
    origin: dict[str, str]          # node IRI -> source location, for error reports
    provisions: int


def act_to_graph(act: ActEntry, expr: ExpressionEntry, doc: ParsedDocument, base: str, checksum: str) -> ActGraph:
    """Build the RDF graph of one act redaction from its parsed tree (eIds assigned)."""
    g = Graph()
    add = g.add
    work = URIRef(act.work.iri(base))
    expr_iri = URIRef(expression_iri(str(work), expr.date, expr.language))
    lang = LANGUAGES[expr.language]
    language = EU_LANGUAGE[expr.language.upper()]
    version = Literal(expr.date.isoformat(), datatype=XSD.date)
    origin: dict[str, str] = {str(work): f"{act.key} (manifest)", str(expr_iri): expr.path}

    add((work, RDF.type, LEXMAP.Act))
    add((work, RDF.type, ELI.LegalResource))
    add((work, DCTERMS.identifier, Literal(act.work.path)))
    add((work, LEXMAP.jurisdiction, Literal(act.jurisdiction)))
    add((work, LEXMAP.actType, Literal(act.act_type)))
    add((work, ELI.number, Literal(act.number or act.adopted.isoformat())))
    add((work, ELI.title, Literal(act.title, lang=lang)))
    if act.short:
        add((work, ELI.title_short, Literal(act.short, lang=lang)))
    add((work, ELI.date_document, Literal(act.adopted.isoformat(), datatype=XSD.date)))
    add((work, ELI.is_realized_by, expr_iri))

    add((expr_iri, RDF.type, LEXMAP.Redaction))
    add((expr_iri, RDF.type, ELI.LegalExpression))
    add((expr_iri, ELI.realizes, work))
    add((expr_iri, ELI.version_date, version))
    add((expr_iri, ELI.language, language))
    add((expr_iri, ELI.title, Literal(act.title, lang=lang)))
    add((expr_iri, LEXMAP.sourceChecksum, Literal(checksum)))
    add((expr_iri, LEXMAP.sourceFormat, Literal(expr.format)))
    add((expr_iri, LEXMAP.sourcePath, Literal(expr.path)))
    if expr.url:
        add((expr_iri, DCTERMS.source, URIRef(expr.url)))
    for note in doc.notes:
        add((expr_iri, LEXMAP.note, Literal(note, lang=lang)))

    count = 0

    def emit(node: Provision, parent: URIRef, parent_expr: URIRef) -> None:
        nonlocal count
        count += 1
        p = URIRef(f"{work}/{node.eid}")
        pe = URIRef(f"{expr_iri}/{node.eid}")
        origin[str(p)] = origin[str(pe)] = node.where
        add((p, RDF.type, LEXMAP.Provision))
        add((p, ELI.is_part_of, parent))
        add((p, LEXMAP.act, work))
        add((p, LEXMAP.eId, Literal(node.eid)))
        if node.num is not None:
            add((p, ELI.number, Literal(node.num)))
        add((p, LEXMAP.subdivisionKind, Literal(node.kind)))
        add((p, LEXMAP.sortKey, Literal(count)))
        add((pe, RDF.type, LEXMAP.Redaction))
        add((pe, ELI.realizes, p))
        add((pe, ELI.is_part_of, parent_expr))
        add((pe, ELI.version_date, version))
        add((pe, ELI.language, language))
        add((pe, LEXMAP.status, _STATUS[node.status]))
        if node.label:
            add((pe, LEXMAP.label, Literal(node.label)))
        if node.title:
            add((pe, ELI.title, Literal(node.title, lang=lang)))
        if node.text:
            add((pe, LEXMAP.text, Literal(node.text, lang=lang)))
        if node.wrap_up:
            add((pe, LEXMAP.wrapUp, Literal(node.wrap_up, lang=lang)))
        for note in node.notes:
            add((pe, LEXMAP.note, Literal(note, lang=lang)))
        for defect in node.defects:
            add((pe, LEXMAP.sourceDefect, Literal(defect)))
        for child in node.children:
            emit(child, p, pe)

    for top in doc.children:
        emit(top, work, expr_iri)
    return ActGraph(g, str(work), str(expr_iri), origin, count)
