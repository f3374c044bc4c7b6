"""SHACL validation of one act's graph, reported in terms a person can act on.

Each violation names the act, the provision (eId), where it came from in the
source file (line or JSON path) and the shape's message.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from ontology import SHAPES_PATH


@dataclass(frozen=True)
class Violation:
    """One SHACL result, with its place in the source."""

    focus: str
    path: str
    message: str
    value: str
    where: str
    severity: str

    def __str__(self) -> str:
        eid = self.focus.rsplit("/", 1)[-1]
        value = f" (value: {self.value[:80]})" if self.value else ""
        return f"{self.where}: {eid}: {self.message}{value}"


@lru_cache(maxsize=4)
def shapes_graph(path: Path = SHAPES_PATH) -> Graph:
    """A SHACL shapes file of the project, parsed once."""
    g = Graph()
    g.parse(path, format="turtle")
    return g


def engine(name: str | None = None) -> Callable:
    """The SHACL engine's validate function.

    pyshacl-turbo (a Rust engine with pyshacl's API) is the default: it gives
    the same results as pyshacl ~8x faster (tests check both agree).
    LEXMAP_SHACL_ENGINE=pyshacl selects the reference engine.
    """
    name = name or os.environ.get("LEXMAP_SHACL_ENGINE", "turbo")
    if name == "pyshacl":
        from pyshacl import validate
        return validate
    try:
        from pyshacl_turbo import validate
    except ImportError:  # pragma: no cover - turbo is a declared dependency
        from pyshacl import validate
    return validate


def validate_graph(data: Graph, origin: dict[str, str] | None = None, engine_name: str | None = None,
                   shapes: Path = SHAPES_PATH) -> list[Violation]:
    """Validate a graph against the shapes; an empty list means it conforms."""
    conforms, results, _ = engine(engine_name)(
        data, shacl_graph=shapes_graph(shapes), inference="none", abort_on_first=False,
        allow_warnings=True, advanced=False, meta_shacl=False, iterate_rules=False,
    )
    return [] if conforms else _violations(results, origin or {})


@lru_cache(maxsize=4)
def compiled_shapes(path: Path = SHAPES_PATH):
    """The shapes compiled once per process by pyshacl-turbo (compiling is a third of a small act's check)."""
    from pyshacl_turbo import compile_shapes
    return compile_shapes(shapes_graph(path))


def validate_ntriples(ntriples: str, origin: dict[str, str] | None = None, shapes: Path = SHAPES_PATH) -> list[Violation]:
    """Validate N-Triples text against the shapes with pyshacl-turbo, read by its own parser (no rdflib
    Graph): the same shapes, options and report as `validate_graph` (a test checks both agree).

    LEXMAP_SHACL_ENGINE=pyshacl validates through an rdflib Graph with the reference engine instead."""
    if os.environ.get("LEXMAP_SHACL_ENGINE", "turbo") == "pyshacl":
        g = Graph()
        g.parse(data=ntriples, format="nt")
        return validate_graph(g, origin, "pyshacl", shapes)
    # `Input` is pyshacl-turbo's internal carrier of serialized data (pinned version: see
    # DEPENDENCY-NOTES); `validate` reads it without building rdflib terms.
    from pyshacl_turbo.rdf import Input
    conforms, results, _ = compiled_shapes(shapes).validate(
        Input(ntriples, "nt", None, {}), inference="none", abort_on_first=False, allow_warnings=True,
        iterate_rules=False, _normalize_report_literals=True)
    return [] if conforms else _violations(results, origin or {})


def _violations(results: Graph, origin: dict[str, str]) -> list[Violation]:
    """The SHACL report graph as violations, each with its place in the source, in a stable order."""
    out = []
    for result in results.subjects(SH.resultSeverity, None):
        focus = str(results.value(result, SH.focusNode) or "")
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        severity = str(results.value(result, SH.resultSeverity) or "").rsplit("#", 1)[-1]
        out.append(Violation(
            focus=focus, path=str(path or ""), message=str(message or "shape violated"),
            value=str(value) if value is not None and not isinstance(value, URIRef) else str(value or ""),
            where=origin.get(focus, "?"), severity=severity))
    out.sort(key=lambda v: (v.where, v.focus, v.path, v.message, v.value))   # a total order: same list from either input
    return out
