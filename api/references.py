"""In-text references: what a provision cites and what cites it ("cited by"), with the answer
models of GET /references (documented in /openapi.json).

The references are triples of each redaction's graph (ingest/references); a provision's are
read from the redaction in force on the date asked (the latest by default), "cited by" from the
latest redaction (on or before the date) of every citing act.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ingest.config import Settings
from ingest.query import catalog as q
from ingest.store import GraphStore

from . import resources


class ReferenceOut(BaseModel):
    """One reference in a provision's text (offsets into that provision's own text)."""

    model_config = ConfigDict(extra="allow")
    provision: str                      # the citing provision (IRI)
    quote: str
    start: int
    end: int
    target: str | None = None           # the first target's IRI
    targets: list[str] = []
    kind: str                           # internal | relative | other-act | external
    act: str | None = None              # the cited act, when in the corpus
    external: str | None = None         # the cited act as written, when outside the corpus
    resolved: bool
    reason: str | None = None


class ReferenceList(BaseModel):
    """GET /references: the references of a provision (`source`) or those citing it (`target`)."""

    model_config = ConfigDict(extra="allow")
    source: str | None = None
    target: str | None = None
    redaction: str | None = None
    date: str | None = None
    references: list[ReferenceOut]


def outgoing(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """The references in the text of the provision (or act) `path` and its sub-provisions."""
    res = resources.resolve(store, settings, path, as_of)
    rows = q.select(store, "references_from", expression=res.expression, provision=res.iri)
    refs: dict[str, dict] = {}
    for r in rows:
        ref = refs.get(r["r"])
        if ref is None:
            ref = refs[r["r"]] = {
                "provision": r["p"], "quote": r["quote"], "start": int(r["start"]), "end": int(r["end"]),
                "target": None, "targets": [], "kind": r["kind"], "act": r.get("act"),
                "external": r.get("ext"), "resolved": r["resolved"] == "true", "reason": r.get("reason")}
        if r.get("t") and r["t"] not in ref["targets"]:
            ref["targets"].append(r["t"])
            ref["target"] = ref["targets"][0]
    return {"source": res.iri, "redaction": res.expression, "date": res.version, "references": list(refs.values())}


def incoming(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict:
    """What cites the provision `path` (or one of its sub-provisions): one redaction per citing
    act, the latest on or before `as_of`."""
    res = resources.resolve(store, settings, path, as_of)
    rows = q.select(store, "references_to", work=res.work, provision=res.iri)
    latest: dict[str, str] = {}
    for r in rows:
        if as_of is None or r["v"] <= as_of:
            if r["v"] > latest.get(r["w"], ""):
                latest[r["w"]] = r["v"]
    refs: dict[str, dict] = {}
    for r in rows:
        if latest.get(r["w"]) != r["v"]:
            continue
        ref = refs.setdefault(r["r"], {
            "provision": r["p"], "redaction": r["g"], "quote": r["quote"], "start": int(r["start"]),
            "end": int(r["end"]), "target": None, "targets": [], "kind": r["kind"], "act": res.work,
            "external": None, "resolved": True, "reason": None})
        if r["t"] not in ref["targets"]:
            ref["targets"].append(r["t"])
            ref["target"] = ref["targets"][0]
    return {"target": res.iri, "date": as_of, "references": sorted(refs.values(), key=lambda x: (x["provision"], x["start"]))}
