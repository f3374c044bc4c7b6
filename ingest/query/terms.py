"""Terms of SPARQL text: IRIs and literals, checked and escaped."""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

# SPARQL 1.1 IRIREF: '<' ([^<>"{}|^`\]-[#x00-#x20])* '>' ; we also require a scheme,
# so a relative reference cannot be resolved against a BASE the caller does not see.
_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^<>"{}|^`\\\x00-\x20\x7f]*')
_MAX_IRI = 2048


class InvalidTerm(ValueError):
    """A value that cannot be a SPARQL term (an IRI with a space or '>', a bad date...)."""


def iriref(value: str) -> str:
    """`<value>` for SPARQL text; InvalidTerm when `value` is not an absolute IRI."""
    if not isinstance(value, str) or len(value) > _MAX_IRI or not _IRI.fullmatch(value):
        raise InvalidTerm(f"{str(value)[:120]!r} is not an IRI")
    return f"<{value}>"


def irirefs(values: Iterable[str]) -> str:
    """Several IRIs separated by spaces (for VALUES; IN needs commas)."""
    return " ".join(iriref(v) for v in values)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def literal(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A string as a SPARQL literal (every character that could end it escaped)."""
    text = "".join(_ESCAPES.get(ch, ch) for ch in str(value))
    if lang:
        if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", lang):
            raise InvalidTerm(f"{lang!r} is not a language tag")
        return f'"{text}"@{lang}'
    if datatype:
        return f'"{text}"^^{iriref(datatype)}'
    return f'"{text}"'


def date_literal(value: str | _dt.date) -> str:
    """An xsd:date literal of a real calendar date ('2016-02-30' is refused)."""
    if isinstance(value, _dt.date):
        day = value
    else:
        try:
            day = _dt.date.fromisoformat(str(value))
        except ValueError:
            raise InvalidTerm(f"{str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None
    return f'"{day.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'


def int_literal(value: int) -> str:
    """An integer as SPARQL text (bool and non-integers refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTerm(f"{value!r} is not an integer")
    return str(value)


class NTriples(str):
    """N-Triples text made by rdflib from a Graph (see `ntriples`): the only text the
    catalogue takes whole, as the payload of an INSERT. rdflib refuses to serialize an IRI
    that could end its term and escapes every literal, so the text holds triples only."""

    __slots__ = ()


def ntriples(graph) -> NTriples:
    """The triples of an rdflib Graph as N-Triples text for an `${name:ntriples}` placeholder."""
    from rdflib import Graph   # here: the query layer's other terms need no rdflib
    if not isinstance(graph, Graph):
        raise InvalidTerm(f"{type(graph).__name__} is not an rdflib Graph")
    return NTriples(graph.serialize(format="nt"))


def ntriples_text(value: NTriples) -> str:
    """The text of an `ntriples` value; InvalidTerm for anything but `ntriples(graph)`'s result
    (a str built by hand never reaches an update)."""
    if type(value) is not NTriples:
        raise InvalidTerm(f"{type(value).__name__} is not N-Triples made by ntriples(graph)")
    return str(value)
