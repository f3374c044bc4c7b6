"""Mapping services shared by the HTTP routes and the CLI: list, read, create,
review, suggest, export. The store work is in ingest.mappings.repository."""
from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal

from ingest.mappings.model import (HARMONIZATION, LIFECYCLE, NO_TERM_FOUND, RATIONALES, RELATIONS, Mapping,
                                   mapping_iri, today)
from ingest.mappings.repository import Filters, MappingError, MappingRepository, MappingTable
from ingest.mappings.sssom_tsv import write as write_sssom
from ingest.mappings import parts as parts_service
from ingest.mappings.suggest import Candidate, Suggester
from ingest.store import GraphStore
from ontology import PREFIXES

from ingest.identifiers import ELI_MARK, eli_of, file_stem, parse_reference, top_unit_of, work_of
from ingest.query import catalog as q

EXPORT_FORMATS = {"sssom": "text/tab-separated-values; charset=utf-8", "csv": "text/csv; charset=utf-8",
                  "ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json"}


T = TypeVar("T")


class BadRequest(ValueError):
    """A request naming something that does not exist or a value outside a closed list."""


@dataclass
class Context:
    store: GraphStore
    base_iri: str
    aliases: dict[str, str]          # manifest key -> ELI path of the act
    # AppContext.memo: keeps what is read from the data until it changes (None: nothing kept, the CLI)
    memo: Callable[[str, Hashable, Callable[[], Any]], Any] | None = None
    token: Callable[[], object] | None = None          # AppContext.data_token
    carry: Callable[..., bool] | None = None           # AppContext.carry

    @property
    def repo(self) -> MappingRepository:
        return MappingRepository(self.store, self.base_iri)

    def cached(self, kind: str, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, kept by the memo (if any) until the next write."""
        return self.memo(kind, key, build) if self.memo is not None else build()

    def table(self) -> MappingTable:
        """Every mapping, kept until the next write: lists, exports, a provision's mappings,
        the suggester's anchors and the gap analysis all filter it in memory."""
        return self.cached("mapping table", None, self.repo.table)

    def before_write(self) -> object:
        """The data token before a write (None: nothing kept, the CLI), for `wrote`."""
        return self.token() if self.token is not None else None

    def wrote(self, before: object, record_ids: list[str]) -> None:
        """After writing these mappings alone: the kept mapping table, read again for them only
        (~0.5 s saved on the next request) when that write was the only one since `before`."""
        if self.carry is not None:
            self.carry(before, "mapping table", None, lambda t: self.repo.table_with(t, record_ids))


def to_iri(ctx: Context, ref: str) -> str:
    """An ELI path, a manifest key or an IRI under the base -> IRI; BadRequest when it is none of them."""
    try:
        return parse_reference(ref, ctx.base_iri, ctx.aliases).iri(ctx.base_iri)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def act_iri(ctx: Context, ref: str) -> str:
    iri = to_iri(ctx, ref)
    if not q.ask(ctx.store, "is_act", work=iri):
        raise BadRequest(f"no act {ref!r} in the store; use an ELI path such as eli/ru/kodeks/1994/51-fz or a manifest key")
    return iri


def provision_iri(ctx: Context, ref: str) -> tuple[str, str]:
    """(provision IRI, IRI of its act) of an existing provision."""
    iri = to_iri(ctx, ref)
    rows = q.select(ctx.store, "provision_act", iri=iri)
    if not rows:
        raise BadRequest(f"no provision {ref!r} in the store")
    return iri, rows[0]["w"]


def _check(values: tuple[str, ...], table: dict, name: str) -> tuple[str, ...]:
    bad = [v for v in values if v not in table]
    if bad:
        raise BadRequest(f"unknown {name} {bad[0]!r}; use one of {', '.join(table)}")
    return values


def as_json(m: Mapping, base_iri: str) -> dict:
    """The public JSON of a mapping."""
    def eli(iri: str | None) -> str | None:
        return eli_of(iri) if iri and iri.startswith(base_iri + ELI_MARK) else iri
    return {
        "id": m.record_id, "iri": mapping_iri(base_iri, m.record_id),
        "subject": {"iri": m.subject, "eli": eli(m.subject), "label": m.subject_label, "redaction": m.subject_version},
        "object": None if m.no_counterpart else {"iri": m.object, "eli": eli(m.object), "label": m.object_label,
                                                  "redaction": m.object_version},
        "no_counterpart": m.no_counterpart,
        "predicate": m.predicate, "predicate_modifier": m.predicate_modifier,
        "relation": m.relation, "rationale": m.rationale, "strength": m.strength,
        "harmonization": m.harmonization, "confidence": m.confidence, "lifecycle": m.lifecycle,
        "stale": m.lifecycle == "stale", "stale_from": m.stale_from,
        "justification": m.justification, "author": {"iri": m.author, "label": m.author_label},
        "reviewer": {"iri": m.reviewer, "label": m.reviewer_label} if m.reviewer else None,
        "mapping_date": m.mapping_date, "comment": m.comment, "mapping_set": m.mapping_set,
    }


def list_mappings(ctx: Context, source: str | None = None, target: str | None = None, act: str | None = None,
                  provision: str | None = None, status: tuple[str, ...] = (), relation: tuple[str, ...] = (),
                  harmonization: tuple[str, ...] = (), limit: int = 100, offset: int = 0) -> dict:
    """Mappings filtered by acts (source = subject's, target = object's), provision and closed-list values."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise BadRequest("limit must be 1..1000 and offset >= 0")
    f = Filters(lifecycle=_check(status, LIFECYCLE, "status"), relation=_check(relation, RELATIONS, "relation"),
                harmonization=_check(harmonization, HARMONIZATION, "harmonization"))
    if source:
        f.source_act = act_iri(ctx, source)
    if target:
        f.target_act = act_iri(ctx, target)
    if act:
        f.act = act_iri(ctx, act)
    if provision:
        f.provision = provision_iri(ctx, provision)[0]
    allm = ctx.table().select(f)
    return {"total": len(allm), "offset": offset, "limit": limit,
            "mappings": [as_json(m, ctx.base_iri) for m in allm[offset:offset + limit]]}


def for_provision(ctx: Context, iri: str) -> list[dict]:
    """Mappings of a provision, of its sub-provisions, and of its article when it is a part."""
    table = ctx.table()
    out = table.select(Filters(provision=iri))
    article = top_unit_of(iri)
    if article != iri:   # a part or point: its article's mappings concern it too
        seen = {m.record_id for m in out}
        out += [m for m in table.select(Filters(provision=article)) if m.record_id not in seen
                and article in (m.subject, m.object)]
    # real counterparts first: `not_related` and no-counterpart rows after them (stable: the
    # table's order holds within each group)
    out.sort(key=lambda m: (m.relation == "not_related", m.relation is None))
    return [as_json(m, ctx.base_iri) for m in out]


def get_mapping(ctx: Context, record_id: str) -> dict:
    """A mapping with its PROV history and `version`, the entity tag of this state (the ETag
    a review's If-Match names); KeyError when there is none."""
    snap = ctx.repo.snapshot(record_id)
    return {**as_json(snap.mapping, ctx.base_iri), "history": snap.history, "version": snap.etag}


def create_mapping(ctx: Context, body: dict, agent: str, agent_label: str = "") -> dict:
    """A new `proposed` mapping from a JSON body (subject, object|null, relation, harmonization, confidence …)."""
    subject, _ = provision_iri(ctx, str(body.get("subject") or ""))
    obj_ref = body.get("object")
    obj = provision_iri(ctx, str(obj_ref))[0] if obj_ref else NO_TERM_FOUND
    relation = body.get("relation") if obj_ref else None
    if obj_ref and relation not in RELATIONS:
        raise BadRequest(f"relation {relation!r}: use one of {', '.join(RELATIONS)}")
    harmonization = body.get("harmonization", "divergent" if not obj_ref else None)
    if harmonization not in HARMONIZATION:
        raise BadRequest(f"harmonization {harmonization!r}: use one of {', '.join(HARMONIZATION)}")
    rationale = body.get("rationale")
    if rationale is not None and rationale not in RATIONALES:
        raise BadRequest(f"rationale {rationale!r}: use one of {', '.join(RATIONALES)}")
    try:
        confidence = float(body.get("confidence", 0.8))
        strength = int(body["strength"]) if body.get("strength") is not None else None
    except (TypeError, ValueError):
        raise BadRequest("confidence must be a number in [0, 1] and strength an integer 0..10") from None
    m = Mapping(subject=subject, object=obj, relation=relation, harmonization=harmonization, confidence=confidence,
                author=agent, author_label=agent_label or None, mapping_date=today(), rationale=rationale,
                strength=strength, comment=(str(body["comment"])[:2000] if body.get("comment") else None),
                justification="semapv:ManualMappingCuration", record_id=uuid.uuid4().hex[:16])
    before = ctx.before_write()
    created = ctx.repo.create(m, agent)
    ctx.wrote(before, [created.record_id])
    return as_json(created, ctx.base_iri)


def review_mapping(ctx: Context, record_id: str, decision: str, agent: str, comment: str | None,
                   agent_label: str = "", if_match: tuple[str, ...] | None = None) -> dict:
    """Accept or reject a proposed or stale mapping; the mapping as `get_mapping` gives it after.

    ReviewConflict when it is not open for review (or another review came first),
    VersionMismatch when `if_match` (entity tags) does not name its current version."""
    before = ctx.before_write()
    ctx.repo.review(record_id, decision, agent, comment, agent_label or None, if_match=if_match)
    ctx.wrote(before, [record_id])
    return get_mapping(ctx, record_id)


def suggest(ctx: Context, suggester: Suggester, source: str, target_act: str, limit: int = 5) -> dict:
    src, src_work = provision_iri(ctx, source)
    tgt = act_iri(ctx, target_act)
    if not 1 <= limit <= 50:
        raise BadRequest("limit must be 1..50")
    jur = {r["w"]: r["j"] for r in q.select(ctx.store, "jurisdictions", works=[src_work, tgt])}
    if jur.get(src_work) == jur.get(tgt):
        raise BadRequest("source and target act are in the same jurisdiction; suggestions cross jurisdictions")
    try:
        cands = ranked(ctx.table(), suggester, src, src_work, tgt, limit)
    except KeyError as exc:
        raise BadRequest(str(exc.args[0])) from None
    return {"source": src, "target_act": tgt, "candidates": [c.as_dict() for c in cands]}


def suggest_parts(ctx: Context, suggester: Suggester, source: str, target: str, limit: int = 3) -> dict:
    """Part/point-level counterparts inside two articles of different jurisdictions (a provision
    inside an article stands for its article), with the reviewed mapping between the two articles
    when there is one. Machine suggestions: never reviewed, never stored."""
    src_iri, src_work = provision_iri(ctx, source)
    tgt_iri, tgt_work = provision_iri(ctx, target)
    if not 1 <= limit <= 10:
        raise BadRequest("limit must be 1..10")
    jur = {r["w"]: r["j"] for r in q.select(ctx.store, "jurisdictions", works=[src_work, tgt_work])}
    if jur.get(src_work) == jur.get(tgt_work):
        raise BadRequest("source and target are in the same jurisdiction; part suggestions cross jurisdictions")
    src_art, tgt_art = top_unit_of(src_iri), top_unit_of(tgt_iri)
    reviewed = [m for m in ctx.table().select(Filters(provision=src_art))
                if m.lifecycle in ("accepted", "stale") and {m.subject, m.object} == {src_art, tgt_art}]
    units = parts_service.suggest_parts(ctx.store, suggester, src_art, tgt_art, limit)
    return {"source_article": src_art, "target_article": tgt_art, "reviewed": False,
            "note": "machine suggestions inside the two articles, not reviewed",
            "article_mapping": ({"id": reviewed[0].record_id, "relation": reviewed[0].relation,
                                 "lifecycle": reviewed[0].lifecycle} if reviewed else None),
            "units": [u.as_dict() for u in units]}


def ranked(table: MappingTable, suggester: Suggester, source_iri: str, source_work: str, target_work: str,
           k: int = 5) -> list[Candidate]:
    """`Suggester.suggest` anchored on the accepted pairs of a mapping table (the one
    `Context.table` keeps) instead of two queries per call; KeyError as there."""
    return suggester.suggest(source_iri, source_work, target_work, k,
                             pairs=table.accepted_pairs(source_work, target_work))


def ranked_many(table: MappingTable, suggester: Suggester, source_iris: list[str], source_work: str,
                target_work: str, k: int = 1) -> dict[str, list[Candidate]]:
    """`Suggester.suggest_many` anchored on the accepted pairs of a mapping table."""
    return suggester.suggest_many(source_iris, source_work, target_work, k,
                                  pairs=table.accepted_pairs(source_work, target_work))


def curie_prefixes(ctx: Context, mappings: list[Mapping]) -> dict[str, str]:
    """CURIE prefixes for an SSSOM file of `mappings`: one per act they touch, and the agents'."""
    works = {r["w"]: r["id"] for r in q.select(ctx.store, "act_identifiers")}
    used = {work_of(x) for m in mappings for x in (m.subject, m.object) if x != NO_TERM_FOUND}
    out = {"lexmapagent": f"{ctx.base_iri}/agent/"}
    for w, path in works.items():
        if w in used:
            out[file_stem(path)] = w + "/"
    return out


def export(ctx: Context, fmt: str, source_act: str | None = None, target_act: str | None = None) -> tuple[str, str]:
    """(body, media type) of the mappings between two acts (or all) in sssom|csv|ttl|jsonld,
    kept until the next write (or the next day: the SSSOM header carries today's date)."""
    return ctx.cached("export", (fmt, source_act, target_act, today()), lambda: _export(ctx, fmt, source_act, target_act))


def _export(ctx: Context, fmt: str, source_act: str | None, target_act: str | None) -> tuple[str, str]:
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    f = Filters()
    if source_act:
        f.source_act = act_iri(ctx, source_act)
    if target_act:
        f.target_act = act_iri(ctx, target_act)
    table = ctx.table()
    mappings = table.select(f)
    if target_act:
        # a provision with no counterpart has no target act: keep the gaps of either act
        have = {x.record_id for x in mappings}
        for work in (f.source_act, f.target_act):
            if work:
                mappings += [m for m in table.select(Filters(source_act=work))
                             if m.no_counterpart and m.record_id not in have]
                have = {x.record_id for x in mappings}
    if fmt == "sssom":
        meta = {"mapping_set_id": f"{ctx.base_iri}/mappings/export",
                "mapping_set_title": "lexmap export" + (f": {source_act} → {target_act}" if source_act or target_act else ""),
                "license": "https://creativecommons.org/licenses/by/4.0/", "mapping_date": today()}
        if f.source_act:
            meta["subject_source"] = f.source_act
        if f.target_act:
            meta["object_source"] = f.target_act
        return write_sssom(mappings, meta, curie_prefixes(ctx, mappings), ctx.base_iri), EXPORT_FORMATS[fmt]
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["id", "subject", "subject_label", "relation", "object", "object_label", "harmonization",
                    "confidence", "lifecycle", "author", "reviewer", "mapping_date", "comment"])
        for m in mappings:
            w.writerow([m.record_id, m.subject, m.subject_label, m.relation or "no counterpart",
                        "" if m.no_counterpart else m.object, m.object_label or "", m.harmonization, m.confidence,
                        m.lifecycle, m.author_label or m.author, m.reviewer_label or m.reviewer or "",
                        m.mapping_date, m.comment or ""])
        return out.getvalue(), EXPORT_FORMATS[fmt]
    from ingest.mappings.model import to_graph
    g = to_graph(mappings, ctx.base_iri, Graph())
    # Oxigraph's serializers: rdflib's Turtle and JSON-LD writers took ~1 s for the largest act pair
    triples = [ox.Triple(_ox(s), _ox(p), _ox(o)) for s, p, o in g]
    if fmt == "ttl":
        prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8"), EXPORT_FORMATS[fmt]
    body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    return json.dumps(json.loads(body), ensure_ascii=False, indent=1), EXPORT_FORMATS[fmt]


def _ox(term):
    """An rdflib term as a pyoxigraph one (for serialising)."""
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))) if term.datatype else ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))


__all__ = ["BadRequest", "Context", "MappingError", "as_json", "create_mapping", "export", "for_provision",
           "get_mapping", "list_mappings", "ranked", "ranked_many", "review_mapping", "suggest"]
