"""Mappings in the graph store: load a curated set, create, review, flag stale —
each write validated by the shapes, atomic, and recorded in a PROV trail.

Graphs: one per curated set (`{base}/graph/mappings/{name}`), one for mappings
made through the API (`{base}/graph/mappings/api`), and the provenance graph
(`{base}/graph/provenance`) that keeps every edit: who, when, what changed.

Every write of a mapping is one conditional SPARQL update: it applies only if the
mapping is still in the state it was read in (same lifecycle, no activity in its
trail since), and the write's own PROV activity says afterwards whether it took.
So two racing reviews cannot both win, and a re-loaded curated set never writes
over a review or a stale flag made after it was read.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from ontology import LEXMAP

from ..store import JOURNAL, STAGING, GraphStore
from ..identifiers import work_of
from ..query import InvalidTerm, catalog as q, iriref
from ..query.rows import (EndAct, HistoryEntry, MappingEnd, MappingEnds, MappingGraph, ShortTitle, TrailEntry,
                          Value)
from ..query.terms import ntriples
from ..text import provision_text, provision_texts, text_hash
from ..validate import Violation
from .model import HARMONIZATION, LIFECYCLE, NO_TERM_FOUND, RELATIONS, Mapping, from_row, mapping_iri, to_graph
from .sssom_tsv import MappingSet
from .validate import validate_mappings


class MappingError(ValueError):
    """A write that the shapes or the workflow refuse; `problems` says each reason."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class ReviewConflict(MappingError):
    """A review of a mapping that is not open for review (HTTP 409): it is accepted or
    rejected already, or another write changed it while this review was being made."""

    def __init__(self, message: str, record_id: str, lifecycle: str, reviewer: str | None = None,
                 since: str | None = None, etag: str | None = None):
        super().__init__(message)
        self.record_id, self.lifecycle, self.reviewer, self.since, self.etag = (record_id, lifecycle, reviewer,
                                                                                  since, etag)


class VersionMismatch(MappingError):
    """If-Match names a version of the mapping that is no longer current (HTTP 412)."""

    def __init__(self, message: str, record_id: str, etag: str):
        super().__init__(message)
        self.record_id, self.etag = record_id, etag


# Only these states can be reviewed; a decision is changed by proposing a new mapping.
REVIEWABLE = ("proposed", "stale")
# What review and the stale check change; the other fields are the mapping's content.
STATE_FIELDS = ("lifecycle", "reviewer", "reviewer_label", "stale_from", "subject_hash", "object_hash",
                "subject_version", "object_version")
CONTENT_FIELDS = tuple(f.name for f in fields(Mapping) if f.name not in STATE_FIELDS + ("record_id", "extra"))
IMPORT = "import"              # loading a set; a mapping whose trail holds only imports follows its file
CURATED_EDIT = "curated edit"  # a changed row of a mapping reviewed or flagged since: a new proposal
ANY = "urn:lexmap:any"         # mapping_list.rq's list of an empty filter: lets every value through
FEW_ENDS = 40                # up to this many ends of one act: their texts are read one by one (see _texts)


@dataclass(frozen=True)
class Expected:
    """The state a conditional write requires: the lifecycle and the trail it was read with
    (lifecycle None: the mapping must not exist yet)."""

    lifecycle: str | None
    activities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    """A mapping read consistently with its graph and PROV trail."""

    mapping: Mapping
    graph: str
    history: list[dict]

    @property
    def activities(self) -> frozenset[str]:
        return frozenset(h["activity"] for h in self.history)

    @property
    def etag(self) -> str:
        return entity_tag(self.mapping, self.activities)

    @property
    def expected(self) -> Expected:
        return Expected(self.mapping.lifecycle, self.activities)


@dataclass(frozen=True)
class _Step:
    """One mapping write of a set load."""

    mapping: Mapping
    action: str
    changes: list[str]
    remove: bool = False


_STAGED = "urn:lexmap:staged#"   # the terms of a staged set load (mapping_stage_apply.rq)


@dataclass(frozen=True)
class _Write:
    """One guarded mapping write of a set load: replace (`new` None: remove) the mapping `node` in
    `graph` and add `prov` (the activity `activity`) to the trail, if the mapping is as `expect`."""

    node: str
    graph: str
    new: Graph | None
    prov: Graph
    expect: Expected
    activity: str

    def size(self) -> int:
        """Triples the write sends."""
        return (len(self.new) if self.new is not None else 0) + len(self.prov)

    def staged(self, op: str, provenance: str) -> Iterable[tuple]:
        """The write as staged triples (see mapping_stage_apply.rq), the op `op` first."""
        s, node = URIRef(op), URIRef(self.node)
        yield s, URIRef(_STAGED + "node"), node
        yield s, URIRef(_STAGED + "graph"), URIRef(self.graph)
        if self.expect.lifecycle is None:
            yield s, RDF.type, URIRef(_STAGED + "Create")
        else:
            yield s, URIRef(_STAGED + "lifecycle"), LIFECYCLE[self.expect.lifecycle]
            for known in sorted(self.expect.activities):
                yield s, URIRef(_STAGED + "known"), URIRef(known)
        payload = [(t, self.graph) for t in (self.new if self.new is not None else ())]
        payload += [(t, provenance) for t in self.prov]
        for i, ((ts, tp, to), into) in enumerate(payload):
            t = URIRef(f"{op}/t/{i}")
            yield t, URIRef(_STAGED + "op"), s
            yield t, URIRef(_STAGED + "into"), URIRef(into)
            yield t, URIRef(_STAGED + "s"), ts
            yield t, URIRef(_STAGED + "p"), tp
            yield t, URIRef(_STAGED + "o"), to


