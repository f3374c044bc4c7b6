"""In-text references of RU and BY legislation: found (patterns.py), resolved against the acts'
numbering (resolve.py), written as triples of the citing redaction (to_ntriples.py).

    names = ActNames(act_infos(manifest, base))          # the corpus acts, once
    refs = extract(doc, "ru-gk-1", Resolver(names, {work: Numbering.of_document(doc)}))
    nt = references_ntriples(doc, act, expr, base, resolver)

At prepare time (one act per worker process) only the act's own numbering is known: references
into other acts are stored with `lexmap:pendingAct` and resolved by `resolve_pending` in the
pass after all acts are loaded (ingest/pipeline.py), which reads the numbering from the store.
"""
from __future__ import annotations

import re
from functools import cache

from .model import Citation, Reference
from .patterns import ActInfo, ActNames, find
from .resolve import Numbering, Resolver

__all__ = ["ActInfo", "ActNames", "Citation", "Numbering", "Reference", "Resolver", "act_infos", "extract",
           "find", "names_for", "references_ntriples", "resolver_for"]

_MAX_TEXT = 200_000
# every citation has a number, "настоящ…" or a capitalised law word: texts without one are skipped
_HINT = re.compile(r"\d|[Нн]астоящ|Федеральн|Закон|Указ|Декрет")        # characters of one provision's text read for citations


def act_infos(manifest, base_iri: str) -> list[ActInfo]:
    """The acts of a manifest as citations name them."""
    return [ActInfo(a.key, a.jurisdiction, a.act_type, a.number, a.title, a.short, a.work.iri(base_iri))
            for a in manifest.acts]


def extract(doc, act_key: str, resolver: Resolver) -> list[Reference]:
    """Every reference in the texts of a parsed document (eIds assigned), resolved as far as
    the resolver's numberings allow. Never raises on what a text says."""
    act = resolver.names.get(act_key)
    jurisdiction = act.jurisdiction if act else ""
    out: list[Reference] = []
    for node in doc.walk():
        text = node.text
        if not text or not node.eid or not _HINT.search(text):
            continue
        # the text as stored: wrap-up text is stored apart and not scanned (offsets are into lexmap:text)
        for cit in find(text[:_MAX_TEXT], resolver.names, jurisdiction):
            out.append(resolver.resolve(cit, act_key, node.eid))
    return out


@cache
def names_for(manifest, base_iri: str) -> ActNames:
    """The corpus acts of a manifest as citations name them (built once per process)."""
    return ActNames(act_infos(manifest, base_iri))


def resolver_for(manifest, base_iri: str, act_key: str, doc) -> Resolver:
    """A resolver for one act at prepare time: the corpus acts and the act's own numbering."""
    names = names_for(manifest, base_iri)
    act = names.get(act_key)
    return Resolver(names, {act.work: Numbering.of_document(doc)} if act else {})


def references_ntriples(doc, act, expr, base_iri: str, resolver: Resolver) -> str:
    """The N-Triples of every reference of one act redaction (`act`: ActEntry, `expr`: its
    ExpressionEntry), to add to the redaction's graph before validation."""
    from ingest.identifiers import expression_iri

    from .to_ntriples import reference_triples
    work = act.work.iri(base_iri)
    expr_iri = expression_iri(work, expr.date, expr.language)
    lines: list[str] = []
    for ref in extract(doc, act.key, resolver):
        lines.extend(reference_triples(ref, work, expr_iri))
    return "\n".join(lines) + ("\n" if lines else "")
