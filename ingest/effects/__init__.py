"""Amendment history as data (issue 16, item 5): the notes of RU and BY texts read into effects —
the amending act (type, date, number, IRI), the provision affected, the kind (new wording,
inserted, repealed, or the act's own list: amended) and the date — written as triples of the
redaction whose notes state them.

    nt = effects_ntriples(doc, act, expr, base_iri, corpus_acts(manifest, base_iri))

parse.py reads a note, place.py puts its effects on provisions, to_ntriples.py writes them.
"""
from __future__ import annotations

from functools import cache

from .model import AMENDED, INSERTED, KINDS, REPEALED, WORDING, AmendingAct, Effect, NoteEffect
from .parse import parse_note
from .place import document_effects
from .to_ntriples import amending_act_iri, effect_triples

__all__ = ["AMENDED", "INSERTED", "KINDS", "REPEALED", "WORDING", "AmendingAct", "Effect", "NoteEffect",
           "amending_act_iri", "corpus_acts", "document_effects", "effects_ntriples", "parse_note"]


@cache
def corpus_acts(manifest, base_iri: str) -> dict[tuple[str, str, str], str]:
    """The corpus acts by (jurisdiction, number upper-cased, adoption date): what an amending act
    named in a note is looked up by."""
    return {(a.jurisdiction, a.number.upper(), a.adopted.isoformat()): a.work.iri(base_iri)
            for a in manifest.acts if a.number}


def effects_ntriples(doc, act, expr, base_iri: str, corpus: dict[tuple[str, str, str], str]) -> str:
    """The N-Triples of every effect the notes of one act redaction state (`act`: ActEntry,
    `expr`: its ExpressionEntry), to add to the redaction's graph before validation."""
    from ingest.identifiers import expression_iri
    work = act.work.iri(base_iri)
    effects = document_effects(doc, act.jurisdiction, act.number, act.adopted.isoformat())
    lines = effect_triples(effects, work, expression_iri(work, expr.date, expr.language), base_iri, corpus)
    return "\n".join(lines) + ("\n" if lines else "")