def entity_tag(m: Mapping, activities: Iterable[str]) -> str:
    """The strong HTTP entity tag (quoted) of a mapping's state: lifecycle, reviewer and trail.

    Every write adds an activity to the trail, so any change gives a new tag."""
    text = "\n".join([m.record_id, m.lifecycle, m.reviewer or "", *sorted(activities)])
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class End:
    """What the store says about one end of a mapping."""

    iri: str
    work: str
    jurisdiction: str
    act: str            # ELI path of the act
    label: str          # "Статья 196. Общий срок исковой давности"
    expression: str     # IRI of the latest redaction of the act
    text_hash: str      # of its text there: of no text when the provision is not in that redaction
    present: bool = True   # whether the act's latest redaction holds the provision (else: only older ones)


@dataclass
class Filters:
    """Which mappings to list; empty means any."""

    provision: str | None = None           # either end is this provision (or inside it)
    source_act: str | None = None          # IRI of the act of the subject
    target_act: str | None = None          # IRI of the act of the object
    act: str | None = None                 # either end in this act
    lifecycle: tuple[str, ...] = ()
    relation: tuple[str, ...] = ()
    harmonization: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()    # (subject's, object's)


@dataclass(frozen=True)
class MappingTable:
    """Every mapping read at once, with the acts of their ends as the store states them.

    `select` answers what `MappingRepository.list` answers (same filters, same rows, same
    order: by subject then object, ties by record id) from memory: there are thousands of
    mappings, so a reader that keeps the table until the next write (the app context's memo)
    filters it in microseconds, where a query joining the mappings to their acts over the
    union graph took seconds."""

    mappings: tuple[Mapping, ...]
    acts: dict[str, frozenset[str]]      # end IRI -> its acts (lexmap:act); absent: not in the store

    def _in(self, end: str, work: str) -> bool:
        return work in self.acts.get(end, ())

    def matches(self, m: Mapping, f: Filters) -> bool:
        """Whether `m` passes the filters, as mapping_list.rq decides it."""
        p = f.provision
        if p and not (p in (m.subject, m.object) or m.subject.startswith(p + "__") or m.object.startswith(p + "__")):
            return False
        if f.source_act and not self._in(m.subject, f.source_act):
            return False
        if f.target_act and not self._in(m.object, f.target_act):
            return False
        if f.act and not (self._in(m.subject, f.act) or self._in(m.object, f.act)):
            return False
        return ((not f.lifecycle or m.lifecycle in f.lifecycle) and (not f.relation or m.relation in f.relation)
                and (not f.harmonization or m.harmonization in f.harmonization))

    def select(self, f: Filters | None = None) -> list[Mapping]:
        """The mappings passing `f` (None: all), ordered by subject then object."""
        return list(self.mappings) if f is None else [m for m in self.mappings if self.matches(m, f)]

    def act_pairs(self) -> set[tuple[str, str]]:
        """(act of the subject, act of the object) of every mapping with a counterpart, read off
        the IRIs as `MappingRepository.act_pairs` does."""
        return {(work_of(m.subject), work_of(m.object)) for m in self.mappings if m.object != NO_TERM_FOUND}

    def counterpart_acts(self, work: str) -> list[str]:
        """Acts that mappings pair with `work` (as `MappingRepository.counterpart_acts`)."""
        return sorted({b if a == work else a for a, b in self.act_pairs() if work in (a, b) and a != b})

    def accepted_pairs(self, source_work: str, target_work: str) -> list[tuple[str, str]]:
        """(source, target) pairs of the accepted mappings between the two acts, either way, not
        `not_related`: the suggester's anchors (what `Suggester.accepted_pairs` reads with
        accepted_article_pairs.rq)."""
        out = []
        for m in self.mappings:
            if m.lifecycle != "accepted" or m.relation in (None, "not_related"):
                continue
            if self._in(m.subject, source_work) and self._in(m.object, target_work):
                out.append((m.subject, m.object))
            if self._in(m.subject, target_work) and self._in(m.object, source_work):
                out.append((m.object, m.subject))
        return out


@dataclass
class LoadReport:
    """What loading a mapping set did."""

    name: str
    loaded: int = 0                 # mappings in the set
    violations: list[str] = field(default_factory=list)
    added: int = 0                  # new in the store
    updated: int = 0                # row changed in the file, mapping untouched since its import: rewritten
    proposed: int = 0               # row changed in the file, mapping reviewed or flagged since: a new proposal
    kept: int = 0                   # reviewed or flagged since its import, row unchanged: left as it is
    removed: int = 0                # no longer in the file and untouched since its import
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """How many mappings the load wrote or removed."""
        return self.added + self.updated + self.proposed + self.removed


def _now() -> str:
    # microseconds: a review and a re-load in the same second still keep their order in the trail
    return datetime.now(timezone.utc).isoformat()


