"""Named SPARQL queries: each is a file `ingest/query/sparql/NAME.rq`, its values marked
`${name:kind}` and bound only through the term helpers: iri, iris (a space-separated list),
literal, literals, date, int, opt_iri (an IRI, or UNDEF for None: `VALUES ?x { ${x:opt_iri} }`
leaves ?x free, an optional filter without building query text), ntriples (the payload of an
update: only text made by `terms.ntriples(graph)` from an rdflib Graph, a plain str refused).

    select(store, "act_redactions", RedactionRow, work=iri)  ->  [RedactionRow(...), ...]
    update_all(store, [("mapping_write", {...}), ...])        # one request, one transaction

A query's text never holds a request string: a value of the wrong kind is refused
(InvalidTerm) before the query is sent, and a placeholder left unbound is a bug (KeyError).
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from .terms import date_literal, int_literal, iriref, irirefs, literal, ntriples_text

SPARQL_DIR = Path(__file__).resolve().parent / "sparql"
_PLACEHOLDER = re.compile(r"\$\{(\w+):(iri|iris|literal|literals|date|int|opt_iri|ntriples)\}")
_RENDER = {"iri": iriref, "iris": irirefs, "literal": literal, "date": date_literal, "int": int_literal,
           # a list of literals for VALUES / IN; an IRI or UNDEF for an optional filter in VALUES
           "literals": lambda vs: " ".join(literal(v) for v in vs),
           "opt_iri": lambda v: "UNDEF" if v is None else iriref(v),
           "ntriples": ntriples_text}

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class NamedQuery:
    """A query of the catalogue: its name, text and the kinds of its values."""

    name: str
    text: str
    params: dict[str, str]

    def render(self, **values: Any) -> str:
        """The query text with every value bound as a term of its kind."""
        missing = set(self.params) - set(values)
        extra = set(values) - set(self.params)
        if missing or extra:
            raise KeyError(f"query {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return _PLACEHOLDER.sub(lambda m: _RENDER[m[2]](values[m[1]]), self.text)


@cache
def named(name: str) -> NamedQuery:
    """The query `name` of the catalogue (read once)."""
    path = SPARQL_DIR / f"{name}.rq"
    text = path.read_text(encoding="utf-8")
    params: dict[str, str] = {}
    for pname, kind in _PLACEHOLDER.findall(text):
        if params.setdefault(pname, kind) != kind:
            raise ValueError(f"{path.name}: ${{{pname}}} is used as {params[pname]} and as {kind}")
    return NamedQuery(name, text, params)


def names() -> list[str]:
    """Every query of the catalogue."""
    return sorted(p.stem for p in SPARQL_DIR.glob("*.rq"))


def select(store, name: str, row: type[T] | None = None, **values: Any) -> list[T] | list[dict[str, str]]:
    """Rows of the named SELECT, as `row` instances (a dataclass) or as dicts."""
    rows = store.select(named(name).render(**values))
    return [typed(row, r) for r in rows] if row is not None else rows


def ask(store, name: str, **values: Any) -> bool:
    """The answer of the named ASK."""
    return store.ask(named(name).render(**values))


def construct(store, name: str, **values: Any) -> str:
    """N-Triples of the named CONSTRUCT."""
    return store.construct(named(name).render(**values))


def update(store, name: str, **values: Any) -> None:
    """Run the named update (one transaction)."""
    store.update(named(name).render(**values))


def update_all(store, operations: Iterable[tuple[str, dict[str, Any]]], texts: bool = True) -> None:
    """Run named updates, each with its values, as one request: one transaction, all or
    nothing. Every value is bound before the request is sent, so a refused value
    (InvalidTerm) leaves the store untouched. `texts=False`: they write mappings only
    (GraphStore.texts_token stays)."""
    # each on a line of its own: a file's last line may be a comment
    text = "\n;\n".join(named(name).render(**values) for name, values in operations)
    if text:
        store.update(text, texts=texts)


# ------------------------------------------------------------------ typed rows

@cache
def _fields(row: type) -> tuple[tuple[str, Any, bool], ...]:
    hints = typing.get_type_hints(row)
    out = []
    for f in dataclasses.fields(row):
        kind = hints[f.name]
        optional = False
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            optional, kind = True, args[0]
        out.append((f.name, kind, optional or f.default is not dataclasses.MISSING))
    return tuple(out)


def typed(row: type[T], binding: dict[str, str]) -> T:
    """A dataclass instance from one SPARQL binding: ints converted, unbound optionals None."""
    values = {}
    for name, kind, optional in _fields(row):
        raw = binding.get(name)
        if raw is None:
            if not optional:
                raise KeyError(f"{row.__name__}: ?{name} is unbound in a row of the query")
            values[name] = None
        else:
            values[name] = int(raw) if kind is int else float(raw) if kind is float else raw
    return row(**values)
