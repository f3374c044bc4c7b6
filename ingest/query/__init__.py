"""The query layer: how values enter SPARQL text.

No value reaches a query except through these helpers: an IRI is checked
against the IRI grammar (RFC 3987 minus the characters SPARQL's IRIREF
forbids) and refused otherwise, a literal is escaped. A request string that
names a provision is parsed into an identifier first (ingest.identifiers) and
only then turned into an IRI, so nothing a client sends can close a term and
add patterns.
"""
from .terms import InvalidTerm, date_literal, int_literal, iriref, irirefs, literal

__all__ = ["InvalidTerm", "date_literal", "int_literal", "iriref", "irirefs", "literal"]
