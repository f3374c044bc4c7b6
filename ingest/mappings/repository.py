"""Mappings in the graph store: load a curated set, create, review, flag stale —
each write validated by the shapes, atomic, and recorded in a PROV trail.

Graphs: one per curated set (`{base}/graph/mappings/{name}`), one for mappings
made through the API (`{base}/graph/mappings/api`), and the provenance graph
(`{base}/graph/provenance`) that keeps every edit: who, when, what changed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from ontology import LEXMAP, MAPPING_SHAPES_PATH

from ..store import GraphStore
from ..text import provision_texts, sparql_literal, text_hash
from ..validate import Violation, validate_graph
from .model import (HARMONIZATION, LIFECYCLE, NO_TERM_FOUND, RELATIONS, SELECT_FIELDS, Mapping, from_row,
                    mapping_iri, to_graph)
from .sssom_tsv import MappingSet


class MappingError(ValueError):
    """A write that the shapes or the workflow refuse; `problems` says each reason."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class End:
    """What the store says about one end of a mapping."""

    iri: str
    work: str
    jurisdiction: str
    act: str            # ELI path of the act
    label: str          # "Статья 196. Общий срок исковой давности"
    expression: str     # IRI of the latest redaction of the act
    text_hash: str


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


@dataclass
class LoadReport:
    """What loading a mapping set did."""

    name: str
    loaded: int = 0
    violations: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


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

    # ------------------------------------------------------------------ ends
    def ends(self, iris: set[str]) -> dict[str, End]:
        """Store facts of the provisions among `iris` that exist (absent ones are missing)."""
        iris = {i for i in iris if i != NO_TERM_FOUND}
        out: dict[str, End] = {}
        chunk = sorted(iris)
        for i in range(0, len(chunk), 1000):
            values = " ".join(f"<{x}>" for x in chunk[i:i + 1000])
            rows = self.store.select(f"""
                SELECT ?p ?w ?j ?id ?eid ?e ?d ?label ?title WHERE {{
                    VALUES ?p {{ {values} }}
                    GRAPH ?e {{ ?p a lexmap:Provision ; lexmap:act ?w ; lexmap:eId ?eid .
                               ?w lexmap:jurisdiction ?j ; dcterms:identifier ?id .
                               ?e eli:version_date ?d .
                               OPTIONAL {{ ?pe eli:realizes ?p
                                          OPTIONAL {{ ?pe lexmap:label ?label }} OPTIONAL {{ ?pe eli:title ?title }} }} }}
                }}""")
            latest: dict[str, dict] = {}
            for r in rows:
                if r["p"] not in latest or r["d"] > latest[r["p"]]["d"]:
                    latest[r["p"]] = r
            by_expr: dict[tuple[str, str], set[str]] = {}
            for r in latest.values():
                by_expr.setdefault((r["w"], r["e"]), set()).add(r["eid"])
            texts = {key: provision_texts(self.store, key[0], key[1], eids) for key, eids in by_expr.items()}
            for p, r in latest.items():
                label = r.get("label") or r["eid"]
                if r.get("title"):
                    label = f"{label}. {r['title']}"
                text = texts[(r["w"], r["e"])].get(r["eid"], "")
                out[p] = End(iri=p, work=r["w"], jurisdiction=r["j"], act=r["id"], label=label,
                             expression=r["e"], text_hash=text_hash(text))
        return out

    def short_titles(self) -> dict[str, str]:
        """Act IRI -> its short citation title (ГК РФ), for labels."""
        return {r["w"]: r["s"] for r in self.store.select("SELECT ?w ?s WHERE { ?w a lexmap:Act ; eli:title_short ?s }")}

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
        """SHACL violations of mappings checked against the store facts of their ends."""
        g = to_graph(mappings, self.base, self._end_facts(ends))
        for m in mappings:
            node = URIRef(mapping_iri(self.base, m.record_id))
            for prop, end in ((LEXMAP.subjectJurisdiction, m.subject), (LEXMAP.objectJurisdiction, m.object)):
                if end in ends:
                    g.add((node, prop, Literal(ends[end].jurisdiction)))
        return validate_graph(g, origin=origin, engine_name="pyshacl", shapes=MAPPING_SHAPES_PATH)

    # ------------------------------------------------------------------ reads
    def list(self, f: Filters | None = None, limit: int | None = None, offset: int = 0) -> list[Mapping]:
        """Mappings matching the filters, ordered by subject then object."""
        f = f or Filters()
        where = [SELECT_FIELDS]
        if f.provision:
            p = sparql_literal(f.provision)
            where.append(f"FILTER(STR(?subject) = {p} || STR(?object) = {p} || "
                         f"STRSTARTS(STR(?subject), CONCAT({p}, \"__\")) || STRSTARTS(STR(?object), CONCAT({p}, \"__\")))")
        if f.source_act:
            where.append(f"?subject lexmap:act <{f.source_act}> .")
        if f.target_act:
            where.append(f"?object lexmap:act <{f.target_act}> .")
        if f.act:
            where.append(f"{{ ?subject lexmap:act <{f.act}> }} UNION {{ ?object lexmap:act <{f.act}> }}")
        for name, values, table_prop in (("lifecycle", f.lifecycle, "lifecycle"),
                                         ("relation", f.relation, "setRelation"),
                                         ("harmonization", f.harmonization, "harmonization")):
            if values:
                table = {"lifecycle": LIFECYCLE, "relation": RELATIONS, "harmonization": HARMONIZATION}[name]
                where.append(f"FILTER(?{name} IN ({', '.join(f'<{table[v]}>' for v in values)}))")
        page = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit else ""
        rows = self.store.select(f"SELECT * WHERE {{ {' '.join(where)} }} ORDER BY ?subject ?object {page}")
        return [from_row(r) for r in rows]

    def act_pairs(self) -> set[tuple[str, str]]:
        """(act of the subject, act of the object) of every mapping with a counterpart."""
        # A provision's IRI is its act's IRI + "/" + eId: reading the acts off the IRIs
        # avoids a join through lexmap:act that the union graph makes slow (~100 s).
        rows = self.store.select("SELECT DISTINCT ?s ?o WHERE { ?m a lexmap:Mapping ; owl:annotatedSource ?s ; "
                                 "owl:annotatedTarget ?o }")
        return {(r["s"].rsplit("/", 1)[0], r["o"].rsplit("/", 1)[0]) for r in rows if r["o"] != NO_TERM_FOUND}

    def counterpart_acts(self, work: str) -> list[str]:
        """Acts that mappings pair with `work` (the other side of its mapping sets)."""
        return sorted({b if a == work else a for a, b in self.act_pairs() if work in (a, b) and a != b})

    def get(self, record_id: str) -> Mapping | None:
        rows = self.store.select(f"SELECT * WHERE {{ {SELECT_FIELDS} FILTER(?record_id = {sparql_literal(record_id)}) }}")
        return from_row(rows[0]) if rows else None

    def graph_of(self, record_id: str) -> str | None:
        rows = self.store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?m lexmap:recordId {sparql_literal(record_id)} }} }} LIMIT 1")
        return rows[0]["g"] if rows else None

    def history(self, record_id: str) -> list[dict]:
        """The PROV trail of one mapping, oldest first."""
        iri = mapping_iri(self.base, record_id)
        rows = self.store.select(f"""
            SELECT ?a ?who ?when ?what ?note (GROUP_CONCAT(?c; SEPARATOR="\\n") AS ?changes) WHERE {{
                ?a a lexmap:MappingEdit ; prov:used <{iri}> ; prov:wasAssociatedWith ?who ;
                   prov:endedAtTime ?when ; rdfs:label ?what .
                OPTIONAL {{ ?a lexmap:change ?c }} OPTIONAL {{ ?a rdfs:comment ?note }}
            }} GROUP BY ?a ?who ?when ?what ?note ORDER BY ?when""")
        # edits in the same second: a mapping is created before anything else happens to it
        rows.sort(key=lambda r: (r["when"], r["what"] != "create"))
        return [{"activity": r["a"], "agent": r["who"], "time": r["when"], "action": r["what"],
                 "comment": r.get("note"), "changes": [c for c in r.get("changes", "").split("\n") if c]}
                for r in rows]

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

    def load_set(self, mset: MappingSet, name: str, agent: str, origin_path: str,
                 short: dict[str, str] | None = None, fingerprint: str | None = None) -> LoadReport:
        """Validate a whole curated set and replace its graph in one transaction.

        Any violation leaves the store as it was; each is reported with its line.
        """
        report = LoadReport(name=name)
        ends = self.ends({m.subject for m in mset.mappings} | {m.object for m in mset.mappings})
        mappings = [self.complete(m, ends, short) for m in mset.mappings]
        origin = {mapping_iri(self.base, m.record_id): f"{origin_path}:{mset.lines.get(m.record_id, '?')}"
                  for m in mappings}
        missing = sorted({x for m in mappings for x in (m.subject, m.object) if x != NO_TERM_FOUND and x not in ends})
        violations = self.validate(mappings, ends, origin)
        report.violations = [f"{v.where}: {v.message}" + (f" ({v.value})" if v.value else "") for v in violations]
        if missing and not report.violations:
            report.violations = [f"{origin_path}: provision not in the store: {x}" for x in missing]
        if report.violations:
            return report
        g = to_graph(mappings, self.base)
        node = URIRef(self.set_iri(name))
        g.add((node, RDF.type, LEXMAP.MappingSet))
        for key in ("mapping_set_title", "mapping_set_description", "license"):
            if mset.meta.get(key):
                g.add((node, URIRef(f"https://w3id.org/sssom/{key}"), Literal(str(mset.meta[key]))))
        if fingerprint:
            g.add((node, LEXMAP.buildFingerprint, Literal(fingerprint)))
        prov = Graph()
        self._activity(prov, "import", agent, [mapping_iri(self.base, m.record_id) for m in mappings],
                       [f"set {name}: {len(mappings)} mappings from {origin_path}"])
        graph = self.set_graph(name)
        self.store.update(
            f"DROP SILENT GRAPH <{graph}> ;\n"
            f"INSERT DATA {{ GRAPH <{graph}> {{ {g.serialize(format='nt')} }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{self.prov_graph}> {{ {prov.serialize(format='nt')} }} }}")
        report.loaded = len(mappings)
        return report

    def _write(self, m: Mapping, graph: str, action: str, agent: str, changes: list[str],
               comment: str | None = None) -> None:
        node = mapping_iri(self.base, m.record_id)
        g = to_graph([m], self.base)
        prov = Graph()
        self._activity(prov, action, agent, [node], changes, comment)
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{graph}> {{ <{node}> ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{graph}> {{ {g.serialize(format='nt')} }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{self.prov_graph}> {{ {prov.serialize(format='nt')} }} }}")

    def create(self, m: Mapping, agent: str) -> Mapping:
        """Store a new mapping made through the API (always `proposed`)."""
        m = m.with_changes(lifecycle="proposed", reviewer=None, reviewer_label=None, author=agent,
                           mapping_set=self.set_iri("api"), record_id=m.record_id or uuid.uuid4().hex[:16])
        if self.get(m.record_id):
            raise MappingError(f"mapping {m.record_id} exists already")
        ends = self.ends({m.subject, m.object})
        m = self.complete(m, ends)
        problems = [f"{x}: no such provision in the store" for x in (m.subject, m.object)
                    if x != NO_TERM_FOUND and x not in ends]
        problems += [v.message + (f" ({v.value})" if v.value else "") for v in self.validate([m], ends)]
        if problems:
            raise MappingError("the mapping is not valid", problems)
        self._write(m, self.set_graph("api"), "create", agent,
                    [f"created: {m.subject} {m.relation or 'no counterpart'} {m.object}"])
        return m

    def review(self, record_id: str, decision: str, agent: str, comment: str | None = None,
               agent_label: str | None = None) -> Mapping:
        """Accept or reject a mapping; the reviewer and the change go to the PROV trail."""
        if decision not in ("accept", "reject"):
            raise MappingError(f"decision {decision!r}: use accept or reject")
        m = self.get(record_id)
        graph = self.graph_of(record_id)
        if m is None or graph is None:
            raise KeyError(record_id)
        if agent == m.author:
            # four eyes: the one who proposed a mapping does not confirm it
            raise MappingError(f"{agent} proposed this mapping; another reviewer has to review it")
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
        self._write(updated, graph, "review", agent, [f"lifecycle: {m.lifecycle} -> {new}",
                                                      f"reviewer: {m.reviewer or '-'} -> {agent}"], comment)
        return updated

    def mark_stale(self, works: set[str] | None = None, agent: str | None = None) -> list[str]:
        """Flag mappings whose end's text changed since they were made; returns their record ids."""
        f = Filters()
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
            why = [f"{side} text changed (now {ends[getattr(m, side)].expression})" for side in changed]
            why += [f"{side} no longer in the store" for side in gone]
            self._write(m.with_changes(lifecycle="stale", stale_from=m.lifecycle), graph, "stale check",
                        agent or self.agent_iri("lexmap"), [f"lifecycle: {m.lifecycle} -> stale"] + why)
            stale.append(m.record_id)
        return stale
