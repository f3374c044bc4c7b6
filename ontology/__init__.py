"""The lexmap vocabulary: namespaces and the paths of the Turtle files.

Nothing else lives here, so every room of the project can import the
namespaces without pulling in a parser or a store.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

HERE = Path(__file__).resolve().parent
VOCABULARY_PATH = HERE / "lexmap.ttl"
SHAPES_PATH = HERE / "shapes.ttl"
MAPPING_SHAPES_PATH = HERE / "mapping_shapes.ttl"

ELI = Namespace("http://data.europa.eu/eli/ontology#")
LEXMAP = Namespace("https://w3id.org/lexmap/ontology#")
SSSOM = Namespace("https://w3id.org/sssom/")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")

PREFIXES: dict[str, str] = {
    "eli": str(ELI),
    "lexmap": str(LEXMAP),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "skos": str(SKOS),
    "sssom": str(SSSOM),
    "semapv": str(SEMAPV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
}

SPARQL_PREFIXES = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items()) + "\n"

__all__ = [
    "DCTERMS", "ELI", "EU_LANGUAGE", "LEXMAP", "MAPPING_SHAPES_PATH", "OWL", "PREFIXES", "PROV", "RDF", "RDFS",
    "SEMAPV", "SHAPES_PATH", "SKOS", "SPARQL_PREFIXES", "SSSOM", "VOCABULARY_PATH", "XSD",
]
