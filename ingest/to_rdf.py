"""Provision tree -> RDF triples, using ontology terms only.

Works (act, provisions) carry identity and structure; redactions (expressions)
carry text, titles and status for one date, so later redactions add triples
without touching identifiers.
"""
from __future__ import annotations

import re
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


# ---------------------------------------------------------------------- the direct N-Triples writer
#
# `act_to_graph` builds an rdflib Graph: ~80% of an act's preparation went into rdflib's term
# objects and its in-memory store. `act_ntriples` writes the same triples straight to N-Triples
# text (what the store loads and the SHACL engine reads); a test checks the two agree triple for
# triple on real acts, and bench/ingest.py on the whole corpus.

_RDF_TYPE = f"<{RDF.type}>"
_XSD_DATE = f"^^<{XSD.date}>"
_XSD_INTEGER = f"^^<{XSD.integer}>"
# Characters N-Triples forbids in an IRI (IRIREF), as rdflib refuses to serialise them.
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _iri(value: str) -> str:
    """`<value>`; ValueError for a string no N-Triples IRI may hold (then nothing is loaded)."""
    if _BAD_IRI.search(value):
        raise ValueError(f"{value!r} cannot be an IRI (it holds a space, a control character or one of <>\"{{}}|^`\\)")
    return f"<{value}>"


def nt_literal(value: str) -> str:
    """The quoted lexical form, escaped as rdflib's N-Triples serializer does (every N-Triples
    writer of the project uses it: the act's triples, its references and its effects)."""
    if "\\" in value or '"' in value or "\n" in value or "\r" in value:
        # str.replace, not str.translate: translate looks every character of Cyrillic text up in a dict
        value = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
    return f'"{value}"'


@dataclass
class ActTriples:
    """One act redaction as N-Triples text (each triple once), and where each node came from."""

    ntriples: str
    work_iri: str
    expression_iri: str
    origin: dict[str, str]          # node IRI -> source location, for error reports
    provisions: int
    triples: int


