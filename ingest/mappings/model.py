"""A clause mapping: SSSOM slots plus the NIST IR 8477 relation, the EAEU
harmonization status and a review lifecycle — and its RDF form.

The RDF form is SSSOM's own (an owl:Axiom with annotatedSource /
annotatedProperty / annotatedTarget; other slots in the sssom: namespace), so
any SSSOM-aware tool reads lexmap's mappings from the SPARQL endpoint.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from ontology import LEXMAP, SEMAPV, SSSOM

NO_TERM_FOUND = str(SSSOM.NoTermFound)

# Closed lists, by the short names used in TSV, JSON and URLs.
RELATIONS = {"equal": LEXMAP.Equal, "subset_of": LEXMAP.SubsetOf, "superset_of": LEXMAP.SupersetOf,
             "intersects_with": LEXMAP.IntersectsWith, "not_related": LEXMAP.NotRelated}
RATIONALES = {"syntactic": LEXMAP.Syntactic, "semantic": LEXMAP.Semantic, "functional": LEXMAP.Functional}
HARMONIZATION = {"unified": LEXMAP.Unified, "harmonized": LEXMAP.Harmonized, "divergent": LEXMAP.Divergent}
LIFECYCLE = {"proposed": LEXMAP.Proposed, "accepted": LEXMAP.Accepted, "rejected": LEXMAP.Rejected,
             "stale": LEXMAP.Stale}
PREDICATES = {"skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch,
              "skos:broadMatch": SKOS.broadMatch, "skos:narrowMatch": SKOS.narrowMatch,
              "skos:relatedMatch": SKOS.relatedMatch}
JUSTIFICATIONS = {f"semapv:{n}": SEMAPV[n] for n in (
    "ManualMappingCuration", "LexicalMatching", "SemanticSimilarityThresholdMatching",
    "CompositeMatching", "MappingReview", "UnspecifiedMatching")}


def default_predicate(relation: str | None, harmonization: str) -> tuple[str, str | None]:
    """The SKOS predicate (and modifier) a set relation implies.

    subject subset_of object = the object is broader = skos:broadMatch.
    """
    if relation is None:            # no counterpart: SSSOM's NoTermFound with exactMatch
        return "skos:exactMatch", None
    return {
        "equal": ("skos:exactMatch" if harmonization == "unified" else "skos:closeMatch", None),
        "subset_of": ("skos:broadMatch", None),
        "superset_of": ("skos:narrowMatch", None),
        "intersects_with": ("skos:relatedMatch", None),
        "not_related": ("skos:relatedMatch", "Not"),
    }.get(relation, ("skos:relatedMatch", None))   # an unknown relation is left to the shapes to report


def default_strength(relation: str | None, harmonization: str) -> int | None:
    """NIST IR 8477 strength (0-10) when the author gave none."""
    if relation is None:
        return None
    base = {"equal": 9, "subset_of": 7, "superset_of": 7, "intersects_with": 5, "not_related": 0}.get(relation)
    if base is None:
        return None
    return min(10, base + 1) if harmonization == "unified" else base - (2 if harmonization == "divergent" and base else 0)


@dataclass
class Mapping:
    """One correspondence between a provision and its counterpart (or its absence)."""

    subject: str                       # provision IRI
    object: str                        # provision IRI or NO_TERM_FOUND
    relation: str | None               # key of RELATIONS; None only when object is NO_TERM_FOUND
    harmonization: str                 # key of HARMONIZATION
    confidence: float
    author: str                        # agent IRI
    mapping_date: str                  # yyyy-mm-dd
    lifecycle: str = "proposed"        # key of LIFECYCLE
    rationale: str | None = None       # key of RATIONALES
    strength: int | None = None
    predicate: str | None = None       # CURIE of PREDICATES; derived from the relation when None
    predicate_modifier: str | None = None
    justification: str = "semapv:ManualMappingCuration"
    reviewer: str | None = None
    author_label: str | None = None
    reviewer_label: str | None = None
    subject_label: str | None = None
    object_label: str | None = None
    subject_version: str | None = None  # expression IRI of the redaction the mapping was made on
    object_version: str | None = None
    subject_hash: str | None = None
    object_hash: str | None = None
    comment: str | None = None
    mapping_set: str | None = None     # IRI of the mapping set
    record_id: str = ""
    stale_from: str | None = None      # lifecycle before it became stale
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.predicate is None:
            self.predicate, modifier = default_predicate(self.relation, self.harmonization)
            self.predicate_modifier = self.predicate_modifier or modifier
        if self.strength is None:
            self.strength = default_strength(self.relation, self.harmonization)
        if not self.record_id:
            self.record_id = record_id_for(self.mapping_set or "", self.subject, self.object)

    @property
    def no_counterpart(self) -> bool:
        return self.object == NO_TERM_FOUND

    def with_changes(self, **changes) -> "Mapping":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        return d


def record_id_for(mapping_set: str, subject: str, obj: str) -> str:
    """A short id stable for the same set, subject and object (re-import keeps URLs)."""
    return hashlib.sha1(f"{mapping_set}|{subject}|{obj}".encode()).hexdigest()[:16]


def mapping_iri(base_iri: str, record_id: str) -> str:
    return f"{base_iri}/mapping/{record_id}"


def to_graph(mappings: list[Mapping], base_iri: str, graph: Graph | None = None) -> Graph:
    """The RDF of mappings (SSSOM's owl:Axiom form plus lexmap's terms)."""
    g = graph if graph is not None else Graph()
    sssom = Namespace(str(SSSOM))
    for m in mappings:
        node = URIRef(mapping_iri(base_iri, m.record_id))
        add = g.add
        add((node, RDF.type, LEXMAP.Mapping))
        add((node, LEXMAP.recordId, Literal(m.record_id)))
        add((node, OWL.annotatedSource, URIRef(m.subject)))
        add((node, OWL.annotatedProperty, PREDICATES.get(m.predicate, URIRef(m.predicate or ""))))
        add((node, OWL.annotatedTarget, URIRef(m.object)))
        if m.predicate_modifier:
            add((node, sssom.predicate_modifier, Literal(m.predicate_modifier)))
        add((node, sssom.mapping_justification, JUSTIFICATIONS.get(m.justification, URIRef(m.justification))))
        add((node, sssom.confidence, Literal(float(m.confidence), datatype=XSD.double)))
        add((node, sssom.author_id, URIRef(m.author)))
        if m.author_label:
            add((node, sssom.author_label, Literal(m.author_label)))
        if m.reviewer:
            add((node, sssom.reviewer_id, URIRef(m.reviewer)))
        if m.reviewer_label:
            add((node, sssom.reviewer_label, Literal(m.reviewer_label)))
        add((node, sssom.mapping_date, Literal(m.mapping_date, datatype=XSD.date)))
        for prop, value in ((sssom.subject_label, m.subject_label), (sssom.object_label, m.object_label),
                            (sssom.subject_source_version, m.subject_version),
                            (sssom.object_source_version, m.object_version),
                            (LEXMAP.subjectTextHash, m.subject_hash), (LEXMAP.objectTextHash, m.object_hash)):
            if value:
                add((node, prop, Literal(value)))
        if m.comment:
            add((node, sssom.comment, Literal(m.comment, lang="ru")))
        if m.relation:
            add((node, LEXMAP.setRelation, RELATIONS.get(m.relation, URIRef(f"urn:invalid:{m.relation}"))))
        if m.rationale:
            add((node, LEXMAP.rationale, RATIONALES.get(m.rationale, URIRef(f"urn:invalid:{m.rationale}"))))
        if m.strength is not None:
            add((node, LEXMAP.strength, Literal(int(m.strength), datatype=XSD.integer)))
        add((node, LEXMAP.harmonization, HARMONIZATION.get(m.harmonization, URIRef(f"urn:invalid:{m.harmonization}"))))
        add((node, LEXMAP.lifecycle, LIFECYCLE.get(m.lifecycle, URIRef(f"urn:invalid:{m.lifecycle}"))))
        if m.stale_from:
            add((node, LEXMAP.staleFrom, LIFECYCLE[m.stale_from]))
        if m.mapping_set:
            add((node, LEXMAP.mappingSet, URIRef(m.mapping_set)))
    return g


def _key(table: dict, iri: str | None) -> str | None:
    if iri is None:
        return None
    for k, v in table.items():
        if str(v) == iri:
            return k
    return iri


def from_row(row: dict[str, str]) -> Mapping:
    """A Mapping from a row of the mapping_get / mapping_list / mapping_rows queries."""
    return Mapping(
        subject=row["subject"], object=row["object"],
        relation=_key(RELATIONS, row.get("relation")), harmonization=_key(HARMONIZATION, row["harmonization"]),
        confidence=float(row["confidence"]), author=row["author"], mapping_date=row["mapping_date"],
        lifecycle=_key(LIFECYCLE, row["lifecycle"]), rationale=_key(RATIONALES, row.get("rationale")),
        strength=int(row["strength"]) if row.get("strength") else None,
        predicate=_key(PREDICATES, row["predicate"]), predicate_modifier=row.get("predicate_modifier"),
        justification=_key(JUSTIFICATIONS, row["justification"]), reviewer=row.get("reviewer"),
        author_label=row.get("author_label"), reviewer_label=row.get("reviewer_label"),
        subject_label=row.get("subject_label"), object_label=row.get("object_label"),
        subject_version=row.get("subject_version"), object_version=row.get("object_version"),
        subject_hash=row.get("subject_hash"), object_hash=row.get("object_hash"),
        comment=row.get("comment"), mapping_set=row.get("mapping_set"), record_id=row["record_id"],
        stale_from=_key(LIFECYCLE, row.get("stale_from")),
    )


def today() -> str:
    return date.today().isoformat()