def _instant(value: str) -> datetime:
    """An xsd:dateTime of the trail as a datetime (older entries have whole seconds)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class MappingRepository:
    """Read and write mappings in a graph store."""

    def __init__(self, store: GraphStore, base_iri: str):
        self.store = store
        self.base = base_iri.rstrip("/")
        self.prov_graph = f"{self.base}/graph/provenance"

    # ------------------------------------------------------------------ names
    def set_iri(self, name: str) -> str:
        return f"{self.base}/mappings/{name}"

    def set_graph(self, name: str) -> str:
        return f"{self.base}/graph/mappings/{name}"

    def agent_iri(self, name: str) -> str:
        return f"{self.base}/agent/{name}"

    # ------------------------------------------------------------------ queries
    def _select(self, name: str, row: type | None = None, **values) -> list:
        """Rows of a named query (see `catalog.select`); a value that is no IRI is a MappingError."""
        try:
            return q.select(self.store, name, row, **values)
        except InvalidTerm as exc:
            raise MappingError(str(exc)) from None

    def _update(self, operations: list[tuple[str, dict]]) -> None:
        """Run named updates as one request, one transaction; a value that is no IRI is a
        MappingError and nothing is written. The store makes this process's writes take turns,
        so a conditional update sees every earlier commit (see OxigraphStore.update). They
        write mappings, their sets, trails and staging only: the store's texts token stays."""
        try:
            q.update_all(self.store, operations, texts=False)
        except InvalidTerm as exc:
            raise MappingError(str(exc)) from None

    # ------------------------------------------------------------------ ends
    def ends(self, iris: set[str]) -> dict[str, End]:
        """Store facts of the provisions among `iris` that exist (absent ones are missing)."""
        iris = {i for i in iris if i != NO_TERM_FOUND}
        out: dict[str, End] = {}
        chunk = sorted(iris)
        for i in range(0, len(chunk), 1000):
            found = q.select(self.store, "mapping_ends", MappingEnd, provisions=chunk[i:i + 1000])
            latest: dict[str, MappingEnd] = {}
            for r in found:
                if r.p not in latest or r.d > latest[r.p].d:
                    latest[r.p] = r
            by_expr: dict[tuple[str, str], set[str]] = {}
            for r in latest.values():
                by_expr.setdefault((r.w, r.e), set()).add(r.eid)
            texts = {key: self._texts(key[0], key[1], eids) for key, eids in by_expr.items()}
            # a provision the act's latest redaction lacks has no text now, whatever older ones said
            newest = {w: self._latest_redaction(w) for w in {w for w, _ in by_expr}}
            for p, r in latest.items():
                label = r.label or r.eid
                if r.title:
                    label = f"{label}. {r.title}"
                present = newest[r.w] in (None, r.e)
                text = texts[(r.w, r.e)].get(r.eid, "") if present else ""
                out[p] = End(iri=p, work=r.w, jurisdiction=r.j, act=r.id, label=label,
                             expression=newest[r.w] or r.e, text_hash=text_hash(text), present=present)
        return out

    def _latest_redaction(self, work: str) -> str | None:
        """The IRI of the act's newest redaction in the store (None: none)."""
        found = q.select(self.store, "latest_redaction", work=work)
        return found[0]["e"] if found else None

    def _texts(self, work: str, expression: str, eids: set[str]) -> dict[str, str]:
        """Printed texts of provisions of one redaction: a few (one write's two ends) each by
        its own subtree (~2 ms), many (a set load, a stale check) by one read of the whole act
        (~250 ms on a code); both render the same text (the hashes agree)."""
        if len(eids) <= FEW_ENDS:
            return {eid: provision_text(self.store, work, expression, eid) for eid in eids}
        return provision_texts(self.store, work, expression, eids)

    def short_titles(self) -> dict[str, str]:
        """Act IRI -> its short citation title (ГК РФ), for labels."""
        return {r.w: r.s for r in q.select(self.store, "mapping_short_titles", ShortTitle)}

    def _end_facts(self, ends: dict[str, End]) -> Graph:
        g = Graph()
        for e in ends.values():
            g.add((URIRef(e.iri), RDF.type, LEXMAP.Provision))
            g.add((URIRef(e.iri), LEXMAP.act, URIRef(e.work)))
            g.add((URIRef(e.work), LEXMAP.jurisdiction, Literal(e.jurisdiction)))
        return g

    def complete(self, m: Mapping, ends: dict[str, End], short: dict[str, str] | None = None) -> Mapping:
        """Fill labels, redactions and text hashes from the store where the mapping lacks them."""
        if short is None:
            short = self.short_titles()
        changes: dict = {}
        for side in ("subject", "object"):
            end = ends.get(getattr(m, side))
            if end is None:
                continue
            if not getattr(m, f"{side}_label"):
                changes[f"{side}_label"] = f"{end.label} ({(short or {}).get(end.work, end.act)})"
            if not getattr(m, f"{side}_version"):
                changes[f"{side}_version"] = end.expression
            if not getattr(m, f"{side}_hash"):
                changes[f"{side}_hash"] = end.text_hash
        return m.with_changes(**changes) if changes else m

    # ------------------------------------------------------------------ validation
    def validate(self, mappings: list[Mapping], ends: dict[str, End],
                 origin: dict[str, str] | None = None) -> list[Violation]:
        """SHACL violations of mappings checked against the store facts of their ends.

        The data graph is the mappings' own triples plus what the shapes look at of their ends
        (type, act, jurisdiction: read by `ends` with mapping_ends.rq, which the labels and text
        hashes need anyway), never the store; only the mappings are targets of the shapes
        (see ingest.mappings.validate)."""
        g = to_graph(mappings, self.base, self._end_facts(ends))
        for m in mappings:
            node = URIRef(mapping_iri(self.base, m.record_id))
            for prop, end in ((LEXMAP.subjectJurisdiction, m.subject), (LEXMAP.objectJurisdiction, m.object)):
                if end in ends:
                    g.add((node, prop, Literal(ends[end].jurisdiction)))
        return validate_mappings(g, origin)

    # ------------------------------------------------------------------ reads
    def list(self, f: Filters | None = None, limit: int | None = None, offset: int = 0) -> list[Mapping]:
        """Mappings matching the filters, ordered by subject then object (`limit` None: all,
        `offset` ignored). An empty filter is given to the query as a value that lets every
        mapping through (mapping_list.rq; unpaged, mapping_list_all.rq sorted here: no server
        takes an unbounded ORDER BY ... LIMIT alike)."""
        f = f or Filters()
        values = dict(source_act=f.source_act or None, target_act=f.target_act or None, act=f.act or None,
                      provision=f.provision or "", lifecycles=_one_of(LIFECYCLE, f.lifecycle),
                      relations=_one_of(RELATIONS, f.relation), harmonizations=_one_of(HARMONIZATION, f.harmonization))
        if limit:
            return [from_row(r) for r in self._select("mapping_list", limit=int(limit), offset=int(offset), **values)]
        # no filter: every mapping's row (mapping_table.rq), which Virtuoso 7.2's cost estimate does
        # not refuse as it may refuse the filters' EXISTS tests ("estimated execution time ...")
        rows = (q.select(self.store, "mapping_table") if f == Filters()
                else self._select("mapping_list_all", **values))
        # ORDER BY ?subject ?object: IRIs by code point, as str compares them
        return sorted((from_row(r) for r in rows), key=lambda m: (m.subject, m.object))

    def table(self) -> MappingTable:
        """Every mapping with the acts of its ends, for filtering in memory (see MappingTable):
        two queries (~0.1-0.3 s on the default corpus), whatever the filters."""
        acts: dict[str, set[str]] = {}
        for r in q.select(self.store, "mapping_end_acts", EndAct):
            acts.setdefault(r.x, set()).add(r.w)
        found = [from_row(r) for r in q.select(self.store, "mapping_table")]
        # the order of mapping_list.rq (ORDER BY ?subject ?object: IRIs by code point, as str compares)
        found.sort(key=lambda m: (m.subject, m.object, m.record_id))
        return MappingTable(tuple(found), {x: frozenset(w) for x, w in acts.items()})

    def table_with(self, table: MappingTable, record_ids: Iterable[str]) -> MappingTable:
        """`table` with these mappings read again (new, changed or gone), the rest as they were:
        what `table()` reads once only they were written since `table` was read, for one small
        query per mapping and per new end instead of reading every mapping (~0.5 s)."""
        ids = set(record_ids)
        fresh = [from_row(r) for rid in sorted(ids) for r in self._select("mapping_get", record_id=rid)]
        acts = dict(table.acts)
        for m in fresh:
            for end in (m.subject, m.object):
                if end != NO_TERM_FOUND and end not in acts:
                    found = frozenset(r.v for r in self._select("provision_acts", Value, iri=end))
                    if found:                    # absent from the table: not in the store
                        acts[end] = found
        kept = [m for m in table.mappings if m.record_id not in ids]
        found = sorted(kept + fresh, key=lambda m: (m.subject, m.object, m.record_id))
        return MappingTable(tuple(found), acts)

    def act_pairs(self) -> set[tuple[str, str]]:
        """(act of the subject, act of the object) of every mapping with a counterpart."""
        # A provision's IRI is its act's IRI + "/" + eId: reading the acts off the IRIs
        # avoids a join through lexmap:act that the union graph makes slow (~100 s).
        found = q.select(self.store, "mapping_ends_all", MappingEnds)
        return {(work_of(r.s), work_of(r.o)) for r in found if r.o != NO_TERM_FOUND}

    def counterpart_acts(self, work: str) -> list[str]:
        """Acts that mappings pair with `work` (the other side of its mapping sets)."""
        return sorted({b if a == work else a for a, b in self.act_pairs() if work in (a, b) and a != b})

    def get(self, record_id: str) -> Mapping | None:
        """The mapping with this record id, or None."""
        found = self._select("mapping_get", record_id=record_id)
        return from_row(found[0]) if found else None

    def graph_of(self, record_id: str) -> str | None:
        """The graph that holds the mapping, or None."""
        found = self._select("mapping_graph", Value, record_id=record_id)
        return found[0].v if found else None

    def snapshot(self, record_id: str) -> Snapshot:
        """The mapping with its graph and trail as of one moment (KeyError when there is none).

        Every write adds an activity to the trail in the same transaction as its change, so
        a mapping read between two equal readings of the trail is the state of that trail."""
        try:
            iriref(mapping_iri(self.base, record_id))
        except InvalidTerm:
            raise KeyError(record_id) from None   # no stored mapping has such an id ('"', '>', a control character)
        for _ in range(5):
            before = self.history(record_id)
            m, graph = self.get(record_id), self.graph_of(record_id)
            if m is None or graph is None:
                raise KeyError(record_id)
            after = self.history(record_id)
            if {h["activity"] for h in before} == {h["activity"] for h in after}:
                return Snapshot(m, graph, after)
        raise ReviewConflict(f"mapping {record_id} is being changed right now; read it again", record_id,
                             m.lifecycle)

    def _trails(self, record_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """record id -> (activity IRI, action) of each activity in its PROV trail."""
        out: dict[str, list[tuple[str, str]]] = {}
        ids = sorted(set(record_ids))
        prefix = mapping_iri(self.base, "")
        for i in range(0, len(ids), 1000):
            nodes = [mapping_iri(self.base, x) for x in ids[i:i + 1000]]
            for r in self._select("mapping_trails", TrailEntry, mappings=nodes, provenance=self.prov_graph):
                out.setdefault(r.m.removeprefix(prefix), []).append((r.a, r.what))
        return out

    def _stored(self, record_ids: Iterable[str]) -> dict[str, tuple[Mapping, str]]:
        """record id -> (stored mapping, its graph) of those among `record_ids` that exist."""
        out: dict[str, tuple[Mapping, str]] = {}
        ids = sorted(set(record_ids))
        for i in range(0, len(ids), 500):
            nodes = [mapping_iri(self.base, x) for x in ids[i:i + 500]]
            graphs = {r.m: r.g for r in self._select("mapping_graphs", MappingGraph, mappings=nodes)}
            for r in self._select("mapping_rows", mappings=nodes):
                if r["m"] in graphs:
                    out[r["record_id"]] = (from_row(r), graphs[r["m"]])
        return out

    def history(self, record_id: str) -> list[dict]:
        """The PROV trail of one mapping, oldest first."""
        found = self._select("mapping_history", HistoryEntry, mapping=mapping_iri(self.base, record_id))
        # edits at the same instant: a mapping is created before anything else happens to it
        found.sort(key=lambda r: (_instant(r.when), r.what != "create"))
        return [{"activity": r.a, "agent": r.who, "time": r.when, "action": r.what,
                 "comment": r.note, "changes": [c for c in (r.changes or "").split("\n") if c]}
                for r in found]

    # ------------------------------------------------------------------ writes
    def _activity(self, g: Graph, action: str, agent: str, used: list[str], changes: list[str],
                  comment: str | None = None) -> str:
        a = URIRef(f"{self.base}/activity/{uuid.uuid4().hex}")
        g.add((a, RDF.type, LEXMAP.MappingEdit))
        g.add((a, RDF.type, PROV.Activity))
        g.add((a, RDFS.label, Literal(action)))
        g.add((a, PROV.wasAssociatedWith, URIRef(agent)))
        g.add((a, PROV.endedAtTime, Literal(_now(), datatype=XSD.dateTime)))
        for u in used:
            g.add((a, PROV.used, URIRef(u)))
        for c in changes:
            g.add((a, LEXMAP.change, Literal(c)))
        if comment:
            g.add((a, RDFS.comment, Literal(comment)))
        return str(a)

    def _write_op(self, node: str, graph: str, new: Graph | None, prov: Graph,
                  expect: Expected) -> tuple[str, dict]:
        """The named update (with its values) that replaces (or, `new` None, removes) a mapping
        and adds its activity, applied only if the mapping is as expected: mapping_create.rq
        when it must not exist yet, else mapping_write.rq (its lifecycle and trail as read)."""
        values = {"graph": graph, "node": node, "provenance": self.prov_graph,
                  "mapping": ntriples(new if new is not None else Graph()), "activity": ntriples(prov)}
        if expect.lifecycle is None:
            return "mapping_create", values
        return "mapping_write", {**values, "lifecycle": str(LIFECYCLE[expect.lifecycle]),
                                 "known": sorted(expect.activities)}

    def _took(self, activities: list[str]) -> set[str]:
        """Those of `activities` that are in the trail (their conditional write applied)."""
        took: set[str] = set()
        for i in range(0, len(activities), 1000):
            took |= {r.v for r in self._select("mapping_activities_recorded", Value,
                                               activities=activities[i:i + 1000], provenance=self.prov_graph)}
        return took

    def _write(self, m: Mapping, graph: str, action: str, agent: str, changes: list[str], expect: Expected,
               comment: str | None = None) -> bool:
        """Replace one mapping and record the edit, if it is still as `expect`; whether it took."""
        node = mapping_iri(self.base, m.record_id)
        prov = Graph()
        activity = self._activity(prov, action, agent, [node], changes, comment)
        self._update([self._write_op(node, graph, to_graph([m], self.base), prov, expect)])
        return bool(self._took([activity]))

    def create(self, m: Mapping, agent: str) -> Mapping:
        """Store a new mapping made through the API (always `proposed`).

        Validated against the mapping shapes with its ends' facts (see `validate`); stored by a
        conditional update that applies only if no mapping has its record id (mapping_create.rq),
        so a taken id is refused by the write itself, with no read before it."""
        m = m.with_changes(lifecycle="proposed", reviewer=None, reviewer_label=None, author=agent,
                           mapping_set=self.set_iri("api"), record_id=m.record_id or uuid.uuid4().hex[:16])
        ends = self.ends({m.subject, m.object})
        m = self.complete(m, ends)
        problems = [f"{x}: no such provision in the store" for x in (m.subject, m.object)
                    if x != NO_TERM_FOUND and x not in ends]
        problems += [v.message + (f" ({v.value})" if v.value else "") for v in self.validate([m], ends)]
        if problems:
            raise MappingError("the mapping is not valid", problems)
        if not self._write(m, self.set_graph("api"), "create", agent,
                           [f"created: {m.subject} {m.relation or 'no counterpart'} {m.object}"], Expected(None)):
            raise MappingError(f"mapping {m.record_id} exists already")
        return m

    # ------------------------------------------------------------------ review
    def review(self, record_id: str, decision: str, agent: str, comment: str | None = None,
               agent_label: str | None = None, if_match: Collection[str] | None = None) -> Mapping:
        """Accept or reject a `proposed` or `stale` mapping; the reviewer and the change go to the PROV trail.

        `if_match`: entity tags (see `entity_tag`) one of which must be the current one, else
        VersionMismatch. A mapping already accepted or rejected raises ReviewConflict. The check
        and the write are one conditional update, so of two racing reviews exactly one is stored;
        the other gets ReviewConflict (VersionMismatch when it gave `if_match`).
        """
        if decision not in ("accept", "reject"):
            raise MappingError(f"decision {decision!r}: use accept or reject")
        snap = self.snapshot(record_id)
        self._check_reviewable(snap, agent, if_match)
        m = snap.mapping
        new = "accepted" if decision == "accept" else "rejected"
        ends = self.ends({m.subject, m.object})
        # Reviewing a stale mapping confirms it on the current texts.
        updated = m.with_changes(lifecycle=new, reviewer=agent, reviewer_label=agent_label, stale_from=None,
                                 subject_hash=ends[m.subject].text_hash if m.subject in ends else m.subject_hash,
                                 object_hash=ends[m.object].text_hash if m.object in ends else m.object_hash,
                                 subject_version=ends[m.subject].expression if m.subject in ends else m.subject_version,
                                 object_version=ends[m.object].expression if m.object in ends else m.object_version)
        problems = [v.message for v in self.validate([updated], ends)]
        if problems:
            raise MappingError("the reviewed mapping is not valid", problems)
        changes = [f"lifecycle: {m.lifecycle} -> {new}", f"reviewer: {m.reviewer or '-'} -> {agent}"]
        if not self._write(updated, snap.graph, "review", agent, changes, snap.expected, comment):
            # another write came first: say what it left (this raises), or that it came
            now = self.snapshot(record_id)
            self._check_reviewable(now, agent, if_match)
            raise self._conflict(now, "it changed while this review was being made; read it again")
        return updated

    def _check_reviewable(self, snap: Snapshot, agent: str, if_match: Collection[str] | None) -> None:
        """Raise unless `agent` may review the mapping in this state (If-Match first, as HTTP orders it)."""
        m = snap.mapping
        if if_match is not None and snap.etag not in if_match:
            raise VersionMismatch(f"mapping {m.record_id} has changed: its current version is {snap.etag} "
                                  f"({m.lifecycle}); read it again before reviewing", m.record_id, snap.etag)
        if m.lifecycle not in REVIEWABLE:
            raise self._conflict(snap, f"only a {' or '.join(REVIEWABLE)} mapping can be reviewed; "
                                       "to change the decision, propose a new mapping")
        if agent == m.author:
            # four eyes: the one who proposed a mapping does not confirm it
            raise MappingError(f"{agent} proposed this mapping; another reviewer has to review it")

    def _conflict(self, snap: Snapshot, why: str) -> ReviewConflict:
        m = snap.mapping
        last = snap.history[-1] if snap.history else {}
        who = m.reviewer_label or m.reviewer or last.get("agent") or "?"
        since = last.get("time")
        how = f"{last['action']} by {who}, {since}" if last else f"reviewer {who}"
        return ReviewConflict(f"mapping {m.record_id} is {m.lifecycle} ({how}): {why}", m.record_id, m.lifecycle,
                              m.reviewer, since, snap.etag)

    # ------------------------------------------------------------------ stale check
    def mark_stale(self, works: set[str] | None = None, agent: str | None = None) -> list[str]:
        """Flag mappings whose end's text changed since they were made; returns their record ids.

        A mapping reviewed (or otherwise changed) while the check ran is left to the next check."""
        f = Filters()
        trails = self._trails(r.v for r in self._select("mapping_record_ids", Value))
        # read after the trails: a write in between fails the guard of mapping_write.rq
        candidates = [m for m in self.list(f) if m.lifecycle != "stale"]
        ends = self.ends({x for m in candidates for x in (m.subject, m.object)})
        if works:
            candidates = [m for m in candidates
                          if any(ends.get(x) and ends[x].work in works for x in (m.subject, m.object))]
        stale: list[str] = []
        for m in candidates:
            changed = [side for side in ("subject", "object")
                       if getattr(m, side) in ends and getattr(m, f"{side}_hash")
                       and ends[getattr(m, side)].text_hash != getattr(m, f"{side}_hash")]
            gone = [side for side in ("subject", "object")
                    if getattr(m, side) != NO_TERM_FOUND and getattr(m, side) not in ends]
            if not changed and not gone:
                continue
            graph = self.graph_of(m.record_id)
            if graph is None:
                continue
            why = [_stale_reason(side, ends[getattr(m, side)]) for side in changed]
            why += [f"{side} no longer in the store (its provision or act was removed)" for side in gone]
            expect = Expected(m.lifecycle, frozenset(a for a, _ in trails.get(m.record_id, [])))
            if self._write(m.with_changes(lifecycle="stale", stale_from=m.lifecycle), graph, "stale check",
                           agent or self.agent_iri("lexmap"), [f"lifecycle: {m.lifecycle} -> stale"] + why, expect):
                stale.append(m.record_id)
        return stale

    # ------------------------------------------------------------------ curated sets
    def load_set(self, mset: MappingSet, name: str, agent: str, origin_path: str,
                 short: dict[str, str] | None = None, fingerprint: str | None = None) -> LoadReport:
        """Validate a whole mapping set and merge it into the store in one transaction.

        Any violation leaves the store as it was; each is reported with its line. The PROV
        trail decides what a re-load may change (see `_merge_row`): a mapping whose trail
        holds only imports follows the file; one reviewed, flagged stale or edited since
        keeps its state, and a change of its row comes in as a new proposal. Re-loading an
        unchanged file changes no mapping.
        """
        report = LoadReport(name=name)
        graph = self.set_graph(name)
        in_set = {r.v for r in self._select("mapping_set_record_ids", Value, graph=graph)}
        ids = in_set | {m.record_id for m in mset.mappings}
        trails = self._trails(ids)     # read before the mappings: an edit in between fails its write's guard
        stored = self._stored(ids)
        ends = self.ends({m.subject for m in mset.mappings} | {m.object for m in mset.mappings})
        rows = [self.complete(_fill_from(m, stored[m.record_id][0] if m.record_id in stored else None), ends, short)
                for m in mset.mappings]
        line = {mapping_iri(self.base, m.record_id): f"{origin_path}:{mset.lines.get(m.record_id, '?')}" for m in rows}
        report.violations = self._set_violations(rows, ends, line, origin_path)
        if report.violations:
            return report
        steps = [s for m in rows if (s := self._merge_row(m, stored.get(m.record_id), trails.get(m.record_id, []),
                                                          ends, report))]
        proposals = [s.mapping for s in steps if s.action == CURATED_EDIT]
        report.violations = self._set_violations(proposals, ends, line, origin_path) if proposals else []
        if report.violations:
            return report
        steps += self._withdrawn(in_set - {m.record_id for m in rows}, stored, trails, origin_path, report)
        writes: list[_Write] = []
        for step in steps:
            node = mapping_iri(self.base, step.mapping.record_id)
            prov = Graph()
            activity = self._activity(prov, step.action, agent, [node], step.changes)
            old = stored.get(step.mapping.record_id)
            expect = (Expected(old[0].lifecycle, frozenset(a for a, _ in trails.get(step.mapping.record_id, [])))
                      if old else Expected(None))
            new = None if step.remove else to_graph([step.mapping], self.base)
            writes.append(_Write(node, old[1] if old else graph, new, prov, expect, activity))
        set_op = self._set_node_op(mset, name, fingerprint)
        chunk = getattr(self.store, "chunk_size", lambda: 0)()
        if chunk and sum(w.size() for w in writes) > chunk:
            self._staged_load(set_op, writes, graph, chunk)
        else:     # one request: the whole set is merged in one transaction
            self._update([set_op] + [self._write_op(w.node, w.graph, w.new, w.prov, w.expect) for w in writes])
        activities = [w.activity for w in writes]
        lost = len(activities) - len(self._took(activities))
        if lost:
            report.notes.append(f"{lost} mapping(s) changed by someone else during the load were left as they were")
        report.loaded = len(rows)
        return report

    def _staged_load(self, set_op: tuple[str, dict], writes: list[_Write], graph: str, chunk: int) -> None:
        """Merge a set too large for one update request of the store (its `chunk_size`, in triples)
        all or nothing: the writes go to a fresh staging graph in requests of `chunk` triples, each
        with the state it was read in, and one request applies them as one transaction, each
        write only if its mapping is still as read (mapping_stage_apply.rq). The staging graph is
        named in the store's journal first: a load killed before its apply leaves no mapping
        changed, only that graph, which opening the store drops an hour later (RemoteSparqlStore
        .recover); a failed request drops it at once."""
        staging = f"{STAGING}{int(time.time())}:{uuid.uuid4().hex}"
        journal = Graph()
        journal.add((URIRef(staging), URIRef(f"{JOURNAL}#target"), URIRef(graph)))
        self._update([("mapping_stage", {"graph": JOURNAL, "triples": ntriples(journal)})])
        try:
            part = Graph()
            for i, w in enumerate(writes):
                for triple in w.staged(f"{staging}/op/{i}", self.prov_graph):
                    part.add(triple)
                    if len(part) >= chunk:
                        self._update([("mapping_stage", {"graph": staging, "triples": ntriples(part)})])
                        part = Graph()
            if len(part):
                self._update([("mapping_stage", {"graph": staging, "triples": ntriples(part)})])
            self._update([set_op, ("mapping_stage_apply", {"staging": staging, "provenance": self.prov_graph,
                                                           "target": graph})])
        except BaseException:
            try:       # nothing was applied: drop what was staged (else the journal names it)
                self._update([("mapping_stage_drop", {"staging": staging, "target": graph})])
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise

    def _set_violations(self, rows: list[Mapping], ends: dict[str, End], line: dict[str, str],
                        origin_path: str) -> list[str]:
        """The set's shape violations with their lines, else the ends missing from the store."""
        violations = [f"{v.where}: {v.message}" + (f" ({v.value})" if v.value else "")
                      for v in self.validate(rows, ends, line)]
        missing = sorted({x for m in rows for x in (m.subject, m.object) if x != NO_TERM_FOUND and x not in ends})
        return violations or [f"{origin_path}: provision not in the store: {x}" for x in missing]

    def _merge_row(self, m: Mapping, old: tuple[Mapping, str] | None, trail: list[tuple[str, str]],
                   ends: dict[str, End], report: LoadReport) -> _Step | None:
        """What loading one file row does to its mapping (None: nothing)."""
        if old is None:
            report.added += 1
            return _Step(m, IMPORT, [f"added from the set file ({m.lifecycle})"])
        stored = old[0]
        if all(action == IMPORT for _, action in trail):
            # untouched since the set put it there: the file still owns its whole state
            diff = _diff(stored, m, CONTENT_FIELDS + STATE_FIELDS)
            if not diff:
                return None
            report.updated += 1
            return _Step(m, IMPORT, ["row changed in the set file"] + diff)
        # reviewed, flagged stale or edited since: that state stands; only a change of
        # the row's own content comes in, as a new proposal on the current texts
        diff = _diff(stored, m, CONTENT_FIELDS)
        if not diff:
            report.kept += 1
            return None
        fresh = {f"{side}_{key}": None for side in ("subject", "object") for key in ("hash", "version")}
        proposal = self.complete(m.with_changes(lifecycle="proposed", reviewer=None, reviewer_label=None,
                                                stale_from=None, **fresh), ends)
        report.proposed += 1
        return _Step(proposal, CURATED_EDIT, ["row changed in the set file; proposed again for review"] + diff
                     + [f"lifecycle: {stored.lifecycle} -> proposed"])

    def _withdrawn(self, gone: set[str], stored: dict[str, tuple[Mapping, str]],
                   trails: dict[str, list[tuple[str, str]]], origin_path: str, report: LoadReport) -> list[_Step]:
        """Mappings of the set no longer in its file: removed if untouched since their import, else kept."""
        steps: list[_Step] = []
        kept: list[str] = []
        for rid in sorted(gone):
            if rid not in stored:
                continue
            if all(action == IMPORT for _, action in trails.get(rid, [])):
                report.removed += 1
                steps.append(_Step(stored[rid][0], IMPORT, [f"removed: no longer in {origin_path}"], remove=True))
            else:
                kept.append(rid)
        if kept:
            report.notes.append(f"{len(kept)} mapping(s) no longer in {origin_path} were kept, reviewed or flagged "
                                f"since their import: {', '.join(kept[:10])}")
        return steps

    def _set_node_op(self, mset: MappingSet, name: str, fingerprint: str | None) -> tuple[str, dict]:
        """The named update (with its values) that replaces the description of the set (title,
        licence, build fingerprint)."""
        g = Graph()
        node = URIRef(self.set_iri(name))
        g.add((node, RDF.type, LEXMAP.MappingSet))
        for key in ("mapping_set_title", "mapping_set_description", "license"):
            if mset.meta.get(key):
                g.add((node, URIRef(f"https://w3id.org/sssom/{key}"), Literal(str(mset.meta[key]))))
        if fingerprint:
            g.add((node, LEXMAP.buildFingerprint, Literal(fingerprint)))
        return "mapping_set_describe", {"graph": self.set_graph(name), "set": str(node), "description": ntriples(g)}


def _stale_reason(side: str, end: End) -> str:
    """Why the text of a mapping's end no longer is the one it was made on."""
    if not end.present:
        return f"{side} has no text in the latest redaction of its act ({end.expression}): it is absent there"
    if end.text_hash == text_hash(""):
        return f"{side} has no text in the latest redaction of its act ({end.expression})"
    return f"{side} text changed (now {end.expression})"


def _one_of(table: dict, keys: Iterable[str]) -> list[str]:
    """The IRIs of closed-list keys for a list filter of mapping_list.rq; none given: [ANY].
    Each once: the list joins as VALUES, where a repeated IRI would repeat rows."""
    return list(dict.fromkeys(str(table[k]) for k in keys)) or [ANY]


def _fill_from(m: Mapping, old: Mapping | None) -> Mapping:
    """What a file row leaves out (labels, redactions, text hashes), taken from the stored
    mapping for each end that did not change, so an unchanged row compares equal."""
    if old is None:
        return m
    changes = {}
    for side in ("subject", "object"):
        if getattr(m, side) != getattr(old, side):
            continue
        same_redaction = getattr(m, f"{side}_version") in (None, getattr(old, f"{side}_version"))
        for key in ("label", "version") + (("hash",) if same_redaction else ()):
            slot = f"{side}_{key}"
            if not getattr(m, slot) and getattr(old, slot):
                changes[slot] = getattr(old, slot)
    return m.with_changes(**changes) if changes else m


def _diff(old: Mapping, new: Mapping, names: Iterable[str]) -> list[str]:
    """'field: old -> new' for each of `names` that differs."""
    return [f"{n}: {getattr(old, n) if getattr(old, n) is not None else '-'} -> "
            f"{getattr(new, n) if getattr(new, n) is not None else '-'}"
            for n in names if getattr(old, n) != getattr(new, n)]


