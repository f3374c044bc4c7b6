"""References as N-Triples in the citing redaction's graph (vocabulary: ontology/lexmap.ttl).

    <{expression}/{eId}#ref-{start}> a lexmap:Reference ;
        lexmap:inProvision <{expression}/{eId}> ; lexmap:citingProvision <{work}/{eId}> ;
        lexmap:start 120 ; lexmap:end 151 ; lexmap:quote "пунктом 2 статьи 200 …" ;
        lexmap:referenceKind "internal" ; lexmap:resolved true ;
        eli:cites <{cited work}/art_200__para_2> ; lexmap:citedAct <{cited work}> ;
        lexmap:citedUnits "article:200/point:2" .
    (an act outside the corpus: lexmap:externalAct "Федеральным законом от … № 35-ФЗ",
     lexmap:externalActDate, lexmap:externalActNumber; unresolved: lexmap:reason "…";
     left for the cross-act pass: lexmap:pendingAct <work>)
"""
from __future__ import annotations

from ontology import ELI, LEXMAP, RDF, XSD

from ..to_rdf import nt_literal as _lit
from .model import Reference

_TYPE, _CITES = f"<{RDF.type}>", f"<{ELI.cites}>"
_P = {name: f"<{LEXMAP[name]}>" for name in (
    "Reference", "inProvision", "citingProvision", "start", "end", "quote", "referenceKind", "resolved", "citedAct",
    "citedUnits", "pendingAct", "externalAct", "externalActDate", "externalActNumber", "reason")}


def reference_iri(expression_iri: str, ref: Reference) -> str:
    """The IRI of a reference: its citing provision's redaction IRI and its start offset."""
    return f"{expression_iri}/{ref.source_eid}#ref-{ref.start}"


def reference_triples(ref: Reference, work_iri: str, expression_iri: str) -> list[str]:
    """The N-Triples lines of one reference (no graph: the caller loads them into the redaction's)."""
    r = f"<{reference_iri(expression_iri, ref)}>"
    out = [f"{r} {_TYPE} {_P['Reference']} .",
           f"{r} {_P['inProvision']} <{expression_iri}/{ref.source_eid}> .",
           f"{r} {_P['citingProvision']} <{work_iri}/{ref.source_eid}> .",
           f'{r} {_P["start"]} "{ref.start}"^^<{XSD.integer}> .',
           f'{r} {_P["end"]} "{ref.end}"^^<{XSD.integer}> .',
           f"{r} {_P['quote']} {_lit(ref.quote)} .",
           f"{r} {_P['referenceKind']} {_lit(ref.kind)} .",
           f'{r} {_P["resolved"]} "{"true" if ref.resolved else "false"}"^^<{XSD.boolean}> .']
    out += resolution_triples(ref, r)
    return out


def resolution_triples(ref: Reference, r: str) -> list[str]:
    """What resolution decided: targets, cited act, pending acts, external act, reason."""
    out = []
    if ref.spec:
        out.append(f"{r} {_P['citedUnits']} {_lit(ref.spec)} .")
    for t in ref.targets:
        out.append(f"{r} {_CITES} <{ref.target_work}/{t}> .")
    if ref.target_work:
        out.append(f"{r} {_P['citedAct']} <{ref.target_work}> .")
    for w in ref.pending_works:
        out.append(f"{r} {_P['pendingAct']} <{w}> .")
    if ref.external:
        out.append(f"{r} {_P['externalAct']} {_lit(ref.external)} .")
        if ref.external_date:
            out.append(f'{r} {_P["externalActDate"]} "{ref.external_date}"^^<{XSD.date}> .')
        if ref.external_number:
            out.append(f"{r} {_P['externalActNumber']} {_lit(ref.external_number)} .")
    if ref.reason:
        out.append(f"{r} {_P['reason']} {_lit(ref.reason)} .")
    return out
