"""Impact across both jurisdictions (issue 16, item 6): what cites a provision, directly and
transitively, each with its counterparts in the other jurisdiction through accepted mappings —
what a drafter must re-check when amending it — and reference translation on a redline of two
mapped provisions.

Impact walks the stored references breadth first, one level per two named queries (the
provisions under the frontier, then the references citing any of them by exact target), reading
only the latest redaction of each citing act; counterparts come from the accepted mappings (the
mapping table, kept until the next write). A provision X is cited by a reference whose target is
X, one of its sub-provisions, or the article (part, point) that holds X: citing the whole
article cites what is in it.
"""
from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher

from pydantic import BaseModel, ConfigDict

from ingest.identifiers import top_unit_of, work_of
from ingest.mappings.model import NO_TERM_FOUND
from ingest.query import catalog as q
from ingest.store import GraphStore

MAX_DEPTH = 3
MAX_PROVISIONS = 2000       # an answer lists at most this many citing provisions (then `truncated`)


def latest_graphs(store: GraphStore) -> dict[str, str]:
    """Redaction graph -> its act, for the latest redaction of every act (whose references count)."""
    rows = q.select(store, "redaction_graphs")
    latest: dict[str, tuple[str, str]] = {}
    for r in rows:
        if r["v"] > latest.get(r["w"], ("", ""))[0]:
            latest[r["w"]] = (r["v"], r["g"])
    return {g: w for w, (_, g) in latest.items()}


def _holders(iri: str) -> list[str]:
    """The units holding a provision, up to its article: art_5__para_2__point_1 -> art_5__para_2, art_5."""
    out = []
    head, sep, _ = iri.rpartition("__")
    while sep:
        out.append(head)
        head, sep, _ = head.rpartition("__")
    return out


def citers(store: GraphStore, frontier: list[str], graphs: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(cited provision of `frontier`, exact target, citing provision, quote) of the references of
    the latest redactions citing a provision of `frontier`, one of its sub-provisions or a unit
    holding it (two named queries: the sub-provisions, then the references by exact target)."""
    if not frontier:
        return []
    under = q.select(store, "provisions_under", parents=frontier)
    targets = set(frontier) | {h for x in frontier for h in _holders(x)} | {r["d"] for r in under}
    rows = q.select(store, "citers_of", targets=sorted(targets))
    out = []
    for r in rows:
        if r["g"] not in graphs:          # an older redaction of the citing act
            continue
        t = r["t"]
        for x in frontier:
            if t == x or t.startswith(x + "__") or x.startswith(t + "__"):
                out.append((x, t, r["p"], r["quote"]))
                break
    out.sort(key=lambda e: (e[2], e[1]))
    return out


def accepted_counterparts(table) -> dict[str, list[dict]]:
    """Provision IRI -> its counterparts through accepted mappings (both directions), from the
    mapping table (api.mappings.Context.table())."""
    out: dict[str, list[dict]] = defaultdict(list)
    for m in table.mappings:
        if m.lifecycle != "accepted" or m.object == NO_TERM_FOUND or m.relation == "not_related":
            continue
        out[m.subject].append({"iri": m.object, "relation": m.relation, "act": work_of(m.object)})
        out[m.object].append({"iri": m.subject, "relation": m.relation, "act": work_of(m.subject)})
    return dict(out)


def counterparts_of(iri: str, accepted: dict[str, list[dict]]) -> list[dict]:
    """Counterparts of a provision: its own accepted mappings, else those of the units holding it
    (mappings are mostly made between articles)."""
    at = iri
    while True:
        found = accepted.get(at)
        if found:
            return [dict(c, via=at) if at != iri else dict(c) for c in found]
        head, sep, _ = at.rpartition("__")
        if not sep:
            return []
        at = head


def impact(store: GraphStore, iri: str, depth: int, graphs: dict[str, str],
           accepted: dict[str, list[dict]]) -> dict:
    """The provisions citing `iri` up to `depth` steps (1 = direct), breadth first, each once at
    its smallest level, with the provision it cites (`via`), the quote and its counterparts.
    References from inside `iri` itself are left out (they change with it)."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth={depth}: use 1 to {MAX_DEPTH}")
    found: dict[str, dict] = {}
    frontier = [iri]
    truncated = False
    for level in range(1, depth + 1):
        nxt = []
        for x, t, p, quote in citers(store, frontier, graphs):
            if p == iri or p.startswith(iri + "__") or p in found:
                continue
            if len(found) >= MAX_PROVISIONS:
                truncated = True
                break
            found[p] = {"iri": p, "act": work_of(p), "level": level, "via": x, "target": t, "quote": quote,
                        "counterparts": counterparts_of(p, accepted)}
            nxt.append(p)
        frontier = nxt
        if not frontier or truncated:
            break
    items = sorted(found.values(), key=lambda r: (r["level"], r["act"], r["iri"]))
    counts: dict[str, int] = defaultdict(int)
    for r in items:
        counts[str(r["level"])] += 1
    return {"provision": iri, "depth": depth, "counterparts": counterparts_of(iri, accepted),
            "total": len(items), "by_level": dict(counts), "truncated": truncated,
            "jurisdictions": sorted({_jurisdiction(r["iri"]) for r in items} |
                                    {_jurisdiction(c["iri"]) for r in items for c in r["counterparts"]}),
            "provisions": items}


def _jurisdiction(iri: str) -> str:
    return iri.split("/eli/", 1)[-1].split("/", 1)[0] if "/eli/" in iri else ""


# ------------------------------------------------------------------ reference translation (redline)

def _articles(ref: dict) -> set[str]:
    return {top_unit_of(t) for t in ref.get("targets") or []}


