"""SHACL validation of mapping writes, cheap enough for every write.

A write validates only what it changes: the new mapping's own triples plus the few store
facts the mapping shapes look at (type and act of its two ends, the act's jurisdiction, and the
subject/object jurisdictions the validator adds), never the store. The shapes
(ontology/mapping_shapes.ttl) are parsed and compiled (pyshacl's shape harvest) once per
process. The targets are the mappings themselves: the ends pulled in as facts are provisions
and acts, which no mapping shape targets (lexmap:Mapping, lexmap:MappingEdit), so they raise
no violations of their own. ``focus_nodes`` is not used: pyshacl 0.40.1 then skips the value
nodes outside the focus list inside ``sh:or`` (measured: an object that is not in the store
passed "a provision or sssom:NoTermFound"), where the whole small graph is checked right.

pyshacl is the engine here (pyshacl-turbo skips some constraints nested in ``sh:or`` in these
shapes). A compiled shapes graph is shared by the threads of a process, one validation at a
time: pyshacl's shapes keep state while they run, and its work holds the GIL anyway.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from ontology import MAPPING_SHAPES_PATH

from ..validate import Violation

log = logging.getLogger("lexmap.mappings.validate")


class CompiledShapes:
    """A shapes file parsed and compiled once; `validate` checks given focus nodes of a graph."""

    def __init__(self, path: Path = MAPPING_SHAPES_PATH):
        from pyshacl.shapes_graph import ShapesGraph
        graph = Graph()
        graph.parse(path, format="turtle")
        self.path = path
        self.shapes = ShapesGraph(graph, False, log)
        _ = self.shapes.shapes          # the harvest (node and property shapes) happens here, once
        self._lock = threading.Lock()

    def validate(self, data: Graph, origin: dict[str, str] | None = None) -> list[Violation]:
        """Violations of the shapes' targets in `data` (an empty list: they conform)."""
        from pyshacl import Validator
        from pyshacl.graph_abstraction import DataGraph
        options = {"inference": "none", "abort_on_first": False, "allow_warnings": True, "advanced": False,
                   "iterate_rules": False, "inplace": True, "logger": log}
        with self._lock:
            validator = Validator(DataGraph.from_rdflib(data), shacl_graph=Graph(bind_namespaces="none"), options=options)
            validator.shacl_graph = self.shapes      # the compiled shapes instead of the empty ones
            conforms, results, _ = validator.run()
        return [] if conforms else violations(results, origin or {})


def violations(results: Graph, origin: dict[str, str]) -> list[Violation]:
    """The results of a SHACL report as Violations, `where` taken from `origin` by focus node
    (the same reading as ingest.validate.validate_graph)."""
    out = []
    for result in results.subjects(SH.resultSeverity, None):
        focus = str(results.value(result, SH.focusNode) or "")
        value = results.value(result, SH.value)
        out.append(Violation(
            focus=focus, path=str(results.value(result, SH.resultPath) or ""),
            message=str(results.value(result, SH.resultMessage) or "shape violated"),
            value=str(value) if value is not None and not isinstance(value, URIRef) else str(value or ""),
            where=origin.get(focus, "?"),
            severity=str(results.value(result, SH.resultSeverity) or "").rsplit("#", 1)[-1]))
    out.sort(key=lambda v: (v.where, v.focus))
    return out


@lru_cache(maxsize=2)
def mapping_shapes(path: Path = MAPPING_SHAPES_PATH) -> CompiledShapes:
    """The mapping shapes of this process, compiled on first use."""
    return CompiledShapes(path)


def validate_mappings(data: Graph, origin: dict[str, str] | None = None) -> list[Violation]:
    """Violations of the mappings in `data` (their own triples and their ends' facts only)."""
    return mapping_shapes().validate(data, origin)
