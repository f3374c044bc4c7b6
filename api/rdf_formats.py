"""RDF representations of a resource: N-Triples from the store to Turtle or JSON-LD with
lexmap's prefixes."""
from __future__ import annotations

from rdflib import Graph

from ontology import PREFIXES


def _graph(ntriples: str) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.parse(data=ntriples, format="nt")
    return g


def to_turtle(ntriples: str) -> str:
    """Turtle with the project's prefixes."""
    return _graph(ntriples).serialize(format="turtle")


def to_jsonld(ntriples: str) -> str:
    """JSON-LD compacted with the project's prefixes as its context."""
    return _graph(ntriples).serialize(format="json-ld", context=PREFIXES, indent=1)
