"""The cross-act pass: references into other acts, resolved once every act is loaded.

A worker process prepares one act and knows only that act's numbering, so a reference into
another act (or into another part of the RU Civil Code) is stored with the acts it may cite
(`lexmap:pendingAct`) and its units (`lexmap:citedUnits`). After the load, this pass reads
those references and the numbering of the acts they name from the store (named queries),
resolves them with the same rules as at prepare time and rewrites their resolution in the
citing graph, one update per graph. It is idempotent and runs after every ingest, so a
reference follows a cited act that was loaded or changed later.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ingest.query import catalog as q
from ingest.query.terms import ntriples

from .model import INTERNAL, Reference
from .patterns import ActNames
from .resolve import Numbering, Resolver, groups_of_spec
from .to_ntriples import resolution_triples


@dataclass
class PassReport:
    """What the pass did: references looked at, resolved, graphs rewritten."""

    references: int = 0
    resolved: int = 0
    graphs: int = 0

    def line(self) -> str:
        return (f"references into other acts: {self.references} ({self.resolved} resolved) "
                f"in {self.graphs} redaction graph(s)")


def numbering_from_store(store, work: str) -> Numbering:
    """The numbering of one act as the store holds it (all its redactions)."""
    out = Numbering()
    numbered = {r["eid"] for r in q.select(store, "act_numbered_units", work=work)}
    with_text = {r["eid"] for r in q.select(store, "act_units_with_text", work=work)}
    for r in q.select(store, "act_numbering", work=work):
        out.add(r["eid"], r["kind"], r.get("num"), r["eid"] in numbered, r["eid"] in with_text, r.get("parent"))
    return out.done()


def resolve_pending(store, names: ActNames) -> PassReport:
    """Resolve every reference stored with `lexmap:pendingAct` against the store."""
    report = PassReport()
    rows = q.select(store, "references_pending")
    if not rows:
        return report
    pending: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for r in rows:
        units, works = pending.setdefault((r["g"], r["r"]), (r["units"], []))
        works.append(r["w"])
    numberings = {w: numbering_from_store(store, w) for w in sorted({w for _, ws in pending.values() for w in ws})}
    numberings = {w: n for w, n in numberings.items() if n.nodes}
    resolver = Resolver(names, numberings)
    by_graph: dict[str, list[tuple[str, Reference]]] = defaultdict(list)
    for (graph, node), (units, works) in sorted(pending.items()):
        ref = Reference("", 0, 0, "", INTERNAL, units)
        resolver._in_works(ref, groups_of_spec(units), sorted(works))
        if ref.pending_works:     # the cited act is not in the store
            ref.pending_works = []
            ref.reason = "the cited act is not loaded"
        by_graph[graph].append((node, ref))
        report.references += 1
        report.resolved += ref.resolved
    from rdflib import Graph
    for graph, refs in by_graph.items():
        lines = []
        for node, ref in refs:
            lines += [ln for ln in resolution_triples(ref, f"<{node}>") if "citedUnits" not in ln]
            lines.append(f'<{node}> <https://w3id.org/lexmap/ontology#resolved> '
                         f'"{"true" if ref.resolved else "false"}"^^<http://www.w3.org/2001/XMLSchema#boolean> .')
        g = Graph()
        g.parse(data="\n".join(lines), format="nt")
        q.update(store, "reference_resolution_write", graph=graph, data=ntriples(g), refs=[n for n, _ in refs])
        report.graphs += 1
    return report