def translate_references(left: list[dict], right: list[dict], accepted: dict[str, list[dict]]) -> dict:
    """Every reference of the left text beside the corresponding one of the right text.

    A pair is "mapped" when an accepted mapping joins their targets (at article level, either
    way); other references are paired by the shape of their words and flagged "not-mapped" (both
    resolved, targets not mapped to each other) or "unresolved" (a side's target is unknown);
    what is left is listed alone ("no-counterpart-reference"). `left`/`right`: the provisions'
    references (api.references.outgoing's rows)."""
    pairs: list[dict] = []
    used_r: set[int] = set()
    left_rest: list[dict] = []
    for a in left:
        partners = {c["iri"] for art in _articles(a) for c in counterparts_of(art, accepted)}
        partners = {top_unit_of(p) for p in partners}
        hit = next((j for j, b in enumerate(right) if j not in used_r and partners & _articles(b)), None)
        if hit is None:
            left_rest.append(a)
            continue
        used_r.add(hit)
        pairs.append(_pair(a, right[hit], "mapped", accepted))
    right_rest = [b for j, b in enumerate(right) if j not in used_r]
    alone_l: list[dict] = []
    for a in left_rest:
        best, score = None, 0.0
        for b in right_rest:
            s = SequenceMatcher(None, _shape(a["quote"]), _shape(b["quote"])).ratio()
            if s > score:
                best, score = b, s
        if best is not None and score >= 0.6:
            right_rest.remove(best)
            status = "not-mapped" if a.get("targets") and best.get("targets") else "unresolved"
            pairs.append(_pair(a, best, status, accepted))
        else:
            alone_l.append(a)
    for a in alone_l:
        pairs.append(_pair(a, None, "no-counterpart-reference", accepted))
    for b in right_rest:
        pairs.append(_pair(None, b, "no-counterpart-reference", accepted))
    pairs.sort(key=lambda p: ((p["left"] or {}).get("start", 10**9), (p["right"] or {}).get("start", 10**9)))
    counts: dict[str, int] = defaultdict(int)
    for p in pairs:
        counts[p["status"]] += 1
    return {"pairs": pairs, "counts": dict(counts)}


def _shape(quote: str) -> str:
    """The words of a reference without its numbers: "статьей 200 настоящего Кодекса" -> "статьей # настоящего кодекса"."""
    return re.sub(r"\d+(?:[.\-]\d+)*", "#", quote.lower())


def _side(ref: dict | None) -> dict | None:
    if ref is None:
        return None
    return {"quote": ref["quote"], "start": ref["start"], "end": ref["end"], "provision": ref["provision"],
            "targets": ref.get("targets") or [], "kind": ref.get("kind"), "resolved": ref.get("resolved")}


def _pair(a: dict | None, b: dict | None, status: str, accepted: dict[str, list[dict]]) -> dict:
    mapping = None
    if a and b and status == "mapped":
        for art in _articles(a):
            for c in counterparts_of(art, accepted):
                if top_unit_of(c["iri"]) in _articles(b):
                    mapping = {"left": art, "right": top_unit_of(c["iri"]), "relation": c["relation"]}
                    break
            if mapping:
                break
    return {"left": _side(a), "right": _side(b), "status": status, "mapping": mapping}


# ------------------------------------------------------------------ answer models (documented in /openapi.json)


class CounterpartOut(BaseModel):
    """A counterpart in the other jurisdiction through an accepted mapping."""

    model_config = ConfigDict(extra="allow")
    iri: str
    relation: str | None = None
    act: str
    via: str | None = None      # the unit holding the provision whose mapping it is


class ImpactItem(BaseModel):
    """A provision that cites the one asked about, at `level` steps."""

    model_config = ConfigDict(extra="allow")
    iri: str
    act: str
    level: int
    via: str                    # the provision (of the previous level) it cites
    target: str                 # the exact target of the reference
    quote: str
    counterparts: list[CounterpartOut]


class ImpactAnswer(BaseModel):
    """GET /impact."""

    model_config = ConfigDict(extra="allow")
    provision: str
    depth: int
    counterparts: list[CounterpartOut]
    total: int
    by_level: dict[str, int]
    truncated: bool
    jurisdictions: list[str]
    provisions: list[ImpactItem]


def redline_references(ctx, result: dict) -> dict:
    """The reference translation of a /diff answer (`result`: api.compare.diff_provisions'): each
    side's references in the redaction compared, paired through accepted mappings. `ctx`: the
    app context (both indexes kept until the next write). Labels: "ст. 200 ГК РФ"."""
    from ingest.identifiers import eli_of

    from . import references
    from .effects import provision_label

    def refs(side: dict) -> list[dict]:
        return references.outgoing(ctx.store, ctx.settings, eli_of(side["iri"]), side["redaction"])["references"]

    def build() -> dict:
        accepted = ctx.memo("accepted counterparts", None, lambda: accepted_counterparts(ctx.mappings.table()))
        out = translate_references(refs(result["left"]), refs(result["right"]), accepted)
        short = ctx.memo("act short titles", None,
                         lambda: {r["w"]: r["s"] for r in q.select(ctx.store, "mapping_short_titles")})
        for p in out["pairs"]:
            for name in ("left", "right"):
                s = p[name]
                if s and s["targets"]:
                    t = top_unit_of(s["targets"][0])
                    s["label"] = f"{provision_label(t)} {short.get(work_of(t), '')}".strip()
        return out
    key = (result["left"]["iri"], result["left"]["redaction"], result["right"]["iri"], result["right"]["redaction"])
    return ctx.memo("redline references", key, build)
