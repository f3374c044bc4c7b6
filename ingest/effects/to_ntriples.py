"""Effects as N-Triples in the redaction graph whose notes state them (ontology/lexmap.ttl).

    <{expression}/{holder eId}#effect-{n}>        # the redaction whose lexmap:note holds the words, #effect-n
        lexmap:affects <{work}/{eId}> ; lexmap:effectKind "wording" ;     # (the domain of effectKind: lexmap:Effect)
        lexmap:affectedUnit "title" ;        # only when the note names more than the provision: title, abzats …
        lexmap:amendingAct <{base}/eli/ru/fz/2013/100-fz> .
    <{work}/{eId}> eli:amended_by <{base}/eli/ru/fz/2013/100-fz> .     # eli:changed_by, eli:repealed_by
    <{base}/eli/ru/fz/2013/100-fz> lexmap:amendingActType "fz" ;
        lexmap:amendingActDate "2013-05-07"^^xsd:date ; lexmap:amendingActNumber "100-ФЗ" .

The amending act's IRI is the corpus act's when the corpus holds an act of that jurisdiction,
number and date, else the ELI work IRI lexmap would give it (so one amending act is one IRI
across every act it changed, and becomes a loaded act's IRI the day it is added).
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from ingest.identifiers import work_id
from ontology import ELI, LEXMAP, XSD

from ..to_rdf import nt_literal as _lit
from .model import INSERTED, REPEALED, AmendingAct, Effect

_P = {name: f"<{LEXMAP[name]}>" for name in (
    "affects", "effectKind", "affectedUnit", "affectedUnitNumber", "placement",
    "amendingAct", "amendingActType", "amendingActDate", "amendingActNumber", "inForceDate")}
_ELI_OF_KIND = {INSERTED: f"<{ELI.changed_by}>", REPEALED: f"<{ELI.repealed_by}>"}
_AMENDED_BY = f"<{ELI.amended_by}>"


def _date(value: str) -> str:
    return f'"{value}"^^<{XSD.date}>'


def amending_act_iri(act: AmendingAct, base_iri: str, corpus: dict[tuple[str, str, str], str]) -> str | None:
    """The IRI of an amending act: the corpus act's (keyed by jurisdiction, number, date), else the
    ELI work IRI lexmap would give it; None when no IRI can be made of its number."""
    hit = corpus.get((act.jurisdiction, act.number.upper(), act.date))
    return hit or _minted(act, base_iri)


@lru_cache(maxsize=4096)
def _minted(act: AmendingAct, base_iri: str) -> str | None:
    try:
        return work_id(act.jurisdiction, act.act_type, date.fromisoformat(act.date), act.number).iri(base_iri)
    except ValueError:
        return None


def effect_triples(effects: list[Effect], work_iri: str, expression_iri: str, base_iri: str,
                   corpus: dict[tuple[str, str, str], str]) -> list[str]:
    """The N-Triples lines of a redaction's effects (no graph: the caller adds them to its own).

    Lean on purpose (every triple is also validated at ingest): the note's words stay where they
    are, on the holder (lexmap:note), and each amending act is described once per graph."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for eff in effects:
        ne = eff.effect
        iri = amending_act_iri(ne.act, base_iri, corpus) if ne.act else None
        if ne.act and iri is None:     # cannot happen with the numbers the parser reads; never a bad IRI
            continue
        holder = f"{expression_iri}/{eff.holder}" if eff.holder else expression_iri
        n = seen[holder] = seen.get(holder, 0) + 1
        e = f"<{holder}#effect-{n}>"
        target = f"<{work_iri}/{eff.eid}>" if eff.eid else f"<{work_iri}>"
        # no rdf:type and no holder triple: lexmap:effectKind's domain types it, its IRI names the holder
        out += [f"{e} {_P['affects']} {target} .",
                f"{e} {_P['effectKind']} \"{ne.kind}\" ."]
        if ne.unit and not eff.unit_is_node:       # "наименование", "абзац", or a unit without a node
            out.append(f"{e} {_P['affectedUnit']} \"{ne.unit}\" .")
            if ne.unit_num:
                out.append(f"{e} {_P['affectedUnitNumber']} {_lit(ne.unit_num)} .")
        if eff.placement:
            out.append(f"{e} {_P['placement']} {_lit(eff.placement)} .")
        if ne.in_force:
            out.append(f"{e} {_P['inForceDate']} {_date(ne.in_force)} .")
        if iri is None:
            continue
        a = f"<{iri}>"
        out += [f"{e} {_P['amendingAct']} {a} .",
                f"{target} {_ELI_OF_KIND.get(ne.kind, _AMENDED_BY)} {a} .",
                # the amending act as the notes name it (once per graph: the list is made a set)
                f"{a} {_P['amendingActType']} \"{ne.act.act_type}\" .",
                f"{a} {_P['amendingActDate']} {_date(ne.act.date)} .",
                f"{a} {_P['amendingActNumber']} {_lit(ne.act.number)} ."]
    return list(dict.fromkeys(out))     # a graph is a set: one provision amended twice by one act