def act_ntriples(act: ActEntry, expr: ExpressionEntry, doc: ParsedDocument, base: str, checksum: str,
                 fingerprint: str | None = None) -> ActTriples:
    """The triples `act_to_graph` builds (plus the build fingerprint, if given), written
    directly as N-Triples. Raises ValueError when an identifier cannot be an IRI."""
    out: list[str] = []
    line = out.append
    work_s = act.work.iri(base)
    expr_s = expression_iri(work_s, expr.date, expr.language)
    work, expr_iri = _iri(work_s), _iri(expr_s)
    lang = "@" + LANGUAGES[expr.language]
    language = _iri(str(EU_LANGUAGE[expr.language.upper()]))
    version = f'"{expr.date.isoformat()}"{_XSD_DATE}'
    origin: dict[str, str] = {work_s: f"{act.key} (manifest)", expr_s: expr.path}
    P = {name: f"<{iri}>" for name, iri in (
        ("act_class", LEXMAP.Act), ("legal_resource", ELI.LegalResource), ("identifier", DCTERMS.identifier),
        ("jurisdiction", LEXMAP.jurisdiction), ("act_type", LEXMAP.actType), ("number", ELI.number),
        ("title", ELI.title), ("title_short", ELI.title_short), ("date_document", ELI.date_document),
        ("is_realized_by", ELI.is_realized_by), ("redaction", LEXMAP.Redaction),
        ("legal_expression", ELI.LegalExpression), ("realizes", ELI.realizes), ("version_date", ELI.version_date),
        ("language", ELI.language), ("checksum", LEXMAP.sourceChecksum), ("format", LEXMAP.sourceFormat),
        ("path", LEXMAP.sourcePath), ("source", DCTERMS.source), ("note", LEXMAP.note),
        ("provision", LEXMAP.Provision), ("is_part_of", ELI.is_part_of), ("act", LEXMAP.act), ("eid", LEXMAP.eId),
        ("kind", LEXMAP.subdivisionKind), ("sort_key", LEXMAP.sortKey), ("status", LEXMAP.status),
        ("label", LEXMAP.label), ("text", LEXMAP.text), ("wrap_up", LEXMAP.wrapUp),
        ("defect", LEXMAP.sourceDefect), ("fingerprint", LEXMAP.buildFingerprint))}
    status = {key: f"<{iri}>" for key, iri in _STATUS.items()}

    title = nt_literal(act.title) + lang
    line(f"{work} {_RDF_TYPE} {P['act_class']} .")
    line(f"{work} {_RDF_TYPE} {P['legal_resource']} .")
    line(f"{work} {P['identifier']} {nt_literal(act.work.path)} .")
    line(f"{work} {P['jurisdiction']} {nt_literal(act.jurisdiction)} .")
    line(f"{work} {P['act_type']} {nt_literal(act.act_type)} .")
    line(f"{work} {P['number']} {nt_literal(act.number or act.adopted.isoformat())} .")
    line(f"{work} {P['title']} {title} .")
    if act.short:
        line(f"{work} {P['title_short']} {nt_literal(act.short)}{lang} .")
    line(f"{work} {P['date_document']} \"{act.adopted.isoformat()}\"{_XSD_DATE} .")
    line(f"{work} {P['is_realized_by']} {expr_iri} .")

    line(f"{expr_iri} {_RDF_TYPE} {P['redaction']} .")
    line(f"{expr_iri} {_RDF_TYPE} {P['legal_expression']} .")
    line(f"{expr_iri} {P['realizes']} {work} .")
    line(f"{expr_iri} {P['version_date']} {version} .")
    line(f"{expr_iri} {P['language']} {language} .")
    line(f"{expr_iri} {P['title']} {title} .")
    line(f"{expr_iri} {P['checksum']} {nt_literal(checksum)} .")
    line(f"{expr_iri} {P['format']} {nt_literal(expr.format)} .")
    line(f"{expr_iri} {P['path']} {nt_literal(expr.path)} .")
    if expr.url:
        line(f"{expr_iri} {P['source']} {_iri(expr.url)} .")
    for note in doc.notes:
        line(f"{expr_iri} {P['note']} {nt_literal(note)}{lang} .")
    if fingerprint is not None:
        line(f"{expr_iri} {P['fingerprint']} {nt_literal(fingerprint)} .")

    count = 0
    # Walk the tree without recursion (deep trees of hostile sources), in document order.
    stack: list[tuple[Provision, str, str]] = [(top, work, expr_iri) for top in reversed(doc.children)]
    while stack:
        node, parent, parent_expr = stack.pop()
        count += 1
        p_s, pe_s = f"{work_s}/{node.eid}", f"{expr_s}/{node.eid}"
        p, pe = _iri(p_s), _iri(pe_s)
        origin[p_s] = origin[pe_s] = node.where
        line(f"{p} {_RDF_TYPE} {P['provision']} .")
        line(f"{p} {P['is_part_of']} {parent} .")
        line(f"{p} {P['act']} {work} .")
        line(f"{p} {P['eid']} {nt_literal(node.eid)} .")
        if node.num is not None:
            line(f"{p} {P['number']} {nt_literal(node.num)} .")
        line(f"{p} {P['kind']} {nt_literal(node.kind)} .")
        line(f"{p} {P['sort_key']} \"{count}\"{_XSD_INTEGER} .")
        line(f"{pe} {_RDF_TYPE} {P['redaction']} .")
        line(f"{pe} {P['realizes']} {p} .")
        line(f"{pe} {P['is_part_of']} {parent_expr} .")
        line(f"{pe} {P['version_date']} {version} .")
        line(f"{pe} {P['language']} {language} .")
        line(f"{pe} {P['status']} {status[node.status]} .")
        if node.label:
            line(f"{pe} {P['label']} {nt_literal(node.label)} .")
        if node.title:
            line(f"{pe} {P['title']} {nt_literal(node.title)}{lang} .")
        if node.text:
            line(f"{pe} {P['text']} {nt_literal(node.text)}{lang} .")
        if node.wrap_up:
            line(f"{pe} {P['wrap_up']} {nt_literal(node.wrap_up)}{lang} .")
        for note in node.notes:
            line(f"{pe} {P['note']} {nt_literal(note)}{lang} .")
        for defect in node.defects:
            line(f"{pe} {P['defect']} {nt_literal(defect)} .")
        stack.extend((child, p, pe) for child in reversed(node.children))
    unique = dict.fromkeys(out)     # a graph is a set: a repeated note or defect is one triple
    text = "\n".join(unique)
    return ActTriples(text + "\n" if unique else "", work_s, expr_s, origin, count, len(unique))
